"""The command line on boards that lose bytes or break raw-paste: never a damaged program or
our own traceback, and what it learns about a board is used the next time (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workbench.profiles.learned import LearnedStore

HANGS = "sim://generic?paste_hangs=1&boot_ms=0"
SLOW_READER = "sim://legacy?rx_fifo=64&boot_ms=0"
#: 100 assignments and a print of their sum: a lost byte breaks it or changes the sum.
PROGRAM_1K = "".join(f"a{i:02d} = {i * 7}\n" for i in range(100)) + (
    "print(sum([" + ",".join(f"a{i:02d}" for i in range(100)) + "]))\n"
)


def cli(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_a_broken_raw_paste_is_one_line_then_plain_raw_mode_after_the_restart(_private_state_dir: Path) -> None:
    first = cli("exec", HANGS, "print('ran')")
    assert first.returncode == 3 and first.stdout == ""
    assert "raw-paste is broken" in first.stderr and "Traceback" not in first.stderr
    assert len(first.stderr.strip().splitlines()) == 1
    learned = LearnedStore(_private_state_dir / "learned.toml").get("url:" + HANGS)
    assert learned is not None and learned.raw_paste == "broken"

    # Every command opens a fresh simulated board: the board restarted.
    second = cli("exec", "-v", HANGS, "print(6 * 7)")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "42"
    assert "learned: raw-paste: broken" in second.stderr and "raw_paste never" in second.stderr

    forgot = cli("probe", HANGS, "--forget")
    assert forgot.returncode == 0 and "forgot what was learned" in forgot.stdout and "broken" in forgot.stdout
    assert cli("exec", HANGS, "print(1)").returncode == 3  # it asks for raw-paste again


def test_a_board_that_loses_bytes_runs_the_code_right_or_says_bytes_were_lost(tmp_path: Path) -> None:
    script = tmp_path / "sums.py"
    script.write_text(PROGRAM_1K, encoding="utf-8")
    for _ in range(2):
        run = cli("run", SLOW_READER, str(script))
        if run.returncode == 0:
            assert run.stdout.strip() == "34650"
        else:
            assert run.returncode == 3 and "lost" in run.stderr, run.stderr
            assert "Error" not in run.stderr  # not a damaged program's SyntaxError or NameError
