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
_INTERRUPT_REASONS = {
    InterruptReason.STOP_WHATEVER_RUNS: "CR CTRL-C CTRL-C: stop whatever runs",
    InterruptReason.ASKED: "CTRL-C: interrupt",
    InterruptReason.RUNNING_CODE: "CTRL-C: interrupt running code",
    InterruptReason.STOP_UPLOAD: "CTRL-C: stop the upload (the device drops the code)",
    InterruptReason.SESSION_CLOSING: "CTRL-C: session closing",
    InterruptReason.EXEC_TIMEOUT: "CTRL-C: exec timeout, interrupt",
    InterruptReason.EXEC_TIMEOUT_UPLOAD: "CTRL-C: exec timeout, drop the upload",
}


def _interrupt_phrase(e: Interrupt) -> str:
    if e.reason is not None:
        return _INTERRUPT_REASONS[e.reason]
    times = {1: "", 2: " twice"}.get(e.ctrl_c, f" x{e.ctrl_c}")
    what = "interrupt running code" if e.running else "interrupt, clear the line"
    return f"CTRL-C{times}: {what}"


def _interrupt(e: Interrupt, data: bytes) -> Reading:
    if e.running:
        return Reading(
            "CTRL-C (interrupt the running code)",
            f"{what_bytes(data)} interrupts the running code: MicroPython raises KeyboardInterrupt in it.",
            "Unless the code catches it, the device closes stdout with CTRL-D, sends the "
            "KeyboardInterrupt traceback on stderr, then CTRL-D and the raw prompt '>'.",
        )
    line = "empties the half-typed input line (CR) and " if e.cr else ""
    twice = " (twice, because running code may catch the first KeyboardInterrupt)" if e.ctrl_c > 1 else ""
    return Reading(
        "CTRL-C (interrupt, clear the line)",
        f"{what_bytes(data)} {line}stops whatever may be running{twice}: the usual first step to get a "
        "board of unknown state under control.",
        "The device answers with a fresh prompt ('>>> ' at the friendly REPL, '>' in the raw "
        "REPL); if code was running, its traceback comes first.",
    )


def _enter_raw(e: EnterRaw, data: bytes) -> Reading:
    cr = " (the CR first ends any half-typed line)" if e.cr else ""
    return Reading(
        "CTRL-A (enter the raw REPL)",
        f"{what_bytes(data)} asks the board to switch from the friendly REPL to the raw REPL{cr}, the "
        "mode made for programs: no echo, no prompt per line.",
        "The device answers with the banner 'raw REPL; CTRL-B to exit' and the raw prompt '>', "
        "then waits for code.",
    )


def _paste_request_phrase(e: RawPasteRequest) -> str:
    if e.code_follows:
        return "CTRL-E A CTRL-A: raw-paste (code follows without waiting)"
    return "CTRL-E A CTRL-A: ask for raw-paste" + (" again" if e.attempt > 1 else "")


def _paste_request(e: RawPasteRequest, data: bytes) -> Reading:
    return Reading(
        "CTRL-E 'A' CTRL-A (ask for raw-paste)",
        f"{what_bytes(data)} at the raw prompt ask the device for raw-paste mode, where it compiles "
        "code as it arrives and paces the host with a flow-control window.",
        "A device that supports it answers 'R' CTRL-A and its window size; one that does not "
        "answers 'R' NUL, and firmware older than 1.14 prints the raw banner again.",
    )


def _leave_raw(e: LeaveRaw, data: bytes) -> Reading:
    return Reading(
        "CTRL-B (leave the raw REPL)",
        f"{what_bytes(data)} leaves the raw REPL and returns the board to the friendly REPL, the one "
        "made for people typing.",
        "The device prints its MicroPython banner (version, board) and the prompt '>>> '.",
    )


def _soft_reset(e: SoftReset, data: bytes) -> Reading:
    return Reading(
        "CTRL-D on an empty line (soft reset)",
        f"{what_bytes(data)} on an empty line (no code since the prompt) asks for a soft reset: the "
        "device will reboot its Python interpreter, clearing every variable and imported module.",
        "It prints 'MPY: soft reboot' and runs boot.py; main.py runs only after a soft reset in "
        "the friendly REPL. Then it shows its prompt again (the raw banner and '>' if it was in "
        "the raw REPL).",
    )


def _code_phrase(e: CodeSent) -> str:
    if e.mode == "raw":
        return f"code {e.size} B (raw mode)"
    if e.credit_left is None:
        return f"code {e.size} B (raw-paste)"
    over = f", {e.beyond} B BEYOND the credit (will be lost)" if e.beyond else ""
    return f"code {e.size} B (raw-paste, credit left {e.credit_left}{over})"


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
        outlook = "The device compiles as it reads and sends CTRL-A whenever it frees a window of its buffer."
    return Reading(f"{size_words(n)} of code (raw-paste)", sentence + ".", outlook)


def _end_of_code_phrase(e: EndOfCode) -> str:
    return "CTRL-D: execute" if e.mode == "raw" else "CTRL-D: end of paste"


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
        "The device finishes compiling and answers with its own CTRL-D, then runs the code: "
        "stdout, CTRL-D, stderr, CTRL-D.",
    )


def _owed_end(e: OwedEndOfPaste, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (the end of paste the host still owed)",
        "The device stopped reading the paste early (usually a syntax or memory error while "
        "compiling); this CTRL-D is the end of paste the host still owed it.",
        "The device now reports the error: an empty stdout, CTRL-D, the traceback on stderr, CTRL-D.",
    )


def _friendly_paste(e: FriendlyPasteMode, data: bytes) -> Reading:
    return Reading(
        "CTRL-E (friendly paste mode)",
        "CTRL-E at the friendly REPL starts its paste mode, meant for people pasting a block of "
        "lines: auto-indent is off and nothing runs line by line.",
        "The device prints 'paste mode; Ctrl-C to cancel, Ctrl-D to finish' and echoes every "
        "line with '=== ' until CTRL-D.",
    )


def _friendly_paste_end(e: FriendlyPasteEnd, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (end of friendly paste mode)",
        "CTRL-D ends the friendly REPL's paste mode.",
        "The device compiles and runs all the pasted lines at once, prints their output and "
        "then the prompt '>>> '.",
    )


def _typed(e: Typed, data: bytes) -> Reading:
    outlook = (
        "The device echoes it; the final CR (Enter) makes it run the line and print the result "
        "and a new '>>> '."
        if data.endswith(b"\r")
        else "The device echoes what it receives; nothing runs until a CR (Enter) or, in paste "
        "mode, CTRL-D."
    )
    return Reading(
        f"{size_words(e.size)} typed at the friendly REPL",
        f"{size_words(e.size)} ({_preview(data)}) typed at the friendly REPL, as a person would.",
        outlook,
    )


def _unplaced(e: UnplacedWrite, data: bytes) -> Reading:
    return Reading(
        f"{size_words(e.size)} sent while {e.state}",
        f"{what_bytes(data)} sent while the host believed the device was {e.state}: no protocol "
        "step expects bytes now.",
        "The device may take them as input or ignore them; watch its answer to see which.",
    )


# --------------------------------------------------------------------------- device replies
def _friendly_prompt(e: FriendlyPrompt, data: bytes) -> Reading:
    return Reading(
        "'>>> ' (the friendly prompt)",
        "'>>> ' is the friendly REPL's prompt: the board waits for a person to type a line.",
        "A host that wants to run a program sends CR CTRL-A to enter the raw REPL.",
    )


def _raw_ready(e: RawReady, data: bytes) -> Reading:
    banner = b"CTRL-B to exit" in data
    what = "The banner 'raw REPL; CTRL-B to exit' and the prompt '>'" if banner else "'>' is the raw REPL's prompt and"
    verb = "say" if banner else "says"
    return Reading(
        "'>' (the raw prompt: ready for code)",
        f"{what} {verb} the device is in the raw REPL, waiting for code.",
        "The host now sends code followed by CTRL-D, or CTRL-E 'A' CTRL-A to ask for raw-paste.",
    )


def _ok(e: ExecAccepted, data: bytes) -> Reading:
    return Reading(
        "'OK' (the code was accepted and is running)",
        "'OK' means the device received the whole program (ended by CTRL-D) and is now compiling "
        "and running the code.",
        "What the code prints comes next, then CTRL-D closes stdout.",
    )


def _output(e: Output, data: bytes) -> Reading:
    n = len(e.data)
    if e.stream == "stdout":
        return Reading(
            f"{size_words(n)} of stdout",
            f"{size_words(n)}{_in_record(data, n)} the running code printed on stdout.",
            "More output may follow until the device sends CTRL-D to close stdout.",
        )
    return Reading(
        f"{size_words(n)} of stderr",
        f"{size_words(n)} of error output (stderr): the traceback of an exception the code raised.",
        "The device closes stderr with CTRL-D, and then the run is over.",
    )


def _end_stdout(e: StdoutEnded, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (end of stdout)",
        "The first CTRL-D after the code ran closes stdout: the program has finished printing.",
        "Next comes stderr (a traceback if the code raised, nothing if it succeeded), closed by "
        "a second CTRL-D.",
    )


def _finished_phrase(e: ExecFinished) -> str:
    if e.exception is None:
        return "CTRL-D: end of stderr, run finished"
    return f"CTRL-D: end of stderr, run raised {e.exception.type_name}"


def _finished(e: ExecFinished, data: bytes) -> Reading:
    if e.exception is None:
        return Reading(
            "CTRL-D (end of stderr: the run finished without error)",
            "The second CTRL-D closes stderr, which was empty: the run finished without an exception.",
            "The device then prints the raw prompt '>' and waits for the next code.",
        )
    exc = e.exception.type_name
    why = " (the interrupt the host sent)" if exc == "KeyboardInterrupt" else ""
    return Reading(
        f"CTRL-D (end of stderr: the run raised {exc}{why})",
        f"The second CTRL-D closes stderr: the run ended with {exc}{why}, whose traceback is the "
        "stderr text.",
        "The device then prints the raw prompt '>' and waits for the next code.",
    )


def _paste_accepted(e: RawPasteAccepted, data: bytes) -> Reading:
    window = e.window
    return Reading(
        f"'R' CTRL-A (raw-paste accepted, window {window} bytes)",
        f"'R' CTRL-A and a two-byte size: the device accepts raw-paste with a window of {window} bytes.",
        f"The host may now send up to {window} bytes of code, then must wait for a CTRL-A that "
        "grants another window.",
    )


def _paste_refused_phrase(e: RawPasteRefused) -> str:
    if e.old_firmware:
        return "raw banner instead of 'R': firmware before raw-paste (< 1.14), use raw mode"
    return "R NUL: raw-paste understood but not supported, use raw mode"


def _paste_refused(e: RawPasteRefused, data: bytes) -> Reading:
    if e.old_firmware:
        sentence = (
            "The device printed the raw REPL banner again instead of answering 'R': its firmware "
            "predates raw-paste (MicroPython older than 1.14)."
        )
    else:
        sentence = "'R' NUL: the device understands the raw-paste request but does not support it."
    return Reading(
        "raw-paste refused",
        sentence,
        "The host falls back to plain raw mode: it sends the code and CTRL-D, then waits for 'OK'.",
    )


def _credit(e: WindowCredit, data: bytes) -> Reading:
    return Reading(
        f"CTRL-A (window credit +{e.granted})",
        f"CTRL-A during raw-paste: the device freed room in its input buffer and grants another "
        f"{e.granted} bytes of window credit (the host may now send {e.credit} bytes).",
        "The host sends the next chunk of code, never more than its credit.",
    )


def _paste_read(e: PasteAcknowledged, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (the device read the whole paste)",
        "The device's CTRL-D answers the host's end of paste: it has read and compiled all the code.",
        "Now it runs it: output on stdout, CTRL-D, errors on stderr, CTRL-D.",
    )


def _paste_early(e: PasteEndedEarly, data: bytes) -> Reading:
    return Reading(
        "CTRL-D (the device ended the paste early)",
        "The device sent CTRL-D before the host finished the paste: it stopped reading, usually "
        "because compiling failed.",
        "The host must stop sending code and send its own CTRL-D; the error then arrives on stderr.",
    )


def _soft_reboot(e: SoftReboot, data: bytes) -> Reading:
    return Reading(
        "soft reboot",
        f"{e.text!r}: the device reboots its Python interpreter; the heap, every variable and "
        "every imported module are gone.",
        "It runs boot.py, then prints its prompt again: in the raw REPL the banner and '>' (main.py "
        "is skipped there); in the friendly REPL main.py runs first.",
    )


def _board_reset(e: DeviceRebooted, data: bytes) -> Reading:
    return Reading(
        "a boot banner (the board reset)",
        "A boot banner arrived while code was running: the board itself reset (machine.reset(), "
        "a crash, a watchdog or a power dip).",
        "The run will never send its CTRL-D; the host treats it as lost and takes the board back "
        "with CTRL-C and CR CTRL-A.",
    )


#: Why bytes outside a frame come in the states where they are expected.
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
    Typed: Wording(lambda e: f"{e.size} B typed at the friendly REPL", _typed, payload=True),
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
