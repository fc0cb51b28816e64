"""What the workbench learns about each board: kept between runs, applied when the board is
opened again, shown in words, forgettable (workbench.profiles.learned and its use in
workbench.profiles.choice)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from workbench.discovery.ports import PortInfo
from workbench.engine import connect
from workbench.profiles import PRESETS, DeviceProfile, ProfileStore, url_key
from workbench.profiles.choice import (
    ProfileChoice,
    apply_learned,
    choose_after_fingerprint,
    refine_by_fingerprint,
)
from workbench.profiles.learned import Learned, LearnedStore, learned_key, learned_path, remember_findings


@pytest.fixture
def learned(tmp_path: Path) -> LearnedStore:
    return LearnedStore(tmp_path / "learned.toml")


@pytest.fixture
def profiles(tmp_path: Path) -> ProfileStore:
    return ProfileStore.load(tmp_path / "profiles.toml")


def generic() -> ProfileChoice:
    return ProfileChoice(PRESETS["generic"].profile, "generic preset", False)


def test_facts_survive_a_new_store_and_are_forgotten_on_request(learned: LearnedStore) -> None:
    learned.remember("url:sim://x", raw_paste="broken", raw_paste_detail="accepted raw-paste, then ended it")
    again = LearnedStore(learned.path)
    found = again.get("url:sim://x")
    assert found is not None and found.raw_paste == "broken" and found.updated_at is not None
    assert any("raw-paste: broken" in line for line in found.describe())
    assert again.forget("url:sim://x") and not again.forget("url:sim://x")
    assert LearnedStore(learned.path).get("url:sim://x") is None


def test_two_writers_keep_each_others_facts(learned: LearnedStore) -> None:
    other = LearnedStore(learned.path)  # the app and a command line at the same time
    learned.remember("url:a", raw_paste="works", window=128)
    other.remember("url:b", raw_paste="absent")
    fresh = LearnedStore(learned.path)
    assert fresh.get("url:a") == learned.get("url:a") and fresh.get("url:b") is not None


def test_a_damaged_file_is_set_aside_not_overwritten(learned: LearnedStore) -> None:
    learned.path.write_text("this is [not toml", encoding="utf-8")
    store = LearnedStore(learned.path)
    assert len(store) == 0 and store.problems and "set aside" in store.problems[0]
    assert [p.name for p in learned.path.parent.glob("learned.toml.damaged-*")]
    store.remember("url:a", raw_paste="works")
    assert LearnedStore(learned.path).get("url:a") is not None


def test_wrong_values_in_the_file_are_dropped(learned: LearnedStore) -> None:
    learned.path.write_text('["url:a"]\nraw_paste = "maybe"\nwindow = -3\nplatform = "rp2"\n', encoding="utf-8")
    assert LearnedStore(learned.path).get("url:a") == Learned(platform="rp2")


def test_a_board_is_known_by_serial_then_usb_id_then_url() -> None:
    board = PortInfo("/dev/ttyACM0", 0x2E8A, 0x0005, "E660", "Pico", None, None, None, None)
    assert learned_key("/dev/ttyACM0", board) == "serial:E660"
    assert learned_key("/dev/ttyACM0", dataclasses.replace(board, serial_number=None)) == "usb:2e8a:0005"
    assert learned_key("sim://esp32", None) == "url:sim://esp32"


def test_the_state_folder_holds_the_file(_private_state_dir: Path) -> None:
    assert learned_path() == _private_state_dir / "learned.toml"


def test_broken_or_absent_raw_paste_turns_auto_into_never_even_in_the_users_own() -> None:
    mine = ProfileChoice(DeviceProfile(name="mine"), "saved profile 'mine'", True)
    changed = apply_learned(mine, Learned(raw_paste="broken"))
    assert changed.profile.raw_paste == "never" and changed.users_own and "learned" in changed.reason
    always = ProfileChoice(DeviceProfile(name="mine", raw_paste="always"), "saved", True)
    assert apply_learned(always, Learned(raw_paste="broken")) is always  # the user insisted
    assert apply_learned(generic(), Learned(raw_paste="works", window=128)) == generic()


def test_probe_pacing_replaces_a_presets_guess_but_not_the_users_own() -> None:
    paced = Learned(plain_raw_chunk_size=48, plain_raw_chunk_delay_s=0.012)
    profile = apply_learned(generic(), paced).profile
    assert (profile.chunk_size, profile.chunk_delay_s) == (48, 0.012)
    mine = ProfileChoice(DeviceProfile(name="mine", chunk_size=200), "saved", True)
    assert apply_learned(mine, paced) is mine


def test_micropython_before_1_14_gets_plain_raw_mode_without_asking(profiles: ProfileStore) -> None:
    old = choose_after_fingerprint(generic(), profiles, "sim://legacy", None, "esp8266", "micropython", "1.12.0")
    assert old.profile.raw_paste == "never" and "before 1.14" in old.reason
    new = choose_after_fingerprint(generic(), profiles, "sim://esp8266", None, "esp8266", "micropython", "1.22.2")
    assert new.profile.raw_paste == "auto"


def test_the_fingerprint_is_asked_once_then_taken_from_what_was_learned(
    profiles: ProfileStore, learned: LearnedStore
) -> None:
    url = "sim://esp32?boot_ms=0"
    with connect(url, generic().profile.to_engine_profile()) as session:
        first = refine_by_fingerprint(generic(), profiles, url, None, session, learned)
    known = learned.get(url_key(url))
    assert known is not None and known.platform == "esp32" and known.version == "1.22.2"
    with connect(url, generic().profile.to_engine_profile()) as session:
        before = len(session.trace.records())
        second = refine_by_fingerprint(generic(), profiles, url, None, session, learned)
        assert len(session.trace.records()) == before  # no exec went to the board
    assert second.profile == first.profile == PRESETS["esp32"].profile
    assert "learned earlier" in second.reason


def test_session_findings_are_remembered(learned: LearnedStore) -> None:
    with connect("sim://generic") as session:
        session.exec("pass")
        findings = session.findings()
    assert findings == {"raw_paste": "works", "window": 128}
    assert remember_findings(learned, "url:sim://generic", findings) is not None
    assert remember_findings(learned, "url:sim://generic", findings) is None  # nothing new: no write
