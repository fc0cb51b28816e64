"""The user's settings and where the configuration folder is.

Settings are preferences that outlive one run of the app: the theme, boards that reconnect
by themselves, and named devices (the ``[devices]`` table, see
:mod:`workbench.discovery.names`). The configuration folder (:func:`config_dir`) also holds
the profiles file (:mod:`workbench.profiles.store`) and the user's themes.

Why a module of its own: settings are read at start-up before any widget exists and written
whenever the user changes a preference, so loading must never fail (a broken file must not
stop the app from starting) and saving must never leave a half-written file behind (a crash
or a full disk mid-write would otherwise lose every preference). A file we could not read is
the user's: we report it and leave it alone rather than replace it with our defaults.

The file is TOML, read and written by :mod:`workbench.tomlfiles` (which keeps keys this
version does not know about, written by a newer version or by hand, as they are) and saved
atomically by :mod:`workbench.storage`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs

from workbench.storage import atomic_write_text
from workbench.tomlfiles import dumps_toml, read_toml_file

__all__ = [
    "CONFIG_DIR_ENV",
    "SETTINGS_FILE_NAME",
    "STATE_DIR_ENV",
    "Settings",
    "config_dir",
    "settings_path",
    "state_dir",
]

#: Environment variable that moves the whole configuration directory (tests, portable installs).
CONFIG_DIR_ENV = "WORKBENCH_CONFIG_DIR"
#: Name of the settings file inside :func:`config_dir`.
SETTINGS_FILE_NAME = "settings.toml"
#: Environment variable that moves the state directory (tests, portable installs).
STATE_DIR_ENV = "WORKBENCH_STATE_DIR"

def config_dir() -> Path:
    """Where the workbench keeps its configuration.

    ``WORKBENCH_CONFIG_DIR`` wins when set (so tests and portable setups never touch the real
    user directory); otherwise the platform's convention via platformdirs
    (``~/.config/workbench`` on Linux, ``~/Library/Application Support/workbench`` on macOS,
    ``%LOCALAPPDATA%\\workbench`` on Windows).
    """
    override = os.environ.get(CONFIG_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("workbench", appauthor=False))


def state_dir() -> Path:
    """Where the workbench keeps what it remembers but nobody set: editor recovery copies and
    what it learned about each board.

    State, not configuration (a person never edits it) and not cache (a cache cleaner must not
    throw away unsaved text). ``WORKBENCH_STATE_DIR`` wins when set; otherwise the platform's
    state folder (``~/.local/state/workbench`` on Linux).
    """
    override = os.environ.get(STATE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_state_dir("workbench", appauthor=False))


def settings_path() -> Path:
    """The settings file used when :meth:`Settings.load` is given no path."""
    return config_dir() / SETTINGS_FILE_NAME


class Settings:
    """UI preferences, loaded leniently and saved atomically.

    ``problems`` collects messages meant for the user (show them as notifications): a file
    that could not be read or parsed, a value of the wrong type, a save that failed. After a
    failed load the defaults are in force and :meth:`save` refuses to write, so the user's
    file is never replaced by one that silently lost their settings.
    """

    def __init__(self, path: Path | None = None, *, theme: str | None = None) -> None:
        self.path: Path = Path(path) if path is not None else settings_path()
        self.theme: str | None = theme
        """Name of the theme the user picked last, or None for the app's default."""
        self.devices: dict[str, str] = {}
        """Named devices from the ``[devices]`` table (name -> URL). Read only: the file is the
        user's to edit, and the table is written back as it was read."""
        self.auto_reconnect: list[str] = []
        """Device keys ("serial:<USB serial number>" or "url:<URL>") that reconnect by themselves."""
        self.problems: list[str] = []
        self._extra: dict[str, Any] = {}  # keys we do not manage, written back unchanged
        self._refuse_save: str | None = None  # why saving would destroy the user's file

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read settings from ``path`` (default :func:`settings_path`); never raises.

        A missing file simply means defaults. An unreadable or malformed file gives a problem
        naming the file and what is wrong, and defaults are used.
        """
        settings = cls(path)
        data, problem = read_toml_file(settings.path, "settings file")
        if problem is not None:
            settings._refuse(problem)
        elif data is not None:
            settings._take(data)
        return settings

    def _refuse(self, problem: str) -> None:
        """Record a load failure and protect the file from being overwritten."""
        self._refuse_save = problem
        self.problems.append(
            f"{problem}; using default settings and leaving the file as it is (fix or delete it to "
            "save settings again)"
        )

    def _take(self, data: dict[str, Any]) -> None:
        """Adopt the values we know, keep the rest for writing back."""
        extra = dict(data)
        if "theme" in extra:
            value = extra["theme"]
            if isinstance(value, str) and value.strip():
                self.theme = value.strip()
                del extra["theme"]
            else:
                # Kept in ``_extra`` so a save without a new choice does not erase it.
                self.problems.append(
                    f"settings file {self.path}: 'theme' must be a theme name (a non-empty string), "
                    f"not {value!r}; using the default theme"
                )
        if "auto_reconnect" in extra:
            value = extra["auto_reconnect"]
            if isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value):
                self.auto_reconnect = [item.strip() for item in value]
                del extra["auto_reconnect"]
            else:
                self.problems.append(
                    f"settings file {self.path}: 'auto_reconnect' must be a list of device keys such as "
                    f"\"url:sim://esp32\", not {value!r}; no board reconnects by itself"
                )
        if "devices" in extra:
            # Left in ``_extra``: the app never changes the table, so a save writes it back
            # exactly as the user wrote it, bad entries included.
            from workbench.discovery.names import parse_device_table

            self.devices, problems = parse_device_table(extra["devices"], f"settings file {self.path}")
            self.problems.extend(problems)
        self._extra = extra

    def to_dict(self) -> dict[str, Any]:
        """Everything :meth:`save` would write: unknown keys kept, known keys as set now."""
        data = dict(self._extra)
        if self.theme is not None:
            data["theme"] = self.theme
        if self.auto_reconnect:
            data["auto_reconnect"] = list(self.auto_reconnect)
        return data

    def save(self) -> bool:
        """Write the settings atomically; returns False (and records a problem) if it did not.

        Refuses when the file could not be read at load time: writing would replace the
        user's file (maybe one typo away from valid) with defaults.
        """
        if self._refuse_save is not None:
            self._add_problem(f"settings not saved: {self._refuse_save}")
            return False
        try:
            text = dumps_toml(self.to_dict())
        except (ValueError, TypeError) as exc:
            self._add_problem(f"settings not saved to {self.path}: {exc}")
            return False
        header = "# workbench settings; the app rewrites this file, so edit it while the app is not running.\n"
        try:
            atomic_write_text(self.path, header + text)
        except OSError as exc:
            self._add_problem(f"could not save settings to {self.path}: {exc.strerror or exc}")
            return False
        return True

    def _add_problem(self, problem: str) -> None:
        """Record a problem once: saving on every theme change must not pile up duplicates."""
        if problem not in self.problems:
            self.problems.append(problem)

    def __repr__(self) -> str:
        return f"Settings(path={str(self.path)!r}, theme={self.theme!r}, problems={len(self.problems)})"
