"""spawn://: an interpreter that exits by itself is reported once, never restarted in a loop.

Issue 12, item 6: ``workbench exec "spawn://micropython?arg=-c&arg=print(1)" x`` restarted the
interpreter recursively for 12 s and ended in a 2,000-line RecursionError.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import workbench
from tests.conftest import requires_micropython
from workbench.errors import ConnectError, WorkbenchError
from workbench.manager.resources import child_processes
from workbench.transports import protocol_spawn

pytestmark = requires_micropython


def cli(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_cli_interpreter_that_exits_at_start_says_so_in_one_line() -> None:
    proc = cli("exec", "spawn://micropython?arg=-c&arg=print(1)", "x", timeout=30)
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1, proc.stderr[-2000:]
    assert proc.stderr.startswith("workbench: could not open spawn://micropython")
    assert "exited at start" in proc.stderr
    assert "exit status 0" in proc.stderr
    assert "its last output: '1'" in proc.stderr
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr


def test_a_failed_start_leaves_no_process_behind() -> None:
    before = set(child_processes() or ())
    with pytest.raises(ConnectError, match="exited at start"):
        workbench.connect("spawn://micropython?arg=-c&arg=import sys; print('bye'); sys.exit(7)")
    assert set(child_processes() or ()) <= before


def test_interpreter_that_exits_after_its_prompt_by_itself_is_not_restarted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Prints something that looks like the prompt, then exits: it would do so at every start.
    started: list[int] = []

    class CountingPtyProcess(protocol_spawn.PtyProcess):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self.pid)

    monkeypatch.setattr(protocol_spawn, "PtyProcess", CountingPtyProcess)
    with workbench.connect("spawn://micropython?arg=-c&arg=print('>>> ')") as session:
        with pytest.raises(WorkbenchError, match="exited by itself") as caught:
            session.exec("print(1)", timeout=10)
        assert "exit status 0" in str(caught.value)
        with pytest.raises(WorkbenchError, match="exited by itself"):
            session.exec("print(1)", timeout=10)
    # One restart at most: our first write may reach it just before it exits (a soft reset
    # as far as anyone can tell), but the restarted one was sent nothing and is not restarted.
    assert 1 <= len(started) <= 2


def test_sys_exit_from_code_still_restarts_like_a_soft_reset() -> None:
    with workbench.connect("spawn://micropython") as session:
        first = session.port.pid
        session.exec("import sys\nsys.exit()", timeout=10)  # the board "reboots"
        assert session.exec("print(6 * 7)", timeout=10).stdout.strip() == "42"
        assert session.port.pid != first
