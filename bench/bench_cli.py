"""Whole-process time of one small exec: ``workbench exec`` against ``mpremote ... exec``.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/bench_cli.py            # 20 runs per row, about a minute
    .venv/bin/python bench/bench_cli.py --quick    # 8 runs per row
    .venv/bin/python bench/bench_cli.py --workbench-src /tmp/old   # another checkout's workbench

What a user waits for when typing a command: Python starting, imports, opening the port,
entering the raw REPL, the workbench's fingerprint of the board (unless learned before), the
exec itself, leaving and closing, interpreter exit. Both tools run as console scripts of this
venv against the same MicroPython unix-port executable, each behind a pty bridge of its own
(:class:`bench_exec.Bridge`: socat, else a relay process), opened by its ``/dev/pts/N`` path;
runs alternate between the rows (the order turns every round), and each figure is the median
with its interquartile range.

Rows: ``workbench exec`` with the fingerprint cached (a state folder in which one run has
already learned the board, ``$WORKBENCH_STATE_DIR``), the same with a fresh empty state folder
for every run (the first call on a board: uncached), ``mpremote connect PTS resume exec``, and
``python -c pass`` (the floor both stand on). The breakdown runs ``workbench exec`` in a small
harness that times the imports and reads the session's trace (see :data:`CHILD_CODE`).

Bytecode: by default every process writes and reads compiled modules in a temporary
``PYTHONPYCACHEPREFIX`` (warmed before timing), as after ``pip install``; this development
environment otherwise sets ``PYTHONDONTWRITEBYTECODE=1``, which makes the editable workbench
recompile every module in every process while mpremote's site-packages bytecode exists
(``--no-bytecode-cache`` measures that).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_exec import Bridge, find_micropython  # the bench folder, just added to sys.path

CODE = "print(1)"
RUN_TIMEOUT_S = 30.0
BIN = Path(sys.executable).parent

#: The breakdown harness, run as ``python -c CHILD_CODE SPEC`` (a ``-c`` string compiles in
#: microseconds; a script file would be compiled on every start). It notes the time first
#: thing, imports the modules ``workbench exec`` loads (the list comes from a first run, in
#: the order they were loaded), runs the command's ``main`` with ``workbench.engine.connect``
#: wrapped to catch the session, and writes its times and the trace's records (time,
#: direction, event types) to SPEC's ``out`` file. Times are ``time.monotonic()``, the same
#: clock in every process on Linux, so the parent's spawn and exit times line up with them.
CHILD_CODE = """\
import time
t_top = time.monotonic()
import json, sys
spec = json.loads(sys.argv[1])
t_imports = time.monotonic()
for name in spec["modules"]:
    try:
        __import__(name)
    except ImportError:
        pass
t_imported = time.monotonic()
import workbench.engine
from workbench.cli.main import main
real_connect = workbench.engine.connect
box = {}
def connect(*args, **kwargs):
    box["call"] = time.monotonic()
    session = real_connect(*args, **kwargs)
    box["session"] = session
    box["origin"] = time.monotonic() - session.trace.now()
    return session
workbench.engine.connect = connect
t_main = time.monotonic()
code = main(spec["argv"])
t_main_end = time.monotonic()
loaded = list(sys.modules)
records = [(r.t, r.dir, [type(e).__name__ for e in r.events]) for r in box["session"].trace.records()]
with open(spec["out"], "w") as out:
    json.dump({"top": t_top, "imports": t_imports, "imported": t_imported, "main": t_main,
               "call": box["call"], "origin": box["origin"], "main_end": t_main_end,
               "code": code, "records": records, "loaded": loaded, "package": workbench.__file__}, out)
sys.exit(code)
"""

#: Breakdown phases, in order, with what each covers.
PHASES = (
    ("python start", "interpreter and site start, up to the first line of the command"),
    ("imports", "every module workbench exec loads, module-level work included"),
    ("harness", "the breakdown's own work (json, reading the spec): not in a real run"),
    ("before open", "argument parsing, profiles and learned facts read, profile chosen"),
    ("open", "port opened and worker started, up to the first byte written"),
    ("enter raw", "CTRL-C, CTRL-A, up to the raw REPL prompt"),
    ("fingerprint", "the exec that asks the board its platform (0 when cached)"),
    ("exec", "print(1): raw-paste request, code, output, up to the prompt"),
    ("close", "leave the raw REPL, close the port, stop the worker, main returns"),
    ("exit", "interpreter shutdown, until the parent sees the exit"),
)


class BenchError(RuntimeError):
    """A run failed or printed something else than the code's output."""


@dataclass
class Row:
    """One timed command line; ``prepare`` runs before each timed run (untimed)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    expect_stdout: str | None = "1"
    prepare: Callable[[Row], None] | None = None
    times: list[float] = field(default_factory=list)


def run_timed(argv: list[str], env: dict[str, str], expect_stdout: str | None) -> float:
    """Wall time of one whole process, from spawn to the parent seeing its exit."""
    started = time.monotonic()
    proc = subprocess.run(argv, env=env, cwd=env["BENCH_CWD"], capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0 or (expect_stdout is not None and proc.stdout.strip() != expect_stdout):
        raise BenchError(f"{argv}: exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}")
    return elapsed


def median_iqr(times: list[float]) -> tuple[float, float, float]:
    """Median, first and third quartile (seconds)."""
    if len(times) < 2:
        return times[0], times[0], times[0]
    q1, q2, q3 = statistics.quantiles(times, n=4, method="inclusive")
    return q2, q1, q3


def ms_cell(times: list[float]) -> str:
    med, q1, q3 = median_iqr(times)
    return f"{med * 1000:6.1f}  ({q1 * 1000:5.1f}-{q3 * 1000:5.1f})"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line.format(*r))


def fresh_folders(row: Row, root: Path) -> None:
    """An empty config and state folder for the next run: nothing learned, nothing saved."""
    for key in ("WORKBENCH_CONFIG_DIR", "WORKBENCH_STATE_DIR"):
        folder = Path(tempfile.mkdtemp(dir=root))
        row.env[key] = str(folder)


def phase_times(data: dict, spawned: float, exited: float) -> dict[str, float]:
    """The breakdown of one harness run (seconds per phase, see :data:`PHASES`)."""
    origin = data["origin"]
    records = [(origin + t, direction, events) for t, direction, events in data["records"]]
    first_tx = next(t for t, direction, _ in records if direction == "tx")
    raw_ready = next(t for t, direction, events in records if direction == "rx" and "RawReady" in events)
    finished = [t for t, direction, events in records if direction == "rx" and "ExecFinished" in events]
    fingerprint = finished[0] - raw_ready if len(finished) > 1 else 0.0
    exec_start = finished[0] if len(finished) > 1 else raw_ready
    return {
        "python start": data["top"] - spawned,
        "imports": data["imported"] - data["imports"],
        "harness": (data["imports"] - data["top"]) + (data["main"] - data["imported"]),
        "before open": data["call"] - data["main"],
        "open": first_tx - data["call"],
        "enter raw": raw_ready - first_tx,
        "fingerprint": fingerprint,
        "exec": finished[-1] - exec_start,
        "close": data["main_end"] - finished[-1],
        "exit": exited - data["main_end"],
    }


def run_child(spec: dict, env: dict[str, str]) -> tuple[dict, float, float]:
    """One harness run: its report, and the parent's spawn and exit times."""
    spawned = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", CHILD_CODE, json.dumps(spec)], env=env, cwd=env["BENCH_CWD"],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    exited = time.monotonic()
    if proc.returncode != 0 or proc.stdout.strip() != "1":
        raise BenchError(f"harness: exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr[-2000:]!r}")
    return json.loads(Path(spec["out"]).read_text()), spawned, exited


def breakdown(
    url: str, env: dict[str, str], runs: int, root: Path, *, cached: bool
) -> tuple[dict[str, float], int, int, str]:
    """Median of each phase over ``runs`` harness runs; how many modules were imported, how
    many fingerprints a run made (0 when the learned facts answered), and which workbench
    package ran (so a ``--workbench-src`` run can be seen to use that checkout)."""
    out = str(root / "child.json")
    spec = {"modules": [], "argv": ["exec", url, CODE], "out": out}

    def env_for_run() -> dict[str, str]:
        if cached:
            return env
        row = Row("", [], dict(env))
        fresh_folders(row, root)
        return row.env

    before = set(json.loads(subprocess.run(
        [sys.executable, "-c", "import json, sys; print(json.dumps(list(sys.modules)))"],
        env=env, cwd=env["BENCH_CWD"], capture_output=True, text=True, check=True).stdout))
    first, _, _ = run_child(spec, env_for_run())  # learns the module list (and warms bytecode)
    spec["modules"] = [name for name in first["loaded"] if name not in before and name != "__main__"]
    phases: dict[str, list[float]] = {name: [] for name, _ in PHASES}
    fingerprints = 0
    for _ in range(runs):
        data, spawned, exited = run_child(spec, env_for_run())
        for name, value in phase_times(data, spawned, exited).items():
            phases[name].append(value)
        fingerprints = sum("ExecFinished" in events for _, _, events in data["records"]) - 1
    medians = {name: statistics.median(values) for name, values in phases.items()}
    return medians, len(spec["modules"]), fingerprints, str(Path(first["package"]).parent)


def import_time(module: str, env: dict[str, str], runs: int) -> float:
    """Median time to import ``module`` in a fresh process (its whole tree)."""
    code = f"import time; t = time.monotonic(); import {module}; print(time.monotonic() - t)"
    values = [
        float(subprocess.run([sys.executable, "-c", code], env=env, cwd=env["BENCH_CWD"], capture_output=True,
                             text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 runs per row instead of 20")
    parser.add_argument("--runs", type=int, help="runs per row (default 20, 8 with --quick)")
    parser.add_argument("--workbench-src", metavar="DIR",
                        help="run the workbench package found in DIR (PYTHONPATH), e.g. an older checkout")
    parser.add_argument("--compare-src", metavar="DIR",
                        help="also time the workbench package found in DIR (cached and uncached rows), "
                        "in the same alternation: a before/after in one run")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="no compiled modules written (PYTHONDONTWRITEBYTECODE=1): this dev environment's way")
    args = parser.parse_args()
    runs = args.runs or (8 if args.quick else 20)

    exe = find_micropython()
    workdir = Path(tempfile.mkdtemp(prefix="wb-bench-cli-"))
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPATH")}
    if args.no_bytecode_cache:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    if args.workbench_src:
        env["PYTHONPATH"] = str(Path(args.workbench_src).resolve())
    # Every process starts in the bench's own folder: ``python -c`` puts the current folder
    # first on sys.path, where a checkout would shadow --workbench-src.
    env["BENCH_CWD"] = str(workdir)
    load_before = os.getloadavg()[0]
    bridges: list[Bridge] = []
    try:
        def bridge(name: str) -> str:
            made = Bridge(exe, str(workdir / name))
            bridges.append(made)
            return made.pts

        pts_cached, pts_fresh, pts_mp = bridge("wb-cached"), bridge("wb-fresh"), bridge("mp")
        cached_env = {**env, "WORKBENCH_CONFIG_DIR": str(workdir / "config"),
                      "WORKBENCH_STATE_DIR": str(workdir / "state")}
        rows = [
            Row("workbench exec, fingerprint cached", [str(BIN / "workbench"), "exec", pts_cached, CODE], cached_env),
            Row("workbench exec, uncached (fresh state folder)", [str(BIN / "workbench"), "exec", pts_fresh, CODE],
                dict(env), prepare=lambda row: fresh_folders(row, workdir)),
            Row(f"mpremote connect {pts_mp} resume exec",
                [str(BIN / "mpremote"), "connect", pts_mp, "resume", "exec", CODE], dict(env)),
            Row("python -c pass (the floor)", [sys.executable, "-c", "pass"], dict(env), expect_stdout=None),
        ]
        if args.compare_src:
            other = {**env, "PYTHONPATH": str(Path(args.compare_src).resolve())}
            pts_other_cached, pts_other_fresh = bridge("other-cached"), bridge("other-fresh")
            other_cached_env = {**other, "WORKBENCH_CONFIG_DIR": str(workdir / "other-config"),
                                "WORKBENCH_STATE_DIR": str(workdir / "other-state")}
            rows[2:2] = [
                Row(f"  {args.compare_src}: cached", [str(BIN / "workbench"), "exec", pts_other_cached, CODE],
                    other_cached_env),
                Row(f"  {args.compare_src}: uncached", [str(BIN / "workbench"), "exec", pts_other_fresh, CODE],
                    dict(other), prepare=lambda row: fresh_folders(row, workdir)),
            ]
        # Untimed: compiled modules written, the cached row's board learned.
        for row in rows:
            for _ in range(2):
                if row.prepare:
                    row.prepare(row)
                run_timed(row.argv, row.env, row.expect_stdout)
        state = Path(cached_env["WORKBENCH_STATE_DIR"])
        learned = sorted(p.name for p in state.rglob("*") if p.is_file()) if state.exists() else []
        print(f"bench_cli: {runs} runs per row, alternating; state folder of the cached row after "
              f"warming: {', '.join(learned) or 'empty (no fingerprint cache in this workbench)'}",
              file=sys.stderr, flush=True)
        started = time.monotonic()
        for index in range(runs):
            turn = index % len(rows)
            for row in rows[turn:] + rows[:turn]:
                if row.prepare:
                    row.prepare(row)
                row.times.append(run_timed(row.argv, row.env, row.expect_stdout))
        elapsed = time.monotonic() - started

        phases_cached, module_count, fp_cached, package = breakdown(pts_cached, cached_env, runs, workdir, cached=True)
        phases_fresh, _, fp_fresh, _ = breakdown(pts_fresh, env, runs, workdir, cached=False)
        wb_import = import_time("workbench.cli.main", env, runs)
        mp_import = import_time("mpremote.main", env, runs)

        import mpremote

        wb_version = subprocess.run([str(BIN / "workbench"), "--version"], env=env, cwd=workdir,
                                    capture_output=True, text=True, check=False).stdout.strip()
        print()
        print(f"Python {platform.python_version()}, mpremote {mpremote.__version__}, {wb_version} "
              f"from {package}; interpreter {exe}; bridges: {bridges[0].kind}")
        print(f"code {CODE!r}; {runs} runs per row, alternating, {elapsed:.0f} s; bytecode "
              f"{'not written (PYTHONDONTWRITEBYTECODE=1)' if args.no_bytecode_cache else 'cached (warmed)'}; "
              f"{os.cpu_count()} CPUs, 1-min load average {load_before:.2f} before the run")
        print("whole process, wall time: median (interquartile range), ms")
        print()
        mp_median = median_iqr(next(row for row in rows if row.argv[0].endswith("mpremote")).times)[0]
        table = [[row.name, ms_cell(row.times),
                  f"{median_iqr(row.times)[0] / mp_median:.2f}" if row.expect_stdout else ""] for row in rows]
        print_table(["command", "ms", "ratio to mpremote"], table)
        print()
        print(f"workbench exec, where the time goes (medians of {runs} harness runs, ms; "
              f"{module_count} modules imported; fingerprint execs: cached {fp_cached}, uncached {fp_fresh})")
        print()
        rows_b = [[name, f"{phases_cached[name] * 1000:6.1f}", f"{phases_fresh[name] * 1000:6.1f}", what]
                  for name, what in PHASES]
        rows_b.append(["sum", f"{sum(phases_cached.values()) * 1000:6.1f}",
                       f"{sum(phases_fresh.values()) * 1000:6.1f}", "(the harness adds its own line)"])
        print_table(["phase", "cached", "uncached", "covers"], rows_b)
        print()
        print(f"import alone, fresh process, median: workbench.cli.main {wb_import * 1000:.1f} ms, "
              f"mpremote.main {mp_import * 1000:.1f} ms (the command's module; workbench loads the engine "
              f"only for exec and run)")
        return 0
    finally:
        for made in reversed(bridges):
            made.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
