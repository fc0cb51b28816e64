"""A board whose raw-paste is broken (it accepts raw-paste, ends the paste at once and then
answers nothing until restarted: ``sim://...?paste_hangs=1``) gets one clear error within the
response timeout, never our own traceback, and plain raw mode from then on."""

from __future__ import annotations

import time

import pytest

import workbench
from workbench import Profile
from workbench.errors import RawPasteBroken
from workbench.profiles.choice import ProfileChoice, apply_learned
from workbench.profiles.learned import LearnedStore, remember_findings
from workbench.profiles.presets import PRESETS

HANGS = "sim://generic?paste_hangs=1&boot_ms=0"


def test_the_engine_says_raw_paste_is_broken_within_the_response_timeout() -> None:
    profile = Profile(response_timeout_s=1.0)
    with workbench.connect(HANGS, profile) as session:
        started = time.monotonic()
        with pytest.raises(RawPasteBroken) as caught:
            session.exec("print('ran')")
        took = time.monotonic() - started
        findings = session.findings()
        notes = [r.meaning for r in session.trace.records() if r.dir == "note"]
    message = str(caught.value)
    assert took < profile.response_timeout_s + 0.5
    assert "raw-paste is broken" in message and "Nothing ran" in message and "plain raw mode" in message
    assert "\n" not in message
    assert findings["raw_paste"] == "broken" and "before any code" in str(findings["raw_paste_detail"])
    assert any("raw-paste broken on this board" in note for note in notes)


def test_after_a_restart_the_learned_fact_gives_plain_raw_mode_and_the_code_runs(tmp_path) -> None:
    learned = LearnedStore(tmp_path / "learned.toml")
    with workbench.connect(HANGS, Profile(response_timeout_s=1.0)) as session:
        with pytest.raises(RawPasteBroken):
            session.exec("print('ran')")
        remember_findings(learned, "url:" + HANGS, session.findings())
    generic = ProfileChoice(PRESETS["generic"].profile, "generic preset", False)
    choice = apply_learned(generic, learned.get("url:" + HANGS))
    assert choice.profile.raw_paste == "never" and "broken" in choice.reason
    with workbench.connect(HANGS, choice.profile.to_engine_profile()) as session:  # a restarted board
        result = session.exec("print(6 * 7)")
    assert result.ok and result.stdout == "42\r\n" and not result.raw_paste
