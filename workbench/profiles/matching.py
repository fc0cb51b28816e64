"""Which profile a device gets, and a sentence saying why.

Why this order: the more specific the evidence, the more the user meant it. A profile saved
for one board's USB serial number follows that board to any port; one saved for a VID:PID
covers every board of that model (or every devkit with that bridge chip); one saved for a
URL covers whatever is plugged into that port. Only when the user saved nothing do we fall
back on what detection found (``sys.platform`` reported by the board), and finally on the
generic preset. The reason string is shown in the UI so a surprising timeout can be traced
back to the rule that chose it.
"""

from __future__ import annotations

from workbench.discovery.ports import PortInfo
from workbench.profiles.presets import PRESETS
from workbench.profiles.schema import DeviceProfile
from workbench.profiles.store import ProfileStore, serial_key, url_key, usb_key

__all__ = [
    "PLATFORM_PRESETS",
    "choose_profile",
    "device_key",
    "find_port",
    "preset_for_platform",
    "saved_profile",
    "storage_key",
]

#: ``sys.platform`` (as the board reports it) -> preset name. CircuitPython reports the MCU
#: family in capitals ("RP2040") where MicroPython reports its port name ("rp2"), so the
#: match is case-sensitive first.
PLATFORM_PRESETS: dict[str, str] = {
    "esp32": "esp32",
    "esp8266": "esp8266",
    "rp2": "rp2040",
    "pyboard": "stm32",
    "RP2040": "circuitpython",
    "circuitpython": "circuitpython",
}
_LOWER_PLATFORM_PRESETS: dict[str, str] = {"esp32": "esp32", "esp8266": "esp8266", "rp2": "rp2040", "pyboard": "stm32"}


def preset_for_platform(platform: str | None, implementation: str | None = None) -> str | None:
    """The preset name for what detection reported, or None when nothing fits.

    ``implementation`` is ``sys.implementation.name``: "circuitpython" wins over the platform,
    because CircuitPython's banners and reload behaviour matter more than the chip.
    """
    if implementation is not None and implementation.strip().lower() == "circuitpython":
        return "circuitpython"
    if not platform:
        return None
    platform = platform.strip()
    exact = PLATFORM_PRESETS.get(platform)
    if exact is not None:
        return exact
    return _LOWER_PLATFORM_PRESETS.get(platform.lower())


def saved_profile(store: ProfileStore, *, url: str, port: PortInfo | None = None) -> tuple[DeviceProfile, str] | None:
    """The profile the user saved for this device, and why it matched; None if there is none.

    Order: USB serial number, VID:PID, URL (see the module docstring).
    """
    if port is not None and port.serial_number and port.serial_number.strip():
        serial = port.serial_number.strip()
        profile = store.get(serial_key(serial))
        if profile is not None:
            return profile, f"USB serial number {serial}: saved profile {profile.name!r}"
    if port is not None and port.vid is not None and port.pid is not None:
        profile = store.get(usb_key(port.vid, port.pid))
        if profile is not None:
            return profile, f"USB ID {port.vid:04x}:{port.pid:04x}: saved profile {profile.name!r}"
    if url and url.strip():
        profile = store.get(url_key(url))
        if profile is not None:
            return profile, f"URL {url.strip()}: saved profile {profile.name!r}"
    return None


def choose_profile(
    store: ProfileStore,
    *,
    url: str,
    port: PortInfo | None = None,
    platform: str | None = None,
    implementation: str | None = None,
) -> tuple[DeviceProfile, str]:
    """The profile for a device and why it was chosen.

    Order: saved profile for the USB serial number, else for the VID:PID, else for the URL,
    else the preset for the platform detection reported (the user's saved version of that
    preset if any), else the generic preset. Never raises: a store that failed to load simply
    has fewer saved profiles.
    """
    saved = saved_profile(store, url=url, port=port)
    if saved is not None:
        return saved
    name = preset_for_platform(platform, implementation)
    if name is not None:
        profile = store.preset(name)
        if profile is not None:
            mine = " (your saved version)" if store.is_customised_preset(name) else ""
            if platform and preset_for_platform(platform) == name:
                why = f"platform {platform.strip()!r}"
            else:
                why = f"implementation {(implementation or '').strip()!r}"
            return profile, f"preset {name}{mine} for {why}"
    generic = store.preset("generic") or PRESETS["generic"].profile
    mine = " (your saved version)" if store.is_customised_preset("generic") else ""
    if platform:
        why = f"no saved profile for this device and no preset for platform {platform.strip()!r}"
    else:
        why = "no saved profile for this device and no platform detected"
    return generic, f"preset generic{mine}: {why}"


def find_port(url: str, ports: list[PortInfo] | None = None) -> PortInfo | None:
    """The serial port behind ``url`` (its USB serial number and VID:PID), if it is one.

    A URL with a scheme (sim://, spawn://, socket://, rfc2217://) names no local port: the
    ports are not even listed for it."""
    if "://" in url:
        return None
    if ports is None:
        from workbench.discovery.ports import list_ports

        ports = list_ports()
    return next((port for port in ports if port.device == url), None)


def device_key(url: str, serial_number: str | None) -> str:
    """What names one physical board wherever it is plugged in: its USB serial number, else its
    URL ("reconnect automatically" follows a board by it)."""
    if serial_number and serial_number.strip():
        return serial_key(serial_number)
    return url_key(url)


def storage_key(url: str, port: PortInfo | None) -> str:
    """Where a profile saved "for this device" goes: the strongest evidence :func:`choose_profile`
    looks up first (USB serial number, else VID:PID, else the URL), so saving and matching agree.
    """
    if port is not None and port.serial_number and port.serial_number.strip():
        return serial_key(port.serial_number.strip())
    if port is not None and port.vid is not None and port.pid is not None:
        return usb_key(port.vid, port.pid)
    return url_key(url)
