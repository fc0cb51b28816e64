"""Pilot tests of the editor pane (files, unsaved marker, goto, recovery) and the path dialog."""

from __future__ import annotations

import stat
from pathlib import Path

from textual.app import App, ComposeResult
from textual.notifications import SeverityLevel
from textual.widgets import Input
from textual.widgets.text_area import Selection

from tests.support.pilot import wait_until
from workbench.app.recovery import RecoveryStore
from workbench.app.widgets.editor_pane import MAX_FILE_BYTES, EditorPane
from workbench.app.widgets.path_dialog import PathDialog


class EditorApp(App[None]):
    """Hosts one EditorPane and records notifications and Modified messages."""

    def __init__(self, text: str = "", recovery: RecoveryStore | None = None) -> None:
        super().__init__()
        self.initial_text = text
        self.recovery = recovery
        self.notes: list[tuple[str, str]] = []
        self.modified_events: list[bool] = []

    def compose(self) -> ComposeResult:
        yield EditorPane(self.initial_text, recovery=self.recovery, recovery_delay=0.2)

    def notify(self, message: str, *, severity: SeverityLevel = "information", **kwargs: object) -> None:
        self.notes.append((severity, str(message)))
        super().notify(message, severity=severity, **kwargs)  # type: ignore[arg-type]

    def on_editor_pane_modified(self, event: EditorPane.Modified) -> None:
        self.modified_events.append(event.modified)

    @property
    def pane(self) -> EditorPane:
        return self.query_one(EditorPane)

    def errors(self) -> list[str]:
        return [message for severity, message in self.notes if severity == "error"]



async def test_load_save_and_save_as_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "blink.py"
    source.write_text("import machine\r\nled = 1\r\n", encoding="utf-8")
    app = EditorApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        assert pane.load_file(source)
        await pilot.pause()
        assert pane.text == "import machine\r\nled = 1\r\n"
        assert pane.path == source
        assert pane.border_title == "blink.py"
        assert not pane.modified

        copy = tmp_path / "copy.py"
        assert pane.save_as(copy)
        assert copy.read_bytes() == source.read_bytes()  # line endings kept as they were
        assert pane.path == copy
        assert pane.border_title == "copy.py"

        pane.text_area.insert("# top\r\n", (0, 0))
        await pilot.pause()
        assert pane.save()
        assert copy.read_bytes().startswith(b"# top\r\nimport machine")
        assert not list(tmp_path.glob(".*.tmp"))


async def test_save_keeps_the_files_permissions(tmp_path: Path) -> None:
    target = tmp_path / "tool.py"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o754)
    app = EditorApp()
    async with app.run_test(size=(100, 30)):
        assert app.pane.load_file(target)
        app.pane.text_area.insert("new\n", (0, 0))
        assert app.pane.save()
    assert stat.S_IMODE(target.stat().st_mode) == 0o754
    assert target.read_text(encoding="utf-8") == "new\nold\n"


async def test_unsaved_marker_appears_after_typing_and_goes_after_save(tmp_path: Path) -> None:
    target = tmp_path / "main.py"
    target.write_text("x = 1\n", encoding="utf-8")
    app = EditorApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.load_file(target)
        await pilot.pause()
        pane.focus()
        await pilot.press("y", "=", "2")
        await wait_until(pilot, lambda: pane.modified)
        assert pane.border_title == "main.py ●"
        assert app.modified_events[-1] is True

        assert pane.save()
        await pilot.pause()
        assert pane.border_title == "main.py"
        assert not pane.modified
        assert app.modified_events[-2:] == [True, False]
        assert target.read_text(encoding="utf-8") == "y=2x = 1\n"


async def test_undo_back_to_the_saved_text_is_not_unsaved() -> None:
    app = EditorApp("a = 1\n")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.focus()
        await pilot.press("z")
        await wait_until(pilot, lambda: pane.modified)
        assert pane.border_title == "untitled ●"
        pane.text_area.undo()
        await wait_until(pilot, lambda: not pane.modified)
        assert pane.border_title == "untitled"


async def test_save_without_a_path_asks_the_app() -> None:
    app = EditorApp("print(1)\n")
    async with app.run_test(size=(100, 30)):
        assert app.pane.save() is False
        assert app.pane.text == "print(1)\n"
        assert app.pane.border_title == "untitled"


async def test_constructor_path_and_bad_typed_paths(tmp_path: Path) -> None:
    class PathApp(EditorApp):
        def compose(self) -> ComposeResult:
            yield EditorPane("x = 1\n", path=tmp_path / "given.py")

    app = PathApp()
    async with app.run_test(size=(100, 30)):
        assert app.pane.border_title == "given.py"
        assert app.pane.load_file("bad\0name.py") is False
        assert app.pane.save_as("bad\0name.py") is False
        assert len(app.errors()) == 2
        assert app.pane.path == tmp_path / "given.py"


async def test_unreadable_files_notify_and_leave_the_buffer_alone(tmp_path: Path) -> None:
    not_utf8 = tmp_path / "latin1.py"
    not_utf8.write_bytes(b"s = '\xe9t\xe9'\n")
    too_big = tmp_path / "big.py"
    with too_big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    app = EditorApp("keep me\n")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        for bad, reason in [
            (not_utf8, "not UTF-8"),
            (too_big, "MB limit"),
            (tmp_path / "missing.py", "No such file"),
            (tmp_path, "not a regular file"),
        ]:
            assert pane.load_file(bad) is False
            await pilot.pause()
            assert reason in app.errors()[-1]
            assert pane.text == "keep me\n"
            assert pane.path is None
    assert len(app.errors()) == 4


async def test_failed_save_as_keeps_text_and_reports(tmp_path: Path) -> None:
    app = EditorApp("precious\n")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.focus()
        await pilot.press("!")
        await wait_until(pilot, lambda: pane.modified)
        assert pane.save_as(tmp_path / "no-such-dir" / "x.py") is False
        assert "Could not save" in app.errors()[-1]
        assert pane.text == "!precious\n"
        assert pane.modified
        assert pane.path is None


async def test_goto_line_moves_cursor_scrolls_and_focuses() -> None:
    text = "".join(f"line_{n} = {n}\n" for n in range(1, 101))
    app = EditorApp(text)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.goto_line(80)
        await pilot.pause()
        area = pane.text_area
        assert area.cursor_location == (79, 0)
        assert app.focused is area
        top = area.scroll_offset.y
        assert top <= 79 < top + area.scrollable_content_region.height

        pane.goto_line(10_000)  # clamped to the last line (the empty one after the final newline)
        assert area.cursor_location == (100, 0)
        pane.goto_line(0)
        assert area.cursor_location == (0, 0)


async def test_selected_or_all() -> None:
    app = EditorApp("first = 1\nsecond = 2\n")
    async with app.run_test(size=(100, 30)):
        pane = app.pane
        assert pane.selected_or_all() == "first = 1\nsecond = 2\n"
        pane.text_area.selection = Selection((1, 0), (1, 6))
        assert pane.selected_or_all() == "second"


async def test_typing_writes_a_recovery_copy_and_saving_clears_it(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path / "state")
    app = EditorApp("", recovery=store)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.focus()
        await pilot.press("a", "b", "c")
        await wait_until(pilot, lambda: store.path.exists())
        await wait_until(pilot, lambda: store.load() == ("abc", None))

        target = tmp_path / "work.py"
        assert pane.save_as(target)
        assert not store.path.exists()
        assert store.load() is None

        await pilot.press("d")
        await wait_until(pilot, lambda: store.load() == ("abcd", str(target)))


async def test_flush_recovery_saves_at_once(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    app = EditorApp("", recovery=store)
    async with app.run_test(size=(100, 30)) as pilot:
        app.pane.text_area.insert("unsaved")
        await wait_until(pilot, lambda: app.pane.modified)
        app.pane.flush_recovery()
        assert store.load() == ("unsaved", None)


async def test_recovered_text_is_offered_back_and_stays_unsaved(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    store.save("while True:\n    pass\n", str(tmp_path / "loop.py"))
    app = EditorApp("default", recovery=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)  # longer than the debounce: starting up must not clear the copy
        recovered = store.load()
        assert recovered == ("while True:\n    pass\n", str(tmp_path / "loop.py"))
        text, path = recovered
        app.pane.set_text(text, Path(path) if path else None, modified=True)
        await pilot.pause()
        assert app.pane.text == text
        assert app.pane.border_title == "loop.py ●"
        app.pane.flush_recovery()
        assert store.load() == recovered


async def test_unwritable_recovery_directory_notifies_once(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("", encoding="utf-8")
    store = RecoveryStore(blocker / "recovery")
    app = EditorApp("", recovery=store)
    async with app.run_test(size=(100, 30)) as pilot:
        app.pane.text_area.insert("x")
        await wait_until(pilot, lambda: app.pane.modified)
        app.pane.flush_recovery()
        app.pane.flush_recovery()
        warnings = [m for severity, m in app.notes if severity == "warning"]
        assert len(warnings) == 1 and "recovery copy" in warnings[0]
        assert app.pane.text == "x"


class DialogApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(PathDialog("Save as", "/tmp/code.py"), self.results.append)


async def test_path_dialog_enter_submits_the_edited_path() -> None:
    app = DialogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(Input).value == "/tmp/code.py"
        await pilot.press("backspace", "backspace", "t", "x", "t", "enter")
        await wait_until(pilot, lambda: bool(app.results))
        assert app.results == ["/tmp/code.txt"]


async def test_path_dialog_escape_cancels_and_empty_path_stays_open() -> None:
    app = DialogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one(Input).value = "   "
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PathDialog) and app.results == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: bool(app.results))
        assert app.results == [None]


async def test_path_dialog_buttons() -> None:
    app = DialogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.click("#path-dialog-ok")
        await wait_until(pilot, lambda: bool(app.results))
        assert app.results == ["/tmp/code.py"]


# --- editing keys: what Thonny, Mu and VS Code do -----------------------------------------


def type_keys(text: str) -> list[str]:
    """Key presses that type ``text`` (each character is its own key)."""
    return list(text)


async def test_ctrl_a_selects_everything_and_typing_replaces_it() -> None:
    app = EditorApp("a = 1\nb = 2\n")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.focus()
        await pilot.press("down", "right")
        await pilot.press("ctrl+a")
        assert pane.text_area.selected_text == "a = 1\nb = 2\n"
        await pilot.press("x")
        assert pane.text == "x"
        await pilot.press("home")  # line start is still on Home
        assert pane.text_area.cursor_location == (0, 0)


async def test_enter_keeps_the_indentation_and_adds_a_level_after_a_colon() -> None:
    app = EditorApp("")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.focus()
        await pilot.press(*type_keys("def f(x):"), "enter")
        await pilot.press(*type_keys("if x:  # why: a comment"), "enter")
        await pilot.press(*type_keys("y = '#:'"), "enter")
        await pilot.press(*type_keys("z = 1  # not a block:"), "enter", "enter")
        await pilot.press(*type_keys("return"))
        assert pane.text.split("\n") == [
            "def f(x):",
            "    if x:  # why: a comment",
            "        y = '#:'",
            "        z = 1  # not a block:",
            "",  # left empty, not eight spaces
            "        return",
        ]
        assert pane.text_area.cursor_location == (5, 14)


async def test_enter_in_the_middle_of_a_line_and_undo_in_one_step() -> None:
    app = EditorApp("for i in range(3):print(i)\n")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        area = pane.text_area
        pane.focus()
        area.move_cursor((0, 18))  # just after the colon
        await pilot.press("enter")
        assert pane.text == "for i in range(3):\n    print(i)\n"
        assert area.cursor_location == (1, 4)
        await pilot.press("ctrl+z")
        assert pane.text == "for i in range(3):print(i)\n"
        area.move_cursor((0, 0))  # at the start of a line nothing is carried over
        await pilot.press("enter")
        assert pane.text == "\nfor i in range(3):print(i)\n"


async def test_tab_inserts_spaces_to_the_next_multiple_of_four() -> None:
    app = EditorApp("ab\n")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.focus()
        await pilot.press("end", "tab")
        assert pane.text == "ab  \n"
        await pilot.press("tab")
        assert pane.text == "ab      \n"
        await pilot.press("home", "tab")
        assert pane.text == "    ab      \n"
        await pilot.press("ctrl+z")
        assert pane.text == "ab      \n"
        assert app.focused is pane.text_area  # Tab indents, it does not move the focus


async def test_tab_and_shift_tab_indent_and_dedent_the_selected_lines() -> None:
    app = EditorApp("if x:\na = 1\n\n  b = 2\nc = 3\n")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        area = pane.text_area
        pane.focus()
        area.selection = Selection((1, 0), (4, 0))  # lines 2-4 selected, from line starts
        await pilot.press("tab")
        assert pane.text == "if x:\n    a = 1\n\n      b = 2\nc = 3\n"  # blank lines stay empty
        assert area.selected_text == "    a = 1\n\n      b = 2\n"  # still the same lines
        await pilot.press("shift+tab")
        assert pane.text == "if x:\na = 1\n\n  b = 2\nc = 3\n"
        await pilot.press("shift+tab")
        assert pane.text == "if x:\na = 1\n\nb = 2\nc = 3\n"  # at most what each line has
        assert app.focused is area  # Shift+Tab dedents here, it does not move the focus
        await pilot.press("ctrl+z")
        assert pane.text == "if x:\na = 1\n\n  b = 2\nc = 3\n"  # one key, one undo step
        await pilot.press("ctrl+z")
        assert pane.text == "if x:\n    a = 1\n\n      b = 2\nc = 3\n"
        await pilot.press("ctrl+z")
        assert pane.text == "if x:\na = 1\n\n  b = 2\nc = 3\n"


async def test_shift_tab_dedents_the_cursor_line_by_one_level() -> None:
    app = EditorApp("      deep = 1\n")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        area = pane.text_area
        pane.focus()
        area.move_cursor((0, 8))
        await pilot.press("shift+tab")
        assert pane.text == "  deep = 1\n"
        assert area.cursor_location == (0, 4)  # on the same character
        await pilot.press("shift+tab", "shift+tab")
        assert pane.text == "deep = 1\n"


async def test_in_the_app_the_editing_keys_reach_the_editor(tmp_path: Path) -> None:
    from workbench.app.app import WorkbenchApp
    from workbench.config import Settings

    app = WorkbenchApp("sim://generic", discover=list, recovery=RecoveryStore(tmp_path / "recovery"),
                       settings=Settings.load(tmp_path / "settings.toml"), initial_code="print(1)\n")
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.query_one("#editor", EditorPane)
        assert app.focused is pane.text_area  # where a person starts typing
        await pilot.press("ctrl+a", *type_keys("while True:"), "enter", *type_keys("x = 1"), "enter")
        assert pane.text == "while True:\n    x = 1\n    "
        await pilot.press("shift+tab", "tab", "tab")
        assert pane.text == "while True:\n    x = 1\n        "
        assert app.focused is pane.text_area
