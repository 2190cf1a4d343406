"""Latency of one step of the teaching dashboard on the benchmark scenario.

Usage: python benchmarks/dashboard_step.py [SCENARIO] [--steps N] [--start WEEK] [--rng SEED]

Prints two figures per step, median and maximum over ``--steps`` steps (default 50):

* ``model + figures``: one model step plus recomputing the data of every figure of the
  page and drawing it to PNG, as the page sends it (network, pathway, time series);
* ``Step button``: pressing *Step* on the page rendered with ``solara.render`` (no
  browser): Mesa's controller steps the model, and every component that depends on it
  re-renders, including the figures.  The transfer to a browser is not included.

``--start`` runs the model that many weeks first (longer series, more ties).  Both the wall
time and the CPU time of this process are printed: on a machine shared with other work the
wall time includes waiting for a CPU.  The target is under 300 ms per step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _report(label: str, times: list[tuple[float, float]]) -> None:
    wall = [1000.0 * w for w, _ in times]
    cpu = [1000.0 * c for _, c in times]
    print(f"{label:<16} wall median {statistics.median(wall):6.1f} ms, max {max(wall):6.1f} ms;"
          f"  CPU median {statistics.median(cpu):6.1f} ms, max {max(cpu):6.1f} ms"
          f"  ({len(wall)} steps)")


def _timed(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    """Run the benchmark and print the latencies."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "mittelstadt.toml"))
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--start", type=int, default=0, help="weeks to run before measuring")
    ap.add_argument("--rng", type=int, default=1)
    a = ap.parse_args()
    if a.steps < 1 or a.start < 0:
        ap.error("--steps must be >= 1 and --start >= 0")

    from kooperationssim.dashboard.components import PLOTS, figure_png
    from kooperationssim.dashboard.controls import load_base
    from kooperationssim.dashboard.model import DashboardModel

    base = load_base(a.scenario)
    model = DashboardModel(base.overrides, seed=a.rng,
                           funding_streams=list(base.funding_streams) or None)
    print(f"scenario {base.name}: {len(model.profs)} professionals, {len(model.rels)} "
          f"relationships, {len(model.families)} families at the start; seed {a.rng}")
    for _ in range(a.start):
        model.step()
    plots = [P(model, "de") for P in PLOTS]
    def one_step() -> None:
        model.step()
        for p in plots:
            figure_png(p.update())

    _report("model + figures", [_timed(one_step) for _ in range(a.steps)])

    import ipyvuetify as v
    import solara

    os.environ["KOOPERATIONSSIM_DASHBOARD_SCENARIO"] = str(Path(a.scenario).resolve()) \
        if Path(a.scenario).exists() else a.scenario
    from kooperationssim.dashboard import app

    app.new_classroom_seed = lambda: a.rng  # the page's first run uses the benchmark's seed
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    for _ in range(a.start):
        step.click()
    times = [_timed(step.click) for _ in range(a.steps)]
    rc.close()
    _report("Step button", times)
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(wall time includes waiting for a CPU; CPU time is this process's own)")


if __name__ == "__main__":
    main()
