"""Pilot tests of the editor's tabs: several documents, host and board files, each with its
unsaved marker and recovery copy; keys pressed as a person would, with the keyboard in the text."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType

from tests.support.pilot import wait_until
from workbench.app.documents import BoardFile
from workbench.app.recovery import RecoveryStore, board_key
from workbench.app.widgets.confirm_dialog import ConfirmDialog
from workbench.app.widgets.editor_pane import EditorPane
from workbench.app.widgets.editor_tabs import DocumentTabs

URL = "sim://esp32"


class TabsApp(App[None]):
    """One EditorPane, Ctrl+S bound as the workbench binds it, the SaveToBoard messages kept."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", "Save", priority=True)]

    def __init__(self, text: str = "", recovery: RecoveryStore | None = None) -> None:
        super().__init__()
        self.initial_text = text
        self.recovery = recovery
        self.board_saves: list[EditorPane.SaveToBoard] = []

    def compose(self) -> ComposeResult:
        yield EditorPane(self.initial_text, recovery=self.recovery, recovery_delay=0.2)

    def action_save(self) -> None:
        self.pane.save()

    def on_editor_pane_save_to_board(self, message: EditorPane.SaveToBoard) -> None:
        self.board_saves.append(message)

    @property
    def pane(self) -> EditorPane:
        return self.query_one(EditorPane)

    def tab_labels(self) -> list[str]:
        tabs = self.query_one(DocumentTabs)
        return [tab.title + (" ●" if tab.modified else "") for tab in tabs.tabs] if tabs.display else []



async def test_two_host_files_switch_with_the_keys_and_keep_text_marker_and_undo(tmp_path: Path) -> None:
    first, second = tmp_path / "blink.py", tmp_path / "main.py"
    first.write_text("led = 1\n", encoding="utf-8")
    second.write_text("x = 1\n", encoding="utf-8")
    app = TabsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        assert app.tab_labels() == []  # one document: no tab strip, as the editor always looked
        assert pane.open_host_file(first)
        await pilot.pause()
        assert app.tab_labels() == []  # the empty untitled document gave its place to the file
        assert pane.open_host_file(second)
        await pilot.pause()
        assert app.tab_labels() == ["blink.py", "main.py"]
        assert pane.border_title == "main.py"

        await pilot.click(pane.text_area)  # into the text, as a person does
        await pilot.press("end", "!")
        await wait_until(pilot, lambda: pane.modified)
        assert app.tab_labels() == ["blink.py", "main.py ●"]

        await pilot.press("ctrl+pageup")
        assert pane.path == first and pane.text == "led = 1\n" and not pane.modified
        assert pane.border_title == "blink.py"
        assert app.focused is pane.text_area  # the keyboard went along
        await pilot.press("ctrl+pagedown")
        assert pane.path == second and pane.text == "x = 1!\n" and pane.modified
        assert pane.border_title == "main.py ●"
        assert pane.text_area.cursor_location == (0, 6)  # where the typing stopped
        await pilot.press("ctrl+pagedown")  # round to the first
        assert pane.path == first

        assert pane.open_host_file(tmp_path / "." / "main.py")  # open already: its tab, no new one
        assert [d.title for d in pane.documents] == ["blink.py", "main.py"]
        assert pane.text == "x = 1!\n"
        await pilot.press("ctrl+z")  # the undo history stayed with the document
        await wait_until(pilot, lambda: not pane.modified)
        assert pane.text == "x = 1\n"

        await pilot.click(DocumentTabs, offset=(2, 0))  # the first tab
        assert pane.path == first
        assert not pane.save_as(second)  # open in the other tab: refused, nothing overwritten
        assert second.read_text(encoding="utf-8") == "x = 1\n"


async def test_a_board_file_saves_through_the_app_and_mark_saved_clears_only_current_text(
    tmp_path: Path,
) -> None:
    store = RecoveryStore(tmp_path / "recovery")
    app = TabsApp("scratch = 1\n", recovery=store)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.open_board_file(URL, "lib/main.py", "x = 1\n")
        await pilot.pause()
        assert pane.board_file == BoardFile(URL, "lib/main.py") and str(pane.board_file) == ":lib/main.py"
        assert pane.path is None and not pane.modified
        assert app.tab_labels() == ["untitled", ":main.py"]

        await pilot.click(pane.text_area)
        await pilot.press("end", "2")
        await wait_until(pilot, lambda: pane.modified)
        copy = store.copy_path(board_key(URL, "lib/main.py"))
        await wait_until(pilot, copy.exists)  # its own recovery copy, not the main one
        assert not store.path.exists()

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(app.board_saves))
        saved = app.board_saves[0]
        document_id = pane.documents[1].id
        assert (saved.url, saved.board_path, saved.text, saved.document_id) == (
            URL,
            "lib/main.py",
            "x = 12\n",
            document_id,
        )
        assert pane.modified  # until the app says the board has it
        assert not list(tmp_path.glob("*.py"))  # nothing written on the host

        await pilot.press("3")  # typing went on while the board was written
        pane.mark_saved(document_id, saved.text)
        assert pane.modified and app.tab_labels() == ["untitled", ":main.py ●"]
        pane.open_board_file(URL, "lib/main.py", "x = 12\n")  # read again: unsaved text is kept
        assert pane.text == "x = 123\n" and len(pane.documents) == 2

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(app.board_saves) == 2)
        pane.mark_saved(document_id, app.board_saves[1].text)
        assert not pane.modified and app.tab_labels() == ["untitled", ":main.py"]
        assert not copy.exists()


async def test_ctrl_w_asks_before_closing_unsaved_text_and_the_last_close_leaves_untitled(
    tmp_path: Path,
) -> None:
    app = TabsApp("keep = 1\n")
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        pane.open_board_file(URL, "main.py", "")
        await pilot.click(pane.text_area)
        await pilot.press("a")
        await wait_until(pilot, lambda: pane.modified)

        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")  # no: nothing is lost
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert pane.text == "a" and len(pane.documents) == 2
        assert app.focused is pane.text_area

        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")  # yes, close without saving
        await wait_until(pilot, lambda: len(pane.documents) == 1)
        assert pane.text == "keep = 1\n" and pane.board_file is None
        assert app.tab_labels() == []

        await wait_until(pilot, lambda: app.focused is pane.text_area)
        await pilot.press("ctrl+w")  # saved text closes at once; the last leaves an empty untitled
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert pane.text == "" and pane.path is None and pane.border_title == "untitled"
        assert app.focused is pane.text_area


async def test_each_documents_recovery_copy_survives_a_restart(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path / "recovery")
    host = tmp_path / "blink.py"
    host.write_text("led = 1\n", encoding="utf-8")
    app = TabsApp("", recovery=store)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        await pilot.click(pane.text_area)
        await pilot.press("u")  # the untitled document: the main copy, as before tabs
        pane.open_host_file(host)
        await pilot.press("h")
        pane.open_board_file(URL, "main.py", "b = 1\n")
        await pilot.press("b")
        await wait_until(pilot, lambda: all(d.modified for d in pane.documents))
    # The app is gone (within the recovery delay of the last key): every copy was written.

    again = TabsApp("default\n", recovery=store)
    async with again.run_test(size=(100, 30)) as pilot:
        pane = again.pane
        assert sorted(pane.restore_recovered()) == sorted(["untitled", str(host), ":main.py"])
        await pilot.pause()
        texts = {(d.title, d.board_file): pane.switch_to(d.id) and pane.text for d in pane.documents}
        assert texts == {
            ("untitled", None): "u",
            ("blink.py", None): "hled = 1\n",
            (":main.py", BoardFile(URL, "main.py")): "bb = 1\n",
        }
        assert all(d.modified for d in pane.documents)
        assert again.tab_labels() == ["untitled ●", "blink.py ●", ":main.py ●"]
        assert pane.save_as(tmp_path / "from-board.py")  # a board file saved on the host
        assert pane.path == tmp_path / "from-board.py" and pane.board_file is None
    assert not store.copy_path(board_key(URL, "main.py")).exists()


async def test_in_the_app_ctrl_e_reaches_the_active_documents_text(tmp_path: Path) -> None:
    from workbench.app.app import WorkbenchApp
    from workbench.config import Settings

    second = tmp_path / "main.py"
    second.write_text("x = 1\n", encoding="utf-8")
    app = WorkbenchApp(
        "sim://generic",
        discover=list,
        recovery=RecoveryStore(tmp_path / "recovery"),
        settings=Settings.load(tmp_path / "settings.toml"),
        initial_code="print(1)\n",
    )
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.query_one("#editor", EditorPane)
        assert pane.open_host_file(second)
        await pilot.press("ctrl+n", "ctrl+e", "!")  # away to the output and back
        assert app.focused is pane.text_area
        assert pane.text == "!x = 1\n"
        await pilot.press("ctrl+pageup", "ctrl+n", "ctrl+e", "?")
        assert pane.text == "?print(1)\n"


def test_keyed_copies_sit_beside_the_main_one_and_a_damaged_one_is_set_aside(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path)
    store.save("main", None)
    store.save("on the board", None, key=board_key(URL, "main.py"), board_url=URL, board_path="main.py")
    store.save("on the host", "/w/main.py", key="host:/w/main.py")
    assert store.load() == ("main", None)  # the main copy, as before tabs
    copies = {(c.text, c.path, c.board_url, c.board_path) for c in store.load_documents()}
    assert copies == {("on the board", None, URL, "main.py"), ("on the host", "/w/main.py", None, None)}

    store.copy_path("host:/w/main.py").write_bytes(b"{half a fi")
    assert [c.text for c in store.load_documents()] == ["on the board"]
    assert len(list(tmp_path.glob("recovery-*.json.corrupt-*"))) == 1  # kept for a person, not deleted
    store.clear(board_key(URL, "main.py"))
    assert store.load_documents() == [] and store.load() == ("main", None)
