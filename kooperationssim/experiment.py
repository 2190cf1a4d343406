"""Experiment files: a base scenario, factors, a design, replicates and a seed.

An experiment file (``experiments/*.toml``) looks like this::

    [experiment]
    name = "staffing_funding"
    scenario = "mittelstadt"       # a file in scenarios/, or a path relative to this file
    replicates = 100
    weeks = 520
    seed = 20261124
    series = false                 # also keep the weekly series of every run
    # target_ci = 0.01             # add rounds of `replicates` runs per point until the
    # max_replicates = 400         # 95 % half-width of reach_first_year is below this

    [parameters]                   # fixed overrides on top of the scenario
    funding_project_years = 3

    [design]
    method = "factorial"           # "factorial" (default), "lhs" or "sobol"
    # samples = 64                 # points drawn from the ranges (lhs, sobol)

    [factors]
    coordinator_fte = { start = 0.0, stop = 3.0, step = 0.25 }
    funding_regime = ["permanent", "project"]
    # trust_gain = { min = 0.05, max = 0.3 }   # a range, sampled by lhs or sobol

A factor is a list of values, a stepped range ``{start, stop, step}`` (both ends
included) or, for sampled designs, a continuous range ``{min, max}``.  The design crosses
every combination of the listed values (full factorial); with ``lhs`` or ``sobol`` the
continuous ranges are sampled jointly (``scipy.stats.qmc``) and each sample is crossed
with the combinations of the listed values.

Replicate *r* of every design point uses the same seed (common random numbers): the
difference between two design points in replicate *r* is the effect of the factors, not
of different random numbers.  Every problem raises :class:`ExperimentError` with one
message naming the key or value at fault.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .io import find_input_file, read_toml, shipped_dir, to_jsonable
from .params import PARAMS, PARAMS_BY_NAME, suggest
from .scenario import SCENARIO_DIR, ScenarioError, load_scenario, resolve

__all__ = [
    "ExperimentError",
    "Experiment",
    "Factor",
    "load_experiment",
    "experiment_path",
    "experiment_from_dict",
    "replicate_seed",
    "EXPERIMENT_DIR",
    "DESIGN_METHODS",
]

#: Directory of the shipped experiments: ``experiments/`` of the repository when running
#: from a checkout, else the copy installed with the package (``kooperationssim/_experiments``).
EXPERIMENT_DIR = shipped_dir("experiments")
DESIGN_METHODS = ("factorial", "lhs", "sobol")
_TOP = ("experiment", "parameters", "design", "factors")
_EXP_KEYS = ("name", "description", "scenario", "replicates", "weeks", "seed", "series",
             "target_ci", "max_replicates")
#: Output whose confidence half-width decides adaptive replication (``target_ci``).
TARGET_METRIC = "reach_first_year"
#: Rounds of replicates with ``target_ci`` when no ``max_replicates`` is given.
DEFAULT_MAX_ROUNDS = 10
_DESIGN_KEYS = ("method", "samples")
#: Most design points one experiment may have (each point is resolved up front).
MAX_POINTS = 100_000


class ExperimentError(ValueError):
    """Bad experiment input: one clear message naming the key or value at fault."""


@dataclass(frozen=True)
class Factor:
    """One varied parameter: listed values, or a continuous range for sampled designs."""

    name: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None

    @property
    def sampled(self) -> bool:
        """Whether the factor is a continuous range drawn by the design."""
        return self.values is None

    def to_json(self) -> dict[str, Any]:  # noqa: D102
        if self.sampled:
            return {"name": self.name, "min": self.low, "max": self.high}
        return {"name": self.name, "values": list(self.values or ())}


@dataclass
class Experiment:
    """A validated experiment.

    Attributes:
        name: Short name.
        description: A paragraph of text.
        scenario: Path of the base scenario file (``None``: built-in defaults).
        base: Overrides of the base scenario and the experiment's ``[parameters]``.
        funding_streams: Custom funding streams of the base scenario.
        factors: The varied parameters.
        method: ``factorial``, ``lhs`` or ``sobol``.
        samples: Number of sampled points (``lhs``, ``sobol``).
        replicates: Runs per design point.
        weeks: Horizon of every run.
        seed: Seed of the experiment (design sampling and replicate seeds).
        series: Whether the weekly series of every run are kept.
        points: Parameter values of every design point (factor name -> value).
        path: File the experiment came from, if any.
        target_ci: With a value, replicates are added per design point in rounds of
            ``replicates`` until the 95 % confidence half-width of ``reach_first_year``
            is at most this (adaptive replication); ``None``: exactly ``replicates``.
        max_replicates: Most replicates per design point with ``target_ci``.
    """

    name: str
    description: str
    scenario: Path | None
    base: dict[str, Any]
    funding_streams: list[Any]
    factors: list[Factor]
    method: str
    samples: int
    replicates: int
    weeks: int
    seed: int
    series: bool
    points: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None
    target_ci: float | None = None
    max_replicates: int | None = None

    @property
    def adaptive(self) -> bool:
        """Whether replicates are added until the confidence target is met."""
        return self.target_ci is not None

    @property
    def n_runs(self) -> int:
        """Design points times replicates (with ``target_ci``: of the first round)."""
        return len(self.points) * self.replicates

    @property
    def replicate_limit(self) -> int:
        """Most replicates any design point can get."""
        return int(self.max_replicates) if self.adaptive else self.replicates

    def with_target(self, target_ci: float | None, max_replicates: int | None = None
                    ) -> Experiment:
        """A copy with adaptive replication (``target_ci``) set or changed.

        Raises:
            ExperimentError: for a non-positive target or a maximum below ``replicates``.
        """
        import dataclasses

        if target_ci is None:
            if max_replicates is not None:
                raise ExperimentError("--max-replicates needs --target-ci")
            return self
        t, m = _check_target(target_ci, max_replicates, self.replicates, "--target-ci",
                             "--max-replicates", "")
        return dataclasses.replace(self, target_ci=t, max_replicates=m)

    def point_params(self, i: int) -> dict[str, Any]:
        """Overrides of design point ``i`` (base, factor values and the horizon)."""
        p = dict(self.base)
        p.update(self.points[i])
        p["weeks"] = self.weeks
        return p

    def point_run_params(self, i: int) -> dict[str, Any]:
        """Parameters of design point ``i`` as the engine takes them (with the streams)."""
        p = self.point_params(i)
        if self.funding_streams:
            p["funding_streams"] = list(self.funding_streams)
        return p

    def seeds(self) -> list[int]:
        """Seed of every replicate (the same for every design point)."""
        return [replicate_seed(self.seed, r) for r in range(self.replicates)]

    def seed_of(self, replicate: int) -> int:
        """Seed of replicate ``replicate`` (the same for every design point)."""
        return replicate_seed(self.seed, replicate)

    def spec(self) -> dict[str, Any]:
        """Everything that determines the results (the basis of :meth:`spec_hash`)."""
        out = {
            "base": to_jsonable(self.base),
            "funding_streams": to_jsonable(self.funding_streams),
            "factors": [f.to_json() for f in self.factors],
            "method": self.method,
            "samples": self.samples,
            "replicates": self.replicates,
            "weeks": self.weeks,
            "seed": self.seed,
            "series": self.series,
            "points": to_jsonable(self.points),
        }
        if self.adaptive:  # absent otherwise: hashes of fixed designs stay as they were
            out["target_ci"] = self.target_ci
            out["target_metric"] = TARGET_METRIC
            out["max_replicates"] = self.max_replicates
        return out

    def spec_hash(self) -> str:
        """SHA-256 of :meth:`spec` as canonical JSON."""
        text = json.dumps(self.spec(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The experiment as JSON (for the manifest)."""
        out = {"name": self.name, "description": self.description,
               "scenario": str(self.scenario) if self.scenario else None,
               "path": str(self.path) if self.path else None}
        out.update(self.spec())
        out.pop("points")
        out["n_points"] = len(self.points)
        return out


def replicate_seed(seed: int, replicate: int) -> int:
    """Seed of replicate ``replicate`` of an experiment seeded ``seed`` (64 bits)."""
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(replicate,))
    return int(ss.generate_state(1, dtype=np.uint64)[0])


# ---------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------


def _table(data: dict, key: str, where: str) -> dict:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise ExperimentError(f"{where}'{key}' must be a table ([{key}])")
    return v


def _check_keys(table: dict, valid: tuple[str, ...], label: str, where: str) -> None:
    for k in table:
        if k not in valid:
            raise ExperimentError(
                f"{where}unknown key '{k}' in [{label}]{suggest(k, valid)}; "
                f"valid: {', '.join(valid)}")


def _int(v: Any, label: str, where: str, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ExperimentError(f"{where}{label} must be an integer, got {v!r}")
    if v < lo:
        raise ExperimentError(f"{where}{label} must be at least {lo}, got {v}")
    return v


def _check_target(target: Any, maximum: Any, replicates: int, t_label: str, m_label: str,
                  where: str) -> tuple[float, int]:
    """Validate a confidence target and the maximum number of replicates."""
    if isinstance(target, bool) or not isinstance(target, int | float) or \
            not math.isfinite(target) or target <= 0:
        raise ExperimentError(f"{where}{t_label} must be a positive half-width (e.g. 0.01 for "
                              f"one percentage point of reach), got {target!r}")
    if maximum is None:
        maximum = replicates * DEFAULT_MAX_ROUNDS
    if isinstance(maximum, bool) or not isinstance(maximum, int):
        raise ExperimentError(f"{where}{m_label} must be an integer, got {maximum!r}")
    if maximum < max(replicates, 2):
        raise ExperimentError(f"{where}{m_label} = {maximum} is below the replicates of the "
                              f"first round ({replicates}) or below 2")
    return float(target), int(maximum)


def _check_value(name: str, v: Any, label: str, where: str) -> Any:
    try:
        return PARAMS_BY_NAME[name].check(v)
    except ValueError as e:
        raise ExperimentError(f"{where}{label}: {e}") from None


def _parse_factor(name: str, raw: Any, where: str) -> Factor:
    if name not in PARAMS_BY_NAME:
        valid = [p.name for p in PARAMS]
        raise ExperimentError(
            f"{where}unknown factor '{name}'{suggest(name, valid)}; factors are parameter "
            "names (see 'kooperationssim params')")
    prm = PARAMS_BY_NAME[name]
    label = f"factor '{name}'"
    if not prm.sweepable:
        hint = " (set the horizon with experiment.weeks)" if name == "weeks" else ""
        raise ExperimentError(f"{where}{label} is not sweepable{hint}")
    if isinstance(raw, list):
        raw = {"values": raw}
    if not isinstance(raw, dict):
        raise ExperimentError(
            f"{where}{label} must be a list of values, {{start, stop, step}} or {{min, max}}, "
            f"got {raw!r}")
    keys = set(raw)
    if keys == {"values"}:
        vals = raw["values"]
        if not isinstance(vals, list):
            raise ExperimentError(f"{where}{label}: values must be a list")
        if not vals:
            raise ExperimentError(f"{where}{label}: the list of values is empty")
        checked = tuple(_check_value(name, v, label, where) for v in vals)
        if len(set(checked)) != len(checked):
            raise ExperimentError(f"{where}{label}: values repeat ({list(vals)})")
        return Factor(name, values=checked)
    numeric = prm.type in (int, float)
    if keys == {"start", "stop", "step"}:
        if not numeric:
            raise ExperimentError(f"{where}{label}: a stepped range needs a numeric parameter; "
                                  f"list the values of this {prm.type_name} parameter")
        start, stop, step = (raw[k] for k in ("start", "stop", "step"))
        for k, v in (("start", start), ("stop", stop), ("step", step)):
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ExperimentError(f"{where}{label}: {k} must be a number, got {v!r}")
        if prm.type is int:
            for k, v in (("start", start), ("stop", stop), ("step", step)):
                if not float(v).is_integer():
                    raise ExperimentError(
                        f"{where}{label}: {k} = {v} is not a whole number; a stepped range of "
                        "this integer parameter needs whole-number start, stop and step")
            start, stop, step = int(start), int(stop), int(step)
        if step <= 0:
            raise ExperimentError(f"{where}{label}: step must be positive, got {step}")
        if stop < start:
            raise ExperimentError(
                f"{where}{label}: inverted range, start = {start} > stop = {stop}")
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        if n > MAX_POINTS:
            raise ExperimentError(f"{where}{label}: the range has {n} values (too many)")
        vals = [start + i * step for i in range(n)]
        if prm.type is float:
            vals = [round(v, 12) for v in vals]
        checked = tuple(_check_value(name, v, label, where) for v in vals)
        if len(set(checked)) != len(checked):
            raise ExperimentError(f"{where}{label}: the range {{start = {start}, stop = {stop}, "
                                  f"step = {step}}} gives repeated values; use a larger step")
        return Factor(name, values=checked)
    if keys == {"min", "max"}:
        if not numeric:
            raise ExperimentError(f"{where}{label}: a range needs a numeric parameter; list "
                                  f"the values of this {prm.type_name} parameter")
        lo, hi = raw["min"], raw["max"]
        for k, v in (("min", lo), ("max", hi)):
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ExperimentError(f"{where}{label}: {k} must be a number, got {v!r}")
        if hi < lo:
            raise ExperimentError(f"{where}{label}: inverted range, min = {lo} > max = {hi}")
        if hi == lo:
            raise ExperimentError(f"{where}{label}: empty range, min = max = {lo}")
        _check_value(name, prm.type(lo) if prm.type is float else lo, label, where)
        _check_value(name, prm.type(hi) if prm.type is float else hi, label, where)
        return Factor(name, low=float(lo), high=float(hi))
    raise ExperimentError(
        f"{where}{label}: give a list of values, {{start, stop, step}} or {{min, max}}; "
        f"got the keys {', '.join(sorted(keys)) or 'none'}")


def _sample(factors: list[Factor], method: str, n: int, seed: int) -> list[dict[str, Any]]:
    """Draw ``n`` points of the continuous factors (Latin hypercube or scrambled Sobol)."""
    from scipy.stats import qmc

    d = len(factors)
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(2**31,)))
    if method == "lhs":
        u = qmc.LatinHypercube(d=d, rng=rng).random(n)
    else:
        u = qmc.Sobol(d=d, scramble=True, rng=rng).random_base2(int(round(math.log2(n))))
    out = []
    for row in u:
        pt = {}
        for f, x in zip(factors, row, strict=True):
            v = f.low + x * (f.high - f.low)
            pt[f.name] = int(round(v)) if PARAMS_BY_NAME[f.name].type is int else float(v)
        out.append(pt)
    return out


def experiment_from_dict(data: dict[str, Any], *, path: Path | None = None) -> Experiment:
    """Validate the parsed content of an experiment file."""
    where = f"{path}: " if path else ""
    if "sensitivity" in data:
        raise ExperimentError(f"{where}this is a sensitivity analysis file ([sensitivity]); "
                              "run it with 'kooperationssim sensitivity'")
    for k in data:
        if k not in _TOP:
            hint = (" (parameters belong in [parameters], varied ones in [factors])"
                    if k in PARAMS_BY_NAME else suggest(k, _TOP))
            raise ExperimentError(f"{where}unknown top-level key '{k}'{hint}; valid: "
                                  f"{', '.join(_TOP)}")
    exp = _table(data, "experiment", where)
    _check_keys(exp, _EXP_KEYS, "experiment", where)
    name = exp.get("name", path.stem if path else "experiment")
    if not isinstance(name, str) or not name:
        raise ExperimentError(f"{where}experiment.name must be a non-empty string")
    description = exp.get("description", "")
    if not isinstance(description, str):
        raise ExperimentError(f"{where}experiment.description must be a string")
    replicates = _int(exp.get("replicates", 1), "experiment.replicates", where, 1)
    weeks = _int(exp.get("weeks", PARAMS_BY_NAME["weeks"].default), "experiment.weeks",
                 where, 1)
    _check_value("weeks", weeks, "experiment.weeks", where)
    seed = _int(exp.get("seed", 0), "experiment.seed", where, 0)
    series = exp.get("series", False)
    if not isinstance(series, bool):
        raise ExperimentError(f"{where}experiment.series must be true or false")
    target_ci, max_replicates = None, None
    if "target_ci" in exp:
        target_ci, max_replicates = _check_target(
            exp["target_ci"], exp.get("max_replicates"), replicates, "experiment.target_ci",
            "experiment.max_replicates", where)
    elif "max_replicates" in exp:
        raise ExperimentError(f"{where}experiment.max_replicates needs experiment.target_ci")

    # base scenario
    scen_path: Path | None = None
    base: dict[str, Any] = {}
    streams: list[Any] = []
    if "scenario" in exp:
        s = exp["scenario"]
        if not isinstance(s, str) or not s:
            raise ExperimentError(f"{where}experiment.scenario must be a file name")
        scen_path = _find_scenario(s, path)
        if scen_path is None:
            raise ExperimentError(
                f"{where}experiment.scenario: scenario '{s}' does not exist (looked for it "
                f"next to the experiment file and in {SCENARIO_DIR})")
        try:
            sc = load_scenario(scen_path)
        except ScenarioError as e:
            raise ExperimentError(f"{where}experiment.scenario: {e}") from None
        base.update(sc.overrides)
        base.pop("weeks", None)
        streams = list(sc.params["funding_streams"])
    params = _table(data, "parameters", where)
    for k, v in params.items():
        if k not in PARAMS_BY_NAME:
            valid = [p.name for p in PARAMS]
            raise ExperimentError(f"{where}unknown parameter '{k}' in [parameters]"
                                  f"{suggest(k, valid)}")
        if k == "weeks":
            raise ExperimentError(f"{where}set the horizon with experiment.weeks, not in "
                                  "[parameters]")
        base[k] = _check_value(k, v, f"[parameters] {k}", where)

    # design and factors
    design = _table(data, "design", where)
    _check_keys(design, _DESIGN_KEYS, "design", where)
    method = design.get("method", "factorial")
    if method not in DESIGN_METHODS:
        raise ExperimentError(f"{where}design.method {method!r} is unknown"
                              f"{suggest(str(method), DESIGN_METHODS)}; valid: "
                              f"{', '.join(DESIGN_METHODS)}")
    raw_f = _table(data, "factors", where)
    if not raw_f:
        raise ExperimentError(f"{where}[factors] is empty: an experiment varies at least one "
                              "parameter")
    factors = [_parse_factor(k, v, where) for k, v in raw_f.items()]
    for f in factors:
        if f.name in params:
            raise ExperimentError(f"{where}'{f.name}' is both a factor and set in "
                                  "[parameters]; keep one")
    sampled = [f for f in factors if f.sampled]
    listed = [f for f in factors if not f.sampled]
    samples = 0
    if method == "factorial":
        if "samples" in design:
            raise ExperimentError(f"{where}design.samples needs method = \"lhs\" or \"sobol\"")
        if sampled:
            raise ExperimentError(
                f"{where}factor '{sampled[0].name}' is a range {{min, max}}, which a "
                "factorial design cannot enumerate; give values or {start, stop, step}, or "
                "set design.method = \"lhs\" or \"sobol\"")
    else:
        if not sampled:
            raise ExperimentError(f"{where}design.method = {method!r} needs at least one "
                                  "factor given as a range {min, max}")
        if "samples" not in design:
            raise ExperimentError(f"{where}design.samples is missing (points drawn by "
                                  f"{method})")
        samples = _int(design["samples"], "design.samples", where, 2)
        if method == "sobol" and samples & (samples - 1):
            raise ExperimentError(
                f"{where}design.samples = {samples}: a Sobol design needs a power of two "
                f"(e.g. {1 << (samples.bit_length() - 1)} or {1 << samples.bit_length()})")
    combos = [dict(zip([f.name for f in listed], vals, strict=True))
              for vals in itertools.product(*[f.values or () for f in listed])]
    n_points = len(combos) * (samples if sampled else 1)
    if n_points > MAX_POINTS:
        raise ExperimentError(f"{where}the design has {n_points} points; at most "
                              f"{MAX_POINTS} are allowed")
    if sampled:
        draws = _sample(sampled, method, samples, seed)
        points = [{**c, **d} for c in combos for d in draws]
    else:
        points = combos
    ex = Experiment(name=name, description=description, scenario=scen_path, base=base,
                    funding_streams=streams, factors=factors, method=method,
                    samples=samples, replicates=replicates, weeks=weeks, seed=seed,
                    series=series, points=points, path=path, target_ci=target_ci,
                    max_replicates=max_replicates)
    # every design point must describe a municipality
    for i in range(len(points)):
        try:
            resolve(ex.point_params(i), streams)
        except ScenarioError as e:
            desc = ", ".join(f"{k} = {v!r}" for k, v in points[i].items())
            raise ExperimentError(f"{where}design point {i} ({desc}): {e}") from None
    return ex


def _find_scenario(s: str, exp_path: Path | None) -> Path | None:
    cands = []
    p = Path(s)
    if exp_path is not None and not p.is_absolute():
        cands.append(exp_path.parent / p)
    cands.append(p)
    if not p.suffix:
        cands.append(SCENARIO_DIR / f"{s}.toml")
    cands.append(SCENARIO_DIR / p.name)
    for c in cands:
        if c.is_file():
            return c.resolve()
    return None


def experiment_path(name_or_path: str | Path) -> Path:
    """The file of an experiment: ``name_or_path`` itself, or ``EXPERIMENT_DIR/NAME.toml``.

    A bare name (no directory, no suffix, e.g. ``staffing_funding``) that is not a file
    in the working directory names a shipped experiment.
    """
    return find_input_file(name_or_path, EXPERIMENT_DIR)


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment TOML file.

    Args:
        path: The file, or the name of a shipped experiment (``staffing_funding``).

    Raises:
        ExperimentError: for a missing or malformed file and any invalid content.
    """
    path = experiment_path(path)
    data = read_toml(path, "experiment", ExperimentError, EXPERIMENT_DIR)
    return experiment_from_dict(data, path=path)
