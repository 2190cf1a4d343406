"""Summaries of sweep results: means with 95 % confidence intervals, and their plots.

``summarize(DIR)`` writes

* ``DIR/summary.csv`` — one row per design point: the factors, the number of replicates
  and, for every summary output, the mean and the bounds of its 95 % confidence interval
  (Student's t over the replicates, ``<output>_mean``, ``<output>_ci_low``,
  ``<output>_ci_high``);
* ``DIR/reach_by_fte.png`` and ``.svg`` — ``reach_first_year`` (or ``--metric``) against
  coordinator FTE, one line per funding regime (or per value of another listed factor),
  with confidence bands (when coordinator FTE is a factor; otherwise against the first
  numeric factor, ``metric_by_<x>``);
* ``DIR/heatmap_<metric>_<x>_<y>.png`` and ``.svg`` — the mean of a chosen output over two
  chosen factors (averaged over any other factors; continuous factors are binned); only
  for experiments with at least two factors.

Figures are drawn on bare :class:`matplotlib.figure.Figure` objects: summarizing from a
notebook does not switch its matplotlib backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .params import PARAMS_BY_NAME

__all__ = ["point_summary", "summarize", "SummarizeError", "output_columns"]

_KEYS = ("point", "replicate", "seed")


class SummarizeError(ValueError):
    """Bad summarize input (unknown factor or metric, no results)."""


def output_columns(df, factors: list[str]) -> list[str]:
    """The output columns of a runs table (everything but ids and factors)."""
    return [c for c in df.columns if c not in _KEYS and c not in factors]


def point_summary(df, factors: list[str]):
    """Mean and 95 % confidence interval of every output per design point."""
    import pandas as pd
    from scipy import stats

    outs = output_columns(df, factors)
    g = df.groupby("point", sort=True)
    first = g[factors].first() if factors else pd.DataFrame(index=g.size().index)
    res = first.copy()
    res.insert(0, "replicates", g.size())
    mean = g[outs].mean()
    sd = g[outs].std(ddof=1)
    n = g[outs].count()
    tq = pd.DataFrame(stats.t.ppf(0.975, np.maximum(n.to_numpy() - 1, 1)), index=n.index,
                      columns=outs)
    half = (tq * sd / np.sqrt(n)).where(n > 1)
    cols = {}
    for o in outs:
        cols[f"{o}_mean"] = mean[o]
        cols[f"{o}_ci_low"] = mean[o] - half[o]
        cols[f"{o}_ci_high"] = mean[o] + half[o]
    res = pd.concat([res, pd.DataFrame(cols)], axis=1)
    return res.reset_index()


def _label(name: str) -> str:
    p = PARAMS_BY_NAME.get(name)
    if p is None:
        from .outputs import OUTPUTS

        o = {x.name: x for x in OUTPUTS}.get(name)
        return o.label_en if o is not None else name
    return f"{p.label_en}" + (f" ({p.unit})" if p.unit else "")


def _numeric(name: str) -> bool:
    p = PARAMS_BY_NAME[name]
    return p.type in (int, float)


def _line_plot(summ, x: str, group: str | None, metric: str, path: Path) -> list[Path]:
    from .plotting import save_png_svg

    fig = Figure(figsize=(7.5, 4.8))
    ax = fig.subplots()
    groups = [(None, summ)] if group is None else list(summ.groupby(group, sort=False))
    for val, d in groups:
        agg = d.groupby(x, sort=True)[[f"{metric}_mean", f"{metric}_ci_low",
                                       f"{metric}_ci_high"]].mean()
        xs = agg.index.to_numpy(dtype=float)
        line, = ax.plot(xs, agg[f"{metric}_mean"], marker="o", ms=3,
                        label=str(val) if val is not None else None)
        ax.fill_between(xs, agg[f"{metric}_ci_low"], agg[f"{metric}_ci_high"],
                        color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(metric))
    n = int(summ["replicates"].min())
    ax.set_title(f"{_label(metric)}: mean and 95 % CI over {n} replicates per point",
                 fontsize=10)
    if group is not None:
        ax.legend(title=_label(group), fontsize=8, title_fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_png_svg(fig, path, dpi=130)


def _binned(values, sampled: bool, bins: int = 8):
    """Values of a sampled (continuous) factor in quantile bins, labelled by their middle."""
    import pandas as pd

    if sampled and values.nunique() > bins:
        return pd.qcut(values, q=bins, duplicates="drop").apply(
            lambda iv: f"{iv.mid:.3g}").astype(str)
    return values


def _heatmap(summ, x: str, y: str, metric: str, sampled: set[str], path: Path
             ) -> list[Path]:
    from .plotting import save_png_svg

    d = summ[[x, y, f"{metric}_mean"]].copy()
    d[x] = _binned(d[x], x in sampled)
    d[y] = _binned(d[y], y in sampled)
    tab = d.pivot_table(index=y, columns=x, values=f"{metric}_mean", aggfunc="mean",
                        sort=True, dropna=False)
    fig = Figure(figsize=(max(5.0, 0.6 * tab.shape[1] + 3),
                          max(3.0, 0.45 * tab.shape[0] + 2)))
    ax = fig.subplots()
    vals = tab.to_numpy(dtype=float)
    finite = vals[np.isfinite(vals)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    im = ax.imshow(vals, aspect="auto", origin="lower", cmap="viridis", vmin=lo, vmax=hi)
    ax.set_xticks(range(tab.shape[1]), [str(c) for c in tab.columns], rotation=45,
                  ha="right", fontsize=8)
    ax.set_yticks(range(tab.shape[0]), [str(c) for c in tab.index], fontsize=8)
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    others = [c for c in summ.columns if c in PARAMS_BY_NAME and c not in (x, y)]
    ax.set_title(f"{_label(metric)} (mean" + (", averaged over " + ", ".join(others)
                                              if others else "") + ")", fontsize=9)
    if vals.size <= 400:
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                if np.isfinite(vals[i, j]):
                    ax.text(j, i, f"{vals[i, j]:.3g}", ha="center", va="center", fontsize=6,
                            color="w" if vals[i, j] < (lo + hi) / 2 else "k")
    fig.colorbar(im, ax=ax, shrink=0.85)
    fig.tight_layout()
    return save_png_svg(fig, path, dpi=130)


def summarize(out: str | Path, *, x: str | None = None, y: str | None = None,
              metric: str = "reach_first_year") -> dict[str, Any]:
    """Write ``summary.csv`` and the plots of a results directory.

    Returns a dict with the summary DataFrame (``summary``), the factors and the files
    written (``files``).

    Raises:
        SummarizeError: for an unknown metric or factor, or ``x``/``y`` for an
            experiment with fewer than two factors (nothing is written).
        SweepError: for a directory without results or with a damaged manifest.
    """
    from .sweep import read_manifest, read_runs

    out = Path(out)
    man = read_manifest(out)
    factors = [f["name"] for f in man["experiment"]["factors"]]
    sampled = {f["name"] for f in man["experiment"]["factors"] if "min" in f}
    runs = read_runs(out)
    outs = output_columns(runs, factors)
    if metric not in outs:
        from .params import suggest

        raise SummarizeError(f"--metric: unknown output '{metric}'{suggest(metric, outs)}")
    for flag, v in (("--x", x), ("--y", y)):
        if v is not None and v not in factors:
            from .params import suggest

            raise SummarizeError(f"{flag}: '{v}' is not a factor of this experiment"
                                 f"{suggest(v, factors)}; factors: "
                                 f"{', '.join(factors) or 'none'}")
    if (x is not None or y is not None) and len(factors) < 2:
        flags = " and ".join(f for f, v in (("--x", x), ("--y", y)) if v is not None)
        raise SummarizeError(
            f"{flags}: the heatmap needs two factors, but this experiment has "
            f"{len(factors)} ({', '.join(factors) or 'none'}), so there is no heatmap to "
            "choose axes for; leave out --x/--y (nothing was written)")
    if x is not None and x == y:
        raise SummarizeError(f"--x and --y must be different factors, got '{x}' for both")
    summ = point_summary(runs, factors)
    files = []
    tmp = out / ".summary.csv.tmp"
    summ.to_csv(tmp, index=False)
    tmp.replace(out / "summary.csv")
    files.append(out / "summary.csv")
    # metric against FTE (or the first numeric factor), one line per categorical factor
    numeric = [f for f in factors if _numeric(f)]
    categorical = [f for f in factors if not _numeric(f)]
    lx = "coordinator_fte" if "coordinator_fte" in factors else (numeric[0] if numeric else None)
    if lx is not None:
        group = ("funding_regime" if "funding_regime" in factors
                 else (categorical[0] if categorical else None))
        name = "reach_by_fte" if (lx == "coordinator_fte" and metric == "reach_first_year") \
            else f"{metric}_by_{lx}"
        files += _line_plot(summ, lx, group, metric, out / name)
    # heatmap over two factors
    if len(factors) >= 2:
        hx = x or lx or factors[0]
        if y is not None and y == hx:  # --y alone, naming the default x factor
            hx = next(f for f in factors if f != y)
        hy = y or next(f for f in (["funding_regime"] + factors) if f in factors and f != hx)
        files += _heatmap(summ, hx, hy, metric, sampled, out / f"heatmap_{metric}_{hx}_{hy}")
    return {"summary": summ, "factors": factors, "files": files}
