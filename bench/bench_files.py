"""File transfer speed: workbench's BoardFS against ``mpremote fs cp``, and against the line rate.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/bench_files.py             # 3 runs, 1 MB and 64 KB: about two minutes
    .venv/bin/python bench/bench_files.py --quick     # 1 run, 256 KB and 32 KB: about 20 s
    .venv/bin/python bench/bench_files.py --symlink   # adds mpremote's serial-port path (minutes)
    .venv/bin/python bench/bench_files.py --no-projects   # without the small-files case (~30 s)

Two parts, each a table with its ratios and the issue's targets (issue 16):

* **Against mpremote** on the MicroPython unix port: random bytes uploaded and downloaded
  with ``BoardFS.write`` / ``BoardFS.read`` over ``spawn://micropython`` and over a pty bridge
  opened by its ``/dev/pts/N`` path (:class:`bench_exec.Bridge`), and with mpremote's own
  ``fs cp`` code (:func:`mpremote.commands.do_filesystem_cp`, on a
  :class:`~mpremote.transport_serial.SerialTransport` of the same kind of bridge: its pty fast
  path; ``--symlink`` also through a symlink, its serial-port path with 10 ms polls). Target:
  workbench at least 4x mpremote both ways on the same link.
* **Against the line rate**: the same through a simulated board at 115 200 baud
  (``sim://generic?baud=115200``, and ``sim://esp32``: a CP2102 bridge with 4 ms latency),
  payload bytes per second as a share of 11 520 B/s (10 bits a byte). Target: 85 %.
* **Small files** (a project: 20 x 2 KB, 10 x 8 KB) at 115 200 baud on sim://generic, one run:
  one exec per file (``BoardFS.write``) against all in one (``BoardFS.write_many``, what
  ``fs sync`` and ``fs cp a b c :`` use). Target: 85 % of the line rate for the batch.

Every interpreter runs in a folder of its own (its current folder), so the files land there
and the bench checks them on the host: after each upload the file's sha256 in that folder,
after each download the downloaded bytes; then both are deleted. Runs take turns between the
methods (the order turns every run) and every figure is the median over the runs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import mpremote
from bench_exec import (  # the bench folder, just added to sys.path
    HEAP_ARGS,
    IO_TIMEOUT_S,
    SPAWN_URL,
    BenchError,
    Bridge,
    find_micropython,
    fmt,
    print_table,
    ratio,
)
from mpremote.commands import do_filesystem_cp
from mpremote.main import State
from mpremote.transport_serial import SerialTransport

import workbench
from workbench.files.board_fs import BoardFS
from workbench.files.codec import UP_ESCAPED, escape

KB = 1024
BOARD_NAME = "bench.bin"
#: The issue's targets.
SPEEDUP_TARGET = 4.0
LINE_RATE_TARGET = 0.85
SIM_BAUD = 115200


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Run the block with ``folder`` as this process's current folder: an interpreter a
    bridge starts in it (socat's or the relay's child) inherits it, so its files land there.
    (spawn:// takes its folder as ``?cwd=``; without it, it makes a temporary one.)"""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


# ---------------------------------------------------------------------------- methods
class Method:
    """One tool on one link, with the folder its interpreter works in."""

    name = ""
    folder: Path

    def upload(self, local: Path) -> None:
        """Copy the host file ``local`` to BOARD_NAME on the board."""
        raise NotImplementedError

    def download(self, local: Path) -> None:
        """Copy BOARD_NAME on the board to the host file ``local``."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class WorkbenchMethod(Method):
    """``BoardFS.write`` / ``BoardFS.read`` on a session, as ``workbench fs cp`` does them."""

    def __init__(self, name: str, session: workbench.Session, folder: Path) -> None:
        self.name = name
        self.session = session
        self.fs = BoardFS(session)
        self.folder = folder

    def upload(self, local: Path) -> None:
        self.fs.write(BOARD_NAME, local.read_bytes())

    def download(self, local: Path) -> None:
        local.write_bytes(self.fs.read(BOARD_NAME))

    def close(self) -> None:
        self.session.close()


class MpremoteMethod(Method):
    """mpremote's ``fs cp`` function itself on a connected transport (no process start)."""

    def __init__(self, name: str, path: str, folder: Path) -> None:
        self.name = name
        self.folder = folder
        # timeout bounds every blocking pyserial read; mpremote's read_until has its own.
        self.transport = SerialTransport(path, baudrate=115200, timeout=IO_TIMEOUT_S)
        self.is_pty = self.transport.is_pty
        self.transport.enter_raw_repl(soft_reset=False)
        self.state = State()
        self.state.transport = self.transport

    def upload(self, local: Path) -> None:
        do_filesystem_cp(self.state, str(local), ":" + BOARD_NAME, False)

    def download(self, local: Path) -> None:
        do_filesystem_cp(self.state, ":" + BOARD_NAME, str(local), False)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.transport.close()


# ---------------------------------------------------------------------------- samples
@dataclass
class Samples:
    up: list[float] = field(default_factory=list)
    down: list[float] = field(default_factory=list)
    up_cpu: list[float] = field(default_factory=list)
    down_cpu: list[float] = field(default_factory=list)

    @staticmethod
    def median(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    def seconds(self, way: str) -> float | None:
        return self.median(self.up if way == "up" else self.down)

    def rate(self, way: str, size: int) -> float | None:
        """Bytes per second, from the median time."""
        s = self.seconds(way)
        return size / s if s else None

    def cpu(self, way: str) -> float | None:
        return self.median(self.up_cpu if way == "up" else self.down_cpu)


def timed(fn: Callable[[], None], wall: list[float], cpu: list[float]) -> None:
    c0 = time.process_time()
    t0 = time.perf_counter()
    fn()
    wall.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)


def one_run(method: Method, source: Path, digest: str, scratch: Path, got: Samples) -> None:
    """Upload, check the file in the interpreter's folder, download, check, delete both."""
    on_board = method.folder / BOARD_NAME
    local = scratch / f"download-{method.folder.name}.bin"
    timed(lambda: method.upload(source), got.up, got.up_cpu)
    if not on_board.is_file():
        raise BenchError(f"{method.name}: the uploaded file is not in the interpreter's folder {method.folder}")
    if sha(on_board.read_bytes()) != digest:
        raise BenchError(f"{method.name}: the uploaded file differs from the source")
    timed(lambda: method.download(local), got.down, got.down_cpu)
    if sha(local.read_bytes()) != digest:
        raise BenchError(f"{method.name}: the downloaded file differs from the source")
    on_board.unlink()
    local.unlink()
    leftovers = [p.name for p in method.folder.iterdir()]
    if leftovers:
        raise BenchError(f"{method.name}: files left on the board after a run: {leftovers}")


def run_turns(methods: list[Method], runs: int, source: Path, scratch: Path, warm: Path) -> dict[str, Samples]:
    """One small warm-up copy each way per method, then ``runs`` turns, the order turning."""
    samples = {m.name: Samples() for m in methods}
    warm_digest = sha(warm.read_bytes())
    for m in methods:
        one_run(m, warm, warm_digest, scratch, Samples())
    digest = sha(source.read_bytes())
    for r in range(runs):
        shift = r % len(methods)
        for m in methods[shift:] + methods[:shift]:
            one_run(m, source, digest, scratch, samples[m.name])
        print(f"  run {r + 1}/{runs} done", file=sys.stderr, flush=True)
    return samples


# ---------------------------------------------------------------------------- line rate
@dataclass
class LineSample:
    seconds: float
    tx: int  # bytes the host wrote during the transfer
    rx: int  # bytes the host read


@dataclass
class LineRow:
    label: str
    url: str
    baud: int
    up: list[LineSample] = field(default_factory=list)
    down: list[LineSample] = field(default_factory=list)

    def median(self, way: str) -> LineSample | None:
        got = self.up if way == "up" else self.down
        if not got:
            return None
        mid = sorted(got, key=lambda s: s.seconds)[len(got) // 2]
        return mid


def wire_counts(session: workbench.Session) -> tuple[int, int]:
    """Bytes written and read in the session's trace since it was last cleared."""
    trace = session.trace
    if trace.dropped_records:
        raise BenchError("the trace dropped records during a transfer: its byte counts would be short")
    tx = rx = 0
    for rec in trace.records():
        if rec.dir == "tx":
            tx += len(rec.data)
        elif rec.dir == "rx":
            rx += len(rec.data)
    return tx, rx


def measure_line(row: LineRow, data: bytes, runs: int) -> None:
    """Upload and download ``data`` ``runs`` times on the simulated board; each transfer's
    wall time and wire bytes (from the session's trace), each checked by hash."""
    session = workbench.connect(row.url)
    try:
        fs = BoardFS(session)
        digest = "sha256:" + sha(data)
        fs.write("warm.bin", b"warm-up" * 100)  # the first connection's fingerprint, untimed
        fs.rm("warm.bin")
        for _ in range(runs):
            session.trace.clear()
            t0 = time.perf_counter()
            fs.write(BOARD_NAME, data)
            row.up.append(LineSample(time.perf_counter() - t0, *wire_counts(session)))
            if fs.hash(BOARD_NAME) != digest:
                raise BenchError(f"{row.label}: the uploaded file's hash differs")
            session.trace.clear()
            t0 = time.perf_counter()
            got = fs.read(BOARD_NAME)
            row.down.append(LineSample(time.perf_counter() - t0, *wire_counts(session)))
            if got != data:
                raise BenchError(f"{row.label}: the downloaded bytes differ")
            fs.rm(BOARD_NAME)
    finally:
        session.close()


def esp32_baud() -> int:
    """The simulated ESP32's line rate, from its spec (its URL takes no ``baud``)."""
    from workbench.sim.boards import board

    return board("esp32").baud or SIM_BAUD


# ---------------------------------------------------------------------------- machine
def micropython_version(exe: str) -> str:
    try:
        out = subprocess.run(
            [exe, "-c", "import sys; print(sys.version.split('; ')[-1])"],
            capture_output=True, text=True, timeout=5.0, check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    return out or "unknown"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def size_label(size: int) -> str:
    return f"{size // (KB * KB)} MB" if size % (KB * KB) == 0 else f"{size // KB} KB"


# ---------------------------------------------------------------------------- the parts
#: A target check: what, the measured value, the least value that meets it.
Check = tuple[str, float | None, float]


def against_mpremote(exe: str, workdir: Path, cleanups: list[Callable[[], None]], runs: int,
                     source: Path, warm: Path, symlink: bool) -> list[Check]:
    """Start the interpreters (each in a folder of its own), take the turns, print the table
    and the speed-ups; the checks of the 4x target."""
    size = source.stat().st_size
    scratch = source.parent

    def board_folder(name: str) -> Path:
        folder = workdir / name
        folder.mkdir()
        return folder

    folder = board_folder("wb-spawn")
    session = workbench.connect(f"{SPAWN_URL}&cwd={urllib.parse.quote(str(folder))}")
    wa = WorkbenchMethod("(a) workbench spawn://micropython", session, folder)
    cleanups.append(wa.close)

    folder = board_folder("wb-pts")
    with inside(folder):
        bridge = Bridge(exe, str(workdir / "wb.link"))
    cleanups.append(bridge.close)
    wb = WorkbenchMethod(f"(b) workbench {bridge.pts}", workbench.connect(bridge.pts), folder)
    cleanups.append(wb.close)

    folder = board_folder("mp-pts")
    with inside(folder):
        bridge_mp = Bridge(exe, str(workdir / "mp.link"))
    cleanups.append(bridge_mp.close)
    mp = MpremoteMethod(f"mpremote fs cp {bridge_mp.pts} (pty fast path)", bridge_mp.pts, folder)
    cleanups.append(mp.close)
    if not mp.is_pty:
        raise BenchError("mpremote did not take the bridge's /dev/pts path for a pty")
    methods: list[Method] = [wa, wb, mp]

    ms: MpremoteMethod | None = None
    if symlink:
        folder = board_folder("mp-sym")
        with inside(folder):
            bridge_ms = Bridge(exe, str(workdir / "mp-sym.link"))
        cleanups.append(bridge_ms.close)
        ms = MpremoteMethod("mpremote fs cp symlink (serial-port polling)", bridge_ms.link, folder)
        cleanups.append(ms.close)
        if ms.is_pty:
            raise BenchError("mpremote took the symlink for a pty; its serial-port path is not measured")
        methods.append(ms)

    started = time.monotonic()
    samples = run_turns(methods, runs, source, scratch, warm)
    elapsed = time.monotonic() - started

    print()
    print(f"Against mpremote: {size_label(size)} ({size:,} B) of random bytes, MicroPython unix port "
          f"({exe} {' '.join(HEAP_ARGS)}), each method its own interpreter in a folder of its own; "
          f"bridges: {bridge.kind}. Medians of {runs} run(s), {elapsed:.0f} s; KB = 1024 B; "
          "host CPU: this process, all threads")
    print()
    rows = []
    for m in methods:
        s = samples[m.name]
        rows.append([
            m.name,
            fmt(s.seconds("up"), ".3f"), fmt((s.rate("up", size) or 0) / KB, ",.0f"),
            fmt(s.seconds("down"), ".3f"), fmt((s.rate("down", size) or 0) / KB, ",.0f"),
            fmt(s.cpu("up"), ".3f"), fmt(s.cpu("down"), ".3f"),
        ])
    print_table(["method", "upload (s)", "up KB/s", "download (s)", "down KB/s",
                 "host CPU up (s)", "host CPU down (s)"], rows)

    print()
    print("speed-up: mpremote's time / workbench's time (higher is better)")
    mp_s = samples[mp.name]
    others = [(mp_s, "mpremote pts")]
    if ms is not None:
        others.append((samples[ms.name], "mpremote symlink"))
    rrows = []
    for w in (wb, wa):
        s = samples[w.name]
        row = [w.name]
        for other, _label in others:
            row += [fmt(ratio(other.seconds(way), s.seconds(way)), ",.1f") + "x" for way in ("up", "down")]
        rrows.append(row)
    rheaders = ["workbench row"]
    for _other, label in others:
        rheaders += [f"up vs {label}", f"down vs {label}"]
    print_table(rheaders, rrows)
    print("((b) and mpremote take the same kind of link, a pty bridge each; (a) is the interpreter's"
          " own pty, a different transport)")
    return [(f"(b) workbench {way}load >= {SPEEDUP_TARGET:.0f}x mpremote on the same link (pty bridge)",
             ratio(mp_s.seconds(way), samples[wb.name].seconds(way)), SPEEDUP_TARGET)
            for way in ("up", "down")]


def against_line_rate(data: bytes, runs: int, esp32: bool) -> list[Check]:
    """Measure on the simulated boards, print the table; the checks of the 85 % target."""
    size = len(data)
    line_rows = [LineRow("sim://generic at 115200 baud", f"sim://generic?baud={SIM_BAUD}", SIM_BAUD)]
    if esp32:
        line_rows.append(LineRow("sim://esp32 (CP2102, 4 ms latency)", "sim://esp32?boot_ms=0", esp32_baud()))
    started = time.monotonic()
    for row in line_rows:
        print(f"  line rate: {row.url} ...", file=sys.stderr, flush=True)
        measure_line(row, data, runs)
    elapsed = time.monotonic() - started
    escaped = len(escape(data, UP_ESCAPED))
    print()
    print(f"Against the line rate: {size_label(size)} ({size:,} B) of random bytes through "
          f"BoardFS on simulated boards; medians of {runs} run(s), {elapsed:.0f} s. Line rate = "
          "baud / 10 B/s; % line = payload B/s / line rate. Wire bytes (host writes + reads, from "
          "the session's trace) and line busy = the busier direction's bytes / line rate / wall time")
    print()
    rows = []
    checks: list[Check] = []
    for row in line_rows:
        line_bps = row.baud / 10
        for way in ("up", "down"):
            s = row.median(way)
            if s is None:
                continue
            busy = max(s.tx, s.rx) / line_bps / s.seconds
            share = size / s.seconds / line_bps
            rows.append([f"{row.label} {way}load", f"{s.seconds:.3f}", f"{size / s.seconds:,.0f}",
                         f"{line_bps:,.0f}", f"{100 * share:.1f}%", f"{s.tx:,} / {s.rx:,}",
                         f"{100 * size / max(s.tx, s.rx):.1f}%", f"{100 * busy:.1f}%"])
            checks.append((f"{row.label} {way}load >= {100 * LINE_RATE_TARGET:.0f}% of the line rate",
                           share, LINE_RATE_TARGET))
    print_table(["board", "time (s)", "payload B/s", "line B/s", "% line", "wire tx / rx (B)",
                 "payload / wire", "line busy"], rows)
    print(f"(the payload escaped for the way up: {escaped:,} B, +{100 * (escaped / size - 1):.1f} %; "
          "payload / wire < 100 % is what escaping, block headers, the program and the answers add;"
          " line busy < 100 % is time the line stood idle: waiting for answers, the board's work)")
    return checks


#: Small-file projects for the batch case: (files, size of each).
PROJECTS = ((20, 2 * KB), (10, 8 * KB))


def time_project(fs: BoardFS, items: list[tuple[str, bytes]], batch: bool) -> float:
    """Seconds to upload ``items``: one exec per file (``BoardFS.write``, the path a sync took
    before issue 16's leftover) or all in one (``BoardFS.write_many``); checked by hash."""
    fs.session.exec("import os\nfor n in os.listdir():\n if n.startswith('p'):os.remove(n)\n")
    t0 = time.perf_counter()
    if batch:
        fs.write_many(items)
    else:
        for path, data in items:
            fs.write(path, data)
    seconds = time.perf_counter() - t0
    got = fs.hashes([path for path, _ in items])
    if got != ["sha256:" + sha(data) for _, data in items]:
        raise BenchError("a project file's hash differs after the upload")
    return seconds


def against_line_rate_projects(rng: random.Random, runs: int) -> list[Check]:
    """Many small files at 115200 baud on sim://generic: one exec per file against one exec
    for them all (``write_many``, what ``fs sync`` and ``fs cp a b c :`` use)."""
    line_bps = SIM_BAUD / 10
    rows = []
    checks: list[Check] = []
    session = workbench.connect(f"sim://generic?baud={SIM_BAUD}")
    try:
        fs = BoardFS(session)
        fs.write("warm.bin", b"warm-up")
        fs.rm("warm.bin")
        for count, size in PROJECTS:
            print(f"  line rate: {count} files of {size_label(size)} ...", file=sys.stderr, flush=True)
            items = [(f"p{index:02d}.bin", rng.randbytes(size)) for index in range(count)]
            payload = count * size
            for batch in (False, True):
                seconds = statistics.median(time_project(fs, items, batch) for _ in range(runs))
                share = payload / seconds / line_bps
                how = "one exec for all (write_many)" if batch else "one exec per file (write)"
                rows.append([f"{count} x {size_label(size)}: {how}", f"{seconds:.3f}",
                             f"{payload / seconds:,.0f}", f"{100 * share:.1f}%"])
                if batch:
                    label = f"{count} files of {size_label(size)} in one batch >= {100 * LINE_RATE_TARGET:.0f}% of the line rate"
                    checks.append((label, share, LINE_RATE_TARGET))
    finally:
        session.close()
    print()
    print(f"Small files at {SIM_BAUD} baud (sim://generic), random bytes, median of {runs} run(s); "
          "% line = payload B/s / line rate (the program, the escaping, headers and answers are overhead)")
    print()
    print_table(["upload", "time (s)", "payload B/s", "% line"], rows)
    return checks


def print_targets(checks: list[Check]) -> None:
    print()
    print("targets")
    for label, value, limit in checks:
        ok = value is not None and value >= limit
        shown = f"{fmt(value, ',.1f')}x" if limit > 1 else f"{fmt(100 * value if value else None, '.1f')}%"
        print(f"  {'ok  ' if ok else 'MISS'}  {label}: {shown}")


# ---------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 run, 256 KB and 32 KB (about 20 s)")
    parser.add_argument("--runs", type=int, help="runs per row (default 3; --quick 1)")
    parser.add_argument("--size-kb", type=int, help="file size against mpremote (default 1024; --quick 256)")
    parser.add_argument("--sim-kb", type=int, help="file size on the simulated boards (default 64; --quick 32)")
    parser.add_argument("--symlink", action="store_true",
                        help="also mpremote through a symlink: its serial-port path (minutes for 1 MB)")
    parser.add_argument("--no-sim", action="store_true", help="skip the line-rate part")
    parser.add_argument("--no-esp32", action="store_true", help="line rate on sim://generic only")
    parser.add_argument("--no-projects", action="store_true",
                        help="skip the small-files case (20 x 2 KB, 10 x 8 KB; about 30 s a run)")
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    size = (args.size_kb or (256 if args.quick else 1024)) * KB
    sim_size = (args.sim_kb or (32 if args.quick else 64)) * KB
    if runs < 1 or size < 1 or sim_size < 1:
        parser.error("runs and sizes must be at least 1")

    exe = find_micropython()
    rng = random.Random(16)
    load_before = os.getloadavg()[0]
    print(f"bench_files: {'quick' if args.quick else 'default'} mode, {runs} run(s); "
          f"{size_label(size)} against mpremote, {size_label(sim_size)} on the simulated boards",
          file=sys.stderr, flush=True)
    print(f"machine: {os.cpu_count()} CPUs ({cpu_model()}), 1-min load average {load_before:.2f}; "
          f"Python {platform.python_version()}; unix port {micropython_version(exe)}; "
          f"mpremote {mpremote.__version__}; workbench {workbench.__version__}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="wb-bench-files-"))
    cleanups: list[Callable[[], None]] = []
    try:
        scratch = workdir / "host"
        scratch.mkdir()
        source = scratch / "source.bin"
        source.write_bytes(rng.randbytes(size))
        warm = scratch / "warm.bin"
        warm.write_bytes(rng.randbytes(4 * KB))
        checks = against_mpremote(exe, workdir, cleanups, runs, source, warm, args.symlink)
        if not args.no_sim:
            checks += against_line_rate(rng.randbytes(sim_size), runs, not args.no_esp32)
            if not args.no_projects:
                checks += against_line_rate_projects(rng, 1)
        print_targets(checks)
        return 0
    finally:
        for cleanup in reversed(cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BenchError, workbench.WorkbenchError) as exc:
        print(f"bench_files: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("bench_files: interrupted", file=sys.stderr)
        sys.exit(130)
