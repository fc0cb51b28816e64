"""Simulated boards vs the real interpreter: start-up time and exec("pass") round trip.

Run by hand: ``python bench/bench_sim.py [--rounds N]``. Targets (issue #3): sim://generic
starts (open until the raw prompt) in under 300 ms and runs exec("pass") in under 20 ms
median. Printed next to spawn:// (the MicroPython unix port) on the same machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

import workbench

DEVICES = ["sim://generic", "sim://stm32", "sim://esp32", "spawn://micropython"]


def measure(url: str, rounds: int, execs: int) -> tuple[list[float], list[float]]:
    """Start times (open + enter raw) and exec("pass") times, in seconds."""
    starts: list[float] = []
    passes: list[float] = []
    for _ in range(rounds):
        began = time.perf_counter()
        with workbench.connect(url) as session:
            session.enter_raw()
            starts.append(time.perf_counter() - began)
            for _ in range(execs):
                t0 = time.perf_counter()
                session.exec("pass")
                passes.append(time.perf_counter() - t0)
    return starts, passes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="connections per device")
    parser.add_argument("--execs", type=int, default=50, help='exec("pass") per connection')
    args = parser.parse_args()
    have_unix = shutil.which("micropython") or shutil.which("micropython", path=str(Path(sys.executable).parent))
    print(f"{'device':<22}{'start median (ms)':>20}{'start max (ms)':>16}{'exec pass median (ms)':>24}")
    results: dict[str, tuple[float, float]] = {}
    for url in DEVICES:
        if url.startswith("spawn://") and not have_unix:
            print(f"{url:<22}{'(micropython not installed)':>60}")
            continue
        starts, passes = measure(url, args.rounds, args.execs)
        start_ms = statistics.median(starts) * 1000
        pass_ms = statistics.median(passes) * 1000
        results[url] = (start_ms, pass_ms)
        print(f"{url:<22}{start_ms:>20.1f}{max(starts) * 1000:>16.1f}{pass_ms:>24.3f}")
    generic = results.get("sim://generic")
    if generic:
        print()
        print(f"target sim://generic start < 300 ms: {'ok' if generic[0] < 300 else 'MISS'} ({generic[0]:.1f} ms)")
        print(f"target sim://generic exec pass < 20 ms: {'ok' if generic[1] < 20 else 'MISS'} ({generic[1]:.3f} ms)")
        spawn = results.get("spawn://micropython")
        if spawn:
            print(f"ratio sim://generic / spawn://: start {generic[0] / spawn[0]:.2f}x, exec {generic[1] / spawn[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
