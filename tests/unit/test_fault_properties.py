"""Issue 12's property: whatever a device does, Session answers in time and in words.

A scripted board (a small model of pyexec.c on a local socket) follows the protocol until a
fault strikes at an answer hypothesis chooses, in any command: it adds arbitrary bytes once,
stops answering for good, resets to its friendly banner, or drops the connection. Then:

* only documented ``WorkbenchError`` classes leave ``Session``, each within a bound derived
  from the profile's timeouts;
* once a one-off fault has passed, the next command works (no bytes of the fault or of an
  earlier command reach it); a board that stopped keeps failing the same clear way;
* closing leaves no thread behind.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench
from tests.support.fake_device import SocketDevice
from workbench import (
    DeviceDisconnected,
    DeviceTimeout,
    NotSupported,
    Profile,
    ProtocolError,
    SessionClosed,
    TransferError,
    WorkbenchError,
)

PROFILE = Profile(response_timeout_s=0.15, reset_timeout_s=0.3, interrupt_delay_s=0.01, retries=1)
RAW = PROFILE.with_changes(raw_paste="never", chunk_size=64, chunk_delay_s=0.001)
EXEC_TIMEOUT_S = 0.6
#: What a command may raise: the documented errors (DeviceTimeout covers ExecTimeout).
DOCUMENTED = (DeviceTimeout, ProtocolError, TransferError, DeviceDisconnected, NotSupported, SessionClosed)

BANNER = b"raw REPL; CTRL-B to exit\r\n"
BOOT = b'\r\nets rst:0x1\r\nMicroPython v1.22.2 on 2024-02-22; Fake board with fake\r\nType "help()" for more information.\r\n>>> '
WINDOW = 32


def command_bound(profile: Profile) -> float:
    """The longest any one command may take against this profile: entering the raw REPL
    (each attempt: a quiet wait of up to a response timeout, then a response timeout) before
    and after (recovery), a reset, the exec timeout, and slack for threads and sockets."""
    enter = (profile.retries + 1) * 2 * profile.response_timeout_s
    return 2 * enter + profile.reset_timeout_s + profile.response_timeout_s + EXEC_TIMEOUT_S + 1.0


class FaultyBoard(SocketDevice):
    """A MicroPython-like raw REPL that misbehaves at its ``fault_at``-th answer (one answer
    per read of the host's bytes, which is one host write unless writes merge)."""

    def __init__(self, fault: str, fault_at: int, garbage: bytes, garbage_first: bool = True) -> None:
        self.fault, self.fault_at, self.garbage, self.garbage_first = fault, fault_at, garbage, garbage_first
        self.mode = "friendly"
        self.line = bytearray()
        self.remain = 0
        self.seen = 0
        self.silent = False
        super().__init__(lifetime_s=60.0)

    def on_data(self, conn: socket.socket, data: bytes) -> bool:
        self.seen += 1
        out = bytearray()
        if self.seen == self.fault_at:
            if self.fault == "disconnect":
                return False
            if self.fault == "silence":
                self.silent = True
            elif self.fault == "reset":  # the answer is lost in the reset
                self.mode, self.line = "friendly", bytearray()
                conn.sendall(BOOT)
                return True
        for byte in data:
            out += self._byte(byte)
        if self.seen == self.fault_at and self.fault == "garbage":
            out = self.garbage + out if self.garbage_first else out + self.garbage
        if out and not self.silent:
            conn.sendall(bytes(out))
        return True

    def _byte(self, byte: int) -> bytes:
        """One byte in, the board's answer out (pyexec.c, much simplified)."""
        if self.mode == "friendly":
            if byte == 0x01:
                self.mode, self.line = "raw", bytearray()
                return b"\r\n" + BANNER + b">"
            return b"\r\n>>> " if byte in (0x03, 0x0D, 0x04) else b""
        if self.mode == "paste":
            if byte in (0x03, 0x04):
                code, self.mode, self.line = bytes(self.line), "raw", bytearray()
                if byte == 0x03:
                    return b"\x04\x04KeyboardInterrupt: \r\n\x04>"
                return b"\x04" + self._run(code)[2:]
            self.line.append(byte)
            self.remain -= 1
            if self.remain == 0:
                self.remain = WINDOW
                return b"\x01"
            return b""
        # raw REPL
        if byte == 0x01:
            if bytes(self.line) == b"\x05A":
                self.mode, self.line, self.remain = "paste", bytearray(), WINDOW
                return b"R\x01" + struct.pack("<H", WINDOW) + b"\x01"
            self.line = bytearray()
            return BANNER + b">"
        if byte == 0x02:
            self.mode = "friendly"
            return b"\r\n" + BOOT[BOOT.index(b"MicroPython") :]
        if byte == 0x03:
            self.line = bytearray()
            return b""
        if byte == 0x04:
            code, self.line = bytes(self.line), bytearray()
            if not code:
                return b"OK\r\nMPY: soft reboot\r\n" + BANNER + b">"
            return self._run(code)
        self.line.append(byte)
        return b""

    @staticmethod
    def _run(code: bytes) -> bytes:
        return b"OKran %d\r\n\x04\x04>" % len(code)


COMMANDS = ["exec", "exec_raw", "exec_long", "exec_raw_long", "interrupt", "soft_reset", "enter_raw"]
#: Pieces of real answers, out of place: what makes a host lose its way.
ANSWER_PIECES = [
    b"\x04",
    b">",
    b"OK",
    b"\x01",
    b"R\x00>",
    b"R\x01\x80\x00\x01",
    BANNER + b">",
    b"\r\n>>> ",
    b"\x04\x04>",
    b"OKfake\r\n\x04\x04>",
    b"MPY: soft reboot\r\n" + BANNER + b">",
    BOOT,
]
#: Examples per run: a few seconds in the suite; raise it to hunt (WORKBENCH_FAULT_EXAMPLES=500).
EXAMPLES = int(os.environ.get("WORKBENCH_FAULT_EXAMPLES", "15"))


def run_command(session: workbench.Session, name: str) -> None:
    if name.startswith("exec"):
        session.set_profile(RAW if "raw" in name else PROFILE)
        # long: several windows of raw-paste, several chunks of plain raw mode
        session.exec("x = 1\n" * (40 if name.endswith("long") else 1), timeout=EXEC_TIMEOUT_S)
    elif name == "interrupt":
        session.interrupt()
    elif name == "soft_reset":
        session.soft_reset()
    else:
        session.enter_raw()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    commands=st.lists(st.sampled_from(COMMANDS), min_size=1, max_size=4),
    fault=st.sampled_from(["garbage", "silence", "reset", "disconnect"]),
    fault_at=st.integers(1, 14),
    garbage_first=st.booleans(),
    garbage=st.one_of(
        st.binary(min_size=1, max_size=40),
        st.lists(st.sampled_from(ANSWER_PIECES), min_size=1, max_size=3).map(b"".join),
    ),
)
def test_any_fault_in_any_command_ends_in_time_with_a_documented_error(
    commands: list[str], fault: str, fault_at: int, garbage_first: bool, garbage: bytes
) -> None:
    threads_before = set(threading.enumerate())
    bound = command_bound(PROFILE)
    with FaultyBoard(fault, fault_at, garbage, garbage_first) as board:
        session = workbench.connect(board.url, PROFILE)
        try:
            for name in commands:
                started = time.monotonic()
                try:
                    run_command(session, name)
                except WorkbenchError as exc:
                    assert isinstance(exc, DOCUMENTED), f"{name}: undocumented {type(exc).__name__}: {exc}"
                elapsed = time.monotonic() - started
                assert elapsed < bound, f"{name} took {elapsed:.2f} s (bound {bound:.2f} s)"
            # The next command: works once a one-off fault has passed, else fails the same way.
            struck = board.seen >= fault_at
            board.fault_at = 0 if not struck else board.fault_at  # a fault still to come: none
            board_gone = fault in ("silence", "disconnect") and struck
            started = time.monotonic()
            try:
                session.set_profile(PROFILE)
                result = session.exec("print(1)", timeout=EXEC_TIMEOUT_S)
            except (DeviceTimeout, DeviceDisconnected) as exc:
                assert board_gone, f"the board behaves again, yet: {type(exc).__name__}: {exc}"
            else:
                assert not board_gone
                assert result.stdout == "ran 8\r\n" and result.ok
            assert time.monotonic() - started < bound
        finally:
            session.close()
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert leftover == [], leftover
