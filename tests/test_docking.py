"""The NumPy engine reproduces the Mesa engine exactly: same scenario, overrides and seed,
same weekly series and summaries, bit for bit."""

import math

import numpy as np
import pandas as pd
import pytest

from kooperationssim import KooperationsModel
from kooperationssim.params import PARAMS
from kooperationssim.scenario import ScenarioError, load_scenario, resolve, scenario_files
from kooperationssim.vector_engine import EngineError, VectorEngine

STRUCTURE = {
    "weeks", "births_per_year", "births_per_district", "n_pediatric_practices",
    "n_gynecology_practices", "n_maternity_clinics", "n_midwives", "n_asd_workers",
    "n_fh_providers", "funding_regime", "funding_streams",
}


def _same_summary(a: dict, b: dict) -> list[str]:
    bad = []
    for k, v in a.items():
        w = b[k]
        if isinstance(v, float) and math.isnan(v):
            if not (isinstance(w, float) and math.isnan(w)):
                bad.append(k)
        elif v != w:
            bad.append(k)
    return bad


def assert_docked(params_list, seeds):
    """Run every parameter set in both engines (the NumPy engine as one batch)."""
    res = VectorEngine(params_list, seeds).run()
    for r, (p, s) in enumerate(zip(params_list, seeds, strict=True)):
        m = KooperationsModel(p, rng=s)
        m.run_model()
        pd.testing.assert_frame_equal(m.series(), res.series(r), check_exact=True)
        bad = _same_summary(m.summary(), res.summaries[r])
        assert not bad, f"run {r}: summaries differ in {bad}"


def random_params(rng: np.random.Generator, weeks: int = 80) -> dict:
    """A parameter set drawn uniformly within the schema's bounds (behaviour and levers;
    wide ranges capped at min + 60 for integers and min + 10 for numbers), with a small
    municipality so that the Mesa engine stays quick; invalid combinations are drawn
    again."""
    while True:
        p = {}
        for prm in PARAMS:
            if prm.name in STRUCTURE:
                continue
            if prm.type is bool:
                p[prm.name] = bool(rng.random() < 0.5)
            elif prm.choices:
                p[prm.name] = str(rng.choice([c for c in prm.choices if c != "custom"]))
            elif prm.type is int:
                lo, hi = int(prm.min), int(min(prm.max, prm.min + 60))
                if prm.zero_or_min and rng.random() < 0.3:
                    p[prm.name] = 0
                else:
                    p[prm.name] = int(rng.integers(lo, hi + 1))
            else:
                lo, hi = prm.min, min(prm.max, prm.min + 10.0)
                p[prm.name] = float(lo + (hi - lo) * rng.random())
        births = float(rng.uniform(200, 1400))
        d = max(1, round(births / 600))
        p.update(weeks=weeks, births_per_year=births,
                 n_pediatric_practices=int(rng.integers(d, d + 6)),
                 n_gynecology_practices=int(rng.integers(d, d + 6)),
                 n_maternity_clinics=int(rng.integers(1, 3)),
                 n_midwives=int(rng.integers(d, d + 12)),
                 n_asd_workers=int(rng.integers(d, d + 4)),
                 n_fh_providers=int(rng.integers(d, d + 4)),
                 coordinator_fte=float(rng.choice([0.0, 0.25, 0.5, 1.0, 1.75, 3.0])),
                 funding_regime=str(rng.choice(["permanent", "project",
                                                "project_then_municipal",
                                                "foundation_gap_municipal"])))
        try:
            return resolve(p)
        except ScenarioError:
            continue


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_every_scenario_docks(path):
    sc = load_scenario(path, extra={"weeks": 156})
    assert_docked([sc.params, sc.params], [3, 4])


def test_full_horizon_mittelstadt_docks():
    sc = load_scenario(scenario_files()[[p.stem for p in scenario_files()].index("mittelstadt")])
    assert sc.params["weeks"] == 520
    assert_docked([sc.params], [20261124])


def test_random_parameter_sets_dock():
    rng = np.random.default_rng(42)
    for i in range(6):
        assert_docked([random_params(rng)], [1000 + i])


def test_professionals_without_time_dock():
    """Zero cooperation hours (no time account) and visits that cost the practice nothing."""
    assert_docked([{"weeks": 104, "births_per_year": 400.0, "physician_hours_per_week": 0.0,
                    "midwife_hours_per_week": 0.0, "visit_minutes_health": 0}], [1])


def test_help_that_removes_the_crisis_hazard_docks():
    """Help of quality 1 with full effect: a family's crisis hazard becomes 0 in help, so
    its rescheduled crisis is never and many calendar entries of a week are stale."""
    p = {"weeks": 104, "help_effect": 1.0, "quality_base": 1.0, "quality_conflict": 0.0,
         "crisis_hazard_medium": 0.02, "crisis_hazard_multiple": 0.05,
         "burden_share_medium": 0.5, "burden_share_multiple": 0.3,
         "fh_caseload_capacity": 200}
    assert_docked([p] * 4, [1, 2, 3, 4])


def test_batch_of_different_levers_docks():
    """One batch, different levers and seeds per run."""
    base = {"weeks": 200}
    sets = [
        base,
        base | {"coordinator_fte": 0.75, "funding_regime": "foundation_gap_municipal",
                "lotsendienst_coverage": 0.6, "dropout_base": 0.02},
        base | {"coordinator_fte": 0.5, "coordinator_host": "freier_traeger",
                "funding_regime": "project", "round_table_interval_weeks": 6},
        base | {"coordinator_fte": 1.0, "coordinator_host": "gesundheitsamt",
                "ja_ga_cooperation": True, "clearing_desk": True, "physician_compensation": True,
                "quality_circle_interval_weeks": 8, "mfa_training_coverage": 0.7},
    ]
    assert_docked(sets, [5, 6, 7, 8])


@pytest.mark.slow
def test_many_random_parameter_sets_dock():
    rng = np.random.default_rng(7)
    for i in range(40):
        assert_docked([random_params(rng, weeks=200)], [i])


def test_common_random_numbers_across_a_lever():
    """Replicate r of two scenarios draws the same numbers for the decisions they share:
    a Lotsendienst and a clearing desk change neither who enters, nor who turns over in
    the health and youth-welfare slots, nor the families' own draws."""
    a = {"weeks": 150}
    b = a | {"lotsendienst_coverage": 0.8, "health_office_liaison": True,
             "clearing_desk": True}
    v = VectorEngine([a, b], [77, 77])
    v.run()
    hy = v.nH + v.nY
    np.testing.assert_array_equal(v.person[0, :hy], v.person[1, :hy])
    np.testing.assert_array_equal(v.bw_start[0], v.bw_start[1])
    np.testing.assert_array_equal(v.F["e_crisis"][0], v.F["e_crisis"][1])
    np.testing.assert_array_equal(v.F["u"][0], v.F["u"][1])
    s0, s1 = v.result().summaries
    assert s0["births"] == s1["births"]
    assert s0["referrals_lotsendienst"] == 0 < s1["referrals_lotsendienst"]


def test_bad_engine_input_gets_clear_errors():
    with pytest.raises(EngineError, match="empty batch"):
        VectorEngine([], [])
    with pytest.raises(EngineError, match="2 parameter sets but 1 seeds"):
        VectorEngine([{}, {}], [1])
    with pytest.raises(EngineError, match="different structure"):
        VectorEngine([{}, {"n_pediatric_practices": 9}], [1, 2])
    with pytest.raises(EngineError, match="different structure"):
        VectorEngine([{"coordinator_fte": 1.0}, {"coordinator_fte": 2.0}], [1, 2])
    with pytest.raises(EngineError, match="parameter set 1: unknown parameter"):
        VectorEngine([{}, {"coordinator_ftee": 1.0}], [1, 2])
    with pytest.raises(EngineError, match="too large for memory"):
        VectorEngine([{}] * 4, [1, 2, 3, 4], max_memory_gb=0.001)
    with pytest.raises(EngineError, match=r"one parameter dict per run, got dict \(wrap it"):
        VectorEngine({"weeks": 10}, [1])
    with pytest.raises(EngineError, match="seeds must be a list"):
        VectorEngine([{}], 1)
    with pytest.raises(EngineError, match=r"seeds\[1\] must be a non-negative integer"):
        VectorEngine([{}, {}], [1, -2])
    with pytest.raises(EngineError, match=r"seeds\[0\] must be a non-negative integer"):
        VectorEngine([{}], [1.5])
    with pytest.raises(EngineError, match="parameter set 0 must be a dict"):
        VectorEngine(["weeks=10"], [1])
