"""Wall time, throughput and peak memory of the canonical sweep.

    python benchmarks/sweep.py                 # experiments/staffing_funding.toml, 2 workers
    python benchmarks/sweep.py --scale 10      # ten times the replicates (52,000 runs)

Runs the sweep on a local Dask cluster of worker processes into a temporary directory and
prints the wall time, runs per second and the peak resident memory of every process: this
one (the sweep's main process, which also hosts the scheduler), each worker and each
worker's nanny.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:  # noqa: D103
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--experiment", default=str(ROOT / "experiments" / "staffing_funding.toml"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scale", type=int, default=1, help="multiply the replicates")
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument("--out", default=None, help="keep the results here (default: temporary)")
    a = ap.parse_args()

    from distributed import Client, LocalCluster

    from kooperationssim.experiment import experiment_from_dict
    from kooperationssim.memory import tune_allocator
    from kooperationssim.sweep import LOCAL_HTTP_ADDRESS, auto_chunk_size, sweep

    tune_allocator()
    path = Path(a.experiment)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["experiment"]["replicates"] = data["experiment"].get("replicates", 1) * a.scale
    ex = experiment_from_dict(data, path=path)
    chunk = a.chunk_size or auto_chunk_size(ex, a.workers)
    tmp = None
    if a.out:
        out = Path(a.out)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="ks-sweep-bench-")
        out = Path(tmp.name) / "results"
    print(f"sweep '{ex.name}' x{a.scale}: {len(ex.points)} points x {ex.replicates} "
          f"replicates = {ex.n_runs} runs of {ex.weeks} weeks; {a.workers} workers "
          f"(local Dask cluster), chunks of {chunk} runs; {os.cpu_count()} CPUs", flush=True)
    cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                           dashboard_address=LOCAL_HTTP_ADDRESS, silence_logs=40,
                           scheduler_kwargs={"dashboard": False})
    client = Client(cluster)
    try:
        t0 = time.perf_counter()
        rep = sweep(ex, out, scheduler=cluster.scheduler_address, chunk_size=chunk)
        wall = time.perf_counter() - t0

        def peak():
            import resource as r

            return r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024.0

        workers = client.run(peak)
        nannies = client.run(peak, nanny=True)
    finally:
        client.close()
        cluster.close()
    print(f"runs done: {rep.runs_done}/{rep.runs_total}, failed chunks: {rep.failed_chunks}")
    print(f"wall time: {wall:.1f} s   ({rep.runs_this_session / wall:.1f} runs/s)")
    print("target (canonical sweep, 2 workers on 2 cores): at most 120 s")
    print("peak resident memory:")
    print(f"  main process (sweep, scheduler): {_peak_rss_mb():8.0f} MB")
    for addr, mb in sorted(workers.items()):
        print(f"  worker {addr:<28} {mb:8.0f} MB")
    for addr, mb in sorted(nannies.items()):
        print(f"  nanny  {addr:<28} {mb:8.0f} MB")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
