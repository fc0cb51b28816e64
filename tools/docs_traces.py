"""Generate the protocol traces in the documentation, so that they cannot drift from the code.

A trace copied into a document by hand goes stale the day the engine or a simulated board
changes, and nobody notices. Here every trace is the output of a scenario: a real session
(:func:`workbench.engine.session.connect`) on a simulated board or on the MicroPython unix
port, recorded with :class:`~workbench.trace.TraceRecorder`, annotated with
:func:`~workbench.trace.annotate` and rendered with :func:`~workbench.trace.render_text`.
The result goes to ``docs/traces/NAME.txt`` and into the fenced block that follows each
``<!-- trace: NAME -->`` marker in ``docs/*.md``. ``tests/unit/test_docs.py`` regenerates the
traces and fails when a file differs, so a change in behaviour shows up as a failing test
and a diff to read, not as a silently wrong document.

    python -m tools.docs_traces              rewrite the trace files and the blocks
    python -m tools.docs_traces --check      exit 1 and list what is stale
    python -m tools.docs_traces NAME ...     only these scenarios

What varies from run to run is normalised, on purpose and only this:

* timestamps are left out (the time column is cut from the renderer's lines);
* how the operating system happened to split the device's bytes into reads: the device
  bytes between two host writes are joined and cut again after each protocol event (one
  record per step); the bytes themselves are untouched;
* the time a timeout message says was waited ("timeout after 0.51 s") becomes "T s";
* random faults (``noise``) use a fixed ``seed``.

The unix port's banner carries its version and build date. They are fixed for the installed
``micropython`` package (the ``micropython`` extra) and kept: another build changes that
line, and the test says so. Scenarios that need the interpreter are skipped, with a message,
where it is not installed.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from workbench.discovery.devices import local_interpreter
from workbench.engine.profile import DEFAULT_PROFILE, Profile
from workbench.engine.session import Session, connect
from workbench.errors import WorkbenchError
from workbench.profiles import PRESETS
from workbench.protocol import TrafficObserver
from workbench.protocol.events import Output, UnexpectedBytes
from workbench.trace import TraceRecord, TraceRecorder, annotate, render_hex, render_text
from workbench.transports import open_port
from workbench.transports.port_io import PortIO

DOCS = Path(__file__).resolve().parent.parent / "docs"
MARKER = re.compile(r"^<!-- trace: ([a-z0-9-]+) -->$")
#: The device is taken to have finished talking after this long without a new record.
QUIET_S = 0.3
_TIME_PREFIX = f"{0.0:10.6f} "
_WAITED = re.compile(r"timeout after \d+\.\d+ s")

Steps = Callable[[Session], None]


@dataclass(frozen=True)
class Scenario:
    """One trace: the device, the profile, and what is done.

    ``setup`` runs first and is left out of the trace (so a trace about running code does
    not repeat how the raw REPL was entered); ``shown`` is what the trace shows. ``typed``
    replaces both for the friendly REPL, which the session API does not type into.
    """

    name: str
    url: str
    title: str
    shown: Steps | None = None
    setup: Steps | None = None
    profile: Profile = DEFAULT_PROFILE
    profile_note: str = "generic"
    typed: tuple[bytes, ...] = ()
    hex: bool = False
    outcome: bool = False
    """End with the error workbench reported: in a troubleshooting trace the message is the
    point. Elsewhere an error shows as a changed trace, which the test catches anyway."""

    @property
    def needs_micropython(self) -> bool:
        """Scenarios on the real unix port run only where the ``micropython`` command is."""
        return self.url.startswith("spawn://")


# --------------------------------------------------------------------------- steps
def _enter(session: Session) -> None:
    session.enter_raw()


def _run(code: str) -> Steps:
    def step(session: Session) -> None:
        session.exec(code)

    return step


def _steps(*steps: Steps) -> Steps:
    def step(session: Session) -> None:
        for each in steps:
            each(session)

    return step


def _soft_reset(session: Session) -> None:
    session.soft_reset()


def _leave(session: Session) -> None:
    session.leave_raw()


_LOOP = "print('running')\nwhile True:\n    pass"
#: Catches the first KeyboardInterrupt and loops on: the engine's next CTRL-C stops it.
_CATCHES_ONCE = (
    "print('running')\ntry:\n    while True:\n        pass\nexcept KeyboardInterrupt:\n"
    "    print('caught it')\nwhile True:\n    pass"
)


def _run_then_interrupt(session: Session, code: str = _LOOP) -> None:
    """CTRL-C from another thread once the code says it runs, as the app's Stop (F6) does it.

    The code prints a line first, so the interrupt is sent when that line arrives: the trace
    is the same every time, with no guess at how long the board takes to start.
    """
    errors: list[BaseException] = []
    running = threading.Event()

    def on_output(_stream: str, text: str) -> None:
        if "running" in text:
            running.set()

    def run() -> None:
        try:
            session.exec(code, on_output=on_output)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    if not running.wait(10):
        errors.append(RuntimeError("the loop never started"))
    session.interrupt()
    worker.join(10)
    if errors:
        raise errors[0]


_FLOW_CODE = "squares = [n * n for n in range(10)]\ntotal = sum(squares)\nprint('sum of squares:', total)\n"
_LONG_CODE = "".join(f"value_{i:02d} = {i} * {i}\n" for i in range(20)) + "print(value_19)\n"
_EARLY_END_CODE = "x = 1\nprint(x +)\n" + "".join(f"# comment line {i:02d} to make the code long\n" for i in range(8))
_QUICK = Profile(response_timeout_s=0.5, retries=1)
_RAW_ONLY = Profile(raw_paste="never")

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "friendly-repl", "sim://generic?boot_ms=0",
        "the friendly REPL: banner, prompt, echo, results and output",
        typed=(b"1 + 1\r", b"name = 'pico'\r", b"print('hello', name)\r"),
        hex=True,
    ),
    Scenario(
        "friendly-paste", "sim://generic?boot_ms=0",
        "the friendly REPL's own paste mode (CTRL-E ... CTRL-D), not raw-paste",
        typed=(b"\x05", b"a = 6\r", b"print(a * 7)\r", b"\x04"),
        hex=True,
    ),
    Scenario(
        "friendly-keys", "spawn://micropython",
        "CTRL-C cancels a half-typed line, a CR runs it, CTRL-A on a half-typed line moves the cursor",
        typed=(b"print('R' + 'AN')", b"\x03", b"print('R' + 'AN')", b"\r", b"abc", b"\x01", b"\x03", b"\x01"),
        hex=True,
    ),
    Scenario(
        "raw-enter", "sim://generic?boot_ms=0",
        "entering the raw REPL (CTRL-C, CR CTRL-A) and leaving it (CTRL-B)",
        _steps(_enter, _leave),
    ),
    Scenario(
        "raw-exec", "sim://generic?boot_ms=0",
        "plain raw mode: code and CTRL-D, OK, stdout, CTRL-D, stderr (empty), CTRL-D, '>'",
        _run("print('hello')"), _enter, _RAW_ONLY, "generic with raw_paste = never",
    ),
    Scenario(
        "raw-exec-error", "sim://generic?boot_ms=0",
        "plain raw mode, code that raises: the traceback is the stderr section",
        _run("print('before')\nprint(1 / 0)"), _enter, _RAW_ONLY, "generic with raw_paste = never", hex=True,
    ),
    Scenario(
        "raw-paste", "sim://generic?boot_ms=0",
        "raw-paste: request, 'R' CTRL-A and the window, code, CTRL-D, the device's CTRL-D",
        _run("print('hello')"), _enter,
    ),
    Scenario(
        "raw-paste-again", "sim://generic?boot_ms=0",
        "the next run on the same connection: code goes right behind the request",
        _run("print('again')"), _steps(_enter, _run("pass")),
    ),
    Scenario(
        "flow-control", "sim://generic?boot_ms=0&window=32",
        "raw-paste flow control with a 32-byte window: the host waits for CTRL-A credit",
        _run(_FLOW_CODE), _enter,
    ),
    Scenario(
        "interrupt", "sim://generic?boot_ms=0",
        "CTRL-C while code runs: KeyboardInterrupt on stderr, then the prompt",
        _run_then_interrupt, _enter,
    ),
    Scenario(
        "interrupt-caught", "spawn://micropython",
        "code that catches the first KeyboardInterrupt: the next CTRL-C, in its own write, stops it",
        lambda session: _run_then_interrupt(session, _CATCHES_ONCE), _enter,
    ),
    Scenario(
        "soft-reset", "sim://generic?boot_ms=0",
        "soft reset: CTRL-D at the raw prompt; the board stays in the raw REPL",
        _soft_reset, _enter,
    ),
    Scenario(
        "circuitpython", "sim://circuitpython?boot_ms=0",
        "CircuitPython: its own banner, raw-paste, and 'soft reboot' without 'MPY:'",
        _steps(_enter, _run("print('hello')"), _soft_reset),
    ),
    Scenario(
        "legacy", "sim://legacy?boot_ms=0",
        "firmware before 1.14: the raw-paste request is answered with the raw banner",
        _run("print('hello')"), _enter,
    ),
    Scenario(
        "micropython", "spawn://micropython",
        "the real MicroPython unix port: banner, raw REPL, raw-paste, soft reset",
        _steps(_enter, _run("print('hello')"), _soft_reset),
    ),
    Scenario(
        "early-end", "spawn://micropython",
        "a syntax error in a long paste: the device ends the paste early with CTRL-D",
        _run(_EARLY_END_CODE), _enter,
    ),
    Scenario(
        "trouble-no-raw", "sim://generic?boot_ms=0&hang_after=113",
        "a board that stops answering: entering the raw REPL fails after every retry",
        _enter, None, _QUICK, "generic with response_timeout_s = 0.5, retries = 1",
        outcome=True,
    ),
    Scenario(
        "trouble-flow-control", "sim://generic?boot_ms=0&no_flow_control=1",
        "raw-paste advertised but no window credit ever comes",
        _run(_LONG_CODE), _enter, _QUICK, "generic with response_timeout_s = 0.5, retries = 1",
        outcome=True,
    ),
    Scenario(
        "trouble-reset-on-open", "sim://esp32",
        "an ESP32 that resets when the port opens: ROM boot log first",
        _enter, None, PRESETS["esp32"].profile.to_engine_profile(), "the esp32 preset", hex=True,
    ),
    Scenario(
        "trouble-noise", "sim://generic?boot_ms=0&noise=40&seed=1",
        "a board printing garbage before its banner",
        _enter,
    ),
)
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


# --------------------------------------------------------------------------- recording
def _settle(trace: TraceRecorder, at_least_s: float = 0.0) -> None:
    """Wait until the device has been quiet for QUIET_S: boot output and late bytes are then
    all in the trace, whatever the machine's load, instead of landing anywhere in it.
    """
    time.sleep(at_least_s)
    seen = -1
    while trace.total_records != seen:
        seen = trace.total_records
        time.sleep(QUIET_S)


def _record_session(scenario: Scenario) -> tuple[list[TraceRecord], int, str]:
    """Run the scenario; return every record, the index of the first shown one, and what
    went wrong (an error message, or "")."""
    trace = TraceRecorder()
    outcome = ""
    with connect(scenario.url, scenario.profile, trace=trace) as session:
        _settle(trace, scenario.profile.startup_delay_s)
        if scenario.setup is not None:
            scenario.setup(session)
            _settle(trace)
        first = trace.total_records if scenario.setup is not None else 0
        try:
            if scenario.shown is not None:
                scenario.shown(session)
        except WorkbenchError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        _settle(trace)
        records = trace.records()
    return records, first, outcome


def _record_typing(scenario: Scenario) -> tuple[list[TraceRecord], int, str]:
    """Type lines at the friendly REPL. The session API has no call for that (the app's
    REPL line runs code through the raw REPL), so this writes to the port itself.
    """
    trace = TraceRecorder()
    port = open_port(scenario.url)
    io = PortIO(port)

    def read_until_quiet() -> None:
        while data := io.read(QUIET_S):
            trace.record("rx", data)

    try:
        read_until_quiet()
        for line in scenario.typed:
            io.write(line)
            trace.record("tx", line)
            read_until_quiet()
    finally:
        port.close()
    return trace.records(), 0, ""


def _recut(records: list[TraceRecord], first: int) -> list[tuple[TraceRecord, bool]]:
    """Join the device's reads between host writes, then cut them after each protocol event;
    each piece comes with whether it is shown (from record ``first`` on).

    How bytes are split into reads depends on timing; where the events fall does not (the
    protocol core gives the same events however its input is split). Output and stray text
    run on in one record; every other event closes the record it ends in. Setup ends with
    the device quiet, so no read joins a setup record to a shown one.
    """
    joined: list[tuple[TraceRecord, bool]] = []
    for index, rec in enumerate(records):
        if joined and rec.dir == "rx" and joined[-1][0].dir == "rx":
            last, shown = joined[-1]
            joined[-1] = (replace(last, data=last.data + rec.data), shown)
        else:
            joined.append((replace(rec, t=0.0, meaning="", events=()), index >= first))
    conn = TrafficObserver()
    out: list[tuple[TraceRecord, bool]] = []
    for rec, shown in joined:
        if rec.dir == "tx":
            conn.observe_sent(rec.data, 0.0)
            out.append((rec, shown))
            continue
        start = 0
        for end in range(1, len(rec.data) + 1):
            conn.receive_data(rec.data[end - 1 : end], 0.0)
            if any(not isinstance(event, Output | UnexpectedBytes) for event in conn.events()):
                out.append((replace(rec, data=rec.data[start:end]), shown))
                start = end
        if start < len(rec.data):
            out.append((replace(rec, data=rec.data[start:]), shown))
    return out


def render(scenario: Scenario) -> str:
    """Run one scenario and return the text of its trace file."""
    record = _record_typing if scenario.typed else _record_session
    records, first, outcome = record(scenario)
    # Re-cut and annotate the whole session (a meaning depends on what came before), then
    # keep the shown part.
    pieces = _recut(records, first)
    annotated = annotate([rec for rec, _ in pieces], overwrite=True)
    kept = [rec for rec, (_, shown) in zip(annotated, pieces, strict=True) if shown]
    body = (render_hex if scenario.hex else render_text)(kept)
    lines = [line.removeprefix(_TIME_PREFIX) for line in body.splitlines()]
    head = [f"# {scenario.name}: {scenario.title}", f"# device {scenario.url}, profile: {scenario.profile_note}"]
    tail = [f"# workbench reported {_WAITED.sub('timeout after T s', outcome)}"] if outcome and scenario.outcome else []
    return "\n".join(head + lines + tail) + "\n"


# --------------------------------------------------------------------------- documents
def splice(markdown: str, traces: dict[str, str]) -> str:
    """Put each trace into the fenced block after its ``<!-- trace: NAME -->`` marker
    (adding the block if there is none); markers of other traces are left alone.
    """
    lines = markdown.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        match = MARKER.match(line)
        if match is None or match.group(1) not in traces:
            continue
        if i < len(lines) and lines[i].startswith("```"):
            close = next((j for j in range(i + 1, len(lines)) if lines[j] == "```"), len(lines) - 1)
            i = close + 1
        out += ["```text", *traces[match.group(1)].rstrip("\n").split("\n"), "```"]
    return "\n".join(out)


def documents(docs: Path) -> list[Path]:
    """The Markdown files whose markers are kept up to date."""
    return sorted(docs.glob("*.md"))


def wanted(names: Sequence[str]) -> tuple[list[Scenario], list[str]]:
    """The scenarios to run, and a note for each one skipped because micropython is missing."""
    chosen = [BY_NAME[name] for name in names] if names else list(SCENARIOS)
    if local_interpreter() is not None:
        return chosen, []
    skipped = [f"{s.name}: skipped, the micropython command is not installed" for s in chosen if s.needs_micropython]
    return [s for s in chosen if not s.needs_micropython], skipped


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate (or with --check, compare) the trace files and the blocks in the docs."""
    parser = argparse.ArgumentParser(prog="python -m tools.docs_traces", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"scenarios (default: all): {', '.join(BY_NAME)}")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 listing stale files")
    parser.add_argument("--docs", type=Path, default=DOCS, help="the docs folder (default: %(default)s)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    scenarios, skipped = wanted(args.names)
    for note in skipped:
        print(note, file=sys.stderr)
    traces = {scenario.name: render(scenario) for scenario in scenarios}
    updates = {args.docs / "traces" / f"{name}.txt": text for name, text in traces.items()}
    for doc in documents(args.docs):
        updates[doc] = splice(doc.read_text(encoding="utf-8"), traces)
    stale = [path for path, text in updates.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    for path in stale:
        if args.check:
            print(f"stale: {path}")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(updates[path], encoding="utf-8")
            print(f"wrote {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
