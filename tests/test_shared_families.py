"""Runs with the same seed share the drawing of their families (common random numbers),
and every run's results stay exactly those it has alone or without sharing."""

from kooperationssim.experiment import load_experiment
from kooperationssim.params import PARAMS
from kooperationssim.scenario import ScenarioError, load_scenario, resolve
from kooperationssim.sweep import plan_chunks
from kooperationssim.vector_engine import VectorEngine, structure_key
from tests.test_docking import STRUCTURE, _same_summary


def _same(res_a, i, res_b, j) -> bool:
    a, b = res_a.summaries[i], res_b.summaries[j]
    return (a.keys() == b.keys() and not _same_summary(a, b)
            and res_a.series(i).equals(res_b.series(j)))


def _other_value(prm, value):
    """A valid value of the parameter other than ``value`` (None where there is none)."""
    if prm.type is bool:
        return not value
    if prm.choices:
        others = [c for c in prm.choices if c not in (value, "custom")]
        return others[0] if others else None
    if prm.type is int:
        if prm.zero_or_min and value == 0:
            return int(prm.min)
        up = value + 1
        return up if prm.max is None or up <= prm.max else value - 1
    hi = prm.max if prm.max is not None else 2.0 * value + 1.0
    lo = prm.min if prm.min is not None else value - 1.0
    new = (value + hi) / 2.0 if hi > value else (value + lo) / 2.0
    return new if new != value else None


def test_runs_of_one_seed_share_families_and_match_their_single_runs():
    base = load_scenario("kleinstadt", extra={"weeks": 130}).params
    variants = [base, dict(base, coordinator_fte=0.75), dict(base, funding_regime="project"),
                dict(base, burden_share_multiple=1.3 * base["burden_share_multiple"]),
                dict(base, help_effect=0.5),
                dict(base, crisis_hazard_low=2.0 * base["crisis_hazard_low"]),
                # meetings on where the others have none, and the reverse (meeting draws
                # are made once per seed)
                dict(base, quality_circle_interval_weeks=6, network_meeting_interval_weeks=0)]
    params = [v for v in variants for _ in range(2)] + variants
    seeds = [7, 8] * len(variants) + [7] * len(variants)
    e = VectorEngine(params, seeds)
    # the lever changes and the help effect (it acts on families in help only) share the
    # base's families; the burden share and a crisis hazard (a family's hazard units
    # from entry) change family generation and make their own groups
    assert len(e._reps) == 3 * 2 < e.R
    res = e.run()
    for i, (p, s) in enumerate(zip(params, seeds, strict=True)):
        assert _same(res, i, VectorEngine([p], [s]).run(), 0), f"run {i} differs"


def test_families_drawn_in_chunks_match_one_block(monkeypatch):
    """New families are drawn and prepared in chunks of representatives that reuse two
    buffers (FAMILY_CHUNK families at most): chunks of a single run give the results of
    one block for the whole batch, over two year boundaries and with a shared group."""
    import kooperationssim.vector_engine as ve

    base = load_scenario("kleinstadt", extra={"weeks": 110}).params
    params = [base, dict(base, coordinator_fte=0.75), base, dict(base, help_effect=0.5)]
    seeds = [3, 3, 4, 5]
    whole = VectorEngine(params, seeds)
    assert len(whole._family_chunks(whole._init_counts[whole._reps].sum(axis=1))) == 1
    res_whole = whole.run()
    monkeypatch.setattr(ve, "FAMILY_CHUNK", 1)
    split = VectorEngine(params, seeds)
    assert len(split._reps) == 3 and len(split.blocks) == 3  # one block per representative
    res_split = split.run()
    for i in range(len(params)):
        assert _same(res_whole, i, res_split, i), f"run {i} differs"


def test_tiles_give_the_blocks_and_results_of_one_pass(monkeypatch):
    """New families go through drawing, preparation and insertion in tiles (FAMILY_TILE
    families at most), whose candidate contacts and onsets are merged into the block's
    calendars: tiles of a single representative give the calendars, buffers, contact
    counts and results of one tile for the whole batch, over two year boundaries."""
    import numpy as np

    import kooperationssim.vector_engine as ve

    base = load_scenario("kleinstadt", extra={"weeks": 110}).params
    params = [base, dict(base, coordinator_fte=0.75), base, dict(base, help_effect=0.5)]
    seeds = [3, 3, 4, 5]
    monkeypatch.setattr(ve, "FAMILY_TILE", 1 << 40)
    one = VectorEngine(params, seeds)
    monkeypatch.setattr(ve, "FAMILY_TILE", 1)
    tiled = VectorEngine(params, seeds)
    n = tiled._init_counts[tiled._reps].sum(axis=1)
    assert len(tiled._family_chunks(n, ve.FAMILY_TILE)) == len(tiled._reps) == 3
    assert len(one.blocks) == len(tiled.blocks) == 1
    a, b = one.blocks[0], tiled.blocks[0]
    assert len(a.cand) and len(a.o_week)
    for k in ("cand", "o_week", "o_run", "o_fid"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k
    assert a.c_at == b.c_at and a.o_at == b.o_at and a.max_week == b.max_week
    for x, y in ((one.fi, tiled.fi), (one.fh, tiled.fh), (one.ff, tiled.ff),
                 (one.F["u"], tiled.F["u"]), (one.n_cont, tiled.n_cont)):
        assert np.array_equal(x, y)
    res_one, res_tiled = one.run(), tiled.run()
    for i in range(len(params)):
        assert _same(res_one, i, res_tiled, i), f"run {i} differs"


def test_runs_with_other_births_per_year_do_not_share():
    """Equal family counts from different Poisson means can leave the initial families'
    stream at different places (NumPy's rejection sampler for larger means): seed 1775
    draws the same counts at 1,200 and 1,200.3 births a year, but other codes."""
    a = load_scenario("kleinstadt", extra={"weeks": 40, "births_per_year": 1200.0}).params
    b = load_scenario("kleinstadt", extra={"weeks": 40, "births_per_year": 1200.3}).params
    e = VectorEngine([a, b], [1775, 1775])
    assert (e._init_counts[0] == e._init_counts[1]).all()
    assert len(e._reps) == 2
    assert _same(e.run(), 1, VectorEngine([b], [1775]).run(), 0)


def test_every_parameter_keeps_shared_families_exact():
    """Each parameter changed alone, all runs with one seed: the same results with and
    without sharing (a parameter that changed family generation but was not part of the
    groups' key would make a shared run differ)."""
    base = dict(load_scenario("kleinstadt", extra={"weeks": 60}).params)
    streams = base.pop("funding_streams")
    batches: dict[tuple, list[dict]] = {structure_key(resolve(base, streams)):
                                        [resolve(base, streams)]}
    changed = 0
    for prm in PARAMS:
        if prm.name in STRUCTURE:
            continue
        v = _other_value(prm, base[prm.name])
        if v is None:
            continue
        try:
            p = resolve(dict(base, **{prm.name: v}), streams)
        except ScenarioError:
            continue
        changed += 1
        batches.setdefault(structure_key(p), []).append(p)
    assert changed > 200
    shared_any = False
    for plist in batches.values():
        seeds = [5] * len(plist)
        a = VectorEngine(plist, seeds)
        shared_any |= len(a._reps) < a.R
        ra = a.run()
        rb = VectorEngine(plist, seeds, share_families=False).run()
        for i in range(len(plist)):
            assert _same(ra, i, rb, i), f"parameter set {i} differs with shared families"
    assert shared_any


def test_sweep_chunks_hold_the_design_points_of_a_replicate(tmp_path):
    exp = tmp_path / "e.toml"
    exp.write_text("""
[experiment]
name = "order"
scenario = "kleinstadt"
replicates = 3
weeks = 10
seed = 1

[factors]
coordinator_fte = [0.25, 0.5, 1.0]
funding_regime = ["permanent", "project"]
""")
    ex = load_experiment(exp)
    chunks = plan_chunks(ex, [(p, r) for p in range(6) for r in range(3)], 6)
    assert [c.runs for c in chunks] == [tuple((p, r) for p in range(6)) for r in range(3)]
