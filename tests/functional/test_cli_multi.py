"""``workbench exec``/``run`` on several devices: prefixed whole lines, summaries, the worst exit status."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from workbench.cli.main import PrefixedLines, build_parser

GENERIC = "sim://generic"
RP2040 = "sim://rp2040?boot_ms=0"
ESP32 = "sim://esp32?boot_ms=0"  # 115200 baud: a long line arrives in several pieces
#: Prints the board's platform; raises only on the RP2040.
RAISES_ON_RP2 = "import sys\nprint('on', sys.platform)\nif sys.platform == 'rp2':\n    1/0\n"


def cli(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def lines_of(text: str, url: str) -> list[str]:
    """The lines one device printed, without their prefix, in order."""
    prefix = f"[{url}] "
    return [line.removeprefix(prefix) for line in text.splitlines() if line.startswith(prefix)]


def summaries(stderr: str) -> dict[str, str]:
    """URL -> the rest of its summary line (``ok in 3 ms``, ``failed in ...: why``)."""
    found = {}
    for line in stderr.splitlines():
        if line.startswith("workbench: [") and "] " in line:
            url, rest = line.removeprefix("workbench: [").split("] ", 1)
            found[url] = rest
    return found


# ---------------------------------------------------------------------------- the command
def test_every_line_is_whole_and_prefixed_with_its_device() -> None:
    code = "import sys\nprint('hello', sys.platform)\nfor i in range(300):\n    print('%03d' % i, end='')\nprint()\n"
    proc = cli("exec", "-d", GENERIC, "-d", RP2040, "-d", ESP32, code)
    assert proc.returncode == 0, proc.stderr
    long_line = "".join(f"{i:03d}" for i in range(300))
    for url, platform in ((GENERIC, "generic"), (RP2040, "rp2"), (ESP32, "esp32")):
        assert lines_of(proc.stdout, url) == [f"hello {platform}", long_line]
    assert all(line.startswith("[") for line in proc.stdout.splitlines())  # nothing unprefixed
    assert "\r" not in proc.stdout
    status = summaries(proc.stderr)
    assert list(status) == [GENERIC, RP2040, ESP32]  # one summary each, in device order
    assert all(rest.startswith("ok in ") and rest.endswith(" ms") for rest in status.values())


def test_one_board_raising_gives_exit_1_and_its_traceback_prefixed_on_stderr() -> None:
    proc = cli("exec", f"{GENERIC},{RP2040}", RAISES_ON_RP2)
    assert proc.returncode == 1
    assert lines_of(proc.stdout, GENERIC) == ["on generic"]
    assert lines_of(proc.stdout, RP2040) == ["on rp2"]
    traceback = lines_of(proc.stderr, RP2040)
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "ZeroDivisionError: divide by zero"
    assert lines_of(proc.stderr, GENERIC) == []
    status = summaries(proc.stderr)
    assert status[GENERIC].startswith("ok in ")
    assert status[RP2040].startswith("raised in ") and status[RP2040].endswith(": ZeroDivisionError: divide by zero")


def test_a_board_that_cannot_be_opened_fails_the_run_while_the_others_still_run() -> None:
    proc = cli("exec", "-d", f"{GENERIC},sim://nonexistent", "-d", RP2040, RAISES_ON_RP2)
    assert proc.returncode == 3  # worse than the RP2040's exception
    assert lines_of(proc.stdout, GENERIC) == ["on generic"]
    assert lines_of(proc.stdout, RP2040) == ["on rp2"]
    status = summaries(proc.stderr)
    assert list(status) == [GENERIC, "sim://nonexistent", RP2040]
    assert status["sim://nonexistent"].startswith("failed in ")
    assert "unknown simulated board 'nonexistent'" in status["sim://nonexistent"]
    assert status[RP2040].startswith("raised in ")


def test_a_board_that_times_out_is_failed_and_the_others_finish() -> None:
    code = "import sys\nprint('go')\nwhile sys.platform == 'rp2':\n    pass\nprint('done')\n"
    proc = cli("exec", "-d", GENERIC, "-d", RP2040, "--timeout", "0.5", code)
    assert proc.returncode == 3
    assert lines_of(proc.stdout, GENERIC) == ["go", "done"]
    assert lines_of(proc.stdout, RP2040) == ["go"]
    assert summaries(proc.stderr)[RP2040].startswith("failed in ")
    assert "timeout" in summaries(proc.stderr)[RP2040]


def test_comma_lists_and_repeated_d_name_the_same_devices() -> None:
    code = "import sys\nprint(sys.platform)"
    runs = [
        cli("exec", "-d", GENERIC, "-d", RP2040, code),
        cli("exec", "-d", f"{GENERIC},{RP2040}", code),
        cli("exec", f"{GENERIC}, {RP2040}", code),
        cli("exec", GENERIC, "-d", RP2040, code),
    ]
    for proc in runs:
        assert proc.returncode == 0
        assert sorted(proc.stdout.splitlines()) == [f"[{GENERIC}] generic", f"[{RP2040}] rp2"]
        assert list(summaries(proc.stderr)) == [GENERIC, RP2040]


def test_run_sends_the_file_to_every_device(tmp_path: Path) -> None:
    script = tmp_path / "hello.py"
    script.write_text("import sys\nprint('hi from', sys.platform)\n")
    proc = cli("run", "-d", GENERIC, "-d", RP2040, str(script))
    assert proc.returncode == 0
    assert lines_of(proc.stdout, GENERIC) == ["hi from generic"]
    assert lines_of(proc.stdout, RP2040) == ["hi from rp2"]


def test_trace_writes_one_numbered_file_per_device(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    proc = cli("exec", "-d", GENERIC, "-d", "sim://nonexistent", "-d", RP2040, "print(1)", "--trace", str(trace))
    assert proc.returncode == 3
    assert not trace.exists() and not (tmp_path / "run.2.jsonl").exists()  # never opened: no trace
    for index, url in ((1, GENERIC), (3, RP2040)):
        rows = [json.loads(line) for line in (tmp_path / f"run.{index}.jsonl").read_text().splitlines()]
        assert rows[0]["meta"]["device"] == url


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_interrupts_every_board() -> None:
    code = "print('started')\nwhile True:\n    pass\n"
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "exec", "-d", f"{GENERIC},{RP2040}", code],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        started = {proc.stdout.readline(), proc.stdout.readline()}  # both boards run the loop now
        assert started == {f"[{GENERIC}] started\n", f"[{RP2040}] started\n"}
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1  # the boards raised KeyboardInterrupt, as one board does
    assert "interrupting the code on every device" in err
    for url in (GENERIC, RP2040):
        assert lines_of(err, url)[-1].startswith("KeyboardInterrupt")
        assert summaries(err)[url].startswith("raised in ")


# ---------------------------------------------------------------------------- one device, as before
def test_one_device_by_d_behaves_like_the_positional_url() -> None:
    positional = cli("exec", GENERIC, "print('hi', 6 * 7)")
    by_option = cli("exec", "-d", GENERIC, "print('hi', 6 * 7)")
    for proc in (positional, by_option):
        assert proc.returncode == 0 and proc.stdout.strip() == "hi 42"
        assert proc.stderr == ""
    assert by_option.stdout == positional.stdout  # unprefixed, passed through as it came


def test_options_may_still_sit_between_url_and_code() -> None:
    proc = cli("exec", GENERIC, "--timeout", "5", "print(3)")
    assert proc.returncode == 0 and proc.stdout.strip() == "3"


def test_a_lone_url_is_a_forgotten_code_and_only_commas_name_no_device() -> None:
    proc = cli("exec", GENERIC)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith(
        "workbench exec: error: the following arguments are required: CODE ('sim://generic' is a device"
    )
    assert cli("exec", "-d", ",", "print(1)").returncode == 2  # commas alone name no device


def test_device_list_order_commas_and_duplicates() -> None:
    args = build_parser().parse_args(["exec", "a", "-d", "b, c", "x", "-d", "a,d", "--timeout", "1"])
    assert args.urls == ["a", "b", "c", "d"] and args.code == "x" and args.timeout == 1.0
    assert build_parser().parse_args(["run", "-d", "a", "f.py"]).urls == ["a"]
    # a -d before the command comes after the device before the code, before the command's -d
    args = build_parser().parse_args(["-d", "top", "exec", "-d", "sub", "first", "x"])
    assert args.urls == ["first", "top", "sub"] and args.code == "x"


def test_one_positional_is_the_code_or_the_file() -> None:
    args = build_parser().parse_args(["exec", "print(1)"])
    assert (args.code, args.urls) == ("print(1)", [])  # no device: the command picks the default
    args = build_parser().parse_args(["run", "blink.py", "-d", "a0"])
    assert (args.file, args.urls) == ("blink.py", ["a0"])
    assert build_parser().parse_args(["probe"]).urls == []
    assert build_parser().parse_args(["-d", "lab", "probe"]).urls == ["lab"]


# ---------------------------------------------------------------------------- the line printer
def test_prefixed_lines_waits_for_the_newline_and_flushes_the_rest() -> None:
    out, err = io.StringIO(), io.StringIO()
    printer = PrefixedLines(out, err)
    for piece in ("hel", "lo\r", "\nwor", "ld\r\nta"):
        printer.write("a", "stdout", piece)
    printer.write("b", "stdout", "no newline")
    printer.write("b", "stderr", "Trace")
    printer.write("b", "stderr", "back\r\n")
    assert out.getvalue() == "[a] hello\n[a] world\n"
    printer.flush(["b", "a"])
    assert out.getvalue() == "[a] hello\n[a] world\n[b] no newline\n[a] ta\n"
    assert err.getvalue() == "[b] Traceback\n"
    printer.flush()
    assert out.getvalue().count("\n") == 4  # nothing left twice


def test_prefixed_lines_keeps_lines_whole_across_threads() -> None:
    out = io.StringIO()
    printer = PrefixedLines(out, io.StringIO())
    urls = [f"dev{i}" for i in range(4)]
    line = "x" * 50 + "\n"

    def board(url: str) -> None:
        for _ in range(20):
            for char in line:
                printer.write(url, "stdout", char)

    threads = [threading.Thread(target=board, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    printer.flush(urls)
    got = out.getvalue().splitlines()
    assert sorted(got) == sorted(f"[{url}] {'x' * 50}" for url in urls for _ in range(20))
