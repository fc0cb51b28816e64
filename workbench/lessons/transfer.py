"""Lessons on getting code to the board: raw-paste, old firmware without it, a lossy link.

The flaky-bridge lesson uses the simulator's ``rx_fifo`` fault (a receive FIFO that
overruns on bursts, see docs/simulated-boards.md) on a board with no line-rate limit: a
burst then arrives all at once and always loses the same bytes, so the lesson fails and
recovers the same way every time.
"""

from __future__ import annotations

from workbench.engine.profile import Profile
from workbench.errors import DeviceTimeout, NotSupported, TransferError
from workbench.lessons import actions
from workbench.lessons.basics import ENTER_RAW
from workbench.lessons.model import Lesson, LessonStep


def _squares_program() -> str:
    rows = "".join(
        "    " + ", ".join(str(i * i) for i in range(row, row + 10)) + ",\n" for row in range(0, 100, 10)
    )
    return (
        "# Squares of 0 to 99, written out: a program longer than several\n"
        "# raw-paste windows of 128 bytes.\n"
        f"squares = [\n{rows}]\n"
        "print(len(squares), 'squares, total', sum(squares))\n"
    )


#: A program of 759 bytes: six raw-paste windows of 128 bytes once padded.
LONG_PROGRAM = _squares_program()
LONG_OUTPUT = "100 squares, total 328350\r\n"

RAW_PASTE = Lesson(
    name="raw-paste",
    title="Raw-paste and its flow-control window",
    summary=(
        "Plain raw mode has no flow control: the host writes the whole program and relies on "
        "the board reading fast enough. Raw-paste (MicroPython 1.14 and later) adds it. The "
        "host asks with CTRL-E 'A' CTRL-A; the board answers 'R' 0x01 and a window size, and "
        "from then on the host may only send as much as the board has said it has room for. "
        "The board sends CTRL-A each time it has read another window. The window is half the "
        "board's input buffer (MICROPY_REPL_STDIN_BUFFER_MAX, 256 bytes on most ports), so the "
        "buffer can never overflow. This lesson sends a program several windows long."
    ),
    url="sim://generic",
    steps=(
        ENTER_RAW,
        LessonStep(
            "Ask for raw-paste and send a long program",
            "The workbench sends CTRL-E 'A' CTRL-A at the raw prompt. The board answers 'R' "
            "0x01 (yes), the window size as two bytes, low byte first (80 00: 128 bytes), and "
            "a CTRL-A. The window size itself grants one window and the CTRL-A a second one, so "
            "the host may send 256 bytes straight away. The program is 759 bytes; the "
            "workbench pads it with newlines to six whole windows (768 bytes), so that the "
            "number of CTRL-A credits tells whether every byte arrived. Each time the board "
            "has read 128 more bytes it sends a CTRL-A and the host sends more. CTRL-D ends "
            "the code and the board answers with its own CTRL-D to say it has seen the end (it "
            "compiles the code as it reads it, so it never needs the whole program in its "
            "buffer). Then it runs the program and sends the two sections as in plain raw "
            "mode: output, CTRL-D, nothing, CTRL-D, '>'. There is no 'OK' in raw-paste.",
            actions.run(LONG_PROGRAM, expect_stdout=LONG_OUTPUT, expect_exception="", expect_raw_paste=True),
        ),
        LessonStep(
            "The second run: no waiting for the answer",
            "The workbench now knows that this board takes raw-paste and that its window is 128 "
            "bytes, so it writes the request and, right behind it, the code (up to one window), "
            "without waiting for 'R' 0x01. The board reads the request, answers as before, and "
            "finds the code already waiting in its input buffer, exactly as if it had been sent "
            "after the answer. One round trip less per run, which counts on a USB-serial bridge "
            "that adds milliseconds to every reply.",
            actions.run("print(squares[12])", expect_stdout="144\r\n", expect_exception="", expect_raw_paste=True),
        ),
    ),
)

LEGACY = Lesson(
    name="legacy",
    title="Old firmware without raw-paste: the fallback to plain raw mode",
    summary=(
        "Firmware older than MicroPython 1.14 has no raw-paste. Asking for it must not break "
        "anything, and it does not: the old raw REPL takes CTRL-E and 'A' as ordinary bytes "
        "of the line it collects, and CTRL-A as 'start the raw REPL again', so it clears the "
        "line and prints its banner again instead of answering 'R'. A host that sees the "
        "banner knows the answer is no and sends the code in plain raw mode. The board here is "
        "a simulated ESP8266 with MicroPython 1.12 behind a 115200-baud USB-serial bridge."
    ),
    url="sim://legacy?boot_ms=0",
    steps=(
        ENTER_RAW,
        LessonStep(
            "Ask for raw-paste on old firmware",
            "The workbench sends CTRL-E 'A' CTRL-A as it would to any board. This one answers "
            "with the raw banner 'raw REPL; CTRL-B to exit' and '>' again, not with 'R'. (Newer "
            "firmware answers 'R' 0x00 to a raw-paste command it does not know; old firmware "
            "cannot even say that.) So the workbench falls back: the code and CTRL-D in plain "
            "raw mode, and the board answers 'OK', its MicroPython version, CTRL-D, CTRL-D, '>'.",
            actions.run(
                "import os\nprint(os.uname().release)",
                expect_stdout="1.12.0\r\n",
                expect_exception="",
                expect_raw_paste=False,
            ),
        ),
        LessonStep(
            "The answer is remembered",
            "The workbench asks once per connection. For the next program it goes straight to "
            "plain raw mode: only the code and CTRL-D, and 'OK', output, CTRL-D, CTRL-D, '>'.",
            actions.run("print(6 * 7)", expect_stdout="42\r\n", expect_exception="", expect_raw_paste=False),
        ),
        LessonStep(
            "Insisting on raw-paste (raw_paste='always')",
            "A profile can say raw_paste='always', for a board known to have raw-paste, where a "
            "refusal means something is wrong (the wrong board, a reflashed one). The workbench "
            "then asks again even though this board said no, gets the banner again, and stops "
            "with NotSupported instead of falling back. The code is not sent.",
            actions.expect_failure("print(1)", (NotSupported,), note="refused", changes={"raw_paste": "always"}),
        ),
    ),
)

#: The flaky-bridge lesson's starting profile: the defaults, with a shorter reply timeout.
FLAKY_PROFILE = Profile(response_timeout_s=1.0)

FLAKY_BRIDGE = Lesson(
    name="flaky-bridge",
    title="A flaky link that drops bytes, and what the profile changes",
    summary=(
        "Raw-paste's window protects the board's input buffer, not a smaller buffer on the "
        "way. This simulated board sits behind a link whose receive FIFO holds only 64 bytes "
        "and is emptied every 10 ms (the simulator's option rx_fifo=64): a burst bigger than "
        "that loses its tail, as an overrun UART or a cheap USB-serial bridge does. With the "
        "default settings the host sends two windows, 256 bytes, at once and most of them are "
        "lost. A profile that makes the host write little and often gets the same program "
        "through whole. (The reply timeout is 1 s instead of the default 2 s, so the failure "
        "does not keep you waiting.)"
    ),
    url="sim://generic?rx_fifo=64",
    profile=FLAKY_PROFILE,
    steps=(
        ENTER_RAW,
        LessonStep(
            "The default profile: one burst of 256 bytes",
            "The workbench asks for raw-paste and gets 'R' 0x01, window 128 and a CTRL-A: 256 "
            "bytes of credit. It writes 256 bytes of the 759-byte program in one go. The FIFO "
            "keeps the first 64 and the other 192 are lost. The board has read only 64 bytes of "
            "its first 128-byte window, so it never sends the CTRL-A that would grant more "
            "credit, and after the reply timeout the workbench gives up with DeviceTimeout "
            "while sending code (raw-paste), waiting for window credit. (When fewer bytes are "
            "lost, the count of CTRL-A credits comes up short instead and the workbench reports "
            "TransferError. Either way the damaged program does not run.)",
            actions.expect_failure(LONG_PROGRAM, (DeviceTimeout, TransferError), note="default profile"),
        ),
        LessonStep(
            "Plain raw mode in small, spaced writes",
            "First the workbench gets the board back. Its CTRL-C ends the unfinished paste: the "
            "board answers CTRL-D, an empty output section and a bare 'KeyboardInterrupt: ' for "
            "the program it was reading (none of it ran), then '>'. No friendly '>>> ' came, so "
            "a second CTRL-C follows in its own write, which the idle raw REPL ignores, and CR "
            "CTRL-A brings the raw banner and prompt. Then the profile changes to "
            "raw_paste='never', chunk_size=32, chunk_delay_s=0.02: plain raw mode in 32-byte "
            "writes 20 ms apart. Each write fits the FIFO and is read long before the next one "
            "arrives, so every byte gets through: 'OK', the program's line, CTRL-D, CTRL-D, "
            "'>'. The price is time, 20 ms per 32 bytes, and no flow control at all.",
            actions.set_profile_and_run(
                {"raw_paste": "never", "chunk_size": 32, "chunk_delay_s": 0.02},
                LONG_PROGRAM,
                expect_stdout=LONG_OUTPUT,
                expect_raw_paste=False,
            ),
        ),
        LessonStep(
            "Or keep raw-paste, in smaller writes",
            "window_size_override=32 keeps raw-paste and its flow control but writes at most 32 "
            "bytes at a time, chunk_delay_s (20 ms) apart, within the credit the board grants. "
            "The board's window protects its input buffer, the pacing protects the FIFO. The "
            "workbench remembers that raw-paste works here, so the first 32 bytes go right "
            "behind the request; the board answers 'R' 0x01, sends a CTRL-A for every 128 bytes "
            "it reads, and the program prints the same line as before.",
            actions.set_profile_and_run(
                {"raw_paste": "auto", "window_size_override": 32},
                LONG_PROGRAM,
                expect_stdout=LONG_OUTPUT,
                expect_raw_paste=True,
            ),
        ),
    ),
)
