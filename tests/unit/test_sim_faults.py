"""Every fault a simulated board can inject ends in a clear error or a correct result,
within its deadline, and a healthy board works afterwards.
"""

from __future__ import annotations

import time

import pytest

import workbench
from workbench import (
    DeviceDisconnected,
    DeviceTimeout,
    ExecTimeout,
    Profile,
    TransferError,
    WorkbenchError,
)
from workbench.sim.options import SimOptions, parse_sim_url

FAST = Profile(response_timeout_s=0.5, retries=1, interrupt_delay_s=0.02)
BIG = "\n".join(f"v{i} = {i}" for i in range(5000)) + "\nprint('total', v0 + v2500 + v4999)\n"
BIG_OUT = "total 7499"


def healthy_board_works() -> None:
    with workbench.connect("sim://generic") as session:
        assert session.exec("print('healthy')").stdout.strip() == "healthy"


@pytest.mark.parametrize("url", ["sim://esp32?latency_ms=30&boot_ms=0", "sim://generic?baud=9600"])
def test_slow_links_still_give_correct_results(url: str) -> None:
    with workbench.connect(url, FAST) as session:
        result = session.exec("print(sum(range(10)))")
    assert result.stdout.strip() == "45"


def test_boot_noise_is_tolerated() -> None:
    with workbench.connect("sim://esp32?noise=300&seed=3&boot_ms=0", FAST) as session:
        assert session.exec("print('clean')").stdout.strip() == "clean"
        rx = b"".join(r.data for r in session.trace.records() if r.dir == "rx")
    assert len(rx) > 300  # the garbage did arrive before the banner


@pytest.mark.parametrize("seed", range(6))
def test_drop_during_50kb_paste_is_right_or_reported_never_silently_wrong(seed: int) -> None:
    assert len(BIG) > 50_000
    url = f"sim://generic?drop=0.0002&seed={seed}"
    started = time.monotonic()
    with workbench.connect(url, FAST) as session:
        try:
            result = session.exec(BIG)
        except (TransferError, DeviceTimeout) as exc:
            assert "lost" in str(exc) or "CTRL-A" in str(exc) or "timeout" in str(exc)
        else:
            # Right, or not reported as success: a byte lost inside the code often breaks its
            # syntax, and the board then ends the paste early with a SyntaxError as a real
            # board does (the credit audit cannot finish then).
            assert (result.ok and result.stdout.strip() == BIG_OUT) or _damage_shown(result)
    assert time.monotonic() - started < 10
    healthy_board_works()


def _damage_shown(result: workbench.ExecResult) -> bool:
    """The damaged code failed to compile on the board: reported as an error, not a success."""
    return not result.ok and result.exception is not None and result.exception.type_name == "SyntaxError"


def test_lost_bytes_in_a_paste_are_reported_as_lost() -> None:
    # seed chosen so bytes are lost inside the code but no control byte is hit
    outcomes = []
    for seed in range(20):
        with workbench.connect(f"sim://generic?drop=0.0001&seed={seed}", FAST) as session:
            try:
                result = session.exec(BIG)
                if result.ok:
                    outcomes.append("ok" if result.stdout.strip() == BIG_OUT else "WRONG")
                else:
                    outcomes.append("syntax" if _damage_shown(result) else "WRONG")
            except TransferError:
                outcomes.append("lost")
            except DeviceTimeout:
                outcomes.append("timeout")
    assert "WRONG" not in outcomes
    assert "lost" in outcomes  # the audit, not luck, caught at least one


@pytest.mark.parametrize("seed", range(4))
def test_corruption_ends_in_a_result_or_a_clear_error(seed: int) -> None:
    started = time.monotonic()
    with workbench.connect(f"sim://generic?corrupt=0.0002&seed={seed}", FAST) as session:
        try:
            result = session.exec(BIG, timeout=5)
        except WorkbenchError as exc:
            assert str(exc)  # a message a person can read
        else:
            assert result.exception is None or result.exception.type_name
    assert time.monotonic() - started < 15
    healthy_board_works()


def test_disconnect_mid_raw_paste() -> None:
    with workbench.connect("sim://generic?disconnect_after=6000", FAST) as session:
        started = time.monotonic()
        with pytest.raises(DeviceDisconnected) as caught:
            session.exec(BIG)
        assert time.monotonic() - started < 2
        assert "unplugged" in str(caught.value)
        assert session.state == "disconnected"
        with pytest.raises(DeviceDisconnected):
            session.exec("print(1)")
    healthy_board_works()


def test_hang_in_the_middle_of_output() -> None:
    code = "for i in range(3000):\n  print('line', i)"
    with workbench.connect("sim://generic?hang_after=4000", FAST) as session:
        started = time.monotonic()
        with pytest.raises(ExecTimeout):
            session.exec(code, timeout=1.0)
        # the timeout, plus one bounded attempt to interrupt and resync
        assert time.monotonic() - started < 1.0 + 2 * FAST.response_timeout_s + 0.5
        with pytest.raises(DeviceTimeout) as caught:
            session.exec("print(1)")
        assert "entering the raw REPL" in str(caught.value)
    healthy_board_works()


def test_no_flow_control_is_a_flow_control_timeout() -> None:
    with workbench.connect("sim://generic?no_flow_control=1", FAST) as session:
        started = time.monotonic()
        with pytest.raises(DeviceTimeout) as caught:
            session.exec(BIG)
        assert time.monotonic() - started < 1.5
    assert "CTRL-A (window credit)" in str(caught.value)
    healthy_board_works()


def test_plain_raw_mode_works_where_flow_control_does_not() -> None:
    with workbench.connect("sim://generic?no_flow_control=1", Profile(raw_paste="never", chunk_delay_s=0)) as s:
        result = s.exec(BIG)
    assert result.stdout.strip() == BIG_OUT and result.raw_paste is False


@pytest.mark.parametrize("size", [1, 100, 255, 256, 257, 1000, 10_000])
def test_legacy_runs_code_of_every_size_in_raw_mode(size: int) -> None:
    body = "x = 0\n" + "#" * max(0, size - len("x = 0\nprint(x)\n") - 1) + "\nprint(x)\n"
    with workbench.connect("sim://legacy?boot_ms=0&baud=0", FAST) as session:
        result = session.exec(body)
    assert result.raw_paste is False and session.raw_paste_supported is False
    assert result.stdout.strip() == "0"


def test_esp32_resets_on_dtr_rts() -> None:
    with workbench.connect("sim://esp32?boot_ms=50", FAST) as session:
        session.exec("survivor = 1")
        session.hard_reset()
        result = session.exec("print('survivor' in globals())")
        rx = b"".join(r.data for r in session.trace.records() if r.dir == "rx")
    assert result.stdout.strip() == "False"
    assert rx.count(b"rst:0x1 (POWERON_RESET)") >= 2  # the ROM boot log, at open and at reset


def test_machine_reset_reboots_the_board() -> None:
    with workbench.connect("sim://stm32?boot_ms=0", FAST) as session:
        session.exec("kept = 1")
        result = session.exec("print('resetting')\nimport machine\nmachine.reset()")
        assert result.rebooted and result.exception is not None
        assert result.exception.type_name == "DeviceReset"
        assert result.stdout.startswith("resetting")
        assert session.exec("print('kept' in globals())").stdout.strip() == "False"


def test_unknown_board_or_option_is_a_clear_connect_error() -> None:
    with pytest.raises(workbench.ConnectError) as caught:
        workbench.connect("sim://esp33")
    assert "known boards" in str(caught.value) and "esp32" in str(caught.value)
    with pytest.raises(workbench.ConnectError) as caught:
        workbench.connect("sim://esp32?dorp=0.1")
    assert "known options" in str(caught.value)


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("no_flow_control=banana", "no_flow_control='banana' is not valid: expected a boolean"),
        ("no_flow_control=2", "no_flow_control='2' is not valid: expected a boolean"),
        ("latency_ms=inf", "latency_ms='inf' is not valid: expected a finite number"),
        ("latency_ms=nan", "latency_ms='nan' is not valid: expected a finite number"),
        ("boot_ms=inf", "boot_ms='inf' is not valid: expected a finite number"),
        ("boot_ms=-inf", "boot_ms='-inf' is not valid"),
        ("boot_ms=NaN", "boot_ms='NaN' is not valid"),
        ("latency_ms=-5", "latency_ms cannot be negative"),
        ("boot_ms=1e300", "boot_ms is at most 600000 ms"),
        ("drop=nan", "drop='nan' is not valid"),
    ],
)
def test_a_bad_option_value_is_refused_naming_the_option(option: str, words: str) -> None:
    # Issue 12, item 14: no_flow_control=banana was silently false; latency_ms=inf and
    # boot_ms=inf crashed the board's thread.
    with pytest.raises(workbench.ConnectError) as caught:
        workbench.connect(f"sim://generic?{option}")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("text", "value"), [("1", True), ("true", True), ("On", True), ("", True), ("0", False), ("no", False)]
)
def test_boolean_options_take_the_usual_spellings(text: str, value: bool) -> None:
    assert parse_sim_url(f"sim://generic?no_flow_control={text}")[1].no_flow_control is value


def test_options_made_in_code_are_checked_too() -> None:
    with pytest.raises(ValueError, match="latency_ms must be a finite number"):
        SimOptions(latency_ms=float("inf"))
    with pytest.raises(ValueError, match="boot_ms must be a finite number"):
        SimOptions(boot_ms=float("nan"))


def test_no_flow_control_times_out_on_every_exec_not_only_the_first() -> None:
    with workbench.connect("sim://generic?no_flow_control=1", FAST) as session:
        session.exec("print('small')")  # fits the first window: raw-paste is known to work
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(DeviceTimeout):
                session.exec(BIG)
            assert time.monotonic() - started < 3


OVERRUN_CODE = "x = [\n" + "".join(f"    {i},\n" for i in range(100)) + "]\nprint('sum', sum(x))\n"


def test_rx_fifo_overrun_loses_a_burst_but_paced_writes_get_through() -> None:
    assert len(OVERRUN_CODE) > 256  # bigger than the two windows of credit raw-paste starts with
    with workbench.connect("sim://generic?rx_fifo=64", FAST) as session:
        started = time.monotonic()
        with pytest.raises((DeviceTimeout, TransferError)):
            session.exec(OVERRUN_CODE)  # 256 bytes at once into a 64-byte FIFO
        assert time.monotonic() - started < 2
        session.set_profile(FAST.with_changes(raw_paste="never", chunk_size=32, chunk_delay_s=0.02))
        result = session.exec(OVERRUN_CODE)
        assert result.stdout.strip() == "sum 4950" and result.raw_paste is False
        session.set_profile(FAST.with_changes(window_size_override=32, chunk_delay_s=0.02))
        result = session.exec(OVERRUN_CODE)
        assert result.stdout.strip() == "sum 4950" and result.raw_paste is True
    with pytest.raises(workbench.ConnectError) as caught:
        workbench.connect("sim://generic?rx_fifo=0")
    assert "rx_fifo" in str(caught.value)
