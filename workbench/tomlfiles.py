"""Reading and writing the TOML files the user keeps: settings, device profiles, themes.

Why a module of its own: every such file is the user's, so each is read the same careful
way. A FIFO or a device in its place must not hang the app (:func:`read_user_text` refuses
anything but a regular file without blocking), a file nested absurdly deep must not crash the
parser (:data:`MAX_TOML_DEPTH`), and a problem comes back as a sentence naming the file
(:func:`read_toml_file`) rather than an exception. Python reads TOML (:mod:`tomllib`) but has
no writer, so :func:`dumps_toml` writes the small subset these files need and checks that
what it wrote reads back the same. Writing the text to disk is :mod:`workbench.storage`'s job.
"""

from __future__ import annotations

import datetime as _dt
import errno
import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_TOML_DEPTH",
    "NotARegularFile",
    "dumps_toml",
    "nesting_depth",
    "parse_toml",
    "read_toml_file",
    "read_user_text",
]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


#: Deeper nesting than this in a settings or profiles file is refused: no setting nests more
#: than a few levels, and Python's parser and our writer recurse (RecursionError otherwise).
MAX_TOML_DEPTH = 32


class NotARegularFile(OSError):
    """The path is a FIFO, a device, a socket or a directory: reading it could block forever
    (a FIFO with no writer) or mean nothing, so it is refused before anything is read."""


def read_user_text(path: Path) -> str:
    """The text of a file the user keeps (settings, profiles, a trace), read without hanging.

    Opened non-blocking and checked with ``fstat`` on the open descriptor (no window between
    the check and the read): anything but a regular file raises :class:`NotARegularFile`.
    Raises OSError (FileNotFoundError when absent) or UnicodeDecodeError otherwise.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(errno.EINVAL, f"not a regular file ({_file_kind(mode)})")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as handle:
            fd = -1  # the handle owns it now
            data = handle.read()
    finally:
        if fd >= 0:
            os.close(fd)
    return data.decode("utf-8")


def _file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML the user wrote; ValueError with the reason (bad TOML, nested too deeply)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"is not valid TOML: {exc}") from exc
    except RecursionError:
        raise ValueError(f"is nested too deeply to read (more than {MAX_TOML_DEPTH} levels)") from None
    if nesting_depth(data) > MAX_TOML_DEPTH:
        raise ValueError(f"is nested too deeply to read (more than {MAX_TOML_DEPTH} levels)")
    return data


def nesting_depth(value: Any) -> int:
    """How deeply tables and arrays nest in ``value`` (0 for a scalar), without recursing."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        if isinstance(item, Mapping):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list | tuple):
            pending.extend((child, depth + 1) for child in item)
    return deepest


def read_toml_file(path: Path, what: str) -> tuple[dict[str, Any] | None, str | None]:
    """Read a TOML file: ``(data, None)``, ``(None, None)`` when it does not exist, or
    ``(None, problem)`` naming the file and what is wrong (never raises).
    """
    try:
        text = read_user_text(path)
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, f"could not read {what} {path}: {reason}"
    try:
        return parse_toml(text), None
    except ValueError as exc:
        return None, f"{what} {path} {exc}"


# --------------------------------------------------------------------------- TOML writer


def dumps_toml(data: Mapping[str, Any]) -> str:
    """TOML text for ``data``: str, int, float, bool, dates, arrays of those, and tables.

    Enough for settings (and for keeping unknown keys that ``tomllib`` read); anything else,
    such as arrays of tables, raises ValueError (TypeError for a non-string key) naming the key rather than writing a file
    that would read back differently. The output is checked by parsing it again.
    """
    lines: list[str] = []
    _write_table(lines, data, ())
    text = "\n".join(lines).strip("\n") + "\n" if lines else ""
    if tomllib.loads(text) != _normalised(data):
        raise ValueError("the settings do not survive a round trip through TOML")
    return text


def _write_table(lines: list[str], table: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
    """Scalars of ``table`` under its header, then each sub-table as its own section."""
    scalars = [(key, value) for key, value in table.items() if not isinstance(value, Mapping)]
    tables = [(key, value) for key, value in table.items() if isinstance(value, Mapping)]
    if prefix and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_key(part) for part in prefix) + "]")
    for key, value in scalars:
        if not isinstance(key, str):
            raise TypeError(f"key {key!r} is not a string")
        lines.append(f"{_key(key)} = {_value(value, '.'.join((*prefix, key)))}")
    for key, value in tables:
        _write_table(lines, value, (*prefix, key))


def _key(key: str) -> str:
    """A bare key when TOML allows it, a quoted one otherwise."""
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any, where: str) -> str:
    """One TOML value; ``where`` names the key in the error for unsupported types."""
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        if any(isinstance(item, Mapping) for item in value):
            raise ValueError(f"{where}: arrays of tables are not supported by the settings writer")
        return "[" + ", ".join(_value(item, where) for item in value) + "]"
    raise ValueError(f"{where}: cannot store a value of type {type(value).__name__} in TOML")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _normalised(value: Any) -> Any:
    """``value`` as tomllib would return it (tuples become lists), for the round-trip check."""
    if isinstance(value, Mapping):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalised(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return _NanEqual()
    return value


class _NanEqual:
    """Stands in for NaN in the round-trip check (NaN is never equal to itself)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, float) and math.isnan(other)

    __hash__ = None  # type: ignore[assignment]
