"""Themes: bundled files load and register, bad user files are reported, the choice is remembered."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.theme import Theme
from textual.widgets import Label

from workbench.app.themes import (
    BUNDLED_THEMES_DIR,
    DEFAULT_THEME,
    ThemeFileError,
    apply_saved_theme,
    load_theme_file,
    load_themes,
    register_themes,
    remember_theme,
    user_themes_dir,
)
from workbench.config import Settings

BUNDLED = ("workbench-dark", "workbench-light", "workbench-high-contrast")
THEME_FIELDS = {field.name for field in dataclasses.fields(Theme)}


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(directory))
    return directory


class ThemedApp(App[None]):
    """A minimal app with the workbench themes registered, as the real app does it."""

    def __init__(self, extra_dir: Path | None = None) -> None:
        super().__init__()
        self.theme_problems = register_themes(self, extra_dir)

    def compose(self) -> ComposeResult:
        yield Label("hello")


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an opaque colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    parsed = Color.parse(colour)
    return 0.2126 * channel(parsed.r) + 0.7152 * channel(parsed.g) + 0.0722 * channel(parsed.b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- bundled files


def test_the_bundled_files_exist_and_load_without_problems(tmp_path: Path) -> None:
    assert sorted(path.stem for path in BUNDLED_THEMES_DIR.glob("*.toml")) == sorted(BUNDLED)
    themes, problems = load_themes(tmp_path / "none")
    assert problems == []
    assert [theme.name for theme in themes] == sorted(BUNDLED)
    assert DEFAULT_THEME in BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_files_spell_out_the_main_theme_fields(name: str) -> None:
    data = tomllib.loads((BUNDLED_THEMES_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    assert data["name"] == name
    assert set(data) <= THEME_FIELDS
    wanted = {"primary", "secondary", "accent", "foreground", "background", "surface", "panel"}
    wanted |= {"warning", "error", "success", "dark", "variables"}
    assert wanted <= set(data)


@pytest.mark.parametrize("name", BUNDLED)
def test_text_on_background_meets_wcag_aa(name: str) -> None:
    theme, _warnings = load_theme_file(BUNDLED_THEMES_DIR / f"{name}.toml")
    assert theme.foreground is not None and theme.background is not None
    assert contrast(theme.foreground, theme.background) >= 4.5
    assert contrast(theme.foreground, theme.surface or theme.background) >= 4.5


def test_high_contrast_is_black_and_white_with_legible_accents() -> None:
    theme, _warnings = load_theme_file(BUNDLED_THEMES_DIR / "workbench-high-contrast.toml")
    assert Color.parse(theme.background or "") == Color.parse("#000000")
    assert Color.parse(theme.foreground or "") == Color.parse("#ffffff")
    colours = {
        key: getattr(theme, key) for key in ("primary", "secondary", "accent", "warning", "error", "success")
    }
    for key, value in colours.items():
        assert contrast(value, "#000000") >= 4.5, key
    assert len({Color.parse(value) for value in colours.values()}) == len(colours)  # distinct
    for key in ("text", "text-muted", "text-disabled", "text-error", "text-success", "text-warning"):
        assert contrast(theme.variables[key], "#000000") >= 4.5, key
        assert contrast(theme.variables[key], theme.panel or "") >= 4.5, key
    assert contrast(theme.variables["block-cursor-foreground"], theme.variables["block-cursor-background"]) >= 7


async def test_every_bundled_theme_registers_and_applies(tmp_path: Path) -> None:
    app = ThemedApp(tmp_path / "none")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme_problems == []
        for name in BUNDLED:
            assert name in app.available_themes
            app.theme = name
            await pilot.pause()
            assert app.current_theme.name == name
            expected = Color.parse(app.available_themes[name].background or "")
            assert Color.parse(app.get_css_variables()["background"]) == expected


async def test_switching_to_the_light_theme(tmp_path: Path) -> None:
    app = ThemedApp(tmp_path / "none")
    async with app.run_test(size=(160, 50)) as pilot:
        app.theme = DEFAULT_THEME
        await pilot.pause()
        app.theme = "workbench-light"
        await pilot.pause()
        assert app.current_theme.dark is False
        assert "-light-mode" in app.classes
        assert Color.parse(app.get_css_variables()["background"]) == Color.parse("#f4f5f7")


# --------------------------------------------------------------------------- user files


GOOD_EXTRA = 'name = "my-theme"\nprimary = "#ff8800"\ndark = true\n'


def test_user_themes_come_from_the_config_dir(isolated_config: Path) -> None:
    assert user_themes_dir() == isolated_config / "themes"
    write(isolated_config / "themes", "mine.toml", GOOD_EXTRA)
    themes, problems = load_themes()
    assert problems == []
    assert "my-theme" in [theme.name for theme in themes]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('name = "bad"\nprimary = "#12"\n', "'primary'"),
        ('name = "bad"\nprimary = "#ffffff"\nerror = "not-a-colour"\n', "'error'"),
        ('name = "bad"\nprimary = "#ffffff"\ndark = "yes"\n', "'dark'"),
        ('name = "bad"\nprimary = "#ffffff"\ntext_alpha = 3\n', "'text_alpha'"),
        ('name = "bad"\nprimary = "#ffffff"\nvariables = 1\n', "'variables'"),
        ('name = "bad"\nprimary = "#ffffff"\n[variables]\n"text-muted" = "??"\n', "'variables.text-muted'"),
        ('name = "bad"\nprimary = "#ffffff"\n[variables]\n"text-muted" = 5\n', "'variables.text-muted'"),
        ('name = "bad"\n', "'primary'"),
        ('primary = "#ffffff"\n', "'name'"),
        ('name = ""\nprimary = "#ffffff"\n', "'name'"),
        ('name = "bad\nprimary = "#ffffff"\n', "not valid TOML"),
    ],
)
def test_a_malformed_theme_file_names_file_and_field_and_others_still_load(
    tmp_path: Path, text: str, field: str
) -> None:
    extra = tmp_path / "themes"
    bad = write(extra, "bad.toml", text)
    write(extra, "good.toml", GOOD_EXTRA)
    themes, problems = load_themes(extra)
    names = [theme.name for theme in themes]
    assert "bad" not in names
    assert set(BUNDLED) | {"my-theme"} <= set(names)
    assert len(problems) == 1
    assert str(bad) in problems[0]
    assert field in problems[0]


def test_load_theme_file_raises_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", 'name = "x"\nprimary = 7\n')
    with pytest.raises(ThemeFileError, match=r"x\.toml: field 'primary' must be a colour string"):
        load_theme_file(path)


def test_an_unreadable_theme_file_is_a_problem(tmp_path: Path) -> None:
    extra = tmp_path / "themes"
    (extra / "folder.toml").mkdir(parents=True)
    _themes, problems = load_themes(extra)
    assert len(problems) == 0  # directories named *.toml are skipped, not read
    write(extra, "latin1.toml", "").write_bytes(b'name = "caf\xe9"\nprimary = "#fff"\n')
    _themes, problems = load_themes(extra)
    assert len(problems) == 1 and "latin1.toml" in problems[0] and "could not read" in problems[0]


def test_unknown_fields_are_warnings_and_the_theme_still_loads(tmp_path: Path) -> None:
    extra = tmp_path / "themes"
    path = write(extra, "typo.toml", GOOD_EXTRA + 'backgrond = "#000000"\n')
    themes, problems = load_themes(extra)
    assert "my-theme" in [theme.name for theme in themes]
    assert len(problems) == 1
    assert str(path) in problems[0] and "'backgrond'" in problems[0]


def test_a_user_file_can_replace_a_bundled_theme(tmp_path: Path) -> None:
    extra = tmp_path / "themes"
    write(extra, "override.toml", 'name = "workbench-dark"\nprimary = "#ff0000"\n')
    themes, problems = load_themes(extra)
    assert problems == []
    (dark,) = [theme for theme in themes if theme.name == "workbench-dark"]
    assert dark.primary == "#ff0000"


async def test_register_themes_reports_problems_and_registers_the_rest(tmp_path: Path) -> None:
    extra = tmp_path / "themes"
    write(extra, "broken.toml", 'name = "broken"\nprimary = "nope"\n')
    write(extra, "good.toml", GOOD_EXTRA)
    app = ThemedApp(extra)
    async with app.run_test(size=(80, 24)) as pilot:
        assert len(app.theme_problems) == 1 and "broken.toml" in app.theme_problems[0]
        assert "broken" not in app.available_themes
        app.theme = "my-theme"
        await pilot.pause()
        assert app.current_theme.name == "my-theme"


# --------------------------------------------------------------------------- remembering the choice


def test_remember_theme_saves_the_choice(isolated_config: Path) -> None:
    settings = Settings.load()
    remember_theme(settings, "workbench-light")
    assert Settings.load().theme == "workbench-light"
    with pytest.raises(ValueError, match="non-empty"):
        remember_theme(settings, "")


def test_remember_theme_does_not_rewrite_an_unchanged_choice(isolated_config: Path) -> None:
    settings = Settings.load()
    remember_theme(settings, "workbench-light")
    path = isolated_config / "settings.toml"
    path.write_text('theme = "workbench-light"\n# hand edit\n', encoding="utf-8")
    remember_theme(settings, "workbench-light")
    assert "# hand edit" in path.read_text(encoding="utf-8")


async def test_the_app_applies_the_saved_theme_and_remembers_changes(tmp_path: Path, isolated_config: Path) -> None:
    saved = Settings.load()
    saved.theme = "workbench-high-contrast"
    saved.save()

    settings = Settings.load()
    app = ThemedApp(tmp_path / "none")
    async with app.run_test(size=(80, 24)) as pilot:
        assert apply_saved_theme(app, settings) == []
        await pilot.pause()
        assert app.theme == "workbench-high-contrast"
        # What the integrating app does: remember every later change.
        app.theme_changed_signal.subscribe(app, lambda theme: remember_theme(settings, theme.name))
        app.theme = "workbench-light"
        await pilot.pause()
        await pilot.pause()
    assert Settings.load().theme == "workbench-light"


async def test_a_saved_theme_that_no_longer_exists_falls_back_to_the_default(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.toml", theme="deleted-theme")
    app = ThemedApp(tmp_path / "none")
    async with app.run_test(size=(80, 24)) as pilot:
        problems = apply_saved_theme(app, settings)
        await pilot.pause()
        assert app.theme == DEFAULT_THEME
        assert len(problems) == 1 and "'deleted-theme'" in problems[0]
