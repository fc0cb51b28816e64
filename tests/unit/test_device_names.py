"""Shortcuts and named devices: what a typed device means, and a settings file that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import serial.tools.list_ports

from workbench.config import Settings
from workbench.discovery.devices import (
    DeviceEntry,
    available_devices,
    format_devices_table,
    pick_default_device,
)
from workbench.discovery.names import (
    DeviceRef,
    expand_shortcut,
    load_named_devices,
    looks_like_device,
    parse_device_table,
    resolve_device,
)
from workbench.discovery.ports import PortInfo

WHERE = "settings file /x/settings.toml"


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("a0", "/dev/ttyACM0"),
        ("a99", "/dev/ttyACM99"),
        ("u1", "/dev/ttyUSB1"),
        ("c3", "COM3"),
        (" u0 ", "/dev/ttyUSB0"),
    ],
)
def test_mpremote_shortcuts(typed: str, url: str) -> None:
    assert expand_shortcut(typed) == url
    assert resolve_device(typed) == DeviceRef(url)


@pytest.mark.parametrize("typed", ["a", "a100", "a01", "x0", "A0", "a0b", "sim://generic", "/dev/ttyACM0", "COM3"])
def test_everything_else_passes_through_as_a_url(typed: str) -> None:
    assert expand_shortcut(typed) is None
    ref = resolve_device(typed, {"lab": "rfc2217://lab-pi:4000"})
    assert ref == DeviceRef(typed) and ref.label == typed and ref.name is None


def test_a_name_resolves_to_its_url_and_keeps_the_name_for_display() -> None:
    ref = resolve_device("lab", {"lab": "rfc2217://lab-pi:4000"})
    assert ref.url == "rfc2217://lab-pi:4000"
    assert ref.label == "lab"
    assert ref.describe() == "lab (rfc2217://lab-pi:4000)"
    assert resolve_device("lab") == DeviceRef("lab")  # no table: an unknown name is a URL


def test_the_table_keeps_good_entries_and_names_each_bad_one() -> None:
    names, problems = parse_device_table(
        {"lab": "rfc2217://lab-pi:4000", "pico": "a0", "a1": "sim://generic", "bad": 5,
         "two words": "sim://esp32", "blank": " ", "spaced": "sim:// generic"},
        WHERE,
    )
    assert names == {"lab": "rfc2217://lab-pi:4000", "pico": "/dev/ttyACM0"}  # a shortcut as value is expanded
    assert len(problems) == 5
    assert all(problem.startswith(WHERE + ": [devices] ") for problem in problems)
    text = "\n".join(problems)
    assert "'a1' is already the shortcut for /dev/ttyACM1" in text
    assert "'bad' must be a device URL" in text and "not 5" in text
    assert "'two words' must be one word" in text


def test_a_devices_value_that_is_not_a_table_is_one_problem() -> None:
    names, problems = parse_device_table(["lab"], WHERE)
    assert names == {} and len(problems) == 1
    assert "'devices' must be a table" in problems[0]


def test_looks_like_device() -> None:
    for text in ("sim://generic", "rfc2217://h:1", "/dev/ttyUSB0", "COM3", "a0"):
        assert looks_like_device(text)
    for text in ("print(1)", "x", "print('a://b')", "import os; os.listdir('/dev/')"):
        assert not looks_like_device(text)
    assert looks_like_device("lab", {"lab": "sim://generic"})


# ---------------------------------------------------------------------------- the settings file
def write_settings(folder: Path, text: str) -> Path:
    path = folder / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_named_devices_come_from_the_config_folders_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path))
    assert load_named_devices().names == {}  # no file: no names, no problem
    write_settings(tmp_path, '[devices]\nlab = "rfc2217://lab-pi:4000"\nbroken = 1\n')
    named = load_named_devices()
    assert named.names == {"lab": "rfc2217://lab-pi:4000"}
    assert len(named.problems) == 1 and "'broken'" in named.problems[0]


def test_an_unreadable_settings_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "[devices\nlab = 1\n")
    named = load_named_devices(path)
    assert named.names == {}
    assert len(named.problems) == 1 and "not valid TOML" in named.problems[0]


def test_settings_read_the_table_report_bad_entries_and_write_it_back_unchanged(tmp_path: Path) -> None:
    path = write_settings(tmp_path, 'theme = "x"\n[devices]\nlab = "sim://esp32"\nbad = 5\n')
    settings = Settings.load(path)
    assert settings.devices == {"lab": "sim://esp32"}
    assert any("'bad'" in problem for problem in settings.problems)  # the app notifies these
    settings.theme = "workbench-light"
    assert settings.save()
    again = Settings.load(path)
    assert again.theme == "workbench-light"
    assert again.to_dict()["devices"] == {"lab": "sim://esp32", "bad": 5}  # the user's table, as written


def test_named_devices_are_listed_first_with_their_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path))
    write_settings(tmp_path, '[devices]\nlab = "rfc2217://lab-pi:4000"\n')
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda include_links=False: [])
    entries = available_devices()
    assert entries[0].kind == "named" and entries[0].name == "lab" and entries[0].url == "rfc2217://lab-pi:4000"
    assert entries[0].to_json()["name"] == "lab"
    assert "named 'lab'" in format_devices_table(entries).splitlines()[1]


# ---------------------------------------------------------------------------- the default device
def serial_entry(device: str, board: str | None) -> DeviceEntry:
    port = PortInfo(device, None, None, None, "USB serial", None, None, None, board)
    return DeviceEntry(device, "serial", "USB serial", board, port)


def test_default_device_is_the_one_board_plugged_in_else_the_simulated_board() -> None:
    one = pick_default_device([serial_entry("/dev/ttyACM0", "rp2040"), serial_entry("/dev/ttyS0", None)])
    assert (one.url, one.simulated) == ("/dev/ttyACM0", False)
    assert one.reason == "the one board plugged in: rp2040"
    none = pick_default_device([serial_entry("/dev/ttyS0", None)])
    assert (none.url, none.simulated) == ("sim://generic", True)
    assert none.reason == "simulated board: no board is plugged in"
    two = pick_default_device([serial_entry("/dev/ttyACM0", "rp2040"), serial_entry("/dev/ttyUSB0", "esp32")])
    assert two.url == "sim://generic"
    assert "2 boards are plugged in (/dev/ttyACM0, /dev/ttyUSB0)" in two.reason


def test_the_apps_d_takes_names_and_shortcuts_and_defaults_like_the_cli(tmp_path: Path, monkeypatch) -> None:
    from workbench.app import main as app_main
    from workbench.cli.main import main

    opened: list[str] = []
    fallbacks: list[tuple[str, ...]] = []

    class RecordingApp:
        def __init__(self, url: str, start_fallbacks: tuple[str, ...] = ()) -> None:
            opened.append(url)
            fallbacks.append(tuple(start_fallbacks))

        def run(self) -> None:
            pass

    monkeypatch.setattr(app_main, "WorkbenchApp", RecordingApp)
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda include_links=False: [])
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path))
    write_settings(tmp_path, '[devices]\nlab = "rfc2217://lab-pi:4000"\n')
    assert main(["-d", "lab"]) == 0
    assert main(["--device", "a1"]) == 0
    assert main([]) == 0
    assert main(["-d", "sim://esp32"]) == 0
    assert main(["-d", "sim://esp32,lab", "-d", "a0"]) == 0  # several: the first free, then the others
    assert opened == ["rfc2217://lab-pi:4000", "/dev/ttyACM1", "sim://generic", "sim://esp32", "sim://esp32"]
    assert fallbacks[-1] == ("rfc2217://lab-pi:4000", "/dev/ttyACM0")
    assert set(fallbacks[:-1]) == {()}
