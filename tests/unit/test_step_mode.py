"""Step mode: the engine waits before each protocol step, and Stop / leave work at any point."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import pytest

import workbench
from tests.conftest import requires_micropython
from workbench import Profile
from workbench.engine.stepping import STEP_TEXT, PendingStep, StepStopped

STEP_DEVICES = [
    pytest.param("spawn://micropython", marks=requires_micropython, id="micropython"),
    pytest.param("sim://generic", id="sim-generic"),
    pytest.param("sim://legacy?boot_ms=0", id="sim-legacy"),
]
#: Longest a test waits for the engine to announce the next step.
STEP_WAIT_S = 10.0


class Stepper:
    """Runs a session call on a thread and lets the test walk through its steps."""

    def __init__(self, session: workbench.Session) -> None:
        self.session = session
        self.steps: queue.Queue[PendingStep] = queue.Queue()
        session.set_step_mode(self.steps.put)
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self, call: Callable[[], Any]) -> None:
        def run() -> None:
            try:
                self.result = call()
            except BaseException as exc:  # noqa: BLE001 - checked by the test
                self.error = exc

        self._thread = threading.Thread(target=run)
        self._thread.start()

    def next_step(self) -> PendingStep | None:
        """The step that waits now, or None once the call has finished."""
        while True:
            try:
                return self.steps.get(timeout=0.05)
            except queue.Empty:
                assert self._thread is not None
                if not self._thread.is_alive():
                    return None

    def walk(self, limit: int = 200) -> list[PendingStep]:
        """Say go to every step until the call ends; the steps seen, in order."""
        seen: list[PendingStep] = []
        for _ in range(limit):
            step = self.next_step()
            if step is None:
                break
            seen.append(step)
            self.session.step()
        self.join()
        return seen

    def join(self) -> None:
        assert self._thread is not None
        self._thread.join(STEP_WAIT_S)
        assert not self._thread.is_alive(), "the session call did not end"


def kinds(steps: list[PendingStep]) -> list[str]:
    return [step.kind for step in steps]


@pytest.mark.parametrize("url", STEP_DEVICES)
def test_a_run_stops_before_every_protocol_step(url: str) -> None:
    code = "print('hello')\n" + "\n".join(f"s{i} = {i}" for i in range(40)) + "\n"  # > 2 windows
    with workbench.connect(url) as session:
        stepper = Stepper(session)
        stepper.start(lambda: session.exec(code))
        steps = stepper.walk()
        assert stepper.error is None, stepper.error
    assert stepper.result.stdout.strip() == "hello"
    seen = kinds(steps)
    assert seen[:2] == ["interrupt", "enter_raw"]
    assert seen[-2:] == ["stdout_section", "stderr_section"]
    if url.startswith("sim://legacy"):
        # asked, refused (the banner again), then plain raw mode
        assert "raw_paste_request" in seen
        assert seen[-4:-2] == ["send_code", "execute"]
    else:
        assert seen[2] == "raw_paste_request"
        assert seen.count("paste_window") >= 3  # a window at a time
        assert seen[-3] == "end_paste"
    for step in steps:
        text = STEP_TEXT[step.kind]
        assert (step.title, step.expect, step.explanation) == (text.title, text.expect, text.explanation)
    assert [step.number for step in steps] == list(range(1, len(steps) + 1))
    assert all(step.data for step in steps if not step.kind.endswith("_section"))


def test_nothing_is_sent_until_the_person_says_go() -> None:
    with workbench.connect("sim://generic") as session:
        stepper = Stepper(session)
        stepper.start(lambda: session.exec("print(1)"))
        first = stepper.next_step()
        assert first is not None and first.kind == "interrupt"
        assert [r for r in session.trace.records() if r.dir == "tx"] == []
        session.step()
        second = stepper.next_step()
        assert second is not None and second.kind == "enter_raw"
        sent = [r.data for r in session.trace.records() if r.dir == "tx"]
        assert sent == [first.data]  # only the interrupt went out
        session.set_step_mode(None)  # leave step mode mid-run: the rest goes ahead
        stepper.join()
    assert stepper.error is None and stepper.result.stdout.strip() == "1"


def test_a_long_pause_is_not_a_timeout() -> None:
    with workbench.connect("sim://generic", Profile(response_timeout_s=0.2)) as session:
        stepper = Stepper(session)
        stepper.start(lambda: session.exec("print('patient')"))
        for _ in range(30):
            step = stepper.next_step()
            if step is None:
                break
            if step.kind == "stdout_section":
                # A person reading the explanation for longer than the response timeout.
                threading.Event().wait(0.5)
            session.step()
        stepper.join()
    assert stepper.error is None, stepper.error
    assert stepper.result.stdout.strip() == "patient"


@pytest.mark.parametrize("url", STEP_DEVICES)
def test_stop_while_waiting_brings_the_board_back(url: str) -> None:
    code = "\n".join(f"t{i} = {i}" for i in range(60)) + "\nprint('never')\n"
    with workbench.connect(url) as session:
        stepper = Stepper(session)
        stepper.start(lambda: session.exec(code))
        stop_at = "send_code" if url.startswith("sim://legacy") else "paste_window"
        for _ in range(50):
            step = stepper.next_step()
            assert step is not None, "the run ended before the step to stop at"
            if step.kind == stop_at:
                session.interrupt()
                break
            session.step()
        stepper.join()
        assert isinstance(stepper.error, StepStopped)
        assert "Stop was pressed" in str(stepper.error)
        assert session.state == "raw REPL, ready"
        session.set_step_mode(None)
        after = session.exec("print('after')")
    assert after.stdout.strip() == "after"


def test_soft_reset_and_leaving_raw_are_steps_too() -> None:
    with workbench.connect("sim://generic") as session:
        session.enter_raw()
        stepper = Stepper(session)
        stepper.start(session.soft_reset)
        assert kinds(stepper.walk()) == ["soft_reset"]
        stepper.start(session.leave_raw)
        assert kinds(stepper.walk()) == ["leave_raw"]
        assert session.state == "friendly REPL"


def test_closing_the_session_ends_a_waiting_step() -> None:
    session = workbench.connect("sim://generic")
    stepper = Stepper(session)
    stepper.start(lambda: session.exec("print(1)"))
    assert stepper.next_step() is not None
    session.close()
    stepper.join()
    assert isinstance(stepper.error, workbench.WorkbenchError)
