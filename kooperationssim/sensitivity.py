"""Global sensitivity analysis (SALib: Morris screening and Sobol indices).

A sensitivity file is an experiment file (see :mod:`kooperationssim.experiment`) whose
factors are all continuous ranges ``{min, max}`` and whose design comes from a
``[sensitivity]`` table instead of ``[design]``::

    [experiment]
    name = "sensitivity"
    scenario = "mittelstadt"
    replicates = 2          # runs per sampled point; the indices use their mean
    weeks = 260
    seed = 7

    [sensitivity]
    method = "sobol"        # "sobol" (Saltelli sampling, first-order and total indices)
                            # or "morris" (elementary effects, screening)
    samples = 32            # sobol: base samples N (a power of two), N (D + 2) points;
                            # morris: trajectories, N (D + 1) points
    levels = 4              # morris: grid levels
    resamples = 200         # bootstrap resamples of the confidence intervals
    outputs = ["reach_first_year", "trust_mean"]

    [factors]
    trust_gain = { min = 0.06, max = 0.24 }

The sampled points run as an ordinary sweep (resumable results store, manifest with
seeds; every point uses the same replicate seeds, common random numbers).  The indices
are computed on the replicate means of every point.  Beside them the analysis reports
the *seed noise*: the pooled variance between replicates of a point, split (two-way
decomposition over points and replicates) into the part common to all points — replicate
*r* shares its seed everywhere, so this part shifts every point mean alike and does not
touch the indices — and the point-specific part; the point-specific variance divided by
the replicates is the noise left in the point means, and its share of the variance of
the point means is the part of that variance that no parameter explains.  Integer
parameters are rounded when a point runs; the indices use the sampled (unrounded)
values.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .experiment import (
    EXPERIMENT_DIR,
    Experiment,
    ExperimentError,
    experiment_from_dict,
    experiment_path,
)
from .io import read_toml
from .outputs import SUMMARY_KEYS
from .params import PARAMS_BY_NAME, suggest
from .scenario import ScenarioError, resolve

__all__ = [
    "SensitivityError",
    "Sensitivity",
    "METHODS",
    "load_sensitivity",
    "sensitivity_from_dict",
    "sample_points",
    "analyze",
    "run_sensitivity",
]

METHODS = ("sobol", "morris")
_SENS_KEYS = ("method", "samples", "levels", "resamples", "outputs")
#: Outputs analysed unless the file names others.
DEFAULT_OUTPUTS = ("reach_first_year", "trust_mean", "mode_share_positive",
                   "crises_per_1000_births")


class SensitivityError(ExperimentError):
    """Bad sensitivity input: one message naming the key or value at fault."""


@dataclass
class Sensitivity:
    """A validated sensitivity analysis.

    Attributes:
        experiment: The sweep that runs the sampled points (``method`` is
            ``salib-sobol`` or ``salib-morris``).
        method: ``sobol`` or ``morris``.
        samples: Base samples (Sobol) or trajectories (Morris).
        levels: Grid levels (Morris).
        resamples: Bootstrap resamples of the confidence intervals.
        outputs: Summary outputs analysed.
        problem: The SALib problem (names and bounds).
        x: The sampled parameter values (points x parameters), unrounded.
    """

    experiment: Experiment
    method: str
    samples: int
    levels: int
    resamples: int
    outputs: tuple[str, ...]
    problem: dict[str, Any]
    x: np.ndarray


def sample_points(problem: dict[str, Any], method: str, samples: int, levels: int,
                  seed: int) -> np.ndarray:
    """The SALib sample of ``problem`` (points x parameters)."""
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, samples, calc_second_order=False, scramble=True,
                            seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, samples, num_levels=levels, seed=seed)


def sensitivity_from_dict(data: dict[str, Any], *, path: Path | None = None,
                          method: str | None = None) -> Sensitivity:
    """Validate the parsed content of a sensitivity file.

    Args:
        data: The parsed TOML.
        path: The file it came from (for messages and relative scenario paths).
        method: Overrides ``sensitivity.method`` (the ``--method`` option).

    Raises:
        SensitivityError: for any invalid content.
    """
    where = f"{path}: " if path else ""
    data = copy.deepcopy(data)
    if "design" in data:
        raise SensitivityError(f"{where}[design] is not used in a sensitivity file; the "
                               "design comes from [sensitivity] (method, samples)")
    sens = data.pop("sensitivity", None)
    if sens is None:
        raise SensitivityError(f"{where}[sensitivity] is missing (method, samples, outputs)")
    if not isinstance(sens, dict):
        raise SensitivityError(f"{where}'sensitivity' must be a table ([sensitivity])")
    for k in sens:
        if k not in _SENS_KEYS:
            raise SensitivityError(f"{where}unknown key '{k}' in [sensitivity]"
                                   f"{suggest(k, _SENS_KEYS)}; valid: {', '.join(_SENS_KEYS)}")
    m = method if method is not None else sens.get("method", "sobol")
    if m not in METHODS:
        raise SensitivityError(f"{where}sensitivity.method {m!r} is unknown"
                               f"{suggest(str(m), METHODS)}; valid: {', '.join(METHODS)}")

    def _int(key: str, default: int, lo: int) -> int:
        v = sens.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            raise SensitivityError(f"{where}sensitivity.{key} must be an integer, got {v!r}")
        if v < lo:
            raise SensitivityError(f"{where}sensitivity.{key} must be at least {lo}, got {v}")
        return v

    if "samples" not in sens:
        raise SensitivityError(f"{where}sensitivity.samples is missing")
    samples = _int("samples", 0, 2)
    if m == "sobol" and samples & (samples - 1):
        raise SensitivityError(
            f"{where}sensitivity.samples = {samples}: Sobol sampling needs a power of two "
            f"(e.g. {1 << (samples.bit_length() - 1)} or {1 << samples.bit_length()})")
    levels = _int("levels", 4, 2)
    if levels % 2:
        raise SensitivityError(f"{where}sensitivity.levels must be even, got {levels}")
    resamples = _int("resamples", 200, 10)
    outputs = sens.get("outputs", list(DEFAULT_OUTPUTS))
    if not isinstance(outputs, list) or not outputs or \
            not all(isinstance(o, str) for o in outputs):
        raise SensitivityError(f"{where}sensitivity.outputs must be a non-empty list of "
                               "output names")
    for o in outputs:
        if o not in SUMMARY_KEYS:
            raise SensitivityError(f"{where}sensitivity.outputs: unknown output '{o}'"
                                   f"{suggest(o, SUMMARY_KEYS)}")
    # validate everything else as a sampled sweep; then put the SALib points in
    data["design"] = {"method": "lhs", "samples": 2}
    exp_tab = data.get("experiment", {})
    if isinstance(exp_tab, dict) and "target_ci" in exp_tab:
        raise SensitivityError(f"{where}experiment.target_ci is not used in a sensitivity "
                               "analysis (every point needs the same replicates)")
    try:
        base = experiment_from_dict(data, path=path)
    except ExperimentError as e:
        raise SensitivityError(str(e)) from None
    listed = [f.name for f in base.factors if not f.sampled]
    if listed:
        raise SensitivityError(f"{where}factor '{listed[0]}' is a list of values; a "
                               "sensitivity analysis needs ranges {min, max}")
    if len(base.factors) < 2:
        raise SensitivityError(f"{where}a sensitivity analysis needs at least two factors")
    names = [f.name for f in base.factors]
    problem = {"num_vars": len(names), "names": names,
               "bounds": [[f.low, f.high] for f in base.factors]}
    x = sample_points(problem, m, samples, levels, base.seed)
    points = []
    for row in x:
        pt = {}
        for name, v in zip(names, row, strict=True):
            pt[name] = int(round(v)) if PARAMS_BY_NAME[name].type is int else float(v)
        points.append(pt)
    ex = dataclasses.replace(base, points=points, method=f"salib-{m}", samples=samples)
    for i in range(len(points)):
        try:
            resolve(ex.point_params(i), ex.funding_streams)
        except ScenarioError as e:
            raise SensitivityError(f"{where}sampled point {i}: {e}") from None
    return Sensitivity(experiment=ex, method=m, samples=samples, levels=levels,
                       resamples=resamples, outputs=tuple(outputs), problem=problem, x=x)


def load_sensitivity(path: str | Path, method: str | None = None) -> Sensitivity:
    """Read and validate a sensitivity file.

    Raises:
        SensitivityError: for a missing or malformed file and any invalid content.
    """
    path = experiment_path(path)
    data = read_toml(path, "sensitivity", SensitivityError, EXPERIMENT_DIR)
    return sensitivity_from_dict(data, path=path, method=method)


# ---------------------------------------------------------------------------
# analysis
# ---------------------------------------------------------------------------


def _seed_noise(runs, output: str) -> dict[str, float]:
    """Seed noise of one output: how much of the spread of the point means is chance.

    With common random numbers replicate *r* of every point shares its seed, so the
    replicate noise splits into a part common to all points (a shift of every point
    mean by the same amount, which leaves the indices alone) and a point-specific part
    (the interaction of point and replicate), which adds ``var_residual / replicates``
    to the variance of the point means the indices decompose.
    """
    y = runs.pivot(index="point", columns="replicate", values=output).to_numpy(
        dtype=np.float64)
    y = y[np.all(np.isfinite(y), axis=1)]
    n_p, n_r = y.shape
    means = y.mean(axis=1)
    var_means = float(means.var(ddof=1)) if n_p > 1 else float("nan")
    pooled = float(y.var(axis=1, ddof=1).mean()) if n_r > 1 and n_p else float("nan")
    if n_r > 1 and n_p > 1:
        res = y - means[:, None] - y.mean(axis=0)[None, :] + y.mean()
        var_res = float((res ** 2).sum() / ((n_p - 1) * (n_r - 1)))
        var_common = max(float(y.mean(axis=0).var(ddof=1)) - var_res / n_p, 0.0)
    else:
        var_res = var_common = float("nan")
    noise = var_res / n_r
    return {"output": output, "points": n_p, "replicates": n_r,
            "var_point_means": var_means,
            "seed_var_pooled": pooled, "seed_sd_pooled": math.sqrt(pooled),
            "seed_var_common": var_common, "seed_var_point_specific": var_res,
            "seed_var_of_mean": noise,
            "seed_noise_share": noise / var_means if var_means > 0 else float("nan")}


def analyze(sa: Sensitivity, runs, seed: int | None = None):
    """Indices of every output from the runs of the sampled points.

    Returns ``(indices, noise)``: a tidy DataFrame with one row per output and
    parameter (Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``; Morris: ``mu``,
    ``mu_star``, ``mu_star_conf``, ``sigma``; the ``_conf`` columns are half-widths of
    95 % bootstrap intervals) and one row per output with the seed noise.
    """
    import pandas as pd

    seed = sa.experiment.seed if seed is None else seed
    n_pts = len(sa.experiment.points)
    rows, noise = [], []
    for o in sa.outputs:
        y = runs.groupby("point")[o].mean().reindex(range(n_pts)).to_numpy(dtype=np.float64)
        nz = _seed_noise(runs, o)
        if not np.all(np.isfinite(y)):
            nz["note"] = (f"{int((~np.isfinite(y)).sum())} points without a value; no "
                          "indices")
            noise.append(nz)
            continue
        if not np.std(y) > 0:
            nz["note"] = "the output does not vary over the points; no indices"
            noise.append(nz)
            continue
        noise.append(nz)
        if sa.method == "sobol":
            from SALib.analyze import sobol

            r = sobol.analyze(sa.problem, y, calc_second_order=False,
                              num_resamples=sa.resamples, conf_level=0.95, seed=seed)
            for i, name in enumerate(sa.problem["names"]):
                rows.append({"output": o, "parameter": name, "S1": r["S1"][i],
                             "S1_conf": r["S1_conf"][i], "ST": r["ST"][i],
                             "ST_conf": r["ST_conf"][i]})
        else:
            from SALib.analyze import morris

            r = morris.analyze(sa.problem, sa.x, y, num_resamples=sa.resamples,
                               conf_level=0.95, num_levels=sa.levels, seed=seed)
            for i, name in enumerate(sa.problem["names"]):
                rows.append({"output": o, "parameter": name, "mu": r["mu"][i],
                             "mu_star": r["mu_star"][i], "mu_star_conf": r["mu_star_conf"][i],
                             "sigma": r["sigma"][i]})
    return pd.DataFrame(rows), pd.DataFrame(noise)


def _bar_plot(indices, noise, output: str, method: str, path: Path) -> list[Path]:
    # a bare Figure (no pyplot, no backend switch): safe inside a notebook
    from matplotlib.figure import Figure

    from .plotting import save_png_svg

    d = indices[indices.output == output]
    key = "ST" if method == "sobol" else "mu_star"
    d = d.sort_values(key, ascending=True)
    fig = Figure(figsize=(7.5, 0.38 * len(d) + 1.6))
    ax = fig.subplots()
    y = np.arange(len(d))
    if method == "sobol":
        ax.barh(y + 0.2, d["ST"], height=0.4, xerr=d["ST_conf"], capsize=3,
                label="total index ST", color="#1f77b4")
        ax.barh(y - 0.2, d["S1"], height=0.4, xerr=d["S1_conf"], capsize=3,
                label="first-order index S1", color="#ff7f0e")
        ax.set_xlabel("Sobol index (bars: 95 % bootstrap interval)")
    else:
        ax.barh(y, d["mu_star"], xerr=d["mu_star_conf"], capsize=3, color="#1f77b4",
                label="mu* (mean absolute elementary effect)")
        ax.set_xlabel("Morris mu* (bars: 95 % bootstrap interval)")
    ax.set_yticks(y, d["parameter"], fontsize=8)
    nz = noise[noise.output == output]
    share = float(nz["seed_noise_share"].iloc[0]) if len(nz) else float("nan")
    ax.set_title(f"{output}: seed noise = {100 * share:.1f} % of the variance of the "
                 "replicate means", fontsize=9)
    ax.axvline(0, color="k", lw=0.6)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return save_png_svg(fig, path, dpi=120)


def write_analysis(sa: Sensitivity, out: str | Path) -> dict[str, Any]:
    """Analyse the runs in ``out``; write the indices, the seed noise and bar plots.

    Files: ``indices.csv``, ``seed_noise.csv``, ``sensitivity.json`` and
    ``<method>_<output>.png``/``.svg`` per output.
    """
    from .io import dump_json
    from .sweep import read_runs

    out = Path(out)
    runs = read_runs(out)
    indices, noise = analyze(sa, runs)
    files = []
    for name, df in (("indices.csv", indices), ("seed_noise.csv", noise)):
        tmp = out / f".{name}.tmp"
        df.to_csv(tmp, index=False)
        tmp.replace(out / name)
        files.append(out / name)
    dump_json(out / "sensitivity.json", {
        **_settings(sa), "points": len(sa.experiment.points),
        "replicates": sa.experiment.replicates, "weeks": sa.experiment.weeks,
        "problem": sa.problem,
        "indices": indices.to_dict(orient="records"),
        "seed_noise": noise.to_dict(orient="records")})
    files.append(out / "sensitivity.json")
    for o in sa.outputs:
        if len(indices) and (indices.output == o).any():
            files += _bar_plot(indices, noise, o, sa.method, out / f"{sa.method}_{o}")
    return {"indices": indices, "noise": noise, "files": files}


def _settings(sa: Sensitivity) -> dict[str, Any]:
    return {"method": sa.method, "samples": sa.samples, "levels": sa.levels,
            "resamples": sa.resamples, "outputs": list(sa.outputs)}


def check_previous_analysis(sa: Sensitivity, out: str | Path) -> None:
    """Refuse ``out`` if it holds an analysis made with other settings.

    The sweep itself refuses results of a different design; this guards the analysis
    files (indices, seed noise, plots), which depend on the outputs and resamples too.
    """
    import json

    f = Path(out) / "sensitivity.json"
    if not f.exists():
        return
    try:
        old = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SensitivityError(f"{f} exists but cannot be read; choose another --out") \
            from None
    new = _settings(sa)
    diff = [k for k, v in new.items() if old.get(k) != v]
    if diff:
        k = diff[0]
        raise SensitivityError(
            f"{out} holds an analysis with {k} = {old.get(k)!r}, not {new[k]!r}; nothing "
            "is overwritten: choose another --out")


def run_sensitivity(sa: Sensitivity, out: str | Path, *, workers: int = 1,
                    scheduler: str | None = None, chunk_size: int | None = None,
                    resume: bool = False, retry_failed: bool = False,
                    progress: Any = None) -> dict[str, Any]:
    """Run the sampled points as a sweep into ``out``, then write the analysis.

    The arguments after ``out`` are those of :func:`kooperationssim.sweep.sweep`: runs of
    chunks that failed are rerun only with ``retry_failed`` (``resume`` completes the
    missing runs but leaves failed chunks alone).  The analysis is written once every run
    is in the store.  Returns the analysis (see :func:`write_analysis`) plus the sweep's
    report (``report``).
    """
    from .sweep import hold_out_dir, sweep

    check_previous_analysis(sa, out)
    with hold_out_dir(out):  # no other sweep between this sweep and its analysis
        rep = sweep(sa.experiment, out, workers=workers, scheduler=scheduler,
                    chunk_size=chunk_size, resume=resume, retry_failed=retry_failed,
                    progress=progress)
        res: dict[str, Any] = {"report": rep}
        if rep.complete:
            res.update(write_analysis(sa, out))
    return res
