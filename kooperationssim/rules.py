"""Behaviour rules as pure functions, shared by both engines.

Every rule takes plain numbers or NumPy arrays (elementwise) and pre-drawn uniform
random numbers, never a generator.  The behaviour rules use only addition, subtraction,
multiplication, division, minimum, maximum, comparisons and floor/round-half-even to
integers: these are exactly defined in IEEE arithmetic, so a rule called on one agent's
scalars returns bit for bit what it returns for that agent inside an array.  The one
transcendental function, the logarithm in :func:`threshold_units`, is applied once per
family to a whole block of uniforms by ``draws``, the same call for both engines.
Rules marked ``@register_jitable`` are also compiled into the engine's Numba kernels
(``kooperationssim.kernels``), which call them on scalars.

Reductions go through :func:`seqsum`, a sequential sum whose result does not change when
excluded entries are replaced by 0.

Equations are documented in ``docs/ODD.md`` (section "Submodels").
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba.extending import register_jitable

from .params import MODE_FEATURES, MODES

__all__ = [
    "NEGATIVE",
    "INTERVENTION",
    "EXCHANGE",
    "POSITIVE",
    "ModeTable",
    "mode_table",
    "minutes",
    "lift",
    "clip01",
    "seqsum",
    "mode_weights",
    "choose_mode",
    "trust_delta",
    "understanding_delta",
    "engagement_interaction_delta",
    "engagement_commit",
    "awareness_commit",
    "decay_toward",
    "ratio",
    "case_quality",
    "notice_probability",
    "referral_probability",
    "acceptance_probability",
    "attendance_probability",
    "visit_success_probability",
    "turnover_probability",
    "competence",
    "crisis_hazard_multiplier",
    "feedback_probability",
    "hazard_units",
    "threshold_units",
    "HAZARD_SCALE",
]

NEGATIVE, INTERVENTION, EXCHANGE, POSITIVE = range(4)

#: Weekly hazards are added up in integer units of 2**-40 so that cumulative hazards are
#: exact and an event week can be computed in closed form.
HAZARD_SCALE = float(2**40)
#: Exp(1) thresholds are capped here (a uniform of exactly 0 would give infinity).
MAX_THRESHOLD = 50.0


class ModeTable:
    """The mode parameters of one parameter set, as arrays indexed by mode.

    Attributes:
        base: (4,) base weights.
        coef: (4, 7) feature coefficients, features in :data:`MODE_FEATURES` order.
        info, plan, conflict: (4,) consequences of each mode.
        minutes_health, minutes_youth: (4,) int time cost of a case interaction.
    """

    def __init__(self, p: dict[str, Any]):
        self.base = np.array([p[f"mode_base_{m}"] for m in MODES], dtype=np.float64)
        self.coef = np.array(
            [[p[f"mode_{m}_{f}"] for f in MODE_FEATURES] for m in MODES], dtype=np.float64
        )
        self.info = np.array([p[f"info_{m}"] for m in MODES], dtype=np.float64)
        self.plan = np.array([p[f"plan_{m}"] for m in MODES], dtype=np.float64)
        self.conflict = np.array([p[f"conflict_{m}"] for m in MODES], dtype=np.float64)
        self.minutes_health = np.array([p.get(f"minutes_health_{m}", 0) for m in MODES],
                                       dtype=np.int64)
        self.minutes_youth = np.array([p.get(f"minutes_youth_{m}", 0) for m in MODES],
                                      dtype=np.int64)
        # python-float copies for the scalar (agent) path
        self.base_l = [float(x) for x in self.base]
        self.coef_l = [[float(x) for x in row] for row in self.coef]
        self.info_l = [float(x) for x in self.info]
        self.plan_l = [float(x) for x in self.plan]
        self.conflict_l = [float(x) for x in self.conflict]
        self.mh_l = [int(x) for x in self.minutes_health]
        self.my_l = [int(x) for x in self.minutes_youth]


def mode_table(p: dict[str, Any]) -> ModeTable:
    """Build the :class:`ModeTable` of a parameter set."""
    return ModeTable(p)


def minutes(hours):
    """Hours as whole minutes, rounding halves to even (scalars and arrays alike)."""
    if isinstance(hours, float | int):
        return int(round(hours * 60.0))
    return np.rint(np.asarray(hours, dtype=np.float64) * 60.0).astype(np.int64)


@register_jitable
def lift(x, floor):
    """Map x in [0, 1] to [floor, 1]: the share ``floor`` does not depend on x."""
    return floor + (1.0 - floor) * x


@register_jitable
def clip01(x):
    """Clip to [0, 1] (scalars stay Python floats)."""
    if isinstance(x, float):
        return 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)
    return np.minimum(np.maximum(x, 0.0), 1.0)


@register_jitable
def ratio(a, b):
    """``a / b`` of two scalars as a float, NaN where ``b`` is 0 (a share of nothing)."""
    if b == 0:
        return np.nan
    return float(a) / float(b)


def seqsum(x, axis: int = -1):
    """Sequential (left-to-right) sum; inserting exact zeros never changes the result."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[axis] == 0:
        return np.zeros(np.delete(np.array(x.shape), axis % x.ndim)) if x.ndim > 1 else 0.0
    if x.ndim == 2 and axis % 2 == 1 and x.shape[0] >= 2:
        # rows of a batch: adding whole columns one after another keeps the order of each
        # row's sum and is several times faster than an accumulation along the row
        return np.add.reduce(np.ascontiguousarray(x.T), axis=0)
    return np.take(np.cumsum(x, axis=axis), -1, axis=axis)


@register_jitable
def _pos(x):
    if isinstance(x, float):
        return x if x > 0.0 else 0.0
    return np.maximum(x, 0.0)


@register_jitable
def _mode_weight(features, base_m, row):
    w = base_m
    for k in range(7):
        w = w * _pos(1.0 + row[k] * features[k])
    return w


@register_jitable
def mode_weights(features, base, coef):
    """Weights of the four modes in a situation.

    ``w_m = base_m * prod_k max(0, 1 + coef_mk * x_k)`` over the features in
    :data:`MODE_FEATURES` order (trust, understanding, distance, slack, urgency,
    facilitation, institution), each in [0, 1].

    Args:
        features: sequence of 7 feature values (scalars or equal-shaped arrays).
        base: 4 base weights.
        coef: 4 x 7 coefficients.

    Returns:
        A tuple of 4 weights.
    """
    return (_mode_weight(features, base[0], coef[0]), _mode_weight(features, base[1], coef[1]),
            _mode_weight(features, base[2], coef[2]), _mode_weight(features, base[3], coef[3]))


@register_jitable
def choose_mode(weights, feasible, u):
    """Draw a mode from weights with a pre-drawn uniform ``u`` in [0, 1).

    Infeasible modes (not enough time on either side) get weight 0.  Negative
    coordination costs no time and is the fallback: it is chosen whenever all weights
    are 0.
    """
    # feasible is 0/1
    c0 = weights[0] * feasible[0]
    c1 = c0 + weights[1] * feasible[1]
    c2 = c1 + weights[2] * feasible[2]
    total = c2 + weights[3] * feasible[3]
    thr = u * total
    if isinstance(thr, float):
        if not total > 0.0 or thr < c0:
            return 0
        if thr < c1:
            return 1
        if thr < c2:
            return 2
        return 3
    m = np.where(thr < c0, 0, np.where(thr < c1, 1, np.where(thr < c2, 2, 3)))
    return np.where(total > 0.0, m, 0)


@register_jitable
def trust_delta(trust, info, plan, conflict, gain, loss, intensity, info_weight):
    """Change of trust through one interaction.

    Gain closes a share of the gap to 1 in proportion to information and joint planning
    (weighted ``info_weight`` : ``1 - info_weight``); conflict destroys a share of the
    existing trust.  ``loss > gain`` makes trust fall faster than it grows.
    """
    good = info_weight * info + (1.0 - info_weight) * plan
    return intensity * (gain * good * (1.0 - trust) - loss * conflict * trust)


@register_jitable
def understanding_delta(understanding, info, gain, intensity):
    """Change of mutual understanding: exchange of information closes part of the gap."""
    return intensity * (gain * info * (1.0 - understanding))


@register_jitable
def engagement_interaction_delta(engagement, plan, conflict, gain, loss, intensity):
    """Change of a participant's engagement: joint planning motivates, conflict frustrates."""
    return intensity * (gain * plan * (1.0 - engagement) - loss * conflict * engagement)


@register_jitable
def engagement_commit(engagement, pending, base, drift):
    """End-of-week engagement: pending changes plus drift towards the personal baseline."""
    return clip01((engagement + pending) + drift * (base - engagement))


@register_jitable
def awareness_commit(awareness, pending, refreshed, decay):
    """End-of-week awareness: refreshed by contact, otherwise forgotten at rate ``decay``."""
    if isinstance(refreshed, bool):
        if refreshed:
            return clip01(awareness + pending)
        return awareness * (1.0 - decay)
    return np.where(refreshed, clip01(awareness + pending), awareness * (1.0 - decay))


@register_jitable
def decay_toward(x, base, rate):
    """Relax x towards its baseline by the share ``rate``."""
    return x - rate * (x - base)


@register_jitable
def case_quality(info, plan, conflict, q0, q_info, q_plan, q_conflict):
    """Quality of early help (0-1): information and joint planning help, conflict harms."""
    return clip01(q0 + q_info * info + q_plan * plan - q_conflict * conflict)


@register_jitable
def notice_probability(skill, visibility, mfa_trained, mfa_boost, slack, time_floor):
    """Probability that a professional notices a burden at one contact."""
    return clip01(skill * visibility * (1.0 + mfa_boost * mfa_trained) * lift(slack, time_floor))


@register_jitable
def referral_probability(base, awareness, engagement, slack, route_value, fa, fe, fs, fr):
    """Probability that a professional who noticed a burden refers the family."""
    return clip01(
        base * lift(awareness, fa) * lift(engagement, fe) * lift(slack, fs) * lift(route_value, fr)
    )


@register_jitable
def acceptance_probability(route_acceptance, family_trust, trust_floor, stigma, declined, penalty):
    """Probability that the family accepts the help offered."""
    return clip01(
        route_acceptance
        * lift(family_trust, trust_floor)
        * (1.0 - stigma)
        * (1.0 - penalty * declined)
    )


def attendance_probability(base, engagement, awareness, length_hours, length_penalty,
                           time_factor, boost, floor_engagement, floor_awareness):
    """Probability that an invited professional attends a meeting."""
    extra = length_hours - 1.0
    if isinstance(extra, float):
        extra = extra if extra > 0.0 else 0.0
    else:
        extra = np.maximum(extra, 0.0)
    return clip01(
        base
        * lift(engagement, floor_engagement)
        * lift(awareness, floor_awareness)
        / (1.0 + length_penalty * extra)
        * time_factor
        * boost
    )


@register_jitable
def visit_success_probability(base, engagement, competence_, acquainted, cold, floor_e, floor_c):
    """Probability that a practice agrees to a coordinator's visit.

    A practice that does not know the coordinator personally agrees far less often
    (factor ``cold``).
    """
    known = cold + (1.0 - cold) * acquainted
    return clip01(base * lift(engagement, floor_e) * lift(competence_, floor_c) * known)


@register_jitable
def turnover_probability(rate_per_year, project, weeks_to_end, project_mult, end_mult):
    """Weekly probability that the person in a slot leaves.

    Project contracts multiply the base hazard, and in the last 52 weeks before the
    contract ends the hazard rises linearly by up to ``end_mult`` times more.
    """
    base = rate_per_year / 52.0
    proximity = clip01(1.0 - weeks_to_end / 52.0)
    factor = project_mult * (1.0 + end_mult * proximity)
    if isinstance(project, bool):
        return base * factor if project else base
    return np.where(project, base * factor, base)


def competence(tenure_weeks, start, halftime):
    """Coordinator competence: grows with tenure and saturates (hyperbolic)."""
    return start + (1.0 - start) * (tenure_weeks / (tenure_weeks + halftime))


@register_jitable
def crisis_hazard_multiplier(in_help, done, quality, help_effect, post_effect):
    """Factor on the crisis hazard: early help lowers it, completed help a little less."""
    if isinstance(in_help, bool):
        if in_help:
            return 1.0 - help_effect * quality
        if done:
            return 1.0 - post_effect * quality
        return 1.0
    return np.where(in_help, 1.0 - help_effect * quality,
                    np.where(done, 1.0 - post_effect * quality, 1.0))


@register_jitable
def hazard_units(h):
    """A weekly hazard (probability scale) in integer units of 2**-40, rounded down."""
    if isinstance(h, float):
        return math.floor(h * HAZARD_SCALE)
    return np.floor(np.asarray(h) * HAZARD_SCALE).astype(np.int64)


def threshold_units(u):
    """Exp(1) event threshold ``-log(u)`` in hazard units (array of uniforms)."""
    with np.errstate(divide="ignore"):
        e = np.minimum(-np.log(np.asarray(u, dtype=np.float64)), MAX_THRESHOLD)
    return np.floor(e * HAZARD_SCALE).astype(np.int64)


def feedback_probability(allowed_share, info, floor):
    """Probability that the referring professional hears how the case went."""
    return allowed_share * lift(info, floor)
