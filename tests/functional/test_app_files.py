"""Pilot tests of the Files pane: a person's files on the board, from the keyboard.

Each simulated board keeps its files in a folder of the test's own (``?fs=DIR``), so what the
pane shows and what an action did are checked against real files.
"""

from __future__ import annotations

from pathlib import Path

from tests.functional.test_app import connected, make_app, wait_for
from workbench.app.app import WorkbenchApp
from workbench.app.widgets.confirm_dialog import ConfirmDialog
from workbench.app.widgets.devices_pane import DevicesPane
from workbench.app.widgets.editor_pane import EditorPane
from workbench.app.widgets.files_pane import FilesPane
from workbench.app.widgets.path_dialog import PathDialog
from workbench.app.widgets.status_bar import StatusBar


def board_folder(tmp_path: Path, name: str = "board") -> Path:
    """A board's filesystem: main.py (12 bytes) and lib/util.py (1,500 bytes)."""
    folder = tmp_path / name
    (folder / "lib").mkdir(parents=True)
    (folder / "main.py").write_text("print('hi')\n")
    (folder / "lib" / "util.py").write_bytes(b"#" * 1500)
    return folder


def sim_url(folder: Path, extra: str = "") -> str:
    return f"sim://generic?fs={folder}{extra}"


def notifications(app: WorkbenchApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def in_editor(app: WorkbenchApp) -> bool:
    """Whether the keyboard is in the editor."""
    editor = app.query_one("#editor")
    return app.focused is not None and editor in app.focused.ancestors_with_self


def pane(app: WorkbenchApp) -> FilesPane:
    return app.query_one("#files", FilesPane)


async def files_shown(pilot) -> FilesPane:
    """F11 from the editor shows the Files pane with the keyboard in it, listed."""
    app = pilot.app
    await connected(pilot)
    assert in_editor(app)
    await pilot.press("f11")
    files = pane(app)
    await wait_for(pilot, lambda: files.entries() != [])
    assert app.focused is files.tree
    return files


async def move_to(pilot, name: str) -> None:
    """Arrow keys down the tree until the cursor is on the entry called ``name``."""
    files = pane(pilot.app)
    for _ in range(20):
        entry = files.selected_entry
        if entry is not None and entry.name == name:
            return
        await pilot.press("down")
    raise AssertionError(f"{name} is not in the Files pane: {files.labels()}")


async def test_the_pane_lists_files_with_sizes_and_opens_folders_on_enter(tmp_path: Path) -> None:
    app = make_app(tmp_path, sim_url(board_folder(tmp_path)))
    async with app.run_test(size=(160, 50)) as pilot:
        files = await files_shown(pilot)
        assert files.labels() == ["lib/", "main.py  12 B"]
        await move_to(pilot, "lib")
        await pilot.press("enter")  # a folder is listed when opened
        await wait_for(pilot, lambda: "util.py  1.5 KB" in files.labels())
        assert files.labels() == ["lib/", "util.py  1.5 KB", "main.py  12 B"]
        await pilot.press("f11")  # hidden again: the keyboard goes back to the editor
        await wait_for(pilot, lambda: in_editor(app))


async def test_enter_opens_a_board_file_and_ctrl_s_writes_it_back(tmp_path: Path) -> None:
    folder = board_folder(tmp_path)
    app = make_app(tmp_path, sim_url(folder))
    async with app.run_test(size=(160, 50)) as pilot:
        await files_shown(pilot)
        await move_to(pilot, "main.py")
        await pilot.press("enter")
        editor = app.query_one("#editor", EditorPane)
        await wait_for(pilot, lambda: editor.text == "print('hi')\n")
        assert editor.board_file is not None and editor.board_file.path == "main.py"
        assert in_editor(app)  # ready to type
        await pilot.press("end", "#", "!")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: (folder / "main.py").read_text() == "print('hi')#!\n")
        await wait_for(pilot, lambda: not editor.modified)


async def test_delete_asks_first_and_names_what_a_folder_holds(tmp_path: Path) -> None:
    folder = board_folder(tmp_path)
    app = make_app(tmp_path, sim_url(folder))
    async with app.run_test(size=(160, 50)) as pilot:
        files = await files_shown(pilot)
        await move_to(pilot, "main.py")
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")  # no: nothing happens
        await pilot.pause()
        assert (folder / "main.py").exists()
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: not (folder / "main.py").exists())
        await wait_for(pilot, lambda: files.labels() == ["lib/"])  # listed again
        await move_to(pilot, "lib")
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "the one file or folder in it" in app.screen.text
        await pilot.press("enter")
        await wait_for(pilot, lambda: not (folder / "lib").exists())


async def test_upload_a_host_file_into_the_selected_folder(tmp_path: Path) -> None:
    folder = board_folder(tmp_path)
    host = tmp_path / "blink.py"
    host.write_text("from machine import Pin\n" * 40)  # 960 bytes
    app = make_app(tmp_path, sim_url(folder))
    async with app.run_test(size=(160, 50)) as pilot:
        files = await files_shown(pilot)
        await move_to(pilot, "lib")
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.query_one("#path-dialog-input").value = str(host)
        await pilot.press("enter")
        await wait_for(pilot, lambda: (folder / "lib" / "blink.py").exists())
        assert (folder / "lib" / "blink.py").read_bytes() == host.read_bytes()
        # shown where it went, with the cursor on it
        await wait_for(pilot, lambda: files.labels() == ["lib/", "blink.py  960 B", "util.py  1.5 KB", "main.py  12 B"])
        await wait_for(pilot, lambda: files.selected_entry is not None and files.selected_entry.path == "lib/blink.py")
        assert any("Uploaded blink.py to :lib/blink.py" in text for text in notifications(app))
        status, devices = app.query_one("#status", StatusBar), app.query_one("#devices", DevicesPane)
        await wait_for(pilot, lambda: devices.badge(app.device_url) == "raw" and "raw REPL, ready" in status.summary)


async def test_a_slow_transfer_shows_progress_and_esc_cancels_it(tmp_path: Path) -> None:
    folder = board_folder(tmp_path)
    host = tmp_path / "big.bin"
    host.write_text("x = 1\n" * 1400)  # 8.4 KB at 2 KB/s: four seconds
    app = make_app(tmp_path, sim_url(folder, "&baud=20000"))
    async with app.run_test(size=(160, 50)) as pilot:
        await files_shown(pilot)
        await move_to(pilot, "main.py")  # into the board's current folder
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.query_one("#path-dialog-input").value = str(host)
        await pilot.press("enter")
        status = app.query_one("#status", StatusBar)
        devices = app.query_one("#devices", DevicesPane)
        # busy for the whole upload, and saying with what (not "ready" between its steps)
        await wait_for(pilot, lambda: "running: uploading big.bin" in status.summary, limit=400)
        assert devices.badge(app.device_url) == "running"
        await wait_for(pilot, lambda: status.transfer is not None, limit=400)
        assert "big.bin" in (status.transfer or "") and "%" in (status.transfer or "")
        assert "running: uploading big.bin" in status.summary and devices.badge(app.device_url) == "running"
        await wait_for(pilot, lambda: "running: uploading big.bin" in devices.option_list.get_option(
            app.device_url).prompt.plain, limit=400)  # the row says with what, too
        await pilot.press("f5")  # a run waits for no transfer: it is refused, clearly
        assert any("busy with the upload of big.bin" in text for text in notifications(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: any(text.startswith("cancelled:") for text in notifications(app)), limit=1000)
        assert status.transfer is None
        # ready again once cancelled
        await wait_for(pilot, lambda: devices.badge(app.device_url) == "raw" and "raw REPL, ready" in status.summary)
        assert "running" not in status.summary
        assert sorted(path.name for path in folder.iterdir()) == ["lib", "main.py"]  # no big.bin, no leftovers
        assert any("upload of big.bin to :big.bin; the board's :big.bin unchanged" in text for text in notifications(app))


async def test_the_pane_follows_the_selected_board(tmp_path: Path) -> None:
    first = board_folder(tmp_path, "first")
    second = tmp_path / "second"
    second.mkdir()
    (second / "boot.py").write_text("# boot\n")
    app = make_app(tmp_path, sim_url(first))
    async with app.run_test(size=(160, 50)) as pilot:
        files = await files_shown(pilot)
        assert "main.py  12 B" in files.labels()
        app.query_one("#devices", DevicesPane).post_message(DevicesPane.ConnectRequested(sim_url(second)))
        await wait_for(pilot, lambda: files.labels() == ["boot.py  7 B"])
        assert files.url == sim_url(second)
        app.query_one("#devices", DevicesPane).post_message(DevicesPane.ConnectRequested(sim_url(first)))
        await wait_for(pilot, lambda: files.labels() == ["lib/", "main.py  12 B"])
