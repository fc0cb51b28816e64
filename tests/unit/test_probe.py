"""Adaptive protocol detection (workbench.profiles.probe) against the real interpreter and simulated boards.

Each board is probed once per module (a probe takes a fraction of a second with ``boot_ms=0``)
and the tests check the report's figures and the profile it proposes; the no-flow-control
board also proves the proposal works where the default profile does not.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import requires_micropython
from workbench.engine.profile import DEFAULT_PROFILE
from workbench.engine.session import connect
from workbench.errors import ConnectError, DeviceTimeout
from workbench.profiles.probe import ProbeError, ProbeReport, flow_control_code, probe, propose_profile

NO_FLOW = "sim://generic?no_flow_control=1"


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
