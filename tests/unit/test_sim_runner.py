"""The simulated board's code runner, as the board's firmware and its user see it.

Every wait is bounded: poll() in a loop with an overall deadline, never a sleep used as
synchronisation.
"""

from __future__ import annotations

import os
import select
import signal
import statistics
import time
from collections.abc import Iterator

import pytest

from workbench.sim.runner import BoardIdentity, CodeRunner, RunnerError, RunnerEvent

ESP32 = BoardIdentity(
    platform="esp32",
    machine="Generic ESP32 module with ESP32",
    implementation="micropython",
    version=(1, 22, 2),
    release="1.22.2",
    version_string="v1.22.2 on 2024-02-22",
    nodename="esp32",
    unique_id=bytes.fromhex("a1b2c3d4e5f6"),
    mem_total=111168,
    freq_hz=160_000_000,
)

DEADLINE_S = 10.0


@pytest.fixture
def runner() -> Iterator[CodeRunner]:
    board = CodeRunner(ESP32)
    board.start()
    yield board
    board.close()


def collect(runner: CodeRunner, deadline_s: float = DEADLINE_S) -> list[RunnerEvent]:
    """Events until (and including) the next ``done``; fails if it does not come in time."""
    events: list[RunnerEvent] = []
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for event in runner.poll(min(0.5, max(0.0, deadline - time.monotonic()))):
            events.append(event)
            if event.kind == "done":
                return events
    pytest.fail(f"no 'done' within {deadline_s} s; got {events!r}")


def execute(runner: CodeRunner, code: str, *, single: bool = False) -> tuple[bytes, bytes]:
    """Run code to the end: (all output, traceback text)."""
    runner.run(code.encode(), single=single)
    events = collect(runner)
    assert [e.kind for e in events[:-1]] == ["stdout"] * (len(events) - 1), events
    return b"".join(e.data for e in events[:-1]), events[-1].data


def wait_for_output(runner: CodeRunner, expected: bytes) -> list[RunnerEvent]:
    """Poll until ``expected`` has appeared in the output (the code is then surely running)."""
    events: list[RunnerEvent] = []
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        events += runner.poll(0.2)
        if expected in b"".join(e.data for e in events if e.kind == "stdout"):
            return events
    pytest.fail(f"{expected!r} never printed; got {events!r}")


# ---------------------------------------------------------------------------- running code
def test_print_reaches_the_host_and_done_has_no_traceback(runner: CodeRunner) -> None:
    assert execute(runner, "print('hello', 42)") == (b"hello 42\n", b"")
    assert not runner.busy


def test_globals_persist_between_runs(runner: CodeRunner) -> None:
    execute(runner, "x = 41\ndef bump():\n    return x + 1")
    assert execute(runner, "print(bump())") == (b"42\n", b"")


def test_stderr_goes_to_the_one_output_stream(runner: CodeRunner) -> None:
    assert execute(runner, "import sys\nprint('oops', file=sys.stderr)") == (b"oops\n", b"")


def test_text_is_utf8_and_long_output_arrives_whole(runner: CodeRunner) -> None:
    out, tb = execute(runner, "print('é' * 5000)\nprint('end')")
    assert (out, tb) == ("é".encode() * 5000 + b"\nend\n", b"")


def test_single_mode_prints_expression_values_like_the_friendly_repl(runner: CodeRunner) -> None:
    assert execute(runner, "1 + 1", single=True) == (b"2\n", b"")


def test_only_one_run_at_a_time(runner: CodeRunner) -> None:
    runner.run(b"import time\ntime.sleep(0.3)")
    with pytest.raises(RunnerError):
        runner.run(b"pass")
    assert collect(runner)[-1] == RunnerEvent("done", b"")


# ---------------------------------------------------------------------------- tracebacks
def test_exception_traceback_is_micropython_format_with_user_frames_only(runner: CodeRunner) -> None:
    out, tb = execute(runner, "def f():\n    return 1 / 0\n\nf()\n")
    assert out == b""
    assert tb == (
        b"Traceback (most recent call last):\n"
        b'  File "<stdin>", line 4, in <module>\n'
        b'  File "<stdin>", line 2, in f\n'
        b"ZeroDivisionError: divide by zero\n"
    )


def test_syntax_error_format(runner: CodeRunner) -> None:
    _, tb = execute(runner, "x = 1\ny = = 2\n")
    assert tb == b'Traceback (most recent call last):\n  File "<stdin>", line 2\nSyntaxError: invalid syntax\n'


@pytest.mark.parametrize(
    ("code", "last_line"),
    [
        ("nosuch", b"NameError: name 'nosuch' isn't defined"),
        ("raise ValueError", b"ValueError: "),
        ("raise ValueError('bad')", b"ValueError: bad"),
        ("{}['k']", b"KeyError: k"),
        ("open('/no/such/file')", b"OSError: [Errno 2] ENOENT"),
        ("import nosuchmodule", b"ImportError: no module named 'nosuchmodule'"),
        ("1 + 'a'", b"TypeError: unsupported types for __add__: 'int', 'str'"),
        ("x = 1\n  y = 2", b"IndentationError: unexpected indent"),
    ],
)
def test_common_errors_read_as_on_a_board(runner: CodeRunner, code: str, last_line: bytes) -> None:
    _, tb = execute(runner, code)
    assert tb.startswith(b"Traceback (most recent call last):\n")
    assert tb.splitlines()[-1] == last_line


def test_print_exception_is_available_as_on_micropython(runner: CodeRunner) -> None:
    out, tb = execute(runner, "import sys\ntry:\n    1/0\nexcept Exception as e:\n    sys.print_exception(e)")
    assert tb == b""
    assert out == b'Traceback (most recent call last):\n  File "<stdin>", line 3, in <module>\nZeroDivisionError: divide by zero\n'


# ---------------------------------------------------------------------------- streaming
def test_output_streams_while_the_code_runs(runner: CodeRunner) -> None:
    runner.run(b"import time\nfor i in range(5):\n    print('tick')\n    time.sleep(0.05)\n")
    sent = time.monotonic()
    first_stdout = done = None
    ticks = b""
    deadline = sent + DEADLINE_S
    while done is None and time.monotonic() < deadline:
        for event in runner.poll(0.5):
            now = time.monotonic() - sent
            if event.kind == "stdout":
                ticks += event.data
                first_stdout = now if first_stdout is None else first_stdout
            elif event.kind == "done":
                done = now
    assert ticks == b"tick\n" * 5
    assert first_stdout is not None and done is not None
    assert done - first_stdout >= 0.15  # the first tick came while four sleeps were still to go


def test_fileno_becomes_readable_when_there_is_something_to_poll(runner: CodeRunner) -> None:
    fd = runner.fileno()
    assert select.select([fd], [], [], 0)[0] == []
    runner.run(b"print('x')")
    events: list[RunnerEvent] = []
    deadline = time.monotonic() + DEADLINE_S
    while not any(e.kind == "done" for e in events) and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            events += runner.poll(0)
    assert b"".join(e.data for e in events if e.kind == "stdout") == b"x\n"


def test_poll_returns_within_its_timeout_when_nothing_happens(runner: CodeRunner) -> None:
    started = time.monotonic()
    assert runner.poll(0.1) == []
    assert time.monotonic() - started < 1.0


# ---------------------------------------------------------------------------- CTRL-C
KEYBOARD_INTERRUPT = b'Traceback (most recent call last):\n  File "<stdin>", line 1, in <module>\nKeyboardInterrupt: \n'


def test_interrupt_stops_an_endless_loop_and_the_board_goes_on(runner: CodeRunner) -> None:
    runner.run(b"print('spinning')\nwhile True: pass")
    wait_for_output(runner, b"spinning\n")
    runner.interrupt()
    events = collect(runner)
    # Line 2 is the loop; line 1 if the signal came while print() was still returning.
    assert events[-1].data in (KEYBOARD_INTERRUPT, KEYBOARD_INTERRUPT.replace(b"line 1", b"line 2"))
    assert execute(runner, "print('still here')") == (b"still here\n", b"")


def test_interrupt_right_after_run_is_not_lost(runner: CodeRunner) -> None:
    runner.run(b"while True: pass")
    runner.interrupt()  # the child may not even have read the code yet
    assert collect(runner)[-1].data == KEYBOARD_INTERRUPT


def test_interrupt_wakes_a_long_sleep(runner: CodeRunner) -> None:
    runner.run(b"import time\nprint('sleeping')\ntime.sleep(10)")
    wait_for_output(runner, b"sleeping\n")
    interrupted = time.monotonic()
    runner.interrupt()
    assert collect(runner)[-1].data.endswith(b"KeyboardInterrupt: \n")
    assert time.monotonic() - interrupted < 2.0


def test_interrupt_while_idle_is_harmless(runner: CodeRunner) -> None:
    runner.interrupt()  # no-op
    pid = runner.pid
    assert pid is not None
    os.kill(pid, signal.SIGINT)  # even a stray SIGINT to an idle child is ignored
    assert runner.poll(0.2) == []
    assert execute(runner, "import time\ntime.sleep(0.05)\nprint('fine')") == (b"fine\n", b"")


# ---------------------------------------------------------------------------- the board's modules
def test_sys_shows_the_board_identity(runner: CodeRunner) -> None:
    out, _ = execute(runner, "import sys\nprint(sys.platform, sys.implementation.name, sys.implementation.version)")
    assert out == b"esp32 micropython (1, 22, 2, '')\n"


def test_machine_pin_and_ticks(runner: CodeRunner) -> None:
    code = (
        "import machine, time; p = machine.Pin(2, machine.Pin.OUT); p.on(); print(p.value()); "
        "print(time.ticks_diff(time.ticks_add(0, 5), 0))"
    )
    assert execute(runner, code) == (b"1\n5\n", b"")


def test_ticks_wrap_like_micropython(runner: CodeRunner) -> None:
    out, _ = execute(runner, "import utime as t\nprint(t.ticks_diff(1, 2**30 - 1), t.ticks_add(2**30 - 1, 5))")
    assert out == b"2 4\n"


def test_os_uname_is_the_boards(runner: CodeRunner) -> None:
    out, _ = execute(runner, "import os\nu = os.uname()\nprint(u.sysname, u.release, u.machine)\nprint(u)")
    assert out.splitlines() == [
        b"esp32 1.22.2 Generic ESP32 module with ESP32",
        (
            b"(sysname='esp32', nodename='esp32', release='1.22.2', version='v1.22.2 on 2024-02-22', "
            b"machine='Generic ESP32 module with ESP32')"
        ),
    ]


def test_gc_micropython_and_machine_identity(runner: CodeRunner) -> None:
    code = (
        "import gc, machine, micropython\nfrom micropython import const\nN = const(3)\ngc.collect()\n"
        "print(gc.mem_free() + gc.mem_alloc(), machine.unique_id().hex(), machine.freq(), N)"
    )
    assert execute(runner, code) == (b"111168 a1b2c3d4e5f6 160000000 3\n", b"")


# ---------------------------------------------------------------------------- resets
def test_machine_reset_reports_a_hard_reset(runner: CodeRunner) -> None:
    runner.run(b"import machine\nprint('before')\nmachine.reset()\nprint('after')")
    events = collect(runner)
    assert [e for e in events if e.kind != "stdout"] == [RunnerEvent("reset", b"hard"), RunnerEvent("done", b"")]
    assert b"".join(e.data for e in events if e.kind == "stdout") == b"before\n"  # nothing after the reset


@pytest.mark.parametrize("code", ["raise SystemExit", "import sys\nsys.exit()", "import machine\nmachine.soft_reset()"])
def test_system_exit_reports_a_soft_reset_without_traceback(runner: CodeRunner, code: str) -> None:
    runner.run(code.encode())
    assert collect(runner) == [RunnerEvent("reset", b"soft"), RunnerEvent("done", b"")]


def test_restart_gives_a_fresh_namespace_and_process(runner: CodeRunner) -> None:
    execute(runner, "x = 1")
    old_pid, fd = runner.pid, runner.fileno()
    runner.restart()
    assert runner.pid != old_pid
    assert runner.fileno() == fd  # the device thread may keep selecting on the same number
    _, tb = execute(runner, "print(x)")
    assert tb.endswith(b"NameError: name 'x' isn't defined\n")


def test_restart_stops_running_code(runner: CodeRunner) -> None:
    runner.run(b"while True: pass")
    runner.restart()
    assert not runner.busy
    assert execute(runner, "print('fresh')") == (b"fresh\n", b"")


# ---------------------------------------------------------------------------- process life
def test_close_leaves_no_zombie_and_is_idempotent() -> None:
    runner = CodeRunner(ESP32)
    runner.start()
    pid = runner.pid
    assert pid is not None
    runner.run(b"while True: pass")
    runner.close()
    runner.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: not our child any more
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_dying_child_is_reported(runner: CodeRunner) -> None:
    runner.run(b"print('bye')\nimport os\nos._exit(3)")
    output = b""
    deadline = time.monotonic() + DEADLINE_S
    with pytest.raises(RunnerError, match=r"the simulated board's code process died \(exit code 3\)"):
        while time.monotonic() < deadline:
            output += b"".join(e.data for e in runner.poll(0.5))
    assert output == b"bye\n"
    assert not runner.busy
    with pytest.raises(RunnerError):
        runner.run(b"pass")


def test_a_python_that_cannot_start_raises_runner_error() -> None:
    runner = CodeRunner(ESP32, python="/nonexistent/python3")
    with pytest.raises(RunnerError, match="cannot start"):
        runner.start()
    runner.close()


def test_start_is_fast_and_runs_round_trip_quickly() -> None:
    started = time.perf_counter()
    runner = CodeRunner(ESP32)
    runner.start()
    try:
        assert time.perf_counter() - started < 2.0  # target 150 ms; generous for loaded CI machines
        trips = []
        for _ in range(50):
            sent = time.perf_counter()
            runner.run(b"pass")
            assert collect(runner) == [RunnerEvent("done", b"")]
            trips.append(time.perf_counter() - sent)
        assert statistics.median(trips) < 0.1
    finally:
        runner.close()
