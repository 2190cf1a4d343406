"""Runs are reproducible from seed and parameters, bit for bit; seeds matter."""

import numpy as np
import pandas as pd
import pytest

from kooperationssim import KooperationsModel, draws
from kooperationssim.draws import draw_staff, draw_year_families, generator
from kooperationssim.layout import build_layout
from kooperationssim.scenario import resolve


def _series(**kw):
    m = KooperationsModel(**kw)
    m.run_model()
    return m.series(), m.summary()


def test_model_builds_with_no_arguments():
    m = KooperationsModel()
    assert isinstance(m.seed, int)
    m.step()
    assert m.week == 1


def test_same_rng_gives_identical_series():
    a, sa = _series(rng=42, weeks=120)
    b, sb = _series(rng=42, weeks=120)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for k, v in sa.items():
        if isinstance(v, float) and np.isnan(v):
            assert np.isnan(sb[k])
        else:
            assert sb[k] == v, k


def test_different_rng_gives_different_series():
    a, _ = _series(rng=1, weeks=120)
    b, _ = _series(rng=2, weeks=120)
    assert not a.equals(b)


def test_recorded_seed_replays_a_run_without_seed():
    m1 = KooperationsModel(weeks=60)
    m1.run_model()
    m2 = KooperationsModel(rng=m1.seed, weeks=60)
    m2.run_model()
    pd.testing.assert_frame_equal(m1.series(), m2.series(), check_exact=True)


def test_named_streams_are_independent_of_levers():
    """Common random numbers: a lever does not move the draws of any stream."""
    from kooperationssim.draws import draw_population
    from kooperationssim.params import PARAMS_BY_NAME

    levers = {"coordinator_fte": 2.0, "lotsendienst_coverage": 0.5,
              "network_meeting_interval_weeks": 26}
    for k, v in levers.items():  # every lever really differs from the default
        assert v != PARAMS_BY_NAME[k].default, k
    p1, p2 = resolve({}), resolve(levers)
    lay1, lay2 = build_layout(p1), build_layout(p2)
    assert lay2.n_coord == lay1.n_coord + 1  # one more coordinator position
    s1, s2 = draw_staff(99, 3, lay1, p1), draw_staff(99, 3, lay2, p2)
    # health and youth-welfare slots and the first coordinator position see the same
    # numbers; the added position has draws of its own
    n = lay1.n_health + lay1.n_youth + lay1.n_coord
    for f in ("u_turnover", "u_engagement"):
        np.testing.assert_array_equal(getattr(s1, f)[:, :n], getattr(s2, f)[:, :n])
    for f in ("u_mfa", "u_liaison"):
        np.testing.assert_array_equal(getattr(s1, f), getattr(s2, f))
    pop1, pop2 = draw_population(99, lay1, p1), draw_population(99, lay2, p2)
    f1 = draw_year_families(99, 2, lay1, pop1, p1)
    f2 = draw_year_families(99, 2, lay2, pop2, p2)
    for f in ("u", "contact_pid", "birth_week", "burden", "district"):
        np.testing.assert_array_equal(getattr(f1, f), getattr(f2, f))


def test_streams_do_not_overlap():
    a = generator(5, "staff", 0).random(5)
    b = generator(5, "outreach", 0).random(5)
    c = generator(5, "staff", 1).random(5)
    assert not np.array_equal(a, b) and not np.array_equal(a, c)


def test_coordinator_fte_and_liaison_do_not_move_other_draws():
    """Common random numbers across the main lever: the number of coordinator positions
    and the presence of the liaison change no draw of health or youth-welfare slots,
    families, or health-youth relationships."""
    from kooperationssim.draws import draw_meetings, draw_population

    base = resolve({"coordinator_fte": 1.0})
    other = resolve({"coordinator_fte": 3.0, "health_office_liaison": False})
    la, lb = build_layout(base), build_layout(other)
    assert la.n_coord != lb.n_coord and la.n_office != lb.n_office
    n_hy = la.n_health + la.n_youth
    n_pairs_hy = len(la.hy_index)
    pa, pb = draw_population(7, la, base), draw_population(7, lb, other)
    np.testing.assert_array_equal(pa.engagement_base[:n_hy], pb.engagement_base[:n_hy])
    np.testing.assert_array_equal(pa.u_acquainted[:n_pairs_hy], pb.u_acquainted[:n_pairs_hy])
    np.testing.assert_array_equal(pa.size, pb.size)
    sa, sb = draw_staff(7, 1, la, base), draw_staff(7, 1, lb, other)
    np.testing.assert_array_equal(sa.u_turnover[:, :n_hy], sb.u_turnover[:, :n_hy])
    np.testing.assert_array_equal(sa.u_engagement[:, :n_hy], sb.u_engagement[:, :n_hy])
    np.testing.assert_array_equal(sa.u_liaison, sb.u_liaison)
    ma, mb = draw_meetings(7, 1, 0, la), draw_meetings(7, 1, 0, lb)
    np.testing.assert_array_equal(ma.u_attend, mb.u_attend)
    np.testing.assert_array_equal(ma.u_acquaint[:, :n_pairs_hy], mb.u_acquaint[:, :n_pairs_hy])
    # the first coordinator position sees the same numbers in both scenarios
    np.testing.assert_array_equal(sa.u_turnover[:, n_hy], sb.u_turnover[:, n_hy])


def test_engagement_and_practice_size_parameters_do_not_move_other_draws():
    """Engagement is drawn by inversion: its parameters change no uniform anywhere, and a
    higher mean raises every slot's engagement (monotone coupling).  Practice sizes are
    Gamma variates (rejection sampling): their shape moves no other draw."""
    from kooperationssim.draws import draw_population

    base = resolve({})
    eng = resolve({"engagement_mean_health": 0.8, "engagement_concentration": 2.5,
                   "engagement_mean_youth_welfare": 0.2})
    lay = build_layout(base)
    assert build_layout(eng).n_health == lay.n_health
    sa, sb = draw_staff(11, 2, lay, base), draw_staff(11, 2, lay, eng)
    for f in ("u_turnover", "u_engagement", "u_mfa", "u_liaison"):
        np.testing.assert_array_equal(getattr(sa, f), getattr(sb, f))
    pa, pb = draw_population(11, lay, base), draw_population(11, lay, eng)
    np.testing.assert_array_equal(pa.size, pb.size)
    np.testing.assert_array_equal(pa.u_acquainted, pb.u_acquainted)
    nh = lay.n_health
    assert np.all(pb.engagement_base[:nh] > pa.engagement_base[:nh])  # mean 0.35 -> 0.8
    assert np.all(pb.engagement_base[nh:] < pa.engagement_base[nh:])  # mean 0.6 -> 0.2

    sizes = resolve({"practice_size_shape": 0.7})
    pc = draw_population(11, lay, sizes)
    assert not np.array_equal(pa.size, pc.size)
    np.testing.assert_array_equal(pa.engagement_base, pc.engagement_base)


def test_bad_seeds_are_refused():
    import pytest

    for bad in (-1, 2.5, "7", True):
        with pytest.raises(ValueError, match="rng must be a non-negative integer"):
            KooperationsModel(rng=bad, weeks=5)


def test_prepared_generators_are_numpys_seed_sequence():
    """prepare_generators hashes seeds with array arithmetic: the same generators."""
    from kooperationssim import draws

    rs = np.random.default_rng(3)
    seeds = [0, 1, 2**32 - 1, 2**32, 2**64 + 3, 2**127 + 99, 2**200 + 1,
             draws.new_seed()] + [int(x) for x in rs.integers(0, 2**62, 20)]
    streams = draws.year_streams(7) + draws.START_STREAMS + [("staff", (2**33, 0))]
    try:
        draws.prepare_generators(seeds, streams)
        for seed in seeds:
            for name, key in streams:
                assert (seed, name, key) in draws._PREPARED
                ss = np.random.SeedSequence(entropy=seed, spawn_key=(draws.stream_id(name), *key))
                want = np.random.Generator(np.random.PCG64(ss))
                got = generator(seed, name, *key)
                assert got.bit_generator.state == want.bit_generator.state, (seed, name, key)
                np.testing.assert_array_equal(got.random(4), want.random(4))
        # only integer seeds and keys take the prepared state; others are NumPy's to judge
        with pytest.raises(TypeError):
            generator(float(seeds[1]), "staff", 7)
        np.testing.assert_array_equal(generator(np.int64(5), "staff", np.int64(7)).random(3),
                                      generator(5, "staff", 7).random(3))
        with pytest.raises(ValueError, match="non-negative"):
            draws.prepare_generators([-1], streams)
    finally:
        draws._PREPARED.clear()


def test_year_streams_cover_every_draw_of_a_year(monkeypatch):
    """The streams prepared for a year are the ones its draws use (names from STREAMS)."""
    from kooperationssim import draws

    assert {n for n, _k in draws.year_streams(0) + draws.START_STREAMS} <= set(draws.STREAMS)
    used = []
    plain = draws.generator
    monkeypatch.setattr(draws, "generator",
                        lambda seed, name, *key: used.append((name, key)) or plain(seed, name,
                                                                                    *key))
    p = resolve({})
    lay = build_layout(p)
    draw_staff(5, 2, lay, p)
    draws.draw_outreach(5, 2, lay, p)
    for fmt in range(len(draws.MEETING_FORMATS)):
        draws.draw_meetings(5, 2, fmt, lay)
    draws.year_family_uniforms(5, 2, p)
    assert set(used) == set(draws.year_streams(2))


def test_outreach_drawn_into_buffers_are_the_same_numbers():
    """The NumPy engine draws a year's outreach randomness straight into its buffers
    (``out``): the same numbers as the arrays drawn alone; wrong shapes are refused."""
    from kooperationssim import draws

    p = resolve({})
    lay = build_layout(p)
    want = draws.draw_outreach(9, 3, lay, p)
    out = draws.OutreachBlock(*(np.full_like(a, np.nan) for a in (
        want.u_visit, want.u_visit_mode, want.u_door, want.u_door_mode)))
    assert draws.draw_outreach(9, 3, lay, p, out=out) is out
    for name in ("u_visit", "u_visit_mode", "u_door", "u_door_mode"):
        np.testing.assert_array_equal(getattr(out, name), getattr(want, name))
    bad = draws.OutreachBlock(out.u_visit, out.u_visit_mode, np.zeros(51), out.u_door_mode)
    with pytest.raises(ValueError, match="shape"):
        draws.draw_outreach(9, 3, lay, p, out=bad)


def test_meetings_drawn_in_part_are_the_first_rows():
    """The NumPy engine draws only the meetings a year can hold (``rows``): the first
    rows of the full draw, for every format and number of rows; other counts are refused."""
    from kooperationssim import draws

    for over in ({}, {"coordinator_fte": 0.0}, {"coordinator_fte": 3.5,
                                                "births_per_year": 3000.0}):
        lay = build_layout(resolve(dict(over)))
        for fmt in range(len(draws.MEETING_FORMATS)):
            full = draws.draw_meetings(11, 2, fmt, lay)
            for m in range(draws.MAX_MEETINGS_PER_YEAR + 1):
                part = draws.draw_meetings(11, 2, fmt, lay, m)
                for name in ("u_attend", "u_mode", "u_acquaint"):
                    a, b = getattr(part, name), getattr(full, name)
                    assert a.shape == (m,) + b.shape[1:]
                    np.testing.assert_array_equal(a, b[:m])
    for bad in (-1, draws.MAX_MEETINGS_PER_YEAR + 1):
        with pytest.raises(ValueError, match="rows"):
            draws.draw_meetings(11, 2, 0, lay, bad)


@pytest.mark.parametrize("n", [0, 1, 3, 1200])
@pytest.mark.parametrize("before", ["nothing", "doubles", "odd_32_bit"])
def test_family_uniforms_are_numpys_16_bit_integers(n, before):
    """Families' 16-bit codes are read from the generator's raw outputs where NumPy's
    own full-range 16-bit integers are those outputs split into four; they must be the
    same numbers and leave the generator in the same state, also after other draws
    (an odd number of 32-bit draws leaves half an output buffered: then NumPy draws)."""
    a = np.random.Generator(np.random.PCG64(77 + n))
    b = np.random.Generator(np.random.PCG64(77 + n))
    for g in (a, b):
        if before == "doubles":
            g.poisson(23.0, size=5)
        elif before == "odd_32_bit":
            g.integers(0, 10, 3, dtype=np.uint32)
    want = a.integers(0, draws.UNIFORM_CODES, (draws.N_FAMILY_U, n), dtype=np.uint16)
    got = draws._family_uniforms(b, n)
    assert got.dtype == np.uint16 and got.shape == (draws.N_FAMILY_U, n)
    np.testing.assert_array_equal(got, want)
    assert draws._same_stream(a, b)
    np.testing.assert_array_equal(a.random(9), b.random(9))
    np.testing.assert_array_equal(a.integers(0, 9, 7, dtype=np.uint32),
                                  b.integers(0, 9, 7, dtype=np.uint32))


def test_family_uniforms_use_the_raw_outputs_here():
    """A speed guard: on a little-endian machine with this NumPy the raw-output path of
    draws._family_uniforms is in use (the import-time check did not fall back)."""
    import sys

    if sys.byteorder != "little":
        pytest.skip("big-endian: NumPy draws the codes itself")
    assert draws._RAW16_OK[0]
