"""The behaviour rules: pure, bounded, and identical on scalars and arrays."""

import numpy as np
import pytest

from kooperationssim import rules
from kooperationssim.params import MODES
from kooperationssim.scenario import resolve

P = resolve({})
TAB = rules.mode_table(P)
RNG = np.random.default_rng(0)


def _scalar_vs_array(fn, n_args, n=500, **kw):
    args = [RNG.random(n) for _ in range(n_args)]
    arr = fn(*args, **kw)
    sca = np.array([fn(*[float(a[i]) for a in args], **kw) for i in range(n)])
    np.testing.assert_array_equal(np.asarray(arr, dtype=float), sca.astype(float))


def test_rules_give_identical_bits_on_scalars_and_arrays():
    _scalar_vs_array(lambda t, i, c: rules.trust_delta(t, i, i * c, c, 0.12, 0.3, 0.7, 0.4), 3)
    _scalar_vs_array(lambda u, i: rules.understanding_delta(u, i, 0.1, 0.5), 2)
    _scalar_vs_array(lambda e, a, b: rules.engagement_interaction_delta(e, a, b, 0.05, 0.15, 1.0),
                     3)
    _scalar_vs_array(lambda e, p, b: rules.engagement_commit(e, p - 0.5, b, 0.01), 3)
    _scalar_vs_array(lambda s, v, m, x: rules.notice_probability(s, v, m > 0.5, 0.5, x, 0.6), 4)
    _scalar_vs_array(lambda a, e, s, v: rules.referral_probability(1.0, a, e, s, v, .4, .2, .5, .6),
                     4)
    _scalar_vs_array(lambda a, t, s, d: rules.acceptance_probability(a, t, 0.3, s, d > 0.5, 0.5),
                     4)
    _scalar_vs_array(lambda b, e, a, h: rules.attendance_probability(
        b, e, a, 3 * h, 0.3, 0.4, 1.3, 0.3, 0.5), 4)
    _scalar_vs_array(lambda x, b: rules.decay_toward(x, b, 0.005), 2)
    _scalar_vs_array(lambda t: rules.competence(100 * t, 0.3, 78.0), 1)
    _scalar_vs_array(
        lambda e, c, k: rules.visit_success_probability(0.5, e, c, k > 0.5, 0.2, 0.5, 0.4), 3)
    _scalar_vs_array(lambda a: rules.feedback_probability(0.43, a, 0.5), 1)
    _scalar_vs_array(lambda i, p, c: rules.case_quality(i, p, c, 0.3, 0.35, 0.35, 0.4), 3)


def test_mode_choice_identical_on_scalars_and_arrays():
    n = 1000
    feats = [RNG.random(n) for _ in range(7)]
    u = RNG.random(n)
    feas = [RNG.random(n) < 0.8 for _ in range(4)]
    feas[0] = np.ones(n, dtype=bool)
    w = rules.mode_weights(feats, TAB.base, TAB.coef)
    arr = rules.choose_mode(w, [f.astype(float) for f in feas], u)
    for i in range(n):
        ws = rules.mode_weights([float(f[i]) for f in feats], TAB.base_l, TAB.coef_l)
        m = rules.choose_mode(ws, [int(f[i]) for f in feas], float(u[i]))
        assert m == arr[i]
        assert feas[m][i]


def test_mode_choice_follows_weights():
    """Drawing with many uniforms reproduces the normalised weights."""
    feats = (0.5, 0.4, 0.3, 0.6, 0.3, 1.0, 0.0)
    w = np.array(rules.mode_weights(feats, TAB.base_l, TAB.coef_l))
    u = (np.arange(100000) + 0.5) / 100000
    m = rules.choose_mode(list(w), [1, 1, 1, 1], u)
    share = np.bincount(m, minlength=4) / len(u)
    np.testing.assert_allclose(share, w / w.sum(), atol=1e-4)


def test_trust_is_lost_faster_than_built():
    t = 0.5
    i = MODES.index("intervention")
    e = MODES.index("exchange")
    loss = rules.trust_delta(t, TAB.info[i], TAB.plan[i], TAB.conflict[i], P["trust_gain"],
                             P["trust_loss"], 1.0, P["trust_gain_info_weight"])
    gain = rules.trust_delta(t, TAB.info[e], TAB.plan[e], TAB.conflict[e], P["trust_gain"],
                             P["trust_loss"], 1.0, P["trust_gain_info_weight"])
    assert loss < 0 < gain
    assert -loss > gain


@pytest.mark.parametrize("trust", [0.0, 0.3, 1.0])
def test_trust_updates_stay_bounded(trust):
    for m in range(4):
        d = rules.trust_delta(trust, TAB.info[m], TAB.plan[m], TAB.conflict[m], 1.0, 1.0, 1.0,
                              0.5)
        assert 0.0 <= trust + d <= 1.0


def test_turnover_rises_towards_contract_end():
    far = rules.turnover_probability(0.1, True, 200.0, 1.5, 4.0)
    near = rules.turnover_probability(0.1, True, 4.0, 1.5, 4.0)
    perm = rules.turnover_probability(0.1, False, 4.0, 1.5, 4.0)
    assert perm < far < near


def test_time_slack_favours_communication():
    low = rules.mode_weights((0.4, 0.3, 0.4, 0.0, 0.3, 0.0, 0.0), TAB.base_l, TAB.coef_l)
    high = rules.mode_weights((0.4, 0.3, 0.4, 1.0, 0.3, 0.0, 0.0), TAB.base_l, TAB.coef_l)
    assert low[0] / sum(low) > high[0] / sum(high)


def test_seqsum_ignores_inserted_zeros():
    x = RNG.random(50)
    z = np.insert(x, [3, 10, 10, 40], 0.0)
    assert rules.seqsum(x) == rules.seqsum(z)
    two = np.vstack([z, z[::-1]])
    assert rules.seqsum(two, axis=1)[0] == rules.seqsum(x)


@pytest.mark.parametrize("rows", [1, 2, 3, 7, 64, 257])
def test_seqsum_of_a_batch_is_the_left_to_right_sum_of_each_row(rows):
    """Each row's sum is the plain left-to-right sum, whatever the number of rows.

    The values are chosen so that any other order of addition (pairwise, blocked) gives a
    different result: 1e16 + 1 rounds back to 1e16, but 1 + 1 added first survives.
    """
    base = np.array([1e16, 1.0, 1.0, -1e16, 0.5, 1.0, 1.0, 3.0, -2.0, 1e-3] * 9)
    x = np.vstack([np.roll(base, i) for i in range(rows)]) * RNG.choice([1.0, 2.0], (rows, 1))
    expected = []
    for row in x:
        s = 0.0
        for v in row:
            s += float(v)
        expected.append(s)
    got = rules.seqsum(x, axis=1)
    assert got.tolist() == expected
    assert rules.seqsum(x, axis=-1).tolist() == expected


def test_all_modes_infeasible_falls_back_to_negative_coordination():
    w = [0.0, 0.0, 0.0, 0.0]
    assert rules.choose_mode(w, [1, 1, 1, 1], 0.7) == rules.NEGATIVE
    arr = rules.choose_mode([np.zeros(3)] * 4, [np.ones(3)] * 4, np.array([0.1, 0.5, 0.9]))
    assert arr.tolist() == [0, 0, 0]
    # negative coordination costs no time, so it is always affordable
    assert TAB.minutes_health[rules.NEGATIVE] == 0 and TAB.minutes_youth[rules.NEGATIVE] == 0
