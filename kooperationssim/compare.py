"""Comparisons of scenarios with paired differences (common random numbers).

For notebooks and reports::

    from kooperationssim.compare import compare, run_comparison

    table = compare({"none": "scenarios/no_coordination.toml",
                     "dauerstelle": {"coordinator_fte": 1.0}},
                    reference="none", replicates=50, rng=1, base="mittelstadt")

Every scenario runs the same replicates: replicate *r* of every scenario uses the seed
:func:`kooperationssim.experiment.replicate_seed` ``(rng, r)``, so the engine draws the
same random numbers for every decision the scenarios share (common random numbers).
The difference between a scenario and the reference is therefore computed *per
replicate* (paired) and its 95 % confidence interval uses the variance of the paired
differences.  Beside it the table reports the variance of the difference had the two
scenarios been run with independent seeds (the sum of the two variances) and the
variance reduction ``1 - var(paired) / (var(a) + var(b))``.

The cost per additional burdened family reached before its first birthday is a ratio
estimator, ``sum(cost - cost_ref) / sum(reached - reached_ref)`` over the replicates,
with a percentile interval from a paired bootstrap over replicates (resampling whole
replicates, so both scenarios of a replicate stay together).

Runs go to the NumPy engine in batches in this process: no worker processes are
started, so the comparison behaves the same under every Jupyter start method (fork,
spawn, forkserver) on Linux, macOS and Windows.
"""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .experiment import replicate_seed
from .params import PARAMS_BY_NAME, suggest
from .scenario import ScenarioError, load_scenario, resolve
from .sweep import half_width

__all__ = [
    "CompareError",
    "Comparison",
    "compare",
    "run_comparison",
    "paired_table",
    "cost_per_family",
    "series_bands",
    "half_width",
    "DEFAULT_METRICS",
    "DEFAULT_SERIES",
]

#: Summary outputs in the comparison table unless chosen otherwise.
DEFAULT_METRICS = (
    "reach_first_year",
    "reach_before_crisis",
    "burdened_reached_first_year",
    "crises_per_1000_births",
    "cost_total_eur",
    "trust_mean",
    "acquainted_share",
    "mode_share_positive",
    "vacancy_weeks",
)
#: Weekly series kept for the confidence bands unless chosen otherwise.
DEFAULT_SERIES = ("reach_first_year", "trust_mean", "acquainted_share",
                  "coordinator_fte_filled", "cost_total_eur", "families_in_help")
#: Name of the derived row: EUR per additional burdened family reached in year 1.
COST_METRIC = "eur_per_additional_family"
#: Runs per engine batch (about 1 GB for the benchmark town).
DEFAULT_BATCH = 64
BOOTSTRAP = 2000


class CompareError(ValueError):
    """Bad comparison input: one message naming the scenario, key or value at fault."""


# ---------------------------------------------------------------------------
# statistics (plain functions over arrays)
# ---------------------------------------------------------------------------


def _tq(n: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, max(n - 1, 1)))


def _mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return (float("nan"),) * 3
    m = float(x.mean())
    h = half_width(x)
    return m, m - h, m + h


def paired_table(runs, reference: str, metrics: Sequence[str], *,
                 scenario_col: str = "scenario"):
    """Tidy table of means and paired differences against ``reference``.

    Args:
        runs: One row per run with the columns ``scenario_col``, ``replicate`` and the
            metrics.  Scenarios are paired by ``replicate`` (common random numbers).
        reference: The scenario every other is compared with.
        metrics: Output columns to compare.
        scenario_col: Column naming the scenario.

    Returns:
        One row per scenario and metric: ``n``, ``mean``, ``ci_low``, ``ci_high``, the
        paired difference ``diff`` with ``diff_ci_low``/``diff_ci_high``, ``var_paired``
        (variance of the paired differences), ``var_independent`` (sum of the two
        variances: the variance of a difference of independent runs), the
        ``variance_reduction`` ``1 - var_paired / var_independent`` (NaN when
        ``var_independent`` is 0: a metric that does not vary has nothing to reduce)
        and the half-width
        an independent comparison with as many runs would have had
        (``diff_half_width_independent``) beside the paired one (``diff_half_width``).
    """
    import pandas as pd

    ref = runs[runs[scenario_col] == reference].set_index("replicate")
    rows = []
    for name, d in runs.groupby(scenario_col, sort=False):
        d = d.set_index("replicate")
        common = d.index.intersection(ref.index)
        for m in metrics:
            x = d[m].to_numpy(dtype=np.float64)
            mean, lo, hi = _mean_ci(x)
            row = {"scenario": name, "metric": m, "reference": reference,
                   "n": int(np.isfinite(x).sum()), "mean": mean, "ci_low": lo, "ci_high": hi}
            if name == reference:
                row.update(diff=0.0, diff_ci_low=0.0, diff_ci_high=0.0)
            else:
                a = d.loc[common, m].to_numpy(dtype=np.float64)
                b = ref.loc[common, m].to_numpy(dtype=np.float64)
                ok = np.isfinite(a) & np.isfinite(b)
                a, b = a[ok], b[ok]
                dm, dlo, dhi = _mean_ci(a - b)
                n = len(a)
                vp = float(np.var(a - b, ddof=1)) if n > 1 else float("nan")
                vi = (float(np.var(a, ddof=1) + np.var(b, ddof=1)) if n > 1
                      else float("nan"))
                row.update(
                    diff=dm, diff_ci_low=dlo, diff_ci_high=dhi, n_pairs=n,
                    diff_half_width=(dhi - dlo) / 2.0,
                    var_paired=vp, var_independent=vi,
                    variance_reduction=(1.0 - vp / vi) if vi and vi > 0 else float("nan"),
                    diff_half_width_independent=(_tq(2 * n - 1) * math.sqrt(vi / n)
                                                 if n > 1 else float("nan")),
                )
            rows.append(row)
    cols = ["scenario", "metric", "reference", "n", "mean", "ci_low", "ci_high", "diff",
            "diff_ci_low", "diff_ci_high", "n_pairs", "var_paired", "var_independent",
            "variance_reduction", "diff_half_width", "diff_half_width_independent"]
    return pd.DataFrame(rows).reindex(columns=cols)


def cost_per_family(d_cost: np.ndarray, d_reached: np.ndarray, *, seed: int = 0,
                    resamples: int = BOOTSTRAP) -> tuple[float, float, float]:
    """EUR per additional family reached: ratio of mean differences, bootstrap interval.

    Args:
        d_cost: Paired differences in total cost (EUR), one per replicate.
        d_reached: Paired differences in burdened families reached before the first
            birthday, one per replicate.
        seed: Seed of the bootstrap.
        resamples: Number of bootstrap resamples of the replicates.

    Returns:
        ``(estimate, ci_low, ci_high)``.  The estimate is ``sum(d_cost) /
        sum(d_reached)``; it is NaN when the scenario reached no more families than the
        reference on average.  A resample in which no additional family was reached
        counts as an infinite cost, so an upper bound of ``inf`` says that the data
        cannot rule out that the scenario reaches no additional family at all.
    """
    c = np.asarray(d_cost, dtype=np.float64)
    r = np.asarray(d_reached, dtype=np.float64)
    ok = np.isfinite(c) & np.isfinite(r)
    c, r = c[ok], r[ok]
    n = len(c)
    if n == 0 or r.sum() <= 0:
        return (float("nan"),) * 3
    est = float(c.sum() / r.sum())
    if n < 2:
        return est, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    sc, sr = c[idx].sum(axis=1), r[idx].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sr > 0, sc / np.where(sr > 0, sr, 1.0), np.inf)
    lo, hi = np.quantile(ratio, [0.025, 0.975], method="inverted_cdf")
    return est, float(lo), float(hi)


def series_bands(arrays: Mapping[str, np.ndarray], names: Sequence[str],
                 replicates: Mapping[str, np.ndarray], reference: str):
    """Weekly mean with 95 % band per scenario, and the paired difference to the reference.

    Args:
        arrays: Scenario -> ``{series: array[runs, weeks]}`` (a dict of arrays).
        names: Series to summarise.
        replicates: Scenario -> replicate number of every row of its arrays.
        reference: Scenario the differences are taken against.

    Returns:
        A tidy DataFrame: ``scenario``, ``series``, ``week``, ``mean``, ``ci_low``,
        ``ci_high``, ``diff``, ``diff_ci_low``, ``diff_ci_high``.
    """
    import warnings

    import pandas as pd

    parts = []
    ref_idx = {int(r): i for i, r in enumerate(replicates[reference])}
    for sc, arrs in arrays.items():
        reps = replicates[sc]
        mine = [i for i, r in enumerate(reps) if int(r) in ref_idx]
        theirs = [ref_idx[int(reps[i])] for i in mine]
        for s in names:
            x = np.asarray(arrs[s], dtype=np.float64)
            n = x.shape[0]
            weeks = np.arange(x.shape[1])
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(x, axis=0) if n else np.full(len(weeks), np.nan)
                cnt = np.isfinite(x).sum(axis=0)
                sd = np.nanstd(x, axis=0, ddof=1) if n > 1 else np.full(len(weeks), np.nan)
                h = _tq_vec(cnt) * sd / np.sqrt(np.maximum(cnt, 1))
                d = x[mine] - np.asarray(arrays[reference][s], dtype=np.float64)[theirs]
                dm = np.nanmean(d, axis=0) if len(mine) else np.full(len(weeks), np.nan)
                dc = np.isfinite(d).sum(axis=0)
                dsd = (np.nanstd(d, axis=0, ddof=1) if len(mine) > 1
                       else np.full(len(weeks), np.nan))
                dh = _tq_vec(dc) * dsd / np.sqrt(np.maximum(dc, 1))
            parts.append(pd.DataFrame({
                "scenario": sc, "series": s, "week": weeks, "mean": mean,
                "ci_low": mean - h, "ci_high": mean + h, "diff": dm,
                "diff_ci_low": dm - dh, "diff_ci_high": dm + dh}))
    return pd.concat(parts, ignore_index=True)


def _tq_vec(n: np.ndarray) -> np.ndarray:
    from scipy import stats

    n = np.asarray(n)
    return np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)


# ---------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------


def _base_params(base: str | Path | Mapping[str, Any] | None) -> tuple[dict, list]:
    """Overrides and streams of the base scenario (``None``: built-in defaults)."""
    if base is None:
        return {}, []
    if isinstance(base, Mapping):
        b = dict(base)
        streams = list(b.pop("funding_streams", []) or [])
        return b, streams
    sc = _load(base, "base")
    return dict(sc.overrides), list(sc.params["funding_streams"])


def _load(spec: str | Path, label: str):
    try:
        return load_scenario(spec)  # a file, or the bare name of a shipped scenario
    except ScenarioError as e:
        raise CompareError(f"scenario '{label}': {e}") from None


def _resolve_one(name: str, spec: Any, base: tuple[dict, list], weeks: int | None
                 ) -> dict[str, Any]:
    """Complete engine parameters of one scenario spec (a file or a dict of overrides)."""
    if isinstance(spec, str | Path):
        sc = _load(spec, name)
        over, streams = dict(sc.overrides), list(sc.params["funding_streams"])
    elif isinstance(spec, Mapping):
        over = dict(base[0])
        streams = list(base[1])
        spec = dict(spec)
        if "funding_streams" in spec:
            streams = list(spec.pop("funding_streams") or [])
        for k in spec:
            if k not in PARAMS_BY_NAME:
                raise CompareError(f"scenario '{name}': unknown parameter '{k}'"
                                   f"{suggest(k, list(PARAMS_BY_NAME))}")
        over.update(spec)
        if over.get("funding_regime", "permanent") != "custom":
            streams = []
    else:
        raise CompareError(f"scenario '{name}': give a scenario file or a dict of "
                           f"overrides, got {type(spec).__name__}")
    if weeks is not None:
        over["weeks"] = weeks
    try:
        return resolve(over, streams, where=f"scenario '{name}': ")
    except ScenarioError as e:
        raise CompareError(str(e)) from None


def _named(scenarios: Any) -> dict[str, Any]:
    if isinstance(scenarios, Mapping):
        out = {str(k): v for k, v in scenarios.items()}
    elif isinstance(scenarios, Sequence) and not isinstance(scenarios, str | bytes):
        out = {}
        for i, s in enumerate(scenarios):
            name = Path(s).stem if isinstance(s, str | Path) else f"scenario_{i}"
            if name in out:
                name = f"{name}_{i}"
            out[name] = s
    else:
        raise CompareError("scenarios must be a dict {name: file or overrides} or a list "
                           "of scenario files")
    if len(out) < 2:
        raise CompareError(f"a comparison needs at least two scenarios, got {len(out)}")
    return out


# ---------------------------------------------------------------------------
# the comparison
# ---------------------------------------------------------------------------


@dataclass
class Comparison:
    """Result of :func:`run_comparison`.

    Attributes:
        table: Tidy DataFrame, one row per scenario and metric (see :func:`paired_table`),
            plus one row per scenario for ``eur_per_additional_family``.
        runs: One row per run: scenario, replicate, seed, every summary output.
        series: Weekly bands (see :func:`series_bands`); empty when no series were kept.
        reference: Name of the reference scenario.
        manifest: Versions, seeds, parameters, wall time and the stopping rule.
        stopping: Replicates and half-width of ``reach_first_year`` per scenario.
    """

    table: Any
    runs: Any
    series: Any
    reference: str
    manifest: dict[str, Any] = field(default_factory=dict)
    stopping: Any = None

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.table._repr_html_()

    def diff(self, metric: str = "reach_first_year"):
        """Rows of the table for one metric (scenario, mean and paired difference)."""
        return self.table[self.table.metric == metric].reset_index(drop=True)

    def plot_differences(self, metric: str = "reach_first_year", ax=None):
        """Bar chart of the paired difference to the reference with 95 % intervals."""
        return plot_differences(self.table, metric, ax=ax)

    def plot_series(self, series: str = "reach_first_year", diff: bool = False, ax=None):
        """Weekly mean (or paired difference) with 95 % bands, one line per scenario."""
        return plot_series(self.series, series, diff=diff, ax=ax)


def run_comparison(
    scenarios: Mapping[str, Any] | Sequence[Any],
    reference: str | None = None,
    replicates: int = 30,
    rng: int = 0,
    *,
    base: str | Path | Mapping[str, Any] | None = None,
    weeks: int | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    series: Sequence[str] | None = DEFAULT_SERIES,
    target_ci: float | None = None,
    max_replicates: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run every scenario for the same replicates and compare them with the reference.

    Args:
        scenarios: ``{name: spec}`` or a list of scenario files.  A spec is a scenario
            file (path, or a name in ``scenarios/``) or a dict of parameter overrides on
            top of ``base`` (it may hold ``funding_streams``: a list of stream tables,
            used with ``funding_regime = "custom"``).
        reference: Name of the reference scenario (default: the first).
        replicates: Replicates per scenario (with ``target_ci``: per round).
        rng: Seed of the comparison; replicate *r* uses ``replicate_seed(rng, r)``, the
            same scheme as sweeps.
        base: Scenario the dict specs override (file, name or dict; default: built-in
            defaults).
        weeks: Horizon of every run (default: the scenarios' own).
        metrics: Summary outputs in the table.
        series: Weekly series kept for the bands (``None``: none).
        target_ci: Add rounds of ``replicates`` replicates to every scenario until the
            95 % half-width of ``reach_first_year`` is at most this in every scenario
            (all scenarios keep the same replicates, so every difference stays paired).
            Needs runs of more than 52 weeks (``reach_first_year`` has no value before).
        max_replicates: Upper limit of replicates with ``target_ci`` (default: 10 rounds).
        batch_size: Runs per engine batch.
        progress: Called as ``progress(runs_done, runs_planned)`` after each batch.

    Raises:
        CompareError: for bad scenarios, metrics or options.
    """
    import pandas as pd

    from .outputs import SERIES_KEYS, SUMMARY_KEYS
    from .sweep import _environment, _git_info, _summary_columns
    from .vector_engine import VectorEngine, structure_key

    named = _named(scenarios)
    reference = next(iter(named)) if reference is None else str(reference)
    if reference not in named:
        raise CompareError(f"reference '{reference}' is not one of the scenarios"
                           f"{suggest(reference, list(named))}; scenarios: "
                           f"{', '.join(named)}")
    for label, v in (("replicates", replicates), ("batch_size", batch_size)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise CompareError(f"{label} must be a positive integer, got {v!r}")
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer) or rng < 0:
        raise CompareError(f"rng must be a non-negative integer seed, got {rng!r}")
    rng = int(rng)
    if target_ci is not None and (isinstance(target_ci, bool)
                                  or not isinstance(target_ci, int | float)
                                  or not target_ci > 0):
        raise CompareError(f"target_ci must be a positive half-width, got {target_ci!r}")
    if max_replicates is not None and (isinstance(max_replicates, bool)
                                       or not isinstance(max_replicates, int | np.integer)):
        raise CompareError(f"max_replicates must be a positive integer, got "
                           f"{max_replicates!r}")
    if isinstance(metrics, str):
        metrics = (metrics,)
    if max_replicates is None:
        max_replicates = replicates * (10 if target_ci is not None else 1)
    elif target_ci is None:
        raise CompareError("max_replicates needs target_ci")
    elif max_replicates < replicates:
        raise CompareError(f"max_replicates ({max_replicates}) is below replicates "
                           f"({replicates})")
    series = tuple(series or ())
    for s in series:
        if s not in SERIES_KEYS or s == "week":
            raise CompareError(f"unknown series '{s}'{suggest(s, list(SERIES_KEYS))}")
    base_t = _base_params(base)
    params = {n: _resolve_one(n, s, base_t, weeks) for n, s in named.items()}
    if target_ci is not None:
        short = [(n, p["weeks"]) for n, p in params.items() if p["weeks"] <= 52]
        if short:
            n_, w_ = short[0]
            raise CompareError(
                f"target_ci needs weeks > 52, but scenario '{n_}' runs {w_} weeks: the "
                "stopping rule uses reach_first_year, which counts first birthdays of "
                "children born during the run and has no value before week 53")
    # check the metrics before the runs: the columns of a one-week run of the first scenario
    first = dict(next(iter(params.values())))
    first["weeks"] = 1
    known = set(SUMMARY_KEYS) | set(_summary_columns(VectorEngine([first], [0]).run()
                                                     .summaries[0]))
    for m in metrics:
        if m not in known:
            raise CompareError(f"unknown metric '{m}'{suggest(m, sorted(known))}")

    # scenarios that share a municipality structure share engine batches
    groups: dict[tuple, list[str]] = {}
    for n, p in params.items():
        groups.setdefault(structure_key(p), []).append(n)

    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    arrays: dict[str, dict[str, list[np.ndarray]]] = {n: {s: [] for s in series}
                                                       for n in named}
    reps_of: dict[str, list[int]] = {n: [] for n in named}
    stopping: list[dict[str, Any]] = []
    done, n = 0, 0
    while True:
        lo, hi = n, min(n + replicates, max_replicates) if target_ci is not None \
            else n + replicates
        for names in groups.values():
            runs = [(nm, r) for nm in names for r in range(lo, hi)]
            for i in range(0, len(runs), batch_size):
                part = runs[i:i + batch_size]
                seeds = [replicate_seed(rng, r) for _nm, r in part]
                res = VectorEngine([params[nm] for nm, _r in part], seeds).run()
                for j, (nm, r) in enumerate(part):
                    row = {"scenario": nm, "replicate": r, "seed": seeds[j]}
                    row.update(_summary_columns(res.summaries[j]))
                    rows.append(row)
                    if series:
                        df = res.series(j)
                        for s in series:
                            arrays[nm][s].append(df[s].to_numpy(dtype=np.float64))
                        reps_of[nm].append(r)
                done += len(part)
                if progress is not None:
                    progress(done, hi * len(named))
        n = hi
        if target_ci is None:
            break
        cur = pd.DataFrame(rows)
        hws = {nm: half_width(cur.loc[cur.scenario == nm, "reach_first_year"].to_numpy())
               for nm in named}
        if all(np.isfinite(h) and h <= target_ci for h in hws.values()) or n >= max_replicates:
            reason = "target" if all(np.isfinite(h) and h <= target_ci
                                     for h in hws.values()) else "max_replicates"
            stopping = [{"scenario": nm, "replicates": n, "half_width": hws[nm],
                         "target_ci": target_ci, "stopped": reason} for nm in named]
            break
    wall = time.perf_counter() - t0

    runs_df = pd.DataFrame(rows)
    runs_df["scenario"] = pd.Categorical(runs_df["scenario"], categories=list(named))
    runs_df = runs_df.sort_values(["scenario", "replicate"], kind="stable")
    runs_df["scenario"] = runs_df["scenario"].astype(str)
    runs_df = runs_df.reset_index(drop=True)
    for m in metrics:
        if m not in runs_df.columns:
            raise CompareError(f"unknown metric '{m}'"
                               f"{suggest(m, [c for c in runs_df.columns])}")
    table = _full_table(runs_df, reference, list(metrics), seed=rng)
    bands = pd.DataFrame()
    if series:
        stacked = {nm: {s: np.vstack(arrays[nm][s]) for s in series} for nm in named}
        bands = series_bands(stacked, series, {nm: np.asarray(reps_of[nm]) for nm in named},
                             reference)
    if not stopping:
        stopping = [{"scenario": nm, "replicates": n,
                     "half_width": half_width(runs_df.loc[runs_df.scenario == nm,
                                                          "reach_first_year"].to_numpy()),
                     "target_ci": None, "stopped": "fixed"} for nm in named]
    manifest = {
        "kooperationssim_version": __version__,
        **_git_info(),
        "kind": "comparison",
        "reference": reference,
        "rng": rng,
        "replicates": n,
        "replicates_per_round": replicates,
        "target_ci": target_ci,
        "max_replicates": max_replicates if target_ci is not None else None,
        "seeds": [replicate_seed(rng, r) for r in range(n)],
        "scenarios": {nm: {"spec": named[nm] if isinstance(named[nm], Mapping)
                           else str(named[nm]),
                           "parameters": {k: v for k, v in params[nm].items()
                                          if k != "funding_streams"},
                           "funding_streams": [s.to_json()
                                               for s in params[nm]["funding_streams"]]}
                      for nm in named},
        "runs": len(runs_df),
        "wall_s": round(wall, 3),
        "engine": "numpy (in process)",
        "environment": _environment(),
        "python": platform.python_version(),
        "stopping": stopping,
    }
    return Comparison(table=table, runs=runs_df, series=bands, reference=reference,
                      manifest=manifest, stopping=pd.DataFrame(stopping))


def _full_table(runs, reference: str, metrics: list[str], *, seed: int = 0):
    """The paired table plus the cost per additional family of every scenario."""
    import pandas as pd

    table = paired_table(runs, reference, metrics)
    if {"cost_total_eur", "burdened_reached_first_year"} <= set(runs.columns):
        ref = runs[runs.scenario == reference].set_index("replicate")
        extra = []
        for name, d in runs.groupby("scenario", sort=False):
            if name == reference:
                continue
            d = d.set_index("replicate")
            common = d.index.intersection(ref.index)
            dc = (d.loc[common, "cost_total_eur"] - ref.loc[common, "cost_total_eur"])
            dr = (d.loc[common, "burdened_reached_first_year"]
                  - ref.loc[common, "burdened_reached_first_year"])
            est, lo, hi = cost_per_family(dc.to_numpy(), dr.to_numpy(), seed=seed)
            extra.append({"scenario": name, "metric": COST_METRIC, "reference": reference,
                          "n": len(common), "mean": est, "ci_low": lo, "ci_high": hi,
                          "n_pairs": len(common)})
        if extra:
            table = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    return table


def compare(
    scenarios: Mapping[str, Any] | Sequence[Any],
    reference: str | None = None,
    replicates: int = 30,
    rng: int = 0,
    **kwargs: Any,
):
    """Compare scenarios with paired differences; return the tidy table.

    The same as ``run_comparison(...).table``; see :func:`run_comparison` for the
    arguments.  Use :func:`run_comparison` for the runs, the weekly bands and the
    manifest as well.
    """
    return run_comparison(scenarios, reference, replicates, rng, **kwargs).table


def comparison_from_runs(runs, reference: str | None = None, metrics: Sequence[str] | None = None,
                         seed: int = 0):
    """The comparison table of runs already made (e.g. a sweep's design points).

    ``runs`` needs the columns ``scenario`` and ``replicate``; runs with the same
    replicate number must share their seed (as in sweeps and comparisons).
    """
    names = list(dict.fromkeys(runs["scenario"]))
    reference = names[0] if reference is None else reference
    if metrics is None:
        metrics = [m for m in DEFAULT_METRICS if m in runs.columns]
    return _full_table(runs, reference, list(metrics), seed=seed)


# ---------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------


def _label(name: str) -> str:
    from .outputs import OUTPUTS

    o = {x.name: x for x in OUTPUTS}.get(name)
    if o is not None:
        return o.label_en
    return {"burdened_reached_first_year": "Burdened families reached before age one",
            COST_METRIC: "EUR per additional family reached",
            "coordinator_fte_filled": "Coordinator FTE filled",
            "families_in_help": "Families in early help"}.get(name, name)


def plot_differences(table, metric: str = "reach_first_year", ax=None):
    """Horizontal bars: paired difference to the reference (or the estimate) with 95 % CI."""
    import matplotlib.pyplot as plt

    d = table[table.metric == metric]
    if metric != COST_METRIC:
        d = d[d.scenario != d.reference]
        val, lo, hi = d["diff"], d["diff_ci_low"], d["diff_ci_high"]
    else:
        val, lo, hi = d["mean"], d["ci_low"], d["ci_high"]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 0.55 * max(len(d), 2) + 1.4))
    else:
        fig = ax.figure
    y = np.arange(len(d))
    v, lo_, hi_ = (np.asarray(a, dtype=float) for a in (val, lo, hi))
    cap = np.where(np.isfinite(hi_), hi_, np.nan)
    err = np.vstack([v - lo_, np.where(np.isfinite(cap), cap - v, 0.0)])
    ax.barh(y, v, xerr=np.nan_to_num(err), color="#1f77b4", alpha=0.8, capsize=4)
    for yi, h in zip(y, hi_, strict=True):
        if np.isinf(h):
            ax.annotate("upper bound: none", (ax.get_xlim()[1], yi), ha="right",
                        va="center", fontsize=7)
    ax.set_yticks(y, d["scenario"])
    ax.axvline(0, color="k", lw=0.8)
    ref = d["reference"].iloc[0] if len(d) else ""
    if metric == COST_METRIC:
        ax.set_xlabel(f"EUR per additional burdened family reached (vs {ref}), 95 % CI")
    else:
        ax.set_xlabel(f"{_label(metric)}: difference to {ref} (paired), 95 % CI")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_series(bands, series: str = "reach_first_year", diff: bool = False, ax=None):
    """Weekly mean (or paired difference to the reference) with 95 % bands."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
    d = bands[bands.series == series]
    k = ("diff", "diff_ci_low", "diff_ci_high") if diff else ("mean", "ci_low", "ci_high")
    for name, g in d.groupby("scenario", sort=False):
        yrs = g["week"].to_numpy() / 52.0
        line, = ax.plot(yrs, g[k[0]], label=name, lw=1.4)
        ax.fill_between(yrs, g[k[1]], g[k[2]], color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlabel("year")
    ax.set_ylabel(_label(series) + (" (difference to reference)" if diff else ""))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
