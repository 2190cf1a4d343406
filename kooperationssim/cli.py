"""Command line: ``run``, ``sweep``, ``summarize``, ``sensitivity``, ``report``, ``params``.

Exit codes: 0 success, 2 bad input (one message naming the key or value; nothing
written), 1 internal error.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__
from .io import (
    OutputDirError,
    dump_json,
    release_out_dir,
    reserve_out_dir,
    slugify,
    unique_out_dir,
    write_results_atomically,
)
from .outputs import OUTPUTS
from .params import GROUPS, PARAMS, PARAMS_BY_NAME
from .scenario import Scenario, ScenarioError, load_scenario, parse_assignment

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class InputError(Exception):
    """Bad input from the command line (exit code 2)."""


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        if v != v:
            return "n/a"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.3f}"
    return str(v)


# ---------------------------------------------------------------------------
# params
# ---------------------------------------------------------------------------


def params_table(markdown: bool = False) -> str:
    """The parameter table (plain text or Markdown), generated from the schema."""
    lines: list[str] = []
    if markdown:
        for g, (en, _de) in GROUPS.items():
            ps = [p for p in PARAMS if p.group == g]
            if not ps:
                continue
            lines.append(f"#### {en}\n")
            lines.append("| parameter | default | range | unit | meaning | source |")
            lines.append("|---|---|---|---|---|---|")
            for p in ps:
                if p.choices:
                    rng = " / ".join(p.choices)
                elif p.min is not None or p.max is not None:
                    rng = f"{_num(p.min)} – {_num(p.max)}" + (" or 0" if p.zero_or_min else "")
                else:
                    rng = ""
                lines.append(
                    f"| `{p.name}` | {_num(p.default)} | {rng} | {p.unit} | "
                    f"{p.help} ({p.label_de}) | {p.source} |"
                )
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"
    w = max(len(p.name) for p in PARAMS)
    for g, (en, _de) in GROUPS.items():
        ps = [p for p in PARAMS if p.group == g]
        lines.append(f"\n{en}")
        lines.append("-" * len(en))
        for p in ps:
            if p.choices:
                rng = "{" + ", ".join(p.choices) + "}"
            elif p.min is not None or p.max is not None:
                rng = f"[{_num(p.min)}, {_num(p.max)}]"
            else:
                rng = ""
            lines.append(f"{p.name:<{w}}  {_num(p.default):>12}  {rng:<18} {p.unit:<14} {p.help}")
    return "\n".join(lines).lstrip("\n") + "\n"


def _num(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return f"{x:g}"
    if x is None:
        return ""
    return str(x)


def cmd_params(args: argparse.Namespace) -> int:
    """Print the parameter table or its JSON form."""
    if args.json:
        print(json.dumps([p.to_json() for p in PARAMS], indent=2, ensure_ascii=False))
    else:
        print(params_table(markdown=args.markdown), end="")
    return EXIT_OK


# ---------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------


def _scenario_from_args(args: argparse.Namespace) -> Scenario:
    extra: dict[str, Any] = {}
    for item in args.set or []:
        k, v = parse_assignment(item)
        extra[k] = v
    if args.weeks is not None:
        try:
            extra["weeks"] = PARAMS_BY_NAME["weeks"].check(args.weeks)
        except ValueError as e:
            raise InputError(f"--weeks: {e}") from None
    if args.scenario is None:
        from .scenario import scenario_from_dict

        return scenario_from_dict({"name": "default", "description": "built-in defaults"},
                                  extra=extra)
    return load_scenario(args.scenario, extra=extra)  # a file or a shipped name


@dataclass
class RunResult:
    """What one run produced, whichever engine ran it."""

    seed: int
    weeks: int
    outputs: dict[str, Any]
    series: Any
    wall_s: float


def run_one(sc: Scenario, seed: int | None, progress: bool, engine: str = "numpy") -> RunResult:
    """Run one simulation with the chosen engine; both give identical results."""
    from . import draws

    seed = draws.new_seed() if seed is None else int(seed)
    weeks = sc.params["weeks"]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=weeks, unit="wk", desc=f"{sc.name} ({engine})", leave=False)
    t0 = time.perf_counter()
    if engine == "mesa":
        from .mesa_engine import KooperationsModel

        model = KooperationsModel(sc.params, rng=seed)
        while model.week < model.weeks:
            model.step()
            if bar is not None:
                bar.update(1)
        outputs, series = model.summary(), model.series()
    else:
        from .vector_engine import VectorEngine

        res = VectorEngine([sc.params], [seed]).run(
            (lambda w: bar.update(1)) if bar is not None else None)
        outputs, series = res.summaries[0], res.series(0)
    if bar is not None:
        bar.close()
    return RunResult(seed, weeks, outputs, series, time.perf_counter() - t0)


def summary_table(outputs: dict[str, Any]) -> str:
    """The end-of-run summary as aligned text."""
    rows = [(o.name, _fmt_value(outputs[o.name]), o.unit) for o in OUTPUTS]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"  {a:<{w0}}  {b:>{w1}}  {c}" for a, b, c in rows)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one simulation and write summary.json, series.csv and figure.png."""
    sc = _scenario_from_args(args)
    # claim the output directory before simulating: a long run is never lost because
    # its results cannot be written, and two runs never share a directory
    try:
        if args.out:
            out = Path(args.out)
            created = reserve_out_dir(out)
        else:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            out, created = unique_out_dir(Path("runs"),
                                          f"{slugify(sc.name, 'scenario')}-{stamp}")
    except OutputDirError as e:
        raise InputError(str(e)) from None
    try:
        return _run_into(args, sc, out)
    except BaseException:
        release_out_dir(created)  # only directories this run made, and only if empty
        raise


def _run_into(args: argparse.Namespace, sc: Scenario, out: Path) -> int:
    """Simulate and write the results into the (claimed, empty) directory ``out``."""
    progress = sys.stderr.isatty() and not args.quiet
    res = run_one(sc, args.rng, progress, args.engine)
    outputs, series, wall = res.outputs, res.series, res.wall_s
    import matplotlib
    import mesa
    import numpy

    from .funding import generate_streams
    from .plotting import run_figure

    params = dict(sc.params)
    summary = {
        "kooperationssim_version": __version__,
        "engine": args.engine,
        "scenario": {
            "name": sc.name,
            "path": str(sc.path) if sc.path else None,
            "description": sc.description,
            "overrides": sc.overrides,
        },
        "seed": res.seed,
        "weeks": res.weeks,
        "outputs": outputs,
        "parameters": params,
        "funding_streams_effective": [s.to_json() for s in generate_streams(params)],
        "wall_time_s": round(wall, 3),
        "environment": {
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "mesa": mesa.__version__,
            "matplotlib": matplotlib.__version__,
            "platform": platform.platform(),
        },
    }
    title = f"{sc.name} (seed {res.seed})"
    write_results_atomically(out, {
        "summary.json": lambda p: dump_json(p, summary),
        "series.csv": lambda p: series.to_csv(p, index=False),
        "figure.png": lambda p: run_figure(series, p, title=title),
    })
    if not args.quiet:
        print(f"kooperationssim {__version__} - scenario '{sc.name}', seed {res.seed}, "
              f"{res.weeks} weeks, {args.engine} engine, {wall:.1f} s")
        print(summary_table(outputs))
        print(f"results written to {out}/ (summary.json, series.csv, figure.png)")
    return EXIT_OK


# ---------------------------------------------------------------------------
# sweep, summarize
# ---------------------------------------------------------------------------


def _reach_table(summ, factors: list[str]) -> str:
    """reach_first_year by coordinator FTE and funding regime (or the first two factors)."""
    m = "reach_first_year_mean"
    if m not in summ.columns:
        return ""
    rows_f = "coordinator_fte" if "coordinator_fte" in factors else factors[0]
    cols_f = ("funding_regime" if "funding_regime" in factors and rows_f != "funding_regime"
              else next((f for f in factors if f != rows_f), None))
    if cols_f is None:
        tab = summ.groupby(rows_f)[m].mean().to_frame("reach_first_year")
    else:
        tab = summ.pivot_table(index=rows_f, columns=cols_f, values=m, aggfunc="mean")
    if len(tab) > 40 or tab.shape[1] > 8:
        return ""
    return ("mean reach_first_year (share of burdened families in early help before the "
            f"first birthday) by {rows_f}" + (f" and {cols_f}" if cols_f else "") + ":\n"
            + tab.to_string(float_format=lambda v: f"{v:.3f}"))


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run every design point x replicate of an experiment into a results directory."""
    from .experiment import ExperimentError, load_experiment
    from .summarize import summarize
    from .sweep import SweepError, bar_progress, failed_chunks_message, plain_progress, sweep

    try:
        ex = load_experiment(args.experiment)
        ex = ex.with_target(args.target_ci if args.target_ci is not None else ex.target_ci,
                            args.max_replicates if args.max_replicates is not None
                            else (ex.max_replicates if args.target_ci is None else None))
    except ExperimentError as e:
        raise InputError(str(e)) from None
    out = Path(args.out) if args.out else Path("sweeps") / slugify(ex.name, "experiment")
    quiet = args.quiet
    close = None
    if quiet:
        progress = None
    elif sys.stderr.isatty():
        progress, close = bar_progress(ex.name)
    else:
        progress = plain_progress()
    if not quiet:
        where = (f"cluster {args.scheduler}" if args.scheduler else
                 f"{args.workers} worker process" + ("es" if args.workers > 1 else "")
                 if args.workers > 1 else "this process")
        print(f"kooperationssim {__version__} - sweep '{ex.name}': {len(ex.points)} design "
              f"points x {ex.replicates} replicates = {ex.n_runs} runs of {ex.weeks} weeks, "
              f"on {where}, into {out}/", file=sys.stderr)
        if ex.adaptive:
            print(f"adaptive: rounds of {ex.replicates} replicates per point until the 95 % "
                  f"half-width of reach_first_year is <= {ex.target_ci:g}, at most "
                  f"{ex.max_replicates} replicates", file=sys.stderr)
    try:
        rep_ = sweep(ex, out, workers=args.workers, scheduler=args.scheduler,
                     chunk_size=args.chunk_size, resume=args.resume,
                     retry_failed=args.retry_failed, progress=progress)
    except SweepError as e:
        raise InputError(str(e)) from None
    finally:
        if close is not None:
            close()
    if rep_.already_complete and not quiet:
        print(f"{out}/ already holds every run of this experiment; nothing to do",
              file=sys.stderr)
    elif not quiet:
        rate = rep_.runs_this_session / rep_.wall_s if rep_.wall_s > 0 else 0.0
        print(f"{rep_.runs_this_session} runs in {rep_.wall_s:.1f} s ({rate:.1f} runs/s); "
              f"{rep_.runs_done}/{rep_.runs_total} runs in the store", file=sys.stderr)
    if rep_.stopping is not None and not quiet:
        print(_stopping_table(rep_.stopping, ex))
    if rep_.failed_chunks:
        print(f"kooperationssim: {failed_chunks_message(rep_)}", file=sys.stderr)
    if rep_.runs_done and not args.no_summary:
        res = summarize(out)
        if not quiet:
            table = _reach_table(res["summary"], res["factors"])
            if table:
                print(table)
            print(f"results: {out}/runs.parquet, {out}/manifest.json; summary: "
                  + ", ".join(p.name for p in res["files"]))
    return EXIT_INTERNAL if rep_.failed_chunks else EXIT_OK


def _stopping_table(stopping: list[dict[str, Any]], ex) -> str:
    """Where each design point of an adaptive sweep stopped."""
    if not stopping:
        return "adaptive: no design point has stopped yet (a round is incomplete)"
    hit = sum(1 for s in stopping if s["stopped"] == "target")
    lines = [f"adaptive: {hit} of {len(ex.points)} points reached the target half-width "
             f"{ex.target_ci:g}; {len(stopping) - hit} stopped at max {ex.max_replicates} "
             "replicates"]
    factors = [f.name for f in ex.factors]
    for s in stopping[:60]:
        pt = ex.points[s["point"]]
        desc = ", ".join(f"{f}={pt[f]}" for f in factors)
        lines.append(f"  point {s['point']:>4} ({desc}): {s['replicates']} replicates, "
                     f"half-width {s['half_width']:.4f} ({s['stopped']})")
    if len(stopping) > 60:
        lines.append(f"  ... {len(stopping) - 60} more in manifest.json (adaptive.stopping)")
    return "\n".join(lines)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run a Sobol or Morris sensitivity analysis and write indices and bar plots."""
    from .sensitivity import SensitivityError, load_sensitivity, run_sensitivity
    from .sweep import SweepError, failed_chunks_message, plain_progress

    try:
        sa = load_sensitivity(args.experiment, method=args.method)
    except SensitivityError as e:
        raise InputError(str(e)) from None
    ex = sa.experiment
    out = (Path(args.out) if args.out
           else Path("sweeps") / f"{slugify(ex.name, 'experiment')}-{sa.method}")
    if not args.quiet:
        print(f"kooperationssim {__version__} - sensitivity '{ex.name}' ({sa.method}): "
              f"{len(sa.problem['names'])} parameters, {len(ex.points)} points x "
              f"{ex.replicates} replicates = {ex.n_runs} runs of {ex.weeks} weeks, into "
              f"{out}/", file=sys.stderr)
    try:
        res = run_sensitivity(sa, out, workers=args.workers, scheduler=args.scheduler,
                              chunk_size=args.chunk_size, resume=args.resume,
                              retry_failed=args.retry_failed,
                              progress=None if args.quiet else plain_progress())
    except (SweepError, SensitivityError) as e:
        raise InputError(str(e)) from None
    rep_ = res["report"]
    if rep_.failed_chunks:
        print(f"kooperationssim: {failed_chunks_message(rep_)}", file=sys.stderr)
        return EXIT_INTERNAL
    if not args.quiet:
        idx, noise = res["indices"], res["noise"]
        key = "ST" if sa.method == "sobol" else "mu_star"
        conf = f"{key}_conf"
        for o in sa.outputs:
            nz = noise[noise.output == o].iloc[0]
            d = idx[idx.output == o].sort_values(key, ascending=False) if len(idx) else idx
            if not len(d):
                print(f"{o}: no indices ({nz.get('note', 'no values')})")
                continue
            print(f"{o}: {key} (95 % half-width); seed noise = "
                  f"{100 * nz['seed_noise_share']:.1f} % of the variance of the replicate "
                  f"means (replicate sd {nz['seed_sd_pooled']:.4g})")
            for _, r in d.iterrows():
                extra = f", S1 {r['S1']:.3f}" if sa.method == "sobol" else \
                    f", sigma {r['sigma']:.4g}"
                print(f"  {r['parameter']:<32} {r[key]:.4g} (±{r[conf]:.3g}){extra}")
        print("wrote " + ", ".join(str(p) for p in res["files"]))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write a self-contained HTML report of an experiment file or a results directory."""
    from .experiment import ExperimentError
    from .report import ReportError, write_report
    from .sweep import SweepError

    try:
        out = write_report(args.source, args.out, progress=not args.quiet)
    except (ReportError, ExperimentError, SweepError) as e:
        raise InputError(str(e)) from None
    if not args.quiet:
        print(f"wrote {out}")
    return EXIT_OK


def cmd_summarize(args: argparse.Namespace) -> int:
    """Write summary.csv and the plots of a results directory."""
    from .summarize import SummarizeError, summarize
    from .sweep import SweepError

    try:
        res = summarize(args.dir, x=args.x, y=args.y, metric=args.metric)
    except (SummarizeError, SweepError) as e:
        raise InputError(str(e)) from None
    if not args.quiet:
        table = _reach_table(res["summary"], res["factors"])
        if table:
            print(table)
        print("wrote " + ", ".join(str(p) for p in res["files"]))
    return EXIT_OK


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return v


# ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``kooperationssim`` command."""
    ap = argparse.ArgumentParser(
        prog="kooperationssim",
        description="Agent-based simulation of cooperation between the health system and "
        "child and youth welfare in municipal prevention chains (Frühe Hilfen).",
    )
    ap.add_argument("--version", action="version", version=f"kooperationssim {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run one simulation")
    r.add_argument("scenario", nargs="?", help="scenario TOML file or shipped scenario name, "
                   "e.g. mittelstadt (default: built-in defaults)")
    r.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter (repeatable)")
    r.add_argument("--rng", type=_seed_arg, default=None,
                   help="seed of the run (default: fresh entropy, recorded in summary.json)")
    r.add_argument("--weeks", type=int, default=None, help="horizon in weeks")
    r.add_argument("--out", default=None, help="output directory, new or empty (default: "
                   "runs/NAME-TIME, with -2, -3, ... when taken)")
    r.add_argument("--engine", choices=("numpy", "mesa"), default="numpy",
                   help="numpy (vectorised, fast; default) or mesa (agent by agent); "
                   "both give identical results")
    r.add_argument("--quiet", action="store_true", help="print nothing on success")
    r.set_defaults(func=cmd_run)

    w = sub.add_parser("sweep", help="run an experiment: every design point x replicate",
                       description="Run every design point x replicate of an experiment "
                       "file on the NumPy engine, in chunks, into a resumable results store "
                       "(runs.parquet, manifest.json), then write its summary.")
    w.add_argument("experiment", help="experiment TOML file or shipped experiment name "
                   "(e.g. experiments/staffing_funding.toml or staffing_funding)")
    w.add_argument("--out", default=None, help="results directory (default: sweeps/NAME)")
    w.add_argument("--workers", type=_positive_int, default=1,
                   help="worker processes of a local Dask cluster (default 1: this process)")
    w.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    w.add_argument("--chunk-size", type=_positive_int, default=None,
                   help="runs per chunk, one engine batch (default: chosen from the size of "
                   "the municipality, 128 for 1,200 births a year)")
    w.add_argument("--resume", action="store_true",
                   help="complete the results in --out without redoing finished chunks")
    w.add_argument("--retry-failed", action="store_true",
                   help="rerun the chunks that failed (implies --resume)")
    w.add_argument("--target-ci", type=_positive_float, default=None, metavar="HALF_WIDTH",
                   help="add rounds of the file's replicates per design point until the "
                   "95 %% confidence half-width of reach_first_year is at most HALF_WIDTH "
                   "(e.g. 0.01)")
    w.add_argument("--max-replicates", type=_positive_int, default=None, metavar="N",
                   help="most replicates per design point with --target-ci (default: ten "
                   "rounds)")
    w.add_argument("--no-summary", action="store_true",
                   help="do not write summary.csv and plots at the end")
    w.add_argument("--quiet", action="store_true", help="no progress and no summary table")
    w.set_defaults(func=cmd_sweep)

    m = sub.add_parser("summarize", help="summary.csv and plots of a sweep's results")
    m.add_argument("dir", help="results directory of a sweep")
    m.add_argument("--x", default=None, help="factor on the heatmap's x axis")
    m.add_argument("--y", default=None, help="factor on the heatmap's y axis")
    m.add_argument("--metric", default="reach_first_year",
                   help="output shown in the plots (default reach_first_year)")
    m.add_argument("--quiet", action="store_true", help="print nothing on success")
    m.set_defaults(func=cmd_summarize)

    s = sub.add_parser("sensitivity", help="Sobol or Morris sensitivity analysis (SALib)",
                       description="Sample the factor ranges of a sensitivity file with "
                       "SALib, run every point x replicate as a resumable sweep, and write "
                       "the indices (on replicate means), the seed noise and bar plots.")
    s.add_argument("experiment", help="sensitivity file (e.g. experiments/sensitivity.toml)")
    s.add_argument("--method", choices=("sobol", "morris"), default=None,
                   help="overrides sensitivity.method of the file")
    s.add_argument("--out", default=None, help="results directory (default: "
                   "sweeps/NAME-METHOD)")
    s.add_argument("--workers", type=_positive_int, default=1,
                   help="worker processes of a local Dask cluster (default 1: this process)")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of an existing Dask scheduler")
    s.add_argument("--resume", action="store_true",
                   help="complete the runs in --out, then analyse")
    s.add_argument("--chunk-size", type=_positive_int, default=None,
                   help="runs per chunk, one engine batch (default: chosen from the size of "
                   "the municipality and the memory available)")
    s.add_argument("--retry-failed", action="store_true",
                   help="rerun the chunks that failed (implies --resume), then analyse")
    s.add_argument("--quiet", action="store_true", help="print nothing on success")
    s.set_defaults(func=cmd_sensitivity)

    rp = sub.add_parser("report", help="self-contained HTML report of an experiment or "
                        "results directory",
                        description="Write one HTML file (figures embedded, no network "
                        "needed) with the comparison table (paired differences against the "
                        "first design point), plots and the run manifest.")
    rp.add_argument("source", help="experiment file or name of a shipped experiment (runs "
                    "its design points in this process) or results directory of a sweep")
    rp.add_argument("--out", required=True, metavar="FILE.html", help="the report file "
                    "(must not exist)")
    rp.add_argument("--quiet", action="store_true", help="print nothing on success")
    rp.set_defaults(func=cmd_report)

    p = sub.add_parser("params", help="list every parameter with default, bounds and source")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print a JSON list")
    g.add_argument("--markdown", action="store_true", help="print Markdown tables")
    p.set_defaults(func=cmd_params)

    from .dashboard import register_cli as register_dashboard

    register_dashboard(sub)
    return ap


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not (v > 0 and v != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return v


def _seed_arg(text: str) -> int:
    """Parse ``--rng``: a non-negative integer."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kooperationssim`` command."""
    ap = build_parser()
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:  # argparse errors exit with 2 already
        return int(e.code or 0)
    from .memory import tune_allocator

    tune_allocator()
    try:
        return int(args.func(args))
    except (ScenarioError, InputError, OutputDirError) as e:
        print(f"kooperationssim: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("kooperationssim: interrupted", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001
        print("kooperationssim: internal error (please report):", file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
