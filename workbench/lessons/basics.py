"""Lessons on the raw REPL itself: entering and leaving it, runs, errors, CTRL-C, soft reset.

They run on ``sim://generic`` (native USB, no latency, no boot delay) so each takes well
under a second, and most set ``raw_paste='never'``: plain raw mode shows the protocol's
classic shape (code, CTRL-D, ``OK``, two sections) that every MicroPython version speaks.
The explanations follow MicroPython's source (``shared/runtime/pyexec.c``,
``shared/readline/readline.c``, the ports' ``main.c``) and were checked on the real unix port
(``tests/unit/test_wording_truth.py``).
"""

from __future__ import annotations

from workbench.engine.profile import Profile
from workbench.lessons import actions
from workbench.lessons.model import Lesson, LessonStep

GENERIC = "sim://generic"
PLAIN_RAW = Profile(raw_paste="never")

ENTER_RAW = LessonStep(
    "Enter the raw REPL",
    "The workbench sends CTRL-C (stop whatever runs, cancel a half-typed line: see the raw-repl "
    "lesson), waits for the prompt '>>> ' (or, without one, until the board is quiet), then CR CTRL-A. The board leaves the friendly REPL "
    "and answers with the banner 'raw REPL; CTRL-B to exit' and the raw prompt '>'.",
    actions.enter_raw,
)

RAW_REPL = Lesson(
    name="raw-repl",
    title="Entering and leaving the raw REPL",
    summary=(
        "A MicroPython board starts in the friendly REPL, the '>>> ' prompt made for people: "
        "it echoes what you type, edits the line and indents blocks for you. Tools such as "
        "mpremote and Thonny use the raw REPL instead, where nothing is echoed and every reply "
        "has a fixed shape a program can rely on. This lesson stops whatever runs with CTRL-C, "
        "enters the raw REPL with CTRL-A and goes back to the friendly REPL with CTRL-B."
    ),
    url=GENERIC,
    steps=(
        LessonStep(
            "Stop whatever is running (CTRL-C)",
            "A tool that opens the port cannot know what the board is doing: main.py may be "
            "running, or someone may have typed half a line. So the workbench sends one CTRL-C: "
            "it raises KeyboardInterrupt in a running program and cancels a half-typed line. No "
            "CR goes before it, because at the friendly prompt a CR runs what was typed. This "
            "board was idle at its '>>> ' prompt, so the friendly REPL answers with a new line "
            "and a fresh '>>> '. Had no prompt come, the workbench would send a second CTRL-C in "
            "a write of its own, for a program that caught the first: two CTRL-Cs sent together "
            "reach running code as one.",
            actions.interrupt_idle,
        ),
        LessonStep(
            "Enter the raw REPL (CTRL-A)",
            "The workbench repeats the CTRL-C (it does so before every CTRL-A, in case something "
            "started meanwhile) and reads until the board's '>>> ' comes back (a REPL waiting for a "
            "line sends nothing more), or until it has been quiet for a moment when no prompt comes, "
            "so that stale output is not taken for an answer. Then it sends CR CTRL-A. CTRL-A is a command "
            "only on an empty line (after 'abc' it would move the cursor to the start of the "
            "line), which the CTRL-C made sure of; on that empty line the CR only brings one more "
            "'>>> '. CTRL-A switches the board to the raw REPL: it prints a new line, the banner "
            "'raw REPL; CTRL-B to exit' and the raw prompt '>'. From now on nothing is echoed: "
            "the board collects bytes until CTRL-D and then runs them.",
            actions.enter_raw,
        ),
        LessonStep(
            "Back to the friendly REPL (CTRL-B)",
            "CTRL-B at the raw prompt returns to the friendly REPL. The board prints a new line "
            "and then the banner it shows after a reset, with the MicroPython version and the "
            "board's name, and the '>>> ' prompt. That banner is also how a person or a tool "
            "tells which firmware is on a board.",
            actions.leave_raw,
        ),
    ),
)

RUN_CODE = Lesson(
    name="run-code",
    title="Running code and reading the two output sections",
    summary=(
        "In the raw REPL the host sends a program followed by CTRL-D. The board answers 'OK' "
        "once it has the program, runs it, and sends back two sections, each ended by CTRL-D "
        "(byte 0x04): first everything the program printed (what it writes to sys.stderr too: "
        "a board has one serial line), then the traceback if it raised. "
        "The raw prompt '>' says it is ready for the next program. This lesson uses plain raw "
        "mode (its profile sets raw_paste='never'), which every MicroPython version speaks; "
        "the raw-paste lesson shows the variant with flow control."
    ),
    url=GENERIC,
    profile=PLAIN_RAW,
    steps=(
        ENTER_RAW,
        LessonStep(
            "Run a program",
            "The program goes out as it is, newlines and all, with CTRL-D at the end; nothing "
            "is echoed. The board answers 'OK' (it has the whole program and compiles it), then "
            "what print() writes, with '\\r\\n' line endings, then CTRL-D to close the first "
            "section. Nothing was raised, so the second section is empty: a second CTRL-D at "
            "once, and the prompt '>'.",
            actions.run("print('hello')\nprint(6 * 7)", expect_stdout="hello\r\n42\r\n", expect_exception=""),
        ),
        LessonStep(
            "A program that prints nothing",
            "An assignment prints nothing, so both sections are empty: 'OK', CTRL-D, CTRL-D, "
            "'>'. The host knows the run has ended without any output because it counts the "
            "two CTRL-D bytes, not because the board went quiet.",
            actions.run("x = 6 * 7", expect_stdout="", expect_exception=""),
        ),
        LessonStep(
            "The board remembers",
            "Each program runs in the same interpreter, so the variable set by the previous "
            "run is still there, as it would be at the friendly prompt: this program prints "
            "42. Only a reset clears it (see the soft-reset lesson).",
            actions.run("print(x)", expect_stdout="42\r\n", expect_exception=""),
        ),
    ),
)

EXCEPTION = Lesson(
    name="exception",
    title="Code that raises: the traceback in the second section",
    summary=(
        "When a program raises, the board still closes the first section with CTRL-D, then "
        "prints the traceback and closes the second section with another CTRL-D. A host tells "
        "output from error by position alone: whatever the program printed before the error "
        "stays in the first section, and the second holds only the traceback. Plain raw mode "
        "again (raw_paste='never')."
    ),
    url=GENERIC,
    profile=PLAIN_RAW,
    steps=(
        ENTER_RAW,
        LessonStep(
            "An error after some output",
            "This program prints one line, then calls a function that divides by zero. The "
            "board answers 'OK', then 'before' and CTRL-D (the first section ends where the "
            "error happened; the last print never runs), then the traceback: the calls "
            "outermost first, each with its line in '<stdin>' (the name the raw REPL gives the "
            "code it received), and 'ZeroDivisionError: divide by zero'. CTRL-D closes that "
            "section and '>' follows. The workbench parses the traceback into the exception's "
            "type, message and lines.",
            actions.run(
                "def ratio(a, b):\n    return a // b\n\nprint('before')\nprint(ratio(10, 0))\n"
                "print('never printed')\n",
                expect_stdout="before\r\n",
                expect_exception="ZeroDivisionError",
            ),
        ),
        LessonStep(
            "Code that does not compile",
            "The second line has a syntax error. MicroPython compiles the whole program before "
            "running any of it, so not even the first line runs: 'OK', an empty first section "
            "(CTRL-D straight away), then a traceback naming line 2 and 'SyntaxError: invalid "
            "syntax', CTRL-D and '>'.",
            actions.run(
                "print('first line')\nx = = 2\n", expect_stdout="", expect_exception="SyntaxError"
            ),
        ),
    ),
)

INTERRUPT = Lesson(
    name="interrupt",
    title="Interrupting running code with CTRL-C",
    summary=(
        "A program that never ends keeps the board busy: it reads no more code until the "
        "program stops. CTRL-C is the exception: while code runs, the board's serial input "
        "checks every byte for it and, when it comes, schedules a KeyboardInterrupt that the "
        "running program raises at its next check, for example when a loop jumps back. In the raw "
        "REPL the interrupted program then ends like any program that raised: CTRL-D, the "
        "traceback, CTRL-D, the prompt. Plain raw mode (raw_paste='never')."
    ),
    url=GENERIC,
    profile=PLAIN_RAW,
    steps=(
        ENTER_RAW,
        LessonStep(
            "Start a loop that never ends, then CTRL-C",
            "The program prints a line and then counts forever. The board answers 'OK' and "
            "'looping', then stays silent: no CTRL-D comes, because the program has not ended. "
            "As soon as the line has arrived the workbench sends a single CTRL-C (one is enough "
            "for code that does not catch it). The loop raises KeyboardInterrupt on line 3, so "
            "the board sends CTRL-D to close the first section, a traceback ending in "
            "'KeyboardInterrupt: ', CTRL-D and '>'.",
            actions.run_then_interrupt(
                "n = 0\nprint('looping')\nwhile True: n = n + 1\n", expect_stdout="looping\r\n"
            ),
        ),
        LessonStep(
            "The board is ready again",
            "Back at the raw prompt the board takes the next program as usual, and the "
            "interpreter still holds the loop's counter: this program prints True because the "
            "loop ran at least once before CTRL-C arrived.",
            actions.run("print(n > 0)", expect_stdout="True\r\n", expect_exception=""),
        ),
    ),
)

SOFT_RESET = Lesson(
    name="soft-reset",
    title="Soft reset: a fresh interpreter, back at the raw prompt",
    summary=(
        "A soft reset restarts the MicroPython interpreter without resetting the chip: the "
        "heap is cleared, every variable and imported module is gone, and MicroPython runs "
        "boot.py again (CircuitPython does not: it runs boot.py only at power-up). From the raw "
        "REPL it is CTRL-D on an empty line, and the board comes back in the raw REPL (main.py "
        "is not run then), so a tool can go on at once. Tools soft-reset before a run to start "
        "from a known state. Plain raw mode (raw_paste='never')."
    ),
    url=GENERIC,
    profile=PLAIN_RAW,
    steps=(
        ENTER_RAW,
        LessonStep(
            "Leave something behind",
            "This program sets a variable and prints it: 'OK', 'x is 42', CTRL-D, CTRL-D, '>'.",
            actions.run("x = 42\nprint('x is', x)", expect_stdout="x is 42\r\n", expect_exception=""),
        ),
        LessonStep(
            "Soft reset (CTRL-D on an empty line)",
            "The workbench sends CTRL-D alone. The raw REPL acknowledges it like any program "
            "with 'OK', sees that the program is empty and, instead of running it, answers "
            "'\\r\\n' and leaves for a soft reset. The board prints 'MPY: soft reboot', restarts "
            "the interpreter, runs boot.py (whatever it prints would come next) and, because it "
            "was in the raw REPL, prints the raw banner and '>' again rather than the friendly "
            "banner.",
            actions.soft_reset,
        ),
        LessonStep(
            "A fresh interpreter",
            "The variable from before the reset is gone: this program prints False.",
            actions.run("print('x' in globals())", expect_stdout="False\r\n", expect_exception=""),
        ),
    ),
)
