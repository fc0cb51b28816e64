"""Pilot tests of what the app learns about a board: a broken raw-paste is said once, remembered
and worked around with no action of the user's; the settings screen shows and forgets it."""

from __future__ import annotations

import time
from pathlib import Path

from textual.widgets import Button, Static

from tests.functional.test_app import connected, make_app, output_lines, wait_for
from workbench.app.widgets.settings_screen import NOTHING_LEARNED, SettingsScreen
from workbench.profiles import url_key
from workbench.profiles.learned import LearnedStore

#: A board whose raw-paste is broken: it accepts raw-paste, ends the paste before any code,
#: then answers nothing until it is restarted (a new connection to the sim is a restarted board).
BROKEN = "sim://generic?paste_hangs=1&boot_ms=0"
#: Longest a run on it may take to say so (the engine's response deadline is 2 s).
BROKEN_SAID_WITHIN_S = 5.0


def run_summaries(app) -> list[str]:
    """The output's run summary lines ('── raw · 12 B · ... · ok ──')."""
    return [line for line in output_lines(app) if line.startswith("──") and " B · " in line]


def learned_raw_paste(app, url: str) -> str | None:
    """What the app's store says about ``url``'s raw-paste (None: nothing known)."""
    known = app.learned.get(url_key(url))
    return known.raw_paste if known is not None else None


async def test_a_broken_raw_paste_is_said_remembered_and_plain_raw_is_used_from_then_on(tmp_path: Path) -> None:
    app = make_app(tmp_path, BROKEN, code="print('from the board', 6 * 7)\n")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        assert app.active_profile.raw_paste == "auto"  # nothing known yet: it asks for raw-paste
        started = time.monotonic()
        await pilot.press("f5")
        await wait_for(pilot, lambda: not app.boards.selected.busy and len(output_lines(app)) > 1)
        assert time.monotonic() - started < BROKEN_SAID_WITHIN_S
        lines = output_lines(app)
        assert any("this board's raw-paste is broken" in line and "Nothing ran" in line for line in lines)
        assert "from the board 42" not in lines
        # Applied at once to the open session (no reconnect) and said, with the reason kept.
        await wait_for(pilot, lambda: any("Learned about" in line for line in output_lines(app)))
        assert app.active_profile.raw_paste == "never"
        assert app.session is not None and app.session.profile.raw_paste == "never"
        assert "raw-paste broken on this board (learned)" in app.profile_reason
        known = LearnedStore().get(url_key(BROKEN))  # in the file, not only in the app
        assert known is not None and known.raw_paste == "broken"

        # The person presses the board's reset button, as the message says (this board's reset
        # is not wired to DTR/RTS): the same session's next run goes in plain raw mode.
        app.session.port.device.press_reset()
        await pilot.press("f5")
        await wait_for(pilot, lambda: "from the board 42" in output_lines(app))
        await wait_for(pilot, lambda: len(run_summaries(app)) == 1)
        assert run_summaries(app)[0].startswith("── raw ·") and run_summaries(app)[0].endswith("ok ──")

        # A new connection is a restarted sim board too: what was learned is used from the
        # start, with nothing asked of the person.
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.session is None)
        await pilot.press("f2")
        await connected(pilot)
        assert app.active_profile.raw_paste == "never"
        await pilot.press("f5")
        await wait_for(pilot, lambda: len(run_summaries(app)) == 2)
        assert run_summaries(app)[1].startswith("── raw ·") and run_summaries(app)[1].endswith("ok ──")
        assert output_lines(app).count("from the board 42") == 2
    assert LearnedStore().get(url_key(BROKEN)).raw_paste == "broken"


async def test_the_settings_screen_shows_what_was_learned_and_forgets_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("f5")  # a run on a healthy board: raw-paste works, window 128
        await wait_for(pilot, lambda: any("raw-paste" in line for line in run_summaries(app)))
        await wait_for(pilot, lambda: learned_raw_paste(app, "sim://generic") == "works")
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        shown = str(screen.query_one("#learned-lines", Static).render())
        assert "firmware: micropython 1.22.2 on generic" in shown  # the fingerprint, kept at connect
        assert "raw-paste: works, window 128 bytes" in shown
        assert not screen.query_one("#forget", Button).disabled

        await pilot.press("alt+f")  # from the form's first field, where the keyboard is
        await wait_for(pilot, lambda: str(screen.query_one("#learned-lines", Static).render()) == NOTHING_LEARNED)
        assert screen.query_one("#forget", Button).disabled
        assert LearnedStore().get(url_key("sim://generic")) is None  # gone from the file too
        assert any(
            "Forgot what was learned about sim://generic" in n.message and "raw-paste: works" in n.message
            for n in app._notifications
        )


def test_the_settings_screen_says_what_plain_raw_pacing_detection_found() -> None:
    from dataclasses import replace

    from tests.functional.test_app_snapshots import fixed_probe_report
    from workbench.app.widgets.settings_screen import probe_summary

    report = replace(
        fixed_probe_report("sim://legacy"), raw_paste_supported=False, window=None, flow_control_reliable=None,
        plain_raw_chunk_size=36, plain_raw_chunk_delay_s=0.01, plain_raw_bytes_per_s=3360.0,
    )
    summary = probe_summary(report)
    assert "no raw-paste; plain raw without loss: 36 B every 10 ms (3.3 KB/s)" in summary
    assert "plain raw" not in probe_summary(fixed_probe_report("sim://generic"))
