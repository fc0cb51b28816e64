"""The one rule for choosing a board's profile (workbench.profiles.choice), branch by branch."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.discovery.ports import PortInfo
from workbench.engine import connect
from workbench.profiles import PRESETS, DeviceProfile, ProfileStore, serial_key, url_key
from workbench.profiles.choice import (
    ProfileChoice,
    choose_after_fingerprint,
    choose_before_connect,
    refine_by_fingerprint,
)

URL = "/dev/ttyACM0"


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore.load(tmp_path / "profiles.toml")


def port(serial: str | None = "E6605838835B2A2F") -> PortInfo:
    return PortInfo(URL, 0x2E8A, 0x0005, serial, "Board in FS mode", None, None, None, None)


def applied_edit() -> ProfileChoice:
    return ProfileChoice(DeviceProfile(name="edited", retries=7), "applied edit (not saved)", True)


def save(store: ProfileStore, key: str, name: str) -> DeviceProfile:
    profile = DeviceProfile(name=name, retries=5)
    assert store.save(key, profile), store.problems
    return profile


# ------------------------------------------------------------------ before connecting


def test_an_applied_edit_beats_a_saved_profile(store: ProfileStore) -> None:
    save(store, serial_key("E6605838835B2A2F"), "saved")
    edit = applied_edit()
    assert choose_before_connect(store, URL, port(), applied=edit) == edit


def test_an_applied_edit_is_always_the_users_own(store: ProfileStore) -> None:
    edit = ProfileChoice(DeviceProfile(name="edited"), "applied", users_own=False)
    choice = choose_before_connect(store, URL, port(), applied=edit)
    assert choice.users_own and choice.profile == edit.profile and choice.reason == "applied"


def test_a_saved_profile_beats_a_match(store: ProfileStore) -> None:
    saved = save(store, serial_key("E6605838835B2A2F"), "by-serial")
    save(store, url_key(URL), "by-url")
    choice = choose_before_connect(store, URL, port(), None)
    assert choice == ProfileChoice(saved, "USB serial number E6605838835B2A2F: saved profile 'by-serial'", True)


def test_a_profile_saved_for_the_url_matches_without_a_port(store: ProfileStore) -> None:
    saved = save(store, url_key("sim://esp32"), "mine")
    choice = choose_before_connect(store, "sim://esp32", None)
    assert choice == ProfileChoice(saved, "URL sim://esp32: saved profile 'mine'", True)


def test_nothing_saved_gives_the_generic_preset_for_now(store: ProfileStore) -> None:
    choice = choose_before_connect(store, URL, port(), None)
    assert choice.profile == PRESETS["generic"].profile
    assert choice.reason == "preset generic: no saved profile for this device and no platform detected"
    assert not choice.users_own
    assert choice.describe() == f"'generic': {choice.reason}"


def test_the_users_saved_generic_preset_is_the_default(store: ProfileStore) -> None:
    customised = PRESETS["generic"].profile.with_changes(retries=9)
    assert store.save("preset:generic", customised), store.problems
    choice = choose_before_connect(store, URL, None)
    assert choice.profile == customised and not choice.users_own
    assert choice.reason.startswith("preset generic (your saved version): ")


# ------------------------------------------------------------------ after the fingerprint


def test_the_platform_preset_replaces_the_default(store: ProfileStore) -> None:
    before = choose_before_connect(store, URL, port(), None)
    after = choose_after_fingerprint(before, store, URL, port(), "esp32", "micropython")
    assert after == ProfileChoice(PRESETS["esp32"].profile, "preset esp32 for platform 'esp32'", False)


def test_circuitpython_is_named_by_its_implementation(store: ProfileStore) -> None:
    before = choose_before_connect(store, URL, None)
    after = choose_after_fingerprint(before, store, URL, None, "Espressif", "circuitpython")
    assert after.profile == PRESETS["circuitpython"].profile
    assert after.reason == "preset circuitpython for implementation 'circuitpython'"


def test_an_unknown_platform_keeps_the_generic_preset_and_says_why(store: ProfileStore) -> None:
    before = choose_before_connect(store, URL, None)
    after = choose_after_fingerprint(before, store, URL, None, "zephyr", "micropython")
    assert after.profile == PRESETS["generic"].profile and not after.users_own
    assert after.reason == "preset generic: no saved profile for this device and no preset for platform 'zephyr'"


def test_a_firmware_that_says_nothing_keeps_the_choice(store: ProfileStore) -> None:
    before = choose_before_connect(store, URL, None)
    assert choose_after_fingerprint(before, store, URL, None, "", "") is before
    assert choose_after_fingerprint(before, store, URL, None, None, None) is before


@pytest.mark.parametrize("kind", ["applied", "saved"])
def test_the_fingerprint_never_overrides_the_users_own(store: ProfileStore, kind: str) -> None:
    if kind == "saved":
        save(store, url_key(URL), "mine")
    before = choose_before_connect(store, URL, None, applied_edit() if kind == "applied" else None)
    assert before.users_own
    assert choose_after_fingerprint(before, store, URL, None, "esp32", "micropython") is before


def test_refine_by_fingerprint_asks_a_simulated_esp32(store: ProfileStore) -> None:
    before = choose_before_connect(store, "sim://esp32", None)
    with connect("sim://esp32", before.profile.to_engine_profile()) as session:
        after = refine_by_fingerprint(before, store, "sim://esp32", None, session)
    assert after == ProfileChoice(PRESETS["esp32"].profile, "preset esp32 for platform 'esp32'", False)


def test_refine_by_fingerprint_runs_nothing_for_the_users_own(store: ProfileStore) -> None:
    edit = applied_edit()
    with connect("sim://esp32", edit.profile.to_engine_profile()) as session:
        before = len(session.trace.records())
        assert refine_by_fingerprint(edit, store, "sim://esp32", None, session) is edit
        assert len(session.trace.records()) == before  # no exec went to the board
