"""Tests for serial port discovery and the board guess shown to users."""

from __future__ import annotations

import json

import pytest
import serial.tools.list_ports
from serial.tools.list_ports_common import ListPortInfo

from workbench.discovery.devices import DeviceEntry, available_devices, format_devices_table
from workbench.discovery.ports import PortInfo, guess_board, list_ports


def make_port(**overrides: object) -> PortInfo:
    """A PortInfo with sensible defaults, so each test states only what matters."""
    fields: dict[str, object] = {
        "device": "/dev/ttyACM0",
        "vid": 0x2E8A,
        "pid": 0x0005,
        "serial_number": "E660583883",
        "description": "Board in FS mode",
        "manufacturer": "MicroPython",
        "product": "Board in FS mode",
        "location": "1-1:1.0",
        "board_guess": "Raspberry Pi Pico / RP2040 / RP2350 (MicroPython)",
    }
    fields.update(overrides)
    return PortInfo(**fields)  # type: ignore[arg-type]


def fake_comport(
    device: str,
    vid: int | None = None,
    pid: int | None = None,
    description: str = "n/a",
    **extra: str | None,
) -> ListPortInfo:
    """Build the object pyserial's comports() would return for one port."""
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid = vid
    info.pid = pid
    info.description = description
    for name, value in extra.items():
        setattr(info, name, value)
    return info


# --- guess_board -----------------------------------------------------------


@pytest.mark.parametrize(
    ("vid", "pid", "expected_fragment"),
    [
        (0x2E8A, 0x0005, "MicroPython"),
        (0xF055, 0x9800, "Pyboard"),
        (0xF055, 0x9802, "Pyboard"),
        (0x303A, 0x1001, "native USB"),
        (0x10C4, 0xEA60, "CP210x"),
        (0x1A86, 0x7523, "CH340"),
        (0x1A86, 0x55D4, "CH9102"),
        (0x0403, 0x6001, "FT232R"),
        (0x0403, 0x6015, "FT231X"),
        (0x0D28, 0x0204, "micro:bit"),
    ],
)
def test_guess_board_exact_ids(vid: int, pid: int, expected_fragment: str) -> None:
    guess = guess_board(vid, pid)
    assert guess is not None
    assert expected_fragment in guess


def test_cp210x_guess_is_the_documented_label() -> None:
    assert guess_board(0x10C4, 0xEA60) == "ESP32/ESP8266 board (CP210x bridge)"


@pytest.mark.parametrize(
    ("vid", "expected"),
    [
        (0x239A, "Adafruit board (CircuitPython likely)"),
        (0x2341, "Arduino board"),
        (0x2886, "Seeed Studio board"),
    ],
)
def test_guess_board_vendor_fallback_for_any_pid(vid: int, expected: str) -> None:
    assert guess_board(vid, 0x8029) == expected
    assert guess_board(vid, 0x0001) == expected


def test_exact_match_beats_vendor_fallback() -> None:
    # Same vendor, different answers: the exact pair must win.
    assert guess_board(0x2E8A, 0x0005) != guess_board(0x2E8A, 0xBEEF)
    assert guess_board(0x2E8A, 0xBEEF) == "Raspberry Pi RP2040/RP2350 device"


def test_vendor_fallback_works_without_pid() -> None:
    assert guess_board(0x239A, None) == "Adafruit board (CircuitPython likely)"


@pytest.mark.parametrize(
    ("description", "manufacturer", "product", "expected"),
    [
        ("", "", "Feather with CircuitPython", "CircuitPython board"),
        ("MicroPython Board in FS mode", "", "", "MicroPython board"),
        ("", "micropython.org", "", "MicroPython board"),
    ],
)
def test_guess_board_text_fallback(
    description: str, manufacturer: str, product: str, expected: str
) -> None:
    assert guess_board(0x1209, 0x1234, description, manufacturer, product) == expected


def test_text_fallback_applies_when_ids_are_missing() -> None:
    assert guess_board(None, None, product="MicroPython") == "MicroPython board"


def test_ids_take_priority_over_text() -> None:
    guess = guess_board(0x10C4, 0xEA60, description="CircuitPython")
    assert guess == "ESP32/ESP8266 board (CP210x bridge)"


@pytest.mark.parametrize(
    ("vid", "pid", "description"),
    [
        (0x1234, 0x5678, "Some USB gadget"),
        (None, None, ""),
        (None, None, "ttyS0"),
    ],
)
def test_guess_board_unknown_returns_none(
    vid: int | None, pid: int | None, description: str
) -> None:
    assert guess_board(vid, pid, description) is None


def test_guess_board_tolerates_none_strings() -> None:
    assert guess_board(0x1234, 0x5678, None, None, None) is None


# --- PortInfo ----------------------------------------------------------------


def test_vid_pid_is_lowercase_hex() -> None:
    assert make_port(vid=0x2E8A, pid=0x0005).vid_pid() == "2e8a:0005"
    assert make_port(vid=0x10C4, pid=0xEA60).vid_pid() == "10c4:ea60"


def test_vid_pid_empty_when_unknown() -> None:
    assert make_port(vid=None, pid=None).vid_pid() == ""
    assert make_port(vid=0x2E8A, pid=None).vid_pid() == ""


def test_to_json_round_trips_through_json_dumps() -> None:
    port = make_port()
    data = json.loads(json.dumps(port.to_json()))
    assert data == port.to_json()
    assert data["device"] == "/dev/ttyACM0"
    assert data["vid"] == "0x2e8a"
    assert data["pid"] == "0x0005"
    assert data["vid_pid"] == "2e8a:0005"
    assert data["serial_number"] == "E660583883"
    assert data["board_guess"] == port.board_guess
    assert set(data) == {
        "device",
        "vid",
        "pid",
        "vid_pid",
        "serial_number",
        "description",
        "manufacturer",
        "product",
        "location",
        "board_guess",
    }


def test_to_json_uses_null_for_unknown_ids() -> None:
    port = make_port(vid=None, pid=None, serial_number=None, board_guess=None)
    text = json.dumps(port.to_json())
    data = json.loads(text)
    assert data["vid"] is None
    assert data["pid"] is None
    assert data["vid_pid"] == ""
    assert data["board_guess"] is None


def test_port_info_is_immutable() -> None:
    port = make_port()
    with pytest.raises(AttributeError):
        port.device = "/dev/ttyUSB9"  # type: ignore[misc]


# --- the devices table (workbench ports) ---------------------------------------


def _column_starts(line: str, cells: list[str]) -> list[int]:
    """Index where each cell begins, searching left to right."""
    starts: list[int] = []
    position = 0
    for cell in cells:
        position = line.index(cell, position)
        starts.append(position)
        position += len(cell)
    return starts


def _serial_entry(port: PortInfo) -> DeviceEntry:
    return DeviceEntry(port.device, "serial", port.description or "serial port", port.board_guess, port)


def test_devices_table_aligns_columns() -> None:
    ports = [
        make_port(),
        make_port(
            device="/dev/ttyUSB10",
            vid=0x10C4,
            pid=0xEA60,
            serial_number=None,
            description="CP2102 USB to UART Bridge Controller",
            board_guess=None,
        ),
    ]
    lines = format_devices_table([_serial_entry(port) for port in ports]).splitlines()
    assert len(lines) == 3
    header_cells = ["URL", "KIND", "VID:PID", "SERIAL", "BOARD", "DESCRIPTION"]
    first_cells = [
        "/dev/ttyACM0",
        "serial",
        "2e8a:0005",
        "E660583883",
        "Raspberry Pi Pico / RP2040 / RP2350 (MicroPython)",
        "Board in FS mode",
    ]
    second_cells = ["/dev/ttyUSB10", "serial", "10c4:ea60", "-", "-", "CP2102 USB to UART Bridge Controller"]
    header_starts = _column_starts(lines[0], header_cells)
    assert _column_starts(lines[1], first_cells) == header_starts
    assert _column_starts(lines[2], second_cells) == header_starts
    assert all(line == line.rstrip() for line in lines)


def test_devices_list_has_every_simulated_board_and_says_when_no_port_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda include_links=False: [])
    entries = available_devices()
    urls = [entry.url for entry in entries]
    for name in ("generic", "esp32", "esp8266", "rp2040", "stm32", "circuitpython", "legacy"):
        assert f"sim://{name}" in urls
    text = format_devices_table(entries)
    assert "no serial ports found" in text and "sim://" in text


# --- list_ports ----------------------------------------------------------------


def test_list_ports_converts_sorts_and_guesses(monkeypatch: pytest.MonkeyPatch) -> None:
    fakes = [
        fake_comport(
            "/dev/ttyUSB10",
            0x1A86,
            0x7523,
            "USB Serial",
        ),
        fake_comport(
            "/dev/ttyACM0",
            0x2E8A,
            0x0005,
            "Board in FS mode",
            serial_number="E660583883",
            manufacturer="MicroPython",
            product="Board in FS mode",
            location="1-1:1.0",
        ),
        fake_comport("/dev/ttyUSB2", 0x10C4, 0xEA60, "CP2102"),
        fake_comport("/dev/ttyS0"),
    ]
    monkeypatch.setattr(
        serial.tools.list_ports, "comports", lambda include_links=False: fakes
    )

    ports = list_ports()

    assert [p.device for p in ports] == [
        "/dev/ttyACM0",
        "/dev/ttyS0",
        "/dev/ttyUSB2",
        "/dev/ttyUSB10",
    ]
    pico = ports[0]
    assert pico.vid_pid() == "2e8a:0005"
    assert pico.serial_number == "E660583883"
    assert pico.manufacturer == "MicroPython"
    assert pico.product == "Board in FS mode"
    assert pico.location == "1-1:1.0"
    assert pico.board_guess is not None and "MicroPython" in pico.board_guess
    assert ports[2].board_guess == "ESP32/ESP8266 board (CP210x bridge)"
    assert ports[3].board_guess is not None and "CH340" in ports[3].board_guess
    legacy = ports[1]
    assert legacy.board_guess is None
    assert legacy.description == ""  # pyserial's "n/a" placeholder is dropped
    assert legacy.vid_pid() == ""


def test_list_ports_passes_include_links(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def fake_comports(include_links: bool = False) -> list[ListPortInfo]:
        seen.append(include_links)
        return [fake_comport("/dev/serial/by-id/usb-MicroPython_Board")]

    monkeypatch.setattr(serial.tools.list_ports, "comports", fake_comports)

    assert len(list_ports(include_links=True)) == 1
    assert list_ports() != []
    assert seen == [True, False]


def test_list_ports_returns_empty_on_oserror(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_comports(include_links: bool = False) -> list[ListPortInfo]:
        raise OSError("no /sys/class/tty here")

    monkeypatch.setattr(serial.tools.list_ports, "comports", broken_comports)

    assert list_ports() == []


def test_list_ports_with_no_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        serial.tools.list_ports, "comports", lambda include_links=False: []
    )
    assert list_ports() == []
