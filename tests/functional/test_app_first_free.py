"""``workbench -d A -d B`` (each tab of ``workbench serve -d A -d B``): the app starts on the
first board no other program has, and says why it did not take the one it skipped."""

from __future__ import annotations

from pathlib import Path

from tests.functional.test_app import connected, output_lines
from tests.support.pty_bridge import PtyBridge
from workbench.app.app import WorkbenchApp
from workbench.app.main import start_order
from workbench.app.recovery import RecoveryStore
from workbench.app.widgets.devices_pane import DevicesPane
from workbench.config import Settings
from workbench.engine.session import connect
from workbench.manager.badges import badge_for_state


def app_on(tmp_path: Path, first: str, *others: str) -> WorkbenchApp:
    return WorkbenchApp(first, start_fallbacks=others, discover=list, initial_code="print(7 * 6)\n",
                        recovery=RecoveryStore(tmp_path / "recovery"),
                        settings=Settings.load(tmp_path / "settings.toml"))


async def test_a_board_in_use_is_passed_over_for_the_next(tmp_path: Path) -> None:
    with PtyBridge("sim://generic") as taken, PtyBridge("sim://generic") as free:
        owner = connect(taken.path)  # another tab has the first board
        try:
            app = app_on(tmp_path, taken.path, free.path)
            async with app.run_test(size=(160, 45)) as pilot:
                await connected(pilot)
                assert app.device_url == free.path
                assert app.query_one("#devices", DevicesPane).badge(taken.path) == badge_for_state("error")
                await pilot.press("f5")  # the keyboard is in the editor
                await pilot.pause()
                for _ in range(500):
                    if "42" in output_lines(app):
                        break
                    await pilot.pause(0.01)
                assert "42" in output_lines(app)
            assert owner.exec("print(1)").stdout == "1\r\n"  # the other tab's board untouched
        finally:
            owner.close()


async def test_with_every_board_in_use_the_app_shows_the_first_and_says_so(tmp_path: Path) -> None:
    with PtyBridge("sim://generic") as one, PtyBridge("sim://generic") as two:
        owners = [connect(one.path), connect(two.path)]
        try:
            app = app_on(tmp_path, one.path, two.path)
            async with app.run_test(size=(160, 45)) as pilot:
                for _ in range(500):
                    if any("every board" in line for line in output_lines(app)):
                        break
                    await pilot.pause(0.01)
                assert app.device_url == one.path
                shown = " ".join(output_lines(app))
                assert f"could not open {one.path}: in use" in shown  # who has the first
                assert f"every board this app may start on is in use ({one.path}, {two.path})" in shown
                assert app.session is None
        finally:
            for owner in owners:
                owner.close()


async def test_with_every_board_in_use_the_first_says_who_has_it(tmp_path: Path) -> None:
    with PtyBridge("sim://generic") as only:
        owner = connect(only.path)
        try:
            app = app_on(tmp_path, only.path)
            async with app.run_test(size=(160, 45)) as pilot:
                for _ in range(500):
                    if any("in use" in line for line in output_lines(app)):
                        break
                    await pilot.pause(0.01)
                assert any(f"could not open {only.path}: in use" in line for line in output_lines(app))
                assert app.session is None
        finally:
            owner.close()


def test_the_start_order_puts_boards_held_by_others_last() -> None:
    with PtyBridge("sim://generic") as taken, PtyBridge("sim://generic") as free:
        owner = connect(taken.path)
        try:
            assert start_order([taken.path, "sim://generic", free.path]) == ["sim://generic", free.path, taken.path]
        finally:
            owner.close()
