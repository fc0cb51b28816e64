"""Pilot tests of the workbench app: what a person does with it and what they see."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tests.conftest import TRANSCRIPTS, requires_micropython
from workbench.app.app import WorkbenchApp
from workbench.app.recovery import RecoveryStore
from workbench.app.widgets.devices_pane import DevicesPane
from workbench.app.widgets.editor_pane import EditorPane
from workbench.app.widgets.output_pane import OutputPane
from workbench.app.widgets.path_dialog import PathDialog
from workbench.app.widgets.repl_line import ReplLine
from workbench.app.widgets.trace_view import TraceView
from workbench.config import Settings
from workbench.discovery.devices import DeviceEntry
from workbench.lessons import LESSONS, get_lesson
from workbench.profiles import PRESETS, ProfileStore, url_key
from workbench.trace import load_jsonl
from workbench.trace.record import DEFAULT_TRACE_BUDGET_BYTES


def sims_only() -> list[DeviceEntry]:
    """A device list that does not depend on the machine's serial ports."""
    return [
        DeviceEntry("sim://generic", "simulated", "the embedded default", "Generic board"),
        DeviceEntry("sim://esp32", "simulated", "ESP32 DevKit", "Generic ESP32 module with ESP32"),
    ]


def make_app(tmp_path: Path, url: str = "sim://generic", code: str = "print('hi')\n") -> WorkbenchApp:
    return WorkbenchApp(
        url,
        discover=sims_only,
        recovery=RecoveryStore(tmp_path / "recovery"),
        settings=Settings.load(tmp_path / "settings.toml"),
        initial_code=code,
    )


def output_lines(app: WorkbenchApp) -> list[str]:
    return app.query_one("#output", OutputPane).lines_text()


async def wait_for(pilot, condition, limit: int = 1000) -> None:
    """Let the app process messages until ``condition()`` holds (bounded)."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"condition not met in time; output: {output_lines(pilot.app)!r}")


async def connected(pilot) -> None:
    """The selected board is connected and the app has taken note (profile chosen, state shown)."""
    app = pilot.app
    await wait_for(pilot, lambda: app.session is not None and app.boards.selected.choice is not None)


def lesson_ready(app: WorkbenchApp) -> bool:
    """A lesson's board is on screen and open, and none of its steps is running."""
    lesson = app.boards.lesson
    return lesson is not None and lesson.opened and not lesson.busy


def set_code(app: WorkbenchApp, code: str) -> None:
    app.query_one("#editor", EditorPane).set_text(code)


#: Bound on waiting for something a worker thread does (the app's own waits are counted in turns).
STATE_WAIT_S = 10.0
#: A simulated board whose cable is pulled after 3000 bytes.
UNPLUGGED = "sim://generic?disconnect_after=3000"


async def run_until_the_cable_is_pulled(pilot) -> None:
    """Connect to :data:`UNPLUGGED` and run code that prints until the cable is pulled mid-run."""
    await connected(pilot)
    set_code(pilot.app, "for i in range(1000):\n  print('bytes on the wire', i)")
    await pilot.press("f5")


async def test_run_code_and_see_output(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        set_code(app, "print('from the board', 6 * 7)")
        await pilot.press("f5")
        await wait_for(pilot, lambda: any("raw-paste" in line for line in output_lines(app)))
        lines = output_lines(app)
    assert "from the board 42" in lines
    assert any("raw-paste" in line and "ok" in line for line in lines)  # the run's summary


@pytest.mark.parametrize("url", ["sim://generic", pytest.param("spawn://micropython", marks=requires_micropython)])
async def test_stop_a_running_loop(tmp_path: Path, url: str) -> None:
    app = make_app(tmp_path, url)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        set_code(app, "print('looping')\nwhile True:\n  pass")
        await pilot.press("f5")
        await wait_for(pilot, lambda: "looping" in output_lines(app))
        await pilot.press("f6")
        await wait_for(pilot, lambda: any("KeyboardInterrupt" in line for line in output_lines(app)))
        await wait_for(pilot, lambda: not app.boards.selected.busy)


async def test_an_exception_moves_the_editor_to_its_line(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        set_code(app, "x = 1\ny = 2\nprint(x / (y - 2))\nz = 3\n")
        await pilot.press("f5")
        await wait_for(pilot, lambda: any("ZeroDivisionError" in line for line in output_lines(app)))
        await pilot.pause()
        editor = app.query_one("#editor", EditorPane)
        assert editor.text_area.cursor_location[0] == 2  # 0-based row of line 3


async def test_the_trace_shows_ctrl_a_and_ok_after_a_run(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        set_code(app, "print(1)")
        await pilot.press("f5")
        await wait_for(pilot, lambda: any("raw-paste" in line for line in output_lines(app)))
        await wait_for(pilot, lambda: any("run finished" in r.meaning for r in app.query_one(TraceView).records()))
        trace = app.query_one(TraceView).records()
        notes = " ".join(f"{r.note} {r.meaning}" for r in trace)
        assert "CTRL-A: enter the raw REPL" in notes
        assert "raw-paste accepted, window 128" in notes
        # A trace row explains itself in a sentence when selected.
        # The first rows: the CTRL-C that starts entering the raw REPL (a board that was quick
        # to print its banner on a busy machine has that row first).
        app.query_one(TraceView).focus()
        await pilot.press("home")
        explained = []
        for _ in range(3):
            await pilot.pause()
            explained.append(str(app.query_one("#explain", Static).render()))
            if "CTRL-C" in explained[-1]:
                break
            await pilot.press("down")
        assert "CTRL-C" in explained[-1], explained


async def test_saving_and_reopening_a_trace(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    saved = tmp_path / "session.jsonl"
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: any("raw-paste" in line for line in output_lines(app)))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        dialog_input = app.screen.query_one(Input)
        dialog_input.value = str(saved)
        await pilot.press("enter")
        await wait_for(pilot, saved.exists)
        records, meta = load_jsonl(saved)
        assert meta["device"] == "sim://generic"
        assert any(r.note == "CR CTRL-A: enter the raw REPL" for r in records)
        # ... and open a reference transcript for offline study
        transcript = next(t for t in TRANSCRIPTS if t.name.startswith("05-"))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.query_one(Input).value = str(transcript)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app._viewing_file is not None)
        shown = app.query_one(TraceView).records()
        assert [r.data for r in shown] == [r.data for r in load_jsonl(transcript)[0]]
        assert any("window 128" in r.meaning for r in shown)


async def test_unsaved_text_is_recovered_at_the_next_start(tmp_path: Path) -> None:
    first = make_app(tmp_path)
    async with first.run_test(size=(160, 50)) as pilot:
        editor = first.query_one("#editor", EditorPane)
        editor.text_area.focus()
        await pilot.press("end", *"# keep me")
        await wait_for(pilot, lambda: editor.modified)
    # the app has quit (as after a crash, nothing was saved to a file)
    second = make_app(tmp_path)
    async with second.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        editor = second.query_one("#editor", EditorPane)
        assert "# keep me" in editor.text
        assert editor.modified


async def test_repl_line_shows_an_expression_value(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        repl = app.query_one("#repl", ReplLine)
        repl.focus()
        await pilot.press(*"[1, 2] * 2", "enter")
        await wait_for(pilot, lambda: "[1, 2, 1, 2]" in output_lines(app))


async def test_a_flood_of_output_keeps_the_app_answering(tmp_path: Path) -> None:
    """1 MB printed as fast as the board can: keys still work, memory stays bounded."""
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        set_code(app, "line = 'x' * 99\nfor i in range(10_000):\n  print(line)\nprint('done')")
        await pilot.press("f5")
        worst = 0.0
        for _ in range(30):  # keys pressed while the flood arrives
            started = time.perf_counter()
            await pilot.press("ctrl+n")
            worst = max(worst, time.perf_counter() - started)
        await wait_for(pilot, lambda: "done" in output_lines(app), limit=3000)
        output = app.query_one("#output", OutputPane)
        assert output.line_count <= 10_000 + 10  # bounded: older lines dropped, counted
        assert output.dropped_lines > 0
        assert worst < 1.0  # (a generous bound: bench/ measures the real lag)


async def test_a_bad_device_shows_an_error_not_a_crash(tmp_path: Path) -> None:
    app = make_app(tmp_path, "/dev/does-not-exist-wb")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: any("could not open" in line for line in output_lines(app)))
        await pilot.press("f5")  # no session: a notification, no exception
        await pilot.pause()
        assert app.session is None


async def test_narrow_terminal_hides_side_panes_and_toggles_them(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        assert not app.query_one("#trace-column").display
        await pilot.press("f10")
        await pilot.pause()
        assert app.query_one("#trace-column").display


def test_default_device_is_the_simulated_board_without_a_plugged_in_board(monkeypatch) -> None:
    import serial.tools.list_ports

    from workbench.app.main import default_device

    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda include_links=False: [])
    assert default_device() == "sim://generic"


async def test_unplugged_board_is_marked_lost_and_enter_reconnects(tmp_path: Path) -> None:
    from workbench.app.widgets.devices_pane import DevicesPane

    url = UNPLUGGED
    app = make_app(tmp_path, url)
    async with app.run_test(size=(160, 50)) as pilot:
        await run_until_the_cable_is_pulled(pilot)
        await wait_for(pilot, lambda: any("unplugged" in line for line in output_lines(app)))
        devices = app.query_one("#devices", DevicesPane)
        await wait_for(pilot, lambda: devices.badge(url) == "lost")
        first = app.session
        devices.post_message(DevicesPane.ConnectRequested(url))  # what Enter on the row does
        await wait_for(pilot, lambda: app.session is not None and app.session is not first)
        await wait_for(pilot, lambda: "ready" in app.session.state)
        set_code(app, "print('back')")
        await pilot.press("f5")
        await wait_for(pilot, lambda: "back" in output_lines(app))


async def test_step_mode_walks_a_run_with_f5_from_the_editor_and_explains_each_step(tmp_path: Path) -> None:
    app = make_app(tmp_path, code="print('stepped')\n")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        editor = app.query_one("#editor", EditorPane)
        assert editor.text_area.has_focus  # where a person starts typing
        await pilot.press("f7")
        await pilot.press("f5")
        titles: list[str] = []
        for _ in range(40):
            await wait_for(pilot, lambda: app.boards.selected.pending_step is not None or not app.boards.selected.busy)
            if not app.boards.selected.busy:
                break
            panel = str(app.query_one("#explain", Static).render())
            titles.append(panel.splitlines()[0])
            assert "Expecting:" in panel and "F5 (or Space outside the editor): go on" in panel
            await pilot.press("f5")
        await wait_for(pilot, lambda: "stepped" in output_lines(app))
        assert editor.text == "print('stepped')\n"  # F5 went to the steps, nothing into the program
        assert editor.text_area.has_focus
        panel = str(app.query_one("#explain", Static).render())
        assert "go on" not in panel and "The run is over" in panel  # no step offered after the run
    # connected means already at the raw prompt: the run starts by asking for raw-paste
    assert titles[0] == "Step 1: ask for raw-paste (CTRL-E 'A' CTRL-A)"
    assert "Step 2: send code within the window (raw-paste)" in titles
    assert any("read the error section" in title for title in titles)


async def test_stop_in_step_mode_and_space_types_again(tmp_path: Path) -> None:
    app = make_app(tmp_path, code="print('never')\n")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("f7", "f5")
        await wait_for(pilot, lambda: app.boards.selected.pending_step is not None)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.boards.selected.pending_step is not None and app.boards.selected.pending_step.kind == "paste_window")
        await pilot.press("f6")
        await wait_for(pilot, lambda: not app.boards.selected.busy)
        assert any("Stop was pressed" in line for line in output_lines(app))
        await pilot.press("f7")  # leave step mode
        editor = app.query_one("#editor", EditorPane)
        editor.focus()
        await pilot.press("end", "space")
        assert editor.text.startswith("print('never') ")
        await pilot.press("f5")
        await wait_for(pilot, lambda: "never" in output_lines(app))


@pytest.mark.parametrize("name", [lesson.name for lesson in LESSONS])
async def test_every_lesson_runs_to_the_end_with_f5_from_the_editor(tmp_path: Path, name: str) -> None:
    lesson = get_lesson(name)
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        app.start_lesson(lesson)
        await wait_for(pilot, lambda: lesson_ready(app), limit=2000)
        assert app.session is None  # the lesson has its own board
        for number, step in enumerate(lesson.steps, start=1):
            panel = str(app.query_one("#explain", Static).render())
            assert f"step {number} of {len(lesson.steps)}: {step.title}" in panel
            await pilot.press("f5")
            await wait_for(pilot, lambda number=number: lesson_ready(app) and len(app.boards.lesson.run.outcomes) == number,
                           limit=2000)
        outcomes = app.boards.lesson.run.outcomes
        assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes]
        assert app.query_one("#editor", EditorPane).text == "print('hi')\n"  # F5 typed nothing
        assert "done: all" in str(app.query_one("#explain", Static).render())
        assert len(app.query_one("#trace", TraceView).records()) > 0
        lines = output_lines(app)
        assert f"step {len(lesson.steps)}: {lesson.steps[-1].title}" in lines


async def test_a_lesson_restarts_and_f2_goes_back_to_the_device(tmp_path: Path) -> None:
    lesson = get_lesson("run-code")
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        app.start_lesson(lesson)
        await wait_for(pilot, lambda: lesson_ready(app))
        await pilot.press("ctrl+b", "space")  # Space goes on where no text is typed (the trace)
        await wait_for(pilot, lambda: lesson_ready(app) and len(app.boards.lesson.run.outcomes) == 1)
        first_run = app.boards.lesson
        await pilot.press("f3")
        await wait_for(pilot, lambda: lesson_ready(app) and app.boards.lesson is not first_run)
        assert app.boards.lesson.run.next_index == 0
        assert "step 1 of" in str(app.query_one("#explain", Static).render())
        await pilot.press("f2")
        await connected(pilot)
        assert app.boards.lesson is None
        editor = app.query_one("#editor", EditorPane)
        editor.focus()
        await pilot.press("home", "space")  # Space is the editor's again
        assert editor.text.startswith(" print")


async def test_several_boards_stay_connected_and_selecting_one_switches_output_and_trace(tmp_path: Path) -> None:
    from workbench.app.widgets.devices_pane import DevicesPane

    second = "sim://rp2040?boot_ms=0"
    app = make_app(tmp_path, code="print('on the first')")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        first = app.device_url
        await pilot.press("f5")
        await wait_for(pilot, lambda: "on the first" in output_lines(app))
        await wait_for(pilot, lambda: not app.boards.selected.busy)  # the run's last bytes are in the trace
        first_trace = len(app.query_one("#trace", TraceView).records())
        devices = app.query_one("#devices", DevicesPane)
        devices.post_message(DevicesPane.ConnectRequested(second))  # Enter on another board
        await wait_for(pilot, lambda: app.device_url == second)
        await connected(pilot)
        assert output_lines(app) == []  # the second board's own output
        set_code(app, "print('on the second')")
        await pilot.press("f5")
        await wait_for(pilot, lambda: "on the second" in output_lines(app))
        assert len(app.manager) == 2 and app.manager.get(first).state.value == "ready"  # still open
        # (the badges follow the boards' states on the status timer: the second's run just ended)
        await wait_for(pilot, lambda: devices.badge(first) == "raw" and devices.badge(second) == "raw")
        devices.post_message(DevicesPane.ConnectRequested(first))  # back: no reconnect, just a switch
        await wait_for(pilot, lambda: app.device_url == first)
        assert "on the first" in output_lines(app) and "on the second" not in output_lines(app)
        assert len(app.query_one("#trace", TraceView).records()) == first_trace
        assert app.query_one("#output").border_title == f"output: {first}"


async def test_run_on_marked_boards_keeps_each_output_apart_with_a_summary(tmp_path: Path) -> None:
    from workbench.app.widgets.devices_pane import DevicesPane

    boards = ["sim://generic", "sim://rp2040?boot_ms=0", "sim://stm32?boot_ms=0"]
    app = make_app(tmp_path, code="import sys\nprint('I am', sys.platform)\nif sys.platform == 'pyboard':\n  1/0\n")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        devices = app.query_one("#devices", DevicesPane)
        for url in boards:
            devices.toggle_mark(url)
        assert devices.marked_urls[0] == "sim://generic"
        await pilot.press("shift+f5")  # the two others are connected on the way
        await wait_for(pilot, lambda: any("3 boards:" in line for line in output_lines(app)), limit=2000)
        summary = next(line for line in output_lines(app) if "3 boards:" in line)
        assert "2 ok, 1 raised, 0 failed" in summary
        output = app.query_one("#output", OutputPane)
        assert "I am generic" in output.document_lines("sim://generic")
        assert "I am rp2" in output.document_lines("sim://rp2040?boot_ms=0")
        stm32 = output.document_lines("sim://stm32?boot_ms=0")
        assert "I am pyboard" in stm32 and any("ZeroDivisionError" in line for line in stm32)
        assert "I am rp2" not in output_lines(app)  # kept apart
        lines = output_lines(app)
        assert any("sim://stm32?boot_ms=0  raised" in line and "ZeroDivisionError" in line for line in lines)
        assert len(app.manager) == 3


async def test_diagnostics_and_automatic_reconnect(tmp_path: Path) -> None:
    from workbench.app.widgets.devices_pane import DevicesPane
    from workbench.app.widgets.diagnostics_screen import DiagnosticsScreen

    url = "sim://generic?disconnect_after=4000"
    app = make_app(tmp_path, url, code="for i in range(1000):\n  print('bytes on the wire', i)")
    app.manager.reconnect_interval_s = 0.1
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        app.action_toggle_auto_reconnect()
        assert app.manager.get(url).auto_reconnect
        app.action_diagnostics()
        await wait_for(pilot, lambda: isinstance(app.screen, DiagnosticsScreen)
                       and bool(app.screen.query("#diagnostics-text")))
        text = str(app.screen.query_one("#diagnostics-text", Static).render())
        assert f"{url}: ready" in text and "reconnects automatically" in text and "workbench port" in text
        await pilot.press("escape")
        await pilot.press("f5")  # the cable is pulled mid-run; the board comes back by itself
        await wait_for(pilot, lambda: any("is back: reconnected" in line for line in output_lines(app)), limit=2000)
        assert any("was lost" in line for line in output_lines(app))
        devices = app.query_one("#devices", DevicesPane)
        await wait_for(pilot, lambda: devices.badge(url) == "raw")
        set_code(app, "print('again')")
        await pilot.press("f5")
        await wait_for(pilot, lambda: "again" in output_lines(app))


async def test_soft_reset_in_the_middle_of_a_stepped_run(tmp_path: Path) -> None:
    app = make_app(tmp_path, code="x = 1\nprint('never')\n")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("f7", "f5")
        await wait_for(pilot, lambda: app.boards.selected.pending_step is not None and app.boards.selected.pending_step.kind == "raw_paste_request")
        await pilot.press("f8")  # reset while the run waits at a step: the run stops, the reset is a step too
        await wait_for(pilot, lambda: not app.boards.selected.busy)  # the run ended...
        assert any("Stop was pressed" in line for line in output_lines(app))
        # ...and the reset waits at its own step (its announcement may come before or after)
        await wait_for(pilot, lambda: app.boards.selected.pending_step is not None and app.boards.selected.pending_step.kind == "soft_reset")
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.boards.selected.pending_step is None and app.session is not None
                       and app.session.state == "raw REPL, ready")
        await pilot.press("f7")  # leave step mode: runs go straight through again
        set_code(app, "print('x' in globals())")
        await pilot.press("f5")
        await wait_for(pilot, lambda: "False" in output_lines(app))


async def test_reconnect_automatically_is_remembered_across_restarts(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        app.action_toggle_auto_reconnect()
        assert app.manager.get("sim://generic").auto_reconnect
    again = make_app(tmp_path)
    async with again.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        assert again.manager.get("sim://generic").auto_reconnect  # opened with it on
        again.action_toggle_auto_reconnect()
        assert not again.manager.get("sim://generic").auto_reconnect
    assert Settings.load(tmp_path / "settings.toml").auto_reconnect == []


async def test_each_focus_key_puts_the_keyboard_in_its_pane(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        for key, pane in [("ctrl+g", "devices"), ("ctrl+e", "editor"), ("ctrl+n", "output"),
                          ("ctrl+l", "repl"), ("ctrl+b", "trace"), ("ctrl+g", "devices")]:
            await pilot.press(key)
            await pilot.pause()
            focused = app.focused
            assert focused is not None
            assert pane in [focused.id, *(node.id for node in focused.ancestors)], (key, focused)


async def test_a_run_that_fails_inside_the_app_frees_its_own_board_not_the_selected_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug of ours in one board's run worker: that board is free again; the board selected
    meanwhile, running code of its own, stays busy (and F6 still stops it)."""
    second = "sim://rp2040?boot_ms=0"
    app = make_app(tmp_path, code="while True:\n  pass\n")
    fail_now = threading.Event()

    def broken_exec(*_args: object, **_kwargs: object) -> None:
        fail_now.wait(STATE_WAIT_S)
        raise RuntimeError("a bug in the run worker")

    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        first = app.boards.selected
        monkeypatch.setattr(app.manager.get(first.url), "exec", broken_exec)
        await pilot.press("f5")  # the first board's run: its worker waits, then fails
        assert first.busy
        app.query_one("#devices", DevicesPane).post_message(DevicesPane.ConnectRequested(second))
        await wait_for(pilot, lambda: app.device_url == second)
        await connected(pilot)
        await pilot.press("f5")  # the second board loops
        await wait_for(pilot, lambda: app.session is not None and app.session.state.startswith("running"))
        fail_now.set()
        await wait_for(pilot, lambda: not first.busy)
        assert any("Internal error in _run: RuntimeError: a bug in the run worker" in line
                   for line in output_lines(app))
        assert app.boards.selected.busy  # the second board's loop still runs
        await pilot.press("f6")
        await wait_for(pilot, lambda: not app.boards.selected.busy)
        assert any("KeyboardInterrupt" in line for line in output_lines(app))


async def test_the_trace_budget_of_a_boards_profile_is_its_recorders(tmp_path: Path) -> None:
    budget = 123_456
    profile = replace(PRESETS["generic"].profile, name="small-trace", trace_budget_bytes=budget)
    assert ProfileStore.load().save(url_key("sim://generic"), profile)
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        assert app.active_profile.trace_budget_bytes == budget  # the user's profile (not a preset)...
        assert app.manager.get("sim://generic").trace.budget_bytes == budget  # ...is the recorder's budget
    fresh = make_app(tmp_path, "sim://esp32")  # no profile saved: the default budget
    async with fresh.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        assert fresh.manager.get("sim://esp32").trace.budget_bytes == DEFAULT_TRACE_BUDGET_BYTES
