"""The command line under hostile input (issue 12, items 11, 12 and 14): files and devices
that hold terminal escape sequences, deeply nested files, FIFOs, bytes that are not UTF-8.

Each case gives the usual answer: one ``workbench:`` line, the documented exit status, and
nothing a terminal would obey, except ``exec``'s own output on one device, which is the
device's bytes untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from workbench.cli.main import main as cli_main

ESC_SEQUENCES = "\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]52;c;aGVsbG8=\x07\x9b31m"


def cli(*args: str | bytes, config: Path, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """The installed command in a subprocess, with its own config and state folders."""
    env = {**os.environ, "WORKBENCH_CONFIG_DIR": str(config), "WORKBENCH_STATE_DIR": str(config / "state")}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True, text=True, errors="surrogateescape", timeout=timeout, check=False, env=env,
    )


def assert_inert(text: str) -> None:
    """Nothing a terminal acts on: no ESC, no BEL, no 8-bit CSI/OSC."""
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\x9d" not in text, text


# --------------------------------------------------------------------------- 11: escapes


def hostile_trace(path: Path) -> Path:
    rows = [
        {"meta": {"device": "sim://generic", "dropped_records": "3" + ESC_SEQUENCES}},
        {"t": 0.0, "dir": "note", "hex": "", "note": "a note " + ESC_SEQUENCES},
        {"t": 0.1, "dir": "rx", "hex": "1b5b324a", "note": "from the file", "meaning": ESC_SEQUENCES + " meaning"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("hex_dump", [False, True])
def test_trace_shows_a_files_escape_sequences_instead_of_obeying_them(tmp_path: Path, hex_dump: bool) -> None:
    trace = hostile_trace(tmp_path / "hostile.jsonl")
    proc = cli("trace", *(["--hex"] if hex_dump else []), str(trace), config=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_inert(proc.stdout)
    assert "a note ^[[2J^[[H^[]0;pwned^G^[]52;c;aGVsbG8=^G\\x9b31m" in proc.stdout
    assert "^[[2J" in proc.stdout and "older records were dropped" in proc.stdout


def test_several_devices_output_and_summary_are_inert(tmp_path: Path) -> None:
    code = f"print({ESC_SEQUENCES!r} + 'shown')\nraise ValueError({ESC_SEQUENCES!r})"
    proc = cli("exec", "-d", "sim://generic,sim://esp32?boot_ms=0", code, config=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert_inert(proc.stdout)
    assert_inert(proc.stderr)
    assert "[sim://generic] ^[[2J^[[H" in proc.stdout and "shown" in proc.stdout
    summaries = [line for line in proc.stderr.splitlines() if line.startswith("workbench: [")]
    assert len(summaries) == 2 and all("raised" in line and "ValueError: ^[[2J" in line for line in summaries)


def test_exec_on_one_device_passes_the_devices_bytes_through_untouched(tmp_path: Path) -> None:
    proc = cli("exec", "sim://generic", "print('\\x1b[1mbold\\x1b[0m')", config=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "\x1b[1mbold\x1b[0m\r\n" or proc.stdout == "\x1b[1mbold\x1b[0m\n"


def test_probe_report_is_inert(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import workbench.profiles.probe

    def fake_probe(url: str, *, round_trips: int, on_step: object) -> SimpleNamespace:
        on_step("asking the board " + ESC_SEQUENCES)  # type: ignore[operator]
        return SimpleNamespace(
            format_text=lambda: f"Probe of {url}\n  device  {ESC_SEQUENCES}\n  end",
            # What the board said it is, remembered and shown as learned facts.
            implementation=ESC_SEQUENCES, version="1.22", platform=ESC_SEQUENCES, machine=ESC_SEQUENCES,
            raw_paste_supported=None, flow_control_reliable=None, window=None,
        )

    monkeypatch.setattr(workbench.profiles.probe, "probe", fake_probe)
    assert cli_main(["probe", "sim://generic"]) == 0
    out, err = capsys.readouterr()
    assert_inert(out)
    assert_inert(err)
    assert out.splitlines()[:3] == ["Probe of sim://generic", "  device  ^[[2J^[[H^[]0;pwned^G^[]52;c;aGVsbG8=^G\\x9b31m", "  end"]
    assert "  firmware: ^[[2J" in out  # the learned facts quote the board too


def test_ports_table_is_inert(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import workbench.discovery.devices
    from workbench.discovery.devices import DeviceEntry

    entries = [DeviceEntry("/dev/ttyACM0", "serial", "Pico " + ESC_SEQUENCES)]  # a USB product string
    monkeypatch.setattr(workbench.discovery.devices, "available_devices", lambda: entries)
    assert cli_main(["ports"]) == 0
    out = capsys.readouterr().out
    assert_inert(out)
    assert "Pico ^[[2J" in out


def test_an_error_quoting_a_device_stays_one_inert_line(tmp_path: Path) -> None:
    proc = cli("exec", "sim://generic?no_flow_control=\x1b]0;x\x07", "print(1)", config=tmp_path)
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("workbench: ")
    assert_inert(proc.stderr)


# --------------------------------------------------------------------------- 12: files and argv


def test_a_deeply_nested_trace_is_one_line_and_exit_2(tmp_path: Path) -> None:
    trace = tmp_path / "deep.jsonl"
    trace.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    proc = cli("trace", str(trace), config=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"workbench: {trace}:1: nested too deeply to be a trace record\n"


def test_a_trace_note_that_is_not_text_is_one_line_and_exit_2(tmp_path: Path) -> None:
    trace = tmp_path / "list.jsonl"
    trace.write_text(json.dumps({"t": 0, "dir": "tx", "hex": "", "note": [[[1]]]}) + "\n", encoding="utf-8")
    proc = cli("trace", str(trace), config=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"workbench: {trace}:1: field 'note' must be text, got list\n"


@pytest.mark.parametrize("name", ["settings.toml", "profiles.toml"])
def test_deeply_nested_settings_or_profiles_are_one_line_and_code_still_runs(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    proc = cli("exec", "sim://generic", "print(1)", config=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "1\n"
    assert proc.stderr.count("\n") == 1 and "nested too deeply" in proc.stderr and str(tmp_path / name) in proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX argv is bytes")
def test_code_that_is_not_utf8_is_refused_in_one_line_with_exit_2(tmp_path: Path) -> None:
    proc = cli("exec", "sim://generic", b'print("\xff")', config=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        "workbench: the code is not valid text: byte 0xff at position 7 is not UTF-8 (MicroPython reads "
        "code as UTF-8); write the character itself, or the escape \\xff inside a string\n"
    )
    assert proc.stdout == ""


# --------------------------------------------------------------------------- 14: FIFOs


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_settings_and_profiles_do_not_hang_start_up(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "settings.toml")
    os.mkfifo(tmp_path / "profiles.toml")
    proc = cli("exec", "sim://generic", "print(1)", config=tmp_path, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "1\n"
    problems = proc.stderr.splitlines()
    assert len(problems) == 2, proc.stderr
    assert all("not a regular file (a FIFO)" in line for line in problems)
    assert os.path.exists(tmp_path / "settings.toml") and not os.path.isfile(tmp_path / "settings.toml")
