"""Speed of the two engines on the benchmark scenario, measured in one run of this script.

Prints, for ``scenarios/mittelstadt.toml`` and 520 weeks:

* the Mesa engine's runs per second (one run at a time),
* the NumPy engine's runs per second (one batch of 256 replicates),
* their ratio,
* the NumPy engine's peak memory (resident set size of the process that ran the batch),

and the NumPy engine's time per run for a small town (kleinstadt, ~600 births/year), the
benchmark town and a large city (grossstadt, ~6,000 births/year), each as one batch of
the same size, to show how the cost grows with the number of families and professionals.

Each NumPy batch runs in a fresh process that first loads the engine's compiled kernels
from the disk cache (``compile_kernels``, a tiny batch; a sweep's worker pays this once,
in its first chunk, for all its batches); the batch's time starts after it.  The Mesa
engine uses some of the same kernels (the families' attributes, the recorder's week): its
time likewise starts after they are loaded and after a two-week warm-up run, so that
neither engine's time includes loading code.  The load times are printed.

Usage: python benchmarks/engines.py [--mesa-runs N] [--batch N] [--size-batch N] [--weeks N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kooperationssim import KooperationsModel  # noqa: E402
from kooperationssim.scenario import load_scenario  # noqa: E402
from kooperationssim.vector_engine import VectorEngine, compile_kernels  # noqa: E402


def batch_in_subprocess(scenario: str, runs: int, weeks: int) -> dict:
    """Run one NumPy batch in a fresh process; return its wall time and peak memory."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
from kooperationssim.scenario import load_scenario
from kooperationssim.vector_engine import VectorEngine, compile_kernels
sc = load_scenario({scenario!r}, extra={{"weeks": {weeks}}})
load_s = compile_kernels()  # once per process, like the imports: not part of the batch
t0 = time.perf_counter()
res = VectorEngine([sc.params] * {runs}, list(range({runs}))).run()
wall = time.perf_counter() - t0
print(json.dumps({{"wall_s": wall, "load_s": load_s, "peak_rss_mb": resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024, "reach": sum(s["reach_first_year"]
    for s in res.summaries) / {runs}}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"batch of {scenario} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mesa-runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--size-batch", type=int, default=64)
    ap.add_argument("--weeks", type=int, default=520)
    a = ap.parse_args()
    town = str(ROOT / "scenarios" / "mittelstadt.toml")
    sc = load_scenario(town, extra={"weeks": a.weeks})
    print(f"scenario mittelstadt ({sc.params['births_per_year']:.0f} births/year), "
          f"{a.weeks} weeks")
    # the compiled kernels the Mesa engine shares, and a short warm-up run, before timing
    t0 = time.perf_counter()
    compile_kernels()
    KooperationsModel(dict(sc.params, weeks=2), rng=0).run_model()
    mesa_load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(a.mesa_runs):
        m = KooperationsModel(sc.params, rng=i)
        m.run_model()
    mesa_s = (time.perf_counter() - t0) / a.mesa_runs
    mesa_rps = 1.0 / mesa_s
    print(f"Mesa engine:  {mesa_rps:8.3f} runs/s  ({mesa_s:.2f} s per run, "
          f"{a.mesa_runs} runs one at a time)")
    print(f"              (kernels loaded and a two-week warm-up run before timing: "
          f"{mesa_load_s:.2f} s)")
    b = batch_in_subprocess(town, a.batch, a.weeks)
    np_rps = a.batch / b["wall_s"]
    print(f"NumPy engine: {np_rps:8.3f} runs/s  ({b['wall_s']:.1f} s for a batch of "
          f"{a.batch}, {1000 * b['wall_s'] / a.batch:.1f} ms per run)")
    print(f"              (its compiled kernels were loaded before the batch, once per "
          f"process as in a sweep's worker: {b['load_s']:.2f} s)")
    print(f"ratio NumPy/Mesa: {np_rps / mesa_rps:.0f}x  (target: at least 200x)")
    print(f"NumPy peak memory (batch of {a.batch}): {b['peak_rss_mb']:.0f} MB resident")
    print(f"\nNumPy engine, time per run by municipality size (batches of {a.size_batch}):")
    for name in ("kleinstadt", "mittelstadt", "grossstadt"):
        path = str(ROOT / "scenarios" / f"{name}.toml")
        p = load_scenario(path).params
        v = VectorEngine([dict(p, weeks=1)], [0])
        actors = v.nP + int(v.tail[0])
        r = batch_in_subprocess(path, a.size_batch, a.weeks)
        per_run = 1000 * r["wall_s"] / a.size_batch
        print(f"  {name:12s} {p['births_per_year']:6.0f} births/year, {v.nP:4d} professionals, "
              f"~{int(v.tail[0]):6d} families present: {per_run:7.1f} ms per run, "
              f"{1e6 * r['wall_s'] / a.size_batch / actors:6.2f} us per run and actor, "
              f"peak {r['peak_rss_mb']:.0f} MB")
    _ = resource


if __name__ == "__main__":
    main()
