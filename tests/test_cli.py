"""The command line as a person uses it: output, exit status, traces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TRANSCRIPTS


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
