"""pyserial URL handler ``sim://BOARD?options``: a simulated board (see workbench.sim).

Found by pyserial through ``serial.protocol_handler_packages``; behaves like a serial port:
reads wait for bytes with the port's timeout, DTR/RTS reach the board (ESP boards reset),
an unplugged simulated cable raises SerialException like a vanished USB port. Opening the
port powers a fresh board on, with a folder for its files (``?fs=DIR`` or a temporary one);
closing it powers the board off and removes a temporary folder.
"""

from __future__ import annotations

from serial.serialutil import PortNotOpenError, SerialBase, SerialException, SerialTimeoutException, Timeout

from workbench.sim.device import DeviceGone, SimDevice, WriteTimeout
from workbench.sim.options import parse_sim_url
from workbench.sim.runner import RunnerError


class Serial(SerialBase):
    """A simulated board seen as a serial port."""

    #: DTR/RTS exist (whether they reset the board depends on the board).
    supports_modem_lines = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._device: SimDevice | None = None
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def open(self) -> None:
        """Power the simulated board on."""
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        try:
            spec, options = parse_sim_url(self.portstr)
            self._device = SimDevice(spec, options)
        except (ValueError, RunnerError, OSError) as exc:
            raise SerialException(str(exc)) from exc
        self.is_open = True
        self._update_dtr_state()
        self._update_rts_state()

    def close(self) -> None:
        """Power the board off: its thread and code process end."""
        if self._device is not None:
            self._device.close()
            self._device = None
        self.is_open = False

    @property
    def device(self) -> SimDevice:
        """The simulated board (tests and the teaching views look inside)."""
        if self._device is None:
            raise PortNotOpenError()
        return self._device

    def resources(self) -> list[tuple[str, str]]:
        """What this open board holds, as (kind, description) pairs, for diagnostics."""
        device = self._device
        if device is None:
            return []
        held = [("thread", device._thread.name)]
        pid = device.runner.pid
        if pid is not None:
            held.append(("process", f"pid {pid} (code runner)"))
        held.append(("pipe", "wake-up pipe (2 fds)"))
        kept = "kept (fs=)" if device.options.fs is not None else "temporary"
        held.append(("folder", f"{device.folder} (the board's files, {kept})"))
        return held

    def _reconfigure_port(self) -> None:
        """The line rate comes from the board and the URL, not from the baudrate setting."""

    def _update_dtr_state(self) -> None:
        if self._device is not None:
            self._device.set_lines(self._dtr_state, self._rts_state)

    def _update_rts_state(self) -> None:
        if self._device is not None:
            self._device.set_lines(self._dtr_state, self._rts_state)

    def _update_break_state(self) -> None:
        """A break does nothing on the simulated boards."""

    @property
    def in_waiting(self) -> int:
        try:
            return self.device.in_waiting()
        except DeviceGone as exc:
            raise SerialException(str(exc)) from exc

    def read(self, size: int = 1) -> bytes:
        timeout = Timeout(self._timeout)
        try:
            return self.device.read(size, None if timeout.is_infinite else timeout.time_left())
        except DeviceGone as exc:
            raise SerialException(str(exc)) from exc

    def read_available(self, wait_s: float) -> bytes:
        """Everything that has arrived, waiting up to ``wait_s`` for the first byte (PortIO)."""
        try:
            return self.device.read_available(wait_s)
        except DeviceGone as exc:
            raise SerialException(str(exc)) from exc

    def write(self, data: bytes) -> int:
        try:
            self.device.write(bytes(data), self._write_timeout)
        except DeviceGone as exc:
            raise SerialException(str(exc)) from exc
        except WriteTimeout as exc:
            raise SerialTimeoutException(str(exc)) from exc
        return len(data)

    def reset_input_buffer(self) -> None:
        self.device.discard_input()

    def reset_output_buffer(self) -> None:
        """Written bytes are already on the simulated wire."""
