"""Byte for byte: a simulated board answers the host's writes from the real transcripts
with the bytes the real MicroPython sent, apart from what must differ (its banner names
another machine; program output ends lines with CR LF on boards, LF on the unix port).
"""

from __future__ import annotations

import json
import re
import time

from tests.conftest import TRANSCRIPTS
from workbench.transports import open_port

UNIX_PORT = [t for t in TRANSCRIPTS if t.parent.name == "unix-port"]
_BANNER = re.compile(rb"MicroPython [^\r\n]*\r\nType \"help\(\)\" for more information\.\r\n")


def normalise(data: bytes) -> bytes:
    """Same banner text and line endings for both, so only protocol bytes are compared."""
    data = _BANNER.sub(b"<banner>\r\n", data)
    return data.replace(b"\r\n", b"\n")


def read_until_quiet(port, quiet_s: float = 0.15, limit_s: float = 5.0) -> bytes:
    data = b""
    end = time.monotonic() + limit_s
    last = time.monotonic()
    while time.monotonic() - last < quiet_s and time.monotonic() < end:
        chunk = port.read(max(1, port.in_waiting))
        if chunk:
            data += chunk
            last = time.monotonic()
    return data


def test_simulated_board_answers_the_transcripts_like_micropython() -> None:
    assert UNIX_PORT, "tests/data/transcripts/unix-port/ is empty"
    port = open_port("sim://generic", timeout=0.02)
    try:
        read_until_quiet(port)  # the power-on banner and prompt (transcript 01 starts after it)
        for transcript in UNIX_PORT:
            rows = [json.loads(line) for line in transcript.read_text().splitlines() if line.strip()]
            expected = b""
            got = b""
            friendly = transcript.name.startswith("10-")
            for row in rows:
                data = bytes.fromhex(row["hex"])
                if row["dir"] == "tx":
                    got += read_until_quiet(port, 0.05)
                    # The unix port reads LF as CR (unix_mphal.c); a board takes bytes as they
                    # come, and a terminal sends CR for Enter: give the board what it would get.
                    port.write(data.replace(b"\n", b"\r") if friendly else data)
                else:
                    expected += data
            got += read_until_quiet(port)
            assert normalise(got) == normalise(expected), transcript.name
    finally:
        port.close()
