"""A board held busy by a file action: RUNNING with a label meanwhile, READY after, however it ends."""

from __future__ import annotations

import pytest

from workbench.errors import DeviceDisconnected
from workbench.manager import SessionEvent, SessionManager, SessionState
from workbench.manager.badges import badge_for_state
from workbench.manager.manager import ManagerError


def test_busy_shows_its_label_while_it_lasts_and_ready_after_even_on_errors() -> None:
    events: list[SessionEvent] = []
    with SessionManager() as manager:
        managed = manager.open("sim://generic")
        manager.subscribe(events.append)
        with managed.busy("uploading main.py") as session:
            assert (managed.state, managed.detail) == (SessionState.RUNNING, "uploading main.py")
            assert managed.state_text == "running: uploading main.py"
            assert badge_for_state(managed.state_text) == "running"
            assert session.exec("print(6 * 7)").stdout.strip() == "42"  # between the execs: still busy
            assert managed.state_text == "running: uploading main.py"
        assert managed.state is SessionState.READY
        assert managed.state_text == "raw REPL, ready"
        with pytest.raises(RuntimeError, match="a bug"), managed.busy("listing files"):
            raise RuntimeError("a bug")  # not even a workbench error: the board is freed all the same
        assert managed.state is SessionState.READY
    moves = [(e.old.value, e.new.value, e.detail) for e in events if e.new is not SessionState.CLOSED]
    assert moves == [
        ("ready", "running", "uploading main.py"),
        ("running", "ready", ""),
        ("ready", "running", "listing files"),
        ("running", "ready", ""),
    ]


def test_a_run_inside_a_file_action_does_not_free_the_board_early() -> None:
    """A run and a file action at the same moment: the board is READY only when both ended."""
    with SessionManager() as manager:
        managed = manager.open("sim://generic")
        with managed.busy("deleting :lib"):
            assert managed.exec("print('run')").stdout.strip() == "run"
            assert (managed.state, managed.state_text) == (SessionState.RUNNING, "running: deleting :lib")
        assert managed.state is SessionState.READY


def test_a_board_lost_during_a_file_action_is_lost_and_refuses_the_next() -> None:
    with SessionManager() as manager:
        managed = manager.open("sim://generic?disconnect_after=3000")
        with pytest.raises(DeviceDisconnected), managed.busy("downloading :big.bin") as session:
            session.exec("print('x' * 4000)")
        assert managed.state is SessionState.LOST
        assert badge_for_state(managed.state_text) == "lost"
        with pytest.raises(ManagerError, match="lost"), managed.busy("listing files"):
            pass
