"""Preferences that outlive one run of the app: the theme, boards that reconnect by
themselves, and named devices (the ``[devices]`` table, see :mod:`workbench.discovery.names`).

Why a module of its own: settings are read at start-up before any widget exists and written
whenever the user changes a preference, so loading must never fail (a broken file must not
stop the app from starting) and saving must never leave a half-written file behind (a crash
or a full disk mid-write would otherwise lose every preference). A file we could not read is
the user's: we report it and leave it alone rather than replace it with our defaults.

The file is TOML (read with :mod:`tomllib`). Python has no TOML writer in the standard
library, so :func:`dumps_toml` writes the small subset settings need; keys this version does
not know about (written by a newer version, or added by hand) are kept as they are.
"""

from __future__ import annotations

import datetime as _dt
import errno
import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

from workbench.storage import atomic_write_text

__all__ = [
    "CONFIG_DIR_ENV",
    "MAX_TOML_DEPTH",
    "SETTINGS_FILE_NAME",
    "Settings",
    "config_dir",
    "dumps_toml",
    "parse_toml",
    "read_toml_file",
    "read_user_text",
    "settings_path",
]

#: Environment variable that moves the whole configuration directory (tests, portable installs).
CONFIG_DIR_ENV = "WORKBENCH_CONFIG_DIR"
#: Name of the settings file inside :func:`config_dir`.
SETTINGS_FILE_NAME = "settings.toml"

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


#: Deeper nesting than this in a settings or profiles file is refused: no setting nests more
#: than a few levels, and Python's parser and our writer recurse (RecursionError otherwise).
MAX_TOML_DEPTH = 32


class NotARegularFile(OSError):
    """The path is a FIFO, a device, a socket or a directory: reading it could block forever
    (a FIFO with no writer) or mean nothing, so it is refused before anything is read."""


def read_user_text(path: Path) -> str:
    """The text of a file the user keeps (settings, profiles, a trace), read without hanging.

    Opened non-blocking and checked with ``fstat`` on the open descriptor (no window between
    the check and the read): anything but a regular file raises :class:`NotARegularFile`.
    Raises OSError (FileNotFoundError when absent) or UnicodeDecodeError otherwise.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(errno.EINVAL, f"not a regular file ({_file_kind(mode)})")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as handle:
            fd = -1  # the handle owns it now
            data = handle.read()
    finally:
        if fd >= 0:
            os.close(fd)
    return data.decode("utf-8")


def _file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML the user wrote; ValueError with the reason (bad TOML, nested too deeply)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"is not valid TOML: {exc}") from exc
    except RecursionError:
        raise ValueError(f"is nested too deeply to read (more than {MAX_TOML_DEPTH} levels)") from None
    if nesting_depth(data) > MAX_TOML_DEPTH:
        raise ValueError(f"is nested too deeply to read (more than {MAX_TOML_DEPTH} levels)")
    return data


def nesting_depth(value: Any) -> int:
    """How deeply tables and arrays nest in ``value`` (0 for a scalar), without recursing."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        if isinstance(item, Mapping):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list | tuple):
            pending.extend((child, depth + 1) for child in item)
    return deepest


def read_toml_file(path: Path, what: str) -> tuple[dict[str, Any] | None, str | None]:
    """Read a TOML file: ``(data, None)``, ``(None, None)`` when it does not exist, or
    ``(None, problem)`` naming the file and what is wrong (never raises).
    """
    try:
        text = read_user_text(path)
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, f"could not read {what} {path}: {reason}"
    try:
        return parse_toml(text), None
    except ValueError as exc:
        return None, f"{what} {path} {exc}"


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




# --------------------------------------------------------------------------- TOML writer


def dumps_toml(data: Mapping[str, Any]) -> str:
    """TOML text for ``data``: str, int, float, bool, dates, arrays of those, and tables.

    Enough for settings (and for keeping unknown keys that ``tomllib`` read); anything else,
    such as arrays of tables, raises ValueError (TypeError for a non-string key) naming the key rather than writing a file
    that would read back differently. The output is checked by parsing it again.
    """
    lines: list[str] = []
    _write_table(lines, data, ())
    text = "\n".join(lines).strip("\n") + "\n" if lines else ""
    if tomllib.loads(text) != _normalised(data):
        raise ValueError("the settings do not survive a round trip through TOML")
    return text


def _write_table(lines: list[str], table: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
    """Scalars of ``table`` under its header, then each sub-table as its own section."""
    scalars = [(key, value) for key, value in table.items() if not isinstance(value, Mapping)]
    tables = [(key, value) for key, value in table.items() if isinstance(value, Mapping)]
    if prefix and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_key(part) for part in prefix) + "]")
    for key, value in scalars:
        if not isinstance(key, str):
            raise TypeError(f"key {key!r} is not a string")
        lines.append(f"{_key(key)} = {_value(value, '.'.join((*prefix, key)))}")
    for key, value in tables:
        _write_table(lines, value, (*prefix, key))


def _key(key: str) -> str:
    """A bare key when TOML allows it, a quoted one otherwise."""
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any, where: str) -> str:
    """One TOML value; ``where`` names the key in the error for unsupported types."""
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        if any(isinstance(item, Mapping) for item in value):
            raise ValueError(f"{where}: arrays of tables are not supported by the settings writer")
        return "[" + ", ".join(_value(item, where) for item in value) + "]"
    raise ValueError(f"{where}: cannot store a value of type {type(value).__name__} in TOML")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _normalised(value: Any) -> Any:
    """``value`` as tomllib would return it (tuples become lists), for the round-trip check."""
    if isinstance(value, Mapping):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalised(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return _NanEqual()
    return value


class _NanEqual:
    """Stands in for NaN in the round-trip check (NaN is never equal to itself)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, float) and math.isnan(other)

    __hash__ = None  # type: ignore[assignment]
