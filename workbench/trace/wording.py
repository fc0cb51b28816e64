"""The words for protocol events, in one table keyed by event type.

The protocol core reports typed events (:mod:`workbench.protocol.events` for the device's
bytes, :mod:`workbench.protocol.host_events` for the host's) and a trace record keeps them.
Everything a person reads about an event is made here from its fields, and only here:

* ``phrase``: the terse meaning the trace shows in its meaning column ("CTRL-D: end of stdout");
* ``reading``: the explanation (:func:`workbench.trace.explain.explain`): a short clause for a
  record that carries several steps, one or two sentences saying what the bytes are, and the
  outlook (what the device will do next);
* ``payload``: whether the event is payload (output, code, stray text) rather than a protocol
  step, which the trace view's events-only filter hides;
* ``note``: for a host event whose words differ when the workbench itself made the write (the
  note of its own trace records, which names every byte it sent); None: the phrase.

A new event type gets a row in :data:`WORDING`; ``tests/unit/test_trace_explain.py`` fails
until it has one. Nothing here imports Textual: the CLI and the lessons use it too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from workbench.protocol.constants import control_name
from workbench.protocol.events import (
    DeviceRebooted,
    Event,
    ExecAccepted,
    ExecFinished,
    FriendlyPrompt,
    Output,
    PasteAcknowledged,
    PasteEndedEarly,
    RawPasteAccepted,
    RawPasteRefused,
    RawReady,
    SoftReboot,
    StdoutEnded,
    UnexpectedBytes,
    WindowCredit,
)
from workbench.protocol.host_events import (
    CodeSent,
    EndOfCode,
    EnterRaw,
    FriendlyPasteEnd,
    FriendlyPasteMode,
    HostEvent,
    Interrupt,
    InterruptReason,
    LeaveRaw,
    OwedEndOfPaste,
    RawPasteRequest,
    SoftReset,
    Typed,
    UnplacedWrite,
)

ProtocolEvent = Event | HostEvent
"""What a trace record carries: device events (rx) or host events (tx)."""

__all__ = [
    "WORDING",
    "ProtocolEvent",
    "Reading",
    "Wording",
    "is_payload",
    "meaning_of",
    "meaning_parts",
    "note_of",
    "phrase",
    "reading",
    "size_words",
    "spell_bytes",
    "what_bytes",
]

#: Spell a record byte by byte only when it is this short; longer ones are described by size.
_SPELL_MAX_BYTES = 12
_SPELL_MAX_TOKENS = 6
_PREVIEW_CHARS = 32
#: Said once, after the last step, of a write that went right behind the raw-paste request.
_AHEAD = " (sent ahead of the answer)"


@dataclass(frozen=True, slots=True)
class Reading:
    """One event of a record, explained three ways.

    ``clause`` is a short phrase used when a record carries several steps; ``sentence`` says
    what the bytes are; ``next`` says what happens next (kept separate so a multi-step record
    can end with the outlook of its last step only).
    """

    clause: str
    sentence: str
    next: str = ""


@dataclass(frozen=True, slots=True)
class Wording:
    """One row of :data:`WORDING`: everything said about one event type.

    The callables take the event (of the row's type); ``reading`` also takes the bytes of
    the record that carried it, so a sentence can spell or quote them.
    """

    phrase: Callable[[Any], str]
    reading: Callable[[Any, bytes], Reading]
    payload: bool | Callable[[Any], bool] = False
    note: Callable[[Any], str] | None = None


# --------------------------------------------------------------------------- byte helpers
def spell_bytes(data: bytes) -> str | None:
    """``CTRL-E, 'A', CTRL-A``: a short record spelled out, or None when it is too long.

    Printable runs are quoted, control bytes named (:func:`control_name`), other bytes in
    hex, so a learner sees exactly which bytes made the step.
    """
    if not data or len(data) > _SPELL_MAX_BYTES:
        return None
    tokens: list[str] = []
    run = ""
    for byte in data:
        if 0x20 <= byte < 0x7F:
            run += chr(byte)
            continue
        if run:
            tokens.append(repr(run))
            run = ""
        tokens.append(control_name(byte))
    if run:
        tokens.append(repr(run))
    if len(tokens) > _SPELL_MAX_TOKENS:
        return None
    return ", ".join(tokens)


def _preview(data: bytes) -> str:
    """The start of some text, quoted with escapes visible: ``'sum 39601\\n'``."""
    text = data.decode("latin-1")
    escaped = repr(text[:_PREVIEW_CHARS])
    return escaped[:-1] + "…" + escaped[-1] if len(text) > _PREVIEW_CHARS else escaped


def size_words(n: int) -> str:
    """``1 byte``, ``2 bytes``."""
    return f"{n} byte" if n == 1 else f"{n} bytes"


def what_bytes(data: bytes) -> str:
    """A record's bytes for the start of a sentence: spelled when short, else sized."""
    return spell_bytes(data) or size_words(len(data))


def _in_record(data: bytes, n: int) -> str:
    """Quote the output when the record is nothing but that output."""
    return f" ({_preview(data)})" if len(data) == n else ""


# --------------------------------------------------------------------------- host writes
# Every sentence below that says what a board does is backed: by a test of the real
# interpreter, named after the claim, in tests/unit/test_wording_truth.py ("shown by"), or,
# where the unix port cannot show it, by the MicroPython source that does it ("source").
# MicroPython's side is shared/runtime/pyexec.c (raw REPL, raw-paste, the friendly REPL's
# commands), shared/readline/readline.c (keys on the friendly input line) and each port's
# main.c (soft reboot, boot.py, main.py).

_INTERRUPT_REASONS = {
    InterruptReason.STOP_WHATEVER_RUNS: "CTRL-C: stop whatever runs, cancel the line",
    InterruptReason.NO_PROMPT_YET: "CTRL-C again: no '>>> ' came (a program may have caught the first)",
    InterruptReason.ASKED: "CTRL-C: interrupt",
    InterruptReason.RUNNING_CODE: "CTRL-C: interrupt running code",
    InterruptReason.STOP_UPLOAD: "CTRL-C: stop the upload (the device drops the code)",
    InterruptReason.SESSION_CLOSING: "CTRL-C: session closing",
    InterruptReason.EXEC_TIMEOUT: "CTRL-C: exec timeout, interrupt",
    InterruptReason.EXEC_TIMEOUT_UPLOAD: "CTRL-C: exec timeout, drop the upload",
}


def _interrupt_phrase(e: Interrupt) -> str:
    if e.reason is not None:
        words = _INTERRUPT_REASONS[e.reason]
        if e.cr or e.ctrl_c != 1:  # saved by a workbench that sent CR CTRL-C CTRL-C (before issue 14)
            keys = " ".join((["CR"] if e.cr else []) + ["CTRL-C"] * e.ctrl_c)
            words = keys + words[words.index(":") :]
        return words
    times = {1: "", 2: " twice"}.get(e.ctrl_c, f" x{e.ctrl_c}")
    what = "interrupt running code" if e.running else "interrupt, clear the line"
    return f"CTRL-C{times}: {what}"


# Running code:
#   - one CTRL-C raises KeyboardInterrupt in it: shown by
#     test_ctrl_c_raises_keyboard_interrupt_in_running_code;
#   - during a raw-paste upload it ends the paste, nothing runs, and the report is one bare
#     line: shown by test_ctrl_c_while_a_raw_paste_is_read_ends_it_with_a_bare_keyboard_interrupt_line;
#   - then CTRL-D, the report as the error section, CTRL-D, '>': shown by
#     test_an_interrupted_run_ends_its_output_section_then_sends_the_traceback;
#   - code that catches it runs on until a later CTRL-C: shown by
#     test_code_that_caught_the_interrupt_is_stopped_by_a_later_ctrl_c;
#   - CTRL-Cs that arrive together are one interrupt: source py/scheduler.c,
#     mp_sched_keyboard_interrupt (it sets the one pending-exception slot; the spawn://
#     transport turns each write's CTRL-Cs into one SIGINT for the same reason).
# Nothing running (or the host cannot tell):
#   - CTRL-C cancels a half-typed friendly line: shown by test_ctrl_c_cancels_a_half_typed_line
#     (readline.c, readline_process_char: CTRL-C returns at once, whatever the line holds);
#   - a CR runs it instead: shown by test_cr_runs_a_half_typed_line;
#   - the friendly REPL answers with a new line and '>>> ': shown by
#     test_ctrl_c_at_the_friendly_prompt_brings_a_new_prompt;
#   - at a prompt every CTRL-C counts: shown by test_ctrl_cs_at_a_prompt_count_one_by_one;
#   - an idle raw REPL answers nothing: shown by test_an_idle_raw_repl_answers_ctrl_c_with_nothing.
def _interrupt(e: Interrupt, data: bytes) -> Reading:
    if e.running:
        several = ", once: CTRL-Cs that arrive before it is handled count as one" if e.ctrl_c > 1 else ""
        return Reading(
            "CTRL-C (interrupt the running code)",
            f"{what_bytes(data)} interrupts the running code: MicroPython raises KeyboardInterrupt in "
            f"it{several}. Sent while the device still reads a raw-paste, it ends the paste and nothing "
            "runs.",
            "Unless the code catches it, the device ends the output section with CTRL-D, sends the "
            "KeyboardInterrupt report as the error section (a traceback; after a stopped paste one bare "
            "'KeyboardInterrupt: ' line), then CTRL-D and the raw prompt '>'. Code that catches it runs "
            "on until a later CTRL-C, in a write of its own, reaches it.",
        )
    if e.reason is InterruptReason.NO_PROMPT_YET:
        return Reading(
            "CTRL-C again (no prompt came)",
            f"{what_bytes(data)} once more, in a write of its own: the first CTRL-C brought no '>>> ', so "
            "either a program caught its KeyboardInterrupt, or the board is in the raw REPL, which "
            "answers CTRL-C with nothing.",
            "A program that caught the first one stops now (its traceback and '>>> ' follow); an idle raw "
            "REPL stays silent. Two CTRL-Cs in one write would have been one interrupt, which is why this "
            "one waited.",
        )
    cr = (
        " The CR in front does not empty a half-typed line at the friendly prompt: it runs it "
        "(only CTRL-C cancels a line)."
        if e.cr
        else ""
    )
    several = (
        " At a prompt each CTRL-C counts; running code takes CTRL-Cs that arrive together as one "
        "KeyboardInterrupt."
        if e.ctrl_c > 1
        else ""
    )
    return Reading(
        "CTRL-C (interrupt, clear the line)",
        f"{what_bytes(data)} stops whatever may be running and cancels a line half typed at the "
        f"friendly prompt: the usual first step to get a board of unknown state under control.{cr}{several}",
        "At the friendly REPL the device answers with a new line and a fresh '>>> ' (after a traceback, "
        "if code was running); an idle raw REPL answers nothing at all.",
    )


# - CTRL-A on an empty friendly line enters the raw REPL (banner, '>'): shown by
#   test_ctrl_a_on_an_empty_friendly_line_enters_the_raw_repl;
# - on a half-typed line it moves the cursor to the start: shown by
#   test_ctrl_a_on_a_half_typed_line_moves_the_cursor;
# - a CR on the empty line only brings another '>>> ': shown by
#   test_cr_on_an_empty_friendly_line_brings_another_prompt;
# - in the raw REPL CTRL-A prints the banner and '>' again: shown by
#   test_ctrl_a_in_the_raw_repl_prints_the_banner_again;
# - no echo in the raw REPL: shown by test_code_in_plain_raw_mode_gets_no_answer_until_ctrl_d.
def _enter_raw(e: EnterRaw, data: bytes) -> Reading:
    cr = (
        " A CR in front runs whatever is on the line; after a CTRL-C that is nothing, so it only "
        "brings one more '>>> '."
        if e.cr
        else ""
    )
    return Reading(
        "CTRL-A (enter the raw REPL)",
        f"{what_bytes(data)} asks the board to switch from the friendly REPL to the raw REPL, the mode "
        "made for programs: no echo, no prompt per line. CTRL-A is a command only on an empty line (on "
        f"a half-typed one it moves the cursor to the start), which is why a CTRL-C comes first.{cr}",
        "The device answers with the banner 'raw REPL; CTRL-B to exit' and the raw prompt '>' (in the "
        "raw REPL already, it prints them again); the host waits for that '>' before it sends anything.",
    )


def _paste_request_phrase(e: RawPasteRequest) -> str:
    if e.code_follows:
        return "CTRL-E A CTRL-A: raw-paste (code follows without waiting)"
    return "CTRL-E A CTRL-A: ask for raw-paste" + (" again" if e.attempt > 1 else "")


# - the answer 'R' CTRL-A, the window size, CTRL-A: shown by
#   test_a_raw_paste_request_is_answered_with_r_the_window_and_ctrl_a;
# - 'R' NUL for a command other than 'A': shown by
#   test_a_raw_paste_command_other_than_a_gets_r_nul_and_the_prompt;
# - the device parses code as it reads it: shown by test_a_syntax_error_met_while_reading_ends_the_paste_early;
# - firmware before 1.14 prints the raw banner again: source lib/utils/pyexec.c as of v1.13,
#   pyexec_raw_repl (CTRL-A restarts the raw REPL; CTRL-E and 'A' are bytes of the line).
def _paste_request(e: RawPasteRequest, data: bytes) -> Reading:
    return Reading(
        "CTRL-E 'A' CTRL-A (ask for raw-paste)",
        f"{what_bytes(data)} at the raw prompt ask the device for raw-paste mode, where it parses the "
        "code as it arrives and paces the host with a flow-control window.",
        "A device that supports it answers 'R' CTRL-A, its window size and a CTRL-A; 'R' NUL means it "
        "knows the request but refuses it (MicroPython's answer to a letter other than 'A'), and "
        "firmware older than 1.14 prints the raw banner again.",
    )


# - CTRL-B: a new line, the banner and '>>> ': shown by
#   test_ctrl_b_leaves_the_raw_repl_with_the_banner_and_the_friendly_prompt.
def _leave_raw(e: LeaveRaw, data: bytes) -> Reading:
    return Reading(
        "CTRL-B (leave the raw REPL)",
        f"{what_bytes(data)} leaves the raw REPL and returns the board to the friendly REPL, the one "
        "made for people typing.",
        "The device prints its MicroPython banner (version, board) and the prompt '>>> '.",
    )


# - CTRL-D on an empty raw line: 'OK', a line end, and the interpreter restarts: shown by
#   test_ctrl_d_on_an_empty_raw_line_answers_ok_and_restarts_the_interpreter (the unix port
#   exits there; spawn:// starts it again, as a board's main.c loops back to soft_reset);
# - the reboot text, boot.py again, main.py only from the friendly REPL: source ports/*/main.c
#   (esp32 mp_task, rp2 main, ...: the soft_reset_exit label prints 'MPY: soft reboot',
#   pyexec_file_if_exists("boot.py"), then main.py only if pyexec_mode_kind is
#   PYEXEC_MODE_FRIENDLY_REPL); 'PYB: soft reboot' up to v1.10 (ports/stm32/main.c, v1.10);
# - CircuitPython runs boot.py only at power-up: as documented in issue 14 (CircuitPython's
#   main.c is not in this repository's reach).
def _soft_reset(e: SoftReset, data: bytes) -> Reading:
    return Reading(
        "CTRL-D on an empty line (soft reset)",
        f"{what_bytes(data)} on an empty line (no code since the prompt) asks for a soft reset: the "
        "device will reboot its Python interpreter, clearing every variable and imported module.",
        "MicroPython (after an 'OK' in the raw REPL) prints 'MPY: soft reboot' ('PYB: soft reboot' up "
        "to 1.10), runs boot.py again and main.py only if it was in the friendly REPL; CircuitPython prints 'soft "
        "reboot' and does not run boot.py, which it runs only at power-up. Then the prompt again (the "
        "raw banner and '>' if it was in the raw REPL), after anything boot.py printed.",
    )


def _code_phrase(e: CodeSent) -> str:
    if e.mode == "raw":
        return f"code {e.size} B (raw mode)"
    if e.credit_left is None:
        return f"code {e.size} B (raw-paste)"
    over = f", {e.beyond} B BEYOND the credit (will be lost)" if e.beyond else ""
    return f"code {e.size} B (raw-paste, credit left {e.credit_left}{over})"


# - plain raw mode: no answer until CTRL-D, then 'OK' and the run: shown by
#   test_code_in_plain_raw_mode_gets_no_answer_until_ctrl_d;
# - raw-paste: a CTRL-A each time the device has read a window: shown by
#   test_the_device_sends_ctrl_a_each_time_it_has_read_a_window;
# - bytes beyond the credit can overflow the input buffer: source pyexec.c,
#   mp_reader_new_stdin (the window is half of MICROPY_REPL_STDIN_BUFFER_MAX) and the port's
#   stdin ring buffer, which drops what does not fit (a serial line cannot be paused).
def _code(e: CodeSent, data: bytes) -> Reading:
    n = e.size
    if e.mode == "raw":
        return Reading(
            f"{size_words(n)} of code",
            f"{size_words(n)} of program text ({_preview(data[:n])}) in plain raw mode: the device "
            "stores them in its input buffer and answers nothing yet.",
            "Nothing runs until the host sends CTRL-D; then the device answers 'OK' and runs the code.",
        )
    left = e.credit_left
    sentence = f"{size_words(n)} of program text in raw-paste mode, within the window of credit the device granted"
    if e.beyond:
        sentence += (
            f", but {e.beyond} bytes go BEYOND that credit: the device's buffer can overflow "
            "and lose them (a host bug)"
        )
    elif left is not None:
        sentence += f" ({left} bytes of credit remain)" if left != 0 else " (the credit is now used up)"
    if e.ahead:
        sentence += "; sent right behind the raw-paste request, before the device answered, using a window size the host remembered"
    if left == 0:
        outlook = "The host must wait for the device's next CTRL-A, which grants another window, before sending more."
    else:
        outlook = "The device parses the code as it reads it and sends CTRL-A each time it has read another window."
    return Reading(f"{size_words(n)} of code (raw-paste)", sentence + ".", outlook)


def _end_of_code_phrase(e: EndOfCode) -> str:
    return "CTRL-D: execute" if e.mode == "raw" else "CTRL-D: end of paste"


# - plain raw: 'OK', the output, CTRL-D: shown by test_ctrl_d_after_plain_raw_code_gets_ok_then_the_run;
# - raw-paste: the device's CTRL-D comes as soon as it reads the host's, before compiling
#   ends, and compile errors follow it: shown by
#   test_the_device_acknowledges_the_end_of_paste_before_compiling;
# - an early end is the same byte, and one more CTRL-D soft-resets the board: shown by
#   test_a_second_ctrl_d_after_a_paste_soft_resets_the_board.
def _end_of_code(e: EndOfCode, data: bytes) -> Reading:
    if e.mode == "raw":
        return Reading(
            "CTRL-D (end of code: run it)",
            "CTRL-D ends the code sent in raw mode.",
            "The device answers 'OK', then compiles and runs the code; what it prints follows, "
            "closed by CTRL-D.",
        )
    return Reading(
        "CTRL-D (end of the paste)",
        "CTRL-D after the last code byte tells the device the raw-paste is complete.",
        "The device answers with its own CTRL-D the moment it reads this one, before it has finished "
        "compiling: compile errors come after it, else the run (output, CTRL-D, error section, "
        "CTRL-D). A device that stopped reading early sends the same byte; either way the host sends "
        "no other CTRL-D, which would soft-reset the board.",
    )


# - after an early end the device discards input up to the host's CTRL-D, then: an empty
#   output section, CTRL-D, the traceback, CTRL-D: shown by
#   test_after_an_early_end_the_device_waits_for_the_hosts_ctrl_d_then_reports;
# - lexer/parser errors end it early: shown by test_a_syntax_error_met_while_reading_ends_the_paste_early;
#   running out of memory too: source pyexec.c, parse_compile_execute (any exception while
#   parsing closes the reader: mp_reader_stdin_close sends CTRL-D and waits).
def _owed_end(e: OwedEndOfPaste, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (the end of paste the host still owed)",
        "The device stopped reading the paste early (its lexer or parser met a syntax error, or memory "
        "ran out); this CTRL-D is the one end of paste the host still owed it, and the only one it sends.",
        "The device now reports the error: an empty output section, CTRL-D, the traceback as the error "
        "section, CTRL-D.",
    )


# - CTRL-E: the paste-mode line and '=== ': shown by test_ctrl_e_at_the_friendly_prompt_starts_paste_mode;
# - no auto-indent there (the friendly REPL indents after ':'): shown by
#   test_paste_mode_does_not_indent and test_the_friendly_repl_indents_after_a_colon.
def _friendly_paste(e: FriendlyPasteMode, data: bytes) -> Reading:
    return Reading(
        "CTRL-E (friendly paste mode)",
        "CTRL-E at the friendly REPL starts its paste mode, meant for people pasting a block of "
        "lines: auto-indent is off and nothing runs line by line.",
        "The device prints 'paste mode; Ctrl-C to cancel, Ctrl-D to finish' and echoes every "
        "line with '=== ' until CTRL-D.",
    )


# - CTRL-D runs the pasted lines at once, then '>>> ': shown by
#   test_ctrl_d_in_paste_mode_runs_the_pasted_lines_at_once.
def _friendly_paste_end(e: FriendlyPasteEnd, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (end of friendly paste mode)",
        "CTRL-D ends the friendly REPL's paste mode.",
        "The device compiles and runs all the pasted lines at once, prints their output and "
        "then the prompt '>>> '.",
    )


#: What a command key does on a half-typed friendly line (readline.c, readline_process_char).
_LINE_KEYS = {
    0x01: "moves the cursor to the start of the line",
    0x02: "moves the cursor one place left, on builds with Emacs keys",
    0x04: "deletes the character under the cursor, on builds with Emacs keys",
    0x05: "moves the cursor to the end of the line",
}


# - echo, and Enter runs the line and prints the result and '>>> ': shown by
#   test_the_friendly_repl_echoes_a_line_and_runs_it_on_enter;
# - a line that opens a block gets '... ' and an indent: shown by
#   test_the_friendly_repl_indents_after_a_colon;
# - CTRL-A/B/D/E on a half-typed line are editing keys: shown by
#   test_ctrl_a_on_a_half_typed_line_moves_the_cursor and
#   test_ctrl_e_on_a_half_typed_line_does_not_start_paste_mode (CTRL-B and CTRL-D:
#   readline.c, readline_process_char, under MICROPY_REPL_EMACS_KEYS).
def _typed_phrase(e: Typed) -> str:
    if e.key in _LINE_KEYS:
        return f"{control_name(e.key)} on a half-typed line: an editing key, not a command"
    return f"{e.size} B typed at the friendly REPL"


def _typed(e: Typed, data: bytes) -> Reading:
    if e.key in _LINE_KEYS:
        key = control_name(e.key)
        return Reading(
            f"{key} on a half-typed line",
            f"{key} on a half-typed line at the friendly REPL is an editing key, not a command: it "
            f"{_LINE_KEYS[e.key]}. CTRL-A, CTRL-B, CTRL-D and CTRL-E act as commands only on an empty line.",
            "A tool therefore sends CTRL-C, which cancels the line, before its CTRL-A.",
        )
    outlook = (
        "The device echoes it; the final CR (Enter) makes it run the line and print the result "
        "and a new '>>> ' (a line that opens a block gets '... ' and an indent instead)."
        if data.endswith(b"\r")
        else "The device echoes what it receives; nothing runs until a CR (Enter) or, in paste "
        "mode, CTRL-D."
    )
    return Reading(
        f"{size_words(e.size)} typed at the friendly REPL",
        f"{size_words(e.size)} ({_preview(data)}) typed at the friendly REPL, as a person would.",
        outlook,
    )


# - code that reads its input takes the host's bytes: shown by
#   test_code_that_reads_its_input_takes_the_hosts_bytes.
def _unplaced(e: UnplacedWrite, data: bytes) -> Reading:
    return Reading(
        f"{size_words(e.size)} sent while {e.state}",
        f"{what_bytes(data)} sent while the host believed the device was {e.state}: no protocol "
        "step expects bytes now.",
        "Code that reads its input (input(), sys.stdin) takes them; otherwise the device ignores them "
        "or keeps them for later. Watch its answer to see which.",
    )


# --------------------------------------------------------------------------- device replies
# - CTRL-A on this empty line enters the raw REPL: shown by
#   test_ctrl_a_on_an_empty_friendly_line_enters_the_raw_repl.
def _friendly_prompt(e: FriendlyPrompt, data: bytes) -> Reading:
    return Reading(
        "'>>> ' (the friendly prompt)",
        "'>>> ' is the friendly REPL's prompt: the board waits for a person to type a line.",
        "A host that wants to run a program sends CTRL-A on this empty line to enter the raw REPL.",
    )


# - until the '>' the host cannot know the switch worked, and at the friendly prompt CTRL-E
#   starts paste mode: shown by test_ctrl_e_at_the_friendly_prompt_starts_paste_mode.
def _raw_ready(e: RawReady, data: bytes) -> Reading:
    banner = b"CTRL-B to exit" in data
    what = "The banner 'raw REPL; CTRL-B to exit' and the prompt '>'" if banner else "'>' is the raw REPL's prompt and"
    verb = "say" if banner else "says"
    return Reading(
        "'>' (the raw prompt: ready for code)",
        f"{what} {verb} the device is in the raw REPL, waiting for code.",
        "The host now sends code followed by CTRL-D, or CTRL-E 'A' CTRL-A to ask for raw-paste. It "
        "waits for this '>' first: before it, the same bytes could reach the friendly REPL, where "
        "CTRL-E starts paste mode.",
    )


# - 'OK' once the CTRL-D is read, before the run; the output then CTRL-D: shown by
#   test_ctrl_d_after_plain_raw_code_gets_ok_then_the_run.
def _ok(e: ExecAccepted, data: bytes) -> Reading:
    return Reading(
        "'OK' (the code was accepted and is running)",
        "'OK' means the device received the whole program (ended by CTRL-D) and is now compiling "
        "and running the code.",
        "What the code prints comes next, then CTRL-D ends that output section.",
    )


# - sys.stderr writes land in the first section: shown by
#   test_sys_stderr_writes_go_into_the_output_section (boards: shared/runtime/sys_stdio_mphal.c,
#   stdio_write, one stream for both);
# - the second section holds only the uncaught exception's report: shown by
#   test_the_error_section_holds_only_the_uncaught_exceptions_report (pyexec.c,
#   parse_compile_execute: the report is printed after the first CTRL-D).
def _output(e: Output, data: bytes) -> Reading:
    n = len(e.data)
    if e.stream == "stdout":
        return Reading(
            f"{size_words(n)} of stdout",
            f"{size_words(n)}{_in_record(data, n)} the running code printed, in the output section "
            "(the workbench's stdout): everything the code writes, sys.stderr included, since a board "
            "has one serial stream.",
            "More output may follow until the device sends CTRL-D to end the output section.",
        )
    return Reading(
        f"{size_words(n)} of stderr",
        f"{size_words(n)} of the error section (the workbench's stderr): the traceback of an exception "
        "the code did not catch, and nothing else.",
        "The device closes that section with CTRL-D, and then the run is over.",
    )


# - the first CTRL-D ends the output section, the second the error section: shown by
#   test_the_error_section_holds_only_the_uncaught_exceptions_report.
def _end_stdout(e: StdoutEnded, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (end of stdout)",
        "The first CTRL-D after the code ran ends the output section (the workbench's stdout): the "
        "code has finished printing.",
        "Next comes the error section (the report of an exception the code did not catch, nothing if "
        "there was none), closed by a second CTRL-D.",
    )


def _finished_phrase(e: ExecFinished) -> str:
    if e.exception is None:
        return "CTRL-D: end of stderr, run finished"
    return f"CTRL-D: end of stderr, run raised {e.exception.type_name}"


# - two CTRL-Ds and '>' after a run: shown by test_ctrl_d_after_plain_raw_code_gets_ok_then_the_run;
# - after sys.exit() no '>': the interpreter restarts: shown by
#   test_sys_exit_ends_the_run_with_a_soft_reboot_instead_of_the_prompt (pyexec.c,
#   parse_compile_execute returns PYEXEC_FORCED_EXIT; pyexec_raw_repl hands it to main.c).
def _finished(e: ExecFinished, data: bytes) -> Reading:
    if e.exception is None:
        return Reading(
            "CTRL-D (end of stderr: the run finished without error)",
            "The second CTRL-D closes the error section, which was empty: the run finished without an "
            "exception.",
            "The device then prints the raw prompt '>' and waits for the next code (after sys.exit() a "
            "board soft-reboots instead).",
        )
    exc = e.exception.type_name
    why = " (the interrupt the host sent)" if exc == "KeyboardInterrupt" else ""
    return Reading(
        f"CTRL-D (end of stderr: the run raised {exc}{why})",
        f"The second CTRL-D closes the error section: the run ended with {exc}{why}, whose report is "
        "the section's text.",
        "The device then prints the raw prompt '>' and waits for the next code.",
    )


# - the window, and the CTRL-A after it: shown by
#   test_a_raw_paste_request_is_answered_with_r_the_window_and_ctrl_a.
def _paste_accepted(e: RawPasteAccepted, data: bytes) -> Reading:
    window = e.window
    return Reading(
        f"'R' CTRL-A (raw-paste accepted, window {window} bytes)",
        f"'R' CTRL-A and a two-byte size: the device accepts raw-paste with a window of {window} bytes.",
        f"The host may now send up to {window} bytes of code, then must wait for a CTRL-A that "
        "grants another window (the first follows at once).",
    )


def _paste_refused_phrase(e: RawPasteRefused) -> str:
    if e.old_firmware:
        return "raw banner instead of 'R': firmware before raw-paste (< 1.14), use raw mode"
    return "R NUL: raw-paste understood but not supported, use raw mode"


# - old firmware: see _paste_request; 'R' NUL: shown by
#   test_a_raw_paste_command_other_than_a_gets_r_nul_and_the_prompt.
def _paste_refused(e: RawPasteRefused, data: bytes) -> Reading:
    if e.old_firmware:
        sentence = (
            "The device printed the raw REPL banner again instead of answering 'R': its firmware "
            "predates raw-paste (MicroPython older than 1.14)."
        )
    else:
        sentence = (
            "'R' NUL: the device knows the raw-paste request but refuses it (MicroPython answers so to a "
            "letter other than 'A')."
        )
    return Reading(
        "raw-paste refused",
        sentence,
        "The host falls back to plain raw mode: it sends the code and CTRL-D, then waits for 'OK'.",
    )


# - a CTRL-A each time a window was read: shown by
#   test_the_device_sends_ctrl_a_each_time_it_has_read_a_window.
def _credit(e: WindowCredit, data: bytes) -> Reading:
    return Reading(
        f"CTRL-A (window credit +{e.granted})",
        f"CTRL-A during raw-paste: the device has read another window of code, so that much of its "
        f"input buffer is free, and grants another {e.granted} bytes of window credit (the host may "
        f"now send {e.credit} bytes).",
        "The host sends the next chunk of code, never more than its credit.",
    )


# - sent on reading the host's CTRL-D, before compiling ends: shown by
#   test_the_device_acknowledges_the_end_of_paste_before_compiling;
# - an early end that crossed the host's CTRL-D is the same byte: source pyexec.c,
#   mp_reader_stdin_close (after an error it sends CTRL-D unless it had read the host's).
def _paste_read(e: PasteAcknowledged, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (the device read the whole paste)",
        "The device's CTRL-D answers the host's end of paste (its CTRL-D, or a CTRL-C, which ends a "
        "paste too): it sends it the moment it reads that byte, before compiling is done (an error "
        "that stopped its reading just before gives the same byte).",
        "The run's two sections follow: output, CTRL-D, error section, CTRL-D; a compile error (or the "
        "KeyboardInterrupt of a CTRL-C) is the error section after an empty output section. The host, "
        "its CTRL-D already sent, sends no other.",
    )


# - lexer/parser errors end a paste early; compile errors found after reading do not: shown
#   by test_a_syntax_error_met_while_reading_ends_the_paste_early and
#   test_a_compile_error_found_after_reading_does_not_end_a_paste_early;
# - one CTRL-D is owed, a second soft-resets: shown by
#   test_after_an_early_end_the_device_waits_for_the_hosts_ctrl_d_then_reports and
#   test_a_second_ctrl_d_after_a_paste_soft_resets_the_board.
def _paste_early(e: PasteEndedEarly, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (the device ended the paste early)",
        "The device sent CTRL-D before the host finished the paste: it stopped reading, because its "
        "lexer or parser met a syntax error in what it had read (or memory ran out). Errors the "
        "compiler finds after reading, such as 'return' outside a function, never end a paste early.",
        "The host must stop sending code and send its own CTRL-D, just one (another would soft-reset "
        "the board); the error then arrives as the error section.",
    )


# - see _soft_reset for the sources; the text tells MicroPython ('MPY:', 'PYB:') from
#   CircuitPython (bare 'soft reboot').
def _soft_reboot(e: SoftReboot, data: bytes) -> Reading:
    if e.text.startswith(("MPY:", "PYB:")):
        outlook = (
            "MicroPython runs boot.py again (what it prints comes first), then main.py only if it was in "
            "the friendly REPL (most ports also skip main.py when boot.py failed), then its prompt: "
            "the raw banner and '>' in the raw REPL, else the banner and '>>> '."
        )
    else:
        outlook = (
            "CircuitPython does not run boot.py again (it runs it only at power-up); then its prompt: "
            "the raw banner and '>' in the raw REPL."
        )
    return Reading(
        "soft reboot",
        f"{e.text!r}: the device reboots its Python interpreter; the heap, every variable and "
        "every imported module are gone.",
        outlook,
    )


# - a reset prints the boot banner and stops at '>>> ': source pyexec.c,
#   pyexec_friendly_repl (friendly_repl_reset); a board with native USB drops off the port
#   instead, which the host sees as a disconnect (no banner arrives).
def _board_reset(e: DeviceRebooted, data: bytes) -> Reading:
    return Reading(
        "a boot banner (the board reset)",
        "A boot banner arrived while code was running: the board itself reset (machine.reset(), "
        "a crash, a watchdog or a power dip).",
        "The run will never send its CTRL-D; the host treats it as lost and takes the board back "
        "with CTRL-C and CR CTRL-A.",
    )


#: Why bytes outside a frame come in the states where they are expected.
#: - entering: the CR's new prompt and CTRL-A's line end before the banner: shown by
#:   test_entering_the_raw_repl_prints_line_ends_and_a_prompt_before_the_banner;
#: - leaving: shown by test_ctrl_b_leaves_the_raw_repl_with_the_banner_and_the_friendly_prompt;
#: - soft reset: shown by test_ctrl_d_on_an_empty_raw_line_answers_ok_and_restarts_the_interpreter.
_STRAY_WHY = {
    "entering the raw REPL": "leftovers of the friendly REPL (line ends, its old prompt) printed before the raw banner",
    "leaving the raw REPL": "the friendly REPL's start-up text (the MicroPython banner) printed on leaving the raw REPL",
    "soft reset": "the rest of the device's answer to the soft reset (its 'OK' line) before the reboot message",
    "state unknown": "bytes from before the host synchronised with the board, so it cannot place them",
}
#: The state in which bytes outside a frame are the friendly REPL's own text.
_FRIENDLY_STATE = "friendly REPL"


def _unexpected_phrase(e: UnexpectedBytes) -> str:
    if e.state == _FRIENDLY_STATE:
        return f"{len(e.data)} B of friendly REPL text (echo, output, banner)"
    return f"{len(e.data)} B outside a frame (while {e.state})"


def _unexpected(e: UnexpectedBytes, data: bytes) -> Reading:
    n = len(e.data)
    if e.state == _FRIENDLY_STATE:
        return Reading(
            f"{size_words(n)} of friendly REPL text",
            f"{size_words(n)} of friendly REPL text{_in_record(data, n)}: the echo of what was typed, "
            "program output, or a banner.",
            "The friendly REPL is made for people; a host only watches it for the '>>> ' prompt.",
        )
    why = _STRAY_WHY.get(e.state, "echo, a banner, boot noise, or a sign the device is not where the host thinks")
    return Reading(
        f"{size_words(n)} outside a frame",
        f"{size_words(n)} outside any protocol frame (host state: {e.state}): {why}.",
        "The host skips them and keeps waiting for the next frame it expects.",
    )


def _fixed(text: str) -> Callable[[Any], str]:
    """The phrase of an event without fields."""
    return lambda _event: text


# --------------------------------------------------------------------------- the table
WORDING: dict[type, Wording] = {
    # What the host's bytes meant.
    Interrupt: Wording(_interrupt_phrase, _interrupt),
    EnterRaw: Wording(
        _fixed("CTRL-A: enter the raw REPL"),
        _enter_raw,
        note=lambda e: "CR CTRL-A: enter the raw REPL" if e.cr else "CTRL-A: enter the raw REPL",
    ),
    RawPasteRequest: Wording(_paste_request_phrase, _paste_request),
    CodeSent: Wording(_code_phrase, _code, payload=lambda e: not e.beyond),
    EndOfCode: Wording(_end_of_code_phrase, _end_of_code, note=_fixed("CTRL-D: end of code")),
    OwedEndOfPaste: Wording(_fixed("CTRL-D: end of paste (the device ended it early)"), _owed_end),
    SoftReset: Wording(_fixed("CTRL-D on an empty line: soft reset"), _soft_reset),
    LeaveRaw: Wording(_fixed("CTRL-B: leave the raw REPL"), _leave_raw),
    FriendlyPasteMode: Wording(_fixed("CTRL-E: friendly paste mode (lines are echoed with '=== ')"), _friendly_paste),
    FriendlyPasteEnd: Wording(_fixed("CTRL-D: end of paste mode, run the pasted lines"), _friendly_paste_end),
    Typed: Wording(_typed_phrase, _typed, payload=lambda e: e.key not in _LINE_KEYS),
    UnplacedWrite: Wording(lambda e: f"{e.size} B while {e.state}", _unplaced, payload=True),
    # What the device's bytes meant.
    FriendlyPrompt: Wording(_fixed("friendly prompt '>>> '"), _friendly_prompt),
    RawReady: Wording(_fixed("raw prompt '>': ready for code"), _raw_ready),
    ExecAccepted: Wording(_fixed("OK: code accepted, running"), _ok),
    Output: Wording(lambda e: f"{e.stream} {len(e.data)} B", _output, payload=True),
    StdoutEnded: Wording(_fixed("CTRL-D: end of stdout"), _end_stdout),
    ExecFinished: Wording(_finished_phrase, _finished),
    RawPasteAccepted: Wording(lambda e: f"R CTRL-A: raw-paste accepted, window {e.window} bytes", _paste_accepted),
    RawPasteRefused: Wording(_paste_refused_phrase, _paste_refused),
    WindowCredit: Wording(lambda e: f"CTRL-A: window credit +{e.granted} (now {e.credit})", _credit),
    PasteAcknowledged: Wording(_fixed("CTRL-D: device read the whole paste, compiling"), _paste_read),
    PasteEndedEarly: Wording(
        _fixed("CTRL-D: device ended the paste early (it stops reading; host must send CTRL-D)"), _paste_early
    ),
    SoftReboot: Wording(lambda e: f"soft reboot: {e.text!r}", _soft_reboot),
    DeviceRebooted: Wording(lambda e: f"boot banner during the run: the board reset ({e.text!r})", _board_reset),
    UnexpectedBytes: Wording(_unexpected_phrase, _unexpected, payload=True),
}
"""Every event type the protocol core reports, and its words (see the module docstring)."""


# --------------------------------------------------------------------------- using the table
def _row(event: ProtocolEvent) -> Wording:
    try:
        return WORDING[type(event)]
    except KeyError:
        raise KeyError(f"no wording for the event type {type(event).__name__}: add a row to WORDING") from None


def phrase(event: ProtocolEvent) -> str:
    """The event's terse meaning, as the trace's meaning column shows it."""
    return _row(event).phrase(event)


def reading(event: ProtocolEvent, data: bytes) -> Reading:
    """The event explained, ``data`` being the bytes of the record that carried it."""
    return _row(event).reading(event, data)


def is_payload(event: ProtocolEvent) -> bool:
    """True for payload (output, code within the credit, stray text), not a protocol step."""
    payload = _row(event).payload
    return payload(event) if callable(payload) else payload


def _sent_ahead(events: Iterable[ProtocolEvent]) -> bool:
    return any(isinstance(event, CodeSent | EndOfCode) and event.ahead for event in events)


def meaning_parts(events: Iterable[ProtocolEvent]) -> list[str]:
    """One phrase per event. A write sent ahead of the raw-paste answer says so once, after
    its last step (the lessons print the parts one under the other)."""
    events = tuple(events)
    parts = [phrase(event) for event in events]
    if parts and _sent_ahead(events):
        parts[-1] += _AHEAD
    return parts


def meaning_of(events: Iterable[ProtocolEvent]) -> str:
    """The meaning column of a record carrying ``events``: the steps of one write joined with
    ``", "`` (code, then its CTRL-D), the events of one read with ``"; "``."""
    events = tuple(events)
    separator = ", " if events and isinstance(events[0], HostEvent) else "; "
    return separator.join(meaning_parts(events))


def note_of(events: Iterable[ProtocolEvent]) -> str:
    """The workbench's own words for a write it made: its trace record's note."""
    parts = []
    for event in events:
        row = _row(event)
        parts.append((row.note or row.phrase)(event))
    return ", ".join(parts)
