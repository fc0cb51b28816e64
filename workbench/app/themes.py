"""The workbench's colour themes: bundled TOML files plus any the user drops in.

Why themes are data files and not Python: users (and people with particular accessibility
needs) can copy a file, change a few colours and drop it into ``config_dir()/themes/``
without touching code. Because those files are hand-written, loading is forgiving: a bad file
gives a problem naming the file and the field, and every other theme still loads. A value
Textual would choke on later (a colour it cannot parse, a variable its CSS tokenizer rejects)
is caught here, because a bad theme would otherwise crash the app the moment it is chosen.

Widgets never use literal colours: they use theme variables (``$primary``, ``$text-error``,
...), so every theme, including high contrast, applies everywhere.

Bundled themes live in ``workbench/app/themes/`` (next to this module, installed with the
package). The directory has no ``__init__.py`` on purpose: it is data, and this module keeps
the name ``workbench.app.themes``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from textual.color import Color, ColorParseError
from textual.css.tokenize import tokenize_value
from textual.css.tokenizer import TokenError
from textual.theme import BUILTIN_THEMES, Theme

from workbench.config import Settings, config_dir
from workbench.tomlfiles import parse_toml, read_user_text

__all__ = [
    "BUNDLED_THEMES_DIR",
    "DEFAULT_THEME",
    "ThemeFileError",
    "apply_saved_theme",
    "load_theme_file",
    "load_themes",
    "register_themes",
    "remember_theme",
    "theme_label",
    "user_themes_dir",
    "workbench_theme_names",
]

#: The theme used when the user has not chosen one (or chose one that no longer exists).
DEFAULT_THEME = "workbench-dark"
#: Theme files shipped with the package.
BUNDLED_THEMES_DIR = Path(__file__).resolve().with_name("themes")

_FIELDS = {field.name: field for field in dataclasses.fields(Theme)}
_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_BOOL_FIELDS = ("dark", "ansi")
_FRACTION_FIELDS = ("luminosity_spread", "text_alpha")
_VARIABLE_NAME = re.compile(r"[A-Za-z_-][A-Za-z0-9_-]*")


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the field."""


class _ThemeHost(Protocol):
    """What :func:`register_themes` needs of an app (a Textual ``App``)."""

    def register_theme(self, theme: Theme) -> None: ...


def user_themes_dir() -> Path:
    """Where users put their own theme files: ``<config dir>/themes``."""
    return config_dir() / "themes"


def load_theme_file(path: Path) -> tuple[Theme, list[str]]:
    """Read one theme file; returns the theme and warnings that did not stop it loading.

    Raises :class:`ThemeFileError` when the file cannot be used at all (unreadable, not
    TOML, a missing or invalid field). Unknown fields are only warnings, so a theme written
    for a newer Textual still loads here.
    """
    try:
        text = read_user_text(path)  # a FIFO or device in the themes folder must not hang start-up
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ThemeFileError(f"theme file {path}: could not read it: {reason}") from exc
    try:
        data = parse_toml(text)
    except ValueError as exc:
        raise ThemeFileError(f"theme file {path}: {exc}") from exc

    warnings: list[str] = []
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _FIELDS:
            known = ", ".join(sorted(_FIELDS))
            warnings.append(f"theme file {path}: unknown field {key!r} ignored (known fields: {known})")
            continue
        kwargs[key] = _check_field(path, key, value)
    for required in ("name", "primary"):
        if required not in kwargs:
            raise ThemeFileError(f"theme file {path}: missing required field {required!r}")
    return Theme(**kwargs), warnings


def _check_field(path: Path, key: str, value: Any) -> Any:
    """Validate one field's value; returns it as :class:`Theme` wants it."""

    def bad(expected: str) -> ThemeFileError:
        return ThemeFileError(f"theme file {path}: field {key!r} must be {expected}, not {value!r}")

    if key == "name":
        if not isinstance(value, str) or not value.strip() or "," in value:
            raise bad("a non-empty name without commas")
        return value.strip()
    if key in _COLOUR_FIELDS:
        if not isinstance(value, str):
            raise bad('a colour string such as "#1e90ff"')
        try:
            Color.parse(value)
        except ColorParseError as exc:
            raise ThemeFileError(f"theme file {path}: field {key!r}: {exc}") from exc
        return value
    if key in _BOOL_FIELDS:
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if key in _FRACTION_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise bad("a number from 0 to 1")
        return float(value)
    if key == "variables":
        if not isinstance(value, dict):
            raise bad("a table of CSS variable names and values ([variables])")
        return {name: _check_variable(path, name, item) for name, item in value.items()}
    raise bad("a value this version can check")  # a Theme field added in a newer Textual


def _check_variable(path: Path, name: str, value: Any) -> str:
    """A CSS variable must tokenize: Textual raises on a bad one when the theme is applied."""
    where = f"theme file {path}: field 'variables.{name}'"
    if not _VARIABLE_NAME.fullmatch(name):
        raise ThemeFileError(f"{where}: not a valid CSS variable name")
    if not isinstance(value, str) or not value.strip():
        raise ThemeFileError(f"{where} must be a CSS value string such as \"#1e90ff 40%\", not {value!r}")
    try:
        list(tokenize_value(value, ("__name__", "")))
    except TokenError as exc:
        raise ThemeFileError(f"{where}: not a valid CSS value: {value!r}") from exc
    return value


def load_themes(extra_dir: Path | None = None) -> tuple[list[Theme], list[str]]:
    """Bundled themes, then the ``*.toml`` files in ``extra_dir`` (default :func:`user_themes_dir`).

    Returns the themes and the problems. A file with the same theme name as an earlier one
    replaces it: that is how a user customises a bundled theme. A missing ``extra_dir`` is
    normal (most users have none) and is not a problem.
    """
    by_name: dict[str, Theme] = {}
    problems: list[str] = []
    directories = [BUNDLED_THEMES_DIR, extra_dir if extra_dir is not None else user_themes_dir()]
    for directory in directories:
        for path in _theme_files(directory, problems):
            try:
                theme, warnings = load_theme_file(path)
            except ThemeFileError as exc:
                problems.append(f"{exc}; theme not loaded")
                continue
            problems.extend(warnings)
            by_name[theme.name] = theme
    return list(by_name.values()), problems


def _theme_files(directory: Path, problems: list[str]) -> list[Path]:
    """The theme files in ``directory``, sorted so the load order is the same everywhere."""
    if not directory.exists():
        return []
    try:
        return sorted(path for path in directory.glob("*.toml") if path.is_file())
    except OSError as exc:
        problems.append(f"could not list theme directory {directory}: {exc.strerror or exc}")
        return []


def register_themes(app: _ThemeHost, extra_dir: Path | None = None) -> list[str]:
    """Register every theme :func:`load_themes` finds with ``app``; returns the problems.

    Call it before setting ``app.theme`` (Textual only accepts registered names), e.g. in
    ``App.__init__`` or ``on_mount``, and show the problems as notifications.
    """
    themes, problems = load_themes(extra_dir)
    for theme in themes:
        app.register_theme(theme)
    return problems


def workbench_theme_names(available: Iterable[str]) -> list[str]:
    """The themes the workbench offers: its own and the user's, not Textual's built-in ones
    (those were not checked for contrast against the trace's colours)."""
    return sorted(name for name in available if name not in BUILTIN_THEMES)


def theme_label(name: str) -> str:
    """A theme's name as a person reads it: ``workbench-high-contrast`` -> ``Workbench high contrast``."""
    words = name.replace("_", "-").split("-")
    return " ".join(words).strip().capitalize() or name


def apply_saved_theme(app: Any, settings: Settings) -> list[str]:
    """Switch ``app`` to the theme in ``settings``, or to :data:`DEFAULT_THEME`.

    A saved name that is no longer available (a user theme file was deleted) gives a
    problem and the default instead of an exception at start-up.
    """
    problems: list[str] = []
    wanted = settings.theme or DEFAULT_THEME
    if wanted not in app.available_themes:
        if settings.theme is not None:
            problems.append(f"theme {wanted!r} from {settings.path} is not available; using {DEFAULT_THEME!r}")
        wanted = DEFAULT_THEME
    if wanted in app.available_themes:
        app.theme = wanted
    return problems


def remember_theme(settings: Settings, name: str) -> None:
    """Store ``name`` as the user's theme and save, unless it is already stored.

    Meant to be called from the app when ``App.theme`` changes. Saving problems end up in
    ``settings.problems`` rather than raising: a read-only config directory must not make
    theme switching fail.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a theme name must be a non-empty string, not {name!r}")
    if settings.theme == name:
        return
    settings.theme = name
    settings.save()
