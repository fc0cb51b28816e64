"""Adaptive protocol detection: measure a board, then propose a profile that suits it.

A profile's defaults suit native USB; a board behind a slow USB bridge, one that resets when
the port opens, or one whose raw-paste flow control is broken needs other settings, and a
user cannot be expected to know which. :func:`probe` finds out in five steps:

1. basic raw REPL: connect, time entering the raw REPL (a board that resets on open needs
   a start-up delay), run a trivial statement and check its output;
2. response timing: round trips of ``exec("pass")`` in plain raw mode, so the figure is the
   device's latency and not raw-paste negotiation;
3. raw-paste: does the device accept it, and with what window;
4. flow control: a paste of several windows whose result the probe knows in advance, with a
   short response timeout, so a device that advertises raw-paste but loses bytes or never
   grants credit is found quickly and marked unreliable; for a device that will get plain
   raw mode instead (no raw-paste, or its flow control failed), the pacing plain raw mode
   may write at: known payloads at growing speed until one is lost, a margin below that
   (:mod:`workbench.profiles.pacing`);
5. a proposed :class:`~workbench.engine.profile.Profile` derived from the figures.

It also fingerprints the firmware (implementation, version, platform, machine) with one
small exec that cannot fail on the device side, sent in plain raw mode with small writes so
that it works on a board that loses bytes and before raw-paste is ever asked for
(:func:`fingerprint`, also used when a board is connected).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from workbench.engine.profile import DEFAULT_PROFILE, Profile
from workbench.engine.result import ExecResult
from workbench.engine.session import Session, connect
from workbench.engine.verify import DROP_HELD, check_problem, stage_code
from workbench.errors import ConnectError, DeviceTimeout, SessionClosed, TransferError, WorkbenchError
from workbench.profiles.fingerprint import (
    FINGERPRINT_CODE,
    fingerprint_profile,
    parse_fingerprint,
)
from workbench.profiles.pacing import LADDER, Attempt, Pacing, PacingResult, find_pacing, known_payload
from workbench.trace.record import TraceRecorder

#: Entering the raw REPL slower than this means the board did something first (reset on open).
EXTRA_START_S = 0.5
#: The flow-control paste covers at least this many raw-paste windows...
FLOW_WINDOWS = 8
#: ...and at least this many bytes (a device with a tiny window still gets a real test)...
FLOW_MIN_BYTES = 1024
#: ...but never more than this (a device announcing a huge window should not get megabytes).
FLOW_MAX_BYTES = 64 * 1024
#: Bound on the flow-control run itself (sending plus running the assignments).
FLOW_RUN_TIMEOUT_S = 15.0
#: Plain-raw pacing: no faster rung is started after this many seconds of the search...
PACING_BUDGET_S = 10.0
#: ...and each payload (at most 2 KB, sent and reported) has this long.
PACING_RUN_TIMEOUT_S = 5.0
#: Slack of the probe's own watchdog beyond the engine's deadlines.
WATCHDOG_MARGIN_S = 2.0
#: Bound on each of the small execs (trivial statement, fingerprint, round trips).
SMALL_EXEC_TIMEOUT_S = 10.0
#: Upper bounds on the proposed timings, so one freak measurement cannot propose minutes.
MAX_RESPONSE_TIMEOUT_S = 10.0
MAX_INTERRUPT_DELAY_S = 1.0
MAX_STARTUP_DELAY_S = 5.0
class ProbeError(WorkbenchError):
    """The device answered at first, then failed a step every working board passes."""


class ProbeStep(NamedTuple):
    """One line of the probe's log: which step, whether it went well, and what happened."""

    name: str
    ok: bool
    detail: str


@dataclass
class ProbeReport:
    """What :func:`probe` measured and the profile it proposes.

    Timings are in the units their names say; ``None`` means "not measured" (for example no
    window on a device without raw-paste), never zero, so a display can tell the two apart.
    """

    url: str
    entered_raw_s: float
    start_needed_extra_time: bool
    round_trip_ms_median: float
    round_trip_ms_p95: float
    raw_paste_supported: bool | None
    window: int | None
    flow_control_reliable: bool | None
    """None when there was no raw-paste to validate."""
    flow_control_detail: str
    implementation: str
    version: str
    platform: str
    machine: str
    proposed: Profile
    plain_raw_chunk_size: int | None = None
    """Plain raw mode pacing the probe validated (a margin below the fastest lossless), when
    the device gets plain raw mode; None when not measured or nothing was lossless."""
    plain_raw_chunk_delay_s: float | None = None
    plain_raw_bytes_per_s: float | None = None
    """Code bytes per second measured at that pacing (first write to the board's OK)."""
    plain_raw_detail: str = ""
    """What the pacing search tried and found, in words ("" when it did not run)."""
    steps: list[ProbeStep] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (the proposed profile as a dict of its fields), for saving or --json."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["proposed"] = {f.name: getattr(self.proposed, f.name) for f in dataclasses.fields(Profile)}
        data["steps"] = [step._asdict() for step in self.steps]
        return data

    def format_text(self) -> str:
        """A readable multi-line report for the terminal."""
        device = self.implementation or "unknown firmware"
        if self.version:
            device += f" {self.version}"
        if self.platform:
            device += f" on {self.platform}"
        if self.machine:
            device += f" ({self.machine})"
        if self.raw_paste_supported:
            paste = f"supported, window {self.window} bytes" if self.window else "supported"
        elif self.raw_paste_supported is False:
            paste = "not supported (firmware before 1.14?): plain raw mode"
        else:
            paste = "unknown (negotiation failed)"
        if self.flow_control_reliable is None:
            flow = f"not tested: {self.flow_control_detail}"
        else:
            verdict = "reliable" if self.flow_control_reliable else "UNRELIABLE"
            flow = f"{verdict}: {self.flow_control_detail}"
        start = f"{self.entered_raw_s * 1000:.0f} ms"
        if self.start_needed_extra_time:
            start += f" (more than {EXTRA_START_S:.1f} s: the board probably resets when opened)"
        lines = [
            f"Probe of {self.url}",
            f"  device         {device}",
            f"  raw REPL       entered in {start}",
            (
                f"  round trip     median {self.round_trip_ms_median:.2f} ms, "
                f'p95 {self.round_trip_ms_p95:.2f} ms (exec("pass") in plain raw mode)'
            ),
            f"  raw-paste      {paste}",
            f"  flow control   {flow}",
        ]
        if self.plain_raw_chunk_size is not None and self.plain_raw_chunk_delay_s is not None:
            rate = f", {self.plain_raw_bytes_per_s:,.0f} B/s measured" if self.plain_raw_bytes_per_s else ""
            lines.append(
                f"  plain raw      {self.plain_raw_chunk_size} B every {self.plain_raw_chunk_delay_s * 1000:g} ms"
                f" arrived intact{rate}"
            )
        elif self.plain_raw_detail:
            lines.append(f"  plain raw      {self.plain_raw_detail}")
        lines.append("Steps")
        width = max((len(step.name) for step in self.steps), default=0)
        lines += [
            f"  [{'ok' if step.ok else '!!'}] {step.name.ljust(width)}  {step.detail}" for step in self.steps
        ]
        lines.append("Proposed profile")
        p = self.proposed
        lines += [
            f"  response_timeout_s  {p.response_timeout_s:.2f}",
            f"  interrupt_delay_s   {p.interrupt_delay_s:.3f}",
            f"  startup_delay_s     {p.startup_delay_s:.2f}",
            f"  raw_paste           {p.raw_paste}",
            f"  chunk_size          {p.chunk_size}",
            f"  chunk_delay_s       {p.chunk_delay_s:.4f}",
        ]
        return "\n".join(lines)


def probe(
    url: str,
    *,
    base: Profile | None = None,
    round_trips: int = 20,
    on_step: Callable[[str], None] | None = None,
    trace: TraceRecorder | None = None,
) -> ProbeReport:
    """Measure the device at ``url`` and propose a profile for it; see the module docstring.

    ``base`` supplies everything the probe does not measure (baud rate, DTR/RTS, retries,
    encoding, verify_code) and the settings used while probing (without verify_code: the
    probe's execs are single execs). ``on_step`` is told, in words, which step
    starts (for a progress line). ``trace`` records the probe's bytes (the app keeps them in
    the board's trace). Opens and closes its own session; every wait is bounded
    by the profile's timeouts or the probe's own. Raises :class:`ConnectError` when the
    device cannot be opened or never reaches the raw REPL, :class:`ProbeError` (naming the
    step) when it stops answering in the middle; a device that merely lacks raw-paste or
    loses pasted data is not an error but a finding of the report.
    """
    base = base or DEFAULT_PROFILE
    round_trips = max(1, round_trips)
    steps: list[ProbeStep] = []

    current = [""]

    def announce(text: str) -> None:
        current[0] = text
        if on_step is not None:
            on_step(text)

    # The probe's own execs go bare: a verified run (verify_code) is two execs, which would
    # double every round trip and stage the payloads whose arrival is being tested.
    bare = base.with_changes(verify_code="never")
    # Plain raw mode for steps 1-2: the timings must be the device's, not the negotiation's.
    plain = bare.with_changes(raw_paste="never")
    announce("1/5 basic raw REPL test")
    started = time.perf_counter()
    session = connect(url, plain, trace=trace)
    try:
        entered_raw_s = _enter_raw(session, url, started, base.startup_delay_s)
        extra = entered_raw_s > EXTRA_START_S
        steps.append(_basic_test(session, entered_raw_s, extra))
        implementation, version, platform, machine, fp_step = _fingerprint(session)
        steps.append(fp_step)

        announce(f"2/5 response timing ({round_trips} round trips)")
        times_ms = [_round_trip_ms(session) for _ in range(round_trips)]
        median_ms = statistics.median(times_ms)
        p95_ms = _percentile(times_ms, 95)
        steps.append(
            ProbeStep(
                "response timing",
                True,
                f"{round_trips} x exec('pass') in plain raw mode (raw_paste=never): "
                f"median {median_ms:.2f} ms, p95 {p95_ms:.2f} ms",
            )
        )

        announce("3/5 raw-paste support and window")
        supported, window, paste_step = _raw_paste(session, bare)
        steps.append(paste_step)
    except ConnectError:
        raise
    except WorkbenchError as exc:
        raise ProbeError(f"probe of {url} failed at step {current[0]}: {exc}") from exc
    finally:
        session.close()

    announce("4/5 flow-control validation")
    startup = propose_profile(
        base,
        entered_raw_s=entered_raw_s,
        start_needed_extra_time=extra,
        median_ms=median_ms,
        p95_ms=p95_ms,
        raw_paste_supported=None,
        window=None,
        flow_control_reliable=None,
    ).startup_delay_s
    reliable, flow_detail = _flow_control(
        url, bare.with_changes(startup_delay_s=startup), supported, window, p95_ms, trace
    )
    steps.append(ProbeStep("flow control", reliable is not False, flow_detail))
    pacing: PacingResult | None = None
    pacing_detail = ""
    if not _uses_raw_paste(supported, reliable):
        announce("4/5 flow-control validation: plain-raw pacing")
        pacing, pacing_detail = _plain_raw_pacing(url, bare.with_changes(startup_delay_s=startup), p95_ms, trace)
        steps.append(ProbeStep("plain-raw pacing", pacing is not None and pacing.proposed is not None, pacing_detail))

    announce("5/5 proposing a profile")
    measured = pacing.proposed if pacing is not None else None
    proposed = propose_profile(
        base,
        entered_raw_s=entered_raw_s,
        start_needed_extra_time=extra,
        median_ms=median_ms,
        p95_ms=p95_ms,
        raw_paste_supported=supported,
        window=window,
        flow_control_reliable=reliable,
        # Nothing was lossless: the most cautious pacing, and the board checks the code.
        plain_raw=measured or (LADDER[0] if pacing is not None else None),
    )
    steps.append(
        ProbeStep(
            "proposed profile",
            True,
            f"raw_paste={proposed.raw_paste}, response_timeout_s={proposed.response_timeout_s:.2f}, "
            f"chunk_size={proposed.chunk_size}"
            + (f", chunk_delay_s={proposed.chunk_delay_s:g}" if pacing is not None else ""),
        )
    )
    return ProbeReport(
        url=url,
        entered_raw_s=entered_raw_s,
        start_needed_extra_time=extra,
        round_trip_ms_median=median_ms,
        round_trip_ms_p95=p95_ms,
        raw_paste_supported=supported,
        window=window,
        flow_control_reliable=reliable,
        flow_control_detail=flow_detail,
        implementation=implementation,
        version=version,
        platform=platform,
        machine=machine,
        proposed=proposed,
        plain_raw_chunk_size=measured.chunk_size if measured is not None else None,
        plain_raw_chunk_delay_s=measured.chunk_delay_s if measured is not None else None,
        plain_raw_bytes_per_s=round(pacing.bytes_per_s, 1) if pacing is not None and pacing.bytes_per_s else None,
        plain_raw_detail=pacing_detail,
        steps=steps,
    )


def propose_profile(
    base: Profile,
    *,
    entered_raw_s: float,
    start_needed_extra_time: bool,
    median_ms: float,
    p95_ms: float,
    raw_paste_supported: bool | None,
    window: int | None,
    flow_control_reliable: bool | None,
    plain_raw: Pacing | None = None,
) -> Profile:
    """Step 5: settings derived from the measurements, the rest taken from ``base``.

    The response timeout keeps a half-second floor (host scheduling and garbage-collection
    pauses do not show in 20 round trips) plus twenty slow round trips of margin, so a slow
    bridge gets proportionally more; the interrupt delay must outlast the gap between two
    output chunks, which grows with latency. Plain raw mode writes at ``plain_raw``, the
    pacing the probe validated, when it is used and was measured; otherwise one window at a
    time (half the device's input buffer, so it cannot overflow) spaced by half a round trip.
    """
    p95_s = p95_ms / 1000
    median_s = median_ms / 1000
    response = min(MAX_RESPONSE_TIMEOUT_S, 0.5 + 20 * p95_s)
    interrupt = min(MAX_INTERRUPT_DELAY_S, max(0.02, 0.02 + 4 * p95_s))
    startup = base.startup_delay_s
    if start_needed_extra_time:
        startup = min(MAX_STARTUP_DELAY_S, max(startup, math.ceil((entered_raw_s + 0.2) * 10) / 10))
    use_paste = _uses_raw_paste(raw_paste_supported, flow_control_reliable)
    # A link that lost data, or plain raw mode (no flow control at all): the board checks
    # every run's code before it runs.
    lossy = flow_control_reliable is False or raw_paste_supported is False
    verify = "always" if lossy else base.verify_code
    chunk_size, chunk_delay_s = window or 256, round(min(0.05, max(0.001, median_s / 2)), 4)
    if plain_raw is not None and not use_paste:
        chunk_size, chunk_delay_s = plain_raw.chunk_size, plain_raw.chunk_delay_s
    return base.with_changes(
        verify_code=verify,
        response_timeout_s=round(response, 3),
        interrupt_delay_s=round(interrupt, 3),
        startup_delay_s=startup,
        raw_paste="auto" if use_paste else "never",
        chunk_size=chunk_size,
        chunk_delay_s=chunk_delay_s,
    )


def _uses_raw_paste(raw_paste_supported: bool | None, flow_control_reliable: bool | None) -> bool:
    """Whether the proposed profile sends code in raw-paste (else plain raw mode)."""
    return bool(raw_paste_supported) and flow_control_reliable is not False


# ---------------------------------------------------------------------- the steps
def _enter_raw(session: Session, url: str, started: float, startup_delay_s: float) -> float:
    """Seconds from opening to the raw prompt, not counting the profile's own start-up wait."""
    try:
        session.enter_raw()
    except WorkbenchError as exc:
        raise ConnectError(
            f"probe of {url}: the device opened but never reached the raw REPL ({exc}); "
            "is a MicroPython board on this port, at this baud rate, and not busy in another tool?"
        ) from exc
    return max(0.0, time.perf_counter() - started - startup_delay_s)


def _basic_test(session: Session, entered_raw_s: float, extra: bool) -> ProbeStep:
    result = _exec(session, "print(6*7)", SMALL_EXEC_TIMEOUT_S)
    ok = result.ok and result.stdout.strip() == "42"
    detail = f"entered the raw REPL in {entered_raw_s * 1000:.0f} ms"
    if extra:
        detail += " (start needed extra time)"
    if ok:
        detail += "; print(6*7) gave 42"
    else:
        got = result.exception or repr(result.stdout[-80:])
        detail += f"; print(6*7) gave {got} instead of 42"
    return ProbeStep("basic raw REPL", ok, detail)


def _fingerprint(session: Session) -> tuple[str, str, str, str, ProbeStep]:
    """Implementation, version, platform, machine; empty strings for whatever is unknown."""
    try:
        result = _exec(session, FINGERPRINT_CODE, SMALL_EXEC_TIMEOUT_S, fingerprint_profile(session.profile))
    except (DeviceTimeout, TransferError) as exc:
        return "", "", "", "", ProbeStep("fingerprint", False, f"failed: {exc}")
    found = parse_fingerprint(result.stdout)
    if found is not None:
        name, version, platform, machine = found
        detail = " ".join(x for x in (name, version, platform) if x) + (f" ({machine})" if machine else "")
        return name, version, platform, machine, ProbeStep("fingerprint", True, detail)
    why = result.exception or f"no fingerprint line in {result.stdout[-80:]!r}"
    return "", "", "", "", ProbeStep("fingerprint", False, f"unknown firmware: {why}")


def _round_trip_ms(session: Session) -> float:
    start = time.perf_counter()
    _exec(session, "pass", SMALL_EXEC_TIMEOUT_S)
    return (time.perf_counter() - start) * 1000


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: with 20 samples p95 is the 19th, one outlier does not count."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _raw_paste(session: Session, base: Profile) -> tuple[bool | None, int | None, ProbeStep]:
    """Ask for raw-paste with a one-window exec (which any advertising device can take)."""
    session.set_profile(base.with_changes(raw_paste="auto"))
    try:
        _exec(session, "pass", SMALL_EXEC_TIMEOUT_S)
    except WorkbenchError as exc:
        return None, None, ProbeStep("raw-paste", False, f"negotiation failed: {exc}")
    supported = session.raw_paste_supported
    window = (session._engine.conn.window or None) if supported else None
    if supported:
        detail = f"supported, window {window} bytes" if window else "supported, window unknown"
    else:
        detail = "not supported (the device answered with the raw banner or refused)"
    return supported, window, ProbeStep("raw-paste", supported is not None, detail)


def flow_control_code(window: int) -> tuple[str, int]:
    """A script of at least :data:`FLOW_WINDOWS` windows and the checksum it prints.

    Each line folds a different constant into a running value, so a single lost or altered
    byte changes the result (or breaks the syntax) rather than passing unnoticed.
    """
    target = min(FLOW_MAX_BYTES, max(FLOW_MIN_BYTES, FLOW_WINDOWS * window + 1))
    lines = ["_wbs = 0"]
    value = 0
    size = len(lines[0]) + 1
    i = 0
    while size < target:
        constant = (i * 7919 + 13) % 100003
        line = f"_wbs = (_wbs * 31 + {constant}) % 1000003"
        value = (value * 31 + constant) % 1000003
        lines.append(line)
        size += len(line) + 1
        i += 1
    lines += ["print('WBSUM', _wbs)", "del _wbs"]
    return "\n".join(lines) + "\n", value


def _flow_control(
    url: str,
    profile: Profile,
    supported: bool | None,
    window: int | None,
    p95_ms: float,
    trace: TraceRecorder | None = None,
) -> tuple[bool | None, str]:
    """Send a multi-window paste with a short response timeout and check what came back.

    The paste is the first exec of a fresh connection, so raw-paste is negotiated in it and
    the code waits for real window credit (a connection that already knows the window sends
    code right behind the request, a path that must not be what is being validated).
    """
    if not supported:
        return None, "no raw-paste to validate"
    code, expected = flow_control_code(window or 128)
    response = max(0.5, 10 * p95_ms / 1000)
    size = f"{len(code):,} B paste ({len(code) / (window or 128):.1f} windows)"
    try:
        session = connect(url, profile.with_changes(raw_paste="auto", response_timeout_s=response), trace=trace)
    except WorkbenchError as exc:
        return False, f"could not reopen the device for the test: {exc}"
    try:
        result = _exec(session, code, FLOW_RUN_TIMEOUT_S)
    except DeviceTimeout as exc:
        return False, (
            f"{size}: no answer within {response:.2f} s, the device advertises raw-paste "
            f"but its flow control does not work ({exc.step}: expected {exc.expected})"
        )
    except TransferError:
        return False, f"{size}: bytes were lost on the way (window credits missing)"
    except WorkbenchError as exc:
        return False, f"{size}: {exc}"
    finally:
        session.close()
    got = result.stdout.strip()
    if result.ok and got == f"WBSUM {expected}":
        return True, f"{size} arrived intact (checksum {expected} matched)"
    if not result.ok:
        return False, f"{size} was damaged: the device raised {result.exception}"
    return False, f"{size} was damaged: expected checksum {expected}, device printed {got[-80:]!r}"


def _plain_raw_pacing(
    url: str, profile: Profile, p95_ms: float, trace: TraceRecorder | None = None
) -> tuple[PacingResult | None, str]:
    """Find how fast plain raw mode may write to the device (:func:`find_pacing`), on a
    connection of its own; the result (None: the test could not run) and a line saying so.

    Each payload is a verify stage (:func:`~workbench.engine.verify.stage_code`): the board
    prints the length and byte sum of a bytes literal, which any firmware can. A loss shows
    as a wrong length or sum, a syntax error, or no 'OK' at all when the CTRL-D itself was
    lost: the response timeout is short for that (ten slow round trips), and the next
    payload enters the raw REPL afresh.
    """
    response = max(0.5, 10 * p95_ms / 1000)
    plain = profile.with_changes(raw_paste="never", verify_code="never", response_timeout_s=response)
    try:
        session = connect(url, plain, trace=trace)
    except WorkbenchError as exc:
        return None, f"could not reopen the device for the test: {exc}"
    overhead = len(stage_code(b"")) + len(DROP_HELD)

    def attempt(pacing: Pacing, size: int) -> Attempt:
        payload = known_payload(max(16, size - overhead), salt=size + pacing.chunk_size)
        session.set_profile(plain.with_changes(chunk_size=pacing.chunk_size, chunk_delay_s=pacing.chunk_delay_s))
        try:
            result = _exec(session, (stage_code(payload) + DROP_HELD).decode("ascii"), PACING_RUN_TIMEOUT_S)
        except DeviceTimeout as exc:
            return Attempt(pacing, False, f"no answer ({exc.step}: expected {exc.expected})")
        except TransferError as exc:
            return Attempt(pacing, False, str(exc))
        problem = check_problem(result, payload)
        if problem is not None:
            return Attempt(pacing, False, problem)
        return Attempt(pacing, True, "", result.bytes_sent / result.send_s if result.send_s > 0 else None)

    try:
        found = find_pacing(attempt, budget_s=PACING_BUDGET_S)
    except WorkbenchError as exc:
        return None, f"the device stopped answering during the test: {exc}"
    finally:
        session.close()
    return found, found.summary()


def _exec(session: Session, code: str, timeout: float, profile: Profile | None = None) -> ExecResult:
    """``session.exec`` with a watchdog on top of the engine's own deadlines.

    Every engine wait should have a deadline, but a probe runs against unknown (and possibly
    broken) devices and must end whatever happens: if the call outlives its run timeout plus
    a margin for the protocol replies, the session is closed, which stops the worker's read
    loop within one poll slice, and the probe reports a timeout.
    """
    limit = timeout + 4 * session.profile.response_timeout_s + WATCHDOG_MARGIN_S
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        session.close()

    watchdog = threading.Timer(limit, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        return session.exec(code, timeout=timeout, profile=profile)
    except SessionClosed as exc:
        if fired.is_set():
            raise DeviceTimeout(
                "running probe code", "the end of the run (probe watchdog)", b"", limit
            ) from exc
        raise
    finally:
        watchdog.cancel()
