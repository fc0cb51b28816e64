"""Pilot tests of the settings screen: the profile form, Apply / Save / Reset, detection."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input, Static

from tests.functional.test_app import connected, make_app, output_lines, wait_for
from workbench.app.app import WorkbenchApp
from workbench.app.widgets.confirm_dialog import ConfirmDialog
from workbench.app.widgets.profile_form import ProfileForm
from workbench.app.widgets.settings_screen import SettingsScreen
from workbench.profiles import ProfileStore, url_key


async def open_settings(pilot) -> SettingsScreen:
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen))
    return pilot.app.screen


async def type_into(pilot, screen: SettingsScreen, field: str, text: str) -> Input:
    box = screen.query_one(f"#field-{field}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text)
    await pilot.pause()
    return box


def note(screen: SettingsScreen, field: str) -> str:
    return str(screen.query_one(f"#note-{field}", Static).render())


async def test_edit_save_restart_and_the_value_is_back(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot)
        await type_into(pilot, screen, "response_timeout_s", "3.5")
        await pilot.click("#save")
        await wait_for(pilot, lambda: app.active_profile.response_timeout_s == 3.5)
        assert app.session is not None and app.session.profile.response_timeout_s == 3.5  # no reconnect
        assert "saved profile" in str(screen.query_one("#settings-why", Static).render())
    assert ProfileStore.load().get(url_key("sim://generic")).response_timeout_s == 3.5

    again = make_app(tmp_path)
    async with again.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await wait_for(pilot, lambda: again.active_profile.response_timeout_s == 3.5)
        assert again.profile_reason.startswith("URL sim://generic: saved profile")
        assert again.session is not None and again.session.profile.response_timeout_s == 3.5
        screen = await open_settings(pilot)
        assert screen.query_one("#field-response_timeout_s", Input).value == "3.5"


async def test_bad_values_are_refused_with_the_reason_as_you_type(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot)
        box = await type_into(pilot, screen, "chunk_size", "-3")
        assert "must be between 1 and 65536" in note(screen, "chunk_size")
        assert box.has_class("-invalid")
        assert screen.query_one("#save", Button).disabled and screen.query_one("#apply", Button).disabled
        await pilot.press("alt+a")  # the key is refused too
        await pilot.pause()
        assert app.active_profile.chunk_size == 256
        await type_into(pilot, screen, "chunk_size", "64")
        assert note(screen, "chunk_size").startswith("plain raw mode writes")
        assert not screen.query_one("#save", Button).disabled
        await type_into(pilot, screen, "raw_paste", "sometimes")
        assert "must be one of auto, always, never" in note(screen, "raw_paste")


async def test_apply_changes_the_next_run_without_reconnecting_and_is_not_saved(tmp_path: Path) -> None:
    app = make_app(tmp_path, code="print('plain')\n")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        session = app.session
        screen = await open_settings(pilot)
        await type_into(pilot, screen, "raw_paste", "never")
        await pilot.press("alt+a")
        await wait_for(pilot, lambda: app.active_profile.raw_paste == "never")
        await pilot.press("escape")
        await pilot.press("f5")
        await wait_for(pilot, lambda: any("── raw ·" in line for line in output_lines(app)))
        assert app.session is session  # same connection
        assert "plain" in output_lines(app)
    assert len(ProfileStore.load()) == 0  # Apply stores nothing


async def test_reset_to_preset_fills_the_form(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot)
        screen.query_one("#preset").value = "esp32"
        await pilot.press("alt+r")
        await pilot.pause()
        assert screen.query_one("#field-name", Input).value == "esp32"
        assert screen.query_one(ProfileForm).profile().name == "esp32"
        assert app.active_profile.name == "generic"  # only the form changed


async def test_probe_shows_the_proposal_beside_the_form_and_reconnects(tmp_path: Path) -> None:
    app = make_app(tmp_path, url="sim://generic?no_flow_control=1")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot)
        await pilot.click("#probe")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # said before it happens
        await pilot.click("#confirm-go")
        await wait_for(pilot, lambda: "Detection:" in str(screen.query_one("#probe-summary", Static).render()))
        summary = str(screen.query_one("#probe-summary", Static).render())
        assert "flow control UNRELIABLE" in summary
        form = screen.query_one(ProfileForm)
        assert "raw_paste" in form.differing_fields()  # auto in the form, never proposed
        assert screen.query_one("#proposed-raw_paste", Static).has_class("-differs")
        await wait_for(pilot, lambda: app.session is not None)  # back after the probe
        await pilot.click("#use-proposed")
        await pilot.pause()
        assert form.profile().raw_paste == "never"
        assert form.differing_fields() == []


async def test_connect_picks_the_platform_preset_and_says_why(tmp_path: Path) -> None:
    app = make_app(tmp_path, url="sim://esp32?boot_ms=0")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        assert app.active_profile.name == "esp32"
        assert app.profile_reason == "preset esp32 for platform 'esp32'"
        assert app.session is not None
        assert app.session.profile.response_timeout_s == app.active_profile.response_timeout_s
        assert "profile esp32" in str(app.query_one("#status").render())
        screen = await open_settings(pilot)
        assert "preset esp32 for platform 'esp32'" in str(screen.query_one("#settings-why", Static).render())


async def test_a_broken_profiles_file_is_reported_and_the_app_starts(tmp_path: Path, _private_config_dir: Path) -> None:
    bad = _private_config_dir / "profiles.toml"
    bad.write_text('["url:sim://generic"]\nname = "x"\nchunk_size = "big"\n', encoding="utf-8")
    app: WorkbenchApp = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        messages = [n.message for n in app._notifications]
        assert any("profiles.toml" in m and "chunk_size" in m for m in messages)
        assert app.active_profile.name == "generic"
    assert "big" in bad.read_text(encoding="utf-8")  # kept as it was


async def test_export_then_import_a_profile_file(tmp_path: Path) -> None:
    from workbench.app.widgets.path_dialog import PathDialog

    exported = tmp_path / "desk-board.toml"
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        screen = await open_settings(pilot)
        await type_into(pilot, screen, "name", "desk board")
        await type_into(pilot, screen, "chunk_size", "64")
        await pilot.press("alt+e")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.dismiss(str(exported))
        await wait_for(pilot, exported.exists)
        screen.query_one("#preset").value = "generic"
        await pilot.press("alt+r")
        await pilot.pause()
        assert screen.query_one(ProfileForm).profile().chunk_size == 256
        await pilot.press("alt+i")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.dismiss(str(exported))
        await wait_for(pilot, lambda: screen.query_one("#field-chunk_size", Input).value == "64")
        assert screen.query_one(ProfileForm).profile().name == "desk board"
        assert app.active_profile.chunk_size == 256  # imported into the form only
        bad = tmp_path / "bad.toml"
        bad.write_text('name = "x"\nchunk_size = "lots"\n', encoding="utf-8")
        await pilot.press("alt+i")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.dismiss(str(bad))
        await pilot.pause()
        assert any("bad.toml" in n.message and "chunk_size" in n.message for n in app._notifications)
        assert screen.query_one("#field-chunk_size", Input).value == "64"  # the form is untouched
