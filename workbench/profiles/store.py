"""Saved device profiles: one TOML file, one table per device key, written atomically.

Why it behaves as it does (the same rules as :class:`workbench.config.Settings`): profiles
are read when a device is opened, so loading must never fail -- a broken file must not stop
anyone from connecting, the presets still work. A file we could not read completely is the
user's (maybe one typo away from valid): we report what is wrong, naming the file, the table
and the field, use what we could read, and refuse to overwrite it until it is fixed. Saving
replaces the file atomically, so a crash mid-write never loses the profiles already saved.

Keys say what a profile is attached to, most specific first (see :mod:`.matching`):

* ``serial:<usb serial number>`` -- one physical board, whichever port it is plugged into;
* ``usb:<vid>:<pid>`` -- every board of a model or bridge chip (lowercase 4-digit hex);
* ``url:<url>`` -- whatever is behind a port name or a network address;
* ``preset:<name>`` -- the user's version of a built-in preset, or a named profile of their own.

The file looks like::

    ["serial:E6605838835B2A2F"]
    name = "desk pico"
    startup_delay_s = 0.2
    ...

Optional settings that are None (no limit, leave the line alone) are left out: TOML has no
null, and an absent optional field means None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from workbench.config import config_dir
from workbench.profiles.presets import PRESETS
from workbench.profiles.schema import DeviceProfile, ProfileError
from workbench.storage import atomic_write_text
from workbench.tomlfiles import dumps_toml, parse_toml, read_toml_file, read_user_text

__all__ = [
    "KEY_KINDS",
    "PROFILES_FILE_NAME",
    "ProfileStore",
    "export_profile",
    "import_profile",
    "normalise_key",
    "preset_key",
    "profiles_path",
    "serial_key",
    "url_key",
    "usb_key",
]

#: Name of the profiles file inside :func:`workbench.config.config_dir`.
PROFILES_FILE_NAME = "profiles.toml"
#: The kinds of device key, most specific first.
KEY_KINDS = ("serial", "usb", "url", "preset")

_HEX_ID = re.compile(r"(?:0x)?([0-9a-fA-F]{1,4})")
_PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_STORE_HEADER = (
    "# workbench device profiles, one table per device key (serial:, usb:, url:, preset:).\n"
    "# The app rewrites this file when profiles are saved: edit it while the app is not running.\n"
)
_EXPORT_HEADER = "# workbench device profile (import it with the workbench; units are in the names)\n"


def profiles_path() -> Path:
    """The profiles file used when :class:`ProfileStore` is given no path."""
    return config_dir() / PROFILES_FILE_NAME


# --------------------------------------------------------------------------- keys


def serial_key(serial_number: str) -> str:
    """Key for one physical board by its USB serial number (kept as the OS reports it)."""
    serial_number = serial_number.strip()
    if not serial_number:
        raise ValueError("a USB serial number key needs a serial number")
    return f"serial:{serial_number}"


def usb_key(vid: int, pid: int) -> str:
    """Key for a USB model: ``usb:2e8a:0005`` (the form ``workbench ports`` shows)."""
    if not (0 <= vid <= 0xFFFF and 0 <= pid <= 0xFFFF):
        raise ValueError(f"USB IDs are 16-bit numbers, not {vid!r}:{pid!r}")
    return f"usb:{vid:04x}:{pid:04x}"


def url_key(url: str) -> str:
    """Key for a device URL or port name (``/dev/ttyUSB0``, ``rfc2217://host:4000``)."""
    url = url.strip()
    if not url:
        raise ValueError("a URL key needs a URL")
    return f"url:{url}"


def preset_key(name: str) -> str:
    """Key for a named profile (overrides the built-in preset of that name)."""
    if not _PRESET_NAME.fullmatch(name):
        raise ValueError(f"preset names are letters, digits, '_', '-' and '.', not {name!r}")
    return f"preset:{name}"


def normalise_key(key: str) -> str:
    """The canonical spelling of a device key; ValueError saying why for a bad one.

    USB IDs are lowercased and zero-padded so ``usb:2E8A:5`` and ``usb:2e8a:0005`` are the
    same device; everything else is kept as written (serial numbers are case-sensitive).
    """
    kind, sep, rest = key.partition(":")
    if not sep or kind not in KEY_KINDS:
        raise ValueError(f"device key {key!r} must start with one of {', '.join(k + ':' for k in KEY_KINDS)}")
    if kind == "serial":
        return serial_key(rest)
    if kind == "url":
        return url_key(rest)
    if kind == "preset":
        return preset_key(rest)
    vid_text, sep, pid_text = rest.partition(":")
    vid_match, pid_match = _HEX_ID.fullmatch(vid_text), _HEX_ID.fullmatch(pid_text)
    if not sep or vid_match is None or pid_match is None:
        raise ValueError(f"device key {key!r} must look like usb:<vid>:<pid> in hex, e.g. usb:2e8a:0005")
    return usb_key(int(vid_match.group(1), 16), int(pid_match.group(1), 16))


# --------------------------------------------------------------------------- TOML helpers


def _profile_table(profile: DeviceProfile) -> dict[str, Any]:
    """The profile as a TOML table: None (no limit, driver default) is absence."""
    return {name: value for name, value in profile.to_dict().items() if value is not None}


def export_profile(profile: DeviceProfile, path: Path | str) -> None:
    """Write one profile to its own TOML file (to share it or keep it in a project).

    Atomic, like the store. Raises OSError when the file cannot be written.
    """
    atomic_write_text(Path(path), _EXPORT_HEADER + dumps_toml(_profile_table(profile)))


def import_profile(path: Path | str) -> DeviceProfile:
    """Read a profile written by :func:`export_profile` (or by hand).

    Raises :class:`ProfileError` for every failure -- unreadable file, bad TOML, bad field --
    with a message naming the file (and the field), so the UI has one thing to catch and show.
    """
    path = Path(path)
    source = f"profile file {path}"
    try:
        text = read_user_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ProfileError(source, [(None, f"could not be read: {reason}")]) from exc
    try:
        data = parse_toml(text)
    except ValueError as exc:
        raise ProfileError(source, [(None, str(exc))]) from exc
    return DeviceProfile.from_dict(data, source=source)


# --------------------------------------------------------------------------- the store


class ProfileStore:
    """Profiles saved per device key, loaded leniently and saved atomically.

    ``problems`` collects messages meant for the user (show them as notifications). After a
    load that found anything wrong, the profiles that could be read are still used (the
    rest of the file falls back to presets) and :meth:`save` / :meth:`remove` refuse to
    write, so the user's file is never replaced by one that silently lost their profiles.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path: Path = Path(path) if path is not None else profiles_path()
        self.problems: list[str] = []
        self._profiles: dict[str, DeviceProfile] = {}
        self._refuse_save: str | None = None  # why saving would destroy the user's file

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: Path | str | None = None) -> ProfileStore:
        """Read profiles from ``path`` (default :func:`profiles_path`); never raises.

        A missing file means no saved profiles, only the presets. An unreadable file, bad
        TOML, a bad key or a bad field gives a problem naming the file (and table and field).
        """
        store = cls(path)
        data, problem = read_toml_file(store.path, "profiles file")
        if problem is not None:
            store._refuse(problem)
        elif data is not None:
            store._take(data)
        return store

    def _take(self, data: Mapping[str, Any]) -> None:
        """Adopt every valid table; each bad one becomes a problem and blocks saving."""
        bad: list[str] = []
        for raw_key, table in data.items():
            where = f"profiles file {self.path}, [{_quote(raw_key)}]"
            try:
                key = normalise_key(raw_key)
            except ValueError as exc:
                bad.append(f"{where}: {exc}")
                continue
            if key in self._profiles:
                bad.append(f"{where}: the same device as an earlier table ({key})")
                continue
            if not isinstance(table, Mapping):
                bad.append(f"{where}: expected a table of settings, not a single value")
                continue
            try:
                self._profiles[key] = DeviceProfile.from_dict(table, source=where)
            except ProfileError as exc:
                bad.append(str(exc))
        if bad:
            self._refuse("; ".join(bad), what="those profiles")

    def _refuse(self, problem: str, *, what: str = "the saved profiles") -> None:
        """Record a load failure and protect the file from being overwritten."""
        self._refuse_save = problem
        self.problems.append(
            f"{problem}; using presets instead of {what} and leaving the file as it is "
            "(fix or delete it to save profiles again)"
        )

    # ------------------------------------------------------------------ reading

    @property
    def profiles(self) -> dict[str, DeviceProfile]:
        """Saved profiles by canonical key (a copy: change them with save/remove)."""
        return dict(self._profiles)

    def get(self, key: str) -> DeviceProfile | None:
        """The profile saved under ``key`` (any spelling :func:`normalise_key` accepts)."""
        try:
            return self._profiles.get(normalise_key(key))
        except ValueError:
            return None

    def preset(self, name: str) -> DeviceProfile | None:
        """The preset called ``name``: the user's saved version if any, else the built-in."""
        saved = self.get(f"preset:{name}")
        if saved is not None:
            return saved
        preset = PRESETS.get(name)
        return preset.profile if preset is not None else None

    def presets(self) -> dict[str, DeviceProfile]:
        """Built-in presets with the user's versions applied, plus the user's own named ones."""
        merged = {name: preset.profile for name, preset in PRESETS.items()}
        for key, profile in self._profiles.items():
            if key.startswith("preset:"):
                merged[key.removeprefix("preset:")] = profile
        return merged

    def is_customised_preset(self, name: str) -> bool:
        """True when the user saved their own version of the preset ``name``."""
        return f"preset:{name}" in self._profiles

    @property
    def can_save(self) -> bool:
        """False after a load that found the file broken (saving would overwrite it)."""
        return self._refuse_save is None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._profiles))

    def __len__(self) -> int:
        return len(self._profiles)

    # ------------------------------------------------------------------ writing

    def save(self, key: str, profile: DeviceProfile) -> bool:
        """Attach ``profile`` to the device ``key`` and write the file atomically.

        Returns False (and records a problem) when nothing was written: the file was broken at
        load time, or the write failed -- then the store is unchanged too. A malformed key is a
        programming error and raises ValueError.
        """
        key = normalise_key(key)
        updated = dict(self._profiles)
        updated[key] = profile
        return self._write(updated, f"profile for {key}")

    def remove(self, key: str) -> bool:
        """Forget the profile for ``key``; True if it was removed (or was not there).

        Refused like :meth:`save` after a broken load: the profile may be in the part of the
        file we could not read, so "not there" cannot be trusted.
        """
        key = normalise_key(key)
        if key not in self._profiles and self._refuse_save is None:
            return True
        updated = dict(self._profiles)
        del updated[key]
        return self._write(updated, f"removal of {key}")

    def _write(self, profiles: dict[str, DeviceProfile], what: str) -> bool:
        """Write ``profiles`` as the whole file; adopt them only if the write succeeded."""
        if self._refuse_save is not None:
            self._add_problem(
                f"{what} not saved: {self.path} could not be fully read when it was loaded, "
                "so writing it would lose what is in it; fix or delete it first"
            )
            return False
        try:
            text = dumps_toml({key: _profile_table(profile) for key, profile in profiles.items()})
            atomic_write_text(self.path, _STORE_HEADER + text)
        except OSError as exc:
            self._add_problem(f"{what} not saved to {self.path}: {exc.strerror or exc}")
            return False
        except (ValueError, TypeError) as exc:
            self._add_problem(f"{what} not saved to {self.path}: {exc}")
            return False
        self._profiles = profiles
        return True

    def _add_problem(self, problem: str) -> None:
        """Record a problem once: repeated saves must not pile up duplicates."""
        if problem not in self.problems:
            self.problems.append(problem)

    # ------------------------------------------------------------------ sharing

    @staticmethod
    def export_profile(profile: DeviceProfile, path: Path | str) -> None:
        """See :func:`export_profile`."""
        export_profile(profile, path)

    @staticmethod
    def import_profile(path: Path | str) -> DeviceProfile:
        """See :func:`import_profile`."""
        return import_profile(path)

    def __repr__(self) -> str:
        return f"ProfileStore(path={str(self.path)!r}, profiles={len(self._profiles)}, problems={len(self.problems)})"


def _quote(key: object) -> str:
    """A table name as the user wrote it in TOML, quoted (device keys contain ':')."""
    return '"' + str(key).replace("\\", "\\\\").replace('"', '\\"') + '"'
