"""Building blocks for step actions: each does one thing through the public Session API
and describes the result in a sentence a student can check against the bytes.

Outcome texts never contain timings or anything else that changes from run to run, so a
walk-through printed twice reads the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import fields

from workbench.engine.profile import DEFAULT_PROFILE, Profile
from workbench.engine.result import ExecResult
from workbench.errors import DeviceTimeout, WorkbenchError
from workbench.lessons.model import LessonContext, LessonError, StepAction

#: How long the interrupt step waits for the loop's first output, and then for the run to
#: end after CTRL-C (the engine itself resends CTRL-C every half second meanwhile).
INTERRUPT_WAIT_S = 5.0


# --------------------------------------------------------------------------- descriptions
def shown(text: str) -> str:
    """Device text quoted with its line endings visible: ``'hello\\r\\n'``."""
    return repr(text)


def describe_result(result: ExecResult) -> str:
    """Both sections of a run in words: what went to stdout, what to stderr, which mode."""
    mode = "raw-paste" if result.raw_paste else "plain raw mode"
    out = f"stdout {shown(result.stdout)}" if result.stdout else "stdout empty"
    if result.exception is not None:
        err = f"stderr: a traceback ending in {result.exception.type_name}"
        if result.exception.message:
            err += f": {result.exception.message}"
    elif result.stderr:
        err = f"stderr {shown(result.stderr)}"
    else:
        err = "stderr empty"
    return f"Sent with {mode}. {out}; {err}."


def describe_error(exc: WorkbenchError) -> str:
    """An error in words without its timings (a DeviceTimeout names step and expectation)."""
    if isinstance(exc, DeviceTimeout):
        return f"{type(exc).__name__} while {exc.step}: expected {exc.expected}"
    return f"{type(exc).__name__}: {exc}"


def profile_changes(profile: Profile, base: Profile = DEFAULT_PROFILE) -> str:
    """The settings that differ from ``base``: ``raw_paste='never', chunk_size=32``."""
    changed = [
        f"{f.name}={getattr(profile, f.name)!r}"
        for f in fields(Profile)
        if getattr(profile, f.name) != getattr(base, f.name)
    ]
    return ", ".join(changed) or "the defaults"


# --------------------------------------------------------------------------- actions
def enter_raw(ctx: LessonContext) -> str:
    """CTRL-C (twice, in two writes, when no prompt answers the first), then CR CTRL-A: to
    the raw prompt from wherever the board is."""
    ctx.session.enter_raw()
    return f"The board is at the raw prompt ({ctx.session.state})."


def leave_raw(ctx: LessonContext) -> str:
    """CTRL-B: back to the friendly REPL."""
    ctx.session.leave_raw()
    return f"The board is back at the friendly prompt '>>> ' ({ctx.session.state})."


def interrupt_idle(ctx: LessonContext) -> str:
    """CTRL-C while nothing of ours runs."""
    ctx.session.interrupt()
    state = ctx.session.state
    if state == "friendly REPL":
        return "The board answered with its friendly prompt: nothing was running."
    return f"CTRL-C sent; the board is now: {state}."


def soft_reset(ctx: LessonContext) -> str:
    """CTRL-D on an empty raw line."""
    ctx.session.soft_reset()
    return f"The board rebooted its interpreter and is at the raw prompt again ({ctx.session.state})."


def run(
    code: str,
    *,
    expect_stdout: str | None = None,
    expect_exception: str | None = None,
    expect_raw_paste: bool | None = None,
) -> StepAction:
    """An action that runs ``code`` and checks what a student should see.

    ``expect_stdout`` is compared with the run's stdout (line endings as the board sends
    them, ``\\r\\n``), ``expect_exception`` with the exception type name (``""``: none),
    ``expect_raw_paste`` with the mode the engine chose. A mismatch fails the step.
    """

    def action(ctx: LessonContext) -> str:
        result = ctx.session.exec(code)
        check_result(result, expect_stdout, expect_exception, expect_raw_paste)
        return describe_result(result)

    return action


def check_result(
    result: ExecResult,
    expect_stdout: str | None = None,
    expect_exception: str | None = None,
    expect_raw_paste: bool | None = None,
) -> None:
    """Raise LessonError when a run did not give what the lesson teaches."""
    if expect_stdout is not None and result.stdout != expect_stdout:
        raise LessonError(f"expected stdout {expect_stdout!r}, the board printed {result.stdout!r}")
    if expect_exception is not None:
        got = result.exception.type_name if result.exception is not None else ""
        if got != expect_exception:
            raise LessonError(f"expected exception {expect_exception or 'none'!r}, got {got or 'none'!r}")
    if expect_raw_paste is not None and result.raw_paste != expect_raw_paste:
        want = "raw-paste" if expect_raw_paste else "plain raw mode"
        raise LessonError(f"expected the code to go with {want}, it did not")


def set_profile_and_run(
    changes: dict[str, object],
    code: str,
    *,
    expect_stdout: str | None = None,
    expect_raw_paste: bool | None = None,
) -> StepAction:
    """An action that changes some settings (Session.set_profile) and then runs ``code``."""

    def action(ctx: LessonContext) -> str:
        profile = ctx.session.profile.with_changes(**changes)
        ctx.session.set_profile(profile)
        result = ctx.session.exec(code)
        check_result(result, expect_stdout, "", expect_raw_paste)
        settings = ", ".join(f"{key}={value!r}" for key, value in changes.items())
        return f"Profile changed: {settings}. {describe_result(result)}"

    return action


def expect_failure(
    code: str,
    expected: tuple[type[WorkbenchError], ...],
    *,
    note: str,
    changes: dict[str, object] | None = None,
) -> StepAction:
    """An action that runs ``code`` and must fail with one of ``expected``.

    The error is kept in ``ctx.notes[note]`` for later steps; the step itself succeeds,
    because the failure is the lesson. A run that works fails the step.
    """

    def action(ctx: LessonContext) -> str:
        prefix = ""
        if changes:
            ctx.session.set_profile(ctx.session.profile.with_changes(**changes))
            prefix = "Profile changed: " + ", ".join(f"{k}={v!r}" for k, v in changes.items()) + ". "
        try:
            result = ctx.session.exec(code)
        except expected as exc:
            ctx.notes[note] = exc
            return f"{prefix}Failed, as expected: {describe_error(exc)}."
        raise LessonError(f"expected the run to fail, but it ended normally: {describe_result(result)}")

    return action


def run_then_interrupt(code: str, *, expect_stdout: str) -> StepAction:
    """An action that starts code that never ends, waits for its first output, sends CTRL-C.

    ``Session.exec`` blocks, so it runs on a helper thread; this thread waits (bounded) for
    the first output, then calls ``Session.interrupt()``, which reaches the running exec.
    """

    def action(ctx: LessonContext) -> str:
        result = exec_until_output_then_interrupt(ctx, code)
        check_result(result, expect_stdout, "KeyboardInterrupt")
        return f"CTRL-C stopped the loop. {describe_result(result)}"

    return action


def exec_until_output_then_interrupt(ctx: LessonContext, code: str, wait_s: float = INTERRUPT_WAIT_S) -> ExecResult:
    """Run ``code``, interrupt it once it has printed a whole line, and return its result.

    Waiting for the end of the line (not just its first bytes) means CTRL-C always follows
    the complete line in the trace, so every run of the lesson shows the same bytes.
    """
    printed = threading.Event()
    box: dict[str, object] = {}

    def on_output(stream: str, text: str) -> None:
        if "\n" in text:
            printed.set()

    def run_code() -> None:
        try:
            box["result"] = ctx.session.exec(code, on_output=on_output)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc
        finally:
            printed.set()  # an early end must not leave the waiter waiting

    worker = threading.Thread(target=run_code, name="lesson exec", daemon=True)
    worker.start()
    if not printed.wait(wait_s):
        ctx.session.interrupt()
        worker.join(wait_s)
        raise LessonError(f"the code printed no whole line within {wait_s:.0f} s; it was interrupted")
    ctx.session.interrupt()
    worker.join(wait_s)
    if worker.is_alive():
        raise LessonError(f"the code was still running {wait_s:.0f} s after CTRL-C")
    error = box.get("error")
    if isinstance(error, BaseException):
        raise error
    result = box["result"]
    assert isinstance(result, ExecResult)
    return result


def sequence(*actions: Callable[[LessonContext], str]) -> StepAction:
    """Several actions as one step; their outcome texts joined."""

    def action(ctx: LessonContext) -> str:
        return " ".join(part(ctx) for part in actions)

    return action
