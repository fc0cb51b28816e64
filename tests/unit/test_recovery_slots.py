"""Recovery slots: every running app (each browser tab of ``workbench serve``) keeps its own
unsaved text, and an ended app's text comes back in the next app that starts."""

from __future__ import annotations

import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.app.recovery import RecoveryStore, host_key

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="no flock: one shared folder, as before slots"
)

HOLDER = """
import sys
from pathlib import Path
from workbench.app.recovery import RecoveryStore
store = RecoveryStore.claim(Path(sys.argv[1]))
store.save("the other tab's text", None)
print(store.directory, flush=True)
sys.stdin.read()  # holds the slot until the test closes our stdin
"""


@pytest.fixture
def claimed() -> Iterator[list[RecoveryStore]]:
    """Stores claimed by a test, released at its end (a lock must not outlive the test)."""
    stores: list[RecoveryStore] = []
    yield stores
    for store in stores:
        store.release()


def test_two_apps_get_their_own_folders_and_keep_their_own_text(
    tmp_path: Path, claimed: list[RecoveryStore]
) -> None:
    base = tmp_path / "recovery"
    first, second = RecoveryStore.claim(base), RecoveryStore.claim(base)
    claimed += [first, second]
    assert first.directory == base  # a single app keeps its copies where it always did
    assert second.directory == base / "2"
    first.save("tab A", None)
    second.save("tab B", "/w/b.py")
    assert first.load() == ("tab A", None)
    assert second.load() == ("tab B", "/w/b.py")
    assert first.load_documents() == [] and second.load_documents() == []


def test_an_ended_apps_copies_come_back_as_documents_of_the_next_app(
    tmp_path: Path, claimed: list[RecoveryStore]
) -> None:
    base = tmp_path / "recovery"
    running, ended_2, ended_3 = (RecoveryStore.claim(base) for _ in range(3))
    claimed.append(running)
    running.save("running tab", None)
    ended_2.save("tab 2 main", None)
    ended_3.save("tab 3 main", "/w/three.py")
    ended_3.save("tab 3 keyed", None, key="untitled:abc")
    ended_2.release()
    ended_3.release()

    nxt = RecoveryStore.claim(base)
    claimed.append(nxt)
    assert nxt.directory == base / "2"  # the first free slot, its own main copy kept as main
    assert nxt.load() == ("tab 2 main", None)
    assert not (base / "3").exists()  # adopted, then removed
    copies = {(c.key, c.text, c.path) for c in nxt.load_documents()}
    assert copies == {
        (host_key("/w/three.py"), "tab 3 main", "/w/three.py"),
        ("untitled:abc", "tab 3 keyed", None),
    }
    assert running.load() == ("running tab", None)  # a running app's slot is never touched


def test_a_clash_keeps_both_texts_the_newer_under_the_documents_own_copy(
    tmp_path: Path, claimed: list[RecoveryStore]
) -> None:
    base = tmp_path / "recovery"
    running, mine, ended = (RecoveryStore.claim(base) for _ in range(3))
    claimed.append(running)
    ended.save("older", "/w/x.py", key=host_key("/w/x.py"))
    mine.save("newer", "/w/x.py", key=host_key("/w/x.py"))
    mine.release()
    ended.release()

    nxt = RecoveryStore.claim(base)
    claimed.append(nxt)
    copies = {(c.key.split(":")[0], c.text, c.path) for c in nxt.load_documents()}
    assert copies == {("host", "newer", "/w/x.py"), ("untitled", "older", None)}


def test_a_slot_held_by_a_running_process_is_adopted_only_after_it_exits(
    tmp_path: Path, claimed: list[RecoveryStore]
) -> None:
    base = tmp_path / "recovery"
    claimed += [RecoveryStore.claim(base), RecoveryStore.claim(base)]  # slots 1 and 2
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(base)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        ready, _, _ = select.select([holder.stdout], [], [], 20)
        assert ready, "the holder process did not claim a slot in time"
        held = Path(holder.stdout.readline().strip())
        assert held == base / "3"

        claimed[1].release()  # slot 2 is free: the next app takes it and looks at slot 3
        alive = RecoveryStore.claim(base)
        assert alive.directory == base / "2"
        assert alive.load_documents() == []  # the running process's text is not taken from it
        assert (held / "recovery.json").exists()
        alive.release()

        holder.stdin.close()
        assert holder.wait(timeout=20) == 0
        after = RecoveryStore.claim(base)
        claimed.append(after)
        assert after.directory == base / "2"
        assert [c.text for c in after.load_documents()] == ["the other tab's text"]
        assert not held.exists()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=20)


def test_two_workbench_apps_built_without_a_store_use_different_slots(tmp_path: Path) -> None:
    from workbench.app.app import WorkbenchApp
    from workbench.config import Settings, state_dir

    apps = [
        WorkbenchApp("sim://generic", discover=list, settings=Settings.load(tmp_path / "settings.toml"))
        for _ in range(2)
    ]
    try:
        assert [app.recovery.directory for app in apps] == [
            state_dir() / "recovery",
            state_dir() / "recovery" / "2",
        ]
    finally:
        for app in apps:
            app.recovery.release()


async def test_adopted_copies_open_as_tabs_with_their_text_and_file(tmp_path: Path) -> None:
    from textual.app import App, ComposeResult

    from workbench.app.widgets.editor_pane import EditorPane

    base = tmp_path / "recovery"
    host = tmp_path / "blink.py"
    host.write_text("led = 1\n", encoding="utf-8")
    mine, untitled_tab, file_tab = (RecoveryStore.claim(base) for _ in range(3))
    mine.save("my text", None)
    untitled_tab.save("closed tab, untitled", None)
    file_tab.save("closed tab, blink", str(host))
    for store in (mine, untitled_tab, file_tab):
        store.release()
    store = RecoveryStore.claim(base)

    class Editor(App[None]):
        def compose(self) -> ComposeResult:
            yield EditorPane("", recovery=store)

    try:
        app = Editor()
        async with app.run_test(size=(100, 30)) as pilot:
            pane = app.query_one(EditorPane)
            assert sorted(pane.restore_recovered()) == sorted(["untitled", "untitled", str(host)])
            await pilot.pause()
            texts = {(d.path, pane.switch_to(d.id) and pane.text) for d in pane.documents}
            assert texts == {(None, "my text"), (None, "closed tab, untitled"), (host, "closed tab, blink")}
            assert all(d.modified for d in pane.documents)
    finally:
        store.release()
