"""One program per serial port: a board opened by one workbench (a browser tab, a terminal, a
command) is refused to the next with a message that says who has it, and is free again once
closed. The port is a pty with a simulated board behind it, as a USB serial port would be."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support.pty_bridge import PtyBridge
from tests.support.ser2net import Ser2NetServer, ser2net_path
from workbench.app.widgets.devices_pane import _detail as devices_pane_detail
from workbench.engine.session import connect
from workbench.errors import ConnectError
from workbench.transports.exclusive import holder


@pytest.fixture
def board_port() -> Iterator[str]:
    with PtyBridge("sim://generic") as bridge:
        yield bridge.path


def test_a_second_open_is_refused_naming_who_has_the_port(board_port: str) -> None:
    first = connect(board_port)
    try:
        with pytest.raises(ConnectError) as refused:
            connect(board_port)
        assert str(refused.value).startswith(f"could not open {board_port}: in use: process {os.getpid()} (")
        assert "close it there, then connect again" in str(refused.value)
        assert first.exec("print(6 * 7)").stdout == "42\r\n"  # the owner is undisturbed
    finally:
        first.close()
    again = connect(board_port)  # closed: free for the next program
    try:
        assert again.exec("print(1)").stdout == "1\r\n"
    finally:
        again.close()


def test_a_command_on_a_board_the_app_has_gets_one_line_and_exit_3(board_port: str) -> None:
    owner = connect(board_port)
    try:
        proc = subprocess.run([sys.executable, "-m", "workbench", "exec", "-d", board_port, "print(1)"],
                              capture_output=True, text=True, timeout=60, check=False)
    finally:
        owner.close()
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1
    assert f"{board_port}: in use: process {os.getpid()}" in proc.stderr


def test_who_has_a_port_is_unknown_for_a_free_one(board_port: str) -> None:
    assert holder(board_port) is None
    assert holder("/no/such/port") is None


@pytest.mark.skipif(ser2net_path() is None, reason="ser2net not installed (.ci/run installs it with apt)")
def test_a_board_behind_ser2net_refuses_a_second_client_in_one_line(board_port: str) -> None:
    """ser2net's default (one client per port, no kicking the old one out): a second client is
    told the board is in use, in one line, with no traceback from pyserial's reader thread."""
    with Ser2NetServer(board_port, kickolduser=False) as ser2net:
        first = connect(ser2net.pty_url)
        try:
            proc = subprocess.run([sys.executable, "-m", "workbench", "exec", "-d", ser2net.pty_url, "print(1)"],
                                  capture_output=True, text=True, timeout=60, check=False)
            assert first.exec("print(6 * 7)").stdout == "42\r\n"
        finally:
            first.close()
    assert proc.returncode == 3
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "the board is probably in use by another program" in proc.stderr


def test_the_device_list_says_which_ports_another_program_has(board_port: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a lab, a student's devices pane (and `workbench ports`) shows which boards the other
    tabs have; the one this app has is not "in use"."""
    from workbench.discovery import devices
    from workbench.discovery.ports import PortInfo

    port = PortInfo(board_port, 0x2E8A, 0x0005, None, "Board in CDC mode", None, None, None, "Raspberry Pi Pico")
    monkeypatch.setattr(devices, "list_ports", lambda: [port])
    other = subprocess.Popen(
        [sys.executable, "-c", ("import sys; from workbench.transports import open_port; p = open_port(sys.argv[1]); "
                                "print('open', flush=True); sys.stdin.read()"), board_port],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline() == "open\n"
        (entry,) = [entry for entry in devices.available_devices() if entry.kind == "serial"]
        assert entry.in_use is not None and entry.in_use.startswith(f"process {other.pid} (")
        assert f"(in use by process {other.pid}" in devices.format_devices_table([entry])
        assert f"in use by process {other.pid}" in devices_pane_detail(entry)  # the app's row
    finally:
        other.communicate(timeout=30)
    mine = connect(board_port)
    try:
        (entry,) = [entry for entry in devices.available_devices() if entry.kind == "serial"]
        assert entry.in_use is None  # this process's own
    finally:
        mine.close()
