"""How the app looks: the main screen at 80x24 and 160x50, the hex view, the light theme.

Deterministic: a fixed device list, a frozen status-bar clock, temporary settings and
recovery folders, and the trace pane showing a reference transcript (live byte timing
varies from run to run; the transcript does not).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import TRANSCRIPTS
from tests.functional.test_app import sims_only
from workbench.app.app import WorkbenchApp
from workbench.app.recovery import RecoveryStore
from workbench.app.widgets.trace_view import TraceView
from workbench.config import Settings
from workbench.engine.profile import Profile
from workbench.profiles import url_key
from workbench.profiles.probe import ProbeReport

CODE = 'import machine\nled = machine.Pin(2, machine.Pin.OUT)\nled.on()\nprint("LED", led.value())\n'
TRANSCRIPT = next((t for t in TRANSCRIPTS if t.name.startswith("06-")), None)

pytestmark = pytest.mark.skipif(TRANSCRIPT is None, reason="the reference transcripts are not next to this checkout")


def snapshot_app(tmp_path: Path, theme: str | None = None) -> WorkbenchApp:
    settings = Settings.load(tmp_path / "settings.toml")
    settings.theme = theme
    return WorkbenchApp(
        "sim://generic",
        discover=sims_only,
        recovery=RecoveryStore(tmp_path / "recovery"),
        settings=settings,
        status_clock=lambda: 1000.0,
        initial_code=CODE,
    )


def prepare(hex_mode: bool = False):
    async def run_before(pilot) -> None:
        app = pilot.app
        for _ in range(1000):
            if app.session is not None and app.boards.selected.choice is not None:
                break
            await pilot.pause(0.01)
        app._open_trace_from(str(TRANSCRIPT))
        trace = app.query_one(TraceView)
        trace.border_title = "trace: 06-raw-paste-multi-window.jsonl"
        trace.hex_mode = hex_mode
        trace.focus()
        await pilot.press("home", "down", "down")
        app.query_one("#status").set_trace_drops(0)
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    return run_before


def test_main_screen_160x50(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=(160, 50), run_before=prepare())


def test_main_screen_80x24(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=(80, 24), run_before=prepare())


def test_hex_view(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=(160, 50), run_before=prepare(hex_mode=True))


def test_light_theme(snap_compare, tmp_path: Path) -> None:
    app = snapshot_app(tmp_path, theme="workbench-light")
    assert snap_compare(app, terminal_size=(160, 50), run_before=prepare())


def fixed_probe_report(url: str) -> ProbeReport:
    """A detection result with fixed numbers (live round trips vary from run to run)."""
    proposed = Profile(response_timeout_s=0.693, interrupt_delay_s=0.059, chunk_size=128, chunk_delay_s=0.0047)
    return ProbeReport(
        url=url, entered_raw_s=0.01, start_needed_extra_time=False, round_trip_ms_median=9.44,
        round_trip_ms_p95=9.63, raw_paste_supported=True, window=128, flow_control_reliable=True,
        flow_control_detail="8 windows checked", implementation="micropython", version="1.22.2",
        platform="generic", machine="workbench-sim", proposed=proposed,
    )


#: When the settings snapshot's board said what firmware it runs: 2024-06-01 12:00 in any time zone.
FINGERPRINT_AT = time.mktime((2024, 6, 1, 12, 0, 0, 0, 0, -1))


def test_settings_screen_with_detection(snap_compare, tmp_path: Path) -> None:
    app = snapshot_app(tmp_path)

    async def run_before(pilot) -> None:
        for _ in range(1000):
            if app.session is not None and app.boards.selected.choice is not None:
                break
            await pilot.pause(0.01)
        app.boards.device("sim://generic").probe_report = fixed_probe_report("sim://generic")
        app.learned.remember(url_key("sim://generic"), fingerprint_at=FINGERPRINT_AT)  # a fixed date on screen
        await pilot.press("f4")
        await pilot.pause()
        app.screen.query_one("#field-chunk_size").value = "0"  # a refused value, with its reason
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(app, terminal_size=(160, 40), run_before=run_before)


def test_two_boards_marked_for_a_run_on_several(snap_compare, tmp_path: Path) -> None:
    """Two boards connected side by side, both marked (m); the selected one's output shown."""
    app = snapshot_app(tmp_path)
    second = "sim://rp2040?boot_ms=0"

    async def run_before(pilot) -> None:
        async def until(condition) -> None:
            for _ in range(1000):
                if condition():
                    return
                await pilot.pause(0.01)
            raise AssertionError("the app did not get there")

        await until(lambda: app.session is not None and app.boards.selected.choice is not None)
        app._connect(second)
        await until(lambda: app.session is not None and app.boards.device(second).choice is not None)
        app._connect("sim://generic")  # back to the first: a switch, not a reconnect
        await until(lambda: app.device_url == "sim://generic" and app.session is not None)
        devices = app.query_one("#devices")
        devices.toggle_mark("sim://generic")
        devices.toggle_mark(second)
        app._open_trace_from(str(TRANSCRIPT))
        app.query_one("#status").set_trace_drops(0)
        app.query_one("#editor").focus()
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(app, terminal_size=(160, 40), run_before=run_before)
