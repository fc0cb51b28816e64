"""Several boards at once: does a run on N boards take as long as the slowest, or the sum?

Run by hand (not part of the test suite)::

    /work/venv/bin/python bench/bench_multi.py                 # 8 boards, 3 rounds
    /work/venv/bin/python bench/bench_multi.py --boards 4 --rounds 5
    /work/venv/bin/python bench/bench_multi.py --sim           # simulated ESP32s even if micropython is here
    /work/venv/bin/python bench/bench_multi.py --urls sim://esp32 /dev/ttyACM0

The boards are spawned MicroPython unix-port interpreters (``spawn://``) when ``micropython``
is installed, else simulated ESP32s (``sim://esp32``: a CP2102 bridge at 115200 baud, so a
10 KB paste takes most of a second, as on the real board). Every board gets the same code:
a paste of ``--paste-kb`` KB (lines like ``v123 = 123``) ending in a short loop. Each round
runs it on all boards at once with :meth:`SessionManager.run_on`, then on each board one
after another (also through ``run_on``, one board at a time, so both sides pay the same
costs); every figure printed is the median over the rounds. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import workbench
from workbench.manager import RunOutcome, SessionManager
from workbench.transports.pty_process import resolve_executable

KB = 1024
LOOP = "t = 0\nfor i in range({n}):\n    t += i\nprint(t)\n"


def default_urls(boards: int, simulated: bool) -> list[str]:
    """``boards`` distinct URLs: the manager keeps one session per URL, so each gets a query
    key of its own (``board=N`` is ignored by spawn://; ``seed=N`` changes nothing without
    fault injection on sim://).
    """
    if not simulated:
        try:
            resolve_executable("micropython")
        except FileNotFoundError:
            simulated = True
    if simulated:
        return [f"sim://esp32?boot_ms=0&seed={n}" for n in range(1, boards + 1)]
    return [f"spawn://micropython?board={n}" for n in range(1, boards + 1)]


def make_code(paste_bytes: int, loop: int) -> tuple[str, str]:
    """The code (about ``paste_bytes`` long) and the one line it prints."""
    tail = LOOP.format(n=loop)
    lines: list[str] = []
    size = len(tail)
    index = 0
    while size < paste_bytes:
        line = f"v{index} = {index}\n"
        lines.append(line)
        size += len(line)
        index += 1
    return "".join(lines) + tail, str(sum(range(loop)))


@dataclass
class Round:
    """One round: the parallel run's outcomes and wall time, then each board on its own."""

    parallel: list[RunOutcome]
    parallel_wall_s: float
    sequential: list[RunOutcome] = field(default_factory=list)
    sequential_wall_s: float = 0.0


def check(outcomes: list[RunOutcome], expected: str) -> None:
    """A benchmark of runs that failed measures nothing: stop with the reason."""
    for outcome in outcomes:
        if outcome.result is None or not outcome.result.ok or outcome.result.stdout.strip() != expected:
            why = outcome.error or (outcome.result and (outcome.result.stderr or outcome.result.stdout))
            raise SystemExit(f"bench_multi: the run on {outcome.url} did not go as expected: {why!r}")


def run_round(manager: SessionManager, urls: list[str], code: str, expected: str) -> Round:
    started = time.perf_counter()
    parallel = manager.run_on(urls, code)
    measured = Round(parallel, time.perf_counter() - started)
    check(parallel, expected)
    started = time.perf_counter()
    for url in urls:
        measured.sequential.extend(manager.run_on([url], code))
    measured.sequential_wall_s = time.perf_counter() - started
    check(measured.sequential, expected)
    return measured


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(urls: list[str], rounds: list[Round]) -> None:
    """Per board, then slowest / sum / wall and the two ratios, for both ways of running."""
    width = max(len(url) for url in urls) + 2
    print(f"{'board':<{width}}{'at once (ms)':>14}{'one by one (ms)':>17}")
    for index, url in enumerate(urls):
        at_once = median([r.parallel[index].duration_s for r in rounds])
        alone = median([r.sequential[index].duration_s for r in rounds])
        print(f"{url:<{width}}{ms(at_once):>14}{ms(alone):>17}")
    print()
    rows = []
    for label, outcomes_of, wall_of in (
        ("at once (run_on on all)", lambda r: r.parallel, lambda r: r.parallel_wall_s),
        ("one by one (sequential)", lambda r: r.sequential, lambda r: r.sequential_wall_s),
    ):
        slowest = median([max(o.duration_s for o in outcomes_of(r)) for r in rounds])
        total = median([sum(o.duration_s for o in outcomes_of(r)) for r in rounds])
        wall = median([wall_of(r) for r in rounds])
        rows.append((label, ms(slowest), ms(total), ms(wall), f"{wall / slowest:.2f}", f"{wall / total:.2f}"))
    headers = ("", "slowest (ms)", "sum (ms)", "total wall (ms)", "total/slowest", "total/sum")
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))))
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    speedup = median([r.sequential_wall_s for r in rounds]) / median([r.parallel_wall_s for r in rounds])
    print()
    print(f"at once is {speedup:.2f}x faster than one by one with {len(urls)} boards "
          f"(total/slowest 1.00 and total/sum 1/{len(urls)} = {1 / len(urls):.2f} would be perfect)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--boards", type=int, default=8, help="how many boards (default 8)")
    parser.add_argument("--urls", nargs="+", metavar="URL", help="these boards instead (distinct URLs)")
    parser.add_argument("--sim", action="store_true", help="simulated ESP32s even when micropython is installed")
    parser.add_argument("--paste-kb", type=float, default=10.0, help="size of the code in KB (default 10)")
    parser.add_argument("--loop", type=int, default=20_000, help="iterations of the loop at its end")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (parallel, then sequential) (default 3)")
    args = parser.parse_args()

    urls = list(dict.fromkeys(args.urls)) if args.urls else default_urls(max(1, args.boards), args.sim)
    code, expected = make_code(int(args.paste_kb * KB), args.loop)
    print(f"bench_multi: {len(urls)} boards, {len(code)} B of code ({code.count(chr(10))} lines, "
          f"loop of {args.loop}), {args.rounds} rounds; Python {platform.python_version()}, "
          f"workbench {workbench.__version__}, {os.cpu_count()} CPUs, "
          f"1-min load average {os.getloadavg()[0]:.2f} before the run", flush=True)
    with SessionManager() as manager:
        started = time.perf_counter()
        for url in urls:
            manager.open(url)
        print(f"opened in {ms(time.perf_counter() - started)} ms (one after another)", flush=True)
        check(manager.run_on(urls, code), expected)  # warm-up: raw-paste asked, caches filled
        rounds = []
        for number in range(1, max(1, args.rounds) + 1):
            rounds.append(run_round(manager, urls, code, expected))
            last = rounds[-1]
            print(f"round {number}: at once {ms(last.parallel_wall_s)} ms, "
                  f"one by one {ms(last.sequential_wall_s)} ms", flush=True)
    print()
    report(urls, rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
