"""The device side of the REPL, as ``shared/runtime/pyexec.c`` and ``readline.c`` do it.

A simulated board's firmware: friendly REPL with echo, line editing basics, continuation
lines and paste mode; raw REPL; raw-paste with a real flow-control window (bytes beyond the
credit granted are lost, as a full UART buffer loses them) that ends early on a compile error
found while reading, as MicroPython's does (:mod:`~workbench.sim.paste_compiler`), or,
with ``paste_hangs``, is broken as on some real builds (accepted, ended at once, then
silence until reset); soft reset; CTRL-C. Code runs in
a separate process (:class:`~workbench.sim.runner.CodeRunner`); this class only moves bytes.

It is driven by the board's device thread: ``feed()`` with host bytes, ``runner_event()``
with what the code process reported, ``on_timer()`` when ``timer_at`` is due. Output goes
to ``emit``. Nothing here sleeps.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from workbench.sim.boards import CIRCUITPYTHON_AUTORELOAD, BoardSpec
from workbench.sim.paste_compiler import EarlyError, PasteCompiler
from workbench.sim.runner import CodeRunner, RunnerEvent

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
PASTE_BANNER = b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
#: Host bytes a booting board keeps for later (its UART ring buffer); more are lost.
INPUT_BUFFER = 512
#: Host bytes kept for the running code's stdin until it reads them: the board's ring buffer
#: and what the USB stack or bridge and the host's serial driver hold before the host's
#: writes would block. A program that reads 4 KB blocks (a file transfer) never loses a
#: byte here; a host that sends far more than the code reads loses the excess, as a real
#: link eventually does. Losing bytes on purpose is what ``rx_fifo`` and ``drop`` are for.
STDIN_BUFFER = 64 * 1024
CTRL_C = 0x03
#: A soft reboot takes a little time on every board (runs boot.py, re-inits the heap).
SOFT_BOOT_S = 0.01


class Mode(enum.Enum):
    """Where the firmware is."""

    BOOTING = "booting"
    WAIT_KEY = "waiting for a key (CircuitPython)"
    FRIENDLY = "friendly REPL"
    FRIENDLY_PASTE = "friendly paste mode"
    RAW = "raw REPL"
    RAW_PASTE = "raw-paste"
    RUNNING = "running code"
    RESET_HELD = "held in reset"
    SILENT = "silent until reset (paste_hangs)"


class Firmware:
    """One simulated board's REPL state."""

    def __init__(
        self,
        spec: BoardSpec,
        runner: CodeRunner,
        emit: Callable[[bytes], None],
        *,
        window: int | None = None,
        no_flow_control: bool = False,
        paste_hangs: bool = False,
        noise: bytes = b"",
    ) -> None:
        self.spec = spec
        self.runner = runner
        self.emit = emit
        self.window = window if window is not None else spec.window
        self.no_flow_control = no_flow_control
        self.paste_hangs = paste_hangs
        self.noise = noise
        self.mode = Mode.BOOTING
        self.timer_at: float | None = None
        self._after_boot = Mode.FRIENDLY
        self._line = bytearray()
        self._block: list[bytes] = []
        self._pending = bytearray()
        self._return_to = Mode.RAW
        self._paste_received = 0
        self._paste_credit = 0
        self._window_remain = 0
        self._skip_escape = 0
        self._paste_compiler = PasteCompiler()
        self._paste_checked = 0
        self._paste_error: EarlyError | None = None  # set: the paste ended early, input is discarded
        self._input_wanted = 0  # the running code waits for this many stdin bytes at most
        #: The byte that interrupts running code (``micropython.kbd_intr``; -1: none); every
        #: run starts with CTRL-C, as ``pyexec`` sets it before each one.
        self.interrupt_char = CTRL_C

    # ------------------------------------------------------------------ lifecycle
    def power_on(self, now: float) -> None:
        """Reset pin released: ROM messages now, the MicroPython banner after boot time."""
        self._line.clear()
        self._pending.clear()
        self.emit(self.noise + self.spec.boot_messages)
        self._boot(now, self.spec.boot_time_s, Mode.FRIENDLY)

    def hold_reset(self) -> None:
        """EN pulled low (ESP32 DTR/RTS circuit): the chip stops, output stops."""
        if self.runner.busy:
            self.runner.interrupt()
        self.mode = Mode.RESET_HELD
        self.timer_at = None

    def _boot(self, now: float, delay: float, after: Mode) -> None:
        self.mode = Mode.BOOTING
        self._after_boot = after
        self.timer_at = now + delay

    def on_timer(self, now: float) -> None:
        """Boot finished: print the banner of the REPL the board comes up in."""
        if self.mode is not Mode.BOOTING or self.timer_at is None or now < self.timer_at:
            return
        self.timer_at = None
        if self._after_boot is Mode.RAW:
            self.mode = Mode.RAW
            self.emit(RAW_BANNER + b">")
        else:
            self._enter_friendly()
        self._drain_pending()

    def _enter_friendly(self) -> None:
        self.mode = Mode.FRIENDLY
        self._line.clear()
        self._block.clear()
        self.emit(self.spec.banner + b">>> ")

    def _soft_reboot(self, now: float, to_raw: bool) -> None:
        self.runner.restart()
        self.emit(self.spec.soft_reboot_text)
        if self.spec.implementation == "circuitpython" and not to_raw:
            self.emit(CIRCUITPYTHON_AUTORELOAD)
            self.mode = Mode.WAIT_KEY
            return
        self._boot(now, SOFT_BOOT_S, Mode.RAW if to_raw else Mode.FRIENDLY)

    def hard_reset(self, now: float) -> None:
        """machine.reset() or the reset line: the whole chip starts again."""
        self.runner.restart()
        self.power_on(now)

    # ------------------------------------------------------------------ input
    def feed(self, data: bytes, now: float) -> None:
        """Host bytes that reached the board's UART."""
        if self.mode is Mode.RUNNING:
            self._stdin(data)  # the whole piece at once: a transfer brings megabytes
            return
        for index, byte in enumerate(data):
            if self.mode is Mode.RUNNING:
                self._stdin(data[index:])
                return
            self._byte(byte, now)
        if self.mode is Mode.RAW_PASTE:
            self._check_paste()  # the host may now wait for credit: has the board stopped reading?

    def _byte(self, c: int, now: float) -> None:
        mode = self.mode
        if mode is Mode.RAW_PASTE:
            self._raw_paste_byte(c, now)
        elif mode is Mode.RAW:
            self._raw_byte(c, now)
        elif mode is Mode.FRIENDLY:
            self._friendly_byte(c, now)
        elif mode is Mode.FRIENDLY_PASTE:
            self._friendly_paste_byte(c)
        elif mode is Mode.RUNNING:
            self._stdin(bytes((c,)))
        elif mode is Mode.BOOTING:
            if len(self._pending) < INPUT_BUFFER:
                self._pending.append(c)
        elif mode is Mode.WAIT_KEY:
            if c == 0x04:
                self._soft_reboot(now, to_raw=False)
            else:
                self.emit(b"\r\n")
                self._enter_friendly()
        # RESET_HELD: the chip is not running; SILENT: it no longer reads. Bytes are lost.

    def _drain_pending(self) -> None:
        """Bytes that arrived while busy are read by the REPL once it runs again."""
        busy = (Mode.RUNNING, Mode.BOOTING, Mode.RESET_HELD)
        if not self._pending or self.mode in busy:
            return
        pending = bytes(self._pending)
        self._pending.clear()
        for index, byte in enumerate(pending):
            if self.mode in busy:  # a run started (or a reboot): the rest waits for it
                self._pending[:0] = pending[index:]
                break
            self._byte(byte, self.timer_at or 0.0)
        if self.mode is Mode.RAW_PASTE:
            self._check_paste()

    # ------------------------------------------------------------------ raw REPL
    def _raw_byte(self, c: int, now: float) -> None:
        line = self._line
        if c == 0x01:
            if len(line) == 2 and line[0] == 0x05 and self.window:
                self._start_raw_paste(line[1])
                return
            # Reset the raw REPL: the banner again (old firmware: also its answer to CTRL-E A).
            line.clear()
            self.emit(RAW_BANNER + b">")
        elif c == 0x02:
            line.clear()
            self.emit(b"\r\n")
            self._enter_friendly()
        elif c == 0x03:
            line.clear()
        elif c == 0x04:
            self.emit(b"OK")
            if not line:
                self.emit(b"\r\n")
                self._soft_reboot(now, to_raw=True)
                return
            code = bytes(line)
            line.clear()
            self._run(code, Mode.RAW, single=False)
        else:
            line.append(c)

    def _start_raw_paste(self, command: int) -> None:
        self._line.clear()
        if command != ord("A"):
            self.emit(b"R\x00>")
            return
        window = self.window or 0
        reply = b"R\x01" + bytes((window & 0xFF, window >> 8))
        if not self.no_flow_control:
            reply += b"\x01"
        if self.paste_hangs:
            # A build whose raw-paste is broken: the request is accepted, the paste ends
            # before any code, and the board answers nothing more until it is reset.
            self.emit(reply + b"\x04")
            self.mode = Mode.SILENT
            return
        self.emit(reply)
        self.mode = Mode.RAW_PASTE
        self._paste_received = 0
        self._paste_credit = 2 * window
        self._window_remain = window
        self._paste_compiler = PasteCompiler()
        self._paste_checked = 0
        self._paste_error = None

    def _paste_stopped(self, *, final: bool = False) -> EarlyError | None:
        """The compile error that has just made the board stop reading the paste, or None.

        A real board compiles as it reads, so it has stopped at the byte where its parser
        failed (see :mod:`~workbench.sim.paste_compiler`): what arrived after that byte is
        dropped. This is asked before every window credit and after every piece of input,
        the moments at which the host can tell; the caller sends the CTRL-D.
        """
        if self._paste_error is not None or (len(self._line) == self._paste_checked and not final):
            return None
        self._paste_checked = len(self._line)
        error = self._paste_compiler.check(bytes(self._line), force=final)
        if error is not None:
            self._paste_error = error
            del self._line[error.consumed :]
        return error

    def _check_paste(self) -> None:
        """After a piece of input: end the paste with CTRL-D if compiling it has failed."""
        if self._paste_stopped() is not None:
            self.emit(b"\x04")  # the same byte as the end-of-paste acknowledgement

    def _raw_paste_byte(self, c: int, now: float) -> None:
        if self._paste_error is not None:
            # After an early end the board reads and drops everything up to CTRL-D or CTRL-C
            # (control bytes included), then reports the compile error.
            if c in (0x03, 0x04):
                self.mode = Mode.RAW
                self.emit(b"\x04" + self._paste_error.traceback() + b"\x04>")
                self._line.clear()
            return
        if c in (0x03, 0x04):
            if self._paste_stopped(final=True) is not None:  # the error came with the host's last bytes
                self.emit(b"\x04")
                self._raw_paste_byte(c, now)
                return
            self.emit(b"\x04")  # the reader's end-of-input acknowledgement
            code = bytes(self._line)
            self._line.clear()
            if c == 0x03:
                self.mode = Mode.RAW
                self.emit(b"\x04KeyboardInterrupt: \r\n\x04>")
            else:
                self._run(code, Mode.RAW, single=False)
            return
        if self._paste_received >= self._paste_credit and not self.no_flow_control:
            return  # beyond the credit granted: the input buffer is full, the byte is lost
        self._paste_received += 1
        self._line.append(c)
        self._window_remain -= 1
        if self._window_remain == 0:
            # The credit for a window goes out when its last byte is read: not if the board
            # stopped a few bytes before it, but before the CTRL-D if it stopped at that byte.
            error = self._paste_stopped()
            if error is not None and error.consumed < self._paste_received:
                self.emit(b"\x04")
                return
            self._window_remain = self.window or 0
            if not self.no_flow_control:
                self._paste_credit += self.window or 0
                self.emit(b"\x01")
            if error is not None:
                self.emit(b"\x04")

    # ------------------------------------------------------------------ friendly REPL
    def _friendly_byte(self, c: int, now: float) -> None:
        line = self._line
        if self._skip_escape:
            self._skip_escape -= 1
            return
        if 0x01 <= c <= 0x05 and not line and not self._block:
            self._friendly_control(c, now)
        elif c == 0x03:
            line.clear()
            self._block.clear()
            self.emit(b"\r\n>>> ")
        elif c in (0x0D, 0x0A):
            self.emit(b"\r\n")
            self._friendly_newline()
        elif c in (0x08, 0x7F):
            if line:
                line.pop()
                self.emit(b"\x08 \x08")
        elif c == 0x1B:
            self._skip_escape = 2  # arrow keys and friends: not simulated
        elif c >= 0x20:
            line.append(c)
            self.emit(bytes((c,)))

    def _friendly_control(self, c: int, now: float) -> None:
        if c == 0x01:
            self.emit(b"\r\n")
            self.mode = Mode.RAW
            self._line.clear()
            self.emit(RAW_BANNER + b">")
        elif c == 0x02:
            self.emit(b"\r\n")
            self._enter_friendly()
        elif c == 0x03:
            self.emit(b"\r\n>>> ")
        elif c == 0x04:
            self.emit(b"\r\n")
            self._soft_reboot(now, to_raw=False)
        elif c == 0x05:
            self.mode = Mode.FRIENDLY_PASTE
            self._line.clear()
            self.emit(PASTE_BANNER)

    def _friendly_newline(self) -> None:
        text = bytes(self._line)
        self._line.clear()
        if self._block:
            if text.strip():
                self._block.append(text)
                self.emit(b"... ")
                return
            code = b"\n".join(self._block)
            self._block.clear()
            self._run(code, Mode.FRIENDLY, single=True)
            return
        if not text.strip():
            self.emit(b">>> ")
            return
        if _needs_continuation(text):
            self._block.append(text)
            self.emit(b"... ")
            return
        self._run(text, Mode.FRIENDLY, single=True)

    def _friendly_paste_byte(self, c: int) -> None:
        if c == 0x03:
            self._line.clear()
            self.mode = Mode.FRIENDLY
            self.emit(b"\r\n>>> ")
        elif c == 0x04:
            code = bytes(self._line).replace(b"\r", b"\n")
            self._line.clear()
            self.emit(b"\r\n")
            self._run(code, Mode.FRIENDLY, single=False)
        else:
            self._line.append(c)
            self.emit(b"\r\n=== " if c == 0x0D else bytes((c,)))

    # ------------------------------------------------------------------ running code
    def _run(self, code: bytes, return_to: Mode, *, single: bool) -> None:
        self._return_to = return_to
        self.mode = Mode.RUNNING
        self.interrupt_char = CTRL_C
        self.runner.run(code, single=single)

    def _stdin(self, data: bytes) -> None:
        """Bytes that arrive while code runs: the interrupt character (CTRL-C unless
        ``kbd_intr`` changed it) interrupts and is not kept, the rest waits for the code."""
        char = self.interrupt_char
        while char >= 0 and (at := data.find(char)) >= 0:
            self._keep(data[:at])
            self.runner.interrupt()
            data = data[at + 1 :]
        self._keep(data)
        self._give_input()

    def _keep(self, data: bytes) -> None:
        room = STDIN_BUFFER - len(self._pending)
        if room > 0:
            self._pending += data[:room]

    def _give_input(self) -> None:
        """The code reads stdin: hand it what the host sent since the run began (the UART's buffer)."""
        if self._input_wanted and self._pending:
            data = bytes(self._pending[: self._input_wanted])
            del self._pending[: len(data)]
            self._input_wanted = 0
            self.runner.feed_input(data)

    def runner_event(self, event: RunnerEvent, now: float) -> None:
        """What the code process reported: output, a wait for input, the end of the run, a reset."""
        if event.kind == "stdout":
            self.emit(event.data.replace(b"\n", b"\r\n"))  # mp_hal_stdout_tx_strn_cooked
            return
        if event.kind == "raw":
            self.emit(event.data)
            return
        if self.mode is not Mode.RUNNING:
            return
        if event.kind == "kbd_intr":
            self.interrupt_char = int.from_bytes(event.data, "big", signed=True)
            return
        if event.kind == "input":
            self._input_wanted = int.from_bytes(event.data, "big")
            self._give_input()
            return
        self._input_wanted = 0
        raw = self._return_to is Mode.RAW
        if event.kind == "reset":
            if event.data == b"hard":
                self.hard_reset(now)
                return
            if raw:
                self.emit(b"\x04\x04")
            self._soft_reboot(now, to_raw=raw)
            return
        traceback = event.data.replace(b"\n", b"\r\n")
        if raw:
            self.mode = Mode.RAW
            self.emit(b"\x04" + traceback + b"\x04>")
        else:
            self.mode = Mode.FRIENDLY
            self.emit(traceback + b">>> ")
        self._drain_pending()


def _needs_continuation(text: bytes) -> bool:
    """Like ``mp_repl_continue_with_input``: a compound statement or open brackets."""
    stripped = text.rstrip()
    if stripped.endswith(b":") or stripped.startswith(b"@"):
        return True
    depth = 0
    for byte in stripped:
        if byte in b"([{":
            depth += 1
        elif byte in b")]}":
            depth -= 1
    return depth > 0 or stripped.endswith(b"\\")
