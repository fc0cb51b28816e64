"""The command line as a person uses it: output, exit status, traces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import serial.tools.list_ports

from tests.conftest import TRANSCRIPTS
from workbench.cli import main as cli_main


def cli(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_exec_prints_output_and_exits_0() -> None:
    proc = cli("exec", "sim://generic", "print('hi', 6 * 7)")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "hi 42"
    assert proc.stderr == ""


def test_exception_goes_to_stderr_with_exit_1() -> None:
    proc = cli("exec", "sim://generic", "print('before')\n1/0")
    assert proc.returncode == 1
    assert proc.stdout.strip() == "before"
    assert "ZeroDivisionError: divide by zero" in proc.stderr
    assert "workbench/" not in proc.stderr  # the device's traceback, not ours


def test_run_a_file(tmp_path: Path) -> None:
    script = tmp_path / "blink.py"
    script.write_text("import machine\npin = machine.Pin(2, machine.Pin.OUT)\npin.on()\nprint(pin.value())\n")
    proc = cli("run", "sim://esp32?boot_ms=0", str(script))
    assert proc.returncode == 0 and proc.stdout.strip() == "1"


def test_exec_timeout_exits_3_with_one_line() -> None:
    proc = cli("exec", "sim://generic", "while True:\n  pass", "--timeout", "0.5")
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("workbench: timeout")


def test_usage_error_exits_2() -> None:
    assert cli("exec").returncode == 2
    assert cli("exec", "sim://generic", "x", "--timeout", "-1").returncode == 2


def test_saved_trace_reads_back_annotated(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    assert cli("exec", "sim://generic", "print(1)", "--trace", str(trace)).returncode == 0
    rows = [json.loads(line) for line in trace.read_text().splitlines()]
    assert rows[0]["meta"]["device"] == "sim://generic"
    assert {"t", "dir", "hex", "note"} <= set(rows[1])
    shown = cli("trace", str(trace))
    assert shown.returncode == 0
    assert "CTRL-A: enter the raw REPL" in shown.stdout
    assert "raw-paste accepted, window 128 bytes" in shown.stdout


def test_trace_of_a_reference_transcript_and_its_hex_dump() -> None:
    transcript = next(t for t in TRANSCRIPTS if t.name.startswith("05-"))
    text = cli("trace", str(transcript))
    assert text.returncode == 0
    assert "R CTRL-A: raw-paste accepted, window 128 bytes" in text.stdout
    dump = cli("trace", "--hex", str(transcript))
    assert "    000000  01 80 00 01" in dump.stdout  # R, then window 128 LE and CTRL-A


def test_ports_lists_the_simulated_boards_as_json() -> None:
    proc = cli("ports", "--json")
    assert proc.returncode == 0
    urls = {entry["url"] for entry in json.loads(proc.stdout)}
    assert {"sim://generic", "sim://esp32", "sim://legacy"} <= urls


def test_version_and_module_entry_point() -> None:
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("workbench ")


def test_probe_reports_json_and_saves_only_when_asked(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "WORKBENCH_CONFIG_DIR": str(tmp_path)}

    def probe(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "workbench", "probe", "sim://legacy?boot_ms=0", "--round-trips", "5", *extra],
            capture_output=True, text=True, timeout=120, check=False, env=env,
        )

    shown = probe("--json")
    assert shown.returncode == 0
    report = json.loads(shown.stdout)
    assert report["raw_paste_supported"] is False and report["proposed"]["raw_paste"] == "never"
    assert not (tmp_path / "profiles.toml").exists()  # detection never stores without --save
    saved = probe("--save")
    assert saved.returncode == 0 and "saved as" in saved.stdout
    assert 'raw_paste = "never"' in (tmp_path / "profiles.toml").read_text()
    # ... and the next run on that device uses it, and says so
    used = subprocess.run(
        [sys.executable, "-m", "workbench", "exec", "sim://legacy?boot_ms=0", "print(5)", "-v"],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )
    assert used.returncode == 0 and used.stdout.strip() == "5"
    assert "saved profile" in used.stderr


def test_an_unsaved_board_gets_its_platform_preset_and_v_says_why(tmp_path: Path) -> None:
    env = {**os.environ, "WORKBENCH_CONFIG_DIR": str(tmp_path)}
    one = subprocess.run(
        [sys.executable, "-m", "workbench", "exec", "sim://esp32?boot_ms=0", "print(7)", "-v", "--trace",
         str(tmp_path / "t.jsonl")],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )
    assert one.returncode == 0 and one.stdout.strip() == "7"
    assert "profile 'esp32': preset esp32 for platform 'esp32'" in one.stderr
    several = subprocess.run(
        [sys.executable, "-m", "workbench", "exec", "-d", "sim://generic,sim://rp2040?boot_ms=0", "print(8)", "-v"],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )
    assert several.returncode == 0
    assert "[sim://rp2040?boot_ms=0] profile 'rp2040': preset rp2040 for platform 'rp2'" in several.stderr
    assert "no preset for platform 'generic'" in several.stderr



def test_a_saved_profile_is_kept_and_the_flags_apply_on_top(tmp_path: Path) -> None:
    env = {**os.environ, "WORKBENCH_CONFIG_DIR": str(tmp_path)}
    url = "sim://esp32?boot_ms=0"

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "workbench", "exec", url, "print(7)", "-v", "--trace", str(tmp_path / "t.jsonl"),
             *extra],
            capture_output=True, text=True, timeout=60, check=False, env=env,
        )

    # Nothing saved: the platform preset (raw-paste auto) replaces the default, the flag still wins.
    flagged = run("--raw-paste", "never")
    assert flagged.returncode == 0 and "profile 'esp32': preset esp32 for platform 'esp32'" in flagged.stderr
    assert "raw-paste" not in cli("trace", str(tmp_path / "t.jsonl")).stdout
    # Saved for the URL: the firmware's platform never overrides it (one -v line, no preset).
    (tmp_path / "profiles.toml").write_text(f'["url:{url}"]\nname = "mine"\nraw_paste = "never"\n', encoding="utf-8")
    kept = run()
    assert kept.returncode == 0 and kept.stdout.strip() == "7"
    first, *rest = kept.stderr.splitlines()
    assert first == f"workbench: profile 'mine': URL {url}: saved profile 'mine'"
    assert rest and all(line.startswith("workbench: learned: ") for line in rest)  # the fingerprint of the first run
    assert "raw-paste" not in cli("trace", str(tmp_path / "t.jsonl")).stdout

# ---------------------------------------------------------------------------- finding the device
NO_DEVICE_LINE = "workbench: no device given; using sim://generic (simulated board: no board is plugged in)\n"


@pytest.fixture
def no_boards(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs of ``main`` with nothing plugged in (and no cache from an earlier run)."""
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda include_links=False: [])
    cli_main._profile_store.cache_clear()
    cli_main._port_for.cache_clear()


def test_without_a_device_exec_run_and_probe_use_the_default_and_say_so(
    no_boards: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main.main(["exec", "print(6 * 7)"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("42\r\n", NO_DEVICE_LINE)  # as the board sent it
    script = tmp_path / "blink.py"
    script.write_text("print('blink')\n")
    assert cli_main.main(["run", str(script)]) == 0
    assert capsys.readouterr() == ("blink\r\n", NO_DEVICE_LINE)
    assert cli_main.main(["probe", "--json", "--round-trips", "2"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["url"] == "sim://generic" and err.startswith(NO_DEVICE_LINE)


def test_the_one_board_plugged_in_is_named_when_it_is_picked(
    no_boards: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench.discovery.devices import DeviceEntry

    board = DeviceEntry("/dev/ttyACM97", "serial", "Board CDC", "Raspberry Pi Pico")
    monkeypatch.setattr("workbench.discovery.devices.available_devices", lambda **_kw: [board])
    assert cli_main.main(["exec", "print(1)"]) == 3  # no such port here: it was tried
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "workbench: no device given; using /dev/ttyACM97 (the one board plugged in: Raspberry Pi Pico)"
    assert err[1].startswith("workbench: could not open /dev/ttyACM97")


def test_the_device_goes_before_or_after_the_command_or_before_the_code() -> None:
    for args in (
        ("-d", "sim://generic", "exec", "print('hi', 6 * 7)"),
        ("exec", "-d", "sim://generic", "print('hi', 6 * 7)"),
        ("exec", "sim://generic", "print('hi', 6 * 7)"),
        ("--device", "sim://generic", "exec", "--timeout", "5", "print('hi', 6 * 7)"),
    ):
        proc = cli(*args)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "hi 42\n", ""), args


def test_a_lone_device_means_the_code_or_file_is_missing() -> None:
    for args, operand in ((("exec", "sim://generic"), "CODE"), (("run", "a0"), "FILE.py"), (("run", "u1"), "FILE.py")):
        proc = cli(*args)
        assert proc.returncode == 2
        last = proc.stderr.splitlines()[-1]
        assert last.startswith(f"workbench {args[0]}: error: the following arguments are required: {operand}")
        assert f"'{args[1]}' is a device" in last
    assert cli("probe", "sim://generic", "-d", "sim://esp32").returncode == 2  # one device at a time


def test_run_names_the_file_in_tracebacks(tmp_path: Path) -> None:
    script = tmp_path / "blink.py"
    script.write_text("print('on')\ndef blink():\n    1/0\nblink()\n")
    for args in (("run", "sim://generic", str(script)), ("run", "-d", "sim://generic,sim://rp2040", str(script))):
        proc = cli(*args)
        assert proc.returncode == 1
        assert f'File "{script}", line 4, in <module>' in proc.stderr
        assert f'File "{script}", line 3, in blink' in proc.stderr
        assert "<stdin>" not in proc.stderr
    assert 'File "<stdin>", line 1' in cli("exec", "sim://generic", "1/0").stderr  # exec: no file to name


def write_devices(folder: Path, table: str) -> None:
    (folder / "settings.toml").write_text("[devices]\n" + table, encoding="utf-8")


def test_named_devices_and_shortcuts_work_wherever_a_url_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path))
    write_devices(tmp_path, 'lab = "sim://rp2040?boot_ms=0"\nesp = "sim://esp32?boot_ms=0"\n')
    platform = "import sys; print(sys.platform)"
    assert cli("exec", "lab", platform).stdout == "rp2\n"
    assert cli("-d", "lab", "exec", platform).stdout == "rp2\n"
    several = cli("exec", "-d", "lab,esp", platform)
    assert several.returncode == 0
    assert several.stdout.splitlines() == ["[lab] rp2", "[esp] esp32"]  # named devices go by their name
    assert "workbench: [lab] ok in " in several.stderr
    listed = json.loads(cli("ports", "--json").stdout)
    assert {"url": "sim://rp2040?boot_ms=0", "kind": "named", "name": "lab"}.items() <= listed[0].items()
    missing = cli("exec", "u97", "print(1)")  # a shortcut: /dev/ttyUSB97, which is not there
    assert missing.returncode == 3 and missing.stderr.startswith("workbench: could not open /dev/ttyUSB97")
    unknown = cli("exec", "nolab", "print(1)")  # no such name: a URL as far as anyone can tell
    assert unknown.returncode == 3 and "could not open nolab" in unknown.stderr


def test_a_bad_devices_entry_is_reported_and_the_rest_still_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path))
    write_devices(tmp_path, 'lab = "sim://generic"\nbroken = 12\n')
    proc = cli("exec", "lab", "print(1)")
    assert proc.returncode == 0 and proc.stdout == "1\n"
    assert proc.stderr.count("\n") == 1 and "[devices] 'broken' must be a device URL" in proc.stderr
    (tmp_path / "settings.toml").write_text("[devices\n", encoding="utf-8")
    proc = cli("exec", "sim://generic", "print(2)")
    assert proc.returncode == 0 and "not valid TOML" in proc.stderr and "Traceback" not in proc.stderr
