"""The session manager: several boards side by side, lost boards, reconnects, no leaks."""

from __future__ import annotations

import queue
import sys
import threading
import time

import pytest

from tests.conftest import micropython_path, real_interpreter_skip_reason
from workbench import Profile
from workbench.discovery.ports import PortInfo
from workbench.engine.stepping import PendingStep
from workbench.errors import ConnectError
from workbench.manager import SessionEvent, SessionManager, SessionState, snapshot
from workbench.manager.manager import ManagerError

HAS_MICROPYTHON = real_interpreter_skip_reason() is None
#: Bound on waiting for a state the manager reaches on its own (lost, reconnected).
STATE_WAIT_S = 15.0


def wait_for_state(manager: SessionManager, url: str, state: SessionState) -> None:
    changed = threading.Event()
    unsubscribe = manager.subscribe(lambda event: changed.set())
    try:
        deadline = time.monotonic() + STATE_WAIT_S
        while True:
            managed = manager.get(url)
            if managed is not None and managed.state is state:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{url} never became {state.value}: {managed!r}")
            changed.wait(min(left, 0.2))
            changed.clear()
    finally:
        unsubscribe()


def eight_devices() -> list[str]:
    """Spawned interpreters where installed, simulated boards otherwise; the last one hangs."""
    urls = [f"sim://generic?seed={i}" for i in range(5)] + ["sim://rp2040?boot_ms=0", "sim://stm32?boot_ms=0"]
    if HAS_MICROPYTHON:
        urls = [f"spawn://{micropython_path()}", "spawn://micropython", *urls[:5]]
    return [*urls, "sim://generic?hang_after=1500"]


def test_open_look_up_close_and_the_states_in_between() -> None:
    events: list[SessionEvent] = []
    with SessionManager() as manager:
        manager.subscribe(events.append)
        first = manager.open("sim://generic")
        second = manager.open("sim://rp2040?boot_ms=0")
        assert manager.open("sim://generic") is first  # one session per board
        assert [m.url for m in manager.sessions()] == ["sim://generic", "sim://rp2040?boot_ms=0"]
        assert first.state is SessionState.READY and second.state is SessionState.READY
        assert first.exec("print('a')").stdout.strip() == "a"
        assert second.exec("print('b')").stdout.strip() == "b"
        manager.close("sim://generic")
        assert manager.get("sim://generic") is None
        assert first.state is SessionState.CLOSED
        with pytest.raises(ManagerError, match="closed"):
            first.exec("print(1)")
    assert second.state is SessionState.CLOSED
    generic = [(e.old.value, e.new.value) for e in events if e.url == "sim://generic"]
    assert generic == [
        ("connecting", "connecting"),
        ("connecting", "ready"),
        ("ready", "running"),
        ("running", "ready"),
        ("ready", "closed"),
    ]


def test_a_board_that_cannot_be_opened_is_not_kept() -> None:
    with SessionManager() as manager:
        with pytest.raises(ConnectError):
            manager.open("sim://no-such-board")
        assert len(manager) == 0


def test_a_board_that_never_opened_is_closed_not_lost() -> None:
    """Lost means it was connected and went away; a first open that fails was never there
    (the app would otherwise report a mistyped port as 'lost')."""
    events: list[SessionEvent] = []
    with SessionManager() as manager:
        manager.subscribe(events.append)
        with pytest.raises(ConnectError, match="no such port"):
            manager.open("/dev/ttyNOPE-workbench")
    states = [event.new for event in events]
    assert SessionState.LOST not in states
    assert states[-1] is SessionState.CLOSED
    assert "no such port" in events[-1].detail


def test_eight_boards_at_once_the_hung_one_times_out_alone() -> None:
    urls = eight_devices()
    code = "x = 0\n" + "".join(f"x += {i}\n" for i in range(400)) + "print('done', x)\n"  # ~4 KB
    profile = Profile(response_timeout_s=2.0)
    with SessionManager(profile_for=lambda _url: profile) as manager:
        for url in urls:
            manager.open(url)
        started = time.monotonic()
        outcomes = manager.run_on(urls, code, timeout=5.0)
        total = time.monotonic() - started
    by_url = {o.url: o for o in outcomes}
    hung = by_url[urls[-1]]
    assert hung.status == "failed" and hung.error is not None
    assert "CTRL-A (window credit)" in hung.error or "timeout" in hung.error.lower()
    for url in urls[:-1]:
        assert by_url[url].status == "ok", by_url[url].error
        assert by_url[url].result.stdout.strip() == f"done {sum(range(400))}"
        assert by_url[url].duration_s < hung.duration_s  # nobody waited for the hung board
    assert total < hung.duration_s + 1.0  # side by side: about the slowest, not the sum
    assert hung.duration_s >= 2.0  # it waited out its own response timeout


def test_a_lost_board_releases_everything_and_comes_back_when_asked() -> None:
    url = "sim://generic?disconnect_after=3000"
    with SessionManager(reconnect_interval_s=0.1) as manager:
        managed = manager.open(url, auto_reconnect=True)
        assert managed.resources()
        with pytest.raises(Exception, match="disconnect|unplugged|gone|lost|failed"):
            managed.exec("print('x' * 4000)")
        assert managed.state in (SessionState.LOST, SessionState.CONNECTING, SessionState.READY)
        wait_for_state(manager, url, SessionState.READY)
        assert managed.detail == "reconnected"
        assert managed.exec("print('back')").stdout.strip() == "back"
        assert any("lost" in (r.meaning + r.note) or r.dir == "rx" for r in managed.trace.records())


def test_resets_and_steps_go_through_the_managed_session() -> None:
    steps: queue.Queue[PendingStep] = queue.Queue()
    with SessionManager() as manager:
        managed = manager.open("sim://generic")
        managed.soft_reset()
        assert managed.session is not None and managed.session.state == "raw REPL, ready"
        assert managed.hard_reset() is False  # the generic board's reset is not wired to DTR/RTS
        assert managed.session.state == "raw REPL, ready"
        managed.set_step_mode(steps.put)
        outcome: list[str] = []
        runner = threading.Thread(target=lambda: outcome.append(managed.exec("print('stepped')").stdout))
        runner.start()
        first = steps.get(timeout=STATE_WAIT_S)
        assert managed.waiting_step == first
        managed.step()
        assert steps.get(timeout=STATE_WAIT_S).number == first.number + 1
        managed.set_step_mode(None)  # the rest goes straight through
        runner.join(STATE_WAIT_S)
        assert [text.strip() for text in outcome] == ["stepped"]
        assert managed.waiting_step is None


def test_a_lost_board_without_reconnect_stays_lost_and_holds_nothing() -> None:
    url = "sim://generic?disconnect_after=3000"
    events: list[SessionEvent] = []
    with SessionManager(reconnect_interval_s=0.1) as manager:
        manager.subscribe(events.append)
        managed = manager.open(url)
        with pytest.raises(Exception):  # noqa: B017 - whichever error the loss surfaced as
            managed.exec("print('x' * 4000)")
        wait_for_state(manager, url, SessionState.LOST)
        deadline = time.monotonic() + STATE_WAIT_S
        while managed.resources() and time.monotonic() < deadline:
            threading.Event().wait(0.05)
        assert managed.resources() == []
        assert managed.session is None
        with pytest.raises(ManagerError, match="lost"):
            managed.exec("print(1)")
    lost = [e for e in events if e.new is SessionState.LOST]
    assert len(lost) == 1 and lost[0].detail


def test_a_usb_board_is_found_again_by_its_serial_number_on_another_port() -> None:
    """The cable is pulled and the board comes back under another name (ttyACM0 -> ttyACM1)."""
    first_url = "sim://generic?disconnect_after=3000"
    second_url = "sim://generic"
    plugged: list[PortInfo] = [PortInfo(first_url, 0x2E8A, 0x0005, "E660583883", "Pico", None, None, None, None)]
    with SessionManager(
        reconnect_interval_s=0.1,
        find_port=lambda url: next((p for p in plugged if p.device == url), None),
        list_ports=lambda: list(plugged),
    ) as manager:
        managed = manager.open(first_url, auto_reconnect=True)
        assert managed.serial_number == "E660583883"
        plugged.clear()
        with pytest.raises(Exception):  # noqa: B017
            managed.exec("print('x' * 4000)")
        wait_for_state(manager, first_url, SessionState.LOST)
        plugged.append(PortInfo(second_url, 0x2E8A, 0x0005, "E660583883", "Pico", None, None, None, None))
        wait_for_state(manager, second_url, SessionState.READY)
        assert manager.get(first_url) is None and manager.get(second_url) is managed
        assert managed.exec("print('moved')").stdout.strip() == "moved"


def test_diagnostics_name_what_each_session_holds() -> None:
    with SessionManager() as manager:
        manager.open("sim://generic")
        held = manager.resources()["sim://generic"]
        kinds = {kind for kind, _ in held}
        assert {"thread", "port", "process"} <= kinds
        assert any("workbench port sim://generic" in what for kind, what in held if kind == "thread")
        if HAS_MICROPYTHON:
            manager.open("spawn://micropython")
            spawn_kinds = {kind for kind, _ in manager.resources()["spawn://micropython"]}
            assert {"thread", "port", "process", "pty"} <= spawn_kinds


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts child processes and fds through /proc")
def test_opening_and_closing_50_sessions_leaves_nothing_behind() -> None:
    urls = ["sim://generic", "sim://rp2040?boot_ms=0"]
    if HAS_MICROPYTHON:
        urls.append("spawn://micropython")
    before = snapshot()
    with SessionManager() as manager:
        for i in range(50):
            url = urls[i % len(urls)]
            managed = manager.open(url)
            assert managed.exec(f"print({i})").stdout.strip() == str(i)
            if i % 5 == 4:
                manager.close_all()  # some closed in bulk...
            elif i % 2:
                manager.close(url)  # ...some one by one...
        # ...and the rest when the manager closes
    after = snapshot()
    assert after.threads == before.threads, threading.enumerate()
    assert after.children == before.children
    assert after.fds == before.fds
