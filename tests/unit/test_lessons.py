"""Guided lessons: each runs to the end on its simulated board and shows the bytes it teaches;
the handout is the same every time; the CLI lists, prints and refuses unknown names.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pytest

from workbench.errors import DeviceTimeout, TransferError
from workbench.lessons import (
    LESSONS,
    LessonError,
    LessonRun,
    StepOutcome,
    UnknownLesson,
    get_lesson,
    lesson_names,
    render_walkthrough,
)

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"
SQUARES_LINE = b"100 squares, total 328350\r\n"


def tx(outcome: StepOutcome) -> bytes:
    return b"".join(r.data for r in outcome.records if r.dir == "tx")


def rx(outcome: StepOutcome) -> bytes:
    return b"".join(r.data for r in outcome.records if r.dir == "rx")


# --------------------------------------------------------------------------- what each lesson shows
def check_raw_repl(steps: list[StepOutcome]) -> None:
    # Issue 14: the workbench sent CR CTRL-C CTRL-C (three prompts back); the CR ran a
    # half-typed line, so now it is one CTRL-C, and one prompt from this idle board.
    assert tx(steps[0]) == b"\x03" and rx(steps[0]) == b"\r\n>>> "
    assert tx(steps[1]) == b"\x03\r\x01" and rx(steps[1]).endswith(b"\r\n" + RAW_BANNER)
    assert tx(steps[2]) == b"\x02"
    assert b'Type "help()" for more information.' in rx(steps[2]) and rx(steps[2]).endswith(b">>> ")


def check_run_code(steps: list[StepOutcome]) -> None:
    assert tx(steps[1]) == b"print('hello')\nprint(6 * 7)\x04"
    assert rx(steps[1]) == b"OKhello\r\n42\r\n\x04\x04>"
    assert rx(steps[2]) == b"OK\x04\x04>"  # both sections empty
    assert rx(steps[3]) == b"OK42\r\n\x04\x04>"


def check_exception(steps: list[StepOutcome]) -> None:
    error = rx(steps[1])
    assert error.startswith(b"OKbefore\r\n\x04Traceback (most recent call last):\r\n")
    assert error.endswith(b"ZeroDivisionError: divide by zero\r\n\x04>")
    assert b"never printed" not in error
    syntax = rx(steps[2])
    assert syntax.startswith(b"OK\x04Traceback") and b"SyntaxError: invalid syntax\r\n\x04>" in syntax


def check_raw_paste(steps: list[StepOutcome]) -> None:
    paste = steps[1]
    assert tx(paste).startswith(b"\x05A\x01")
    assert rx(paste).startswith(b"R\x01\x80\x00\x01")  # accepted, window 128, a second window
    assert len(tx(paste)) == 3 + 768 + 1  # request, six padded windows, CTRL-D
    # One CTRL-A with the answer and one per window read, then the end-of-paste CTRL-D.
    assert rx(paste).count(b"\x01") == 1 + 1 + 6 and SQUARES_LINE in rx(paste)
    assert b"OK" not in rx(paste)
    second = steps[2]
    writes = [r.data for r in second.records if r.dir == "tx"]
    assert writes[0] == b"\x05A\x01" and writes[1].startswith(b"print(squares[12])")  # no waiting
    assert rx(second).startswith(b"R\x01\x80\x00\x01") and b"144\r\n" in rx(second)


def check_legacy(steps: list[StepOutcome]) -> None:
    asked = steps[1]
    assert tx(asked).startswith(b"\x05A\x01")
    assert rx(asked).startswith(RAW_BANNER) and b"R\x01" not in rx(asked)  # refused: the banner again
    assert tx(asked).endswith(b"print(os.uname().release)\x04")  # then plain raw mode
    assert rx(asked).endswith(b"OK1.12.0\r\n\x04\x04>")
    assert b"\x05" not in tx(steps[2])  # the refusal is remembered
    assert "NotSupported" in steps[3].outcome and b"print(1)" not in tx(steps[3])


def check_interrupt(steps: list[StepOutcome]) -> None:
    records = steps[1].records
    printed = next(i for i, r in enumerate(records) if r.dir == "rx" and b"looping" in r.data)
    ctrl_c = next(i for i, r in enumerate(records) if r.dir == "tx" and r.data == b"\x03")
    assert ctrl_c > printed  # the loop was running, and printing, when CTRL-C went out
    assert rx(steps[1]).startswith(b"OKlooping\r\n\x04Traceback")
    assert rx(steps[1]).endswith(b"KeyboardInterrupt: \r\n\x04>")
    assert rx(steps[2]) == b"OKTrue\r\n\x04\x04>"


def check_soft_reset(steps: list[StepOutcome]) -> None:
    assert tx(steps[2]) == b"\x04"
    assert rx(steps[2]) == b"OK\r\nMPY: soft reboot\r\n" + RAW_BANNER
    assert rx(steps[3]) == b"OKFalse\r\n\x04\x04>"


def check_flaky_bridge(steps: list[StepOutcome]) -> None:
    failed = steps[1]
    assert "Failed, as expected" in failed.outcome and "DeviceTimeout" in failed.outcome
    assert len(tx(failed)) == 3 + 256  # the request, then one burst of two windows
    assert rx(failed) == b"R\x01\x80\x00\x01"  # and no credit ever again: the FIFO lost 192 bytes
    plain = steps[2]
    assert "raw_paste='never'" in plain.outcome and SQUARES_LINE in rx(plain)
    chunks = [r.data for r in plain.records if r.dir == "tx"]
    assert max(len(c) for c in chunks) <= 33  # 32 bytes, the last with its CTRL-D
    paced = steps[3]
    assert tx(paced).startswith(b"\x05A\x01") and SQUARES_LINE in rx(paced)
    assert max(len(r.data) for r in paced.records if r.dir == "tx") <= 33


CHECKS: dict[str, Callable[[list[StepOutcome]], None]] = {
    "raw-repl": check_raw_repl,
    "run-code": check_run_code,
    "exception": check_exception,
    "raw-paste": check_raw_paste,
    "legacy": check_legacy,
    "interrupt": check_interrupt,
    "soft-reset": check_soft_reset,
    "flaky-bridge": check_flaky_bridge,
}


def test_every_lesson_has_a_check_and_a_usable_name() -> None:
    assert set(CHECKS) == set(lesson_names())
    for lesson in LESSONS:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", lesson.name)
        assert lesson.url.startswith("sim://") and lesson.summary and len(lesson.steps) >= 2
        assert all(step.title and len(step.explanation) > 40 for step in lesson.steps)


@pytest.mark.parametrize("name", lesson_names())
def test_lesson_runs_to_the_end_and_shows_its_bytes(name: str) -> None:
    lesson = get_lesson(name)
    with LessonRun(lesson) as run:
        steps = run.run_all()
        assert run.finished
        assert b">>> " in b"".join(r.data for r in run.opening_records)  # booted before step 1
    assert [s.index for s in steps] == list(range(len(lesson.steps)))
    for step in steps:
        assert step.ok, f"step {step.index + 1} ({step.step.title}) failed: {step.error}"
        assert step.outcome
        assert tx(step) and rx(step), f"step {step.index + 1} exchanged no bytes"
    CHECKS[name](steps)


def test_the_flaky_bridge_keeps_the_error_of_the_failed_run() -> None:
    with LessonRun(get_lesson("flaky-bridge")) as run:
        run.run_next()
        run.run_next()
        assert run.context is not None
        error = run.context.notes["default profile"]
        assert isinstance(error, DeviceTimeout | TransferError)
        assert "window credit" in str(error)


def test_restart_goes_back_to_step_one_on_a_fresh_board() -> None:
    with LessonRun(get_lesson("soft-reset")) as run, ThreadPoolExecutor(1) as worker:
        # Driven from a worker thread, as the app does.
        first = worker.submit(run.run_next).result(timeout=30)
        second = worker.submit(run.run_next).result(timeout=30)
        assert (first.index, second.index) == (0, 1) and second.ok
        assert run.next_index == 2
        worker.submit(run.restart).result(timeout=30)
        assert run.next_index == 0 and run.outcomes == []
        assert b">>> " in b"".join(r.data for r in run.opening_records)
        again = worker.submit(run.run_next).result(timeout=30)
        assert again.index == 0 and again.ok and again.step is first.step
        assert rx(again).endswith(RAW_BANNER)
        # The fresh board does not have the variable the first run's step 2 set.
        run.run_next()
        assert run.run_next().ok  # the soft reset
        assert run.run_next().ok  # 'x' in globals() is False: a fresh interpreter either way


def test_a_finished_or_closed_run_says_to_restart() -> None:
    run = LessonRun(get_lesson("raw-repl"))
    run.run_all()
    with pytest.raises(LessonError, match="restart"):
        run.run_next()
    run.close()
    run.close()  # idempotent
    assert len(run.outcomes) == 3  # still readable
    with pytest.raises(LessonError, match="restart"):
        run.run_next()
    run.restart()
    assert run.run_next().ok
    run.close()


def test_unknown_lesson_names_the_known_ones() -> None:
    with pytest.raises(UnknownLesson) as caught:
        get_lesson("raw-pasta")
    message = str(caught.value)
    assert "raw-pasta" in message
    assert all(name in message for name in lesson_names())


# --------------------------------------------------------------------------- the handout
@cache
def walkthroughs(name: str) -> tuple[str, str]:
    lesson = get_lesson(name)
    return render_walkthrough(lesson), render_walkthrough(lesson)


NAMED_BYTES = {
    "raw-repl": ["CTRL-C: interrupt", "CTRL-A: enter the raw REPL", "CTRL-B: leave the raw REPL"],
    "run-code": ["CTRL-D: execute", "OK: code accepted", "CTRL-D: end of stdout", "CTRL-D: end of stderr"],
    "exception": ["run raised ZeroDivisionError", "run raised SyntaxError"],
    "raw-paste": ["CTRL-E A CTRL-A: ask for raw-paste", "window 128 bytes", "CTRL-A: window credit"],
    "legacy": ["raw banner instead of 'R'", "NotSupported"],
    "interrupt": ["CTRL-C: interrupt running code", "run raised KeyboardInterrupt"],
    "soft-reset": ["CTRL-D on an empty line: soft reset", "soft reboot: 'MPY: soft reboot'"],
    "flaky-bridge": ["DeviceTimeout", "code 32 B (raw mode)", "code 32 B (raw-paste"],
}


@pytest.mark.parametrize("name", lesson_names())
def test_walkthrough_explains_every_step_with_its_bytes(name: str) -> None:
    lesson = get_lesson(name)
    text, _ = walkthroughs(name)
    flat = " ".join(text.split())
    assert text.startswith(f"Lesson {name}: {lesson.title}")
    assert " ".join(lesson.summary.split()) in flat
    for number, step in enumerate(lesson.steps, 1):
        assert f"Step {number} of {len(lesson.steps)}: {step.title}" in text
        assert " ".join(step.explanation.split()) in flat
    assert text.count("  Outcome: ") == len(lesson.steps)
    assert "STEP FAILED" not in text
    assert re.search(r"^    tx 0d 01 ", text, re.MULTILINE)  # byte lines, hex first, no time column
    assert not re.search(r"\d+\.\d{6} (tx|rx)", text)
    for phrase in NAMED_BYTES[name]:
        assert phrase in text


@pytest.mark.parametrize("name", lesson_names())
def test_walkthrough_is_the_same_every_time(name: str) -> None:
    first, second = walkthroughs(name)
    assert first == second


# --------------------------------------------------------------------------- the command line
def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_lists_the_lessons() -> None:
    proc = cli("lesson")
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == lesson_names()
    assert all(lesson.title in line for lesson, line in zip(LESSONS, lines, strict=True))


def test_cli_prints_one_lesson() -> None:
    proc = cli("lesson", "run-code")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("Lesson run-code: ")
    assert "Step 2 of 4: Run a program" in proc.stdout
    assert "Outcome: Sent with plain raw mode. stdout 'hello\\r\\n42\\r\\n'; stderr empty." in proc.stdout


def test_cli_unknown_lesson_is_a_usage_error_naming_the_lessons() -> None:
    proc = cli("lesson", "raw-pasta")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("workbench: unknown lesson 'raw-pasta'")
    assert "raw-paste" in proc.stderr and "flaky-bridge" in proc.stderr
    assert "Traceback" not in proc.stderr
