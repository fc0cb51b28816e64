"""Plain-language explanations of trace records, for people learning the protocol.

The protocol core already annotates every record with a terse ``meaning`` ("CTRL-D: end of
stdout"). That is exact but assumes the reader knows the raw REPL. :func:`explain` turns a
record into one or two sentences: what these bytes are and what the device will do next, so
the trace view can teach the protocol as it is being watched.

The meaning string is the contract with the core: several events seen in one read are joined
with ``"; "`` and a host write that carries code and its CTRL-D is joined with ``", "``. Each
part is matched against the phrasings of :mod:`workbench.protocol.events` and of
``RawReplConnection.observe_sent`` (and a few close variants, so a rewording there degrades to
a generic sentence rather than an error). Nothing here imports Textual: the CLI can use it too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from workbench.protocol.constants import control_name
from workbench.trace.record import TraceRecord

__all__ = ["explain", "is_event", "meaning_is_event", "meaning_parts", "spell_bytes"]

#: Spell a record byte by byte only when it is this short; longer ones are described by size.
_SPELL_MAX_BYTES = 12
_SPELL_MAX_TOKENS = 6
_PREVIEW_CHARS = 32


@dataclass(frozen=True, slots=True)
class _Reading:
    """One part of a meaning, explained three ways.

    ``clause`` is a short phrase used when a record carries several steps; ``sentence`` says
    what the bytes are; ``next`` says what happens next (kept separate so a multi-step record
    can end with the outlook of its last step only).
    """

    clause: str
    sentence: str
    next: str = ""


_Rule = Callable[[re.Match[str], TraceRecord], _Reading]


# --------------------------------------------------------------------------- helpers
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


def _size(n: int) -> str:
    return f"{n} byte" if n == 1 else f"{n} bytes"


def _what(record: TraceRecord) -> str:
    """The record's bytes for the start of a sentence: spelled when short, else sized."""
    return spell_bytes(record.data) or _size(len(record.data))


def _sender(record: TraceRecord) -> str:
    return "The host sent" if record.dir == "tx" else "The device sent"


_SEPARATORS = re.compile(r"; |, (?=CTRL-)")


def meaning_parts(meaning: str) -> list[str]:
    """Split a meaning into its steps, respecting quoted text.

    Steps are joined with ``"; "`` (events of one read) or ``", CTRL-"`` (code then its
    end-of-input in one write). Quoted device text such as ``'raw REPL; CTRL-B to exit'`` or a
    board banner may itself contain ``"; "``, so separators inside quotes are ignored.
    """
    if "'" not in meaning and '"' not in meaning:
        return [part.strip() for part in _SEPARATORS.split(meaning) if part.strip()]
    parts: list[str] = []
    start = 0
    quote = ""
    i = 0
    n = len(meaning)
    while i < n:
        ch = meaning[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            after = meaning[i + 1 : i + 2]
            if ch == quote and not (after.isalnum() or after == "_"):  # not an apostrophe in a word
                quote = ""
        elif ch in "'\"" and (i == 0 or meaning[i - 1] in " ("):
            quote = ch
        elif meaning.startswith("; ", i) or meaning.startswith(", CTRL-", i):
            parts.append(meaning[start:i])
            start = i + 2
            i += 2
            continue
        i += 1
    parts.append(meaning[start:])
    return [part.strip() for part in parts if part.strip()]


# --------------------------------------------------------------------------- host writes
def _interrupt(m: re.Match[str], rec: TraceRecord) -> _Reading:
    what = m["what"]
    cr = rec.data.startswith(b"\r")
    count = rec.data.count(0x03)
    if "running" in what and "whatever" not in what:
        return _Reading(
            "CTRL-C (interrupt the running code)",
            f"{_what(rec)} interrupts the running code: MicroPython raises KeyboardInterrupt in it.",
            "Unless the code catches it, the device closes stdout with CTRL-D, sends the "
            "KeyboardInterrupt traceback on stderr, then CTRL-D and the raw prompt '>'.",
        )
    line = "empties the half-typed input line (CR) and " if cr else ""
    twice = " (twice, because running code may catch the first KeyboardInterrupt)" if count > 1 else ""
    return _Reading(
        "CTRL-C (interrupt, clear the line)",
        f"{_what(rec)} {line}stops whatever may be running{twice}: the usual first step to get a "
        "board of unknown state under control.",
        "The device answers with a fresh prompt ('>>> ' at the friendly REPL, '>' in the raw "
        "REPL); if code was running, its traceback comes first.",
    )


def _enter_raw(m: re.Match[str], rec: TraceRecord) -> _Reading:
    cr = " (the CR first ends any half-typed line)" if rec.data.startswith(b"\r") else ""
    return _Reading(
        "CTRL-A (enter the raw REPL)",
        f"{_what(rec)} asks the board to switch from the friendly REPL to the raw REPL{cr}, the "
        "mode made for programs: no echo, no prompt per line.",
        "The device answers with the banner 'raw REPL; CTRL-B to exit' and the raw prompt '>', "
        "then waits for code.",
    )


def _paste_request(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-E 'A' CTRL-A (ask for raw-paste)",
        f"{_what(rec)} at the raw prompt ask the device for raw-paste mode, where it compiles "
        "code as it arrives and paces the host with a flow-control window.",
        "A device that supports it answers 'R' CTRL-A and its window size; one that does not "
        "answers 'R' NUL, and firmware older than 1.14 prints the raw banner again.",
    )


def _leave_raw(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-B (leave the raw REPL)",
        f"{_what(rec)} leaves the raw REPL and returns the board to the friendly REPL, the one "
        "made for people typing.",
        "The device prints its MicroPython banner (version, board) and the prompt '>>> '.",
    )


def _soft_reset(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-D on an empty line (soft reset)",
        f"{_what(rec)} on an empty line (no code since the prompt) asks for a soft reset: the "
        "device will reboot its Python interpreter, clearing every variable and imported module.",
        "It prints 'MPY: soft reboot' and runs boot.py; main.py runs only after a soft reset in "
        "the friendly REPL. Then it shows its prompt again (the raw banner and '>' if it was in "
        "the raw REPL).",
    )


def _code_raw(m: re.Match[str], rec: TraceRecord) -> _Reading:
    n = int(m["n"])
    preview = f" ({_preview(rec.data[:n])})"
    return _Reading(
        f"{_size(n)} of code",
        f"{_size(n)} of program text{preview} in plain raw mode: the device stores them in its "
        "input buffer and answers nothing yet.",
        "Nothing runs until the host sends CTRL-D; then the device answers 'OK' and runs the code.",
    )


def _execute(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-D (end of code: run it)",
        "CTRL-D ends the code sent in raw mode.",
        "The device answers 'OK', then compiles and runs the code; what it prints follows, "
        "closed by CTRL-D.",
    )


def _code_paste(m: re.Match[str], rec: TraceRecord) -> _Reading:
    n = int(m["n"])
    left = m["left"]
    sentence = f"{_size(n)} of program text in raw-paste mode, within the window of credit the device granted"
    if m["beyond"]:
        sentence += (
            f", but {m['beyond']} bytes go BEYOND that credit: the device's buffer can overflow "
            "and lose them (a host bug)"
        )
    elif left is not None:
        sentence += f" ({left} bytes of credit remain)" if left != "0" else " (the credit is now used up)"
    if m["ahead"]:
        sentence += "; sent right behind the raw-paste request, before the device answered, using a window size the host remembered"
    if left == "0":
        outlook = "The host must wait for the device's next CTRL-A, which grants another window, before sending more."
    else:
        outlook = "The device compiles as it reads and sends CTRL-A whenever it frees a window of its buffer."
    return _Reading(f"{_size(n)} of code (raw-paste)", sentence + ".", outlook)


def _end_paste(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-D (end of the paste)",
        "CTRL-D after the last code byte tells the device the raw-paste is complete.",
        "The device finishes compiling and answers with its own CTRL-D, then runs the code: "
        "stdout, CTRL-D, stderr, CTRL-D.",
    )


def _end_paste_owed(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-D (the end of paste the host still owed)",
        "The device stopped reading the paste early (usually a syntax or memory error while "
        "compiling); this CTRL-D is the end of paste the host still owed it.",
        "The device now reports the error: an empty stdout, CTRL-D, the traceback on stderr, CTRL-D.",
    )


def _friendly_paste(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-E (friendly paste mode)",
        "CTRL-E at the friendly REPL starts its paste mode, meant for people pasting a block of "
        "lines: auto-indent is off and nothing runs line by line.",
        "The device prints 'paste mode; Ctrl-C to cancel, Ctrl-D to finish' and echoes every "
        "line with '=== ' until CTRL-D.",
    )


def _friendly_paste_end(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-D (end of friendly paste mode)",
        "CTRL-D ends the friendly REPL's paste mode.",
        "The device compiles and runs all the pasted lines at once, prints their output and "
        "then the prompt '>>> '.",
    )


def _typed(m: re.Match[str], rec: TraceRecord) -> _Reading:
    n = int(m["n"])
    enter = rec.data.endswith(b"\r")
    outlook = (
        "The device echoes it; the final CR (Enter) makes it run the line and print the result "
        "and a new '>>> '."
        if enter
        else "The device echoes what it receives; nothing runs until a CR (Enter) or, in paste "
        "mode, CTRL-D."
    )
    return _Reading(
        f"{_size(n)} typed at the friendly REPL",
        f"{_size(n)} ({_preview(rec.data)}) typed at the friendly REPL, as a person would.",
        outlook,
    )


def _host_unplaced(m: re.Match[str], rec: TraceRecord) -> _Reading:
    n = int(m["n"])
    return _Reading(
        f"{_size(n)} sent while {m['state']}",
        f"{_what(rec)} sent while the host believed the device was {m['state']}: no protocol "
        "step expects bytes now.",
        "The device may take them as input or ignore them; watch its answer to see which.",
    )


# --------------------------------------------------------------------------- device replies
def _friendly_prompt(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "'>>> ' (the friendly prompt)",
        "'>>> ' is the friendly REPL's prompt: the board waits for a person to type a line.",
        "A host that wants to run a program sends CR CTRL-A to enter the raw REPL.",
    )


def _raw_ready(m: re.Match[str], rec: TraceRecord) -> _Reading:
    banner = b"CTRL-B to exit" in rec.data
    what = "The banner 'raw REPL; CTRL-B to exit' and the prompt '>'" if banner else "'>' is the raw REPL's prompt and"
    verb = "say" if banner else "says"
    return _Reading(
        "'>' (the raw prompt: ready for code)",
        f"{what} {verb} the device is in the raw REPL, waiting for code.",
        "The host now sends code followed by CTRL-D, or CTRL-E 'A' CTRL-A to ask for raw-paste.",
    )


def _ok(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "'OK' (the code was accepted and is running)",
        "'OK' means the device received the whole program (ended by CTRL-D) and is now compiling "
        "and running the code.",
        "What the code prints comes next, then CTRL-D closes stdout.",
    )


def _output(m: re.Match[str], rec: TraceRecord) -> _Reading:
    n = int(m["n"])
    if m["stream"] == "stdout":
        return _Reading(
            f"{_size(n)} of stdout",
            f"{_size(n)}{_in_record(rec, n)} the running code printed on stdout.",
            "More output may follow until the device sends CTRL-D to close stdout.",
        )
    return _Reading(
        f"{_size(n)} of stderr",
        f"{_size(n)} of error output (stderr): the traceback of an exception the code raised.",
        "The device closes stderr with CTRL-D, and then the run is over.",
    )


def _in_record(rec: TraceRecord, n: int) -> str:
    """Quote the output when the record is nothing but that output."""
    return f" ({_preview(rec.data)})" if len(rec.data) == n else ""


def _end_stdout(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-D (end of stdout)",
        "The first CTRL-D after the code ran closes stdout: the program has finished printing.",
        "Next comes stderr (a traceback if the code raised, nothing if it succeeded), closed by "
        "a second CTRL-D.",
    )


def _finished(m: re.Match[str], rec: TraceRecord) -> _Reading:
    exc = m["exc"]
    if exc is None:
        return _Reading(
            "CTRL-D (end of stderr: the run finished without error)",
            "The second CTRL-D closes stderr, which was empty: the run finished without an exception.",
            "The device then prints the raw prompt '>' and waits for the next code.",
        )
    why = " (the interrupt the host sent)" if exc == "KeyboardInterrupt" else ""
    return _Reading(
        f"CTRL-D (end of stderr: the run raised {exc}{why})",
        f"The second CTRL-D closes stderr: the run ended with {exc}{why}, whose traceback is the "
        "stderr text.",
        "The device then prints the raw prompt '>' and waits for the next code.",
    )


def _paste_accepted(m: re.Match[str], rec: TraceRecord) -> _Reading:
    window = m["window"]
    return _Reading(
        f"'R' CTRL-A (raw-paste accepted, window {window} bytes)",
        f"'R' CTRL-A and a two-byte size: the device accepts raw-paste with a window of {window} bytes.",
        f"The host may now send up to {window} bytes of code, then must wait for a CTRL-A that "
        "grants another window.",
    )


def _paste_refused(m: re.Match[str], rec: TraceRecord) -> _Reading:
    if m["old"]:
        sentence = (
            "The device printed the raw REPL banner again instead of answering 'R': its firmware "
            "predates raw-paste (MicroPython older than 1.14)."
        )
    else:
        sentence = "'R' NUL: the device understands the raw-paste request but does not support it."
    return _Reading(
        "raw-paste refused",
        sentence,
        "The host falls back to plain raw mode: it sends the code and CTRL-D, then waits for 'OK'.",
    )


def _credit(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        f"CTRL-A (window credit +{m['granted']})",
        f"CTRL-A during raw-paste: the device freed room in its input buffer and grants another "
        f"{m['granted']} bytes of window credit (the host may now send {m['now']} bytes).",
        "The host sends the next chunk of code, never more than its credit.",
    )


def _paste_read(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-D (the device read the whole paste)",
        "The device's CTRL-D answers the host's end of paste: it has read and compiled all the code.",
        "Now it runs it: output on stdout, CTRL-D, errors on stderr, CTRL-D.",
    )


def _paste_early(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "CTRL-D (the device ended the paste early)",
        "The device sent CTRL-D before the host finished the paste: it stopped reading, usually "
        "because compiling failed.",
        "The host must stop sending code and send its own CTRL-D; the error then arrives on stderr.",
    )


def _soft_reboot(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "soft reboot",
        f"{m['text']}: the device reboots its Python interpreter; the heap, every variable and "
        "every imported module are gone.",
        "It runs boot.py, then prints its prompt again: in the raw REPL the banner and '>' (main.py "
        "is skipped there); in the friendly REPL main.py runs first.",
    )


def _board_reset(m: re.Match[str], rec: TraceRecord) -> _Reading:
    return _Reading(
        "a boot banner (the board reset)",
        "A boot banner arrived while code was running: the board itself reset (machine.reset(), "
        "a crash, a watchdog or a power dip).",
        "The run will never send its CTRL-D; the host treats it as lost and takes the board back "
        "with CTRL-C and CR CTRL-A.",
    )


_STRAY_WHY = {
    "entering the raw REPL": "leftovers of the friendly REPL (line ends, its old prompt) printed before the raw banner",
    "leaving the raw REPL": "the friendly REPL's start-up text (the MicroPython banner) printed on leaving the raw REPL",
    "soft reset": "the rest of the device's answer to the soft reset (its 'OK' line) before the reboot message",
    "state unknown": "bytes from before the host synchronised with the board, so it cannot place them",
}


def _stray(m: re.Match[str], rec: TraceRecord) -> _Reading:
    n = int(m["n"])
    state = m["state"]
    why = _STRAY_WHY.get(state, "echo, a banner, boot noise, or a sign the device is not where the host thinks")
    return _Reading(
        f"{_size(n)} outside a frame",
        f"{_size(n)} outside any protocol frame (host state: {state}): {why}.",
        "The host skips them and keeps waiting for the next frame it expects.",
    )


def _friendly_text(m: re.Match[str], rec: TraceRecord) -> _Reading:
    n = int(m["n"])
    return _Reading(
        f"{_size(n)} of friendly REPL text",
        f"{_size(n)} of friendly REPL text{_in_record(rec, n)}: the echo of what was typed, program "
        "output, or a banner.",
        "The friendly REPL is made for people; a host only watches it for the '>>> ' prompt.",
    )


_RULES: list[tuple[re.Pattern[str], _Rule]] = [
    (re.compile(r"(?:CR )?CTRL-C(?: CTRL-C)*(?: twice| x\d+)?: (?P<what>.*)"), _interrupt),
    (re.compile(r"(?:CR )?CTRL-A: enter the raw REPL"), _enter_raw),
    (re.compile(r"CTRL-E A CTRL-A: ask for raw-paste.*"), _paste_request),
    (re.compile(r"CTRL-B: leave the raw REPL"), _leave_raw),
    (re.compile(r"CTRL-D on an empty line: soft reset"), _soft_reset),
    (re.compile(r"code (?P<n>\d+) B \(raw mode\)"), _code_raw),
    (re.compile(r"CTRL-D: execute"), _execute),
    (
        re.compile(
            r"code (?P<n>\d+) B \(raw-paste(?:, credit left (?P<left>\d+))?"
            r"(?:, (?P<beyond>\d+) B BEYOND the credit[^)]*\))?\)(?P<ahead> \(sent ahead of the answer\))?"
        ),
        _code_paste,
    ),
    (re.compile(r"CTRL-D: end of paste \(the device ended it early\)"), _end_paste_owed),
    (re.compile(r"CTRL-D: end of (?:paste|code)"), _end_paste),
    (re.compile(r"CTRL-E: friendly paste mode.*"), _friendly_paste),
    (re.compile(r"CTRL-D: end of paste mode.*"), _friendly_paste_end),
    (re.compile(r"(?P<n>\d+) B typed at the friendly REPL"), _typed),
    (re.compile(r"(?P<n>\d+) B while (?P<state>.+)"), _host_unplaced),
    (re.compile(r"friendly prompt.*"), _friendly_prompt),
    (re.compile(r"raw prompt '>'.*"), _raw_ready),
    (re.compile(r"OK: code accepted.*"), _ok),
    (re.compile(r"(?P<stream>stdout|stderr) (?P<n>\d+) B"), _output),
    (re.compile(r"CTRL-D: end of stdout"), _end_stdout),
    (re.compile(r"CTRL-D: end of stderr, run (?:finished|raised (?P<exc>\S+))"), _finished),
    (re.compile(r"R CTRL-A: raw-paste accepted, window (?P<window>\d+) bytes"), _paste_accepted),
    (re.compile(r"(?P<old>raw banner instead of 'R').*|R NUL: .*"), _paste_refused),
    (re.compile(r"CTRL-A: window credit \+(?P<granted>\d+) \(now (?P<now>\d+)\)"), _credit),
    (re.compile(r"CTRL-D: device read the whole paste.*"), _paste_read),
    (re.compile(r"CTRL-D: device ended the paste early.*"), _paste_early),
    (re.compile(r"soft reboot: (?P<text>.+)"), _soft_reboot),
    (re.compile(r"boot banner during the run.*"), _board_reset),
    (re.compile(r"(?P<n>\d+) B outside a frame \(while (?P<state>.+)\)"), _stray),
    (re.compile(r"(?P<n>\d+) B of friendly REPL text.*"), _friendly_text),
]

#: Parts that are payload or stray text rather than a protocol step (see :func:`is_event`).
_PAYLOAD = re.compile(
    r"(?:stdout|stderr) \d+ B"
    r"|code \d+ B \(raw(?: mode|-paste(?:, credit left \d+)?)\)(?: \(sent ahead of the answer\))?"
    r"|\d+ B outside a frame.*"
    r"|\d+ B of friendly REPL text.*"
    r"|\d+ B typed at the friendly REPL"
    r"|\d+ B while .*"
)


def _read(part: str, record: TraceRecord) -> _Reading | None:
    for pattern, rule in _RULES:
        match = pattern.fullmatch(part)
        if match:
            return rule(match, record)
    return None


def _generic(record: TraceRecord) -> str:
    """Direction, size and control bytes, for records no rule knows."""
    controls = sorted({b for b in record.data if b < 0x20 or b == 0x7F})
    named = ", ".join(control_name(b) for b in controls)
    spelled = spell_bytes(record.data)
    body = spelled if spelled else _size(len(record.data))
    sentence = f"{_sender(record)} {body}"
    if named and not spelled:
        sentence += f", including the control bytes {named}"
    sentence += "."
    if record.meaning:
        sentence += f" The protocol reads it as: {record.meaning}."
    elif record.note:
        sentence += f" The host's purpose: {record.note}."
    return sentence


def explain(record: TraceRecord) -> str:
    """One or two sentences a learner understands: what the bytes are, what comes next.

    Built from the record's ``meaning`` (the protocol's reading), its bytes (control bytes by
    name) and, for host writes without a meaning, its ``note``.
    """
    if record.dir == "note":  # the workbench's own marker says it all
        return record.meaning
    parts = meaning_parts(record.meaning)
    if not parts:
        if record.dir == "rx" and record.data:
            return (
                f"{_sender(record)} {_what(record)}, the start of a message it has not finished: "
                "the protocol waits for the following bytes before deciding what it means."
            )
        return _generic(record)
    readings = [_read(part, record) for part in parts]
    known = [r for r in readings if r is not None]
    if not known:
        return _generic(record)
    if len(readings) == 1:
        only = known[0]
        return f"{only.sentence} {only.next}".strip()
    clauses = [
        r.clause if r is not None else part for r, part in zip(readings, parts, strict=True)
    ]
    head = f"{_sender(record)} {_what(record)} carrying {len(parts)} steps: {'; '.join(clauses)}."
    return f"{head} {known[-1].next}".strip()


def is_event(record: TraceRecord) -> bool:
    """True when the record's meaning names a protocol step, not just payload.

    The rule, decided from the meaning string alone: split it into parts
    (:func:`meaning_parts`); a part is *payload* when it is a stdout/stderr chunk
    (``stdout 2 B``), a chunk of code within the credit (``code 16 B (raw-paste, ...)``),
    bytes outside a frame, friendly REPL text, a line typed at the friendly REPL, or host
    bytes the core could not place (``N B while ...``). A record is an event when at least one
    part is not payload; an empty meaning (a frame still incomplete) is not an event. Code
    sent BEYOND the credit is an event: it is a protocol error worth seeing.
    """
    return meaning_is_event(record.meaning)


@lru_cache(maxsize=4096)
def meaning_is_event(meaning: str) -> bool:
    """:func:`is_event` on the meaning alone, cached: meanings repeat ("stdout 1 B") and the
    trace view re-filters up to 100 000 records when the filter is switched on.
    """
    return any(not _PAYLOAD.fullmatch(part) for part in meaning_parts(meaning))
