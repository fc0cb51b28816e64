"""What the command imports: each ``workbench exec`` is a whole Python process, and imports were
most of its start-up (issue 15, part 3). These tests keep the app, the file tools and the layers a
command does not use out of the paths that do not need them, so the gain cannot quietly go."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: Never needed to run code on one named device: the Textual app and its libraries, the
#: lessons, trace files and text, port listing, several-device running.
NOT_FOR_EXEC = (
    "textual",
    "rich",
    "pygments",
    "workbench.app",
    "workbench.lessons",
    "workbench.trace.jsonl",
    "workbench.trace.render",
    "workbench.trace.explain",
    "workbench.discovery.devices",
    "workbench.manager",
    "concurrent.futures",
)
#: Not needed to parse the command line (``--help``, ``ports``, ``trace`` need no engine).
NOT_FOR_THE_PARSER = (*NOT_FOR_EXEC, "workbench.engine.session", "workbench.protocol.connection", "serial")


def loaded_after(script: str, tmp_path: Path) -> set[str]:
    """The modules loaded once ``script`` has run in a fresh interpreter (config and state
    folders of the test's own, so a user's profiles cannot change the path taken)."""
    report = f"{script}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "WORKBENCH_CONFIG_DIR": str(tmp_path), "WORKBENCH_STATE_DIR": str(tmp_path / "state")}
    proc = subprocess.run(
        [sys.executable, "-c", report], capture_output=True, text=True, timeout=60, check=False, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def heavy(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in names))


def test_importing_the_command_loads_no_engine_and_no_app(tmp_path: Path) -> None:
    loaded = loaded_after("import workbench.cli.main", tmp_path)
    assert "workbench.cli.main" in loaded
    assert heavy(loaded, NOT_FOR_THE_PARSER) == []


def test_exec_on_one_device_loads_neither_the_app_nor_the_trace_tools(tmp_path: Path) -> None:
    script = (
        "from workbench.cli.main import main\n"
        "code = main(['exec', 'sim://generic', 'print(6 * 7)'])\n"
        "assert code == 0, code"
    )
    loaded = loaded_after(script, tmp_path)
    assert "workbench.engine.session" in loaded  # it did run the code
    assert heavy(loaded, NOT_FOR_EXEC) == []


def test_the_lazy_names_are_the_modules_own() -> None:
    """Every public name of a package that loads on first use is its module's object."""
    import workbench
    import workbench.engine
    import workbench.protocol
    import workbench.trace
    from workbench import limits
    from workbench.engine import session
    from workbench.trace import record

    for package in (workbench, workbench.engine, workbench.protocol, workbench.trace):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
            assert name in dir(package)
    assert workbench.connect is session.connect
    assert workbench.trace.TraceRecorder is record.TraceRecorder
    assert callable(workbench.trace.annotate)  # the function, not its module of the same name
    assert record.DEFAULT_TRACE_BUDGET_BYTES == limits.DEFAULT_TRACE_BUDGET_BYTES
