"""The comparison API: paired differences, intervals, cost per family, adaptive replicates."""

import math
import multiprocessing.process

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kooperationssim.compare import (
    CompareError,
    compare,
    cost_per_family,
    paired_table,
    run_comparison,
)
from kooperationssim.experiment import replicate_seed
from kooperationssim.scenario import load_scenario
from kooperationssim.vector_engine import VectorEngine

WEEKS = 80
SCEN = {"none": {"coordinator_fte": 0.0}, "perm": {"coordinator_fte": 1.0},
        "proj": {"coordinator_fte": 1.0, "funding_regime": "project"}}


@pytest.fixture(scope="module")
def small():
    """Three arrangements in the small town, 4 replicates of 80 weeks."""
    return run_comparison(SCEN, reference="none", replicates=4, rng=5, base="kleinstadt",
                          weeks=WEEKS, series=("reach_first_year", "trust_mean"))


def test_runs_use_the_common_replicate_seeds(small):
    """Replicate r of every scenario is the engine run with replicate_seed(rng, r)."""
    runs = small.runs
    assert len(runs) == 12 and sorted(runs.scenario.unique()) == ["none", "perm", "proj"]
    for _, d in runs.groupby("scenario"):
        assert list(d.seed) == [replicate_seed(5, r) for r in range(4)]
    sc = load_scenario("scenarios/kleinstadt.toml", extra={
        "weeks": WEEKS, "coordinator_fte": 1.0, "funding_regime": "project"})
    direct = VectorEngine([sc.params], [replicate_seed(5, 2)]).run().summaries[0]
    row = runs[(runs.scenario == "proj") & (runs.replicate == 2)].iloc[0]
    assert row["reach_first_year"] == direct["reach_first_year"]
    assert row["cost_total_eur"] == direct["cost_total_eur"]
    assert small.manifest["seeds"] == [replicate_seed(5, r) for r in range(4)]


def test_table_is_tidy_and_paired(small):
    """One row per scenario and metric; the difference equals the mean paired difference."""
    t = small.table
    assert not t.duplicated(["scenario", "metric"]).any()
    assert {"eur_per_additional_family", "reach_first_year"} <= set(t.metric)
    r = small.runs
    a = r[r.scenario == "perm"].set_index("replicate")["reach_first_year"]
    b = r[r.scenario == "none"].set_index("replicate")["reach_first_year"]
    d = (a - b).to_numpy()
    row = t[(t.scenario == "perm") & (t.metric == "reach_first_year")].iloc[0]
    assert row["diff"] == pytest.approx(d.mean())
    # the t-based half-width, computed here (not with the function production uses)
    n = len(d)
    expected = stats.t.ppf(0.975, n - 1) * np.std(d, ddof=1) / math.sqrt(n)
    assert row["diff_ci_high"] - row["diff"] == pytest.approx(expected)
    assert row["diff"] - row["diff_ci_low"] == pytest.approx(expected)
    assert row["var_independent"] == pytest.approx(a.var() + b.var())
    assert row["variance_reduction"] == pytest.approx(1 - d.var(ddof=1) / (a.var() + b.var()))
    ref = t[(t.scenario == "none") & (t.metric == "reach_first_year")].iloc[0]
    assert ref["diff"] == 0.0


def test_identical_scenarios_differ_by_exactly_zero():
    """Common random numbers: the same scenario twice gives the same run in every replicate."""
    t = compare({"a": {"coordinator_fte": 1.0}, "b": {"coordinator_fte": 1.0}},
                replicates=3, rng=9, base="kleinstadt", weeks=60, series=None)
    row = t[(t.scenario == "b") & (t.metric == "trust_mean")].iloc[0]
    assert row["diff"] == 0.0 and row["var_paired"] == 0.0
    # trust varies between replicates, so the independent variance is positive and
    # pairing removes all of it: 1 - 0 / var_independent
    assert row["var_independent"] > 0
    assert row["variance_reduction"] == 1.0
    # the cost of the small town's arrangement is the same in every replicate: both
    # variances are 0, and the reduction 1 - 0/0 is undefined, documented as NaN
    cost = t[(t.scenario == "b") & (t.metric == "cost_total_eur")].iloc[0]
    assert cost["diff"] == 0.0 and cost["var_paired"] == 0.0
    assert cost["var_independent"] == 0.0 and math.isnan(cost["variance_reduction"])


def test_series_bands_cover_every_week(small):
    """Weekly means with bands per scenario, and paired differences to the reference."""
    s = small.series
    assert set(s.series) == {"reach_first_year", "trust_mean"}
    g = s[(s.scenario == "perm") & (s.series == "trust_mean")]
    assert len(g) == WEEKS and list(g.week) == list(range(WEEKS))
    ok = g.dropna()
    assert (ok.ci_low <= ok["mean"]).all() and (ok["mean"] <= ok.ci_high).all()
    none = s[(s.scenario == "none") & (s.series == "trust_mean")].dropna()
    assert (none["diff"] == 0).all()


def test_paired_table_known_answer():
    """A constant shift: the paired variance is zero, the independent one is not."""
    rng = np.random.default_rng(1)
    base = rng.normal(10, 2, size=20)
    runs = pd.DataFrame({"scenario": ["ref"] * 20 + ["x"] * 20,
                         "replicate": list(range(20)) * 2,
                         "y": np.r_[base, base + 3.0]})
    t = paired_table(runs, "ref", ["y"]).set_index("scenario")
    assert t.loc["x", "diff"] == pytest.approx(3.0)
    assert t.loc["x", "var_paired"] == pytest.approx(0.0, abs=1e-20)
    assert t.loc["x", "var_independent"] == pytest.approx(2 * base.var(ddof=1))
    assert t.loc["x", "variance_reduction"] == pytest.approx(1.0)
    assert t.loc["x", "diff_half_width_independent"] == pytest.approx(
        stats.t.ppf(0.975, 38) * math.sqrt(2 * base.var(ddof=1) / 20))
    assert t.loc["x", "diff_half_width"] == pytest.approx(0.0, abs=1e-9)


def test_cost_per_family_ratio_and_bootstrap():
    """Ratio of summed differences; the bootstrap interval brackets it; no gain gives NaN."""
    dc = np.array([1000.0, 1200.0, 900.0, 1100.0, 1000.0, 950.0])
    dr = np.array([10.0, 11.0, 9.0, 12.0, 10.0, 8.0])
    est, lo, hi = cost_per_family(dc, dr, seed=3)
    assert est == pytest.approx(dc.sum() / dr.sum())
    assert lo <= est <= hi and hi - lo > 0
    assert cost_per_family(dc, dr, seed=3) == (est, lo, hi)  # seeded bootstrap
    assert all(math.isnan(v) for v in cost_per_family(dc, -dr))
    # a replicate set that may show no gain at all: no finite upper bound
    est2, lo2, hi2 = cost_per_family(np.array([100.0, 100.0]), np.array([1.0, -1.0 + 1e-9]))
    assert np.isfinite(est2) and hi2 == np.inf


def test_target_ci_adds_rounds_until_reached():
    """Rounds of replicates until the half-width of reach is below the target or the limit."""
    c = run_comparison({"a": {"coordinator_fte": 0.0}, "b": {"coordinator_fte": 1.0}},
                       replicates=2, rng=2, base="kleinstadt", weeks=60, series=None,
                       target_ci=1e-9, max_replicates=5)
    st = c.stopping.set_index("scenario")
    assert (st.replicates == 5).all() and (st.stopped == "max_replicates").all()
    assert sorted(c.runs.replicate.unique()) == [0, 1, 2, 3, 4]
    c2 = run_comparison({"a": {"coordinator_fte": 0.0}, "b": {"coordinator_fte": 1.0}},
                        replicates=2, rng=2, base="kleinstadt", weeks=60, series=None,
                        target_ci=0.5, max_replicates=6)
    assert (c2.stopping.replicates == 2).all() and (c2.stopping.stopped == "target").all()
    # the first rounds are the same runs
    pd.testing.assert_frame_equal(c2.runs, c.runs[c.runs.replicate < 2].reset_index(drop=True))


def test_no_worker_processes(monkeypatch):
    """The comparison runs in this process, so any Jupyter start method works."""
    def refuse(self):
        raise AssertionError("a process was started")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    t = compare(["scenarios/kleinstadt.toml", "scenarios/kleinstadt.toml"], replicates=2,
                rng=1, weeks=40, series=None)
    assert set(t.scenario) == {"kleinstadt", "kleinstadt_1"}


@pytest.mark.parametrize("kwargs, msg", [
    ({"scenarios": {"a": {"coordinatr_fte": 1.0}, "b": {}}}, "unknown parameter 'coordinatr_fte'"),
    ({"scenarios": {"a": {"coordinator_fte": -1.0}, "b": {}}}, "coordinator_fte"),
    ({"scenarios": {"a": {}}}, "at least two scenarios"),
    ({"scenarios": {"a": {}, "b": {}}, "reference": "c"}, "reference 'c' is not one"),
    ({"scenarios": {"a": {}, "b": {}}, "replicates": 0}, "replicates must be a positive"),
    ({"scenarios": {"a": {}, "b": {}}, "target_ci": -0.1}, "target_ci must be a positive"),
    ({"scenarios": {"a": {}, "b": {}}, "max_replicates": 5}, "max_replicates needs target_ci"),
    ({"scenarios": {"a": "scenarios/nowhere.toml", "b": {}}}, "file not found"),
    ({"scenarios": {"a": {}, "b": {}}, "series": ["reach_frist_year"]}, "unknown series"),
    ({"scenarios": {"a": {}, "b": {}}, "metrics": ["reach_frist_year"]},
     "unknown metric 'reach_frist_year'"),
    ({"scenarios": {"a": {}, "b": {}}, "target_ci": 0.01, "max_replicates": 20.5},
     "max_replicates must be a positive integer"),
    ({"scenarios": {"a": {}, "b": {}}, "target_ci": True}, "target_ci must be a positive"),
    ({"scenarios": {"a": {}, "b": {}}, "target_ci": 0.05},
     "target_ci needs weeks > 52, but scenario 'a' runs 20 weeks"),
])
def test_bad_input_names_the_culprit(kwargs, msg):
    """Each bad input gets one message naming the key or value."""
    with pytest.raises(CompareError, match=msg):
        run_comparison(weeks=20, **kwargs)


def test_unknown_metric_is_refused_before_the_runs(monkeypatch):
    """A misspelt metric fails at once, not after hours of runs (only a 1-week probe runs)."""
    import kooperationssim.vector_engine as ve

    weeks_run = []
    real = ve.VectorEngine.run

    def counting(self, *a, **k):
        weeks_run.append(self.weeks)
        return real(self, *a, **k)

    monkeypatch.setattr(ve.VectorEngine, "run", counting)
    with pytest.raises(CompareError, match="unknown metric 'reach_frist_year'"):
        run_comparison({"a": {}, "b": {}}, metrics=["reach_frist_year"], weeks=200)
    assert weeks_run == [1]


def test_metric_given_as_a_string_is_one_metric():
    t = compare({"a": {}, "b": {"coordinator_fte": 0.5}}, metrics="trust_mean", replicates=2,
                rng=1, weeks=20, series=None)
    assert "trust_mean" in set(t.metric) and "t" not in set(t.metric)


