"""Pilot tests of the first app screen: run code, see its output, stop a loop."""

from __future__ import annotations

import pytest
from textual.widgets import RichLog, TextArea

from tests.conftest import requires_micropython
from workbench.app.main import WorkbenchApp


def output_text(app: WorkbenchApp) -> str:
    return "\n".join(strip.text for strip in app.query_one("#output", RichLog).lines)


async def wait_for(pilot, condition, limit: int = 1000) -> None:
    """Let the app process messages until ``condition()`` holds (bounded)."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause(0.01)
    status = str(pilot.app.query_one("#status").render())
    raise AssertionError(f"condition not met in time; status: {status!r}; output: {output_text(pilot.app)!r}")


async def test_run_code_and_see_output() -> None:
    app = WorkbenchApp("sim://generic")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.session is not None)
        app.query_one("#editor", TextArea).text = "print('from the board', 6 * 7)"
        await pilot.press("f5")
        await wait_for(pilot, lambda: "from the board 42" in output_text(app))


@pytest.mark.parametrize("url", ["sim://generic", pytest.param("spawn://micropython", marks=requires_micropython)])
async def test_stop_a_running_loop(url: str) -> None:
    app = WorkbenchApp(url)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.session is not None)
        app.query_one("#editor", TextArea).text = "print('looping')\nwhile True:\n  pass"
        await pilot.press("f5")
        await wait_for(pilot, lambda: "looping" in output_text(app))
        await pilot.press("f6")
        await wait_for(pilot, lambda: "KeyboardInterrupt" in str(app.query_one("#status").render()))


async def test_bad_device_shows_an_error_not_a_crash() -> None:
    app = WorkbenchApp("/dev/does-not-exist-wb")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "could not open" in str(app.query_one("#status").render()))
        await pilot.press("f5")  # no session: a notification, no exception
        assert app.session is None


def test_default_device_is_the_simulated_board_without_a_plugged_in_board(monkeypatch) -> None:
    import serial.tools.list_ports

    from workbench.app.main import default_device

    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda include_links=False: [])
    assert default_device() == "sim://generic"


async def test_output_in_pieces_is_shown_as_whole_lines() -> None:
    app = WorkbenchApp("sim://generic")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.session is not None)
        app.query_one("#editor", TextArea).text = "for i in range(3):\n  print('a', i, end='')\n  print(' b')\nprint('tail', end='')"
        await pilot.press("f5")
        await wait_for(pilot, lambda: "tail" in output_text(app))
        assert output_text(app).splitlines() == ["a 0 b", "a 1 b", "a 2 b", "tail"]
