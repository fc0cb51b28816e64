"""Device profiles: per-board protocol settings, built-in presets, saved profiles, matching.

Why: boards differ in how fast they answer (USB bridges, reset on open, CircuitPython's
banners), so the engine's timings must follow the device. See ``docs/profiles.md``.
"""

from __future__ import annotations

from workbench.profiles.choice import (
    ProfileChoice,
    choose_after_fingerprint,
    choose_before_connect,
    refine_by_fingerprint,
)
from workbench.profiles.matching import (
    PLATFORM_PRESETS,
    choose_profile,
    device_key,
    find_port,
    preset_for_platform,
    saved_profile,
    storage_key,
)
from workbench.profiles.presets import PRESET_NAMES, PRESETS, Preset, get_preset, preset_reason
from workbench.profiles.schema import (
    FIELD_HELP,
    FIELD_NAMES,
    DeviceProfile,
    ProfileError,
    format_field,
    from_seed_settings,
    validate_field,
)
from workbench.profiles.store import (
    PROFILES_FILE_NAME,
    ProfileStore,
    export_profile,
    import_profile,
    normalise_key,
    preset_key,
    profiles_path,
    serial_key,
    url_key,
    usb_key,
)

__all__ = [
    "FIELD_HELP",
    "FIELD_NAMES",
    "PLATFORM_PRESETS",
    "PRESETS",
    "PRESET_NAMES",
    "PROFILES_FILE_NAME",
    "DeviceProfile",
    "Preset",
    "ProfileChoice",
    "ProfileError",
    "ProfileStore",
    "choose_after_fingerprint",
    "choose_before_connect",
    "choose_profile",
    "device_key",
    "export_profile",
    "find_port",
    "format_field",
    "from_seed_settings",
    "get_preset",
    "import_profile",
    "normalise_key",
    "preset_for_platform",
    "preset_key",
    "preset_reason",
    "profiles_path",
    "refine_by_fingerprint",
    "saved_profile",
    "serial_key",
    "storage_key",
    "url_key",
    "usb_key",
    "validate_field",
]
