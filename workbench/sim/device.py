"""A simulated board: firmware, code process and the wire between it and the host.

The board has its own thread (as a real board has its own CPU). The wire models what USB
bridges and UARTs do to bytes: a line rate, a latency, and the faults chosen in the URL;
they act on every byte, the ones a running program reads from stdin (a file transfer)
included. The host side (the pyserial handler) only calls :meth:`write`, :meth:`read`,
:meth:`in_waiting`, :meth:`set_lines` and :meth:`close`, from one thread.

The board's files live in a host folder (:attr:`SimDevice.folder`): a temporary one made
when the board opens and removed when it closes (it outlives soft and hard resets, as flash
does), or the one ``?fs=DIR`` names, made if missing and never removed.
"""

from __future__ import annotations

import hashlib
import os
import random
import select
import shutil
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path

from workbench.sim.boards import BoardSpec
from workbench.sim.firmware import Firmware
from workbench.sim.folders import make_folder
from workbench.sim.options import SimOptions, check_for_board
from workbench.sim.runner import BoardIdentity, CodeRunner, RunnerError

#: Output is cut into pieces this size when the line rate is limited, so it trickles.
_PIECE = 64
#: Bytes the board may have in flight to the host before its print() blocks, as a full UART
#: transmit buffer or an unread USB endpoint blocks a real board.
OUTPUT_BACKLOG = 4096
_READ_ALL = 1 << 30
#: What a serial driver buffers before write() blocks.
WRITE_BUFFER = 4096
#: ``rx_fifo``: how often the firmware empties the board's UART receive FIFO.
RX_FIFO_SERVICE_S = 0.01


class WriteTimeout(Exception):
    """The host wrote faster than the simulated line could carry for too long."""


class DeviceGone(Exception):
    """The simulated cable was pulled (``disconnect_after``) or the board crashed."""


class _Wire:
    """One direction of the link: rate, latency, faults, and when each byte arrives."""

    def __init__(
        self, bytes_per_s: float | None, latency_s: float, options: SimOptions, rng: random.Random, *, lossy: bool
    ) -> None:
        self.bytes_per_s = bytes_per_s
        self.latency_s = latency_s
        self.options = options
        self.lossy = lossy
        self.rng = rng
        self.busy_until = 0.0
        self.queue: deque[tuple[float, bytes]] = deque()

    def send(self, data: bytes, now: float) -> None:
        data = self._damage(data)
        if not data:
            return
        if self.bytes_per_s is None:
            self.queue.append((now + self.latency_s, data))
            return
        for start in range(0, len(data), _PIECE):
            piece = data[start : start + _PIECE]
            begin = max(now, self.busy_until)
            self.busy_until = begin + len(piece) / self.bytes_per_s
            self.queue.append((self.busy_until + self.latency_s, piece))

    def _damage(self, data: bytes) -> bytes:
        drop, corrupt = self.options.drop, self.options.corrupt
        if not self.lossy or (not drop and not corrupt):
            return data
        out = bytearray()
        for byte in data:
            if drop and self.rng.random() < drop:
                continue
            if corrupt and self.rng.random() < corrupt:
                byte ^= self.rng.randrange(1, 256)
            out.append(byte)
        return bytes(out)

    def take_due(self, now: float) -> bytes:
        out = bytearray()
        while self.queue and self.queue[0][0] <= now:
            out += self.queue.popleft()[1]
        return bytes(out)

    def next_due(self) -> float | None:
        return self.queue[0][0] if self.queue else None

    def due_count(self, now: float) -> int:
        return sum(len(data) for due, data in self.queue if due <= now)

    def backlog(self) -> int:
        return sum(len(data) for _, data in self.queue)

    def time_until_backlog(self, limit: int, now: float) -> float:
        """How long until at most ``limit`` bytes are still on their way."""
        remaining = self.backlog()
        for due, data in self.queue:
            if remaining <= limit:
                return max(0.0, due - now)
            remaining -= len(data)
        return 0.0


class _RxFifo:
    """``rx_fifo``: the board's UART receive FIFO, which the firmware empties at a limited rate.

    It holds ``size`` bytes and the firmware takes ``size`` bytes out every
    RX_FIFO_SERVICE_S (a busy board servicing its UART on a timer). Bytes that arrive while
    it is full are lost: a real overrun, so a burst bigger than the FIFO loses its tail while
    small writes spaced out get through whole. Arrivals and draining are computed from each
    chunk's arrival time on the wire, not from when the board thread wakes, so a given
    sequence of host writes always loses the same bytes.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.rate = size / RX_FIFO_SERVICE_S
        self.held = bytearray()
        self.lost = 0
        self._clock: float | None = None
        self._carry = 0.0

    def _drain(self, until: float, out: bytearray) -> None:
        """What the firmware has read from the FIFO by ``until`` goes to ``out``."""
        if self._clock is None or not self.held:
            self._clock = until
            self._carry = 0.0
            return
        budget = max(0.0, until - self._clock) * self.rate + self._carry
        n = min(len(self.held), int(budget))
        out += self.held[:n]
        del self.held[:n]
        self._carry = budget - n if self.held else 0.0
        self._clock = max(self._clock, until)

    def pass_through(self, wire: _Wire, now: float) -> bytes:
        """Move what has arrived on ``wire`` into the FIFO; return what the firmware read."""
        out = bytearray()
        while wire.queue and wire.queue[0][0] <= now:
            due, data = wire.queue.popleft()
            self._drain(due, out)
            room = self.size - len(self.held)
            self.held += data[:room]
            self.lost += max(0, len(data) - room)
        self._drain(now, out)
        return bytes(out)

    def next_at(self, now: float) -> float | None:
        """When the firmware will next find a byte to read (None: the FIFO is empty)."""
        return now + max(1 / self.rate, 0.001) if self.held else None


class SimDevice:
    """A running simulated board; see the module docstring."""

    def __init__(self, spec: BoardSpec, options: SimOptions) -> None:
        check_for_board(spec, options)
        self.spec = spec
        self.options = options
        self.folder, temporary = _board_folder(options.fs)
        # A temporary folder is also removed if the board is never closed (garbage collection
        # or the end of the interpreter), so an abandoned board leaves nothing behind.
        self._remove_folder: Callable[[], object] = (
            weakref.finalize(self, shutil.rmtree, str(self.folder), True) if temporary else lambda: None)
        try:
            self._start(spec, options)
        except BaseException:
            self._remove_folder()
            raise

    def _start(self, spec: BoardSpec, options: SimOptions) -> None:
        rng = random.Random(options.seed)
        baud = spec.baud if options.baud is None else options.baud
        rate = baud / 10 if baud else None
        latency = (spec.latency_ms if options.latency_ms is None else options.latency_ms) / 1000
        # Bytes get lost where real bridges lose them: on the way into the board's small
        # receive buffer. What the board prints arrives as sent.
        self._to_device = _Wire(rate, latency, options, rng, lossy=True)
        self._to_host = _Wire(rate, latency, options, rng, lossy=False)
        self._rx_fifo = _RxFifo(options.rx_fifo) if options.rx_fifo else None
        self._cond = threading.Condition()
        self._moved = 0
        self.gone: str | None = None
        self.hung = False
        self._dtr = True
        self._rts = True
        self._stop = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        spec_for_boot = spec
        if options.boot_ms is not None:
            from dataclasses import replace

            spec_for_boot = replace(spec, boot_time_s=options.boot_ms / 1000)
        read_only = spec.implementation == "circuitpython" and options.usb_drive is not False
        self.runner = CodeRunner(_identity(spec, str(self.folder), read_only))
        try:
            self.runner.start()
        except BaseException:
            os.close(self._wake_r)
            os.close(self._wake_w)
            raise
        noise = bytes(rng.randrange(256) for _ in range(options.noise))
        self.firmware = Firmware(
            spec_for_boot,
            self.runner,
            self._emit,
            window=options.window,
            no_flow_control=options.no_flow_control,
            paste_hangs=options.paste_hangs,
            noise=noise.replace(b"\x04", b"\x00"),
        )
        with self._cond:
            self.firmware.power_on(time.monotonic())
        self._thread = threading.Thread(target=self._run, name=f"sim board {spec.name}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ host side
    def write(self, data: bytes, timeout: float | None = None) -> None:
        """Host bytes onto the wire (they reach the board after rate and latency).

        Like a serial driver, it takes at most WRITE_BUFFER bytes ahead of the line and then
        blocks until the line has carried enough, at most ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._check_gone()
            data = self._count(data)
            if data and not self.hung:
                self._to_device.send(data, time.monotonic())
            os.write(self._wake_w, b"w")
            while self._to_device.backlog() > WRITE_BUFFER and not self.gone:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    raise WriteTimeout("write timeout: the simulated line is still busy")
                wait = self._to_device.time_until_backlog(WRITE_BUFFER, now)
                if deadline is not None:
                    wait = min(wait, deadline - now)
                self._cond.wait(max(wait, 0.001))

    def read(self, size: int, timeout: float | None) -> bytes:
        """Up to ``size`` bytes that have arrived, waiting at most ``timeout`` for all."""
        deadline = None if timeout is None else time.monotonic() + timeout
        out = bytearray()
        with self._cond:
            while True:
                now = time.monotonic()
                self._take(out, size, now)
                if len(out) >= size:
                    break
                if self.gone and not out:
                    raise DeviceGone(self.gone)
                if deadline is not None and now >= deadline:
                    break
                wait = None if deadline is None else deadline - now
                due = self._to_host.next_due()
                if due is not None:
                    wait = due - now if wait is None else min(wait, due - now)
                self._cond.wait(max(wait, 0.0) if wait is not None else None)
        return bytes(out)

    def read_available(self, wait_s: float) -> bytes:
        """Whatever has arrived, waiting at most ``wait_s`` for the first byte."""
        deadline = time.monotonic() + wait_s
        out = bytearray()
        with self._cond:
            while True:
                now = time.monotonic()
                self._take(out, _READ_ALL, now)
                if out:
                    return bytes(out)
                if self.gone:
                    raise DeviceGone(self.gone)
                if now >= deadline:
                    return b""
                wait = deadline - now
                due = self._to_host.next_due()
                if due is not None:
                    wait = min(wait, max(due - now, 0.0))
                self._cond.wait(wait)

    def _take(self, out: bytearray, size: int, now: float) -> None:
        queue = self._to_host.queue
        while queue and queue[0][0] <= now and len(out) < size:
            due, data = queue.popleft()
            room = size - len(out)
            out += data[:room]
            if len(data) > room:
                queue.appendleft((due, data[room:]))

    def in_waiting(self) -> int:
        """Bytes that have arrived and are not read yet."""
        with self._cond:
            self._check_gone()
            return self._to_host.due_count(time.monotonic())

    def discard_input(self) -> None:
        """reset_input_buffer(): drop what has arrived."""
        with self._cond:
            self._to_host.take_due(time.monotonic())

    def set_lines(self, dtr: bool, rts: bool) -> None:
        """DTR/RTS changed. On ESP boards (esptool's circuit) EN is low while RTS=1, DTR=0."""
        with self._cond:
            was_held = self._rts and not self._dtr
            self._dtr, self._rts = dtr, rts
            held = rts and not dtr
            if not self.spec.resets_on_lines or self.gone or held == was_held:
                return
            if held:
                self.firmware.hold_reset()
            else:
                self.firmware.hard_reset(time.monotonic())
        os.write(self._wake_w, b"l")

    def press_reset(self) -> None:
        """The reset button: the chip starts again, whatever state it was in (the only way,
        short of a new connection, to wake a board that ``paste_hangs`` has silenced when its
        DTR/RTS are not wired to reset)."""
        with self._cond:
            if self.gone:
                return
            self.firmware.hard_reset(time.monotonic())
        os.write(self._wake_w, b"r")

    def close(self) -> None:
        """Stop the board thread and its code process."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        os.write(self._wake_w, b"q")
        self._thread.join(5.0)
        self.runner.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._remove_folder()

    def _check_gone(self) -> None:
        if self.gone:
            raise DeviceGone(self.gone)

    def _count(self, data: bytes) -> bytes:
        """Apply disconnect_after / hang_after to bytes crossing the wire (either way)."""
        limit_disconnect = self.options.disconnect_after
        limit_hang = self.options.hang_after
        if limit_disconnect is None and limit_hang is None:
            return data
        before = self._moved
        self._moved += len(data)
        if limit_disconnect is not None and self._moved > limit_disconnect:
            self.gone = "the simulated board was unplugged (disconnect_after)"
            self._cond.notify_all()
            return data[: max(0, limit_disconnect - before)]
        if limit_hang is not None and self._moved > limit_hang:
            self.hung = True
            return data[: max(0, limit_hang - before)]
        return data

    # ------------------------------------------------------------------ board side
    def _emit(self, data: bytes) -> None:
        """Firmware output onto the wire (called with the condition held)."""
        data = self._count(data)
        if data and not self.hung and not self.gone:
            self._to_host.send(data, time.monotonic())
            self._cond.notify_all()

    def _run(self) -> None:
        runner_fd = self.runner.fileno()
        while True:
            with self._cond:
                if self._stop:
                    return
                now = time.monotonic()
                fifo = self._rx_fifo
                if not self.hung and not self.gone:
                    queued = len(self._to_device.queue)
                    if fifo is None:
                        incoming = self._to_device.take_due(now)
                    else:
                        incoming = fifo.pass_through(self._to_device, now)
                    if incoming:
                        self.firmware.feed(incoming, now)
                    if len(self._to_device.queue) < queued:
                        self._cond.notify_all()  # a writer may be waiting for room
                    self.firmware.on_timer(now)
                wake_at = [t for t in (self._to_device.next_due(), self.firmware.timer_at) if t is not None]
                if fifo is not None and (fifo_next := fifo.next_at(now)) is not None:
                    wake_at.append(fifo_next)
                # Output not yet read by the host holds the board back (backpressure).
                blocked = self._to_host.backlog() >= OUTPUT_BACKLOG
                if blocked:
                    wake_at.append(now + 0.005)
                timeout = max(0.0, min(wake_at) - now) if wake_at else 0.5
                runner_fd = self.runner.fileno()
            watch = [self._wake_r] if blocked else [self._wake_r, runner_fd]
            readable, _, _ = select.select(watch, [], [], timeout)
            if self._wake_r in readable:
                try:
                    os.read(self._wake_r, 4096)
                except BlockingIOError:
                    pass
            if runner_fd in readable:
                self._runner_events()

    def _runner_events(self) -> None:
        try:
            events = self.runner.poll(0.0)
        except RunnerError as exc:
            with self._cond:
                self.gone = f"the simulated board crashed: {exc}"
                self._cond.notify_all()
            return
        with self._cond:
            now = time.monotonic()
            for event in events:
                if not self.hung and not self.gone:
                    self.firmware.runner_event(event, now)


def _board_folder(fs: str | None) -> tuple[Path, bool]:
    """The folder of the board's files, and whether it is a temporary one (removed at close):
    ``?fs=DIR`` is made if missing and kept."""
    if fs is not None:
        folder = Path(fs).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"sim:// option fs={fs!r}: cannot use that folder ({exc.strerror or exc})") from None
        return folder.resolve(), False
    return make_folder(), True


def _identity(spec: BoardSpec, folder: str = "", read_only: bool = False) -> BoardIdentity:
    uid = hashlib.sha256(spec.name.encode()).digest()[:6 if spec.platform.startswith("esp") else 8]
    release, version_string, machine = spec.uname or (
        spec.release, f"{spec.git_tag or 'v' + spec.release} on {spec.build_date}", spec.machine)
    return BoardIdentity(
        platform=spec.platform,
        machine=machine,
        implementation=spec.implementation,
        version=spec.version,
        release=release,
        version_string=version_string,
        nodename=spec.nodename,
        unique_id=uid,
        mem_total=spec.mem_total,
        freq_hz=spec.freq_hz,
        warns_chaining=spec.implementation == "micropython",  # CircuitPython chains exceptions
        fs_root=folder,
        filesystem=spec.filesystem,
        mount=spec.mount,
        read_only=read_only,
        sys_path=spec.sys_path,
        missing_modules=spec.missing_modules,
        stdio_buffer=spec.stdio_buffer,
    )
