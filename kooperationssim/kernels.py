"""Compiled loops of the vectorised engine (Numba).

The NumPy engine handles whole blocks of families with array operations; where one pass
over the families does the work of many array operations, the pass is compiled here.
Every kernel does the same arithmetic in the same order as the array code it replaces
(products and comparisons of IEEE doubles, integer counts), so the results are bit for
bit the same; the docking tests (``tests/test_docking.py``) hold the engine to the Mesa
engine.

Kernels are compiled on first use and cached on disk (Numba's ``cache=True``; see
:data:`SOURCES_SHA256`).  Setting
the environment variable ``NUMBA_DISABLE_JIT=1`` runs them as plain Python (slow, for
debugging).
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
from numba import njit

from . import draws, rules
from .layout import (
    CLINIC,
    NONE,
    NOTICED,
    PED,
    R_CLEARING,
    R_COORD,
    R_FLYER,
    R_LOTS,
    R_WARM,
    SLOT_CLINIC,
    SLOT_GYN,
    SLOT_MIDWIFE,
    SLOT_U2,
    WAITING,
)

#: The modules whose code or constants are compiled into the kernels besides this file:
#: the ``@register_jitable`` rules of ``rules.py``, ``draws.as_uniform`` and
#: ``draws.codes_below``, and the codes of ``layout.py``.
COMPILED_IN = ("rules.py", "draws.py", "layout.py")
#: SHA-256 of the files :data:`COMPILED_IN`, in that order.  Numba's disk cache notices
#: changes of ``kernels.py`` only, so a change of one of them must come with a new value
#: here (``tests/test_kernels.py`` checks it); until then the kernels are compiled afresh
#: in every process instead of being read from a cache that may hold the old code.
SOURCES_SHA256 = "68dfba09efa8f210e52094d3db55db8347cad90e90d86f9af96d3a472857621b"


def _sources_sha256() -> str | None:
    h = hashlib.sha256()
    try:
        for name in COMPILED_IN:
            h.update(name.encode() + b"\0")
            h.update((Path(__file__).parent / name).read_bytes().replace(b"\r\n", b"\n"))
    except OSError:  # pragma: no cover - sources not readable as files
        return None
    return h.hexdigest()


_SOURCES_NOW = _sources_sha256()
_CACHE = _SOURCES_NOW == SOURCES_SHA256
if _SOURCES_NOW is not None and not _CACHE:
    warnings.warn("kooperationssim.kernels: rules.py, draws.py or layout.py differs from "
                  "SOURCES_SHA256; the kernels are compiled without the disk cache (set "
                  f"SOURCES_SHA256 in kernels.py to {_SOURCES_NOW})", stacklevel=1)


def _jit(fn):
    """Compile ``fn`` with Numba (nopython, releasing the GIL), cached on disk if possible.

    Without a writable cache location (a read-only installation and home directory) the
    kernels are compiled in every process instead of failing to import.
    """
    if _CACHE:
        try:
            return njit(cache=True, nogil=True)(fn)
        except RuntimeError:  # Numba found no writable cache location
            pass
    return njit(nogil=True)(fn)


__all__ = ["accounts_week", "birthdays_and_exits", "calendar_add", "calendar_pop",
           "case_interactions", "commit_week", "contact_schedule", "contact_shares",
           "contacts_week", "crises_week", "door_week", "entry_hazards",
           "family_contacts", "family_flags", "family_ids", "fill_slots", "insert_families",
           "intake_week", "meeting_pairs", "merge_calendars", "pool_capacity",
           "present_flags", "progress_week", "record_week", "rehazard", "reset_pairs",
           "route_table", "sort_contacts", "spell_dropouts", "spend", "staff_week",
           "take_pool", "visits_week"]


#: Fields of a candidate contact's record (columns of the int32 array of
#: :func:`contact_schedule`, read by :func:`sort_contacts`): run, family id,
#: professional, week, slot with round and visibility (``slot | round << 8 | visibility
#: << 16``: round, the family's contacts in earlier slots of the same week offset;
#: visibility, 0 a multiple burden, 1 a medium one, 2 none or not yet noticeable), and
#: the 16-bit codes of the noticing, referral and acceptance decisions.
CANDIDATE_FIELDS = ("run", "fid", "pid", "week", "slot_round_vis", "notice", "refer", "accept")
C_RUN, C_FID, C_PID, C_WEEK, C_SLOT, C_NOTICE, C_REFER, C_ACCEPT = range(len(CANDIDATE_FIELDS))


@_jit
def _slot_field(slot, rnd, vis):  # pragma: no cover - compiled
    """A candidate's packed slot, round and visibility (field ``C_SLOT``)."""
    return slot | (rnd << 8) | (vis << 16)


@_jit
def _round_of(field):  # pragma: no cover - compiled
    """The round of a packed ``C_SLOT`` field (see :func:`_slot_field`)."""
    return np.int64((field >> 8) & 255)


@_jit
def _vis_class(burden, onset, t):  # pragma: no cover - compiled
    """How visible a family's burden is in week ``t``.

    0 a multiple burden, 1 a medium one, 2 none or not yet noticeable (before its onset).
    """
    if burden > 0 and t >= onset:
        return 0 if burden == 2 else 1
    return 2


@_jit
def _week_counts(week, sub, n_sub):  # pragma: no cover - compiled
    """Start of every (week, sub) key in the stable counting sort of the items; lowest week.

    ``sub`` in ``[0, n_sub)``; the start of key ``(w - lo) * n_sub + s`` is at that index.
    """
    m = len(week)
    lo = 0
    hi = -1
    for k in range(m):
        w = week[k]
        if k == 0 or w < lo:
            lo = w
        if k == 0 or w > hi:
            hi = w
    cnt = np.zeros((hi - lo + 1) * n_sub + 1, np.int64)
    for k in range(m):
        cnt[(week[k] - lo) * n_sub + sub[k] + 1] += 1
    for k in range(1, len(cnt)):
        cnt[k] += cnt[k - 1]
    return cnt, lo


@_jit
def contact_schedule(run, fid, bw, burden, onset, contact_pid, u_notice, u_refer, u_accept,
                     kind_of_pid, slot_code, slot_u2, slot_off, slot_y1, birth_slot, kind_bit,
                     skill, vis_multiple, vis_medium, false_pos, boost, lots,
                     weeks, n_cont):  # pragma: no cover - compiled
    """Contact schedule of a block of new families.

    Args:
        run: (n,) each family's run.
        fid: (n,) family ids.
        bw: (n,) birth weeks.
        burden: (n,) burden classes (0 low, 1 medium, 2 multiple).
        onset: (n,) week from which the burden is noticeable.
        contact_pid: (S, n) professional of each contact slot, -1 if none.
        u_notice: (S, n) 16-bit uniform codes of the noticing decision of each slot.
        u_refer: (S, n) codes of the referral decision of each slot.
        u_accept: (S, n) codes of the acceptance decision of each slot.
        kind_of_pid: (n_prof,) kind code of every professional slot.
        slot_code: (S,) kind code of each slot (ignored for the U2).
        slot_u2: (S,) whether the slot is the U2 (clinic or pediatric practice).
        slot_off: (S,) week of the slot relative to the birth.
        slot_y1: (S,) whether the slot is a first-year contact.
        birth_slot: index of the birth contact (the Lotsendienst may screen there).
        kind_bit: (8,) family flag bit of each kind code.
        skill: (R, 4) noticing skill of the four health kinds per run.
        vis_multiple: (R,) visibility of multiple burdens.
        vis_medium: (R,) visibility of medium burdens.
        false_pos: (R,) false-positive rate.
        boost: (R,) 1 + the noticing boost of trained practice staff.
        lots: (R,) whether the run has a Lotsendienst.
        weeks: the horizon.
        n_cont: (R, weeks + 1, n_prof) int32 contacts per week and professional; every
            contact inside the horizon is added in place.

    Returns:
        cb_exit, cb_end (kinds of contact before the exit / inside the horizon), y1 (a
        first-year contact), first (first week a burden is noticeable at a contact, -1),
        and the candidate contacts: contacts whose noticing draw lies below the largest
        possible noticing probability, and births a Lotsendienst may screen, as an
        (m, 8) int32 array of records (:data:`CANDIDATE_FIELDS`).  Candidates are
        ordered by week, within a week by slot, then family (a stable counting sort by
        week and slot of the contacts as found, family by family).
    """
    S, n = contact_pid.shape
    never = np.iinfo(np.int64).max // 4
    cb_exit = np.zeros(n, np.int64)
    cb_end = np.zeros(n, np.int64)
    y1 = np.zeros(n, np.int64)
    first = np.full(n, never, np.int64)
    # the largest noticing probability of each run, kind and visibility (multiple burden,
    # medium burden, not visible), the same product as slot by slot, as a code threshold
    # (draws.codes_below)
    R = len(boost)
    bound = np.empty((R, skill.shape[1], 3), np.int64)
    for r in range(R):
        for code in range(skill.shape[1]):
            for c, v in enumerate((vis_multiple[r], vis_medium[r], false_pos[r])):
                bound[r, code, c] = draws.codes_below(
                    min(max(skill[r, code] * v * boost[r], 0.0), 1.0))
    # the earlier slots with the same week offset as each slot (a contact's round counts
    # the family's contacts there)
    n_same = np.zeros(S, np.int64)
    same = np.zeros((S, S), np.int64)
    for s in range(S):
        for s2 in range(s):
            if slot_off[s2] == slot_off[s]:
                same[s, n_same[s]] = s2
                n_same[s] += 1
    sh = 1  # bits for a slot
    while (1 << sh) < S:
        sh += 1
    found = np.empty(S * n, np.int64)  # candidates (i << sh | s) in the order found
    n_cand = 0
    for i in range(n):  # family by family: its fields stay in registers across the slots
        r = run[i]
        bwi = bw[i]
        b = burden[i]
        on = onset[i]
        lr = lots[r]
        ex = 0
        en = 0
        yy = 0
        fi_ = never
        for s in range(S):
            cp = contact_pid[s, i]
            if cp < 0:
                continue
            wk = bwi + slot_off[s]
            if slot_u2[s]:
                code = CLINIC if kind_of_pid[cp] == CLINIC else PED
            else:
                code = slot_code[s]
            kb = kind_bit[code]
            if slot_y1[s]:
                yy = 1
            if wk < 0:
                continue
            ex |= kb
            if wk >= weeks:
                continue
            en |= kb
            n_cont[r, wk, cp] += 1
            c = _vis_class(b, on, wk)
            if c < 2 and wk < fi_:
                fi_ = wk
            if u_notice[s, i] < bound[r, code, c] or (
                    s == birth_slot and lr):
                found[n_cand] = (i << sh) | s
                n_cand += 1
        cb_exit[i] = ex
        cb_end[i] = en
        y1[i] = yy
        first[i] = fi_
    for i in range(n):
        if first[i] == never:
            first[i] = -1
    # counting sort by (week, slot), stable in the order found (families in increasing
    # order within a slot): candidates by week, within a week by slot, then family
    c_week = np.empty(n_cand, np.int64)
    c_slot = np.empty(n_cand, np.int64)
    for k in range(n_cand):
        c_slot[k] = found[k] & ((1 << sh) - 1)
        c_week[k] = bw[found[k] >> sh] + slot_off[c_slot[k]]
    nxt, w_lo = _week_counts(c_week, c_slot, S)
    # one record per candidate (CANDIDATE_FIELDS), written whole: one stream of writes
    rec = np.empty((n_cand, len(CANDIDATE_FIELDS)), np.int32)
    for j in range(n_cand):
        s = c_slot[j]
        i = found[j] >> sh
        wk = c_week[j]
        key = (wk - w_lo) * S + s
        k = nxt[key]
        nxt[key] += 1
        # round: the family's contacts in earlier slots of the same week offset
        rnd = 0
        for q in range(n_same[s]):
            if contact_pid[same[s, q], i] >= 0:
                rnd += 1
        rec[k, C_RUN] = run[i]
        rec[k, C_FID] = fid[i]
        rec[k, C_PID] = contact_pid[s, i]
        rec[k, C_WEEK] = wk
        rec[k, C_SLOT] = _slot_field(s, rnd, _vis_class(burden[i], onset[i], wk))
        rec[k, C_NOTICE] = u_notice[s, i]
        rec[k, C_REFER] = u_refer[s, i]
        rec[k, C_ACCEPT] = u_accept[s, i]
    return cb_exit, cb_end, y1, first, rec


@_jit
def family_ids(reps, n, first):  # pragma: no cover - compiled
    """Run and family id of the new families of representatives ``reps``, run after run.

    ``n[j]`` families of representative ``reps[j]``, with consecutive ids from
    ``first[j]``.
    """
    tot = 0
    for j in range(len(n)):
        tot += n[j]
    run = np.empty(tot, np.int64)
    fid = np.empty(tot, np.int64)
    k = 0
    for j in range(len(n)):
        for i in range(n[j]):
            run[k] = reps[j]
            fid[k] = first[j] + i
            k += 1
    return run, fid


@_jit
def merge_calendars(rec, o_week, o_run, o_fid, n_slots):  # pragma: no cover - compiled
    """The calendars of a block's tiles, merged: candidates by week and slot, onsets by week.

    ``rec`` holds the candidate records (:data:`CANDIDATE_FIELDS`) of consecutive tiles,
    each tile's sorted by week and slot (see :func:`contact_schedule`), ``o_week``,
    ``o_run`` and ``o_fid`` their onsets, each tile's sorted by week (see
    :func:`entry_hazards`).  A stable counting sort keeps the tiles' order within a key:
    the order one pass over all of the block's families gives.

    Returns:
        the sorted records, and the sorted weeks, runs and family ids of the onsets.
    """
    m = rec.shape[0]
    week = np.empty(m, np.int64)
    slot = np.empty(m, np.int64)
    for k in range(m):
        week[k] = rec[k, C_WEEK]
        slot[k] = rec[k, C_SLOT] & 255
    cnt, lo = _week_counts(week, slot, n_slots)
    out = np.empty_like(rec)
    for k in range(m):
        key = (week[k] - lo) * n_slots + slot[k]
        j = cnt[key]
        cnt[key] += 1
        for c in range(rec.shape[1]):
            out[j, c] = rec[k, c]
    n = len(o_week)
    cnt, lo = _week_counts(o_week, np.zeros(n, np.int64), 1)
    ow = np.empty(n, np.int64)
    orun = np.empty(n, np.int64)
    ofid = np.empty(n, np.int64)
    for k in range(n):
        key = o_week[k] - lo
        j = cnt[key]
        cnt[key] += 1
        ow[j] = o_week[k]
        orun[j] = o_run[k]
        ofid[j] = o_fid[k]
    return out, ow, orun, ofid


@_jit
def _touch(a, run, idx, cap, col):  # pragma: no cover - compiled
    """Read ``a[run[i], idx[i] % cap, col]`` of every listed family; their sum.

    The reads do not depend on each other, so their cache misses overlap; a kernel that
    then works through the families one after another finds their rows in the cache.
    The sum must be used (see :func:`_keep`), or the reads would be dropped.  Only for
    small non-negative fields (states, flags): the sum must not overflow, so never for
    weeks that may be NEVER_WEEK.
    """
    s = 0
    for i in range(len(run)):
        s += a[run[i], idx[i] % cap, col]
    return s


@_jit
def _keep(s):  # pragma: no cover - compiled
    """Use the sum of :func:`_touch` (no sum of non-negative fields is negative)."""
    if s < 0:
        raise ValueError("negative family field")


@_jit
def insert_families(fi, fh, ff, fu, run, fid, idx, cap, fi_new, fh_new, ff_new, cols, vals,
                    hcols, hvals, u, crisis_at, bw, stay_weeks):  # pragma: no cover - compiled
    """Write new families into the ring buffers.

    Family ``idx[j]`` of a block goes to position ``fid[idx[j]] % cap`` of run ``run[j]``:
    ``fi`` (32-bit fields) gets the default row ``fi_new`` with the columns ``cols`` set
    to ``vals[c][idx[j]]`` (``vals`` a tuple of int64 arrays, one per column), ``fh``
    (64-bit fields) likewise ``fh_new``, ``hcols`` and ``hvals``, ``ff`` the default float
    row ``ff_new``, and ``fu`` the kept uniform codes ``u[:, idx[j]]``.

    Returns:
        week, run and family id of the first crisis of every family whose crisis falls
        before its exit (``crisis_at < bw + stay_weeks``), for the crisis calendar.
    """
    nk = fu.shape[2]
    m = len(idx)
    c_week = np.empty(m, np.int64)
    c_run = np.empty(m, np.int64)
    c_fid = np.empty(m, np.int64)
    k = 0
    for j in range(m):
        r = run[j]
        i = idx[j]
        f = fid[i]
        p = f % cap
        # element by element: cheaper than assigning slices of the rows
        for c in range(len(fi_new)):
            fi[r, p, c] = fi_new[c]
        for c in range(len(cols)):
            fi[r, p, cols[c]] = vals[c][i]
        for c in range(len(fh_new)):
            fh[r, p, c] = fh_new[c]
        for c in range(len(hcols)):
            fh[r, p, hcols[c]] = hvals[c][i]
        for c in range(len(ff_new)):
            ff[r, p, c] = ff_new[c]
        for c in range(nk):
            fu[r, p, c] = u[c, i]
        if crisis_at[i] < bw[i] + stay_weeks:
            c_week[k] = crisis_at[i]
            c_run[k] = r
            c_fid[k] = f
            k += 1
    return c_week[:k], c_run[:k], c_fid[:k]


@_jit
def commit_week(t, T, U, tb, ub, ptype, trust_decay, understanding_decay, last, acq,
                acq_new, touched, pend_t, pend_u, lapse, eng, pend_e, eng_base, drift,
                filled, tenure, aware, pend_a, refreshed, awareness_decay, cross, pa, pb,
                refring, refsum, phys, attended):  # pragma: no cover - compiled
    """End of week ``t`` for every run: pending changes committed, state summarised.

    Relationships (arrays (R, n_pairs)): a pair that interacted this week (``touched``)
    takes its pending trust and understanding changes and may become acquainted
    (``acq_new``); the others decay towards their baselines (``tb``, ``ub`` (R, 4): per
    run and pair type ``ptype``) and lose an acquaintance not renewed for ``lapse``
    weeks.  Professionals (R, n_prof): engagement of filled slots
    takes its pending change and drifts to the baseline, tenure grows; awareness of filled
    health slots (R, n_health) is refreshed or decays.  Pending arrays are reset in place
    (a pair's pending changes and ``acq_new`` are only ever set together with ``touched``,
    so only touched pairs need resetting).
    Per-run parameters (``trust_decay`` ... ``awareness_decay``, ``lapse``) are (R,).
    ``refsum`` (R, n_health) holds each health slot's referrals in the ring ``refring``
    (R, 52, n_health) outside this week's slot ``t % 52``; this week's are added to it.

    Returns:
        Per run: the sums of trust and understanding over cross-sector pairs whose two
        slots are filled (sequential sums in pair order), the number of such pairs, the
        health slots acquainted with a filled youth or coordinator slot, the filled health
        slots, the physicians with a referral in the last 52 weeks and the physicians who
        attended a meeting.
    """
    R, nQ = T.shape
    nH = aware.shape[1]
    nP = eng.shape[1]
    trust_sum = np.zeros(R)
    und_sum = np.zeros(R)
    pairs = np.zeros(R, np.int64)
    h_acq = np.zeros(R, np.int64)
    h_filled = np.zeros(R, np.int64)
    p_active = np.zeros(R, np.int64)
    p_attended = np.zeros(R, np.int64)
    hacq = np.zeros(nH, np.bool_)
    slot = t % refring.shape[1]
    for r in range(R):
        hacq[:] = False
        ts = 0.0
        us = 0.0
        npairs = 0
        tdr = trust_decay[r]
        udr = understanding_decay[r]
        lap = lapse[r]
        for q in range(nQ):
            if touched[r, q]:
                T[r, q] = rules.clip01(T[r, q] + pend_t[r, q])
                U[r, q] = rules.clip01(U[r, q] + pend_u[r, q])
                last[r, q] = t
                acq[r, q] = acq[r, q] or acq_new[r, q]
                # pending changes exist only for touched pairs: only these are reset
                # (the untouched pairs' zeros are not written again)
                pend_t[r, q] = 0.0
                pend_u[r, q] = 0.0
                touched[r, q] = False
                acq_new[r, q] = False
            else:
                T[r, q] = rules.decay_toward(T[r, q], tb[r, ptype[q]], tdr)
                U[r, q] = rules.decay_toward(U[r, q], ub[r, ptype[q]], udr)
                if acq[r, q] and (t - last[r, q]) >= lap:
                    acq[r, q] = False
            if cross[q] and filled[r, pb[q]]:
                if filled[r, pa[q]]:
                    ts += T[r, q]
                    us += U[r, q]
                    npairs += 1
                if acq[r, q]:
                    hacq[pa[q]] = True
        trust_sum[r] = ts
        und_sum[r] = us
        pairs[r] = npairs
        for p in range(nP):
            if filled[r, p]:
                eng[r, p] = rules.engagement_commit(eng[r, p], pend_e[r, p], eng_base[r, p],
                                                    drift[r])
                tenure[r, p] += 1
            pend_e[r, p] = 0.0
        for h in range(nH):
            if filled[r, h]:
                aware[r, h] = rules.awareness_commit(aware[r, h], pend_a[r, h],
                                                     refreshed[r, h], awareness_decay[r])
                h_filled[r] += 1
            pend_a[r, h] = 0.0
            refreshed[r, h] = False
            if hacq[h]:
                h_acq[r] += 1
            refsum[r, h] += refring[r, slot, h]
            if phys[h]:
                if attended[r, h]:
                    p_attended[r] += 1
                if refsum[r, h] != 0:
                    p_active[r] += 1
    return trust_sum, und_sum, pairs, h_acq, h_filled, p_active, p_attended


@_jit
def delay_window(win, ring, hist, hist_hi, slot, median, ring_hi,
                 win_n):  # pragma: no cover - compiled
    """Trailing-window histograms of the weeks to help, and their medians, for one week.

    For every run: ``win[r] += hist[r] - ring[r, slot]`` and ``ring[r, slot] = hist[r]``
    (integer histograms, ``win`` (R, D), ``ring`` (R, window, D)); ``median[r]`` gets the
    median of the window, the mean of its two middle values, NaN for an empty window,
    as ``outputs.median_from_hist``.  ``hist_hi`` (R,) is the bin after the last non-zero
    one of ``hist``.  ``ring_hi`` (R, window) holds for every ring row the bin after its
    last non-zero one and ``win_n`` (R,) the window's total, both kept up to date here:
    only the bins below the higher of the week's and the row's last non-zero bin change
    (few: the weeks to help are short), the rest is not read.
    """
    R, D = win.shape
    for r in range(R):
        hi = hist_hi[r]
        m = max(hi, ring_hi[r, slot])
        for j in range(m):
            h = hist[r, j]
            d = h - ring[r, slot, j]
            win[r, j] += d
            win_n[r] += d
            ring[r, slot, j] = h
        ring_hi[r, slot] = hi
        n = win_n[r]
        if n == 0:
            median[r] = np.nan
            continue
        # the middle values: the first bins whose cumulative count exceeds (n-1)//2, n//2
        k1 = (n - 1) // 2
        k2 = n // 2
        c = 0
        lo = D
        hi = D
        for j in range(D):
            c += win[r, j]
            if lo == D and c > k1:
                lo = j
            if c > k2:
                hi = j
                break
        median[r] = (lo + hi) / 2.0


@_jit
def _choose(cum, d, r, n, u):  # pragma: no cover - compiled
    """Index among ``n`` candidates: how many normalised cumulative weights are <= u."""
    k = 0
    for j in range(n):
        if cum[d, r, j] <= u:
            k += 1
    return min(k, n - 1)


@_jit
def family_contacts(uu, bw, run, cols, pv, n_districts, prenatal_weeks, never,
                    gyn_pids, gyn_cum, ped_pids, ped_cum, mw_pids, n_of,
                    clinic_pids, clinic_cum, slot_kind, part0, cpid):  # pragma: no cover
    """Attributes and contacts of a block of new families from their uniforms.

    Args:
        uu: (n_uniforms, n) 16-bit uniform codes of every family (see ``draws``).
        bw: (n,) birth weeks.
        run: (n,) each family's run (row of ``pv`` and of the ``*_cum`` tables).
        cols: column of ``uu`` of each attribute decision, in the order burden,
            onset_kind, onset_week, district, gyn, clinic_birth, clinic, midwife_has,
            midwife, ped.
        pv: (R, 10) per-run parameters, in the order of ``draws.FAMILY_PARAMS``.
        n_districts: number of districts.
        prenatal_weeks: weeks from entry (pregnancy week 12) to birth.
        never: onset week of families without a burden.
        gyn_pids: (D, m) gynecology practices of each district (padded).
        gyn_cum: (D, R, m) their normalised cumulative size weights per run.
        ped_pids: (D, m) pediatric practices of each district (padded).
        ped_cum: (D, R, m) their normalised cumulative size weights per run.
        mw_pids: (D, m) midwives of each district (padded).
        n_of: (3, D) numbers of gynecology practices, pediatric practices and midwives.
        clinic_pids: (c,) birth clinics.
        clinic_cum: (1, R, c) their normalised cumulative size weights per run.
        slot_kind: (S,) kind of each contact slot (``layout.SLOT_KIND``).
        part0: column of ``uu`` of the first slot's participation decision.
        cpid: (S, n) int32 output, filled with the professional of each contact slot
            (allocated by the caller, so that a large block gets NumPy's huge pages).

    Returns:
        burden (0 low, 1 medium, 2 multiple), onset week, district, gynecology and
        pediatric practice, and the (S, n) professional of each contact slot (-1: none).
    """
    n = len(bw)
    S = len(slot_kind)
    if cpid.shape[0] != S or cpid.shape[1] != n:
        raise ValueError("family_contacts: cpid must have the shape (slots, families)")
    burden = np.zeros(n, np.int8)
    onset = np.zeros(n, np.int64)
    district = np.zeros(n, np.int64)
    gyn = np.zeros(n, np.int64)
    ped = np.zeros(n, np.int64)
    n_clin = len(clinic_pids)
    u_burden, u_kind, u_week, u_dist = uu[cols[0]], uu[cols[1]], uu[cols[2]], uu[cols[3]]
    u_gyn, u_cbirth, u_clinic, u_mwhas = uu[cols[4]], uu[cols[5]], uu[cols[6]], uu[cols[7]]
    u_mw, u_ped = uu[cols[8]], uu[cols[9]]
    # families in tiles of at most B of one run, so that a run's probabilities are read
    # once per tile, as code thresholds (draws.codes_below: a decision's uniform is below
    # p exactly when its code is below the threshold), and the rows of uu and cpid are
    # read in short runs
    B = 256
    mw_b = np.empty(B, np.int64)
    cl_b = np.empty(B, np.int64)
    i0 = 0
    while i0 < n:
        r = run[i0]
        i1 = i0 + 1
        while i1 < min(i0 + B, n) and run[i1] == r:
            i1 += 1
        c_multiple = draws.codes_below(pv[r, 0])
        c_burden = draws.codes_below(pv[r, 0] + pv[r, 1])
        c_post = draws.codes_below(pv[r, 2])
        c_mw = draws.codes_below(pv[r, 4])
        c_clinic = draws.codes_below(pv[r, 5])
        c_u_exam = draws.codes_below(pv[r, 6])
        c_u_multiple = draws.codes_below(pv[r, 7])
        c_gyn = draws.codes_below(pv[r, 8])
        c_u2 = draws.codes_below(pv[r, 9])
        for i in range(i0, i1):
            ub = u_burden[i]
            b = 2 if ub < c_multiple else (1 if ub < c_burden else 0)
            burden[i] = b
            if b > 0:
                if u_kind[i] < c_post:
                    onset[i] = bw[i] + 1 + np.int64(np.floor(
                        draws.as_uniform(u_week[i]) * pv[r, 3]))
                else:
                    onset[i] = bw[i] - prenatal_weeks
            else:
                onset[i] = never
            d = min(np.int64(np.floor(draws.as_uniform(u_dist[i]) * n_districts)),
                    n_districts - 1)
            district[i] = d
            gyn[i] = gyn_pids[d, _choose(gyn_cum, d, r, n_of[0, d],
                                         draws.as_uniform(u_gyn[i]))]
            ped[i] = ped_pids[d, _choose(ped_cum, d, r, n_of[1, d],
                                         draws.as_uniform(u_ped[i]))]
            mw = -1
            nm = n_of[2, d]
            if nm > 0 and u_mwhas[i] < c_mw:
                mw = mw_pids[d, min(np.int64(np.floor(draws.as_uniform(u_mw[i]) * nm)),
                                    nm - 1)]
            mw_b[i - i0] = mw
            clinic = -1
            if n_clin > 0 and u_cbirth[i] < c_clinic:
                clinic = clinic_pids[_choose(clinic_cum, 0, r, n_clin,
                                             draws.as_uniform(u_clinic[i]))]
            cl_b[i - i0] = clinic
        # slot by slot: one kind per loop over the tile (loops the compiler vectorises)
        for s in range(S):
            k = slot_kind[s]
            up = uu[part0 + s]
            out = cpid[s]
            if k == SLOT_GYN:
                for i in range(i0, i1):
                    out[i] = gyn[i] if up[i] < c_gyn else -1
            elif k == SLOT_CLINIC:
                for i in range(i0, i1):
                    out[i] = cl_b[i - i0]
            elif k == SLOT_U2:  # in the clinic after a clinic birth, else the pediatrician
                for i in range(i0, i1):
                    c = cl_b[i - i0]
                    out[i] = (c if c >= 0 else ped[i]) if up[i] < c_u2 else -1
            elif k == SLOT_MIDWIFE:
                for i in range(i0, i1):
                    out[i] = mw_b[i - i0]
            else:  # pediatric U3-U7
                for i in range(i0, i1):
                    out[i] = ped[i] if up[i] < (c_u_multiple if burden[i] == 2
                                                else c_u_exam) else -1
        i0 = i1
    return burden, onset, district, gyn, ped, cpid


#: Columns of the per-run parameter matrix of :func:`contacts_week`.
CONTACT_PARAMS = (
    "screening_sensitivity", "screening_specificity", "lotsin_assessment_sensitivity",
    "lotsin_assessment_false_positive", "lotsin_referral_probability", "visibility_multiple",
    "visibility_medium", "false_positive_rate", "mfa_noticing_boost", "noticing_time_floor",
    "referral_base", "referral_floor_awareness", "referral_floor_engagement",
    "referral_floor_slack", "referral_floor_route", "acceptance_freier_traeger_bonus",
    "stigma_multiple", "stigma_medium", "family_trust_health", "acceptance_trust_floor",
    "decline_penalty",
)
(_SENS, _SPEC, _LSENS, _LFP, _LREF, _VMULT, _VMED, _FPR, _MFAB, _NFLOOR, _RBASE, _RFA, _RFE,
 _RFS, _RFR, _FTB, _STM, _STMED, _FTRUST, _AFLOOR, _DPEN) = range(len(CONTACT_PARAMS))
#: Family fields (columns of the engine's integer family array) used by contacts_week.
CONTACT_FIELDS = ("burden", "onset", "state", "nbits", "referrer", "ref_person", "route",
                  "target", "declined", "accepted_week", "waiting_since")


@_jit
def _refer(t, r, p, h, route, target, u_accept, fi, fc, pm, acceptance, ft_host, person,
           routes, refring, out_yes, n_yes):  # pragma: no cover - compiled
    """A referral of family (r, p) by professional h; True if the family accepts."""
    routes[r, route] += 1
    refring[r, t % 52, h] += 1
    fi[r, p, fc[4]] = h
    fi[r, p, fc[5]] = person[r, h]
    fi[r, p, fc[6]] = route
    fi[r, p, fc[7]] = target
    acc = acceptance[r, route]
    if route == R_COORD and ft_host[r]:
        acc = acc * (1.0 + pm[r, _FTB])
    b = fi[r, p, fc[0]]
    stigma = pm[r, _STM] if b == 2 else (pm[r, _STMED] if b == 1 else 0.0)
    declined = 1.0 if fi[r, p, fc[8]] > 0 else 0.0
    pa = rules.acceptance_probability(acc, pm[r, _FTRUST], pm[r, _AFLOOR], stigma, declined,
                                      pm[r, _DPEN])
    if u_accept < pa:
        fi[r, p, fc[2]] = WAITING
        fi[r, p, fc[9]] = t
        fi[r, p, fc[10]] = t
        out_yes[n_yes, 0] = r
        out_yes[n_yes, 1] = p
        return n_yes + 1
    fi[r, p, fc[8]] += 1
    return n_yes


@_jit
def _notices(r, hj, nH, vc, code, pm, skill, mfa, slack):  # pragma: no cover - compiled
    """Whether professional ``hj`` notices a burden (or thinks so) at a regular contact.

    ``vc`` is the burden's visibility class (see :func:`contacts_week`), ``code`` the
    contact's noticing code.
    """
    if vc < 2:
        vis = pm[r, _VMULT] if vc == 0 else pm[r, _VMED]
    else:
        vis = pm[r, _FPR]
    hh = min(hj, nH - 1)
    pn = rules.notice_probability(skill[r, hh], vis, 1.0 if mfa[r, hh] else 0.0,
                                  pm[r, _MFAB], slack[r, hj], pm[r, _NFLOOR])
    return draws.as_uniform(code) < pn


@_jit
def sort_contacts(rec, R, cap):  # pragma: no cover - compiled
    """The week's candidate contacts in processing order (see contacts_week).

    ``rec`` holds their records (:data:`CANDIDATE_FIELDS`).  The order of
    ``np.lexsort((fid, run, rnd))``: round, then run, then family id (each family has at
    most one contact per round, so the keys are distinct).  A counting sort by round and
    run, then the contacts of each (round, run) by family id.

    Returns:
        run, position in the ring buffer (``fid % cap``), slot, professional, round,
        (3, m) uint16 codes and int8 visibility class of every contact (the others
        int64), in that order.
    """
    m = rec.shape[0]
    n_rnd = 0
    for j in range(m):
        n_rnd = max(n_rnd, _round_of(rec[j, C_SLOT]) + 1)
    start = np.zeros(n_rnd * R + 1, np.int64)
    for j in range(m):
        start[_round_of(rec[j, C_SLOT]) * R + rec[j, C_RUN] + 1] += 1
    for k in range(1, len(start)):
        start[k] += start[k - 1]
    beg = start.copy()
    o = np.empty(m, np.int64)
    for j in range(m):
        b = _round_of(rec[j, C_SLOT]) * R + rec[j, C_RUN]
        o[start[b]] = j
        start[b] += 1
    # each bucket by family id: a few contacts by insertion, more by a merge sort (a
    # large town's bucket can hold thousands, arriving slot by slot)
    for b in range(len(beg) - 1):
        lo = beg[b]
        hi = beg[b + 1]
        if hi - lo > 32:
            seg = o[lo:hi].copy()
            keys = np.empty(hi - lo, np.int64)
            for k in range(hi - lo):
                keys[k] = rec[seg[k], C_FID]
            perm = np.argsort(keys, kind="mergesort")
            for k in range(hi - lo):
                o[lo + k] = seg[perm[k]]
        else:
            for k in range(lo + 1, hi):
                j = o[k]
                f = rec[j, C_FID]
                while k > lo and rec[o[k - 1], C_FID] > f:
                    o[k] = o[k - 1]
                    k -= 1
                o[k] = j
    r_o = np.empty(m, np.int64)
    pos_o = np.empty(m, np.int64)
    slot_o = np.empty(m, np.int64)
    pid_o = np.empty(m, np.int64)
    rnd_o = np.empty(m, np.int64)
    codes_o = np.empty((3, m), np.uint16)
    vis_o = np.empty(m, np.int8)
    for k in range(m):
        j = o[k]
        r_o[k] = rec[j, C_RUN]
        pos_o[k] = np.int64(rec[j, C_FID]) % cap
        srv = rec[j, C_SLOT]
        slot_o[k] = srv & 255
        rnd_o[k] = _round_of(srv)
        vis_o[k] = srv >> 16
        pid_o[k] = rec[j, C_PID]
        codes_o[0, k] = rec[j, C_NOTICE]
        codes_o[1, k] = rec[j, C_REFER]
        codes_o[2, k] = rec[j, C_ACCEPT]
    return r_o, pos_o, slot_o, pid_o, rnd_o, codes_o, vis_o


@_jit
def contacts_week(t, run, pos, slot, h, rnd, codes, vis_class, fi, fc, fu, ki, kind, kind_bit,
                  clinic_bit, birth_slot, nH, pm, coverage, lots_minutes, lotsin_left,
                  skill, mfa, slack, share, aware, eng, person, best, best_value,
                  best_target, coord_cap, clearing_desk_minutes, clearing_left,
                  referral_minutes, acceptance, ft_host, routes,
                  refring):  # pragma: no cover - compiled
    """The week's candidate contacts of every run: noticing, referral, acceptance.

    Contacts come in processing order: round (a family's first contact of the week
    before its second), then run, then family id.  Within a round the Lotsendienst's
    screening capacity, the coordinators' clearing capacity (``coord_cap``, over the
    whole week) and the clearing desk's capacity go to contacts in this order, as in the
    array code the kernel replaced.

    Args:
        t: the week.
        run: (m,) run of each contact.
        pos: (m,) family position in the ring buffer.
        slot: (m,) contact slot.
        h: (m,) professional.
        rnd: (m,) round of the contact.
        codes: (3, m) uniform codes of noticing, referral and acceptance.
        vis_class: (m,) visibility of the family's burden at the contact (0 multiple,
            1 medium, 2 none or not yet noticeable): the family's fields are read only
            for contacts that notice something.
        fi: (R, cap, k) integer family fields; ``fc`` their columns (``CONTACT_FIELDS``).
        fc: columns of ``CONTACT_FIELDS`` in ``fi``.
        fu: (R, cap, n_keep) kept uniform codes; ``ki`` the columns of cover, screen,
            assess, lotsin_refer and lotsin_accept.
        ki: see ``fu``.
        kind: (n_prof,) kind code of each professional.
        kind_bit: (8,) family flag bit of each kind.
        clinic_bit: flag bit of the clinic (Lotsendienst assessments count there).
        birth_slot: the birth contact's slot.
        nH: number of health slots.
        pm: (R, len(CONTACT_PARAMS)) per-run parameters.
        coverage: (R,) Lotsendienst coverage this year.
        lots_minutes: (R,) Lotsendienst minutes per screen.
        lotsin_left: (R,) Lotsendienst minutes left this week (updated in place).
        skill: (R, nH) noticing skill.
        mfa: (R, nH) trained practice staff.
        slack: (R, n_prof) free share of the time accounts at the start of the phase.
        share: (R, n_prof) minutes per contact this week.
        aware: (R, nH) awareness.
        eng: (R, n_prof) engagement.
        person: (R, n_prof) person counter of each slot.
        best: (R, nH) preferred referral route of each health slot (-1: none).
        best_value: (R, nH) its value.
        best_target: (R, nH) its target (the FH provider of a warm handover, else -1).
        coord_cap: (R,) referrals the coordinators' case time can clear this week.
        clearing_desk_minutes: (R,) clearing-desk minutes per referral.
        clearing_left: (R,) clearing-desk minutes left (updated in place).
        referral_minutes: (R, 5) minutes of a referral by route.
        acceptance: (R, 5) acceptance by route.
        ft_host: (R,) coordinator hosted by a freier Träger.
        routes: (R, 5) referrals by route this week (updated in place).
        refring: (R, 52, nH) referrals of the last 52 weeks (updated in place).

    Returns:
        coordinators' cleared referrals per run, the time bookings (run, professional,
        minutes) of the referrals, and the (run, position) of families that accepted.
    """
    m = len(run)
    R = len(coverage)
    # the rows of the families that notice something (or may meet the Lotsendienst) are
    # read first, independently of each other: their cache misses overlap
    touched = 0
    for j in range(m):
        r = run[j]
        if (_notices(r, h[j], nH, vis_class[j], codes[0, j], pm, skill, mfa, slack)
                or (slot[j] == birth_slot and coverage[r] > 0)):
            touched += fi[r, pos[j], fc[2]] + fi[r, pos[j], fc[3]]
    _keep(touched)
    coord_used = np.zeros(R, np.int64)
    lots_used = np.zeros(R, np.int64)
    lots_cap = np.zeros(R, np.int64)
    clear_used = np.zeros(R, np.int64)
    clear_cap = np.zeros(R, np.int64)
    spend = np.empty((m, 3), np.int64)
    n_spend = 0
    yes = np.empty((m, 2), np.int64)
    n_yes = 0
    cur = -1
    for j in range(m + 1):
        if j == m or rnd[j] != cur:
            if cur >= 0:  # end of a round: capacities used in it are booked
                for r in range(R):
                    lotsin_left[r] -= lots_used[r] * lots_minutes[r]
                    clearing_left[r] -= clear_used[r] * clearing_desk_minutes[r]
            if j == m:
                break
            cur = rnd[j]
            for r in range(R):
                lots_used[r] = 0
                clear_used[r] = 0
                lots_cap[r] = lotsin_left[r] // max(lots_minutes[r], 1)
                clear_cap[r] = clearing_left[r] // max(clearing_desk_minutes[r], 1)
        r = run[j]
        p = pos[j]
        hj = h[j]
        vc = vis_class[j]
        visible = vc < 2
        regular = True
        cov = coverage[r]
        if slot[j] == birth_slot and cov > 0:  # the Lotsendienst at the birth
            if draws.as_uniform(fu[r, p, ki[0]]) < cov:
                thr = pm[r, _SENS] if visible else 1.0 - pm[r, _SPEC]
                if draws.as_uniform(fu[r, p, ki[1]]) < thr:
                    if lots_used[r] < lots_cap[r]:
                        lots_used[r] += 1
                        regular = False
                        thr = pm[r, _LSENS] if visible else pm[r, _LFP]
                        if draws.as_uniform(fu[r, p, ki[2]]) < thr:
                            fi[r, p, fc[3]] |= clinic_bit
                            st = fi[r, p, fc[2]]
                            if st == NONE or st == NOTICED:
                                fi[r, p, fc[2]] = NOTICED
                                if draws.as_uniform(fu[r, p, ki[3]]) < pm[r, _LREF]:
                                    n_yes = _refer(t, r, p, hj, R_LOTS, -1,
                                                   draws.as_uniform(fu[r, p, ki[4]]), fi, fc,
                                                   pm, acceptance, ft_host, person, routes,
                                                   refring, yes, n_yes)
        if not regular:
            continue
        # regular noticing
        hh = min(hj, nH - 1)
        if not _notices(r, hj, nH, vc, codes[0, j], pm, skill, mfa, slack):
            continue
        fi[r, p, fc[3]] |= kind_bit[kind[hj]]
        st = fi[r, p, fc[2]]
        if not (st == NONE or st == NOTICED):
            continue
        fi[r, p, fc[2]] = NOTICED
        route = best[r, hh]
        if route < 0:
            continue
        pr = rules.referral_probability(pm[r, _RBASE], aware[r, hh], eng[r, hj], slack[r, hj],
                                        best_value[r, hh], pm[r, _RFA], pm[r, _RFE],
                                        pm[r, _RFS], pm[r, _RFR])
        if not draws.as_uniform(codes[1, j]) < pr:
            continue
        # pooled capacities: the coordinators' case time, then the clearing desk
        if route == R_COORD:
            if coord_used[r] < coord_cap[r]:
                coord_used[r] += 1
            else:
                route = R_FLYER
        elif route == R_CLEARING:
            if clear_used[r] < clear_cap[r]:
                clear_used[r] += 1
            else:
                route = R_FLYER
        if route == R_FLYER and referral_minutes[r, R_FLYER] > share[r, hj]:
            continue  # no time left this week even for handing over a flyer
        spend[n_spend, 0] = r
        spend[n_spend, 1] = hj
        spend[n_spend, 2] = referral_minutes[r, route]
        n_spend += 1
        n_yes = _refer(t, r, p, hj, route, best_target[r, hh] if route == R_WARM else -1,
                       draws.as_uniform(codes[2, j]), fi, fc, pm, acceptance, ft_host, person,
                       routes, refring, yes, n_yes)
    return coord_used, spend[:n_spend], yes[:n_yes]


@_jit
def route_table(share, acq, filled, T, aware, warm_y, warm_q, hg_start, hc_start, n_coord,
                cpid0, has_office, pm):  # pragma: no cover - compiled
    """Each health slot's preferred referral route this week, its value and its target.

    Routes are tried in the order warm handover, clearing desk, coordinator, flyer; a
    later route replaces the best so far only with a strictly higher value, and only if
    the slot has the route's minutes per contact this week (``share``).

    Args:
        share: (R, n_prof) minutes per contact this week.
        acq: (R, n_pairs) acquaintance of each pair.
        filled: (R, n_prof) filled slots.
        T: (R, n_pairs) trust of each pair.
        aware: (R, nH) awareness of the health slots.
        warm_y: (nH, k) FH providers of each health slot's district (-1 padded).
        warm_q: (nH, k) the pairs of the health slot with them.
        hg_start: first pair of a health slot with the health office.
        hc_start: first pair of a health slot with a coordinator.
        n_coord: number of coordinator positions.
        cpid0: slot of the first coordinator.
        has_office: whether the municipality has a health-office liaison.
        pm: (R, 10) per-run parameters: referral minutes (warm, clearing, coordinator,
            flyer), route values (warm, clearing, coordinator, flyer), clearing desk
            (0/1), unused.

    Returns:
        best route (-1: none), its value (-1.0: none) and its target (the FH provider of
        a warm handover, else -1), each (R, nH).
    """
    R, nH = aware.shape
    best = np.full((R, nH), -1, np.int64)
    bv = np.full((R, nH), -1.0)
    tgt = np.full((R, nH), -1, np.int64)
    for r in range(R):
        for h in range(nH):
            sh = share[r, h]
            # warm handover: the most trusted acquainted FH provider with a filled slot
            tt = -1.0
            ti = -1
            for k in range(warm_y.shape[1]):
                y = warm_y[h, k]
                if y < 0:
                    continue
                q = warm_q[h, k]
                if acq[r, q] and filled[r, y] and T[r, q] > tt:
                    tt = T[r, q]
                    ti = y
            if ti >= 0 and pm[r, 0] <= sh:
                v = pm[r, 4] * tt
                if v > bv[r, h]:
                    best[r, h] = 0
                    bv[r, h] = v
                    tgt[r, h] = ti
            if has_office:
                q = hg_start + h
                tg = T[r, q] if acq[r, q] else T[r, q] * aware[r, h]
                v = pm[r, 5] * tg
                if pm[r, 8] != 0.0 and pm[r, 1] <= sh and v > bv[r, h]:
                    best[r, h] = 1
                    bv[r, h] = v
                    tgt[r, h] = -1
            if n_coord > 0:
                tc = -1.0
                for j in range(n_coord):
                    q = hc_start + h * n_coord + j
                    x = T[r, q] if acq[r, q] else T[r, q] * aware[r, h]
                    if filled[r, cpid0 + j] and x > tc:
                        tc = x
                v = pm[r, 6] * tc
                if pm[r, 2] <= sh and tc >= 0 and v > bv[r, h]:
                    best[r, h] = 2
                    bv[r, h] = v
                    tgt[r, h] = -1
            v = pm[r, 7]
            if pm[r, 3] <= sh and v > bv[r, h]:
                best[r, h] = 3
                bv[r, h] = v
                tgt[r, h] = -1
    return best, bv, tgt


@_jit
def reset_pairs(slot_mask, pa, pb, T, U, base_t, base_u, acq, last,
                never_met):  # pragma: no cover - compiled
    """Relationships of slots with a new person (or none) start again from the baseline."""
    R, nQ = T.shape
    for r in range(R):
        anyr = False
        for p in range(slot_mask.shape[1]):
            if slot_mask[r, p]:
                anyr = True
                break
        if not anyr:
            continue
        for q in range(nQ):
            if slot_mask[r, pa[q]] or slot_mask[r, pb[q]]:
                T[r, q] = base_t[r, q]
                U[r, q] = base_u[r, q]
                acq[r, q] = False
                last[r, q] = never_met


@_jit
def staff_week(t, u_turn, filled, vac, bank, case_bank, contract, end_year, turn_rate,
               turn_delay, project_mult, end_mult, cpid0, pa, pb, T, U, base_t, base_u, acq,
               last, never_met):  # pragma: no cover - compiled
    """Turnover of one week: who leaves, which vacancies are filled.

    Slots of open positions (every slot but closed coordinator positions) that are
    staffed lose their person with the weekly turnover probability (``u_turn`` below
    it); the slot stays vacant for its group's hiring delay and its relationships start
    again.  Vacancies count down.  Arrays are (R, n_prof) unless noted; ``contract`` and
    ``end_year`` (R, n_coord) describe the coordinator positions; ``project_mult`` and
    ``end_mult`` are (R,).

    Returns:
        leavers per run and the (R, n_prof) mask of slots that get a new person this week
        (a vacancy whose delay ran out, or a leaver whose group hires without delay).
    """
    R, nP = filled.shape
    nC = contract.shape[1]
    leavers = np.zeros(R, np.int64)
    newcomer = np.zeros((R, nP), np.bool_)
    leave = np.zeros((R, nP), np.bool_)
    for r in range(R):
        for p in range(nP):
            j = p - cpid0
            coord = 0 <= j < nC
            if coord and contract[r, j] <= 0:
                continue  # a closed position
            if not filled[r, p]:
                vac[r, p] -= 1
                if vac[r, p] <= 0:
                    newcomer[r, p] = True
                continue
            project = coord and contract[r, j] == 2
            to_end = float((end_year[r, j] + 1) * 52 - t) if project else 1e9
            prob = rules.turnover_probability(turn_rate[r, p], project, to_end,
                                              project_mult[r], end_mult[r])
            if u_turn[r, p] < prob:
                leave[r, p] = True
                leavers[r] += 1
                filled[r, p] = False
                vac[r, p] = turn_delay[r, p]
                bank[r, p] = 0
                if coord:
                    case_bank[r, j] = 0
                if turn_delay[r, p] <= 0:
                    newcomer[r, p] = True
    reset_pairs(leave, pa, pb, T, U, base_t, base_u, acq, last, never_met)
    return leavers, newcomer


@_jit
def _before(i, j, cand, acq, aware):  # pragma: no cover - compiled
    """Whether health slot ``i`` comes before ``j`` in a coordinator's visit order."""
    if cand[i] != cand[j]:
        return cand[i]
    if acq[i] != acq[j]:
        return not acq[i]
    a, b = aware[i], aware[j]
    if a < b:
        return True
    if a > b:
        return False
    if a == b:
        return i < j
    # NaN last, as np.lexsort sorts it
    if np.isnan(a) != np.isnan(b):
        return np.isnan(b)
    return i < j


@_jit
def _first_in_order(cand, acq, aware, K, out):  # pragma: no cover - compiled
    """The first ``K`` slots of one run in a coordinator's visit order, into ``out``.

    The order of ``np.lexsort((slot, aware, acq, ~cand))`` (:func:`_before`): candidates
    in the coordinator's area first, among them the not yet acquainted, the least aware,
    the lowest slot number.  The keys make it a total order, so the first ``K`` are
    unique.
    """
    m = 0  # a sorted buffer of the best m slots seen so far
    for i in range(len(cand)):
        if m == K and not _before(i, out[K - 1], cand, acq, aware):
            continue
        k = m if m < K else K - 1
        while k > 0 and _before(i, out[k - 1], cand, acq, aware):
            out[k] = out[k - 1]
            k -= 1
        out[k] = i
        if m < K:
            m += 1


@_jit
def pool_capacity(case_bank, filled, cpid0, minutes):  # pragma: no cover - compiled
    """How many items of ``minutes`` (R,) the filled coordinators' case time holds, per run.

    The sum over filled positions of ``case_bank // minutes`` (no limit where an item
    takes no minutes).
    """
    R, nC = case_bank.shape
    cap = np.zeros(R, np.int64)
    for r in range(R):
        it = minutes[r]
        for j in range(nC):
            if filled[r, cpid0 + j]:
                cap[r] += case_bank[r, j] // it if it > 0 else 2147483647
    return cap


@_jit
def take_pool(case_bank, filled, cpid0, minutes, used):  # pragma: no cover - compiled
    """Deduct ``used`` (R,) items of ``minutes`` from the coordinators' case time.

    First coordinator first, each as far as its account holds (in place).
    """
    R, nC = case_bank.shape
    for r in range(R):
        it = minutes[r]
        left = used[r]
        for j in range(nC):
            n = case_bank[r, j] // it if it > 0 else left
            take = min(n, left) if filled[r, cpid0 + j] else 0
            case_bank[r, j] -= take * it
            left -= take


@_jit
def spend(bank, run, pid, minutes, cat, n_cat):  # pragma: no cover - compiled
    """Take ``minutes`` from the time accounts ``bank[run, pid]`` (in place).

    Returns:
        (R, n_cat) minutes per run and booking category ``cat`` (integer sums, the same
        numbers as the float sums of ``np.bincount`` of integers far below 2**53).
    """
    sums = np.zeros((bank.shape[0], n_cat), np.int64)
    for i in range(len(run)):
        bank[run[i], pid[i]] -= minutes[i]
        sums[run[i], cat[i]] += minutes[i]
    return sums


@_jit
def case_interactions(run, pos, h, y, intake, fi, ff, fu, cols, u_col, urg_multiple,
                      urg_medium, clearing, inten_run, quality_p, spend_cat, sums, bank,
                      hy_pair, n_health, T, U, trust_base, underst_base, logic, inst,
                      mode_base, mode_coef, mh, my, info, plan, conflict, trust_gain,
                      trust_loss, info_weight, underst_gain, eng, eng_gain, eng_loss,
                      mode_case, pend_t, pend_u, touched, acq_new,
                      pend_e):  # pragma: no cover - compiled
    """Case cooperation of a list of cases (in run and family order) in one pass.

    Each case's health professional ``h`` and youth-welfare professional ``y`` choose a
    mode (``rules.mode_weights``, ``rules.choose_mode``) from their relationship, the
    time each has left this week (their time account shared among all their cases of
    this list), urgency, facilitation and the institutional frame; the interaction's
    consequences for trust and understanding (pairs that exist) and for both
    engagements are added to the pending changes.  Then both take the mode's minutes
    from their time accounts, booked in ``sums`` by category.  At intake the case keeps
    its mode, information, conflict and quality of help (``rules.case_quality``).

    Args:
        run: (n,) each case's run.
        pos: (n,) each case's family position in the ring buffer of its run.
        h: (n,) each case's health professional.
        y: (n,) each case's youth-welfare professional.
        intake: True at intake (the demand comes from the youth-welfare side; urgency
            from the burden, facilitation where a coordinator or the clearing desk
            brokered the referral), False at a crisis (from the health side; urgency 1,
            facilitation where a clearing desk exists).
        fi: (R, cap, k) the families' 32-bit fields.
        ff: (R, cap, k) the families' float fields.
        fu: (R, cap, k) the families' kept decision codes.
        cols: columns of burden, route and case_mode in ``fi`` and of case_info,
            case_conflict and quality in ``ff``.
        u_col: the column of ``fu`` of the mode decision.
        urg_multiple: (R,) urgency of multiple burdens.
        urg_medium: (R,) urgency of medium burdens.
        clearing: (R,) 1.0 where a clearing desk exists.
        inten_run: (R,) intensity of the interaction.
        quality_p: (R, 4) base, information, planning and conflict terms of quality.
        spend_cat: (n_prof,) booking category of every slot.
        sums: (R, n_cat) minutes spent per run and category (added to).
        bank: (R, n_prof) time accounts.
        hy_pair: (n_health, n_prof) pair index of (health or youth, youth) slots, -1.
        n_health: number of health slots.
        T: (R, n_pairs) trust of every pair.
        U: (R, n_pairs) understanding of every pair.
        trust_base: (R,) trust baseline of cross pairs (for pairs without one).
        underst_base: (R,) understanding baseline of cross pairs.
        logic: (R, n_prof) professional logic of every slot.
        inst: (R,) institutional frame (cooperation agreement, 0 or 1).
        mode_base: (R, 4) base weight of each mode.
        mode_coef: (R, 4, 7) feature coefficients of each mode.
        mh: (R, 4) minutes each mode takes on the health side.
        my: (R, 4) minutes each mode takes on the youth-welfare side.
        info: (R, 4) information exchanged in each mode.
        plan: (R, 4) joint planning in each mode.
        conflict: (R, 4) conflict in each mode.
        trust_gain: (R,) trust gain.
        trust_loss: (R,) trust loss.
        info_weight: (R,) weight of information in the trust gain.
        underst_gain: (R,) understanding gain.
        eng: (R, n_prof) engagement.
        eng_gain: (R,) engagement gain from joint planning.
        eng_loss: (R,) engagement loss from conflict.
        mode_case: (R, 4) counts of case modes this week (added to).
        pend_t: (R, n_pairs) pending trust changes (added to).
        pend_u: (R, n_pairs) pending understanding changes (added to).
        touched: (R, n_pairs) pairs that interacted this week (set).
        acq_new: (R, n_pairs) pairs that became acquainted this week (set).
        pend_e: (R, n_prof) pending engagement changes (added to).

    Returns:
        The mode of every case.
    """
    c_bur, c_rt, c_cm, c_info, c_conf, c_q = cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]
    n = len(run)
    R, nP = bank.shape
    cnt = np.zeros((R, nP), np.int64)
    for i in range(n):
        cnt[run[i], h[i]] += 1
        cnt[run[i], y[i]] += 1
    mode = np.empty(n, np.int64)
    feats = np.empty(7, np.float64)
    feas = np.empty(4, np.float64)
    for i in range(n):
        r, hi, yi = run[i], h[i], y[i]
        p = pos[i]
        if intake:
            bur = fi[r, p, c_bur]
            urg = urg_multiple[r] if bur == 2 else (urg_medium[r] if bur == 1 else 0.0)
            rt = fi[r, p, c_rt]
            fac = 1.0 if (rt == R_COORD or rt == R_CLEARING) else 0.0
        else:
            urg = 1.0
            fac = clearing[r]
        inten = inten_run[r]
        bh = bank[r, hi] // max(cnt[r, hi], 1)
        by = bank[r, yi] // max(cnt[r, yi], 1)
        q = hy_pair[min(hi, n_health - 1), yi]
        if q >= 0:
            bt = T[r, q]
            bu = U[r, q]
        else:
            bt = trust_base[r]
            bu = underst_base[r]
        mhp = mh[r, 3]
        myp = my[r, 3]
        sh = 1.0 if mhp == 0 else min(1.0, bh / max(mhp, 1))
        sy = 1.0 if myp == 0 else min(1.0, by / max(myp, 1))
        feats[0] = bt
        feats[1] = bu
        feats[2] = abs(logic[r, hi] - logic[r, yi]) * (1.0 - bu)
        feats[3] = min(sh, sy)
        feats[4] = urg
        feats[5] = fac
        feats[6] = inst[r]
        for m in range(4):
            feas[m] = 1.0 if (mh[r, m] <= bh and my[r, m] <= by) else 0.0
        m = rules.choose_mode(rules.mode_weights(feats, mode_base[r], mode_coef[r]), feas,
                              draws.as_uniform(fu[r, p, u_col]))
        mode[i] = m
        mode_case[r, m] += 1
        if q >= 0:
            pend_t[r, q] += rules.trust_delta(T[r, q], info[r, m], plan[r, m],
                                              conflict[r, m], trust_gain[r], trust_loss[r],
                                              inten, info_weight[r])
            pend_u[r, q] += rules.understanding_delta(U[r, q], info[r, m], underst_gain[r],
                                                      inten)
            touched[r, q] = True
            if m == rules.POSITIVE:
                acq_new[r, q] = True
        dem, oth = (yi, hi) if intake else (hi, yi)
        pend_e[r, dem] += rules.engagement_interaction_delta(
            eng[r, dem], plan[r, m], conflict[r, m], eng_gain[r], eng_loss[r], inten)
        pend_e[r, oth] += rules.engagement_interaction_delta(
            eng[r, oth], plan[r, m], 0.0, eng_gain[r], eng_loss[r], inten)
    # the time of both sides, after all modes are chosen; the case's outcome at intake
    for i in range(n):
        r, hi, yi, m = run[i], h[i], y[i], mode[i]
        bank[r, hi] -= mh[r, m]
        sums[r, spend_cat[hi]] += mh[r, m]
        bank[r, yi] -= my[r, m]
        sums[r, spend_cat[yi]] += my[r, m]
        if intake:
            p = pos[i]
            fi[r, p, c_cm] = m
            ff[r, p, c_info] = info[r, m]
            ff[r, p, c_conf] = conflict[r, m]
            ff[r, p, c_q] = rules.case_quality(info[r, m], plan[r, m], conflict[r, m],
                                               quality_p[r, 0], quality_p[r, 1],
                                               quality_p[r, 2], quality_p[r, 3])
    return mode


@_jit
def _meet_one(r, qi, hi, ci, te, transfer, slack, fac, u, inten, feats, feas, T, U, logic,
              inst, mode_base, mode_coef, info, plan, conflict, trust_gain, trust_loss,
              info_weight, underst_gain, eng, eng_gain, eng_loss, aware, refresh, mode_struct,
              pend_t, pend_u, touched, acq_new, pend_a, refreshed,
              pend_e):  # pragma: no cover - compiled
    """One face-to-face meeting of a coordinator ``ci`` with health professional ``hi``.

    The mode is chosen from the pair's trust ``te``, understanding, distance of logics,
    the professional's slack, facilitation ``fac`` and the institutional frame
    (``rules.mode_weights``, ``rules.choose_mode``, all modes feasible).  Its consequences
    for the pair's trust and understanding (from the trust level ``te``; with
    ``transfer`` the pair first takes over ``te`` as its trust) and the professional's
    engagement are added to the pending changes; the two know each other and the offers
    are fresh in the professional's mind (awareness refresh ``refresh`` per run).

    Returns:
        The mode of the meeting.
    """
    uq = U[r, qi]
    feats[0] = te
    feats[1] = uq
    feats[2] = abs(logic[r, hi] - logic[r, ci]) * (1.0 - uq)
    feats[3] = slack
    feats[4] = 0.0
    feats[5] = fac
    feats[6] = inst[r]
    m = rules.choose_mode(rules.mode_weights(feats, mode_base[r], mode_coef[r]), feas, u)
    mode_struct[r, m] += 1
    if transfer:
        pend_t[r, qi] += te - T[r, qi]
    pend_t[r, qi] += rules.trust_delta(te, info[r, m], plan[r, m], conflict[r, m],
                                       trust_gain[r], trust_loss[r], inten, info_weight[r])
    pend_u[r, qi] += rules.understanding_delta(uq, info[r, m], underst_gain[r], inten)
    touched[r, qi] = True
    acq_new[r, qi] = True
    pend_a[r, hi] += refresh[r] * (1.0 - aware[r, hi])
    refreshed[r, hi] = True
    pend_e[r, hi] += rules.engagement_interaction_delta(
        eng[r, hi], plan[r, m], conflict[r, m], eng_gain[r], eng_loss[r], inten)
    return m


@_jit
def visits_week(wk, cpid0, hc_start, area, dist, bank, cap_m, reserve, filled, acq, aware,
                comp, vm, hm, maxv, req_min, v_base, v_cold, v_floor_e, v_floor_c, u_visit,
                u_mode, inten, spend_cat, n_cat, T, U, logic, inst, mode_base, mode_coef, info,
                plan, conflict, trust_gain, trust_loss, info_weight, underst_gain, eng,
                eng_gain, eng_loss, refresh, mode_struct, pend_t, pend_u, touched, acq_new,
                pend_a, refreshed, pend_e):  # pragma: no cover - compiled
    """The coordinators' practice visits of one week, all runs, coordinator by coordinator.

    Coordinator ``j`` visits as many practices as its free time (time account less the
    meeting reserve) and ``maxv`` allow, in its visit order (:func:`_first_in_order`); a
    practice agrees with probability ``rules.visit_success_probability`` if it has the
    time.  A refused request costs the coordinator ``req_min`` (at most a visit); a
    visit costs both their minutes and is a face-to-face meeting (:func:`_meet_one`).

    Returns:
        (R, n_cat) minutes taken from the time accounts per run and booking category
        ``spend_cat`` of the professional.
    """
    R, nH = aware.shape
    nC = area.shape[0]
    sums = np.zeros((R, n_cat), np.int64)
    feats = np.empty(7, np.float64)
    feas = np.ones(4, np.float64)
    cand = np.empty(nH, np.bool_)
    known = np.empty(nH, np.bool_)
    order = np.empty(nH, np.int64)
    for j in range(nC):
        c = cpid0 + j
        for r in range(R):
            free = bank[r, c] - reserve[r, j]
            if not (filled[r, c] and vm[r] > 0 and free > 0):
                continue
            n = min(maxv[r], free // max(vm[r], 1))
            n_cand = 0
            for h in range(nH):
                cand[h] = area[j, dist[h]] and filled[r, h]
                known[h] = acq[r, hc_start + h * nC + j]
                n_cand += cand[h]
            n = min(n, n_cand)
            if n <= 0:
                continue
            _first_in_order(cand, known, aware[r], n, order)  # the first n of the order
            for k in range(n):
                h = order[k]
                q = hc_start + h * nC + j
                prob = rules.visit_success_probability(
                    v_base[r], eng[r, h], comp[r, j], 1.0 if acq[r, q] else 0.0, v_cold[r],
                    v_floor_e[r], v_floor_c[r])
                if u_visit[r, wk, j, k] < prob and bank[r, h] >= hm[r]:
                    bank[r, c] -= vm[r]
                    sums[r, spend_cat[c]] += vm[r]
                    cap = cap_m[r, h]
                    slack = bank[r, h] / max(cap, 1) if cap > 0 else 0.0
                    bank[r, h] -= hm[r]
                    sums[r, spend_cat[h]] += hm[r]
                    _meet_one(r, q, h, c, T[r, q], False, slack, 0.0, u_mode[r, wk, j, k],
                              inten[r], feats, feas, T, U, logic, inst, mode_base, mode_coef,
                              info, plan, conflict, trust_gain, trust_loss, info_weight,
                              underst_gain, eng, eng_gain, eng_loss, aware, refresh,
                              mode_struct, pend_t, pend_u, touched, acq_new, pend_a, refreshed,
                              pend_e)
                else:
                    mr = min(req_min[r], vm[r])
                    bank[r, c] -= mr
                    sums[r, spend_cat[c]] += mr
    return sums


@_jit
def _count_flags(r, cb, nb, kind_bits, contact_kind, noticed_kind):  # pragma: no cover
    """Count one family's kinds of contact ``cb`` and of noticing ``nb`` in run ``r``.

    Per kind (``kind_bits``): a contact of that kind; noticed only where there was one.
    """
    for i in range(len(kind_bits)):
        if cb & kind_bits[i]:
            contact_kind[r, i] += 1
            if nb & kind_bits[i]:
                noticed_kind[r, i] += 1


@_jit
def family_flags(run, cb, nb, kind_bits, contact_kind,
                 noticed_kind):  # pragma: no cover - compiled
    """:func:`_count_flags` of every listed family (``outputs.Recorder.add_family_flags``)."""
    for i in range(len(run)):
        _count_flags(run[i], cb[i], nb[i], kind_bits, contact_kind, noticed_kind)


@_jit
def present_flags(fi, c_cb, c_nb, head, tail, cap, kind_bits, contact_kind,
                  noticed_kind):  # pragma: no cover - compiled
    """:func:`_count_flags` of every family present (ids ``[head[r], tail[r])`` of run r).

    ``c_cb`` and ``c_nb`` are the columns of ``fi`` of the kinds of contact inside the
    horizon and of noticing (the end of a run: ``VectorEngine.result``).
    """
    for r in range(len(head)):
        p = head[r] % cap
        for _f in range(head[r], tail[r]):
            _count_flags(r, fi[r, p, c_cb], fi[r, p, c_nb], kind_bits, contact_kind,
                         noticed_kind)
            p = p + 1 if p + 1 < cap else 0


@_jit
def birthdays_and_exits(fi, col, lo_b, hi_b, lo_x, hi_x, cap, cases, n_health, in_help,
                        waiting, kind_bits, contact_kind,
                        noticed_kind):  # pragma: no cover - compiled
    """First birthdays and exits at the third birthday of one week, all runs.

    Families ``[lo_b, hi_b)`` of each run have their first birthday, families
    ``[lo_x, hi_x)`` leave.  ``col`` holds the columns of ``fi`` of the fields bw,
    burden, y1, first_help, crisis_week, state, worker, fid, cb_exit and nbits.  Leaving
    families free their caseload place (``cases``) and their slot of the ring buffer, and
    their kinds of contact and of noticing are counted per run and kind (``kind_bits``)
    into ``contact_kind`` and ``noticed_kind`` (R, kinds), as ``outputs.Recorder.add_
    family_flags`` counts them (:func:`_count_flags`).

    Returns:
        (R, 8) counts per run: born, with a first-year contact, burdened, burdened and
        reached (first birthdays; born in the simulation), burdened exits, of them
        reached before a crisis, exits waiting and exits in help; and the number of
        leaving families.
    """
    c_bw, c_bur, c_y1, c_fh, c_cw, c_st, c_wk, c_fid, c_cb, c_nb = (
        col[0], col[1], col[2], col[3], col[4], col[5], col[6], col[7], col[8], col[9])
    R = len(lo_b)
    cnt = np.zeros((R, 8), np.int64)
    n_x = 0
    for r in range(R):
        p = lo_b[r] % cap  # the ring positions of consecutive ids (no division per family)
        for _f in range(lo_b[r], hi_b[r]):
            if fi[r, p, c_bw] >= 0:
                cnt[r, 0] += 1
                if fi[r, p, c_y1] != 0:
                    cnt[r, 1] += 1
                if fi[r, p, c_bur] > 0:
                    cnt[r, 2] += 1
                    if fi[r, p, c_fh] >= 0:
                        cnt[r, 3] += 1
            p = p + 1 if p + 1 < cap else 0
        p = lo_x[r] % cap
        for _f in range(lo_x[r], hi_x[r]):
            if fi[r, p, c_bw] >= 0 and fi[r, p, c_bur] > 0:
                cnt[r, 4] += 1
                fh = fi[r, p, c_fh]
                cw = fi[r, p, c_cw]
                if fh >= 0 and (cw < 0 or fh < cw):
                    cnt[r, 5] += 1
            st = fi[r, p, c_st]
            if st == waiting:
                cnt[r, 6] += 1
            elif st == in_help:
                cases[r, fi[r, p, c_wk] - n_health] -= 1
                fi[r, p, c_wk] = -1
                cnt[r, 7] += 1
            _count_flags(r, fi[r, p, c_cb], fi[r, p, c_nb], kind_bits, contact_kind,
                         noticed_kind)
            n_x += 1
            fi[r, p, c_fid] = -1
            p = p + 1 if p + 1 < cap else 0
    return cnt, n_x


@_jit
def _first_crossing(t_upd, h0, h, e, never_week):  # pragma: no cover - compiled
    """First week w >= t_upd whose cumulative hazard h0 + (w - t_upd + 1) * h reaches e.

    Integer hazard units; ``never_week`` where the hazard ``h`` is 0.
    """
    if h <= 0:
        return never_week
    k = (e - h0 + h - 1) // h
    return t_upd - 1 + max(k, 1)


@_jit
def _later_onset(burden, onset, entry, exit_week, weeks):  # pragma: no cover - compiled
    """Whether a burden's onset falls after entry, before the exit and inside the horizon."""
    return burden > 0 and entry < onset < exit_week and onset < weeks


@_jit
def entry_hazards(run, fid, bw, burden, onset, e_crisis, units, prenatal_weeks, stay_weeks,
                  weeks, never_week):  # pragma: no cover - compiled
    """Entry week, crisis hazard from entry and its first crossing of a block of families.

    A family enters ``prenatal_weeks`` before its birth (families present at the start
    at week 0) with the hazard of its run (``units`` (R, 3): a multiple, a medium or no
    noticeable burden; a burden counts from its onset week on).  The onset of a burden
    after entry, before the exit and inside the horizon changes the hazard: these onsets
    are listed by week (families in block order within a week).

    Returns:
        entry week, hazard units per week from entry, first week the cumulative hazard
        reaches ``e_crisis`` (``_first_crossing``; ``never_week`` for no hazard), and the
        later onsets' weeks, runs and family ids (``fid``).
    """
    n = len(run)
    te = np.empty(n, np.int64)
    h0 = np.empty(n, np.int64)
    at = np.empty(n, np.int64)
    cnt = np.zeros(weeks + 1, np.int64)
    for i in range(n):
        t0 = max(bw[i] - prenatal_weeks, 0)
        b = burden[i]
        on = onset[i]
        te[i] = t0
        cls = _vis_class(b, on, t0)
        if _later_onset(b, on, t0, bw[i] + stay_weeks, weeks):
            cnt[on + 1] += 1  # a later onset changes the hazard
        h = units[run[i], cls]
        h0[i] = h
        at[i] = _first_crossing(t0, 0, h, e_crisis[i], never_week)
    for w in range(1, weeks + 1):
        cnt[w] += cnt[w - 1]
    m = cnt[weeks]
    o_week = np.empty(m, np.int64)
    o_run = np.empty(m, np.int64)
    o_fid = np.empty(m, np.int64)
    for i in range(n):
        on = onset[i]
        if _later_onset(burden[i], on, te[i], bw[i] + stay_weeks, weeks):
            k = cnt[on]
            cnt[on] += 1
            o_week[k] = on
            o_run[k] = run[i]
            o_fid[k] = fid[i]
    return te, h0, at, o_week, o_run, o_fid


@_jit
def rehazard(t, fi, fh, ff, col, q_col, run, pos, fid, hz_multiple, hz_medium, hz_low,
             help_effect, post_effect, crisis, in_help, done, stay_weeks,
             never_week):  # pragma: no cover - compiled
    """Bring the crisis hazard of families up to date and reschedule their crisis.

    For every listed family (run, ring position; where ``fid`` is not -1, only if that
    family is still at the position) not in crisis: the hazard
    accumulated since the last update is added (integer hazard units), the hazard of
    week ``t`` on is taken from its burden, onset and help (``rules.crisis_hazard_
    multiplier``, ``rules.hazard_units``), and the first week the cumulative hazard
    reaches the family's threshold becomes its crisis week.  A family listed twice is
    brought up to date once: the second time changes nothing.  ``col`` holds the columns
    of burden, onset, state, H0, t_upd, h_cur, e_crisis, crisis_at, bw and fid: of ``fi``
    (32-bit fields) except H0 ... crisis_at, which are columns of ``fh`` (64 bits);
    ``q_col`` the column of ``ff`` of the quality of help.

    Returns:
        week, run and family id of every crisis that falls before the family's exit.
    """
    c_bur, c_on, c_st, c_h0, c_tu, c_hc, c_ec, c_ca, c_bw, c_fid = (
        col[0], col[1], col[2], col[3], col[4], col[5], col[6], col[7], col[8], col[9])
    n = len(run)
    o_at = np.empty(n, np.int64)
    o_run = np.empty(n, np.int64)
    o_fid = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        r = run[i]
        p = pos[i]
        if fid[i] >= 0 and fi[r, p, c_fid] != fid[i]:
            continue
        st = fi[r, p, c_st]
        if st == crisis:
            continue
        cls = _vis_class(fi[r, p, c_bur], fi[r, p, c_on], t)
        hz = hz_multiple[r] if cls == 0 else (hz_medium[r] if cls == 1 else hz_low[r])
        mult = rules.crisis_hazard_multiplier(st == in_help, st == done, ff[r, p, q_col],
                                              help_effect[r], post_effect[r])
        h_new = np.int64(rules.hazard_units(hz * mult))
        h0 = fh[r, p, c_h0] + (t - fh[r, p, c_tu]) * fh[r, p, c_hc]
        fh[r, p, c_h0] = h0
        fh[r, p, c_tu] = t
        fh[r, p, c_hc] = h_new
        at = _first_crossing(t, h0, h_new, fh[r, p, c_ec], never_week)
        fh[r, p, c_ca] = at
        if at < fi[r, p, c_bw] + stay_weeks:
            o_at[k] = at
            o_run[k] = r
            o_fid[k] = fi[r, p, c_fid]
            k += 1
    return o_at[:k], o_run[:k], o_fid[:k]


@_jit
def meeting_pairs(present, pa, pb, cross_pair, T, U, logic, comp, inst, mode_base, mode_coef,
                  u_mode, info, plan, conflict, trust_gain, trust_loss, info_weight,
                  underst_gain, inten, u_acq, occ, p_acq, pend_t, pend_u, touched,
                  acq_new):  # pragma: no cover - compiled
    """The relationships at one meeting of every run: mode, trust, understanding.

    The meeting's mode (``rules.mode_weights``, ``rules.choose_mode``) depends on the mean
    trust, understanding and distance of logics of the cross-sector pairs present
    (sequential sums in pair order), the organising coordinator's competence ``comp``
    and the institutional frame; every pair present takes the mode's consequences for
    trust and understanding and may become acquainted (``u_acq[r, occ[r], q] <
    p_acq[r]``).

    Returns:
        The mode of each run's meeting.
    """
    R, nQ = T.shape
    mode = np.empty(R, np.int64)
    feats = np.empty(7, np.float64)
    feas = np.ones(4, np.float64)
    for r in range(R):
        ts = 0.0
        us = 0.0
        ds = 0.0
        cnt = 0
        for q in range(nQ):
            c = present[r, pa[q]] and present[r, pb[q]] and cross_pair[q]
            tv = T[r, q] if c else 0.0
            uv = U[r, q] if c else 0.0
            dv = abs(logic[r, pa[q]] - logic[r, pb[q]]) * (1.0 - U[r, q]) if c else 0.0
            if q == 0:
                ts, us, ds = tv, uv, dv
            else:
                ts += tv
                us += uv
                ds += dv
            if c:
                cnt += 1
        n = np.float64(max(cnt, 1))
        feats[0] = ts / n
        feats[1] = us / n
        feats[2] = ds / n
        feats[3] = 1.0
        feats[4] = 0.0
        feats[5] = comp[r]
        feats[6] = inst[r]
        m = rules.choose_mode(rules.mode_weights(feats, mode_base[r], mode_coef[r]), feas,
                              u_mode[r])
        mode[r] = m
        for q in range(nQ):
            if present[r, pa[q]] and present[r, pb[q]]:
                pend_t[r, q] += rules.trust_delta(T[r, q], info[r, m], plan[r, m],
                                                  conflict[r, m], trust_gain[r],
                                                  trust_loss[r], inten[r], info_weight[r])
                pend_u[r, q] += rules.understanding_delta(U[r, q], info[r, m],
                                                          underst_gain[r], inten[r])
                touched[r, q] = True
                if u_acq[r, occ[r], q] < p_acq[r]:
                    acq_new[r, q] = True
    return mode


@_jit
def progress_week(t, d_run, d_fid, x_run, x_fid, fi, fh, ff, fu, col, drop_col, info_col,
                  ki_feedback, cap, n_health, cases, in_help_n, waiting_n, dropouts, filled,
                  person, case_bank, cpid0, n_coord, fb_minutes, coord_min, ca_feedback,
                  fb_share, fb_floor, refresh, e_gain, e_loss, tr_gain, tr_loss, tr_inten,
                  tr_info_weight, aware, pend_a, refreshed, eng, pend_e, hy_pair, T, pend_t,
                  touched, in_help, waiting, done, noticed, r_coord,
                  r_lots):  # pragma: no cover - compiled
    """Help completed with feedback, and dropouts, of one week, all runs.

    ``(d_run, d_fid)`` are the families whose help is scheduled to end in week ``t``,
    ``(x_run, x_fid)`` those whose dropout is scheduled for it (each in run and family id
    order, as the calendars give them; families no longer present are skipped).  ``col``
    holds the columns of ``fi`` of the fields fid, state, help_end, worker,
    assigned_week, accepted_week, declined, referrer, ref_person and route; ``drop_col``
    the column of ``fh`` of drop_at, ``info_col`` that of ``ff`` of case_info.

    Completed help frees the caseload place; the referring professional, if still the same
    person in the slot and not the Lotsendienst, may hear how the case went
    (``rules.lift`` of the case's information; full information where a coordinator
    passes it on, as far as the coordinators' case time holds, family by family): heard
    feedback refreshes awareness and engagement and builds the pair's trust, no feedback
    costs engagement.  A dropout in help frees the place; a dropout while waiting counts
    as a declined offer.

    Returns:
        run and ring position of the families whose help ended (completed, then dropped
        out in help), whose crisis hazard changes.
    """
    c_fid, c_st, c_he, c_wk, c_aw, c_acw, c_dec, c_ref, c_rp, c_rt = (
        col[0], col[1], col[2], col[3], col[4], col[5], col[6], col[7], col[8], col[9])
    R = len(in_help_n)
    nd = len(d_run)
    nx = len(x_run)
    _keep(_touch(fi, d_run, d_fid, cap, c_st) + _touch(fi, x_run, x_fid, cap, c_st))
    ch_run = np.empty(nd + nx, np.int64)
    ch_pos = np.empty(nd + nx, np.int64)
    d_y = np.empty(nd, np.int64)
    k = 0
    # help completed this week
    for i in range(nd):
        r = d_run[i]
        f = d_fid[i]
        p = f % cap
        if fi[r, p, c_fid] != f or fi[r, p, c_st] != in_help or fi[r, p, c_he] != t:
            continue
        y = fi[r, p, c_wk]
        cases[r, y - n_health] -= 1
        fi[r, p, c_wk] = -1
        fi[r, p, c_st] = done
        fh[r, p, drop_col] = -1
        in_help_n[r] -= 1
        ch_run[k] = r
        ch_pos[k] = p
        d_y[k] = y
        k += 1
    # feedback to the referring professional, in family order: the coordinators' case
    # time serves the families referred by a coordinator first come, first served
    capn = pool_capacity(case_bank, filled, cpid0, fb_minutes)
    n_cm = np.zeros(R, np.int64)
    any_cm = False
    for i in range(k):
        r = ch_run[i]
        p = ch_pos[i]
        y = d_y[i]
        h = fi[r, p, c_ref]
        if h < 0 or not filled[r, h] or person[r, h] != fi[r, p, c_rp]:
            continue
        rt = fi[r, p, c_rt]
        if rt == r_lots:
            continue
        info = ff[r, p, info_col]
        if rt == r_coord and n_coord > 0:
            any_cm = True
            if n_cm[r] < capn[r]:
                info = 1.0
            n_cm[r] += 1
        pf = fb_share[r] * rules.lift(info, fb_floor[r])
        heard = draws.as_uniform(fu[r, p, ki_feedback]) < pf
        hh = min(h, n_health - 1)
        if heard:
            pend_a[r, hh] += refresh[r] * (1.0 - aware[r, hh])
            refreshed[r, hh] = True
        e = eng[r, h]
        if heard:
            pend_e[r, h] += e_gain[r] * (1.0 - e)
        else:
            pend_e[r, h] += -(e_loss[r] * e)
        q = hy_pair[hh, y]
        if heard and q >= 0 and filled[r, y]:
            pend_t[r, q] += rules.trust_delta(T[r, q], 1.0, 0.0, 0.0, tr_gain[r], tr_loss[r],
                                              tr_inten[r], tr_info_weight[r])
            touched[r, q] = True
    if any_cm:
        # the served families' minutes, first coordinator first
        used = np.minimum(n_cm, capn)
        take_pool(case_bank, filled, cpid0, fb_minutes, used)
        for r in range(R):
            coord_min[r, ca_feedback] += used[r] * fb_minutes[r]
    # dropouts scheduled for this week
    for i in range(nx):
        r = x_run[i]
        f = x_fid[i]
        p = f % cap
        if fi[r, p, c_fid] != f or fh[r, p, drop_col] != t:
            continue
        st = fi[r, p, c_st]
        if st == in_help and fi[r, p, c_aw] < t and t < fi[r, p, c_he]:
            cases[r, fi[r, p, c_wk] - n_health] -= 1
            fi[r, p, c_wk] = -1
            fi[r, p, c_st] = noticed
            fh[r, p, drop_col] = -1
            in_help_n[r] -= 1
            dropouts[r] += 1
            ch_run[k] = r
            ch_pos[k] = p
            k += 1
        elif st == waiting and fi[r, p, c_acw] < t:
            fi[r, p, c_st] = noticed
            fi[r, p, c_dec] += 1
            fh[r, p, drop_col] = -1
            waiting_n[r] -= 1
            dropouts[r] += 1
    return ch_run[:k], ch_pos[:k]


@_jit
def crises_week(t, run, fid, fi, fh, col, hcol, cap, n_health, cases, in_help_n, waiting_n,
                crises, filled, asd_tab, asd_n, in_help, waiting,
                crisis):  # pragma: no cover - compiled
    """The crises of week ``t``, all runs.

    ``(run, fid)`` are the families whose crisis is scheduled for week ``t`` (in run and
    family id order; families no longer present, already in crisis or rescheduled are
    skipped).  ``col`` holds the columns of ``fi`` of the fields fid, state, worker,
    crisis_week, fdist, bw, ped and gyn; ``hcol`` those of ``fh`` of crisis_at and
    drop_at.  A crisis ends help or waiting (freeing the caseload place).  The crisis
    cooperation is between the family's practice (the gynecology practice before the
    birth, the pediatric one after) and the district's responsible ASD worker: the
    family's own by its id among the district's (``asd_tab[d, :asd_n[d]]``), or the next
    filled one.

    Returns:
        run, ring position, practice and ASD worker of every crisis with both filled.
    """
    c_fid, c_st, c_wk, c_cw, c_dist, c_bw, c_ped, c_gyn = (
        col[0], col[1], col[2], col[3], col[4], col[5], col[6], col[7])
    c_ca, c_drop = hcol[0], hcol[1]
    n = len(run)
    _keep(_touch(fi, run, fid, cap, c_st))
    o_run = np.empty(n, np.int64)
    o_pos = np.empty(n, np.int64)
    o_h = np.empty(n, np.int64)
    o_a = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        r = run[i]
        f = fid[i]
        p = f % cap
        if fi[r, p, c_fid] != f or fh[r, p, c_ca] != t or fi[r, p, c_st] == crisis:
            continue
        crises[r] += 1
        fi[r, p, c_cw] = t
        st = fi[r, p, c_st]
        if st == in_help:
            in_help_n[r] -= 1
            cases[r, fi[r, p, c_wk] - n_health] -= 1
            fi[r, p, c_wk] = -1
        elif st == waiting:
            waiting_n[r] -= 1
        fi[r, p, c_st] = crisis
        fh[r, p, c_drop] = -1
        d = fi[r, p, c_dist]
        m = asd_n[d]
        a = -1
        for kk in range(m):
            cand = asd_tab[d, (f + kk) % m]
            if filled[r, cand]:
                a = cand
                break
        hp = fi[r, p, c_ped] if t >= fi[r, p, c_bw] else fi[r, p, c_gyn]
        if a >= 0 and filled[r, hp]:
            o_run[k] = r
            o_pos[k] = p
            o_h[k] = hp
            o_a[k] = a
            k += 1
    return o_run[:k], o_pos[:k], o_h[:k], o_a[:k]


@_jit
def intake_week(t, run, fid, fi, ff, col, f_col, cap, n_health, filled, person, is_fh,
                capacity, cases, dist, fh_tab, fh_n, weeks, waiting_n, in_help_n, delay_hist,
                delay_hi,
                dur_medium, dur_multiple, quality_base, mode_case, in_help, waiting, r_warm,
                r_clearing, r_coord, r_lots, negative):  # pragma: no cover - compiled
    """Intake into early help (Frühe Hilfen) of one week, all runs.

    ``(run, fid)`` lists the waiting families (in run and family id order, each once;
    families no longer present or no longer waiting are skipped).  ``col`` holds the
    columns of ``fi`` of the fields fid, state, route, target, accepted_week,
    waiting_since, fdist, first_help, first_noticeable, burden, help_end, worker,
    assigned_week, referrer, ref_person and case_mode; ``f_col`` those of ``ff`` of
    case_info, case_conflict and quality.

    Free places are those of filled family-help slots (``is_fh``) under their capacity.  A
    warm referral accepted this week goes to its target if it has a free place (in family
    order); every other waiting family queues in its district (the target's district for
    warm referrals) in the order of waiting since, then family id, and takes the place
    its rank reaches in the district's family-help slots (``fh_tab[d, :fh_n[d]]``) by
    their free places.  An assigned family starts help for its burden's duration; the
    weeks from the first noticeable contact to help go into ``delay_hist`` (first help
    only; ``delay_hi`` (R,) keeps the bin after the last one used).  Where no channel of
    case cooperation exists (the referral came by a warm, coordinator or clearing route
    from a professional still in place) the case has no interaction: negative
    coordination, unless the Lotsendienst referred.

    Returns:
        run, ring position, family id, worker, end of help and channel (the referrer, -1
        if none) of every assigned family, in run and family id order; and run and
        family id of the families still waiting.
    """
    (c_fid, c_st, c_rt, c_tg, c_acw, c_ws, c_fd, c_fh, c_fn, c_bur, c_he, c_wk, c_aw,
     c_ref, c_rp, c_cm) = (col[0], col[1], col[2], col[3], col[4], col[5], col[6], col[7],
                           col[8], col[9], col[10], col[11], col[12], col[13], col[14],
                           col[15])
    c_info, c_conf, c_q = f_col[0], f_col[1], f_col[2]
    R, nY = cases.shape
    nD = len(fh_n)
    n = len(run)
    _keep(_touch(fi, run, fid, cap, c_st))
    wr = np.empty(n, np.int64)
    wp = np.empty(n, np.int64)
    wf = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        r = run[i]
        f = fid[i]
        p = f % cap
        if fi[r, p, c_fid] == f and fi[r, p, c_st] == waiting:
            wr[m] = r
            wp[m] = p
            wf[m] = f
            m += 1
    free = np.zeros((R, nY), np.int64)
    for r in range(R):
        for y in range(nY):
            if filled[r, n_health + y] and is_fh[y]:
                free[r, y] = capacity[r, y] - cases[r, y]
    assigned = np.full(m, -1, np.int64)
    # warm referrals accepted this week: their target, as far as it has free places
    rank = np.zeros((R, nY), np.int64)
    free0 = free.copy()
    for i in range(m):
        r = wr[i]
        p = wp[i]
        if fi[r, p, c_acw] == t and fi[r, p, c_rt] == r_warm:
            ty = fi[r, p, c_tg] - n_health
            if rank[r, ty] < free0[r, ty]:
                assigned[i] = fi[r, p, c_tg]
                free[r, ty] -= 1
            rank[r, ty] += 1
    # the district queues, by (run, district, waiting since, family id)
    W = weeks + 2
    qi = np.empty(m, np.int64)
    qk = np.empty(m, np.int64)
    qd = np.empty(m, np.int64)
    nq = 0
    for i in range(m):
        if assigned[i] >= 0:
            continue
        r = wr[i]
        p = wp[i]
        if fi[r, p, c_rt] == r_warm:
            d = dist[max(fi[r, p, c_tg], 0)]
        else:
            d = fi[r, p, c_fd]
        qi[nq] = i
        qd[nq] = d
        qk[nq] = (r * nD + d) * W + (fi[r, p, c_ws] + 1)
        nq += 1
    o = np.argsort(qk[:nq], kind="mergesort")
    cum = np.zeros(fh_tab.shape[1], np.int64)
    prev_r = -1
    prev_d = -1
    k = 0
    for j in range(nq):
        i = qi[o[j]]
        d = qd[o[j]]
        r = wr[i]
        if r != prev_r or d != prev_d:
            prev_r = r
            prev_d = d
            k = 0
            s = 0
            for j2 in range(fh_n[d]):
                s += free[r, fh_tab[d, j2] - n_health]
                cum[j2] = s
        slot = 0
        for j2 in range(fh_n[d]):
            if cum[j2] <= k:
                slot += 1
        if slot < fh_n[d]:
            assigned[i] = fh_tab[d, slot]
        k += 1
    # the assigned families start help, in family order
    na = 0
    for i in range(m):
        if assigned[i] >= 0:
            na += 1
    a_run = np.empty(na, np.int64)
    a_pos = np.empty(na, np.int64)
    a_fid = np.empty(na, np.int64)
    a_wk = np.empty(na, np.int64)
    a_end = np.empty(na, np.int64)
    a_chan = np.empty(na, np.int64)
    s_run = np.empty(m - na, np.int64)
    s_fid = np.empty(m - na, np.int64)
    ka = 0
    ks = 0
    for i in range(m):
        r = wr[i]
        p = wp[i]
        wa = assigned[i]
        if wa < 0:
            s_run[ks] = r
            s_fid[ks] = wf[i]
            ks += 1
            continue
        fi[r, p, c_st] = in_help
        waiting_n[r] -= 1
        in_help_n[r] += 1
        if fi[r, p, c_fh] < 0:
            fi[r, p, c_fh] = t
            fnz = fi[r, p, c_fn]
            # the first contact at which the burden was noticeable has happened by now
            if fnz >= 0 and fnz <= t:
                kb = min(t - fnz, delay_hist.shape[1] - 1)
                delay_hist[r, kb] += 1
                delay_hi[r] = max(delay_hi[r], kb + 1)
        dur = dur_multiple[r] if fi[r, p, c_bur] == 2 else dur_medium[r]
        fi[r, p, c_he] = t + dur
        fi[r, p, c_wk] = wa
        fi[r, p, c_aw] = t
        cases[r, wa - n_health] += 1
        ref = fi[r, p, c_ref]
        rt = fi[r, p, c_rt]
        chan = ((rt == r_warm or rt == r_coord or rt == r_clearing) and ref >= 0
                and filled[r, ref] and person[r, ref] == fi[r, p, c_rp])
        if not chan:
            ff[r, p, c_info] = 0.0
            ff[r, p, c_conf] = 0.0
            ff[r, p, c_q] = quality_base[r]
            if rt != r_lots:
                fi[r, p, c_cm] = negative
                mode_case[r, negative] += 1
            else:
                fi[r, p, c_cm] = -1
        a_run[ka] = r
        a_pos[ka] = p
        a_fid[ka] = wf[i]
        a_wk[ka] = wa
        a_end[ka] = t + dur
        a_chan[ka] = ref if chan else -1
        ka += 1
    return a_run, a_pos, a_fid, a_wk, a_end, a_chan, s_run, s_fid


@_jit
def spell_dropouts(t, run, pos, fid, end, fh, ff, e_col, drop_col, conf_col, base, conflict,
                   never_week):  # pragma: no cover - compiled
    """Schedule the dropout of spells (waiting, or in help) that started in week ``t``.

    The weekly dropout hazard of a spell is ``base + conflict * case_conflict`` (per run,
    in hazard units; ``conflict`` is 0 for waiting); the first week from ``t + 1`` whose
    cumulative hazard reaches the family's threshold (column ``e_col`` of ``fh``) is its
    dropout week, written to ``drop_col`` if it falls before the end of the spell
    ``end``, else -1.

    Returns:
        week, run and family id of every dropout scheduled.
    """
    n = len(run)
    o_at = np.empty(n, np.int64)
    o_run = np.empty(n, np.int64)
    o_fid = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        r = run[i]
        p = pos[i]
        hd = np.int64(rules.hazard_units(base[r] + conflict[r] * ff[r, p, conf_col]))
        at = _first_crossing(t + 1, 0, hd, fh[r, p, e_col], never_week)
        if at >= end[i]:
            at = -1
        fh[r, p, drop_col] = at
        if at >= 0:
            o_at[k] = at
            o_run[k] = r
            o_fid[k] = fid[i]
            k += 1
    return o_at[:k], o_run[:k], o_fid[:k]


@_jit
def accounts_week(wk, filled, nonhealth, contract, cpid0, mfa, phys, u_mfa, mfa_q, gpid,
                  u_liaison, liaison_rate, hg_start, acq_new, touched, bank, weekly, cap_m,
                  case_bank, case_weekly, case_cap, paid_min, other_min, coord_min,
                  ca_other, fte, coord_cost, lots_fte, lots_cost,
                  cost):  # pragma: no cover - compiled
    """Vacancies, trained MFA, liaison contacts and time accounts of week ``wk`` of a year.

    Arrays are (R, n_prof) unless noted.  Counts the vacant slots of open positions
    outside the health sector; trained medical assistants (MFA) of physicians'
    practices leave with probability ``mfa_q`` (``u_mfa`` (R, 52, n_health)); a filled
    health-office liaison (slot ``gpid``, -1 if none) makes routine contact with each
    health slot with probability ``liaison_rate`` (``u_liaison`` (R, 52, n_health); the
    liaison pairs start at ``hg_start``).  Filled slots get their weekly minutes up to
    their cap, filled coordinators (R, n_coord) their case minutes; the filled
    coordinators' paid and other-duties minutes are booked (``coord_min`` column
    ``ca_other``).  ``cost`` columns 0 and 1 get the week's coordinator and Lotsendienst
    cost (``coord_cost`` and ``lots_cost`` per FTE and year).

    Returns:
        per run: the vacancies, the filled coordinator FTE (a sequential sum in position
        order) and the paid coordinator minutes.
    """
    R, nP = filled.shape
    nH = mfa.shape[1]
    nC = contract.shape[1]
    vacancies = np.zeros(R, np.int64)
    fte_filled = np.zeros(R)
    coord_paid = np.zeros(R, np.int64)
    for r in range(R):
        for p in range(nP):
            j = p - cpid0
            active = contract[r, j] > 0 if 0 <= j < nC else True
            if nonhealth[p] and not filled[r, p] and active:
                vacancies[r] += 1
            if filled[r, p]:
                b = bank[r, p] + weekly[r, p]
                bank[r, p] = b if b < cap_m[r, p] else cap_m[r, p]
        for h in range(nH):
            if phys[h] and mfa[r, h] and u_mfa[r, wk, h] < mfa_q[r]:
                mfa[r, h] = False
        if gpid >= 0 and filled[r, gpid]:
            for h in range(nH):
                if u_liaison[r, wk, h] < liaison_rate[r]:
                    acq_new[r, hg_start + h] = True
                    touched[r, hg_start + h] = True
        s = 0.0
        for j in range(nC):
            if filled[r, cpid0 + j]:
                b = case_bank[r, j] + case_weekly[r, j]
                case_bank[r, j] = b if b < case_cap[r, j] else case_cap[r, j]
                coord_paid[r] += paid_min[r, j]
                coord_min[r, ca_other] += other_min[r, j]
                s += fte[r, j]
        fte_filled[r] = s
        cost[r, 0] = s * coord_cost[r] / 52.0
        cost[r, 1] = lots_fte[r] * lots_cost[r] / 52.0
    return vacancies, fte_filled, coord_paid


@_jit
def calendar_add(head, nxt, key, state, weeks, run, fid):  # pragma: no cover - compiled
    """Add events (week, run, family id) to an event calendar (see calendar_pop).

    The calendar is a list of nodes per week: ``head[w]`` is the first node of week
    ``w`` (-1: none), ``nxt`` the next node of each node and ``key`` its event as
    ``run * 2**40 + fid``; ``state`` holds the first free node, the number of free nodes
    (at least ``len(weeks)``) and the last week popped.  Events of weeks already popped
    or not before ``len(head)`` are dropped.
    """
    lo = state[2]
    hi = len(head)
    k = 0
    for i in range(len(weeks)):
        w = weeks[i]
        if w <= lo or w >= hi:
            continue
        node = state[0]
        state[0] = nxt[node]
        key[node] = run[i] * (1 << 40) + fid[i]
        nxt[node] = head[w]
        head[w] = node
        k += 1
    state[1] -= k


@_jit
def _calendar_free(head, nxt, state, w):  # pragma: no cover - compiled
    """Return the nodes of week ``w`` to the free list; their number."""
    node = head[w]
    n = 0
    while node >= 0:
        after = nxt[node]
        nxt[node] = state[0]
        state[0] = node
        node = after
        n += 1
    head[w] = -1
    state[1] += n
    return n


@_jit
def calendar_pop(head, nxt, key, state, week):  # pragma: no cover - compiled
    """The events of ``week`` (see calendar_add), each once, in (run, id) order.

    Weeks must be popped in increasing order; the events of weeks skipped since the last
    pop are dropped.

    Returns:
        run and family id of every event.
    """
    hi = len(head)
    for w in range(max(state[2] + 1, 0), min(week, hi)):
        _calendar_free(head, nxt, state, w)
    n = 0
    if 0 <= week < hi:
        node = head[week]
        while node >= 0:
            n += 1
            node = nxt[node]
    out = np.empty(n, np.int64)
    if n:
        node = head[week]
        for i in range(n):
            out[i] = key[node]
            node = nxt[node]
        _calendar_free(head, nxt, state, week)
    state[2] = max(state[2], week)
    out.sort()
    m = 0
    for i in range(n):
        if i == 0 or out[i] != out[i - 1]:
            out[m] = out[i]
            m += 1
    return out[:m] >> 40, out[:m] & ((1 << 40) - 1)


@_jit
def door_week(wk, g, cpid0, hg_start, hc_start, filled, bank, cap_m, acq, aware, area, dist,
              dm, hm, prob, u_door, u_mode, transfer, inten, spend_cat, sums, T, U, logic,
              inst, mode_base, mode_coef, info, plan, conflict, trust_gain, trust_loss,
              info_weight, underst_gain, eng, eng_gain, eng_loss, refresh, mode_struct,
              pend_t, pend_u, touched, acq_new, pend_a, refreshed,
              pend_e):  # pragma: no cover - compiled
    """Door opening by the health-office liaison (slot ``g``) in week ``wk`` of a year.

    In every run where the liaison is filled, has ``dm`` minutes left and opens a door
    this week (``u_door`` below ``prob``), it introduces a coordinator to the least aware
    health professional it knows (lowest slot among equals) who has ``hm`` minutes left
    and an unacquainted coordinator in the area with ``dm`` minutes left (the first such
    coordinator).  All three take their minutes (``sums`` by booking category); the
    coordinator meets the professional face to face (:func:`_meet_one`) with the trust
    the liaison lends (``transfer`` times the liaison's trust, if higher than the pair's
    own), and the liaison's pair with the professional counts as touched.
    """
    R, nP = filled.shape
    nH = aware.shape[1]
    nC = area.shape[0]
    anyj = np.zeros(nH, np.bool_)
    no_acq = np.zeros(nH, np.bool_)
    first = np.empty(1, np.int64)
    feats = np.empty(7, np.float64)
    feas = np.ones(4, np.float64)
    for r in range(R):
        if not (filled[r, g] and bank[r, g] >= dm[r] and u_door[r, wk] < prob[r]):
            continue
        for h in range(nH):
            anyj[h] = False
            if not (filled[r, h] and bank[r, h] >= hm[r] and acq[r, hg_start + h]):
                continue
            for j in range(nC):
                c = cpid0 + j
                if (filled[r, c] and bank[r, c] >= dm[r] and area[j, dist[h]]
                        and not acq[r, hc_start + h * nC + j]):
                    anyj[h] = True
                    break
        _first_in_order(anyj, no_acq, aware[r], 1, first)
        h = first[0]
        if not anyj[h]:
            continue
        j = 0
        while not (filled[r, cpid0 + j] and bank[r, cpid0 + j] >= dm[r] and area[j, dist[h]]
                   and not acq[r, hc_start + h * nC + j]):
            j += 1
        c = cpid0 + j
        q = hc_start + h * nC + j
        qg = hg_start + h
        slack = bank[r, h] / max(cap_m[r, h], 1) if cap_m[r, h] > 0 else 0.0
        bank[r, g] -= dm[r]
        sums[r, spend_cat[g]] += dm[r]
        bank[r, c] -= dm[r]
        sums[r, spend_cat[c]] += dm[r]
        bank[r, h] -= hm[r]
        sums[r, spend_cat[h]] += hm[r]
        te = max(T[r, q], transfer[r] * T[r, qg])
        _meet_one(r, q, h, c, te, True, slack, 1.0, u_mode[r, wk], inten[r], feats, feas, T,
                  U, logic, inst, mode_base, mode_coef, info, plan, conflict, trust_gain,
                  trust_loss, info_weight, underst_gain, eng, eng_gain, eng_loss, aware,
                  refresh, mode_struct, pend_t, pend_u, touched, acq_new, pend_a, refreshed,
                  pend_e)
        touched[r, qg] = True


@_jit
def contact_shares(wk, bank, cap_m, n_week, rep_of):  # pragma: no cover - compiled
    """Minutes per contact and free share of the time accounts at the start of contacts.

    ``n_week`` (weeks, R', n_prof) counts each professional's contacts in week ``wk`` of
    the year of the run ``rep_of[r]`` (the representative whose families run ``r``
    shares).

    Returns:
        (R, n_prof) minutes per contact this week (0 without contacts) and (R, n_prof)
        the share of each time account left (0 for a slot without one).
    """
    R, nP = bank.shape
    share = np.zeros((R, nP), np.int64)
    slack = np.zeros((R, nP), np.float64)
    for r in range(R):
        rr = rep_of[r]
        for p in range(nP):
            n = n_week[wk, rr, p]
            if n > 0:
                share[r, p] = bank[r, p] // n
            c = cap_m[r, p]
            if c > 0:
                slack[r, p] = bank[r, p] / c
    return share, slack


@_jit
def record_week(t, cnt, flt, routes, mode_case, mode_struct, coord_min, youth_min,
                delay_hist, delay_hi, cost_by_use, shares, acc, v_routes, v_mode_case,
                v_mode_struct, v_coord_min, v_youth_min, v_delay, acc_cost_use,
                acc_cost_source, acc_cost_total, ring, win, ring_modes, win_modes,
                ring_delay, win_delay, ring_delay_hi, win_delay_n, ci, fi, rows,
                out):  # pragma: no cover - compiled
    """One week of every run into the recorder (``outputs.Recorder.week``).

    ``cnt`` (n_counts, R) and ``flt`` (n_floats, R) are the week's counts and float
    summaries in the order of ``outputs.WEEK_COUNTS`` and ``WEEK_FLOATS``; the vectors
    are (R, k); ``delay_hi`` (R,) is the bin after the last non-zero one of
    ``delay_hist``.  Counts and vectors are added to the run totals (``acc`` (n_counts, R),
    ``v_*``), the cost by use (R, n_uses) to the totals by use, by source (through
    ``shares`` (R, n_uses, n_sources), use after use) and in all.  The trailing windows
    (``ring`` (R, window, 6) of first birthdays, reach, exits and crises; ``ring_modes``
    of the modes; the waiting-time histograms, see :func:`delay_window`) take the week
    in ring slot ``t % window``.  ``out`` (n_series, R) is the week's row of the series:
    ``ci`` holds the positions in ``cnt`` of the counts read, ``fi`` those in ``flt``,
    ``rows`` the rows of ``out`` written, in the orders of ``outputs._RECORD_COUNTS``,
    ``_RECORD_FLOATS`` and ``_RECORD_ROWS``.  Ratios are ``rules.ratio`` (NaN where the
    denominator is 0), as in the summaries.
    """
    nC, R = cnt.shape
    W = ring.shape[1]
    slot = t % W
    med = np.empty(R)
    for k in range(nC):
        for r in range(R):
            acc[k, r] += cnt[k, r]
    nU = cost_by_use.shape[1]
    nS = shares.shape[2]
    for r in range(R):
        for j in range(routes.shape[1]):
            v_routes[r, j] += routes[r, j]
        for j in range(4):
            v_mode_case[r, j] += mode_case[r, j]
            v_mode_struct[r, j] += mode_struct[r, j]
        for j in range(coord_min.shape[1]):
            v_coord_min[r, j] += coord_min[r, j]
        for j in range(youth_min.shape[1]):
            v_youth_min[r, j] += youth_min[r, j]
        for j in range(delay_hi[r]):
            v_delay[r, j] += delay_hist[r, j]
        week_cost = 0.0
        for u in range(nU):
            c = cost_by_use[r, u]
            week_cost += c
            for s in range(nS):
                acc_cost_source[r, s] += c * shares[r, u, s]
            acc_cost_use[r, u] += c
        acc_cost_total[r] += week_cost
        # trailing windows: first birthdays burdened and reached, exits burdened and
        # reached before a crisis, crises, births; and the modes
        for j in range(6):
            x = cnt[ci[j], r]
            win[r, j] += x - ring[r, slot, j]
            ring[r, slot, j] = x
        tot = 0
        inter = 0
        for j in range(4):
            m = mode_case[r, j] + mode_struct[r, j]
            win_modes[r, j] += m - ring_modes[r, slot, j]
            ring_modes[r, slot, j] = m
            tot += win_modes[r, j]
            inter += m
        refs = 0
        for j in range(routes.shape[1]):
            refs += routes[r, j]
        # the series row: ratios first (NaN where the denominator is 0)
        nums = (win[r, 1], win[r, 3], 1000 * win[r, 4], win_modes[r, 0], win_modes[r, 1],
                win_modes[r, 2], win_modes[r, 3])
        dens = (win[r, 0], win[r, 2], win[r, 5], tot, tot, tot, tot)
        for j in range(7):
            out[rows[j], r] = rules.ratio(nums[j], dens[j])
        pairs = cnt[ci[6], r]
        out[rows[7], r] = rules.ratio(flt[fi[0], r], pairs)
        out[rows[8], r] = rules.ratio(flt[fi[1], r], pairs)
        for j in range(3):  # acquainted / filled, active / physicians, attended / physicians
            out[rows[9 + j], r] = rules.ratio(cnt[ci[7 + 2 * j], r], cnt[ci[8 + 2 * j], r])
        out[rows[13], r] = cnt[ci[13], r] / 60.0
        out[rows[14], r] = cnt[ci[14], r] / 60.0
        out[rows[15], r] = week_cost
        out[rows[16], r] = inter
        out[rows[17], r] = refs
        nc = len(ci) - 15
        for j in range(nc):  # counts shown as they are
            out[rows[18 + j], r] = cnt[ci[15 + j], r]
        for j in range(len(fi) - 2):  # float summaries shown as they are
            out[rows[18 + nc + j], r] = flt[fi[2 + j], r]
    delay_window(win_delay, ring_delay, delay_hist, delay_hi, slot, med, ring_delay_hi,
                 win_delay_n)
    for r in range(R):
        out[rows[12], r] = med[r]


@_jit
def fill_slots(rr, pp, eng_new, tenure_new, n_health, aware_init, filled, vac, person,
               eng_base, eng, bank, tenure, aware,
               attended):  # pragma: no cover - compiled
    """A new person in slots ``(rr, pp)``.

    Engagement (baseline and current) ``eng_new``, empty time account, tenure
    ``tenure_new``; in health slots the awareness of the offers starts at ``aware_init``
    (per run) and no meeting attended.  (The slots' relationships are reset by
    :func:`reset_pairs`.)
    """
    for i in range(len(rr)):
        r = rr[i]
        p = pp[i]
        filled[r, p] = True
        vac[r, p] = 0
        person[r, p] += 1
        eng_base[r, p] = eng_new[i]
        eng[r, p] = eng_new[i]
        bank[r, p] = 0
        tenure[r, p] = tenure_new[i]
        if p < n_health:
            aware[r, p] = aware_init[r]
            attended[r, p] = False
