"""Built-in profiles for the board families people actually plug in, each with its reason.

Why presets at all: the protocol is the same on every board, but the time it takes to answer
is not. A board behind a USB-UART bridge (most ESP32/ESP8266 devkits) pays the bridge's
latency on every reply and is reset by DTR/RTS when the port opens; a board on native USB
(RP2040, STM32 pyboard) answers within a USB frame and keeps running when the port opens.
One set of timeouts cannot be both fast on the second and reliable on the first.

The values draw on the simulated boards (:mod:`workbench.sim.boards`: boot times, bridge
latency) and on the .NET library's per-device settings (longer startup and interrupt delays
and more retries for ESP boards and CircuitPython). ``docs/profiles.md`` has the same table
for people; keep the two in step.

The raw-paste window is left to the board (``window_size_override`` None) everywhere: the
board announces the window its buffer can take, and capping it only costs round trips. The
.NET library's smaller "preferred window" works around its own flow-control bugs.
"""

from __future__ import annotations

from workbench.profiles.schema import DeviceProfile
from workbench.protocol.records import Record, record

__all__ = ["PRESETS", "PRESET_NAMES", "Preset", "get_preset", "preset_reason"]


@record
class Preset(Record):
    """A built-in profile and why its values are what they are (shown in the UI and docs)."""

    profile: DeviceProfile
    reason: str

    @property
    def name(self) -> str:
        return self.profile.name


_PRESET_LIST: tuple[Preset, ...] = (
    Preset(
        DeviceProfile(name="generic", description="any MicroPython board; the engine's defaults", verify_code="auto"),
        "Unknown hardware: the engine's defaults, which suit native USB and the local interpreter. "
        "Raw paste is asked for once and plain raw mode used if the board refuses; code sent in "
        "plain raw mode, which has no flow control, is checked by the board before it runs "
        "(verify_code auto).",
    ),
    Preset(
        DeviceProfile(
            name="esp32",
            description="ESP32 devkit behind a CP210x/CH340/CH9102 USB-UART bridge",
            startup_delay_s=2.0,
            interrupt_delay_s=0.2,
            response_timeout_s=5.0,
            reset_timeout_s=15.0,
            chunk_size=128,
            chunk_delay_s=0.02,
            retries=5,
            dtr=False,
            rts=False,
            verify_code="always",
        ),
        "The USB-UART bridge adds milliseconds to every reply and buffers output, so CTRL-C needs a "
        "longer quiet time and replies a longer timeout. DTR/RTS drive EN/IO0 (esptool's auto-reset "
        "circuit): opening the port can reset the board, so both lines are held released (the run "
        "state for both common circuits) and the first byte waits out the ROM boot messages. "
        "Plain-raw chunks fit the 128-byte half of MicroPython's stdin buffer. Bridges lose bytes "
        "under load and the protocol has no checksum, so the board checks the code before it runs "
        "(verify_code: one more round trip).",
    ),
    Preset(
        DeviceProfile(
            name="esp8266",
            description="ESP8266 (NodeMCU, Wemos D1) behind a CH340/CP210x bridge",
            startup_delay_s=2.5,
            interrupt_delay_s=0.3,
            response_timeout_s=6.0,
            reset_timeout_s=15.0,
            chunk_size=64,
            chunk_delay_s=0.03,
            retries=5,
            dtr=False,
            rts=False,
            verify_code="always",
        ),
        "Like the ESP32 (bridge latency, reset on open through DTR/RTS) but with a slower CPU, "
        "about 38 KB of free RAM and a ROM that first talks at 74880 baud, so every wait is longer "
        "and plain-raw chunks are smaller. Old firmware (before 1.14) has no raw paste; auto falls "
        "back to plain raw mode, which has no flow control at all: the board checks the code "
        "before it runs (verify_code).",
    ),
    Preset(
        DeviceProfile(
            name="rp2040",
            description="Raspberry Pi Pico / RP2040 / RP2350 on native USB CDC",
            startup_delay_s=0.2,
            interrupt_delay_s=0.1,
            response_timeout_s=3.0,
            reset_timeout_s=10.0,
            chunk_size=256,
            chunk_delay_s=0.01,
            retries=3,
            verify_code="auto",
        ),
        "Native USB: no bridge latency and opening the port does not reset the board, so short "
        "waits are safe. A little slack over stm32 because a hard reset re-enumerates USB and "
        "the port comes back later.",
    ),
    Preset(
        DeviceProfile(
            name="stm32",
            description="Pyboard / STM32 on native USB CDC",
            startup_delay_s=0.1,
            interrupt_delay_s=0.05,
            response_timeout_s=2.0,
            reset_timeout_s=10.0,
            chunk_size=256,
            chunk_delay_s=0.005,
            retries=2,
            verify_code="auto",
        ),
        "Native USB with large buffers and fast, reliable flow control: the reference port of "
        "MicroPython answers quickly, so the shortest delays and timeouts, and bigger chunks.",
    ),
    Preset(
        DeviceProfile(
            name="circuitpython",
            description="CircuitPython board (Adafruit and others), native USB",
            startup_delay_s=1.5,
            interrupt_delay_s=0.3,
            response_timeout_s=5.0,
            reset_timeout_s=20.0,
            chunk_size=64,
            chunk_delay_s=0.02,
            retries=5,
            verify_code="auto",
        ),
        "CircuitPython prints its own banners (auto-reload, 'Code done running', 'Press any key to "
        "enter the REPL') and may be running code.py when the port opens, so interrupting takes "
        "longer and needs more retries; a reload re-runs code.py and re-mounts CIRCUITPY, hence the "
        "long reset timeout. Raw-paste support varies by version: auto asks and falls back.",
    ),
)

#: Built-in presets by name, in the order the UI lists them.
PRESETS: dict[str, Preset] = {preset.name: preset for preset in _PRESET_LIST}
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)


def get_preset(name: str) -> DeviceProfile | None:
    """The built-in profile called ``name``, or None."""
    preset = PRESETS.get(name)
    return preset.profile if preset is not None else None


def preset_reason(name: str) -> str | None:
    """Why the built-in preset ``name`` has its values, or None for an unknown name."""
    preset = PRESETS.get(name)
    return preset.reason if preset is not None else None
