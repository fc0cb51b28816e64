"""The app's board model, without a screen: which board is shown, whose work is whose."""

from __future__ import annotations

from typing import Any, cast

from textual.message import Message
from textual.worker import Worker

from workbench.app.board import LESSON_DOCUMENT, Boards, DeviceBoard, LessonBoard
from workbench.lessons import LESSONS
from workbench.manager import SessionManager


def make_boards(posted: list[Message] | None = None) -> Boards:
    sink = posted if posted is not None else []
    return Boards(SessionManager(), "sim://generic", sink.append)


def fake_worker() -> Worker[None]:
    return cast(Worker[None], object())


def test_a_board_per_url_the_selected_one_and_the_lesson_shown_instead() -> None:
    boards = make_boards()
    first = boards.selected
    assert isinstance(first, DeviceBoard) and first.url == "sim://generic"
    second = boards.select("sim://esp32")
    assert boards.selected is second and boards.device("sim://generic") is first  # never forgotten
    assert boards.shown is second
    lesson = boards.start_lesson(LESSONS[0])
    assert isinstance(lesson, LessonBoard) and boards.shown is lesson and boards.selected is second
    assert lesson.session is None and lesson.refuses_runs() is not None  # the lesson drives its runs
    assert not lesson.can_go_on  # not open yet
    assert boards.leave_lesson() is lesson and boards.shown is second
    assert boards.leave_lesson() is None


def test_a_board_not_connected_has_no_session_and_the_generic_profile() -> None:
    board = make_boards().selected
    assert board.managed is None and board.session is None
    assert board.profile.name == "generic" and board.reason == "not connected yet"
    assert board.state_text == "disconnected" and board.trace_records() == [] and board.trace_dropped is None
    assert board.refuses_runs() is None and not board.can_go_on


def test_each_bridge_carries_its_boards_tag_and_lessons_share_one() -> None:
    posted: list[Message] = []
    boards = make_boards(posted)
    esp32 = boards.device("sim://esp32")
    assert boards.bridge("sim://esp32") is esp32.bridge and esp32.bridge.tag == "sim://esp32"
    assert boards.bridge("sim://nothing") is None
    first_lesson = boards.start_lesson(LESSONS[0])
    again = boards.start_lesson(LESSONS[0])
    assert first_lesson.bridge is again.bridge is boards.bridge(LESSON_DOCUMENT)
    esp32.bridge.add_output("stdout", "hi")
    assert [cast(Any, message).tag for message in posted] == ["sim://esp32"]


def test_a_worker_frees_only_the_boards_it_runs_on() -> None:
    boards = make_boards()
    one, two, three = boards.selected, boards.device("sim://esp32"), boards.device("sim://rp2040")
    several, alone = fake_worker(), fake_worker()
    one.busy_with = two.busy_with = several
    three.busy_with = alone
    assert boards.busy_with(several) == [one, two]
    assert boards.busy_with(alone) == [three] and three.busy
