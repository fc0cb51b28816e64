"""``workbench serve --root DIR``: paths typed into the app's dialogs stay inside DIR."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.host_root import OutsideRoot, host_path


def test_without_a_served_folder_paths_are_used_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_ROOT", raising=False)
    assert host_path("~/x.py") == Path("~/x.py").expanduser()
    assert host_path("/etc/passwd") == Path("/etc/passwd")


def test_paths_inside_the_folder_are_taken_from_it_and_the_rest_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "lab"
    (root / "sub").mkdir(parents=True)
    (root / "out").symlink_to(tmp_path)  # a link that leads out of the folder
    monkeypatch.setenv("WORKBENCH_ROOT", str(root))
    assert host_path("main.py") == root.resolve() / "main.py"
    assert host_path("sub/../x.py") == root.resolve() / "x.py"
    assert host_path(root / "sub" / "y.py") == root.resolve() / "sub" / "y.py"
    for outside in ("../secret.txt", "/etc/passwd", "out/anything.py", "sub/../../z"):
        with pytest.raises(OutsideRoot, match="outside the folder this server shares"):
            host_path(outside)


async def test_the_app_refuses_to_open_a_file_outside_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.functional.test_app import connected, make_app, wait_for
    from workbench.app.widgets.editor_pane import EditorPane

    root = tmp_path / "lab"
    root.mkdir()
    (root / "mine.py").write_text("print('mine')\n")
    monkeypatch.setenv("WORKBENCH_ROOT", str(root))
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await connected(pilot)
        await pilot.press("ctrl+o", "ctrl+u")  # the dialog's field, emptied
        await pilot.press(*"/etc/hostname", "enter")
        await wait_for(pilot, lambda: any("outside the folder this server shares" in n.message for n in app._notifications))
        editor = app.query_one("#editor", EditorPane)
        assert editor.path is None
        await pilot.press("ctrl+o", "ctrl+u", *"mine.py", "enter")
        await wait_for(pilot, lambda: editor.path == root.resolve() / "mine.py")
        assert "print('mine')" in editor.text
