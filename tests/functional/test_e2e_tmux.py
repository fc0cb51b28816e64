"""End to end in a real terminal: the installed ``workbench`` in tmux, driven by keystrokes.

Pilot tests call the code's own focus and key handling, so they cannot see a key that does
nothing in a terminal, or one that lands in the editor because the keyboard is somewhere the
code did not expect. These tests type with ``tmux send-keys`` into the command the README's
test command installs (``workbench`` next to this interpreter) and read what a person would
see with ``tmux capture-pane``: the text, and the blinking cursor that says where the
keyboard is. See tests/support/tmux_terminal.py; WORKBENCH_E2E_WATCH=1 lets you watch one.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.tmux_terminal import (
    WATCH_ENV,
    WATCH_WAIT_S,
    Box,
    Process,
    Screen,
    TmuxTerminal,
    descendants,
    process,
)
from workbench.lessons import get_lesson

#: The command the README's test command installs into the virtualenv.
WORKBENCH = Path(sys.executable).parent / "workbench"

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.skipif(not WORKBENCH.exists(), reason=f"{WORKBENCH} is not installed: pip install -e . first"),
]

#: A program whose output says it ran to the end (and what it computed).
PROGRAM = 'total = 0\nfor n in range(1, 5):\n    total += n * n\nprint("sum of squares:", total)\n'
PROGRAM_OUTPUT = "sum of squares: 30"
READY = "raw REPL, ready"
#: The header of a protocol step waiting in the explanation panel ("Step 3: end the paste ...").
STEP_HEADER = re.compile(r"\bStep (\d+): ")
#: At most this many protocol steps in one run of PROGRAM (it takes five): a loop guard.
MAX_STEPS = 30

#: Scroll bar thumbs and tracks, blanked out where only the text counts.
SCROLLBAR_GLYPHS = str.maketrans(dict.fromkeys("▏▎▍▌▋▊▉█▁▂▃▄▅▆▇▔▕", " "))

StartApp = Callable[..., TmuxTerminal]


@pytest.fixture
def start_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[StartApp]:
    """Start ``workbench ARGS`` in a terminal of its own; every terminal dies with the test.

    Settings and recovery files go to this test's folders, never the user's or another test's.
    """
    terminals: list[TmuxTerminal] = []
    watching = bool(os.environ.get(WATCH_ENV))

    def start(*args: str, width: int = 160, height: int = 50) -> TmuxTerminal:
        config, state = tmp_path / "config", tmp_path / "state"
        config.mkdir(exist_ok=True)
        state.mkdir(exist_ok=True)
        terminal = TmuxTerminal(width=width, height=height, cwd=tmp_path, env={
            "TERM": "xterm-256color",
            "WORKBENCH_CONFIG_DIR": str(config),
            "WORKBENCH_STATE_DIR": str(state),
        })
        terminals.append(terminal)
        terminal.start([str(WORKBENCH), *args])
        if watching:
            with capsys.disabled():
                print(f"\n[{WATCH_ENV}] watch with: {terminal.attach_command}  (waiting {WATCH_WAIT_S:.0f} s)")
            terminal.wait_for_client(attached=True, timeout=WATCH_WAIT_S)
        return terminal

    yield start
    for terminal in terminals:
        if watching:
            with capsys.disabled():
                print(f"\n[{WATCH_ENV}] the test is over: detach (Ctrl-B d) to end it")
            terminal.wait_for_client(attached=False, timeout=WATCH_WAIT_S)
        terminal.close()


# ---------------------------------------------------------------------- where things are
def editor_box(title: str) -> Callable[[Screen], Box | None]:
    """The editor: the box titled with its file name (``untitled`` before one is opened)."""
    return lambda screen: screen.box(title)


def output_box(screen: Screen) -> Box | None:
    return screen.box("output")


def repl_box(screen: Screen) -> Box | None:
    """The REPL line: the three rows (its tall border and the text) under the output pane."""
    output = output_box(screen)
    return None if output is None else Box(output.left, output.bottom + 1, output.right, output.bottom + 3)


def panel_box(screen: Screen) -> Box | None:
    """The explanation panel: under the trace, down to the status bar (steps and lessons)."""
    trace = screen.box("trace")
    return None if trace is None else Box(trace.left - 1, trace.bottom, len(screen.rows[0]), len(screen.rows) - 2)


def editor_text(screen: Screen, title: str) -> str:
    """The editor's lines as shown (with their numbers), scroll bars left out: the bar of a
    long line lingers for a moment after another file was loaded."""
    box = screen.box(title)
    if box is None:
        return ""
    lines = (line.translate(SCROLLBAR_GLYPHS).rstrip() for line in screen.region(box).splitlines())
    return "\n".join(lines).rstrip("\n")


def row_with(text: str) -> Callable[[Screen], Box | None]:
    """The row showing ``text`` (a dialog's input, by its placeholder), as a box."""

    def find(screen: Screen) -> Box | None:
        for y, row in enumerate(screen.rows):
            if text in row:
                return Box(-1, y - 1, len(row), y + 1)
        return None

    return find


def text_in(box_of: Callable[[Screen], Box | None], screen: Screen) -> str:
    """The flattened text in a box ("" when the box is not on the screen)."""
    box = box_of(screen)
    return "" if box is None else screen.flat(box)


def waiting_step(screen: Screen) -> str | None:
    """The number of the protocol step the panel says waits, or None."""
    match = STEP_HEADER.search(text_in(panel_box, screen))
    return match.group(1) if match else None


# ---------------------------------------------------------------------- steps a person takes
def start_ready(start_app: StartApp, *args: str, **size: int) -> tuple[TmuxTerminal, Screen]:
    """Start the app on a simulated board and wait until the status bar says it is ready."""
    terminal = start_app(*args, **size)
    screen = terminal.wait_for(
        lambda s: READY in s.status_bar, timeout=15, what=f"the status bar to say {READY!r}"
    )
    return terminal, screen


def open_file(terminal: TmuxTerminal, path: Path) -> str:
    """Ctrl+E, Ctrl+O, type the path, Enter: the editor shows the file. Returns the editor's
    text as shown then (line numbers included), to compare with later."""
    terminal.keys("C-e")
    terminal.keys("C-o")
    terminal.wait_for("Open a Python file", what="the Open dialog")
    terminal.assert_keyboard_in("Open dialog's path field", row_with("path/to/file.py"))
    terminal.type(str(path))
    terminal.keys("Enter")
    first_line = path.read_text().splitlines()[0]
    screen = terminal.wait_for(
        lambda s: (box := s.box(path.name)) is not None and first_line in s.region(box),
        what=f"the editor titled {path.name} showing {first_line!r}",
    )
    return editor_text(screen, path.name)


def wait_until(terminal: TmuxTerminal, condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll something off the screen (a file, a process) with a deadline; fail with the screen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            terminal.capture()
            raise AssertionError(f"waited {timeout} s for {what}; the screen:{terminal.describe()}")
        time.sleep(0.05)


def save_and_compare(terminal: TmuxTerminal, path: Path, original: str) -> None:
    """Ctrl+S, wait until the file was written, and compare it with what was loaded."""

    def identity() -> tuple[int, int, int]:
        info = path.stat()
        return info.st_ino, info.st_mtime_ns, info.st_ctime_ns

    before = identity()
    terminal.keys("C-s")
    wait_until(terminal, lambda: identity() != before, f"Ctrl+S to write {path}")
    assert path.read_text() == original, (
        f"the saved file differs from what was loaded: {path.read_text()!r}{terminal.describe()}"
    )


def assert_editor_unchanged(screen: Screen, title: str, shown: str, terminal: TmuxTerminal) -> None:
    """The editor shows the same text as after loading, and no unsaved-changes mark (●)."""
    assert screen.box(title) is not None, f"no editor titled {title!r}:{terminal.describe(screen)}"
    now = editor_text(screen, title)
    assert now == shown, f"the editor's text changed from\n{shown}\nto\n{now}\n{terminal.describe(screen)}"
    assert f"{title} ●" not in screen.text, f"the editor has unsaved changes:{terminal.describe(screen)}"


# ---------------------------------------------------------------------- the tests
def test_starts_on_the_embedded_default_with_editor_output_repl_line_and_a_ready_board(
    start_app: StartApp,
) -> None:
    """1: ``workbench`` with no board plugged in opens sim://generic, connected, every pane there."""
    from workbench.app.main import default_device
    from workbench.discovery.devices import EMBEDDED_DEFAULT

    if default_device() != EMBEDDED_DEFAULT:
        pytest.skip(f"a board is plugged in ({default_device()}): the app would open it, not {EMBEDDED_DEFAULT}")
    terminal, screen = start_ready(start_app)
    assert EMBEDDED_DEFAULT in screen.status_bar, terminal.describe(screen)
    editor = screen.box("untitled")
    assert editor is not None and 'print("Hello from"' in screen.region(editor), terminal.describe(screen)
    assert output_box(screen) is not None, terminal.describe(screen)
    assert ">>> Python to run on the device" in text_in(repl_box, screen), terminal.describe(screen)


@pytest.mark.parametrize(("width", "height"), [(160, 50), (80, 24)], ids=["160x50", "80x24"])
def test_the_keyboard_starts_in_the_editor(start_app: StartApp, width: int, height: int) -> None:
    """A person starts by typing code: the blinking cursor is in the editor (not in the
    devices list, which is not even shown at 80x24)."""
    terminal, _screen = start_ready(start_app, "-d", "sim://generic", width=width, height=height)
    terminal.assert_keyboard_in("editor", editor_box("untitled"))


def test_a_stepped_run_goes_on_with_f5_from_the_editor(start_app: StartApp, tmp_path: Path) -> None:
    """2 and 4: load a file, F7, F5; while a step waits F5 goes on, until the run is over.
    The keyboard stays in the editor and its text never changes (saved, it equals the file)."""
    program = tmp_path / "squares.py"
    program.write_text(PROGRAM)
    terminal, _screen = start_ready(start_app, "-d", "sim://generic")
    shown = open_file(terminal, program)
    editor = editor_box(program.name)
    terminal.assert_keyboard_in("editor", editor)

    terminal.keys("F7")
    terminal.wait_for(lambda s: "step mode" in s.status_bar, what="'step mode' in the status bar")
    terminal.keys("F5")
    screen = terminal.wait_for(lambda s: waiting_step(s) is not None, what="a step waiting in the panel")
    terminal.assert_keyboard_in("editor", editor)
    for _ in range(MAX_STEPS):
        number = waiting_step(screen)
        if number is None:
            break
        terminal.keys("F5")
        screen = terminal.wait_for(
            lambda s, number=number: waiting_step(s) != number,
            what=f"F5 to let step {number} go on (the panel to leave 'Step {number}')",
        )
    else:
        pytest.fail(f"still stepping after {MAX_STEPS} presses of F5:{terminal.describe(screen)}")

    screen = terminal.wait_for(
        lambda s: PROGRAM_OUTPUT in text_in(output_box, s), what=f"{PROGRAM_OUTPUT!r} in the output"
    )
    assert waiting_step(screen) is None, f"the panel still says a step waits:{terminal.describe(screen)}"
    assert_editor_unchanged(screen, program.name, shown, terminal)
    terminal.assert_keyboard_in("editor", editor)
    save_and_compare(terminal, program, PROGRAM)


def test_a_lesson_goes_on_with_f5_from_the_editor(start_app: StartApp, tmp_path: Path) -> None:
    """3 and 4: Ctrl+P, "Lesson: <title>", Enter; F5 runs each lesson step until the panel
    says the lesson is done. The editor's text never changes (saved, it equals the file)."""
    lesson = get_lesson("run-code")
    steps = len(lesson.steps)
    program = tmp_path / "squares.py"
    program.write_text(PROGRAM)
    terminal, _screen = start_ready(start_app, "-d", "sim://generic")
    shown = open_file(terminal, program)
    editor = editor_box(program.name)

    terminal.keys("C-p")
    terminal.wait_for("Search for commands", what="the command palette")
    terminal.assert_keyboard_in("command palette", row_with("Search for commands"))
    terminal.type(f"Lesson: {lesson.title}")
    terminal.wait_for(f"{lesson.name} on {lesson.url}", what=f"the palette offering the lesson {lesson.name}")
    terminal.keys("Enter")
    terminal.wait_for(
        lambda s: f"step 1 of {steps}" in text_in(panel_box, s), timeout=15, what=f"'step 1 of {steps}' in the panel"
    )
    terminal.assert_keyboard_in("editor", editor)
    for number in range(1, steps + 1):
        expected = f"step {number + 1} of {steps}" if number < steps else f"done: all {steps} steps ran"
        terminal.keys("F5")
        screen = terminal.wait_for(
            lambda s, expected=expected: expected in text_in(panel_box, s),
            what=f"F5 to run lesson step {number} ({expected!r} in the panel)",
        )
    assert "this step failed" not in text_in(output_box, screen), terminal.describe(screen)
    assert_editor_unchanged(screen, program.name, shown, terminal)
    terminal.assert_keyboard_in("editor", editor)
    save_and_compare(terminal, program, PROGRAM)


def test_an_error_on_the_repl_line_leaves_the_editor_alone(start_app: StartApp, tmp_path: Path) -> None:
    """5: Ctrl+L, ``nosuch``, Enter shows a NameError; what is typed next goes to the REPL
    line, and the editor (its text, its file, the keyboard) is left as it was."""
    program = tmp_path / "squares.py"
    program.write_text(PROGRAM)
    terminal, _screen = start_ready(start_app, "-d", "sim://generic")
    shown = open_file(terminal, program)

    # Ctrl+L and the text in one go, as fast as a person who knows the key types: the focus
    # moves with the key itself, so not one character lands in the editor.
    terminal.press_and_type("C-l", "nosuch")
    terminal.wait_for(lambda s: "nosuch" in text_in(repl_box, s), what="'nosuch' in the REPL line")
    terminal.assert_keyboard_in("REPL line", repl_box)
    terminal.keys("Enter")
    terminal.wait_for(lambda s: "NameError" in text_in(output_box, s), what="'NameError' in the output")
    terminal.type("x = 42")
    screen = terminal.wait_for(
        lambda s: "x = 42" in text_in(repl_box, s), what="'x = 42' typed after the error in the REPL line"
    )
    assert_editor_unchanged(screen, program.name, shown, terminal)
    terminal.assert_keyboard_in("REPL line", repl_box)
    save_and_compare(terminal, program, PROGRAM)


def test_at_80x24_the_editor_output_and_repl_line_are_all_visible(start_app: StartApp) -> None:
    """6: below 120 columns the side panes hide, and what remains fits: editor, output, REPL line."""
    terminal, screen = start_ready(start_app, "-d", "sim://generic", width=80, height=24)
    editor = screen.box("untitled")
    assert editor is not None and "import sys" in screen.region(editor), terminal.describe(screen)
    output = output_box(screen)
    assert output is not None and output.bottom - output.top >= 3, terminal.describe(screen)
    assert ">>> Python to run" in text_in(repl_box, screen), terminal.describe(screen)
    assert "sim://generic" in screen.status_bar, terminal.describe(screen)
    assert "Serial ports" not in screen and screen.box("trace") is None, (
        f"a side pane is shown at 80 columns:{terminal.describe(screen)}"
    )


def _idle(terminal: TmuxTerminal) -> None:
    """Nothing running."""


def _step_waiting(terminal: TmuxTerminal) -> None:
    """A stepped run waits at its first step (the run's worker is blocked on the step)."""
    terminal.keys("F7")
    terminal.wait_for(lambda s: "step mode" in s.status_bar, what="'step mode' in the status bar")
    terminal.keys("F5")
    terminal.wait_for(lambda s: waiting_step(s) is not None, what="a step waiting in the panel")


def _in_a_lesson(terminal: TmuxTerminal) -> None:
    """A lesson is open: it has a simulated board (a child process) of its own."""
    lesson = get_lesson("run-code")
    terminal.keys("C-p")
    terminal.wait_for("Search for commands", what="the command palette")
    terminal.assert_keyboard_in("command palette", row_with("Search for commands"))
    terminal.type(f"Lesson: {lesson.title}")
    terminal.wait_for(f"{lesson.name} on {lesson.url}", what="the palette offering the lesson")
    terminal.keys("Enter")
    terminal.wait_for(lambda s: "step 1 of" in text_in(panel_box, s), timeout=15, what="the lesson's first step")


@pytest.mark.parametrize("situation", [_idle, _step_waiting, _in_a_lesson], ids=["idle", "step-waits", "lesson"])
def test_ctrl_q_leaves_no_process_behind(start_app: StartApp, situation: Callable[[TmuxTerminal], None]) -> None:
    """7: Ctrl+Q ends the app and every simulated board's code process it started."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to follow the app's child processes")
    terminal, _screen = start_ready(start_app, "-d", "sim://generic")
    situation(terminal)
    app = process(int(terminal.pane("pane_pid")))
    assert app is not None and "workbench" in app.command, f"the pane runs {app}, not workbench"
    tracked: dict[int, Process] = {child.pid: child for child in descendants(app.pid)}
    assert any("workbench/sim/" in child.command for child in tracked.values()), (
        f"no simulated board's process under the app (pid {app.pid}): {list(tracked.values())}"
    )

    terminal.keys("C-q")

    def all_gone() -> bool:
        if app.alive():  # a child started while quitting counts too
            tracked.update({child.pid: child for child in descendants(app.pid)})
            return False
        return not any(child.alive() for child in tracked.values())

    wait_until(
        terminal, all_gone, timeout=10,
        what=f"workbench (pid {app.pid}) and its children {sorted(tracked)} to end after Ctrl+Q",
    )
    screen = terminal.capture()
    assert "Traceback" not in screen, f"the app printed a traceback on its way out:{terminal.describe(screen)}"
    status = terminal.pane("pane_dead_status")
    assert status in ("", "0"), f"workbench exited with status {status}:{terminal.describe(screen)}"
