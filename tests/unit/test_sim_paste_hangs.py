"""The ``paste_hangs`` fault, byte by byte: a board whose raw-paste is broken (issue 15).

A real build answered the raw-paste request as usual, ended the paste at once with CTRL-D and
then answered nothing until it was restarted. The simulated board must do exactly that, so
the engine's handling of it can be tested; these tests read its bytes past the engine.
"""

from __future__ import annotations

import time

import pytest
import serial

import workbench
from tests.support.port_reading import read_until_marker
from workbench.sim.options import parse_sim_url
from workbench.transports import open_port

HANGS = "sim://generic?paste_hangs=1&boot_ms=0"
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
ASK_RAW_PASTE = b"\x05A\x01"
#: R, accepted, window 128 little-endian, the first credit; then CTRL-D before any code.
BROKEN_ANSWER = b"R\x01\x80\x00\x01\x04"
#: How long a silent board is listened to: far longer than the simulated board takes to
#: answer anything (it answers within a millisecond on native USB).
SILENCE_S = 0.3


def _raw_prompt(port: serial.SerialBase) -> None:
    read_until_marker(port, b">>> ", 5)
    port.write(b"\x03\x01")
    read_until_marker(port, RAW_PROMPT, 5)


def _silent(port: serial.SerialBase) -> bytes:
    """What the board sends in SILENCE_S (b"" for a silent one)."""
    deadline = time.monotonic() + SILENCE_S
    data = b""
    while time.monotonic() < deadline:
        data += port.read(max(1, port.in_waiting))
    return data


def test_the_request_is_accepted_then_the_paste_ends_and_the_board_goes_silent() -> None:
    port = open_port(HANGS)
    try:
        _raw_prompt(port)
        port.write(ASK_RAW_PASTE)
        assert read_until_marker(port, BROKEN_ANSWER, 5) == BROKEN_ANSWER
        # Code, its CTRL-D, then everything a host tries to get a prompt back: no answer.
        port.write(b"print(1)\x04\x03\x03\x01\r\x02\x04")
        assert _silent(port) == b""
    finally:
        port.close()


def test_the_reset_button_wakes_it_and_it_breaks_again_at_the_next_request() -> None:
    port = open_port(HANGS)
    try:
        _raw_prompt(port)
        port.write(ASK_RAW_PASTE)
        read_until_marker(port, BROKEN_ANSWER, 5)
        port.device.press_reset()
        _raw_prompt(port)  # the banner after the reset, then the raw REPL as usual
        port.write(b"print(6*7)\x04")
        assert read_until_marker(port, b"\x04>", 5) == b"OK42\r\n\x04\x04>"  # plain raw mode works
        port.write(ASK_RAW_PASTE)
        assert read_until_marker(port, BROKEN_ANSWER, 5) == BROKEN_ANSWER
        assert _silent(port) == b""
    finally:
        port.close()


def test_dtr_rts_reset_wakes_a_board_wired_for_it() -> None:
    port = open_port("sim://esp32?paste_hangs=1&boot_ms=0")
    try:
        _raw_prompt(port)
        port.write(ASK_RAW_PASTE)
        read_until_marker(port, BROKEN_ANSWER, 5)
        port.dtr, port.rts = False, True  # esptool's circuit: EN low
        port.rts = False  # EN released: the chip boots
        read_until_marker(port, b"rst:0x1 (POWERON_RESET)", 5)
        _raw_prompt(port)
    finally:
        port.close()


def test_a_new_connection_is_a_fresh_board() -> None:
    first = open_port(HANGS)
    try:
        _raw_prompt(first)
        first.write(ASK_RAW_PASTE)
        read_until_marker(first, BROKEN_ANSWER, 5)
    finally:
        first.close()
    with workbench.connect(HANGS, workbench.Profile(raw_paste="never")) as session:
        assert session.exec("print('fresh')").stdout.strip() == "fresh"


def test_the_option_is_a_boolean_and_off_by_default() -> None:
    assert parse_sim_url("sim://generic?paste_hangs")[1].paste_hangs is True
    assert parse_sim_url("sim://generic")[1].paste_hangs is False
    with pytest.raises(ValueError, match="paste_hangs='maybe' is not valid: expected a boolean"):
        parse_sim_url("sim://generic?paste_hangs=maybe")


def test_a_board_without_raw_paste_is_not_affected() -> None:
    port = open_port("sim://legacy?paste_hangs=1&boot_ms=0")
    try:
        _raw_prompt(port)
        port.write(ASK_RAW_PASTE)  # old firmware: CTRL-E A go into the line, CTRL-A the banner again
        read_until_marker(port, RAW_PROMPT, 5)
    finally:
        port.close()
