"""The session's typed state, and the snapshot its worker publishes for other threads."""

from __future__ import annotations

import dataclasses

import pytest

import workbench
from tests.unit.test_step_mode import Stepper
from workbench.engine.state import DeviceState, SessionSnapshot, device_state
from workbench.manager.badges import BADGES, badge_for_state
from workbench.protocol.connection import State


def test_every_protocol_state_is_a_session_state_with_the_same_words() -> None:
    for state in State:
        typed = device_state(state)
        assert typed.name == state.name and typed == state.value
        assert f"({typed})" == f"({state.value})"  # what the lessons print stays word for word
        assert badge_for_state(typed) in BADGES
    assert {DeviceState.CLOSED, DeviceState.DISCONNECTED} <= set(DeviceState)


def test_the_snapshot_is_immutable() -> None:
    snapshot = SessionSnapshot(DeviceState.RAW_READY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.state = DeviceState.STDOUT  # type: ignore[misc]


def test_a_call_returns_after_its_state_is_published() -> None:
    with workbench.connect("sim://generic") as session:
        session.enter_raw()
        assert session.state is DeviceState.RAW_READY
        assert session.snapshot == SessionSnapshot(DeviceState.RAW_READY, None, None, 0)
        session.exec("print(1)")
        assert session.snapshot.raw_paste_supported is True and session.snapshot.paste_credit is None
        session.leave_raw()
        assert session.state is DeviceState.FRIENDLY
    assert session.state is DeviceState.CLOSED and session.snapshot.state == "closed"


def test_the_snapshot_shows_the_credit_while_a_paste_waits_mid_flight() -> None:
    with workbench.connect("sim://generic") as session:
        session.enter_raw()
        stepper = Stepper(session)
        stepper.start(lambda: session.exec("print('pasted')"))
        while (step := stepper.next_step()) is not None and step.kind != "paste_window":
            session.step()
        assert step is not None
        snapshot = session.snapshot  # read on this thread, while the worker waits at the step
        assert snapshot.state is DeviceState.PASTE_SENDING and snapshot.paste_credit == 256  # two windows
        session.set_step_mode(None)
        stepper.join()
    assert stepper.result.stdout.strip() == "pasted"


def test_another_sessions_records_on_the_same_recorder_are_not_published() -> None:
    with workbench.connect("sim://generic") as first:
        first.enter_raw()
        before = first.snapshot
        with workbench.connect("sim://generic", trace=first.trace) as second:
            second.enter_raw()
            second.leave_raw()
        assert first.snapshot is before  # the second session's bytes said nothing about the first
    assert first.trace.listeners == []  # both sessions let go of the recorder when they closed
