"""Failure cases: silent devices, devices that die, garbage, RFC 2217 through ser2net.

Each ends with a clear error within its deadline (or a correct result), never a hang.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import workbench
from tests.conftest import requires_micropython
from tests.support.fake_device import DiesMidRun, NoisyOldFirmware, SilentDevice
from tests.support.pty_bridge import PtyBridge
from tests.support.ser2net import Ser2NetServer, ser2net_path
from workbench import ConnectError, DeviceDisconnected, DeviceTimeout, Profile
from workbench.engine.engine import RAW_PASTE_ASKS

FAST = Profile(response_timeout_s=0.3, retries=1, interrupt_delay_s=0.02)


def run_cli(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """The real command line, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_silent_device_times_out_with_a_clear_error() -> None:
    with SilentDevice() as device, workbench.connect(device.url, FAST) as session:
        started = time.monotonic()
        with pytest.raises(DeviceTimeout) as caught:
            session.exec("print(1)")
        elapsed = time.monotonic() - started
    message = str(caught.value)
    assert "entering the raw REPL" in message
    assert "raw REPL; CTRL-B to exit" in message  # what was expected
    assert "tried 1 time" in message  # not a byte came: another attempt would hear nothing
    # one attempt: interrupt + quiet wait, then the response timeout
    assert elapsed < 0.02 + 0.3 + 0.5


def test_a_timeout_shows_the_bytes_that_came_after_the_last_request() -> None:
    # pyserial's loopback echoes every write: after CR CTRL-A the only fresh bytes are its
    # echo; the echo of the CTRL-C(s) before it answered earlier requests.
    profile = Profile(response_timeout_s=0.3, retries=0, interrupt_delay_s=0.02)
    with workbench.connect("loop://", profile) as session, pytest.raises(DeviceTimeout) as caught:
        session.enter_raw()
    assert caught.value.received == b"\r\x01"
    assert str(caught.value).endswith("last bytes received: b'\\r\\x01'")


@pytest.mark.parametrize(
    ("url", "step"),
    [
        ("sim://generic?boot_ms=0&hang_after=113", "entering the raw REPL"),  # banner, then silence
        ("sim://generic?boot_ms=0&no_flow_control=1", "sending code (raw-paste)"),  # window, no credit
    ],
)
def test_a_timeout_says_nothing_came_when_nothing_did(url: str, step: str) -> None:
    with workbench.connect(url, FAST) as session, pytest.raises(DeviceTimeout) as caught:
        session.exec("x = 1\n" * 100)
    assert f"while {step}" in str(caught.value)
    assert caught.value.received == b""
    assert str(caught.value).endswith("last bytes received: nothing")


def test_silent_device_cli_exits_3_without_traceback() -> None:
    with SilentDevice() as device:
        proc = run_cli("exec", device.url, "print(1)", "--response-timeout", "0.3")
    assert proc.returncode == 3
    assert proc.stderr.startswith("workbench: timeout after")
    assert "Traceback" not in proc.stderr


def test_garbage_before_banner_and_old_firmware_fall_back_to_raw_mode() -> None:
    with NoisyOldFirmware() as device, workbench.connect(device.url, FAST) as session:
        result = session.exec("print('x')")
        second = session.exec("print('y')")
    assert result.raw_paste is False
    assert session.raw_paste_supported is False
    assert result.stdout.strip() == "ran 10 bytes"
    assert second.stdout.strip() == "ran 10 bytes"
    # asked on the first run only (twice: a lost CTRL-E gets the same answer as old firmware)
    assert device.received.count(b"\x05A\x01") == RAW_PASTE_ASKS == 2


def test_device_that_dies_mid_exec_is_reported_disconnected() -> None:
    with DiesMidRun() as device, workbench.connect(device.url, FAST) as session:
        with pytest.raises((DeviceDisconnected, DeviceTimeout)) as caught:
            session.exec("print('partial out')")
        assert session.state in ("disconnected", "running (stdout)")
    assert device.url.split("//")[1] in str(caught.value) or "timeout" in str(caught.value)


@requires_micropython
def test_interpreter_killed_mid_exec_raises_disconnected() -> None:
    session = workbench.connect("spawn://micropython")
    try:
        pid = session.port.pid

        def kill_on_start(stream: str, text: str) -> None:
            if "started" in text:
                os.kill(pid, signal.SIGKILL)

        with pytest.raises(DeviceDisconnected) as caught:
            session.exec("print('started')\nwhile True:\n  pass", on_output=kill_on_start)
        assert "died" in str(caught.value)
        assert session.state == "disconnected"
        with pytest.raises(DeviceDisconnected):
            session.exec("print(1)")
    finally:
        session.close()


@requires_micropython
def test_closing_leaves_no_process_behind() -> None:
    with workbench.connect("spawn://micropython") as session:
        session.exec("pass")
        pid = session.port.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_unknown_port_is_a_connect_error() -> None:
    with pytest.raises(ConnectError) as caught:
        workbench.connect("/dev/does-not-exist-wb")
    assert "/dev/does-not-exist-wb" in str(caught.value)


def test_cli_bad_url_exits_3_and_bad_file_exits_2(tmp_path) -> None:
    proc = run_cli("exec", "/dev/does-not-exist-wb", "print(1)")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    proc = run_cli("run", "loop://", str(tmp_path / "missing.py"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"t": 0, "dir": "tx", "hex": "zz"}\n')
    proc = run_cli("trace", str(bad))
    assert proc.returncode == 2 and "bad.jsonl:1" in proc.stderr


def test_hard_reset_on_a_socket_is_not_supported() -> None:
    with NoisyOldFirmware() as device, workbench.connect(device.url, FAST) as session:
        with pytest.raises(workbench.NotSupported) as caught:
            session.hard_reset()
        assert "DTR/RTS" in str(caught.value)
        assert session.exec("print(1)").stdout.strip() == "ran 8 bytes"


@requires_micropython
@pytest.mark.skipif(ser2net_path() is None, reason="ser2net not installed: apt-get install ser2net")
def test_rfc2217_through_ser2net() -> None:
    with (
        PtyBridge("spawn://micropython") as bridge,
        Ser2NetServer(bridge.path, chardelay=False) as server,
        workbench.connect(server.pty_url) as session,
    ):
        result = session.exec("import sys\nprint(sys.implementation.name, 6 * 7)")
        big = session.exec("\n".join(f"a{i} = {i}" for i in range(2000)) + "\nprint(a1999)")
    assert result.stdout.strip() == "micropython 42"
    assert big.raw_paste is True and big.stdout.strip() == "1999"
