"""Adaptive protocol detection (workbench.profiles.probe) against the real interpreter and simulated boards.

Each board is probed once per module (a probe takes a fraction of a second with ``boot_ms=0``,
a few seconds where it searches the plain-raw pacing) and the tests check the report's figures
and the profile it proposes; the no-flow-control board and the board that loses bytes also
prove the proposal works where the default profile does not. The fingerprint, which also runs
at every connect, is checked on its own: small, in plain raw mode, read safely.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import requires_micropython
from workbench.engine.profile import DEFAULT_PROFILE
from workbench.engine.session import connect
from workbench.errors import ConnectError, DeviceDisconnected, DeviceTimeout, WorkbenchError
from workbench.profiles.fingerprint import (
    FINGERPRINT_CHUNK_DELAY_S,
    FINGERPRINT_CHUNK_SIZE,
    FINGERPRINT_CODE,
    Fingerprint,
    fingerprint,
    parse_fingerprint,
)
from workbench.profiles.pacing import Pacing
from workbench.profiles.probe import ProbeError, ProbeReport, flow_control_code, probe, propose_profile
from workbench.trace.record import TraceRecorder

NO_FLOW = "sim://generic?no_flow_control=1"
#: Firmware before raw-paste whose 64-byte receive FIFO is emptied every 10 ms: bytes written
#: faster are lost (issue 15).
LOSSY = "sim://legacy?rx_fifo=64&boot_ms=0"
#: A 1 KB program of 100 assignments and a print of their sum, and what it prints.
PROGRAM = "\n".join(f"a{i} = {i * 37 % 1000}" for i in range(100)) + (
    "\nprint(sum(globals()['a%d' % i] for i in range(100)))\n"
)
PROGRAM_SUM = str(sum(i * 37 % 1000 for i in range(100)))


@pytest.fixture(scope="module")
def reports() -> dict[str, ProbeReport]:
    """Probe results by URL, computed on first use, so each device is probed once."""
    return {}


def _probe(reports: dict[str, ProbeReport], url: str) -> ProbeReport:
    if url not in reports:
        reports[url] = probe(url)
    return reports[url]


@requires_micropython
def test_real_interpreter(reports: dict[str, ProbeReport]) -> None:
    steps: list[str] = []
    report = probe("spawn://micropython", on_step=steps.append)
    reports["spawn://micropython"] = report
    assert report.raw_paste_supported is True
    assert report.window == 128
    assert report.flow_control_reliable is True
    assert report.round_trip_ms_median > 0
    assert report.round_trip_ms_p95 >= report.round_trip_ms_median
    assert report.implementation == "micropython"
    assert report.version and report.platform == "linux"
    assert report.start_needed_extra_time is False
    assert report.proposed.raw_paste == "auto"
    assert report.proposed.chunk_size == 128
    assert report.plain_raw_chunk_size is None and report.plain_raw_bytes_per_s is None  # raw-paste works
    assert all(step.ok for step in report.steps), report.format_text()
    assert [s.split(" ")[0] for s in steps] == ["1/5", "2/5", "3/5", "4/5", "5/5"]


@requires_micropython
def test_real_interpreter_report_output(reports: dict[str, ProbeReport]) -> None:
    report = _probe(reports, "spawn://micropython")
    data = json.loads(json.dumps(report.to_json()))
    assert data["window"] == 128
    assert data["proposed"]["raw_paste"] == "auto"
    assert data["proposed"]["response_timeout_s"] == report.proposed.response_timeout_s
    assert {"name", "ok", "detail"} <= set(data["steps"][0])
    text = report.format_text()
    assert "window 128" in text
    assert f"median {report.round_trip_ms_median:.2f} ms" in text
    assert f"p95 {report.round_trip_ms_p95:.2f} ms" in text
    assert "micropython" in text


def test_legacy_has_no_raw_paste(reports: dict[str, ProbeReport]) -> None:
    report = _probe(reports, "sim://legacy?boot_ms=0")
    assert report.raw_paste_supported is False
    assert report.window is None
    assert report.flow_control_reliable is None
    assert report.proposed.raw_paste == "never"
    assert report.proposed.verify_code  # plain raw mode has no flow control at all
    assert report.proposed.chunk_size == 256
    assert report.version.startswith("1.12")
    json.dumps(report.to_json())
    assert "not supported" in report.format_text()
    # No loss at any pacing on this board: the top of the search, validated.
    assert (report.plain_raw_chunk_size, report.plain_raw_chunk_delay_s) == (256, 0.001)
    assert report.proposed.chunk_delay_s == 0.001
    assert report.plain_raw_bytes_per_s is not None and report.plain_raw_bytes_per_s > 1000


def test_slow_bridge_gets_longer_timeouts(reports: dict[str, ProbeReport]) -> None:
    esp32 = _probe(reports, "sim://esp32?boot_ms=0")
    stm32 = _probe(reports, "sim://stm32?boot_ms=0")
    assert esp32.round_trip_ms_median > stm32.round_trip_ms_median
    assert esp32.proposed.response_timeout_s > stm32.proposed.response_timeout_s
    assert esp32.proposed.interrupt_delay_s > stm32.proposed.interrupt_delay_s
    assert esp32.proposed.chunk_delay_s >= stm32.proposed.chunk_delay_s
    for report in (esp32, stm32):
        assert report.flow_control_reliable is True
        assert report.proposed.raw_paste == "auto"
        assert report.proposed.response_timeout_s <= 10.0
    assert esp32.platform == "esp32" and stm32.platform == "pyboard"
    assert "ESP32" in esp32.machine


def test_no_flow_control_is_unreliable(reports: dict[str, ProbeReport]) -> None:
    report = _probe(reports, NO_FLOW)
    assert report.raw_paste_supported is True
    assert report.window == 128
    assert report.flow_control_reliable is False
    assert "credit" in report.flow_control_detail
    assert report.proposed.raw_paste == "never"
    assert report.proposed.verify_code  # a link that lost data: the board checks the code first
    assert not next(s for s in report.steps if s.name == "flow control").ok
    assert "UNRELIABLE" in report.format_text()
    json.dumps(report.to_json())
    # Plain raw mode from now on: its pacing was measured too.
    assert report.plain_raw_chunk_size == report.proposed.chunk_size
    assert next(s for s in report.steps if s.name == "plain-raw pacing").ok


def test_proposal_runs_a_big_script_where_the_default_fails(reports: dict[str, ProbeReport]) -> None:
    proposed = _probe(reports, NO_FLOW).proposed
    lines = [f"v{i} = {i} * 3" for i in range(4000)]
    lines.append("print(sum(globals()[f'v{i}'] for i in range(4000)))")
    script = "\n".join(lines) + "\n"
    assert len(script) >= 50_000
    expected = str(sum(i * 3 for i in range(4000)))

    with connect(NO_FLOW, proposed) as session:
        result = session.exec(script, timeout=30)
    assert result.ok, result.stderr
    assert result.stdout.strip() == expected
    assert result.raw_paste is False

    # The generic default profile trusts the advertised raw-paste and waits for credit in vain.
    with connect(NO_FLOW, DEFAULT_PROFILE) as session, pytest.raises(DeviceTimeout):
        session.exec(script, timeout=30)


def test_flow_control_script_checksum() -> None:
    """The checksum the probe expects is what the code really computes (here in CPython)."""
    code, expected = flow_control_code(128)
    assert len(code) >= 8 * 128
    namespace: dict[str, object] = {}
    printed: list[str] = []
    namespace["print"] = lambda *args: printed.append(" ".join(map(str, args)))
    exec(code, namespace)  # noqa: S102 - our own generated arithmetic
    assert printed == [f"WBSUM {expected}"]
    big, _ = flow_control_code(32768)
    assert len(big) <= 64 * 1024 + 64


def test_propose_profile_bounds() -> None:
    slow = propose_profile(
        DEFAULT_PROFILE,
        entered_raw_s=0.9,
        start_needed_extra_time=True,
        median_ms=2000,
        p95_ms=5000,
        raw_paste_supported=True,
        window=None,
        flow_control_reliable=True,
    )
    assert slow.response_timeout_s == 10.0
    assert slow.interrupt_delay_s == 1.0
    assert slow.startup_delay_s == pytest.approx(1.1)
    assert slow.chunk_size == 256 and slow.chunk_delay_s == 0.05
    assert slow.raw_paste == "auto"
    fast = propose_profile(
        DEFAULT_PROFILE,
        entered_raw_s=0.05,
        start_needed_extra_time=False,
        median_ms=0.1,
        p95_ms=0.2,
        raw_paste_supported=True,
        window=64,
        flow_control_reliable=False,
    )
    assert fast.response_timeout_s >= 0.5 and fast.startup_delay_s == 0.0
    assert fast.raw_paste == "never" and fast.chunk_size == 64


def test_unreachable_device_raises_a_workbench_error() -> None:
    with pytest.raises(ConnectError, match="no-such-board"):
        probe("sim://no-such-board")


def test_device_that_stops_answering_fails_with_the_step() -> None:
    with pytest.raises(ProbeError, match=r"failed at step [12]/5"):
        probe(
            "sim://stm32?boot_ms=0&hang_after=400", base=DEFAULT_PROFILE.with_changes(response_timeout_s=0.5)
        )


def test_propose_profile_takes_the_measured_plain_raw_pacing() -> None:
    figures = {"entered_raw_s": 0.05, "start_needed_extra_time": False, "median_ms": 20, "p95_ms": 21, "window": None}
    plain = propose_profile(
        DEFAULT_PROFILE, raw_paste_supported=False, flow_control_reliable=None, plain_raw=Pacing(36, 0.01), **figures
    )
    assert (plain.chunk_size, plain.chunk_delay_s, plain.raw_paste) == (36, 0.01, "never")
    assert plain.verify_code == "always"  # plain raw mode: the board checks the code first
    paste = propose_profile(
        DEFAULT_PROFILE,
        raw_paste_supported=True,
        flow_control_reliable=True,
        plain_raw=Pacing(36, 0.01),
        **{**figures, "window": 128},
    )
    assert (paste.chunk_size, paste.raw_paste, paste.verify_code) == (128, "auto", "never")


# ---------------------------------------------------------------------- a board that loses bytes
def test_probe_of_a_board_that_loses_bytes_proposes_a_pacing_that_works() -> None:
    """Issue 15's acceptance check: the probe's own fingerprint works on the board, and the
    pacing it proposes runs a 1 KB program right 5 times out of 5, where the default loses."""
    started = time.monotonic()
    report = probe(LOSSY)
    took = time.monotonic() - started
    assert took < 15, report.format_text()
    assert (report.implementation, report.version, report.platform) == ("micropython", "1.12.0", "esp8266")
    assert next(s for s in report.steps if s.name == "fingerprint").ok
    pacing = next(s for s in report.steps if s.name == "plain-raw pacing")
    assert pacing.ok and "LOST" in pacing.detail and "a margin below" in pacing.detail
    proposed = report.proposed
    assert proposed.raw_paste == "never" and proposed.verify_code == "always"
    assert (proposed.chunk_size, proposed.chunk_delay_s) == (report.plain_raw_chunk_size, report.plain_raw_chunk_delay_s)
    # Below what the board can take: 64 bytes (its FIFO) every 10 ms, CTRL-D included.
    assert proposed.chunk_size < 64 and proposed.chunk_delay_s >= 0.01
    # The throughput measured is what that pacing gives (a little less: the line and the OK).
    nominal = proposed.chunk_size / proposed.chunk_delay_s
    assert report.plain_raw_bytes_per_s is not None and 0.5 * nominal < report.plain_raw_bytes_per_s <= nominal
    data = json.loads(json.dumps(report.to_json()))
    assert data["plain_raw_chunk_size"] == proposed.chunk_size
    assert data["proposed"]["chunk_size"] == proposed.chunk_size
    assert f"plain raw      {proposed.chunk_size} B every 10 ms arrived intact" in report.format_text()

    assert len(PROGRAM) > 1000
    with connect(LOSSY, proposed) as session:
        outputs = [session.exec(PROGRAM, timeout=10).stdout.strip() for _ in range(5)]
        assert outputs == [PROGRAM_SUM] * 5
        assert session.raw_paste_supported is None  # never asked: plain raw mode throughout
        # The same program with the engine's default pacing (256 B every 10 ms) and no check:
        # the board loses bytes, the closing CTRL-D included.
        session.set_profile(proposed.with_changes(chunk_size=256, chunk_delay_s=0.01, verify_code="never"))
        try:
            result = session.exec(PROGRAM, timeout=10)
        except WorkbenchError:
            pass
        else:
            assert result.stdout.strip() != PROGRAM_SUM


# ---------------------------------------------------------------------- the fingerprint
def test_fingerprint_code_is_one_write_a_small_receive_buffer_takes() -> None:
    assert len(FINGERPRINT_CODE) + 1 <= FINGERPRINT_CHUNK_SIZE  # the code and its CTRL-D: one write
    assert FINGERPRINT_CHUNK_SIZE <= 64 and FINGERPRINT_CHUNK_DELAY_S >= 0.01


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        (
            "WBFP esp32 (name='micropython', version=(1, 22, 2, ''), _machine='ESP32 module', _mpy=10502)",
            Fingerprint("micropython", "1.22.2", "esp32", "ESP32 module"),
        ),
        (
            "WBFP linux (name='micropython', version=(1, 29, 0, 'preview'), _machine='linux', _build='standard')",
            Fingerprint("micropython", "1.29.0-preview", "linux", "linux"),
        ),
        (
            "WBFP RP2040 (name='circuitpython', version=(8, 2, 9), _machine='Raspberry Pi Pico with rp2040', _mpy=517)",
            Fingerprint("circuitpython", "8.2.9", "RP2040", "Raspberry Pi Pico with rp2040"),
        ),
        ("WBFP esp8266 (name='micropython', version=(1, 12, 0), mpy=10757)", Fingerprint("micropython", "1.12.0", "esp8266", "")),
        # A port built without attribute tuples, and one without sys.platform.
        ("WBFP minimal ('micropython', (1, 9, 4))", Fingerprint("micropython", "1.9.4", "minimal", "")),
        ("WBFP  (name='micropython', version=(1, 20, 0), _machine='x')", Fingerprint("micropython", "1.20.0", "", "x")),
        # No sys.implementation; output that is not a literal is read as nothing, never run.
        ("WBFP zephyr ", Fingerprint("", "", "zephyr", "")),
        ("WBFP x (name=__import__('os').system('false'), version=(1, 2))", Fingerprint("", "1.2", "x", "")),
        ("WBFP x (name='a', version=(1, 2", Fingerprint("", "", "x", "")),
        ("boot noise\r\nWBFP p (name=\"it's\", version=(1, 0, 0))", Fingerprint("it's", "1.0.0", "p", "")),
    ],
)
def test_parse_fingerprint(printed: str, expected: Fingerprint) -> None:
    assert parse_fingerprint(printed) == expected


def test_parse_fingerprint_without_its_line() -> None:
    assert parse_fingerprint("") is None
    assert parse_fingerprint("Traceback (most recent call last):\nNameError: name 'x' isn't defined") is None


def test_fingerprint_on_a_board_that_loses_bytes_is_small_writes_in_plain_raw_mode() -> None:
    with connect(LOSSY) as session:
        before = session.profile
        assert before.chunk_size > 64  # the profile's own pacing would lose the fingerprint
        assert fingerprint(session) == Fingerprint("micropython", "1.12.0", "esp8266", "")
        assert session.profile == before  # restored
        assert session.raw_paste_supported is None  # raw-paste not asked for
        code = FINGERPRINT_CODE.encode() + b"\x04"
        writes = [r.data for r in session.trace.records() if r.dir == "tx"]
        assert code in writes  # one write, which the board's 64-byte buffer takes whole
        assert not any(b"\x05A\x01" in data for data in writes)


def test_a_failed_fingerprint_is_empty_a_lost_board_raises_and_the_profile_never_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with connect("sim://generic") as session:
        before = session.profile

        def times_out(*_args: object, **_kwargs: object) -> None:
            raise DeviceTimeout("waiting for OK", "'OK'", b"", 0.5)

        monkeypatch.setattr(session, "exec", times_out)
        assert fingerprint(session) == Fingerprint("", "", "", "")

        def unplugged(*_args: object, **_kwargs: object) -> None:
            raise DeviceDisconnected("gone")

        monkeypatch.setattr(session, "exec", unplugged)
        with pytest.raises(DeviceDisconnected):
            fingerprint(session)
        monkeypatch.undo()
        assert fingerprint(session).implementation == "micropython"
        assert session.profile == before  # its settings were for its own exec only


def test_the_probes_own_execs_are_not_verified_and_the_proposal_keeps_the_setting() -> None:
    """A profile that checks code (the presets' verify_code) would make every round trip two
    execs and stage the payloads under test: the probe measures with single execs."""
    trace = TraceRecorder()
    report = probe("sim://generic?boot_ms=0", base=DEFAULT_PROFILE.with_changes(verify_code="always"), trace=trace)
    assert report.proposed.verify_code == "always"
    notes = [record.meaning for record in trace.records() if record.dir == "note"]
    assert not any("verify_code" in note for note in notes), notes
