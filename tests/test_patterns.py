"""Pattern-oriented validation: the model at its defaults reproduces the patterns of the sources.

Each test compares scenarios that differ in one lever, run with the NumPy engine on the
default municipality (1,000 births per year).  Replicate ``r`` of every scenario uses seed
``r`` (common random numbers), so differences are paired by replicate; a pattern holds when
the t-based 95 % confidence interval of the mean paired difference lies on the predicted
side of zero.  Patterns, sources, measured figures and whether they are assumed or emerge
are listed in ``docs/VALIDATION.md``.  Tests that need long runs or many replicates are
marked ``slow``; a pattern the model does not reproduce is marked ``xfail(strict=True)``
with the measured figure.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.stats import qmc

from kooperationssim.funding import generate_streams
from kooperationssim.params import PARAMS_BY_NAME
from kooperationssim.scenario import resolve
from kooperationssim.vector_engine import VectorEngine

ALL_TURNOVER = {"turnover_rate_health": 0.05, "turnover_rate_youth_welfare": 0.12,
                "turnover_rate_coordinator": 0.10, "turnover_rate_health_office": 0.08}


_CACHE: dict[tuple, object] = {}


def batch(over: dict, reps: int, weeks: int = 520):
    """A batch of ``reps`` replicates (seeds 0..reps-1) of the defaults plus ``over``.

    Batches are kept for the session, so tests that compare with the same scenario share
    its runs.
    """
    over = {k: v for k, v in over.items()
            if k == "funding_streams" or PARAMS_BY_NAME[k].default != v}
    key = (repr(sorted(over.items())), reps, weeks)
    if key not in _CACHE:
        _CACHE[key] = VectorEngine([dict(over, weeks=weeks)] * reps, list(range(reps))).run()
    return _CACHE[key]


def values(res, name: str) -> np.ndarray:
    """One summary output of every run of a batch."""
    return np.array([s[name] for s in res.summaries], dtype=float)


def ci(d: np.ndarray) -> tuple[float, float, float]:
    """Mean and t-based 95 % confidence interval of the mean of ``d``."""
    d = np.asarray(d, dtype=float)
    m = float(d.mean())
    h = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    return m, m - h, m + h


def assert_positive(d: np.ndarray, what: str) -> None:
    """Assert that the mean of the paired differences ``d`` is above 0 at 95 %."""
    m, lo, hi = ci(d)
    assert lo > 0, f"{what}: mean difference {m:.4f}, 95 % CI [{lo:.4f}, {hi:.4f}]"


# ---------------------------------------------------------------------------------------
# 1. Coordination raises exchange and positive coordination, and reach
# ---------------------------------------------------------------------------------------


def test_coordination_raises_exchange_positive_and_reach():
    """A coordinator with meetings against no coordination (``coordinator_fte`` = 0)."""
    R = 16
    coord, none = batch({}, R), batch({"coordinator_fte": 0.0}, R)
    good = lambda r: values(r, "mode_share_exchange") + values(r, "mode_share_positive")  # noqa: E731
    assert values(coord, "meetings_held").min() > 0
    assert values(none, "meetings_held").max() == 0
    assert_positive(values(coord, "mode_share_exchange") - values(none, "mode_share_exchange"),
                    "exchange share, coordination - none")
    assert_positive(values(coord, "mode_share_positive") - values(none, "mode_share_positive"),
                    "positive share, coordination - none")
    assert_positive(good(coord) - good(none), "exchange + positive share")
    assert_positive(values(coord, "reach_first_year") - values(none, "reach_first_year"),
                    "reach_first_year, coordination - none")


#: Behaviour parameters of the Latin hypercube and their ranges.
LHS_RANGES = {
    "trust_gain": (0.04, 0.3),
    "trust_loss": (0.1, 0.6),
    "understanding_gain": (0.03, 0.3),
    "engagement_mean_health": (0.15, 0.6),
    "attendance_base_physician": (0.2, 0.9),
    "physician_hours_per_week": (0.5, 2.0),
    "mode_base_exchange": (0.03, 0.4),
    "mode_base_positive": (0.005, 0.06),
    "mode_base_intervention": (0.03, 0.3),
}


@pytest.mark.slow
def test_exchange_and_positive_share_correlates_with_reach_across_lhs():
    """Across a Latin hypercube of behaviour parameters, good modes go with higher reach.

    256 points, one run each (seed = point index); Spearman's rank correlation between the
    share of exchange plus positive coordination and ``reach_first_year`` with a 95 %
    interval from Fisher's z with the Bonett-Wright standard error.
    """
    n = 256
    lo = [v[0] for v in LHS_RANGES.values()]
    hi = [v[1] for v in LHS_RANGES.values()]
    X = qmc.scale(qmc.LatinHypercube(d=len(LHS_RANGES), seed=1).random(n), lo, hi)
    points = [dict(zip(LHS_RANGES, map(float, x), strict=True), weeks=520) for x in X]
    summ = []
    for i in range(0, n, 64):
        summ += VectorEngine(points[i:i + 64], list(range(i, i + 64))).run().summaries
    good = np.array([s["mode_share_exchange"] + s["mode_share_positive"] for s in summ])
    reach = np.array([s["reach_first_year"] for s in summ])
    rho = stats.spearmanr(good, reach).statistic
    se = np.sqrt((1 + rho ** 2 / 2) / (n - 3))
    lo_rho = np.tanh(np.arctanh(rho) - 1.96 * se)
    hi_rho = np.tanh(np.arctanh(rho) + 1.96 * se)
    assert lo_rho > 0, f"Spearman rho {rho:.3f}, 95 % CI [{lo_rho:.3f}, {hi_rho:.3f}]"


# ---------------------------------------------------------------------------------------
# 2. Personal acquaintance is the precondition of warm handovers
# ---------------------------------------------------------------------------------------


def _late_warm_share(over: dict, reps: int) -> np.ndarray:
    """Share of warm handovers among referrals in years 6-10, per replicate.

    A run of 260 weeks is the first half of the run of 520 weeks with the same seed, so the
    difference of their totals counts the referrals of weeks 260-519, after the initial
    acquaintances (``initial_acquaintance_share``) have had time to lapse.
    """
    full, half = batch(over, reps, 520), batch(over, reps, 260)
    warm = values(full, "referrals_warm") - values(half, "referrals_warm")
    refs = values(full, "referrals") - values(half, "referrals")
    return warm / refs


NO_FACE_TO_FACE = {"health_office_liaison": False}


def test_no_warm_handovers_without_meetings_outreach_and_health_office():
    """Without a coordinator (no meetings, visits, introductions) and no liaison."""
    R = 16
    none = _late_warm_share({"coordinator_fte": 0.0, **NO_FACE_TO_FACE}, R)
    net = _late_warm_share({}, R)
    m, lo, hi = ci(none)
    assert hi < 0.05, f"warm share without network {m:.4f}, 95 % CI [{lo:.4f}, {hi:.4f}]"
    m2, lo2, _ = ci(net)
    assert lo2 > 0.3, f"warm share with network {m2:.4f}, lower 95 % bound {lo2:.4f}"


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "with a coordinator but no meetings, visits or liaison, warm handovers are 13.6 % of "
    "referrals in years 6-10 (32 replicates: 0.136, 95 % CI [0.073, 0.199]; with the full "
    "network 0.56): acquaintances from initial case work and case coordination keep a "
    "warm route alive"))
def test_no_warm_handovers_with_coordinator_but_no_face_to_face_formats():
    """A coordinator for case clearing only: no meetings, no visits, no liaison."""
    R = 32
    over = {"network_meeting_interval_weeks": 0, "max_visits_per_week": 0,
            **NO_FACE_TO_FACE}
    share = _late_warm_share(over, R)
    m, lo, hi = ci(share)
    assert hi < 0.05, f"warm share {m:.4f}, 95 % CI [{lo:.4f}, {hi:.4f}]"


# ---------------------------------------------------------------------------------------
# 3. Diminishing returns of coordinator FTE
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_reach_rises_with_coordinator_fte_with_diminishing_returns():
    """Each added FTE (0 -> 1 -> 2 -> 3) raises reach, and each by less than the one before."""
    R = 64
    reach = {f: values(batch({"coordinator_fte": f}, R), "reach_first_year")
             for f in (0.0, 1.0, 2.0, 3.0)}
    g1, g2, g3 = (reach[1.0] - reach[0.0], reach[2.0] - reach[1.0], reach[3.0] - reach[2.0])
    assert_positive(g1, "gain of the first FTE")
    assert_positive(g2, "gain of the second FTE")
    assert_positive(g3, "gain of the third FTE")
    assert_positive(g1 - g2, "first minus second gain")
    assert_positive(g2 - g3, "second minus third gain")


# ---------------------------------------------------------------------------------------
# 4. A permanent position beats project funding with the same ten-year budget
# ---------------------------------------------------------------------------------------

PERMANENT = {"coordinator_fte": 1.0, "funding_regime": "permanent"}
PROJECT = {"coordinator_fte": 2.5, "funding_regime": "project", "funding_project_years": 4}


def _budget(over: dict, years: int = 10) -> float:
    """Money the generated streams provide for the coordinator over ``years`` years."""
    p = resolve(dict(over))
    return sum(s.eur_per_year for s in generate_streams(p) for y in range(years)
               if "coordinator" in s.pays_for and s.active(y))


def test_permanent_position_beats_project_with_same_budget():
    """1.0 FTE permanent for ten years against 2.5 FTE for a four-year project (both €800k)."""
    assert _budget(PERMANENT) == pytest.approx(_budget(PROJECT)) == pytest.approx(800_000)
    R = 16
    perm, proj = batch(PERMANENT, R), batch(PROJECT, R)
    # the money actually spent: vacancies make both a little cheaper than the budget
    assert values(perm, "cost_total_eur").max() <= 800_000 + 1e-6
    assert values(proj, "cost_total_eur").max() <= 800_000 + 1e-6
    assert_positive(values(perm, "reach_first_year") - values(proj, "reach_first_year"),
                    "reach_first_year, permanent - project")


# ---------------------------------------------------------------------------------------
# 5. Funding end: reach drops, and recovers more slowly than it fell
# ---------------------------------------------------------------------------------------

GAP_STREAMS = [
    {"name": "Projekt", "source": "bundesstiftung", "eur_per_year": 80000, "start_year": 0,
     "end_year": 3, "pays_for": ["coordinator"]},
    {"name": "Wiederaufnahme", "source": "municipality", "eur_per_year": 80000,
     "start_year": 6, "pays_for": ["coordinator"]},
]
END_WEEK, REFUND_WEEK = 4 * 52, 6 * 52


def _fall_and_recovery(S: np.ndarray) -> tuple[float, float, float]:
    """Half-times of the fall after the funding end and of the recovery after re-funding.

    ``S`` is (replicates, weeks) of the weekly ``reach_first_year`` (trailing 52 weeks).
    On the mean series: the level before the end (mean of the 13 weeks before it), the
    trough (minimum after the end) and the half-way level between them; the fall time is
    the number of weeks from the funding end until the series first falls to the half-way
    level, the recovery time the number of weeks from re-funding until, after the trough,
    it first climbs back to it (infinite if it does not within the run).
    """
    with warnings.catch_warnings():  # weeks before any first birthday have no value
        warnings.simplefilter("ignore", RuntimeWarning)
        m = np.nanmean(S, axis=0)
    pre = float(m[END_WEEK - 13:END_WEEK].mean())
    trough_week = END_WEEK + int(np.argmin(m[END_WEEK:]))
    half = pre - 0.5 * (pre - m[trough_week])
    below = np.flatnonzero(m[END_WEEK:] <= half)
    fall = float(below[0]) if len(below) else np.inf
    above = np.flatnonzero(m[trough_week:] >= half)
    recovery = float(trough_week + above[0] - REFUND_WEEK) if len(above) else np.inf
    return pre - float(m[REFUND_WEEK - 1]), fall, recovery


def test_reach_drops_after_funding_end_and_recovers_more_slowly():
    """A four-year project, two years without money, then municipal money again."""
    R = 24
    res = batch({"funding_regime": "custom", "funding_streams": GAP_STREAMS}, R)
    S = np.stack([res.series(r)["reach_first_year"].to_numpy() for r in range(R)])
    drop, fall, recovery = _fall_and_recovery(S)
    # bootstrap over replicates for the interval of the drop and of recovery - fall
    rng = np.random.default_rng(20261124)
    boots = np.array([_fall_and_recovery(S[rng.integers(0, R, R)]) for _ in range(400)])
    diff = boots[:, 2] - boots[:, 1]
    assert np.quantile(boots[:, 0], 0.025) > 0, (
        f"drop by re-funding {drop:.4f}, bootstrap 2.5 % {np.quantile(boots[:, 0], 0.025):.4f}")
    assert np.quantile(diff, 0.025) > 0, (
        f"fall half-time {fall} weeks, recovery half-time {recovery} weeks; bootstrap 95 % "
        f"interval of the difference [{np.quantile(diff, 0.025)}, {np.quantile(diff, 0.975)}]")


# ---------------------------------------------------------------------------------------
# 6. More staff turnover lowers trust and reach, monotonically
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_turnover_lowers_trust_and_reach_monotonically():
    """All base turnover rates times 0.5, 1, 2 and 4."""
    R = 32
    runs = [batch({k: min(1.0, v * f) for k, v in ALL_TURNOVER.items()}, R)
            for f in (0.5, 1.0, 2.0, 4.0)]
    for name in ("trust_mean", "reach_first_year"):
        for lower, higher in zip(runs[:-1], runs[1:], strict=True):
            assert_positive(values(lower, name) - values(higher, name),
                            f"{name}, less minus more turnover")


# ---------------------------------------------------------------------------------------
# 7. The health office as door-opener raises physicians' participation
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_health_office_door_opener_raises_physician_participation():
    """No liaison < liaison < liaison with institutionalised Jugendamt-Gesundheitsamt cooperation.

    Participation: physicians who ever attended a meeting and physicians actively
    cooperating (a referral in the last 52 weeks), at the end of the default ten years.
    """
    R, W = 32, 520
    none = batch({"health_office_liaison": False}, R, W)
    liaison = batch({}, R, W)
    jaga = batch({"ja_ga_cooperation": True}, R, W)
    for name in ("physicians_ever_attended_share", "active_physicians_share"):
        assert_positive(values(liaison, name) - values(none, name), f"{name}, liaison - none")
    assert_positive(values(jaga, "physicians_ever_attended_share")
                    - values(liaison, "physicians_ever_attended_share"),
                    "physicians_ever_attended_share, institutionalised - liaison")


# ---------------------------------------------------------------------------------------
# 8. One-hour evening round tables and compensation raise physicians' attendance
# ---------------------------------------------------------------------------------------


def test_evening_round_tables_and_compensation_raise_attendance():
    """Share of physicians who attended any meeting within the first year.

    * one-hour evening round tables against three-hour daytime round tables (the same
      format otherwise), and against the default three-hour daytime network meetings;
    * compensated against uncompensated quality circles and round tables.
    """
    R, W = 24, 52
    att = "physicians_ever_attended_share"
    rt = {"round_table_interval_weeks": 13, "network_meeting_interval_weeks": 0}
    short_evening = batch(rt, R, W)
    long_daytime = batch({**rt, "round_table_hours": 3.0, "round_table_evening": False}, R, W)
    network = batch({}, R, W)
    assert_positive(values(short_evening, att) - values(long_daytime, att),
                    "one-hour evening - three-hour daytime round tables")
    assert_positive(values(short_evening, att) - values(network, att),
                    "one-hour evening round tables - network meetings")
    for fmt in ({"quality_circle_interval_weeks": 13, "network_meeting_interval_weeks": 0},
                rt):
        paid = batch({**fmt, "physician_compensation": True}, R, W)
        unpaid = batch(fmt, R, W)
        assert values(paid, "physician_compensated_hours").min() > 0
        assert_positive(values(paid, att) - values(unpaid, att),
                        f"compensated - uncompensated {sorted(fmt)}")
