"""The compiled kernels against array reference code.

The engines' docking tests hold the NumPy engine (which runs the kernels) to the Mesa
engine.  Family attributes are drawn by the same function in both engines, so docking
cannot see a fault there: this file holds that kernel to the array implementation it
replaced, on parameter sets drawn within the schema's bounds.
"""

import numpy as np
import pytest

from kooperationssim import draws
from kooperationssim.draws import FAMILY_U, N_KEEP, NEVER, as_uniform
from kooperationssim.layout import CONTACTS, N_CONTACTS, PRENATAL_WEEKS, build_layout
from kooperationssim.rules import threshold_units
from kooperationssim.scenario import resolve
from tests.test_docking import random_params


def _choose_in_groups(u, run, cands, weights):
    cum = np.cumsum(weights, axis=1)
    cum = cum / cum[:, -1:]
    idx = (cum[run] <= u[:, None]).sum(axis=1)
    return cands[np.minimum(idx, len(cands) - 1)]


def reference_attributes(uu, birth_week, run, layout, sizes, params):
    """The array implementation of draws.family_attributes_runs (before the kernel)."""
    n = len(birth_week)
    pv = lambda name: np.array([q[name] for q in params], dtype=np.float64)[run]  # noqa: E731
    col = lambda name: as_uniform(uu[FAMILY_U[name]])  # noqa: E731
    bm, bmed = pv("burden_share_multiple"), pv("burden_share_medium")
    ub = col("burden")
    burden = np.where(ub < bm, 2, np.where(ub < bm + bmed, 1, 0)).astype(np.int8)
    post = col("onset_kind") < pv("burden_onset_postpartum_share")
    post_week = birth_week + 1 + np.floor(
        col("onset_week") * pv("burden_onset_postpartum_max_week")).astype(np.int64)
    onset = np.where(post, post_week, birth_week - PRENATAL_WEEKS)
    onset = np.where(burden > 0, onset, NEVER).astype(np.int64)
    D = layout.n_districts
    district = np.minimum(np.floor(col("district") * D).astype(np.int64), D - 1)
    gyn = np.zeros(n, dtype=np.int64)
    ped = np.zeros(n, dtype=np.int64)
    midwife = np.full(n, -1, dtype=np.int64)
    u_gyn, u_ped, u_mw = col("gyn"), col("ped"), col("midwife")
    has_mw = col("midwife_has") < pv("midwife_share")
    for d in range(D):
        m = district == d
        if not m.any():
            continue
        g = layout.pids_of("gynecology", d)
        gyn[m] = _choose_in_groups(u_gyn[m], run[m], g, sizes[:, g])
        pp = layout.pids_of("pediatric", d)
        ped[m] = _choose_in_groups(u_ped[m], run[m], pp, sizes[:, pp])
        mw = layout.pids_of("midwife", d)
        if len(mw):
            hm = m & has_mw
            k = np.minimum(np.floor(u_mw[hm] * len(mw)).astype(np.int64), len(mw) - 1)
            midwife[hm] = mw[k]
    clinics = layout.pids_of("clinic")
    clinic = np.full(n, -1, dtype=np.int64)
    if len(clinics):
        born = col("clinic_birth") < pv("clinic_birth_share")
        clinic[born] = _choose_in_groups(col("clinic")[born], run[born], clinics,
                                         sizes[:, clinics])
    upart = np.where(burden == 2, pv("u_exam_participation_multiple_burden"),
                     pv("u_exam_participation"))
    gpart, u2part = pv("gyn_checkup_participation"), pv("u2_participation")
    part0 = FAMILY_U[f"part_{CONTACTS[0][0]}"]
    part = uu[part0:part0 + N_CONTACTS]
    contact_pid = np.empty((N_CONTACTS, n), dtype=np.int32)  # professional slots
    for s, (_name, kind, _off) in enumerate(CONTACTS):
        if kind == "gynecology":
            contact_pid[s] = np.where(as_uniform(part[s]) < gpart, gyn, -1)
        elif kind == "clinic":
            contact_pid[s] = clinic
        elif kind == "u2":
            contact_pid[s] = np.where(as_uniform(part[s]) < u2part,
                                      np.where(clinic >= 0, clinic, ped), -1)
        elif kind == "midwife":
            contact_pid[s] = midwife
        else:
            contact_pid[s] = np.where(as_uniform(part[s]) < upart, ped, -1)
    return dict(burden=burden, onset_week=onset, district=district, gyn=gyn, ped=ped,
                contact_pid=contact_pid,
                e_crisis=threshold_units(as_uniform(uu[FAMILY_U["crisis"]])),
                e_drop=threshold_units(as_uniform(uu[FAMILY_U["dropout"]])))


def test_threshold_table_is_the_threshold_of_every_code():
    # every code, in a shuffled order and in arrays of odd lengths (other alignments of
    # the vectorised logarithm), gets from the table what threshold_units gives it
    codes = np.random.default_rng(7).permutation(draws.UNIFORM_CODES).astype(np.uint16)
    for lo, hi in ((0, len(codes)), (3, 1000), (1, 2), (5, 65531)):
        c = codes[lo:hi]
        assert np.array_equal(draws.code_thresholds(c), threshold_units(as_uniform(c)))
    assert draws.code_thresholds(codes).dtype == np.int64


def test_codes_below_counts_the_codes_whose_uniform_is_below():
    """``as_uniform(c) < p`` exactly when ``c < codes_below(p)``, in Python and compiled,
    for probabilities on and next to the uniforms of the codes and outside [0, 1]."""
    from numba import njit

    compiled = njit(lambda p: draws.codes_below(p))
    codes = np.arange(draws.UNIFORM_CODES)
    u = as_uniform(codes)
    rng = np.random.default_rng(11)
    k = rng.integers(0, draws.UNIFORM_CODES, 300)
    grid = np.concatenate([(k + 0.5) / draws.UNIFORM_CODES, k / draws.UNIFORM_CODES])
    ps = np.concatenate([grid, np.nextafter(grid, 0.0), np.nextafter(grid, 1.0),
                         rng.random(300), [0.0, 1.0, -0.5, 1.5, -np.inf, np.inf, np.nan,
                                           0.5 / draws.UNIFORM_CODES, u[-1], 5e-324]])
    for p in ps.tolist():
        below = u < p
        n = draws.codes_below(p)
        assert compiled(p) == n, p
        assert np.array_equal(below, codes < n), p


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merge_calendars_is_the_stable_lexsort_of_the_tiles(seed):
    """kernels.merge_calendars: the records of consecutive tiles, each sorted by week and
    slot, in the stable order by week and slot (np.lexsort is stable), and the onsets in
    the stable order by week; also for one item and none."""
    from kooperationssim import kernels

    rng = np.random.default_rng(seed)
    S = N_CONTACTS
    for m, n in ((6000, 900), (1, 1), (0, 0), (3, 0)):
        rec = rng.integers(0, 1 << 20, (m, len(kernels.CANDIDATE_FIELDS))).astype(np.int32)
        rec[:, kernels.C_WEEK] = rng.integers(-3, 60, m)
        rec[:, kernels.C_SLOT] = (rng.integers(0, S, m) | (rng.integers(0, 3, m) << 8)
                                  | (rng.integers(0, 3, m) << 16))
        week = rng.integers(0, 520, n).astype(np.int64)
        run = rng.integers(0, 9, n).astype(np.int64)
        fid = rng.integers(0, 1 << 30, n).astype(np.int64)
        # three tiles, each sorted as contact_schedule and entry_hazards sort them
        cuts, o_cuts = [0, m // 3, m // 2, m], [0, n // 4, n // 2, n]
        tiles = [np.arange(a, b)[np.lexsort((rec[a:b, kernels.C_SLOT] & 255,
                                             rec[a:b, kernels.C_WEEK]))]
                 for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        o_tiles = [np.arange(a, b)[np.argsort(week[a:b], kind="stable")]
                   for a, b in zip(o_cuts[:-1], o_cuts[1:], strict=True)]
        t_rec = rec[np.concatenate(tiles)]
        o = np.concatenate(o_tiles)
        got, ow, orun, ofid = kernels.merge_calendars(t_rec, week[o], run[o], fid[o], S)
        want = t_rec[np.lexsort((t_rec[:, kernels.C_SLOT] & 255, t_rec[:, kernels.C_WEEK]))]
        assert got.dtype == np.int32 and np.array_equal(got, want)
        ow_want = np.argsort(week[o], kind="stable")
        assert np.array_equal(ow, week[o][ow_want])
        assert np.array_equal(orun, run[o][ow_want]) and np.array_equal(ofid, fid[o][ow_want])


@pytest.mark.parametrize("seed", range(4))
def test_sort_contacts_is_the_lexsort_of_round_run_and_family(seed):
    """The week's contacts in processing order: np.lexsort((fid, run, rnd)), also for
    buckets of thousands of contacts arriving slot by slot (descending runs of ids)."""
    from kooperationssim import kernels

    rng = np.random.default_rng(seed)
    R, cap = 5, 1000
    parts = []
    for _ in range(rng.integers(1, 30)):  # groups as from blocks and slots
        k = int(rng.integers(0, 400 if seed % 2 else 40))
        run = np.full(k, rng.integers(0, R)) if seed >= 2 else rng.integers(0, R, k)
        parts.append((run, np.sort(rng.choice(100_000, k, replace=False))))
    run = np.concatenate([x[0] for x in parts]).astype(np.int32)
    fid = np.concatenate([x[1] for x in parts]).astype(np.int32)
    rnd = rng.integers(0, 2, len(run)).astype(np.int8)
    # distinct keys: a family has at most one contact per round
    _, first = np.unique(np.stack([rnd, run, fid]), axis=1, return_index=True)
    keep = np.sort(first)
    run, fid, rnd = run[keep], fid[keep], rnd[keep]
    m = len(run)
    slot = rng.integers(0, N_CONTACTS, m).astype(np.int8)
    pid = rng.integers(0, 60, m).astype(np.int32)
    codes = rng.integers(0, draws.UNIFORM_CODES, (3, m)).astype(np.uint16)
    vis = rng.integers(0, 3, m).astype(np.int8)
    o = np.lexsort((fid, run, rnd))
    rec = np.zeros((m, len(kernels.CANDIDATE_FIELDS)), dtype=np.int32)
    rec[:, kernels.C_RUN], rec[:, kernels.C_FID], rec[:, kernels.C_PID] = run, fid, pid
    rec[:, kernels.C_WEEK] = 7
    rec[:, kernels.C_SLOT] = slot | (rnd.astype(np.int32) << 8) | (vis.astype(np.int32) << 16)
    rec[:, kernels.C_NOTICE], rec[:, kernels.C_REFER], rec[:, kernels.C_ACCEPT] = codes
    got = kernels.sort_contacts(rec, R, cap)
    want = (run[o], fid[o].astype(np.int64) % cap, slot[o], pid[o], rnd[o], codes[:, o],
            vis[o])
    dtypes = [np.int64] * 5 + [np.uint16, np.int8]
    for g, w, dt in zip(got, want, dtypes, strict=True):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == dt


def _resolved(p: dict) -> dict:
    q = dict(p)
    return resolve(q, q.pop("funding_streams", None))


@pytest.mark.parametrize("seed", range(6))
def test_family_attributes_kernel_matches_the_array_code(seed):
    rng = np.random.default_rng(seed)
    p0 = _resolved(random_params(rng))
    layout = build_layout(p0)
    # three runs of the same structure whose behaviour parameters differ
    params = [p0] + [_resolved({**random_params(rng), **{k: p0[k] for k in (
        "births_per_year", "n_pediatric_practices", "n_gynecology_practices",
        "n_maternity_clinics", "n_midwives", "n_asd_workers", "n_fh_providers")}})
        for _ in range(2)]
    assert all(build_layout(p).n_health == layout.n_health for p in params)
    sizes = rng.random((3, layout.n_health)) + 0.01
    n = 3000
    uu = rng.integers(0, draws.UNIFORM_CODES, (draws.N_FAMILY_U, n), dtype=np.uint16)
    # extreme codes too: the smallest and largest uniform
    uu[:, :50] = 0
    uu[:, 50:100] = draws.UNIFORM_CODES - 1
    bw = rng.integers(-160, 600, n)
    run = rng.integers(0, 3, n)
    if seed % 2:  # run after run, as the engine draws them: tiles of one run
        run = np.sort(run)
    got = draws.family_attributes_runs(uu, bw, run, layout, sizes, params)
    ref = reference_attributes(uu, bw, run, layout, sizes, params)
    for k, v in ref.items():
        g = getattr(got, k)
        assert g.dtype == v.dtype, k
        np.testing.assert_array_equal(g, v, err_msg=k)
    np.testing.assert_array_equal(got.u, uu[:N_KEEP])
    assert (got.burden > 0).any() and (got.contact_pid >= 0).any()


def test_sources_hash_is_current():
    """The code compiled into the kernels (rules, draws.as_uniform, layout codes) is part
    of their disk cache's key."""
    from kooperationssim import kernels

    assert kernels._sources_sha256() == kernels.SOURCES_SHA256, (
        f"{', '.join(kernels.COMPILED_IN)} changed: set SOURCES_SHA256 in "
        f"kooperationssim/kernels.py to {kernels._sources_sha256()} so that cached kernels "
        "are compiled again")
    assert kernels._CACHE


def _import_in_subprocess(prelude: str) -> str:
    import subprocess
    import sys

    code = prelude + "\nimport warnings\nwarnings.simplefilter('always')\n" \
        "import kooperationssim.kernels as k\nprint('CACHE', k._CACHE)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout + out.stderr


def test_changed_rules_bypass_the_disk_cache():
    out = _import_in_subprocess(
        "import hashlib\nreal = hashlib.sha256\n"
        "hashlib.sha256 = lambda b=b'': real(b + b' edited')")
    assert "CACHE False" in out and "differs from SOURCES_SHA256" in out


def test_import_without_a_writable_cache_location():
    """A read-only installation and home directory: Numba finds no cache location; the
    kernels are then compiled in each process instead of failing to import."""
    out = _import_in_subprocess(
        "import numba.core.caching as c\n"
        "(getattr(c, 'CacheImpl', None) or c._CacheImpl)._locator_classes = []")
    assert "CACHE True" in out


def test_compiled_as_uniform_allocates_nothing_for_16_bit_codes():
    """In the kernels a uint16 code becomes a double directly, the same number as in
    Python; a temporary 0-d array here cost an allocation for every decision (about 20 ns
    each, the larger part of the family kernels' time)."""
    import numba

    @numba.njit
    def one(codes, i):
        return draws.as_uniform(codes[i])

    codes = np.array([0, 1, 32767, draws.UNIFORM_CODES - 1], dtype=np.uint16)
    for i in range(len(codes)):
        got = one(codes, i)
        assert got == draws.as_uniform(codes[i]) == (int(codes[i]) + 0.5) / 65536
    llvm = "".join(one.inspect_llvm().values())
    assert "NRT_MemInfo_alloc" not in llvm


@pytest.mark.parametrize("seed", range(4))
def test_visit_order_is_the_lexsort_order(seed):
    """The coordinator's visit order equals np.lexsort((slot, aware, acq, ~cand)), ties
    in awareness (broken by slot number) and NaN (sorted last) included."""
    from kooperationssim import kernels

    rng = np.random.default_rng(seed)
    R, nH = 50, 23
    cand = rng.random((R, nH)) < 0.6
    acq = rng.random((R, nH)) < 0.4
    aware = rng.choice([0.0, -0.0, 0.25, 0.5, 1.0, np.nan], size=(R, nH)) if seed % 2 \
        else rng.random((R, nH))
    ref = np.lexsort((np.broadcast_to(np.arange(nH), (R, nH)), aware, acq.astype(np.int64),
                      (~cand).astype(np.int64)), axis=-1)
    def visit_order(K):  # the first K of every run's order (kernels._first_in_order)
        out = np.empty((R, min(K, nH)), dtype=np.int64)
        for r in range(R):
            if out.shape[1]:
                kernels._first_in_order(cand[r], acq[r], aware[r], out.shape[1], out[r])
        return out

    for K in (0, 1, 3, nH, nH + 2):
        got = visit_order(K)
        assert got.shape == (R, min(K, nH))
        np.testing.assert_array_equal(got, ref[:, :K], err_msg=f"K={K}")


def test_compile_kernels_warms_every_kernel():
    """./ks compiles the kernels once after installing; a kernel its warm-up batch never
    calls would be compiled in the middle of the first real run instead."""
    import subprocess
    import sys

    code = ("from kooperationssim.vector_engine import compile_kernels\n"
            "compile_kernels()\n"
            "from kooperationssim import kernels\n"
            "print([n for n in kernels.__all__ if not getattr(kernels, n).signatures])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("seed", range(3))
def test_delay_window_is_the_array_code(seed):
    """The recorder's trailing window of waiting times and its median (one compiled
    pass) equal the array code: window sums and outputs.median_from_hist."""
    from kooperationssim import kernels
    from kooperationssim.outputs import median_from_hist

    rng = np.random.default_rng(seed)
    R, W, D = 7, 5, 40
    win = np.zeros((R, D), dtype=np.int64)
    ring = np.zeros((R, W, D), dtype=np.int64)
    ring_hi = np.zeros((R, W), dtype=np.int64)
    win_n = np.zeros(R, dtype=np.int64)
    ref_win = win.copy()
    ref_ring = ring.copy()
    for t in range(23):
        # sparse weeks, some runs without any family that week or in the whole window
        hist = rng.integers(0, 3, (R, D)) * (rng.random((R, D)) < 0.05)
        hist[rng.random(R) < 0.4] = 0
        slot = t % W
        ref_win += hist - ref_ring[:, slot]
        ref_ring[:, slot] = hist
        med = np.full(R, -1.0)
        hist_hi = np.where(hist.any(axis=1), D - np.argmax(hist[:, ::-1] != 0, axis=1), 0)
        kernels.delay_window(win, ring, hist, hist_hi, slot, med, ring_hi, win_n)
        np.testing.assert_array_equal(win, ref_win)
        np.testing.assert_array_equal(ring, ref_ring)
        np.testing.assert_array_equal(med, median_from_hist(ref_win))
        # the kept totals and the end of each ring row's non-zero bins
        np.testing.assert_array_equal(win_n, ref_win.sum(axis=1))
        last = np.where(ref_ring.any(axis=2), D - np.argmax(ref_ring[:, :, ::-1] != 0, axis=2), 0)
        np.testing.assert_array_equal(ring_hi, last)


@pytest.mark.parametrize("seed", range(4))
def test_event_calendar_returns_each_weeks_events(seed):
    """The engine's event calendar (lists of nodes per week, reused once popped and grown
    when none is free) returns, for every week popped, the distinct (run, family) pairs
    added under that week, in (run, id) order; events of weeks never popped, of weeks
    already popped and of weeks from the horizon on are dropped."""
    from kooperationssim.vector_engine import _Calendar

    rng = np.random.default_rng(seed)
    horizon = 160
    cal = _Calendar(horizon, size=int(rng.integers(1, 40)))
    added: dict[int, set] = {}
    last = -1
    for week in range(150):
        for _ in range(int(rng.integers(0, 4))):
            n = int(rng.integers(0, 30))
            w = week + rng.integers(-3, 45, n)
            r, f = rng.integers(0, 6, n), rng.integers(0, 60, n)
            cal.add(w, r, f)
            for a, b, c in zip(w.tolist(), r.tolist(), f.tolist(), strict=True):
                if last < a < horizon:  # added before its week was popped
                    added.setdefault(a, set()).add((b, c))
        if rng.random() < 0.85:  # some weeks are never popped
            run, fid = cal.pop(week)
            want = sorted(added.get(week, set()))
            assert list(zip(run.tolist(), fid.tolist(), strict=True)) == want
            last = week
    # every node is free again once the events of all weeks are popped or dropped
    cal.pop(horizon - 1)
    assert cal.state[1] == len(cal.key)


def test_family_flag_counts_are_per_kind_bincounts():
    """The recorder counts contact and noticing flags by flag combination; this equals
    counting every kind's bit on its own (noticed only where there was contact)."""
    from kooperationssim.outputs import KIND_BITS, Recorder

    rng = np.random.default_rng(3)
    for _ in range(30):
        R, n = int(rng.integers(1, 9)), int(rng.integers(0, 300))
        run = rng.integers(0, R, n)
        cb, nb = rng.integers(0, 64, n), rng.integers(0, 64, n)
        rec = Recorder(R, 3)
        rec.add_family_flags(run, cb, nb)
        rec.add_family_flags(run[::2], cb[::2], nb[::2])  # counts add up
        want_c = np.zeros((R, len(KIND_BITS)), dtype=np.int64)
        want_n = np.zeros_like(want_c)
        for rr, cc, nn in ((run, cb, nb), (run[::2], cb[::2], nb[::2])):
            for i, bit in enumerate(KIND_BITS.values()):
                had = (cc & bit) != 0
                want_c[:, i] += np.bincount(rr[had], minlength=R)
                want_n[:, i] += np.bincount(rr[had & ((nn & bit) != 0)], minlength=R)
        np.testing.assert_array_equal(rec.contact_kind, want_c)
        np.testing.assert_array_equal(rec.noticed_kind, want_n)


def test_pending_pair_changes_only_on_touched_pairs():
    """commit_week resets a pair's pending changes only where the pair was touched; that
    is right because every pending change or new acquaintance comes with ``touched``.
    Checked over a year of a batch with meetings, visits and introductions: before each
    commit no untouched pair holds a pending change, and after it nothing is pending."""
    from kooperationssim import kernels
    from kooperationssim.scenario import load_scenario
    from kooperationssim.vector_engine import VectorEngine

    sc = load_scenario("mittelstadt", extra={"weeks": 60, "coordinator_fte": 2.0})
    eng = VectorEngine([sc.params] * 3, [1, 2, 3])
    seen = []
    commit = kernels.commit_week

    def checked(*args):
        pend_t, pend_u, touched, acq_new = (getattr(eng, k) for k in
                                            ("pend_t", "pend_u", "touched", "acq_new"))
        seen.append(int(touched.sum()))
        assert not (pend_t[~touched] != 0).any()
        assert not (pend_u[~touched] != 0).any()
        assert not acq_new[~touched].any()
        out = commit(*args)
        assert not touched.any() and not acq_new.any()
        assert not pend_t.any() and not pend_u.any()
        return out

    kernels.commit_week = checked
    try:
        eng.run()
    finally:
        kernels.commit_week = commit
    assert len(seen) == 60 and sum(seen) > 0  # pairs were touched in these weeks


def test_engine_restores_numpys_huge_page_setting():
    """The engine allocates without NumPy's huge-page request and leaves the process-wide
    setting as it found it, also when engines nest (as in threads of one process)."""
    from kooperationssim import vector_engine as ve

    if ve._set_madvise_hugepage is None:  # pragma: no cover - NumPy without the switch
        pytest.skip("this NumPy has no huge-page switch")
    p = {"weeks": 3, "births_per_year": 100}
    for before in (True, False):
        ve._set_madvise_hugepage(before)
        try:
            with ve._small_pages():
                ve.VectorEngine([p], [1]).run()
                assert ve._set_madvise_hugepage(False) is False  # still off inside
            assert ve._set_madvise_hugepage(before) is before  # restored after
        finally:
            ve._set_madvise_hugepage(True)
