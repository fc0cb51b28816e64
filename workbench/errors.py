"""Errors a user of the library or the CLI can meet, each with a message that stands alone.

Every error says what was being done and what to try; the CLI prints ``str(error)`` as its
one-line reason, never a traceback.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: anything the workbench reports to its user."""

    exit_code = 3


class ConnectError(WorkbenchError):
    """The device could not be opened (no such port, busy, refused, bad URL)."""


class PortInUse(ConnectError):
    """Another program has the device open (a port opened exclusively, a ser2net port that
    takes one client); the message names it where it can be found."""


class DeviceDisconnected(WorkbenchError):
    """The port failed under us: cable pulled, process ended, socket closed."""


class NotSupported(WorkbenchError):
    """The transport cannot do what was asked (for example DTR/RTS on a socket)."""


class SessionClosed(WorkbenchError):
    """The session was closed; open a new one."""


class ProtocolError(WorkbenchError):
    """The device answered something the protocol does not allow at this point."""


class InvalidCode(WorkbenchError):
    """The code cannot be sent as it is (a byte the raw REPL acts on, a character the
    encoding cannot carry); nothing was sent. The message names the place and the fix."""

    exit_code = 2


class UsageError(WorkbenchError):
    """The library was called in a way that cannot work (exec from inside on_output)."""


class OutputCallbackError(WorkbenchError):
    """The ``on_output`` callback raised; the code on the board was interrupted. The
    callback's own exception is ``__cause__``."""


class TransferError(WorkbenchError):
    """Code did not reach the device intact (bytes lost on the way); the run was stopped."""


class RawPasteBroken(ProtocolError):
    """The device accepted raw-paste, then ended the paste by itself and fell silent: a
    build whose raw-paste is broken. Nothing ran; plain raw mode works on such a board."""


class DeviceTimeout(WorkbenchError):
    """The device did not answer in time.

    Names the step, what was expected and the bytes that did arrive since the last request
    (``received``; "nothing" when none did), because "timeout" alone does not tell a user
    whether the board is silent, rebooting or talking nonsense. Bytes from before the request
    are left out: they answered something else, and a banner printed at boot would otherwise
    read as the board's answer.
    """

    def __init__(self, step: str, expected: str, received: bytes, waited_s: float, hint: str = "") -> None:
        self.step = step
        self.expected = expected
        self.received = received
        self.waited_s = waited_s
        self.hint = hint
        """What probably happened and what to do, when the engine can tell (else empty)."""
        got = repr(received[-64:]) if received else "nothing"
        super().__init__(
            f"timeout after {waited_s:.2f} s while {step}: expected {expected}, "
            f"last bytes received: {got}" + (f". {hint}" if hint else "")
        )


class ExecTimeout(DeviceTimeout):
    """The code ran longer than the exec timeout; it was interrupted."""


class BoardFileError(WorkbenchError):
    """A file operation on the board failed for a reason of the board's filesystem (a missing
    file, a folder where a file was expected, a full or read-only filesystem). The message
    names the path with mpremote's ``:`` and says what to do; exit code 1, as for code that
    raised on the board."""

    exit_code = 1

    def __init__(self, message: str, path: str = "", errno: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.errno = errno


class BoardFileNotFound(BoardFileError):
    """No such file or folder on the board (ENOENT)."""


class BoardReadOnly(BoardFileError):
    """The board's filesystem is read-only (CircuitPython while it is mounted as a USB drive,
    EROFS); nothing was changed."""


class NoFolders(BoardFileError):
    """The board's filesystem is flat (the micro:bit's): it has files but no folders."""


class TransferCancelled(WorkbenchError):
    """A file transfer was stopped (Ctrl-C, Esc, Stop); the board is usable and an upload's
    old file is intact."""

    exit_code = 1
