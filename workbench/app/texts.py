"""What the app writes about a board's work: the explanation panel in step mode and in a lesson,
and the summary of a run on several boards.

Kept apart from the handlers so the words can be read (and changed) in one place; every
function takes what it describes explicitly.
"""

from __future__ import annotations

from workbench.app.widgets.status_bar import elide_middle
from workbench.engine.stepping import PendingStep
from workbench.lessons import LessonRun
from workbench.manager.manager import RunOutcome
from workbench.trace.explain import spell_bytes
from workbench.units import format_rate, format_size  # noqa: F401 - the app's modules take them from its texts

#: How the panels name the key that lets a waiting step go: F5 works from every pane; Space
#: only where it is not typed (the editor and the REPL line take it as text).
GO_ON_KEYS = "F5 (or Space outside the editor)"

STEP_MODE_ON = (
    "Step mode: the next command stops before each protocol step and shows what it "
    f"will send and what it expects back. {GO_ON_KEYS} goes on, F6 stops, F7 leaves step mode."
)
STEP_MODE_OFF = "Step mode off."
STEP_RUN_OVER = "The run is over. Step mode is still on: F5 steps through the next run; F7 leaves step mode."


def format_step(step: PendingStep) -> str:
    """The explanation panel's text for a waiting step: what, which bytes, what comes back, why."""
    if step.data:
        spelled = spell_bytes(step.data)
        if spelled is None:
            preview = step.data[:40].decode("utf-8", "replace")
            spelled = f"{len(step.data)} bytes: {preview!r}" + ("…" if len(step.data) > 40 else "")
        action = f"About to send: {spelled}   [{step.data[:16].hex(' ')}{' …' if len(step.data) > 16 else ''}]"
    else:
        action = "About to read from the board."
    return (
        f"Step {step.number}: {step.title}\n{action}\nExpecting: {step.expect}\n\n{step.explanation}\n\n"
        f"{GO_ON_KEYS}: go on · F6: stop · F7: leave step mode"
    )


def lesson_panel(run: LessonRun) -> str:
    """The explanation panel in a lesson: the step F5 runs next, or that the lesson is done."""
    lesson = run.lesson
    if run.finished:
        return (
            f"Lesson '{lesson.title}' done: all {len(lesson.steps)} steps ran.\n"
            "F3 runs it again; the palette (Ctrl+P, 'Lesson') has the others; F2 goes back to the device."
        )
    step = lesson.steps[run.next_index]
    return (
        f"Lesson '{lesson.title}', step {run.next_index + 1} of {len(lesson.steps)}: {step.title}\n\n"
        f"{step.explanation}\n\n{GO_ON_KEYS}: run this step · F3: restart the lesson · F2: back to the device"
    )


def several_summary(label: str, outcomes: list[RunOutcome], wall_s: float) -> str:
    """Which boards succeeded, which raised, which failed, and how long each took."""
    counts = {status: sum(o.status == status for o in outcomes) for status in ("ok", "raised", "failed")}
    slowest = max((o.duration_s for o in outcomes), default=0.0)
    head = (
        f"── {label}: {counts['ok']} ok, {counts['raised']} raised, {counts['failed']} failed; "
        f"{wall_s * 1000:.0f} ms in all, slowest board {slowest * 1000:.0f} ms ──"
    )
    lines = [head]
    for outcome in outcomes:
        if outcome.result is not None and outcome.result.exception is not None:
            detail = f": {outcome.result.exception.type_name}"
        elif outcome.error:
            detail = f": {outcome.error}"
        else:
            detail = ""
        lines.append(f"   {outcome.url}  {outcome.status}  {outcome.duration_s * 1000:.0f} ms{detail}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- files on the board
#: Why the Files pane cannot list or change a board's files now: short, for the pane's note
#: and a toast ("Files on URL: <reason>.").
FILES_NOT_CONNECTED = "not connected (F2 connects)"
FILES_CODE_RUNNING = "code is running (F6 stops it; then try again)"
FILES_STEP_MODE = "step mode is on (F7 leaves it; then r lists the files)"
FILES_IN_LESSON = "a lesson is on screen (F2 goes back to the device)"
FILES_NOT_LISTED = "not listed yet (r lists them)"
FILES_NO_SELECTION = "Select a file in the Files pane first (F11 shows it)."
FILES_NO_FOLDER_DOWNLOAD = (
    "Folders are not downloaded from the app: select a file, or use 'workbench fs cp -r' on the command line."
)


def board_path(path: str) -> str:
    """A board path as the command line writes it: ``:main.py`` (mpremote's ``:``)."""
    return ":" + path


def transfer_status(path: str, direction: str, fraction: float, bytes_per_s: float) -> str:
    """The status bar's item while a transfer runs: ``↑ main.py 34% 12.3 KB/s``."""
    arrow = "↑" if direction == "upload" else "↓"
    name = elide_middle(path.rsplit("/", 1)[-1] or path, 24)
    return f"{arrow} {name} {fraction * 100:.0f}% {format_rate(bytes_per_s)}"


def file_busy(what: str) -> str:
    """Why a board takes no other file action (nor a run) now: one is going on."""
    return f"busy with the {what} (Esc or F6 cancels it)"


def files_refused(url: str, reason: str) -> str:
    """A toast for a file action the board cannot take now."""
    return f"Files on {url}: {reason}."


def not_saved(where: str, url: str, reason: str) -> str:
    """Ctrl+S on a board file the board cannot take now: nothing is lost."""
    return f"{where} not saved to {url}: {reason}. The editor keeps your changes."


def transfer_cancelled(what: str, unchanged: str) -> str:
    """A transfer was stopped (Esc, F6): nothing was changed."""
    return f"cancelled: {what}; {unchanged} unchanged"


def delete_folder_question(where: str, url: str, count: int) -> str:
    """The confirmation before a folder is deleted, naming how much goes with it."""
    if count == 0:
        return f"Delete the empty folder {where} from {url}?"
    inside = "the one file or folder in it" if count == 1 else f"the {count} files and folders in it"
    return f"Delete the folder {where} from {url} and {inside}? This cannot be undone."
