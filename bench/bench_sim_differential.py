"""The differential test's long sweep: many generated programs on sim://generic and the real interpreter.

Run by hand: ``python bench/bench_sim_differential.py [--programs 1500] [--seed 1]``. Each
program (built from the same pieces as in ``tests/unit/test_sim_differential.py``) runs in
plain raw mode and by raw-paste on both devices; the bytes each sends back are compared as
the test compares them. Prints the number of programs, the time taken and every difference
found (the first few in full), and exits with status 1 if there was any.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package, from a checkout

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from tests.conftest import real_interpreter_skip_reason
from tests.unit.test_sim_differential import MODES, REAL_URL, SIM_URL, Device, Step, cook, programs

SHOWN = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=1500, help="generated programs (each runs in both modes)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a new one each run)")
    args = parser.parse_args()
    reason = real_interpreter_skip_reason()
    if reason:
        print(f"cannot run: {reason}")
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    real, sim = Device(REAL_URL), Device(SIM_URL)
    differences: list[tuple[str, bytes, bytes, bytes]] = []
    count = 0
    started = time.monotonic()

    @settings(max_examples=args.programs, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(program=programs())
    def compare(program: bytes) -> None:
        nonlocal count
        count += 1
        for mode in MODES:
            real_answer = cook(real.run(Step(program), mode))
            sim_answer = sim.run(Step(program), mode)
            if real_answer != sim_answer:
                differences.append((mode, program, real_answer, sim_answer))

    try:
        compare()
    finally:
        real.close()
        sim.close()
    elapsed = time.monotonic() - started
    print(f"{count} programs, {2 * count} runs on each device (seed {seed}), {elapsed:.1f} s")
    print(f"{len(differences)} differences")
    for mode, program, real_answer, sim_answer in differences[:SHOWN]:
        print(f"\n--- {mode}: {program!r}\n  real: {real_answer!r}\n  sim:  {sim_answer!r}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
