"""Wall time of one full run of the Mesa engine on the benchmark scenario.

Usage: python benchmarks/mesa_run.py [SCENARIO] [--repeat N] [--weeks N]
Prints the time per run (median over repeats) and the end-of-run outputs of the first run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from kooperationssim import KooperationsModel
from kooperationssim.cli import summary_table
from kooperationssim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "mittelstadt.toml"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--weeks", type=int, default=None)
    ap.add_argument("--rng", type=int, default=1)
    a = ap.parse_args()
    extra = {"weeks": a.weeks} if a.weeks else {}
    sc = load_scenario(a.scenario, extra=extra)
    times = []
    first = None
    for i in range(a.repeat):
        t0 = time.perf_counter()
        m = KooperationsModel(sc.params, rng=a.rng + i)
        m.run_model()
        times.append(time.perf_counter() - t0)
        if first is None:
            first = m.summary()
    print(f"scenario {sc.name}: {sc.params['weeks']} weeks, "
          f"{sc.params['births_per_year']:.0f} births/year, Mesa engine")
    print(f"seconds per run: median {statistics.median(times):.2f} "
          f"(min {min(times):.2f}, max {max(times):.2f}, {a.repeat} runs)")
    print(f"end-of-run outputs (seed {a.rng}):")
    print(summary_table(first))


if __name__ == "__main__":
    main()
