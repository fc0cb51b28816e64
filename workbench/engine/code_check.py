"""Checks on code before any of it is sent: bytes the device would act on, encoding.

Why: the raw REPL reads code and its own control bytes from the same stream. A CTRL-C in the
code empties the line in plain raw mode (the statements before it are silently lost) and ends
a raw-paste with KeyboardInterrupt; CTRL-D ends the code early; in plain raw mode CTRL-A
restarts the raw REPL and CTRL-B leaves it. None of that is what the author meant, and a
string literal can always say the same with an escape, so such code is refused up front
with the byte, where it is and the escape to write instead.
"""

from __future__ import annotations

import functools
import re

from workbench.errors import InvalidCode
from workbench.protocol.constants import control_name

#: What the device does with each byte in plain raw mode (pyexec.c, pyexec_raw_repl).
RAW_CONTROL_BYTES: dict[int, str] = {
    0x01: "restarts the raw REPL and drops the code before it",
    0x02: "leaves the raw REPL",
    0x03: "empties the line: the code before it is silently dropped",
    0x04: "ends the code there",
}
#: What the device does with each byte in raw-paste (pyexec.c, mp_reader_stdin_readbyte).
PASTE_CONTROL_BYTES: dict[int, str] = {
    0x03: "ends the paste with KeyboardInterrupt",
    0x04: "ends the code there",
}


def encode_code(code: str | bytes, encoding: str) -> bytes:
    """``code`` as the bytes to send; InvalidCode (not UnicodeEncodeError) when the profile's
    encoding cannot carry a character, naming it and where it is."""
    if isinstance(code, bytes | bytearray):
        return bytes(code)
    try:
        return code.encode(encoding)
    except UnicodeEncodeError as exc:
        line, column = _position(code, exc.start)
        char = code[exc.start]
        raise InvalidCode(
            f"the code holds {char!r} (U+{ord(char):04X}) at line {line}, column {column}, which the "
            f"profile's encoding {encoding!r} cannot carry; write it as the escape "
            f"'{_escape(ord(char))}' in a string literal, or use an encoding that has it (utf-8)"
        ) from None
    except LookupError as exc:
        raise InvalidCode(f"the profile's encoding {encoding!r} is unknown: {exc}") from None


def check_control_bytes(payload: bytes, refused: dict[int, str], mode: str) -> None:
    """Raise InvalidCode at the first byte of ``refused`` in ``payload`` (one regular
    expression scan: every exec pays for it, a byte loop cost 40 ms per MB)."""
    found = _finder(frozenset(refused)).search(payload)
    if found is not None:
        index = found.start()
        byte = payload[index]
        effect = refused[byte]
        line, column = _position(payload, index)
        raise InvalidCode(
            f"the code holds a {control_name(byte)} byte (0x{byte:02x}) at line {line}, column {column}; "
            f"in {mode} the device {effect}. Write it as the escape '{_escape(byte)}' in a string "
            "literal instead of the byte itself"
        )


@functools.cache
def _finder(refused: frozenset[int]) -> re.Pattern[bytes]:
    """A pattern matching any of the ``refused`` byte values."""
    return re.compile(b"[" + b"".join(re.escape(bytes([byte])) for byte in sorted(refused)) + b"]")


def _position(text: str | bytes, index: int) -> tuple[int, int]:
    """1-based line and column of ``index`` (columns count characters of UTF-8 text)."""
    newline = "\n" if isinstance(text, str) else b"\n"
    before = text[:index]
    line = before.count(newline) + 1  # type: ignore[arg-type]
    start = before.rfind(newline) + 1  # type: ignore[arg-type]
    head = before[start:]
    if isinstance(head, bytes):
        head = head.decode("utf-8", "replace")
    return line, len(head) + 1


def _escape(codepoint: int) -> str:
    if codepoint < 0x100:
        return f"\\x{codepoint:02x}"
    if codepoint < 0x10000:
        return f"\\u{codepoint:04x}"
    return f"\\U{codepoint:08x}"
