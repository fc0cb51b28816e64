"""What a new user meets in the app's first hour, pressed with the focus where a person has it.

The keyboard starts in the editor (nobody clicks elsewhere before typing), so these tests only
move it the way a person would: with the app's own keys.
"""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input, OptionList
from textual.widgets.text_area import Selection

from tests.functional.test_app import (
    UNPLUGGED,
    connected,
    make_app,
    output_lines,
    run_until_the_cable_is_pulled,
    wait_for,
)
from workbench.app.widgets.confirm_dialog import ConfirmDialog
from workbench.app.widgets.editor_pane import EditorPane
from workbench.app.widgets.output_pane import OutputPane
from workbench.app.widgets.path_dialog import PathDialog
from workbench.app.widgets.repl_line import ReplLine
from workbench.app.widgets.settings_screen import SettingsScreen
from workbench.app.widgets.status_bar import StatusBar
from workbench.app.widgets.trace_view import TraceView


def notifications(app) -> list[str]:
    return [notification.message for notification in app._notifications]


def palette_options(app) -> str:
    """What the command palette on screen offers (empty when it shows nothing yet)."""
    if not isinstance(app.screen, CommandPalette):
        return ""
    return "\n".join(str(option.prompt) for option in app.screen.query_one(OptionList).options)


def status_text(app) -> str:
    return str(app.query_one("#status", StatusBar).render())


async def test_the_keyboard_starts_in_the_editor_even_on_a_narrow_terminal(tmp_path: Path) -> None:
    app = make_app(tmp_path, code="")
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press(*"x = 1")
        assert app.query_one("#editor", EditorPane).text == "x = 1"


async def test_hiding_the_pane_that_has_the_keyboard_gives_it_to_the_editor(tmp_path: Path) -> None:
    app = make_app(tmp_path, code="")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("ctrl+b", "f10")  # into the trace, then hide the trace
        await pilot.pause()
        await pilot.press("a")
        assert app.query_one("#editor", EditorPane).text == "a"
        await pilot.press("ctrl+g", "f9")  # into the devices pane, then hide it
        await pilot.pause()
        await pilot.press("b")
        assert app.query_one("#editor", EditorPane).text == "ab"
        await pilot.press("ctrl+b")  # into the trace; then the terminal gets narrow (trace hidden)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app.query_one("#center").display  # the editor is not covered by the trace
        await pilot.press("c")
        assert app.query_one("#editor", EditorPane).text == "abc"


async def test_an_error_on_the_repl_line_leaves_the_editor_and_the_focus_alone(tmp_path: Path) -> None:
    code = "a = 1\nb = 2\nc = 3\n"
    app = make_app(tmp_path, code=code)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        editor = app.query_one("#editor", EditorPane)
        await pilot.press("down", "down", "right")  # the user's cursor: line 3, column 2
        await pilot.press("ctrl+l", *"nosuch", "enter")
        await wait_for(pilot, lambda: any("NameError" in line for line in output_lines(app)))
        await wait_for(pilot, lambda: not app.boards.selected.busy)
        assert editor.text_area.cursor_location == (2, 1)  # line 1 of a REPL snippet is not the editor's
        await pilot.press(*"42")
        repl = app.query_one("#repl", ReplLine)
        assert repl.value == "42" and repl.has_focus  # typing still goes to the REPL line
        assert editor.text == code


async def test_an_error_in_a_run_selection_moves_the_cursor_to_its_editor_line(tmp_path: Path) -> None:
    app = make_app(tmp_path, code="a = 1\nb = 2\nprint(nosuch)\nd = 4\n")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        editor = app.query_one("#editor", EditorPane)
        editor.text_area.selection = Selection((1, 0), (3, 0))  # lines 2-3: the error is its line 2
        await pilot.press("f5")
        await wait_for(pilot, lambda: any("NameError" in line for line in output_lines(app)))
        await wait_for(pilot, lambda: editor.text_area.cursor_location == (2, 0))
        assert editor.text_area.has_focus


async def test_a_port_that_never_opened_is_reported_once_and_not_as_lost(tmp_path: Path) -> None:
    app = make_app(tmp_path, "/dev/ttyNOPE-wb")
    async with app.run_test(size=(160, 50)) as pilot:
        # (the manager's state events are posted before this line, so a "lost" would be here)
        await wait_for(pilot, lambda: any("could not open" in line for line in output_lines(app)))
        said = [line for line in output_lines(app) if "ttyNOPE" in line]
        assert len(said) == 1 and "no such port" in said[0], said
        assert [text for text in notifications(app) if "ttyNOPE" in text] == [said[0]]
        assert not any("lost" in text for text in said)
        assert "not connected" in status_text(app)


async def test_a_lost_board_says_so_once_in_the_status_bar_and_f2_reconnects_it(tmp_path: Path) -> None:
    url = UNPLUGGED
    app = make_app(tmp_path, url)
    async with app.run_test(size=(160, 50)) as pilot:
        await run_until_the_cable_is_pulled(pilot)
        await wait_for(pilot, lambda: "lost" in status_text(app))
        await wait_for(pilot, lambda: any("the run stopped: the board went away" in line for line in output_lines(app)))
        assert len([text for text in notifications(app) if "unplugged" in text]) == 1
        assert len([line for line in output_lines(app) if "unplugged" in line]) == 1
        assert "raw REPL" not in status_text(app)
        await pilot.press("f5")
        assert "was lost: F2 reconnects it" in notifications(app)[-1]
        lost_session = app.manager.get(url)
        await pilot.press("f2")  # one press: a lost board reconnects, it is not "disconnected" first
        await wait_for(pilot, lambda: app.session is not None, limit=2000)
        assert app.manager.get(url) is lost_session  # the same managed board, reopened


async def test_soft_and_hard_reset_say_what_they_did(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("f8")
        await wait_for(pilot, lambda: any("Soft reset done" in line for line in output_lines(app)), limit=2000)
        await pilot.press("shift+f8")  # sim://generic is native USB: its reset is not on DTR/RTS
        await wait_for(pilot, lambda: any("Hard reset did nothing" in line for line in output_lines(app)),
                       limit=2000)
        assert any("Hard reset did nothing" in text for text in notifications(app))


async def test_hard_reset_of_a_board_wired_for_it_says_it_restarted(tmp_path: Path) -> None:
    app = make_app(tmp_path, "sim://esp32")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("shift+f8")
        await wait_for(pilot, lambda: any("Hard reset done" in line for line in output_lines(app)), limit=3000)


async def test_probe_says_first_that_it_reopens_the_board_and_the_trace_keeps_its_history(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        trace = app.query_one("#trace", TraceView)
        await wait_for(pilot, lambda: len(trace.records()) > 0)
        first = trace.records()[0]
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.press("alt+p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "closes its connection" in str(app.screen.query_one("#confirm-text").render())
        await pilot.press("escape")  # not now: nothing happens to the board
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        assert app.session is not None and app.boards.device("sim://generic").probe_report is None
        await pilot.press("alt+p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.boards.device("sim://generic").probe_report is not None, limit=3000)
        await pilot.press("escape")  # close the settings
        await connected(pilot)
        await wait_for(pilot, lambda: sum(1 for r in trace.records() if r.dir == "note") == 2)
        records = trace.records()
        assert records[0] == first  # the history from before the probe is still there
        markers = [r.meaning for r in records if r.dir == "note"]
        assert markers[0].startswith("probe: the workbench closes its connection")
        assert markers[1].startswith("probe: detection is over")
        start, end = (i for i, r in enumerate(records) if r.dir == "note")
        assert end - start > 5  # the probe's own bytes are between the markers
        trace.search("probe: detection is over")  # the marker row is drawn like any row
        shown = [trace.render_line(y).text for y in range(trace.scrollable_content_region.height)]
        assert any("• wb" in row and "probe: detection is over" in row for row in shown), shown


async def test_change_theme_offers_the_workbench_themes_by_clear_names(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Change theme" in titles and "Theme" not in titles
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Change theme")
        await wait_for(pilot, lambda: "Change theme" in palette_options(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Workbench light" in palette_options(app))
        offered = palette_options(app)
        assert "Workbench high contrast" in offered and "textual-dark" not in offered
        await pilot.press(*"light", "enter")
        await wait_for(pilot, lambda: app.theme == "workbench-light")


async def test_open_trace_suggests_a_trace_file(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        assert app.screen.query_one(Input).placeholder.endswith(".jsonl")



async def test_a_run_of_a_file_names_it_in_the_traceback_and_its_frames_are_links(tmp_path: Path) -> None:
    program = tmp_path / "blink.py"
    program.write_text("x = 1\nprint(nosuch)\n")
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        app.query_one("#editor", EditorPane).load_file(program)
        await pilot.press("f5")
        await wait_for(pilot, lambda: any("NameError" in line for line in output_lines(app)))
        assert any('File "blink.py", line 2' in line for line in output_lines(app))
        assert not any("<stdin>" in line for line in output_lines(app))
        output = app.query_one("#output", OutputPane)
        assert [line for _row, line in output.jump_targets] == [2]
        await pilot.press("ctrl+l", *"1/0", "enter")  # a REPL line's frames are not the editor's
        await wait_for(pilot, lambda: any("ZeroDivisionError" in line for line in output_lines(app)))
        assert [line for _row, line in output.jump_targets] == [2]


async def test_the_editor_keeps_room_for_code_at_every_width_the_side_panes_show(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        for width in (120, 140, 160, 200):
            await pilot.resize_terminal(width, 40)
            await pilot.pause()
            editor = app.query_one("#editor", EditorPane).size.width
            trace = app.query_one("#trace", TraceView).size.width
            assert editor >= 44 and trace >= 44, (width, editor, trace)
            if width >= 160:
                assert trace >= 70, (width, trace)  # a whole hex dump line


async def test_a_board_without_raw_paste_says_so_in_the_status_bar(tmp_path: Path) -> None:
    app = make_app(tmp_path, "sim://legacy?boot_ms=0")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: "hi" in output_lines(app))
        await wait_for(pilot, lambda: "plain raw: no raw-paste" in status_text(app))
