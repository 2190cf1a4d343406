"""The vectorised NumPy engine: many runs of the same model at once.

A batch holds R runs that share the municipality's structure (the numbers of slots,
districts and coordinator positions, the health-office liaison, the horizon; see
:func:`structure_key`); their parameters and seeds may differ.  The engine
follows the Mesa engine phase by phase and decision by decision: it calls the same rule
functions (``kooperationssim.rules``) on arrays, draws from the same named random
streams (``kooperationssim.draws``), resolves competition for time and caseload places
in the same canonical orders, and feeds the same recorder
(``kooperationssim.outputs.Recorder``).  Given the same parameters and seed it
reproduces the Mesa engine's weekly series exactly (``tests/test_docking.py``).

Arrays have the run as their first axis.  Families live in a ring buffer per run
ordered by family id (entry order = birth order), so the families of one birth week
are a contiguous block of ids.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from . import draws, kernels, rules
from .funding import (
    allocate_year,
    coordinator_accounts,
    generate_streams,
    meeting_reserve_per_district,
    planned_positions,
    position_contracts,
    year_measures,
)
from .layout import (
    ASD,
    ATTENDANCE_BASE,
    BIRTH_SLOT,
    CLINIC,
    CONTACT_OFFSETS,
    COORD,
    CRISIS,
    DONE,
    FH,
    GYN,
    IN_HELP,
    INVITED,
    KIND_CODES,
    MIDWIFE,
    N_CONTACTS,
    NOTICED,
    OFFICE,
    PED,
    PHYSICIAN_KINDS,
    PRACTICE_KINDS,
    PRENATAL_WEEKS,
    R_CLEARING,
    R_COORD,
    R_LOTS,
    R_WARM,
    STAY_WEEKS_AFTER_BIRTH,
    WAITING,
    YEAR1_SLOTS,
    build_layout,
)
from .outputs import (
    COORD_ACTIVITIES,
    KIND_BIT_VALUES,
    KIND_BITS,
    MAX_DELAY,
    REFERRAL_ROUTES,
    WEEK_COUNTS,
    WEEK_FLOATS,
    YOUTH_ACTIVITIES,
    Recorder,
)
from .params import FUNDING_USES, MODES, PARAMS
from .scenario import resolve

__all__ = ["EngineError", "VectorEngine", "BatchResult", "compile_kernels", "run_batch",
           "structure_key"]

FORMATS = draws.MEETING_FORMATS
KI = draws.KEEP_INDEX
NEVER_MET = -(10**9)
KIND_BIT_OF = np.zeros(8, dtype=np.int64)
KIND_BIT_OF[PED], KIND_BIT_OF[GYN] = KIND_BITS["pediatric"], KIND_BITS["gynecology"]
KIND_BIT_OF[CLINIC], KIND_BIT_OF[MIDWIFE] = KIND_BITS["clinic"], KIND_BITS["midwife"]
CA = {k: i for i, k in enumerate(COORD_ACTIVITIES)}
YA = {k: i for i, k in enumerate(YOUTH_ACTIVITIES)}
#: Bytes of memory one family slot of the ring buffer takes (for the memory check): its
#: fields (see _FAMILY_FIELDS), kept codes, contact counts and schedule data.
FAMILY_BYTES = 4 * len(draws.KEEP_COLS) + 8 * N_CONTACTS + 200


#: Per-family fields of the ring buffers: name, dtype, value of a new family.
_FAMILY_FIELDS = (
    ("bw", np.int64, 0), ("burden", np.int64, 0), ("onset", np.int64, 0),
    ("fdist", np.int64, 0), ("gyn", np.int64, 0), ("ped", np.int64, 0),
    ("e_crisis", np.int64, 0), ("e_drop", np.int64, 0),
    ("cb_exit", np.int64, 0), ("cb_end", np.int64, 0), ("y1", bool, False),
    ("state", np.int64, 0), ("first_noticeable", np.int64, -1),
    ("first_help", np.int64, -1), ("help_end", np.int64, -1),
    ("worker", np.int64, -1), ("referrer", np.int64, -1),
    ("ref_person", np.int64, -1), ("route", np.int64, -1), ("target", np.int64, -1),
    ("accepted_week", np.int64, -1), ("waiting_since", np.int64, -1),
    ("declined", np.int64, 0), ("case_mode", np.int64, -1),
    ("case_info", np.float64, 0.0), ("case_conflict", np.float64, 0.0),
    ("quality", np.float64, 0.0), ("crisis_week", np.int64, -1),
    ("nbits", np.int64, 0), ("assigned_week", np.int64, -1),
    # crisis hazard: cumulative up to week t_upd - 1, per week since, scheduled crisis week
    ("H0", np.int64, 0), ("t_upd", np.int64, 0), ("h_cur", np.int64, 0),
    ("crisis_at", np.int64, -1),
    # dropout: scheduled week of the current spell (-1: none)
    ("drop_at", np.int64, -1),
)
#: Integer fields held in 64 bits (the family array ``fh``): the crisis and dropout
#: thresholds and the crisis hazard in hazard units, the weeks that may be NEVER_WEEK, and
#: the week of the last hazard update (read by kernels.rehazard with them); the other
#: integer fields (weeks, classes, professionals, flags, family ids) fit 32 bits (``fi``).
_WIDE_FIELDS = ("e_crisis", "e_drop", "H0", "t_upd", "h_cur", "crisis_at", "drop_at")
#: Decision uniforms kept with each family (the first columns of the family block).
N_FAMILY_KEEP = len(draws._U_KEEP)
#: New families in one block at most (a run's families stay together): the calendars of
#: their candidate contacts and onsets (see _Block).
FAMILY_CHUNK = 1 << 17
#: New families drawn, prepared and written into the ring buffers together at most (a
#: run's families stay together): a tile's codes (200 bytes a family), contact slots and
#: attributes stay in the processor's cache from one step to the next, in buffers reused
#: from tile to tile (see VectorEngine._family_buffers).
FAMILY_TILE = 1 << 12
NEVER_WEEK = np.iinfo(np.int64).max // 4
#: Contact slots for the compiled schedule (kernels.contact_schedule): kind code of each
#: slot (the U2's is decided per family), whether it is the U2, whether it is in year 1.
_SLOT_CODE = np.array([KIND_CODES.get(kind, PED) for _n, kind, _o in draws.CONTACTS],
                      dtype=np.int64)
_SLOT_U2 = np.array([kind == "u2" for _n, kind, _o in draws.CONTACTS])
_SLOT_OFF = CONTACT_OFFSETS.astype(np.int64)
_SLOT_Y1 = np.array([s in YEAR1_SLOTS for s in range(N_CONTACTS)])
#: Integer fields of a new family set from its block (kernels.insert_families).
_INSERT_COLS = ("fid", "bw", "burden", "onset", "fdist", "gyn", "ped", "e_crisis", "e_drop",
                "cb_exit", "cb_end", "y1", "first_noticeable", "t_upd", "h_cur", "crisis_at")


#: Booking categories of spent minutes (see VectorEngine._spend).
_SPEND_PHYS, _SPEND_PHYS_PAID, _SPEND_YOUTH, _SPEND_OFFICE, _SPEND_COORD, _SPEND_OTHER = range(6)
_N_SPEND = 6


try:  # NumPy >= 2
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # pragma: no cover - NumPy 1.x
    try:
        from numpy.core.multiarray import _set_madvise_hugepage
    except ImportError:
        _set_madvise_hugepage = None


_PAGES_LOCK = threading.Lock()
_pages_users = [0, True]  # engines inside _small_pages, NumPy's setting before the first


@contextlib.contextmanager
def _small_pages() -> Iterator[None]:
    """Large NumPy arrays allocated inside without a request for transparent huge pages.

    NumPy asks Linux for huge pages for every large array (``madvise``).  Where the kernel
    has none free it compacts memory first, in the page fault: on the virtual machines
    measured this took more system time than the whole batch's ordinary page faults
    (``benchmarks/engines.py``), with no gain in the compiled loops.  The setting is
    NumPy's own switch for the whole process: the first engine to enter turns it off, the
    last to leave restores it (engines may run in threads of one process).
    """
    if _set_madvise_hugepage is None:  # pragma: no cover
        yield
        return
    with _PAGES_LOCK:
        if _pages_users[0] == 0:
            _pages_users[1] = _set_madvise_hugepage(False)
        _pages_users[0] += 1
    try:
        yield
    finally:
        with _PAGES_LOCK:
            _pages_users[0] -= 1
            if _pages_users[0] == 0:
                _set_madvise_hugepage(_pages_users[1])


class _Calendar:
    """Events by week: (run, family id) pairs added under their week.

    ``pop`` must be called with increasing weeks; events of weeks skipped, of weeks
    already popped and of weeks from ``weeks`` on are dropped.  Each week's events form
    a list of nodes in preallocated arrays (kernels.calendar_add, kernels.calendar_pop);
    popped nodes are reused, and the arrays grow when no free node is left.
    """

    def __init__(self, weeks: int, size: int = 1024):
        self.head = np.full(max(weeks, 0), -1, dtype=np.int64)
        self.key = np.zeros(size, dtype=np.int64)
        self.nxt = np.arange(1, size + 1, dtype=np.int64)
        self.nxt[-1] = -1
        self.state = np.array([0, size, -1], dtype=np.int64)  # free node, free, last popped

    def add(self, week: np.ndarray, run: np.ndarray, fid: np.ndarray) -> None:
        n = len(week)
        if n == 0:
            return
        if self.state[1] < n:
            self._grow(n)
        kernels.calendar_add(self.head, self.nxt, self.key, self.state,
                             np.asarray(week, dtype=np.int64), np.asarray(run, dtype=np.int64),
                             np.asarray(fid, dtype=np.int64))

    def pop(self, week: int) -> tuple[np.ndarray, np.ndarray]:
        """The (run, family id) pairs scheduled for ``week``, each once, in (run, id) order."""
        return kernels.calendar_pop(self.head, self.nxt, self.key, self.state, week)

    def _grow(self, n: int) -> None:
        """At least ``n`` more free nodes (the new nodes lead the free list)."""
        old = len(self.key)
        new = max(2 * old, old + n)
        self.key = np.concatenate([self.key, np.zeros(new - old, dtype=np.int64)])
        nxt = np.empty(new, dtype=np.int64)
        nxt[:old] = self.nxt
        nxt[old:new - 1] = np.arange(old + 1, new)
        nxt[new - 1] = self.state[0]
        self.nxt = nxt
        self.state[0] = old
        self.state[1] += new - old


class _Block:
    """The calendars of families that entered together: their candidate contacts and onsets.

    A block holds the families of every run that draws its own (the representatives of
    ``VectorEngine._family_groups``): ``cand`` their candidate contacts
    (kernels.CANDIDATE_FIELDS) by week, slot and family, ``o_week``, ``o_run`` and ``o_fid``
    the onsets of a burden after entry by week and family.
    """

    def __init__(self, cand: np.ndarray, o_week: np.ndarray, o_run: np.ndarray,
                 o_fid: np.ndarray, weeks: int):
        self.cand = cand
        self.o_week, self.o_run, self.o_fid = o_week, o_run, o_fid
        cw = cand[:, kernels.C_WEEK]
        self.max_week = max(int(cw.max()) if len(cw) else -1,
                            int(o_week.max()) if len(o_week) else -1)
        self.index_weeks(weeks)

    def index_weeks(self, weeks: int) -> None:
        """Where each week's contacts and onsets start (both arrays are sorted by week)."""
        w = np.arange(weeks + 1)
        self.c_at = np.searchsorted(self.cand[:, kernels.C_WEEK], w).tolist()
        self.o_at = np.searchsorted(self.o_week, w).tolist()

    def contacts(self, t: int) -> slice:
        """Candidate contacts of week t (rows of ``cand``, kernels.CANDIDATE_FIELDS)."""
        return slice(self.c_at[t], self.c_at[t + 1])

    def onsets(self, t: int) -> slice:
        """Onsets of a burden in week t (indices into o_week, o_run, o_fid)."""
        return slice(self.o_at[t], self.o_at[t + 1])


class EngineError(ValueError):
    """Bad input to the vectorised engine (one clear message)."""


def _minutes(x):
    return rules.minutes(np.asarray(x, dtype=np.float64))


def structure_key(p: dict[str, Any]) -> tuple:
    """What must be equal for parameter sets to share one batch."""
    lay = build_layout(p)
    return (lay.n_districts, tuple(lay.kind.tolist()), tuple(lay.district.tolist()),
            lay.n_coord, lay.n_office, p["weeks"])


@dataclass
class BatchResult:
    """Results of a batch: one summary and one weekly series per run."""

    seeds: list[int]
    params: list[dict[str, Any]]
    summaries: list[dict[str, Any]]
    recorder: Recorder

    def series(self, run: int):
        """Weekly series of one run (pandas DataFrame)."""
        return self.recorder.series(run)


class VectorEngine:
    """R runs of the model at once.

    Args:
        params: One parameter set per run (overrides or resolved dicts).
        seeds: One seed per run.
        max_memory_gb: Refuse batches whose estimated state exceeds this.
        share_families: Let runs with the same seed and the same inputs of family
            generation draw and prepare their families once (see ``_family_groups``);
            the results are the same either way, only time and memory differ.

    Raises:
        EngineError: for an empty batch, mismatched lengths, parameter sets of different
            structure, or a batch too large for memory.
    """

    def __init__(self, params: list[dict[str, Any]], seeds: list[int], *,
                 max_memory_gb: float | None = None, share_families: bool = True):
        if isinstance(params, dict) or not isinstance(params, (list, tuple)):
            raise EngineError("params must be a list with one parameter dict per run, got "
                              f"{type(params).__name__}" + (" (wrap it: [params])"
                                                            if isinstance(params, dict) else ""))
        if isinstance(seeds, (int, np.integer)) or not hasattr(seeds, "__len__"):
            raise EngineError(f"seeds must be a list with one seed per run, got {seeds!r}")
        if len(params) == 0:
            raise EngineError("empty batch: give at least one parameter set")
        if len(seeds) != len(params):
            raise EngineError(f"{len(params)} parameter sets but {len(seeds)} seeds")
        res = []
        cache: dict[int, dict[str, Any]] = {}
        for i, p in enumerate(params):
            if id(p) in cache:  # the same dict object again (replicates): validated once
                res.append(cache[id(p)])
                continue
            if not isinstance(p, dict):
                raise EngineError(f"parameter set {i} must be a dict, got {type(p).__name__}")
            q = dict(p)
            streams = q.pop("funding_streams", None)
            try:
                res.append(resolve(q, streams))
            except ValueError as e:
                raise EngineError(f"parameter set {i}: {e}") from None
            cache[id(p)] = res[-1]
        keys: dict[int, tuple] = {}
        key0 = structure_key(res[0])
        for i, p in enumerate(res[1:], start=1):
            if id(p) not in keys:
                keys[id(p)] = structure_key(p)
            if keys[id(p)] != key0:
                raise EngineError(
                    f"parameter set {i} has a different structure than parameter set 0 "
                    "(numbers of professionals, districts, coordinator positions, liaison or "
                    "weeks differ); run them in separate batches")
        self.params = res
        try:
            self.seeds = [draws.check_seed(s, f"seeds[{i}]") for i, s in enumerate(seeds)]
        except ValueError as e:
            raise EngineError(str(e)) from None
        self.R = R = len(res)
        self.lay = lay = build_layout(res[0])
        self.weeks = res[0]["weeks"]
        # per-run parameters, each an array of R values
        self.P: dict[str, np.ndarray] = {}
        for prm in PARAMS:
            vals = [p[prm.name] for p in res]
            self.P[prm.name] = np.array(vals, dtype=object if prm.type is str else None)
        self._p64: dict[str, np.ndarray] = {}
        self.streams = [generate_streams(p) for p in res]
        # family ring buffer size from the exact entries of every year
        years = (self.weeks + 51) // 52
        draws.prepare_generators(self.seeds, [("births", (y,)) for y in range(years)]
                                 + draws.START_STREAMS)
        init_w = draws.initial_birth_weeks()
        self._entries = np.zeros((R, years * 52), dtype=np.int64)
        for r in range(R):
            for y in range(years):
                self._entries[r, y * 52:(y + 1) * 52] = draws.draw_year_entries(
                    self.seeds[r], y, res[r])
        self._init_counts = np.stack([draws.initial_family_counts(self.seeds[r], res[r])
                                      for r in range(R)])
        alive = []
        n_init = self._init_counts.sum(axis=1)
        cum_entries = np.cumsum(self._entries, axis=1)
        cum_init = np.cumsum(self._init_counts, axis=1)
        for t in range(self.weeks):
            gone = t - STAY_WEEKS_AFTER_BIRTH  # birth weeks <= gone have left
            k = gone - int(init_w[0]) + 1
            left = cum_init[:, min(k, len(init_w)) - 1] if k > 0 else np.zeros(R, np.int64)
            if gone >= PRENATAL_WEEKS:
                left = n_init + cum_entries[:, gone - PRENATAL_WEEKS]
            # a whole year's entries are written at the year's start
            end_of_year = min((t // 52 + 1) * 52, years * 52) - 1
            alive.append(n_init + cum_entries[:, end_of_year] - left)
        self.cap = int(max(np.max(alive), n_init.max())) + 1
        est = R * self.cap * FAMILY_BYTES + R * lay.n_pairs * 64 * 3
        limit = max_memory_gb if max_memory_gb is not None else _available_gb() * 0.8
        if est / 1e9 > limit:
            raise EngineError(
                f"batch too large for memory: about {est / 1e9:.1f} GB of state for {R} runs "
                f"but {limit:.1f} GB allowed; split it into smaller batches")
        self._share_families = bool(share_families)
        with _small_pages():
            self._init_state()

    # ------------------------------------------------------------------ setup
    def _f64(self, name: str) -> np.ndarray:
        """Per-run parameter as a contiguous float64 array of shape (R,) (for kernels)."""
        a = self._p64.get(name)
        if a is None:
            a = self._p64[name] = np.ascontiguousarray(self.P[name], dtype=np.float64)
        return a

    def _v(self, name: str) -> np.ndarray:
        """Per-run parameter as a float or int array of shape (R, 1)."""
        return self.P[name].reshape(self.R, 1)

    def _init_state(self) -> None:
        R, lay, P = self.R, self.lay, self.P
        nP, nH, nY, nC, nQ = lay.n_prof, lay.n_health, lay.n_youth, lay.n_coord, lay.n_pairs
        self.nP, self.nH, self.nY, self.nC, self.nQ = nP, nH, nY, nC, nQ
        self.kind = lay.kind
        self.dist = lay.district
        self.cpid0 = nH + nY
        self.gpid = lay.office_pid
        self.pa, self.pb, self.ptype = lay.pair_a, lay.pair_b, lay.pair_type
        self.modes = _ModeArrays(P, R)
        # professionals
        k = self.kind
        hours = np.zeros((R, nP))
        logic = np.zeros((R, nP))
        for code, hname, lname in (
            (PED, "physician_hours_per_week", "logic_pediatric"),
            (GYN, "physician_hours_per_week", "logic_gynecology"),
            (CLINIC, "clinic_hours_per_week", "logic_clinic"),
            (MIDWIFE, "midwife_hours_per_week", "logic_midwife"),
            (ASD, "asd_hours_per_week", "logic_asd"),
            (FH, "fh_hours_per_week", "logic_fh_provider"),
            (OFFICE, "health_office_hours_per_week", "logic_health_office"),
        ):
            m = k == code
            hours[:, m] = P[hname][:, None]
            logic[:, m] = P[lname][:, None]
        coord_logic = P["logic_coordinator"] - np.where(
            P["coordinator_medical_experience"].astype(bool),
            P["coordinator_medical_logic_shift"], 0.0)
        logic[:, k == COORD] = coord_logic[:, None]
        self.logic = logic
        self.weekly = np.where(k == COORD, 0, _minutes(hours))
        self.cap_m = self.weekly * P["hours_bank_weeks"].reshape(R, 1)
        skill = np.zeros((R, nH))
        for code, n in ((PED, "skill_pediatric"), (GYN, "skill_gynecology"),
                        (CLINIC, "skill_clinic"), (MIDWIFE, "skill_midwife")):
            skill[:, k[:nH] == code] = P[n][:, None]
        self.skill = skill
        self.capacity = np.where(k[nH:nH + nY] == FH, P["fh_caseload_capacity"][:, None], 0)
        self.pops = [draws.draw_population(self.seeds[r], lay, self.params[r]) for r in range(R)]
        eng0 = np.stack([pp.engagement_base for pp in self.pops])
        self.eng_mean = np.stack([draws.slot_engagement_means(lay, p) for p in self.params])
        self.size = np.stack([pp.size for pp in self.pops])
        # turnover rate and hiring delay of each slot's group
        self.turn_rate = np.zeros((R, nP))
        self.turn_delay = np.zeros((R, nP), dtype=np.int64)
        for codes, g in (((PED, GYN, CLINIC, MIDWIFE), "health"),
                         ((ASD, FH), "youth_welfare"), ((COORD,), "coordinator"),
                         ((OFFICE,), "health_office")):
            m = np.isin(self.kind, codes)
            self.turn_rate[:, m] = P[f"turnover_rate_{g}"][:, None]
            if g != "health":
                self.turn_delay[:, m] = P[f"hiring_delay_weeks_{g}"][:, None]
        self.filled = np.zeros((R, nP), dtype=bool)
        self.vac = np.zeros((R, nP), dtype=np.int64)
        self.person = np.zeros((R, nP), dtype=np.int64)
        self.eng = np.zeros((R, nP))
        self.eng_base = np.zeros((R, nP))
        self.pend_e = np.zeros((R, nP))
        self.bank = np.zeros((R, nP), dtype=np.int64)
        self.tenure = np.zeros((R, nP), dtype=np.int64)
        self.aware = np.zeros((R, nH))
        self.pend_a = np.zeros((R, nH))
        self.refreshed = np.zeros((R, nH), dtype=bool)
        self.mfa = np.zeros((R, nH), dtype=bool)
        self.attended = np.zeros((R, nH), dtype=bool)
        self.refring = np.zeros((R, 52, nH), dtype=np.int64)
        self.refsum = np.zeros((R, nH), dtype=np.int64)  # referrals in the ring (commit)
        self.cases = np.zeros((R, nY), dtype=np.int64)
        self.contract = np.zeros((R, nC), dtype=np.int64)  # 0 closed, 1 permanent, 2 project
        self.end_year = np.full((R, nC), -1, dtype=np.int64)
        self.fte = np.zeros((R, nC))
        self.planned = np.array([planned_positions(p["coordinator_fte"])
                                 for p in self.params], dtype=np.float64).reshape(R, nC)
        self.case_bank = np.zeros((R, nC), dtype=np.int64)
        self.case_weekly = np.zeros((R, nC), dtype=np.int64)
        self.case_cap = np.zeros((R, nC), dtype=np.int64)
        self.area = np.zeros((nC, lay.n_districts), dtype=bool)
        for j, a in enumerate(lay.coord_area):
            self.area[j, list(a)] = True
        # fill every non-coordinator slot at the start
        nc = k != COORD
        self._fill(np.broadcast_to(nc, (R, nP)).copy(), eng0, 0, reset_pairs=False)
        # relationships
        base_t = np.zeros((R, nQ))
        base_u = np.zeros((R, nQ))
        host_ga = (P["coordinator_host"] == "gesundheitsamt")
        for ty, (bt, bu) in enumerate((
            (P["trust_baseline_cross"], P["understanding_baseline_cross"]),
            (P["trust_baseline_coordinator_health"] + np.where(
                host_ga, P["trust_host_gesundheitsamt_bonus"], 0.0),
             P["understanding_baseline_cross"]),
            (P["trust_baseline_same_side"], P["understanding_baseline_same_side"]),
            (P["trust_baseline_health_office"], P["understanding_baseline_same_side"]),
        )):
            m = self.ptype == ty
            base_t[:, m] = np.asarray(bt, dtype=np.float64)[:, None]
            base_u[:, m] = np.asarray(bu, dtype=np.float64)[:, None]
        self.base_t, self.base_u = base_t, base_u
        # the same baselines per run and pair type (for kernels.commit_week)
        tb, ub = np.zeros((R, 4)), np.zeros((R, 4))
        for ty in range(4):
            m = np.flatnonzero(self.ptype == ty)
            if len(m):
                tb[:, ty], ub[:, ty] = base_t[:, m[0]], base_u[:, m[0]]
        self._base_tables = (tb, ub, np.ascontiguousarray(self.ptype, dtype=np.int64))
        self.T = base_t.copy()
        self.U = base_u.copy()
        self.acq = np.zeros((R, nQ), dtype=bool)
        self.last = np.full((R, nQ), NEVER_MET, dtype=np.int64)
        self.pend_t = np.zeros((R, nQ))
        self.pend_u = np.zeros((R, nQ))
        self.touched = np.zeros((R, nQ), dtype=bool)
        self.acq_new = np.zeros((R, nQ), dtype=bool)
        u_acq = np.stack([pp.u_acquainted for pp in self.pops])
        share = np.zeros((R, nQ))
        share[:, self.ptype == 0] = P["initial_acquaintance_share"][:, None]
        share[:, self.ptype == 3] = P["health_office_initial_acquaintance"][:, None]
        init = (u_acq < share) & ((self.ptype == 0) | (self.ptype == 3))
        self.acq |= init
        self.last = np.where(init, 0, self.last)
        bonus = init & (self.ptype == 0)
        self.T = np.where(bonus, base_t + P["initial_acquaintance_trust_bonus"][:, None], self.T)
        self._u_acq0 = u_acq
        # pair lookup (health or youth pid, youth pid) -> pair index
        self.hy_pair = np.full((nH, nP), -1, dtype=np.int64)
        for (h, y), i in lay.hy_index.items():
            self.hy_pair[h, y] = i
        self.fh_of_district = [np.flatnonzero((k == FH) & (self.dist == d))
                               for d in range(lay.n_districts)]
        self.asd_of_district = [np.flatnonzero((k == ASD) & (self.dist == d))
                                for d in range(lay.n_districts)]
        # warm-route candidates: for each health slot the FH providers of its district
        mx = max(len(a) for a in self.fh_of_district)
        self.warm_y = np.full((nH, mx), -1, dtype=np.int64)
        self.warm_q = np.full((nH, mx), -1, dtype=np.int64)
        for h in range(nH):
            ys = self.fh_of_district[self.dist[h]]
            self.warm_y[h, :len(ys)] = ys
            self.warm_q[h, :len(ys)] = self.hy_pair[h, ys]
        self.cross = (self.ptype == 0) | (self.ptype == 1)
        self.phys = (k[:nH] == PED) | (k[:nH] == GYN)
        self.spend_cat = np.select(
            [(k == PED) | (k == GYN), (k == ASD) | (k == FH), k == OFFICE, k == COORD],
            [_SPEND_PHYS, _SPEND_YOUTH, _SPEND_OFFICE, _SPEND_COORD], _SPEND_OTHER)
        # families
        self._family_groups()
        self._init_families()
        self.rec = Recorder(R, self.weeks)
        self.week = 0
        self.lotsendienst_coverage = np.zeros(R)
        self.lotsin_capacity = np.zeros(R, dtype=np.int64)
        self.compensation_funded = np.zeros(R, dtype=bool)
        self.lots_fte = np.zeros(R)
        self.fte_funded = np.zeros(R)
        self.shares = np.zeros((R, len(FUNDING_USES), 5))

    def _family_groups(self) -> None:
        """Groups of runs whose new families are identical (common random numbers).

        Runs with the same seed, the same births per year and the same family counts
        draw the same uniform codes (the families present at the start draw their counts
        and codes from one stream, and how many numbers a Poisson count uses depends on
        its mean); where, in addition, every per-run input of family generation is equal
        (the practice sizes, the parameters of :func:`draws.family_attributes_runs`, those
        of the contact schedule and the crisis hazard units: the rows of ``_fam_in``),
        their families are the same.  Only the first run of such a group, its representative,
        draws and prepares them; they are written into every run of the group, and the
        group's runs share the representative's contact counts (``n_cont``).  A sweep's
        replicate r has the same seed at every design point, so the design points of a
        batch share their family generation; runs with different seeds share nothing.
        """
        R, P = self.R, self.P
        skill = np.zeros((R, 4))
        for code, nm in ((PED, "skill_pediatric"), (GYN, "skill_gynecology"),
                         (CLINIC, "skill_clinic"), (MIDWIFE, "skill_midwife")):
            skill[:, code] = P[nm]
        mult = rules.crisis_hazard_multiplier(np.zeros(R, dtype=bool), np.zeros(R, dtype=bool),
                                              np.zeros(R), P["help_effect"],
                                              P["post_help_effect"])
        units = np.stack([rules.hazard_units(P[f"crisis_hazard_{c}"] * mult)
                          for c in ("multiple", "medium", "low")], axis=1)
        # every per-run input of family generation, one row per run (see _prepare_block)
        self._fam_in = {
            "skill": skill,
            "vis_multiple": P["visibility_multiple"].astype(np.float64),
            "vis_medium": P["visibility_medium"].astype(np.float64),
            "false_pos": P["false_positive_rate"].astype(np.float64),
            "boost": 1.0 + P["mfa_noticing_boost"].astype(np.float64),
            "lots": P["lotsendienst_coverage"] > 0,
            "units": units,
            "family_params": draws.family_params(self.params),
            "births": P["births_per_year"].astype(np.float64),
            "size": self.size,
            "init_counts": self._init_counts,
            "entries": self._entries,
        }
        groups: dict[tuple, list[int]] = {}
        for r in range(R):
            key = (self.seeds[r],) + tuple(np.ascontiguousarray(v[r]).tobytes()
                                           for v in self._fam_in.values())
            if not self._share_families:
                key = (r,)
            groups.setdefault(key, []).append(r)
        members = np.concatenate([np.array(g, dtype=np.int64) for g in groups.values()])
        self._reps = np.array([g[0] for g in groups.values()], dtype=np.int64)
        self._rep_of = np.zeros(R, dtype=np.int64)  # each run's representative
        self._gstart = np.zeros(R, dtype=np.int64)  # a representative's group in _gmembers
        self._gsize = np.zeros(R, dtype=np.int64)
        o = 0
        for g in groups.values():
            self._rep_of[g] = g[0]
            self._gstart[g[0]], self._gsize[g[0]] = o, len(g)
            o += len(g)
        self._gmembers = members
        self._shared = len(self._reps) < R

    def _members(self, run: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For items of representative runs ``run``: (item, run) for every run of their group.

        Without shared groups every item stays with its own run.
        """
        run = np.asarray(run, dtype=np.int64)
        if not self._shared:
            return np.arange(len(run)), run
        cnt = self._gsize[run]
        ii = np.repeat(np.arange(len(run)), cnt)
        start = np.repeat(self._gstart[run] - (np.cumsum(cnt) - cnt), cnt)
        return ii, self._gmembers[start + np.arange(len(ii))]

    def _group_items(self, run: np.ndarray, *cols: np.ndarray) -> tuple[np.ndarray, ...]:
        """Items of representative runs ``run`` for every run of their group.

        ``cols`` hold the items on their last axis; as :meth:`_members`, and without shared
        groups the items as given.
        """
        if not self._shared:
            return (run, *cols)
        ii, r_ = self._members(run)
        return (r_.astype(run.dtype), *(c[..., ii] for c in cols))

    def _group_records(self, rec: np.ndarray) -> np.ndarray:
        """Candidate records (kernels.CANDIDATE_FIELDS) of representatives for every run.

        Each record is repeated for every run of its representative's group, with that
        run; without shared groups the records as given.
        """
        if not self._shared:
            return rec
        ii, r_ = self._members(rec[:, kernels.C_RUN])
        out = rec[ii]
        out[:, kernels.C_RUN] = r_
        return out

    def _init_families(self) -> None:
        R, cap = self.R, self.cap
        # a family's 32-bit integer fields in one row of fi, its 64-bit ones (_WIDE_FIELDS)
        # in one row of fh, its float fields in one row of ff
        ints = [f for f in _FAMILY_FIELDS if f[1] is not np.float64 and f[0] not in _WIDE_FIELDS]
        wide = [f for f in _FAMILY_FIELDS if f[0] in _WIDE_FIELDS]
        floats = [f for f in _FAMILY_FIELDS if f[1] is np.float64]
        self.fi = np.zeros((R, cap, len(ints) + 1), dtype=np.int32)
        self.fh = np.zeros((R, cap, len(wide)), dtype=np.int64)
        self.ff = np.zeros((R, cap, len(floats)), dtype=np.float64)
        self.fi_new = np.array([int(f[2]) for f in ints] + [-1], dtype=np.int32)
        self.fh_new = np.array([int(f[2]) for f in wide], dtype=np.int64)
        self.ff_new = np.array([f[2] for f in floats], dtype=np.float64)
        F = self.F = {}
        for k, (name, _dt, _fill) in enumerate(ints):
            F[name] = self.fi[:, :, k]
        F["fid"] = self.fi[:, :, len(ints)]
        F["fid"][:] = -1
        for k, (name, _dt, _fill) in enumerate(wide):
            F[name] = self.fh[:, :, k]
        for k, (name, _dt, _fill) in enumerate(floats):
            F[name] = self.ff[:, :, k]
        self.fi_col = {name: k for k, (name, _dt, _fill) in enumerate(ints)}
        self.fi_col["fid"] = len(ints)
        self.fh_col = {name: k for k, (name, _dt, _fill) in enumerate(wide)}
        F["u"] = np.zeros((R, cap, N_FAMILY_KEEP), dtype=np.uint16)
        # family ids by birth week: initial cohorts, then entries of every week
        init_w = draws.initial_birth_weeks()
        self.bw0 = int(init_w[0])
        counts = np.concatenate([self._init_counts, self._entries], axis=1)
        self.bw_start = np.concatenate([np.zeros((R, 1), np.int64),
                                        np.cumsum(counts, axis=1)], axis=1)
        self.head = np.zeros(R, dtype=np.int64)  # oldest family id still present
        self.tail = np.zeros(R, dtype=np.int64)  # next family id
        T = self.weeks
        self.n_cont = np.zeros((R, T + 1, self.nP), dtype=np.int32)
        self.blocks: list[_Block] = []
        self.cal_crisis = _Calendar(T)
        self.cal_drop = _Calendar(T)
        self.cal_done = _Calendar(T)
        self.wait_run = np.zeros(0, dtype=np.int64)
        self.wait_fid = np.zeros(0, dtype=np.int64)
        self.in_help_n = np.zeros(R, dtype=np.int64)
        self.waiting_n = np.zeros(R, dtype=np.int64)
        # (the practice sizes are fixed for the batch: the tables are computed once)
        self._fam_tables = draws.family_tables(self.lay, self._fam_in["size"])
        self._uu_buf: np.ndarray | None = None  # see _family_buffers
        self._year_bufs: dict[Any, Any] = {}  # a year's per-seed draws (_year_boundary)
        self._cp_buf = np.zeros(0, dtype=np.int32)
        self._changed_run = np.zeros(0, dtype=np.int64)
        self._changed_pos = np.zeros(0, dtype=np.int64)
        # the families present at the start, all runs at once (the representatives' only)
        n = self._init_counts[self._reps].sum(axis=1)
        self._new_families(n, np.zeros(len(n), dtype=np.int64), lambda r: (
            draws.initial_family_uniforms(self.seeds[r], self.params[r])))
        self.tail = self.bw_start[:, PRENATAL_WEEKS - self.bw0].copy()  # entered before week 0

    def _new_families(self, n: np.ndarray, first: np.ndarray,
                      draw: Callable[[int], tuple[np.ndarray, np.ndarray]]) -> None:
        """Draw, prepare and write new families of every representative into the buffers.

        ``n[j]`` families of the j-th representative (``_reps``), with family ids from
        ``first[j]``; ``draw`` as for :meth:`_family_codes`.  Tiles of representatives
        (FAMILY_TILE families at most) go through every step together; the calendars of
        chunks of them (FAMILY_CHUNK families at most) form a block.
        """
        for j0, j1 in self._family_chunks(n):
            parts = []
            for k0, k1 in self._family_chunks(n[j0:j1], FAMILY_TILE):
                a, b = j0 + k0, j0 + k1
                rj, nj = self._reps[a:b], n[a:b]
                uu, cp = self._family_buffers(int(nj.sum()))
                bw = self._family_codes(rj, nj, uu, draw)
                run, fid = kernels.family_ids(rj, nj, first[a:b])
                parts.append(self._prepare_tile(uu, cp, bw, run, fid))
            self.blocks.append(self._block(parts))

    def _family_chunks(self, n: np.ndarray, limit: int | None = None
                       ) -> list[tuple[int, int]]:
        """Consecutive representatives ``[j0, j1)`` with at most ``limit`` new families.

        ``n[j]`` is the count of the j-th representative; a representative with more
        families than ``limit`` (default FAMILY_CHUNK) forms a chunk of its own.
        """
        limit = FAMILY_CHUNK if limit is None else limit
        out: list[tuple[int, int]] = []
        j0, acc = 0, 0
        for j, k in enumerate(n.tolist()):
            if j > j0 and acc + k > limit:
                out.append((j0, j))
                j0, acc = j, 0
            acc += k
        if len(n):
            out.append((j0, len(n)))
        return out

    def _family_buffers(self, tot: int) -> tuple[np.ndarray, np.ndarray]:
        """(N_FAMILY_U, tot) codes and (N_CONTACTS, tot) contact buffers of a tile.

        Views of two buffers kept for the whole batch (grown when a tile needs more):
        every tile of new families is drawn and prepared in the same memory, which stays
        in the cache.  Nothing of them is kept after the tile is written into the ring
        buffers.
        """
        if self._uu_buf is None or len(self._cp_buf) < N_CONTACTS * tot:
            self._uu_buf = np.empty(draws.N_FAMILY_U * tot, dtype=np.uint16)
            self._cp_buf = np.empty(N_CONTACTS * tot, dtype=np.int32)
        return (self._uu_buf[:draws.N_FAMILY_U * tot].reshape(draws.N_FAMILY_U, tot),
                self._cp_buf[:N_CONTACTS * tot].reshape(N_CONTACTS, tot))

    def _family_codes(self, reps: np.ndarray, n: np.ndarray, uu: np.ndarray,
                      draw: Callable[[int], tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Birth weeks of the new families of representatives ``reps``; their codes into ``uu``.

        ``draw(r)`` gives run ``r``'s birth weeks and (N_FAMILY_U, n) codes, where ``n[i]``
        is the count of ``reps[i]``; they are copied into ``uu`` (N_FAMILY_U, n.sum()) one
        run at a time, run after run.
        """
        tot = int(n.sum())
        bw = np.empty(tot, dtype=np.int64)
        o = 0
        for i, r in enumerate(reps.tolist()):
            b, u = draw(r)
            if len(b) != n[i]:  # pragma: no cover - the counts are drawn from the same stream
                raise RuntimeError(f"run {r}: {len(b)} new families, expected {n[i]}")
            bw[o:o + len(b)] = b
            uu[:, o:o + len(b)] = u
            o += len(b)
        return bw

    def _prepare_tile(self, uu, cp, bw, run, fid) -> tuple[np.ndarray, ...]:
        """A tile of new families: attributes and static schedule data, into the buffers.

        ``uu`` and ``cp`` are the tile's buffers (:meth:`_family_buffers`); the families
        are written into the ring buffers of every run of their group.

        Returns:
            the candidate contacts (kernels.CANDIDATE_FIELDS) by week, slot and family,
            and the weeks, runs and family ids of the onsets after entry by week.
        """
        T, fi = self.weeks, self._fam_in
        fb = draws.family_attributes_runs(uu, bw, run, self.lay, fi["size"],
                                          fi["family_params"], cpid=cp,
                                          tables=self._fam_tables)
        # entry week (families present at the start enter the simulation at week 0), the
        # crisis hazard from entry (in hazard units: one value per run and burden class,
        # outside help) and its first crossing, and the onsets of a burden after entry,
        # which change the hazard (kernels.entry_hazards)
        te, h0, crisis_at, o_week, o_run, o_fid = kernels.entry_hazards(
            run, fid, bw, fb.burden, fb.onset_week, fb.e_crisis, fi["units"], PRENATAL_WEEKS,
            STAY_WEEKS_AFTER_BIRTH, T, NEVER_WEEK)
        # one compiled pass over the families and their contact slots (kernels.py)
        S = N_CONTACTS
        cb_exit, cb_end, y1, first_noticeable, cand = kernels.contact_schedule(
            run, fid, bw, fb.burden, fb.onset_week,
            fb.contact_pid, fb.u[draws.NOTICE0:draws.NOTICE0 + S],
            fb.u[draws.REFER0:draws.REFER0 + S], fb.u[draws.ACCEPT0:draws.ACCEPT0 + S],
            self.kind, _SLOT_CODE, _SLOT_U2, _SLOT_OFF, _SLOT_Y1,
            BIRTH_SLOT, KIND_BIT_OF, fi["skill"], fi["vis_multiple"], fi["vis_medium"],
            fi["false_pos"], fi["boost"], fi["lots"], T, self.n_cont)
        # the tile's families go into every run of their representative's group
        idx, members = self._members(run)
        src = (fid, bw, fb.burden, fb.onset_week, fb.district, fb.gyn, fb.ped, fb.e_crisis,
               fb.e_drop, cb_exit, cb_end, y1, first_noticeable, te, h0, crisis_at)
        narrow, wide, cols, hcols = self._insert_cols
        vals = tuple([np.ascontiguousarray(src[k], dtype=np.int64) for k in narrow])
        hvals = tuple([np.ascontiguousarray(src[k], dtype=np.int64) for k in wide])
        # (with the families' first crises that fall before their exit)
        self.cal_crisis.add(*kernels.insert_families(
            self.fi, self.fh, self.ff, self.F["u"], members, fid, idx, self.cap, self.fi_new,
            self.fh_new, self.ff_new, cols, vals, hcols, hvals, uu[:N_FAMILY_KEEP], crisis_at,
            bw, STAY_WEEKS_AFTER_BIRTH))
        return cand, o_week, o_run, o_fid

    def _block(self, parts: list[tuple[np.ndarray, ...]]) -> _Block:
        """The block of the calendars of consecutive tiles (:meth:`_prepare_tile`).

        The tiles' candidates and onsets, each sorted, are merged in a stable order: the
        order one pass over all of the block's families gives.
        """
        if len(parts) == 1:
            return _Block(*parts[0], self.weeks)
        merged = kernels.merge_calendars(*(np.concatenate([p[k] for p in parts])
                                           for k in range(4)), N_CONTACTS)
        return _Block(*merged, self.weeks)

    def _year_entries(self, year: int) -> None:
        """The families entering in ``year``, all runs at once, into the ring buffers.

        The representatives' only (see _family_groups), drawn from the streams prepared
        at the year boundary; then the year's contact counts are final.
        """
        reps = self._reps
        self._new_families(
            self._entries[reps, year * 52:(year + 1) * 52].sum(axis=1),
            self.bw_start[reps, year * 52 + PRENATAL_WEEKS - self.bw0],
            lambda r: draws.year_family_uniforms(self.seeds[r], year, self.params[r]))
        # the year's contact counts, week-major
        self._n_week = np.ascontiguousarray(
            self.n_cont[:, year * 52:(year + 1) * 52, :].transpose(1, 0, 2))

    def _births_range(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Family ids of birth week ``b`` in every run: [lo, hi)."""
        i = b - self.bw0
        if i < 0 or i >= self.bw_start.shape[1] - 1:
            z = np.zeros(self.R, dtype=np.int64)
            return z, z
        return self.bw_start[:, i], self.bw_start[:, i + 1]

    # ------------------------------------------------------------- staffing
    def _fill(self, mask: np.ndarray, eng: np.ndarray, tenure, reset_pairs: bool = True) -> None:
        """A new person in every masked slot: no acquaintances, baseline engagement."""
        rr, pp = np.nonzero(mask)
        if len(rr):
            self._fill_slots(mask, rr, pp, eng[rr, pp],
                             np.broadcast_to(tenure, mask.shape)[rr, pp], reset_pairs)

    def _fill_slots(self, mask, rr, pp, eng, tenure, reset_pairs: bool = True) -> None:
        """A new person in slots ``(rr, pp)`` of ``mask`` (kernels.fill_slots)."""
        kernels.fill_slots(rr, pp, np.ascontiguousarray(eng, dtype=np.float64),
                           np.ascontiguousarray(tenure, dtype=np.int64), self.nH,
                           self._f64("awareness_initial"), self.filled, self.vac, self.person,
                           self.eng_base, self.eng, self.bank, self.tenure, self.aware,
                           self.attended)
        if reset_pairs:
            self._reset_pairs(mask)

    def _reset_pairs(self, slot_mask: np.ndarray) -> None:
        kernels.reset_pairs(np.ascontiguousarray(slot_mask), self.pa, self.pb, self.T, self.U,
                            self.base_t, self.base_u, self.acq, self.last, NEVER_MET)

    # ------------------------------------------------------------------ run
    def run(self, progress: Callable[[int], None] | None = None) -> BatchResult:
        """Run all weeks; ``progress(week)`` is called after every week."""
        with _small_pages():
            while self.week < self.weeks:
                self.step()
                if progress is not None:
                    progress(self.week)
            return self.result()

    def step(self) -> None:
        """One week of every run."""
        t = self.week
        self._new_week()
        # this slot held the referrals of 52 weeks ago: they leave the ring and its sum
        self.refsum -= self.refring[:, t % 52, :]
        self.refring[:, t % 52, :] = 0
        self._phase_boundary(t)
        self._phase_structural(t)
        self._phase_contacts(t)
        self._phase_intake(t)
        self._phase_progress(t)
        self._phase_escalation(t)
        self._phase_commit(t)
        self.week += 1

    def _new_week(self) -> None:
        R = self.R
        self.w = {k: np.zeros(R, dtype=np.int64) for k in WEEK_COUNTS}
        self.w.update({k: np.zeros(R) for k in WEEK_FLOATS})
        self.w["routes"] = np.zeros((R, len(REFERRAL_ROUTES)), dtype=np.int64)
        self.w["mode_case"] = np.zeros((R, 4), dtype=np.int64)
        self.w["mode_struct"] = np.zeros((R, 4), dtype=np.int64)
        self.w["coord_min"] = np.zeros((R, len(COORD_ACTIVITIES)), dtype=np.int64)
        self.w["youth_min"] = np.zeros((R, len(YOUTH_ACTIVITIES)), dtype=np.int64)
        self.w["delay_hist"] = np.zeros((R, MAX_DELAY), dtype=np.int64)
        self.w["delay_hi"] = np.zeros(R, dtype=np.int64)  # see kernels.intake_week
        self.cost = np.zeros((R, len(FUNDING_USES)))

    def _spend(self, run, pid, minutes, activity: str, paid=None) -> None:
        """Take minutes from time accounts (arrays of equal length) and book them."""
        run = np.ascontiguousarray(run, dtype=np.int64)
        pid = np.ascontiguousarray(pid, dtype=np.int64)
        minutes = np.ascontiguousarray(minutes, dtype=np.int64)
        if minutes.shape != run.shape:
            minutes = np.full(run.shape, minutes, dtype=np.int64)
        if run.size == 0:
            return
        # the accounts, and one sum per run and booking category (see _SPEND_*)
        cat = self.spend_cat[pid]
        if paid is not None:
            cat = np.where(paid & (cat == _SPEND_PHYS), _SPEND_PHYS_PAID, cat)
        sums = kernels.spend(self.bank, run, pid, minutes,
                             np.ascontiguousarray(cat, dtype=np.int64), _N_SPEND)
        self._book(sums, activity)

    def _book(self, sums: np.ndarray, activity: str) -> None:
        """Book (R, n_cat) spent minutes per booking category under ``activity``."""
        w = self.w
        w["physician_unpaid_min"] += sums[:, _SPEND_PHYS]
        w["physician_paid_min"] += sums[:, _SPEND_PHYS_PAID]
        if activity in YA:
            w["youth_min"][:, YA[activity]] += sums[:, _SPEND_YOUTH]
        w["office_min"] += sums[:, _SPEND_OFFICE]
        if activity in CA:
            w["coord_min"][:, CA[activity]] += sums[:, _SPEND_COORD]

    # ---------------------------------------------------------------- phase 0
    def _phase_boundary(self, t: int) -> None:
        P = self.P
        w = self.w
        year, wk = divmod(t, 52)
        if wk == 0:
            self._year_boundary(year, t)
        # turnover and vacancies in one compiled pass (kernels.staff_week)
        leavers, newcomer = kernels.staff_week(
            t, self.st_u[:, wk], self.filled, self.vac, self.bank, self.case_bank,
            self.contract, self.end_year, self.turn_rate, self.turn_delay,
            self._f64("project_turnover_multiplier"),
            self._f64("contract_end_turnover_multiplier"), self.cpid0, self.pa, self.pb,
            self.T, self.U, self.base_t, self.base_u, self.acq, self.last, NEVER_MET)
        w["turnover"] += leavers
        rr, pp = np.nonzero(newcomer)
        if len(rr):
            self._fill_slots(newcomer, rr, pp, draws.engagement_quantile(
                self.st_e[rr, wk, pp], self.eng_mean[rr, pp],
                P["engagement_concentration"][rr]), np.zeros(len(rr), dtype=np.int64))
        # first birthdays, and exits at the third birthday (kernels.birthdays_and_exits)
        lo_b, hi_b = self._births_range(t - 52)
        lo_x, hi_x = self._births_range(t - STAY_WEEKS_AFTER_BIRTH)
        # (the leaving families' kinds of contact and noticing are counted into the
        # recorder's totals, as Recorder.add_family_flags)
        cnt, n_exits = kernels.birthdays_and_exits(
            self.fi, self._mark_cols, np.ascontiguousarray(lo_b), np.ascontiguousarray(hi_b),
            np.ascontiguousarray(lo_x), np.ascontiguousarray(hi_x), self.cap, self.cases,
            self.nH, IN_HELP, WAITING, KIND_BIT_VALUES, self.rec.contact_kind,
            self.rec.noticed_kind)
        for i, k in enumerate(("fb_born", "fb_contact", "fb_burdened", "fb_reached",
                               "exit_burdened", "exit_before_crisis")):
            w[k] += cnt[:, i]
        self.waiting_n -= cnt[:, 6]
        self.in_help_n -= cnt[:, 7]
        if n_exits:
            self.head = np.maximum(self.head, hi_x)
        lo, hi = self._births_range(t)
        w["births"] = hi - lo
        # the whole year's entries are drawn, prepared and written at its start, after the
        # exits; the families of this week's entries are now present
        if wk == 0:
            self._year_entries(year)
        self.tail = self.bw_start[:, t + PRENATAL_WEEKS - self.bw0 + 1].copy()
        # vacancies, trained MFA, the liaison's routine contacts and the time accounts
        # (kernels.accounts_week)
        c = self._accounts_args
        self.clearing_left = c["clearing"].copy()
        self.lotsin_left = self.lotsin_capacity.copy()
        w["vacancies"], self.fte_filled, paid = kernels.accounts_week(
            wk, self.filled, c["nonhealth"], self.contract, self.cpid0, self.mfa, self.phys,
            self.st_mfa, c["mfa_q"], -1 if self.gpid is None else self.gpid, self.st_lia,
            self._f64("health_office_contact_rate"), self.lay.hg_start, self.acq_new,
            self.touched, self.bank, self.weekly, self.cap_m, self.case_bank,
            self.case_weekly, self.case_cap, self._paid_min, self._other_min, w["coord_min"],
            CA["other_duties"], self.fte, self._f64("coordinator_cost_eur_per_fte_year"),
            self.lots_fte, self._f64("lotsin_cost_eur_per_fte_year"), self.cost)
        w["coord_paid_min"] += paid

    @cached_property
    def _accounts_args(self) -> dict[str, np.ndarray]:
        """Constant arguments of kernels.accounts_week (they do not change during a run)."""
        P = self.P
        return {"nonhealth": self.kind >= ASD,
                "mfa_q": np.ascontiguousarray(P["mfa_turnover_rate"] / 52.0, dtype=np.float64),
                "clearing": np.where(P["clearing_desk"].astype(bool),
                                     _minutes(P["clearing_desk_hours_per_week"]), 0)}

    def _year_boundary(self, year: int, t: int) -> None:
        R, P, lay = self.R, self.P, self.lay
        w = self.w
        draws.prepare_generators(self.seeds, draws.year_streams(year))
        # staffing, outreach and meeting draws follow from the seed and the layout alone
        # (they read no parameter): drawn once for each seed of the batch
        first_run, inv = self._seed_index
        useeds = list(first_run)

        def per_run(key, arrays: list[np.ndarray]) -> np.ndarray:
            # one array per seed, stacked into a buffer kept from year to year (a year's
            # draws are not read after it): its pages are touched once, not every year
            shape = (len(arrays),) + arrays[0].shape
            a = self._year_bufs.get(key)
            if a is None or a.shape != shape:
                a = self._year_bufs[key] = np.empty(shape, dtype=arrays[0].dtype)
            for i, x in enumerate(arrays):
                a[i] = x
            return a if inv is None else a[inv]

        st = [draws.draw_staff(s, year, lay, self.params[first_run[s]]) for s in useeds]
        self.st_u = per_run("st_u", [s.u_turnover for s in st])
        self.st_e = per_run("st_e", [s.u_engagement for s in st])
        self.st_mfa = per_run("st_mfa", [s.u_mfa for s in st])
        self.st_lia = per_run("st_lia", [s.u_liaison for s in st])
        # outreach draws straight into the year's buffers, seed after seed
        shape = (draws.WEEKS_PER_YEAR, draws.MAX_COORD, draws.MAX_VISITS_PER_WEEK)
        ob = self._year_bufs.get("outreach")
        if ob is None or len(ob.u_door) != len(useeds):
            n = len(useeds)
            ob = self._year_bufs["outreach"] = draws.OutreachBlock(
                np.empty((n,) + shape), np.empty((n,) + shape),
                np.empty((n, shape[0])), np.empty((n, shape[0])))
        for i, s in enumerate(useeds):
            draws.draw_outreach(s, year, lay, self.params[first_run[s]], out=draws.OutreachBlock(
                ob.u_visit[i], ob.u_visit_mode[i], ob.u_door[i], ob.u_door_mode[i]))
        pick = (lambda a: a) if inv is None else (lambda a: a[inv])
        self.o_visit, self.o_vmode = pick(ob.u_visit), pick(ob.u_visit_mode)
        self.o_door, self.o_dmode = pick(ob.u_door), pick(ob.u_door_mode)
        self.meet = {}
        seeds = np.array(self.seeds, dtype=object)
        for fi, f in enumerate(FORMATS):
            on = P[f"{f}_interval_weeks"] > 0
            if not on.any():
                continue
            used = set(seeds[on].tolist())  # seeds of the runs whose format meets
            # only the year's meetings that can take place are drawn (the first rows)
            vals = {int(v) for v in P[f"{f}_interval_weeks"][on].tolist()}
            rows = max([1] + [draws.meeting_occurrence(t, v, fi) + 1 for v in vals
                              for t in range(year * 52, (year + 1) * 52)])
            blks = [draws.draw_meetings(s, year, fi, lay, rows) if s in used else None
                    for s in useeds]
            ref = next(b for b in blks if b is not None)
            z = lambda a: np.zeros_like(a)  # noqa: E731
            arrays = []
            for k in ("u_attend", "u_mode", "u_acquaint"):
                a = per_run((fi, k), [getattr(b, k) if b else z(getattr(ref, k))
                                      for b in blks])
                if not on.all():
                    a[~on] = 0.0  # runs whose format does not meet draw nothing
                arrays.append(a)
            self.meet[fi] = tuple(arrays)
        self.blocks = [b for b in self.blocks if b.max_week >= t]
        nC = self.nC
        cj = slice(self.cpid0, self.cpid0 + nC)
        fte = np.zeros((R, nC))
        contract = np.zeros((R, nC), dtype=np.int64)
        end = np.full((R, nC), -1, dtype=np.int64)
        phys = np.flatnonzero(self.phys)
        n_phys = len(phys)
        # the year's funding follows from a run's parameters alone: computed once for
        # the runs that share one parameter set
        done: dict[int, tuple] = {}
        for r in range(R):
            key = id(self.params[r])
            if key not in done:
                fund = allocate_year(self.streams[r], year, self.params[r])
                done[key] = (fund, year_measures(fund, self.params[r], n_phys),
                             position_contracts(list(self.planned[r]), fund))
            fund, measures, positions = done[key]
            self.fte_funded[r] = fund.coordinator_fte
            self.shares[r] = fund.shares
            self.lots_fte[r] = fund.lotsendienst_fte
            self.lotsendienst_coverage[r] = measures.lotsendienst_coverage
            self.lotsin_capacity[r] = measures.lotsin_capacity
            self.compensation_funded[r] = measures.compensation
            for j, (f_, c_, e_) in enumerate(positions):
                fte[r, j] = f_
                contract[r, j] = 0 if c_ is None else (1 if c_ == "permanent" else 2)
                end[r, j] = -1 if e_ is None else e_
            # MFA training of the first practices, as far as funded
            if measures.mfa_practices:
                sel = phys[:measures.mfa_practices]
                new = int((~self.mfa[r, sel]).sum())
                self.mfa[r, sel] = True
                self.cost[r, 3] = new * self.params[r]["mfa_training_cost_eur"]
        was_open = self.contract > 0
        closing = was_open & (contract == 0)
        filled_c = self.filled[:, cj]
        closed_filled = closing & filled_c
        w["turnover"] += closed_filled.sum(axis=1)
        w["positions_closed"] += closed_filled.sum(axis=1)
        cm = np.zeros((R, self.nP), dtype=bool)
        cm[:, cj] = closing
        self.filled &= ~cm
        self.vac = np.where(cm, 0, self.vac)
        self.bank = np.where(cm, 0, self.bank)
        self.case_bank = np.where(closing, 0, self.case_bank)
        self._reset_pairs(cm)
        opening = ~was_open & (contract > 0)
        self.contract, self.end_year, self.fte = contract, end, fte
        # the positions' paid and other-duties minutes a week, while filled
        ft = P["full_time_hours_per_week"][:, None]
        self._paid_min = _minutes(fte * ft)
        self._other_min = _minutes((fte * ft) * P["coordinator_other_duties_share"][:, None])
        if t == 0:
            start = opening & P["coordinator_filled_at_start"].astype(bool)[:, None]
            sm = np.zeros((R, self.nP), dtype=bool)
            sm[:, cj] = start
            eng0 = np.stack([pp.engagement_base for pp in self.pops])
            self._fill(sm, eng0, P["coordinator_initial_tenure_weeks"][:, None])
            # coordinators filled at the start keep the acquaintances drawn at the start
            st_pairs = sm[:, self.pb] & ((self.ptype == 1) | (self.ptype == 2))
            share = np.where(self.ptype == 1, P["initial_acquaintance_share"][:, None], 1.0)
            init = st_pairs & (self._u_acq0 < share)
            self.acq |= init
            self.last = np.where(init, 0, self.last)
            bonus = init & (self.ptype == 1)
            self.T = np.where(bonus, self.base_t + P["initial_acquaintance_trust_bonus"][:, None],
                              self.T)
            opening = opening & ~start
        om = np.zeros((R, self.nP), dtype=bool)
        om[:, cj] = opening
        self.filled &= ~om
        self.vac = np.where(om, P["hiring_delay_weeks_coordinator"][:, None] + 1, self.vac)
        self.weekly[:, cj], self.cap_m[:, cj], self.case_weekly, self.case_cap = \
            coordinator_accounts(fte, {k: v[:, None] for k, v in P.items()})
        self.bank[:, cj] = np.minimum(self.bank[:, cj], self.cap_m[:, cj])
        self.case_bank = np.minimum(self.case_bank, self.case_cap)
        per_d = meeting_reserve_per_district(P, FORMATS)
        self.reserve = per_d[:, None] * self.area.sum(axis=1)[None, :]

    # ---------------------------------------------------------------- phase 1
    def _competence(self, j: int) -> np.ndarray:
        P = self.P
        return rules.competence(self.tenure[:, self.cpid0 + j].astype(np.float64),
                                P["coordinator_competence_start"],
                                P["coordinator_competence_halftime_weeks"])

    def _phase_structural(self, t: int) -> None:
        for fi, fmt in enumerate(FORMATS):
            vals, inv = self._intervals[fi]
            occ = np.array([draws.meeting_occurrence(t, v, fi) for v in vals],
                           dtype=np.int64)[inv]
            if (occ < 0).all():
                continue
            for d in range(self.lay.n_districts):
                self._meeting(t, fi, fmt, occ, d)
        self._letters(t)
        self._visits(t)
        self._door_opening(t)

    @cached_property
    def _seed_index(self) -> tuple[dict[int, int], np.ndarray | None]:
        """The first run of each distinct seed, and each run's seed as an index into them.

        Seeds in order of first use; the index is None where all seeds differ.
        """
        first_run: dict[int, int] = {}
        for r, s in enumerate(self.seeds):
            first_run.setdefault(s, r)
        if len(first_run) == self.R:
            return first_run, None
        at = {s: i for i, s in enumerate(first_run)}
        return first_run, np.array([at[s] for s in self.seeds])

    @cached_property
    def _intervals(self) -> list[tuple[list[int], np.ndarray]]:
        """Per format: the distinct meeting intervals of the batch, and each run's one."""
        out = []
        for fmt in FORMATS:
            vals, inv = np.unique(self.P[f"{fmt}_interval_weeks"].astype(np.int64),
                                  return_inverse=True)
            out.append(([int(v) for v in vals], inv.reshape(-1)))
        return out

    def _meeting(self, t: int, fi: int, fmt: str, occ: np.ndarray, d: int) -> None:
        R, P, M, w = self.R, self.P, self.modes, self.w
        rr = np.arange(R)
        length_h = P[f"{fmt}_hours"]
        length = _minutes(length_h)
        need = _minutes(P["meeting_prep_hours"]) + length
        org = np.full(R, -1, dtype=np.int64)
        for j in range(self.nC):
            c = self.cpid0 + j
            ok = (org < 0) & (occ >= 0) & self.filled[:, c] & self.area[j, d] & \
                (self.bank[:, c] >= need)
            org = np.where(ok, c, org)
        held = org >= 0
        if not held.any():
            return
        self._spend(rr[held], org[held], need[held], "meetings")
        w["meetings"] += held
        u_att_all, u_mode_all, u_acq_all = self.meet[fi]
        occ_c = np.maximum(occ, 0)
        evening = P[f"{fmt}_evening"].astype(bool)
        compensated = self.compensation_funded & (fmt != "network_meeting")
        ja_ga = P["ja_ga_cooperation"].astype(bool)
        if self.gpid is not None:
            ja_ga = ja_ga & self.filled[:, self.gpid]
        else:
            ja_ga = np.zeros(R, dtype=bool)
        inv = np.flatnonzero(np.isin(self.kind, INVITED[fmt]) & (self.dist == d))
        kinv = self.kind[inv]
        health_inv = kinv <= MIDWIFE
        base = np.zeros((R, len(inv)))
        for code, n in ATTENDANCE_BASE.items():
            base[:, kinv == code] = P[n][:, None]
        aw = np.ones((R, len(inv)))
        hcols = inv[health_inv]
        aw[:, health_inv] = self.aware[:, hcols]
        practice = np.isin(kinv, PRACTICE_KINDS)
        tf = np.where(practice[None, :] & ~evening[:, None],
                      1.0 - P["attendance_daytime_penalty_practice"][:, None], 1.0)
        phys = np.isin(kinv, PHYSICIAN_KINDS)[None, :]
        boost = np.ones((R, len(inv)))
        boost = np.where(phys & compensated[:, None],
                         boost * (1.0 + P["attendance_compensation_boost"][:, None]), boost)
        if fmt == "quality_circle":
            boost = np.where(phys, boost * (1.0 + P["attendance_cme_boost"][:, None]), boost)
        boost = np.where(phys & ja_ga[:, None],
                         boost * (1.0 + P["attendance_ja_ga_boost"][:, None]), boost)
        prob = rules.attendance_probability(
            base, self.eng[:, inv], aw, length_h[:, None],
            P["attendance_length_penalty"][:, None], tf, boost,
            P["attendance_floor_engagement"][:, None], P["attendance_floor_awareness"][:, None])
        elig = self.filled[:, inv] & (self.bank[:, inv] >= length[:, None])
        u = u_att_all[rr, occ_c][:, inv]
        att = held[:, None] & elig & (u < prob)
        liaison = np.zeros(R, dtype=bool)
        if self.gpid is not None and fmt != "round_table":
            liaison = held & ja_ga & (self.bank[:, self.gpid] >= length)
        ar, ai = np.nonzero(att)
        paid = compensated[ar] & np.isin(self.kind[inv[ai]], (PED, GYN))
        self._spend(ar, inv[ai], length[ar], "meetings", paid=paid)
        w["compensated"] += np.bincount(ar[paid], minlength=R)
        hm = att & health_inv[None, :]
        if hm.any():
            hr, hi = np.nonzero(hm)
            self.attended[hr, inv[hi]] = True
        if liaison.any():
            self._spend(rr[liaison], np.full(liaison.sum(), self.gpid), length[liaison],
                        "meetings")
        has_h = hm.any(axis=1)
        if not has_h.any():
            return
        present = np.zeros((R, self.nP), dtype=bool)
        present[:, inv] = att
        present[rr[held], org[held]] = True
        if self.gpid is not None:
            present[:, self.gpid] |= liaison
        present &= has_h[:, None]
        comp = np.zeros(R)
        for j in range(self.nC):
            comp = np.where(org == self.cpid0 + j, self._competence(j), comp)
        # the pairs present: the meeting's mode and its consequences (kernels.meeting_pairs)
        c = self._case_args
        mode = kernels.meeting_pairs(
            present, self.pa, self.pb, self.cross, self.T, self.U, self.logic, comp,
            c["inst"], M.base_a, M.coef_a, np.ascontiguousarray(u_mode_all[rr, occ_c, d]),
            M.info, M.plan, M.conflict, c["trust_gain"], c["trust_loss"], c["info_weight"],
            c["underst_gain"], self._f64(f"meeting_intensity_{fmt}"), u_acq_all, occ_c,
            self._f64(f"meeting_acquaintance_{fmt}"), self.pend_t, self.pend_u, self.touched,
            self.acq_new)
        np.add.at(w["mode_struct"], (rr[has_h], mode[has_h]), 1)
        inten = P[f"meeting_intensity_{fmt}"]
        attm = att & has_h[:, None]
        plan = M.plan[rr, mode][:, None]
        conf = M.conflict[rr, mode][:, None]
        de = rules.engagement_interaction_delta(self.eng[:, inv], plan, conf,
                                                P["engagement_gain_planning"][:, None],
                                                P["engagement_loss_conflict"][:, None],
                                                inten[:, None])
        self.pend_e[:, inv] += np.where(attm, de, 0.0)
        sel = attm[:, health_inv]
        a = self.aware[:, hcols]
        self.pend_a[:, hcols] += np.where(
            sel, P["awareness_refresh_meeting"][:, None] * (1.0 - a), 0.0)
        self.refreshed[:, hcols] |= sel

    def _letters(self, t: int) -> None:
        P = self.P
        iv = P["letter_interval_weeks"].astype(np.int64)
        due = (iv > 0) & (t % np.maximum(iv, 1) == 7 % np.maximum(iv, 1))
        if not due.any():
            return
        for j in range(self.nC):
            c = self.cpid0 + j
            rec = self.area[j][self.dist[: self.nH]]
            cost = int(rec.sum()) * P["letter_minutes_per_recipient"].astype(np.int64)
            ok = due & self.filled[:, c] & (self.bank[:, c] >= cost)
            if not ok.any():
                continue
            rr = np.flatnonzero(ok)
            self._spend(rr, np.full(len(rr), c), cost[rr], "letters")
            m = ok[:, None] & rec[None, :] & self.filled[:, : self.nH]
            a = self.aware
            self.pend_a += np.where(m, P["awareness_refresh_letter"][:, None] * (1.0 - a), 0.0)
            self.refreshed |= m

    def _visits(self, t: int) -> None:
        """Practice visits of the coordinators (kernels.visits_week)."""
        if self.nC == 0:
            return
        M = self.modes
        c = self._case_args
        v = self._visit_args
        comp = np.stack([self._competence(j) for j in range(self.nC)], axis=1)
        sums = kernels.visits_week(
            t % 52, self.cpid0, self.lay.hc_start, self.area, self.dist, self.bank,
            self.cap_m, np.ascontiguousarray(self.reserve), self.filled, self.acq, self.aware,
            comp, v["vm"], v["hm"], v["maxv"], v["req"], self._f64("visit_success_base"),
            self._f64("visit_success_cold"), self._f64("visit_floor_engagement"),
            self._f64("visit_floor_competence"), self.o_visit, self.o_vmode,
            self._f64("intensity_visit"), self.spend_cat, _N_SPEND, self.T, self.U,
            self.logic, c["inst"], M.base_a, M.coef_a, M.info, M.plan, M.conflict,
            c["trust_gain"], c["trust_loss"], c["info_weight"], c["underst_gain"], self.eng,
            c["eng_gain"], c["eng_loss"], self._f64("awareness_refresh_visit"),
            self.w["mode_struct"], self.pend_t, self.pend_u, self.touched, self.acq_new,
            self.pend_a, self.refreshed, self.pend_e)
        self._book(sums, "visits")

    @cached_property
    def _visit_args(self) -> dict[str, np.ndarray]:
        """Constant integer arguments of kernels.visits_week."""
        P = self.P
        vm = _minutes(P["visit_hours_coordinator"])
        return {"vm": vm, "hm": P["visit_minutes_health"].astype(np.int64),
                "maxv": P["max_visits_per_week"].astype(np.int64),
                "req": P["visit_request_minutes"].astype(np.int64)}

    def _door_opening(self, t: int) -> None:
        """Door opening by the health-office liaison (kernels.door_week)."""
        if self.gpid is None or self.nC == 0:
            return
        M = self.modes
        c = self._case_args
        sums = np.zeros((self.R, _N_SPEND), dtype=np.int64)
        kernels.door_week(
            t % 52, self.gpid, self.cpid0, self.lay.hg_start, self.lay.hc_start, self.filled,
            self.bank, self.cap_m, self.acq, self.aware, self.area, self.dist,
            c["door_minutes"], self._visit_args["hm"], c["door_prob"], self.o_door,
            self.o_dmode, self._f64("trust_transfer_door_opening"),
            self._f64("intensity_door_opening"), c["spend_cat"], sums, self.T, self.U,
            self.logic, c["inst"], M.base_a, M.coef_a, M.info, M.plan, M.conflict,
            c["trust_gain"], c["trust_loss"], c["info_weight"], c["underst_gain"], self.eng,
            c["eng_gain"], c["eng_loss"], self._f64("awareness_refresh_visit"),
            self.w["mode_struct"], self.pend_t, self.pend_u, self.touched, self.acq_new,
            self.pend_a, self.refreshed, self.pend_e)
        self._book(sums, "door_opening")

    # ---------------------------------------------------------------- phase 2
    @cached_property
    def _route_params(self) -> np.ndarray:
        """(R, 10) parameters of kernels.route_table (they do not change during a run)."""
        return np.stack([self._f64(f"referral_minutes_{r}") for r in REFERRAL_ROUTES[:4]]
                        + [self._f64(f"route_value_{r}") for r in REFERRAL_ROUTES[:4]]
                        + [self._f64("clearing_desk"), np.zeros(self.R)], axis=1)

    @cached_property
    def _contact_args(self) -> dict[str, np.ndarray]:
        """Constant arguments of kernels.contacts_week (they do not change during a run)."""
        P, R = self.P, self.R
        ref_min = np.zeros((R, len(REFERRAL_ROUTES)), dtype=np.int64)
        acc = np.zeros((R, len(REFERRAL_ROUTES)))
        for rt, name in enumerate(REFERRAL_ROUTES):
            if rt != R_LOTS:  # the Lotsendienst's minutes are its screening minutes
                ref_min[:, rt] = P[f"referral_minutes_{name}"]
            acc[:, rt] = P[f"acceptance_{name}"]
        return {
            "fc": np.array([self.fi_col[c] for c in kernels.CONTACT_FIELDS], dtype=np.int64),
            "ki": np.array([KI[c] for c in ("cover", "screen", "assess", "lotsin_refer",
                                            "lotsin_accept")], dtype=np.int64),
            "pm": np.stack([self._f64(c) for c in kernels.CONTACT_PARAMS], axis=1),
            "lots_minutes": P["lotsin_minutes_per_screen"].astype(np.int64),
            "clearing_minutes": P["clearing_desk_minutes_per_referral"].astype(np.int64),
            "ref_min": ref_min, "acc": acc,
            "ft_host": P["coordinator_host"] == "freier_traeger",
        }

    @cached_property
    def _mark_cols(self) -> np.ndarray:
        """Columns of the family array read by kernels.birthdays_and_exits."""
        return np.array([self.fi_col[c] for c in ("bw", "burden", "y1", "first_help",
                                                  "crisis_week", "state", "worker", "fid",
                                                  "cb_exit", "nbits")], dtype=np.int64)

    @cached_property
    def _insert_cols(self) -> tuple[list[int], list[int], np.ndarray, np.ndarray]:
        """Fields set at insertion held in fi and in fh: their positions, their columns.

        The positions are those in _INSERT_COLS, the columns those in fi and fh.
        """
        narrow = [k for k, n in enumerate(_INSERT_COLS) if n not in _WIDE_FIELDS]
        wide = [k for k, n in enumerate(_INSERT_COLS) if n in _WIDE_FIELDS]
        return (narrow, wide,
                np.array([self.fi_col[_INSERT_COLS[k]] for k in narrow], dtype=np.int64),
                np.array([self.fh_col[_INSERT_COLS[k]] for k in wide], dtype=np.int64))

    @cached_property
    def _hazard_cols(self) -> np.ndarray:
        """Columns of the family arrays read and written by kernels.rehazard (fi, fh)."""
        c = dict(self.fi_col, **self.fh_col)
        return np.array([c[n] for n in ("burden", "onset", "state", "H0", "t_upd", "h_cur",
                                        "e_crisis", "crisis_at", "bw", "fid")], dtype=np.int64)

    @cached_property
    def _quality_col(self) -> int:
        floats = [f[0] for f in _FAMILY_FIELDS if f[1] is np.float64]
        return floats.index("quality")

    @cached_property
    def _case_args(self) -> dict[str, np.ndarray]:
        """Constant per-run arguments of the interaction kernels.

        (case interactions, meetings, visits and introductions)
        """
        f = self._f64
        return {"trust_base": f("trust_baseline_cross"),
                "underst_base": f("understanding_baseline_cross"),
                "inst": f("cooperation_agreement"), "trust_gain": f("trust_gain"),
                "trust_loss": f("trust_loss"), "info_weight": f("trust_gain_info_weight"),
                "underst_gain": f("understanding_gain"),
                "eng_gain": f("engagement_gain_planning"),
                "eng_loss": f("engagement_loss_conflict"),
                # case cooperation only
                "cols": np.array([self.fi_col["burden"], self.fi_col["route"],
                                  self.fi_col["case_mode"], self._ff_col["case_info"],
                                  self._ff_col["case_conflict"], self._ff_col["quality"]],
                                 dtype=np.int64),
                "urg_multiple": f("urgency_multiple"), "urg_medium": f("urgency_medium"),
                "clearing": f("clearing_desk"), "inten_case": f("intensity_case"),
                "inten_crisis": f("intensity_crisis"),
                "quality": np.stack([f("quality_base"), f("quality_info"),
                                     f("quality_plan"), f("quality_conflict")], axis=1),
                "spend_cat": np.ascontiguousarray(self.spend_cat, dtype=np.int64),
                # door opening only
                "door_minutes": self.P["door_opening_minutes"].astype(np.int64),
                "door_prob": np.ascontiguousarray(
                    self.P["door_opening_probability"] * np.where(
                        self.P["ja_ga_cooperation"].astype(bool),
                        self.P["ja_ga_door_opening_multiplier"], 1.0), dtype=np.float64)}

    def _route_table(self, share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each health slot's preferred referral route this week, its value and target."""
        lay = self.lay
        return kernels.route_table(
            share, self.acq, self.filled, self.T, self.aware, self.warm_y, self.warm_q,
            lay.hg_start, lay.hc_start, self.nC, self.cpid0, self.gpid is not None,
            self._route_params)

    def _phase_contacts(self, t: int) -> None:
        R = self.R
        parts = []
        for b in self.blocks:
            sl = b.contacts(t)
            if sl.stop > sl.start:  # the representatives' contacts, in every run of the group
                parts.append(self._group_records(b.cand[sl]))
        if not parts:
            return
        # one compiled pass over the contacts (kernels.contacts_week): a family has at
        # most two contacts a week, all first contacts (in run and family order) come
        # before all second contacts (kernels.sort_contacts)
        run, pos, slot, h, rnd, codes, vis = kernels.sort_contacts(
            parts[0] if len(parts) == 1 else np.concatenate(parts), R, self.cap)
        # minutes per contact and free time (contact counts are kept for the
        # representatives: the same in their group)
        share, slack = kernels.contact_shares(t % 52, self.bank, self.cap_m, self._n_week,
                                              self._rep_of)
        route_tab = self._route_table(share)
        P = self.P
        best, bv, tgt = route_tab
        c = self._contact_args
        coord_used, spend, yes = kernels.contacts_week(
            t, run, pos, slot, h, rnd, codes, vis, self.fi, c["fc"], self.F["u"],
            c["ki"],
            self.kind, KIND_BIT_OF, KIND_BITS["clinic"], BIRTH_SLOT, self.nH, c["pm"],
            self.lotsendienst_coverage, c["lots_minutes"], self.lotsin_left, self.skill,
            self.mfa, slack, share, self.aware, self.eng, self.person, best, bv, tgt,
            self._pool_capacity(P["coordinator_clearing_minutes"]), c["clearing_minutes"],
            self.clearing_left, c["ref_min"], c["acc"], c["ft_host"], self.w["routes"],
            self.refring)
        self._spend(spend[:, 0], spend[:, 1], spend[:, 2], "referral")
        ry, py = yes[:, 0], yes[:, 1]
        fy = self.F["fid"][ry, py].astype(np.int64)
        self.waiting_n += np.bincount(ry, minlength=R)
        self.wait_run = np.concatenate([self.wait_run, ry])
        self.wait_fid = np.concatenate([self.wait_fid, fy])
        # a new spell, without an end: the dropout hazard accumulates from next week on
        # (weeks after the horizon, and NEVER_WEEK, are not kept by the calendar)
        self.cal_drop.add(*kernels.spell_dropouts(
            t, ry, py, fy, np.full(len(ry), NEVER_WEEK + 1), self.fh, self.ff,
            self.fh_col["e_drop"], self.fh_col["drop_at"], self._ff_col["case_conflict"],
            self._f64("dropout_base"), self._zeros_r, NEVER_WEEK))
        # coordinators' case time used for clearing, first coordinator first
        self._take_pool(coord_used, P["coordinator_clearing_minutes"], "clearing")

    def _pool_capacity(self, item: np.ndarray) -> np.ndarray:
        """How many items of the given minutes the filled coordinators' case time holds."""
        return kernels.pool_capacity(self.case_bank, self.filled, self.cpid0,
                                     item.astype(np.int64))

    def _take_pool(self, used: np.ndarray, item: np.ndarray, activity: str) -> None:
        """Deduct ``used`` items from the coordinators' case time, first coordinator first."""
        it = item.astype(np.int64)
        kernels.take_pool(self.case_bank, self.filled, self.cpid0, it, used)
        self.w["coord_min"][:, CA[activity]] += used * it

    # ---------------------------------------------------------------- phase 3
    def _phase_intake(self, t: int) -> None:
        self._changed_run = self._changed_pos = np.zeros(0, dtype=np.int64)
        if len(self.wait_run) == 0:
            return
        # the waiting families in (run, id) order, each once: what intake left waiting (in
        # that order) followed by this week's few new ones, which NumPy's stable sort (a
        # merge sort that keeps sorted runs) merges in about linear time
        key = np.sort(self.wait_run * (1 << 40) + self.wait_fid, kind="stable")
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        key = key[first]
        # places assigned and help started in one compiled pass (kernels.intake_week)
        c = self._intake_args
        ra, pa_, fa, wa, end, ref, self.wait_run, self.wait_fid = kernels.intake_week(
            t, key >> 40, key & ((1 << 40) - 1), self.fi, self.ff, c["col"], c["f_col"],
            self.cap, self.nH, self.filled, self.person, c["is_fh"], self.capacity,
            self.cases, self.dist, c["fh_tab"], c["fh_n"], self.weeks, self.waiting_n,
            self.in_help_n, self.w["delay_hist"], self.w["delay_hi"], c["dur_medium"],
            c["dur_multiple"],
            self._f64("quality_base"), self.w["mode_case"], IN_HELP, WAITING, R_WARM,
            R_CLEARING, R_COORD, R_LOTS, rules.NEGATIVE)
        if len(ra) == 0:
            return
        self.cal_done.add(end, ra, fa)
        # case cooperation between referrer and provider
        ci = np.flatnonzero(ref >= 0)
        self._case_interactions(ra[ci], pa_[ci], ref[ci], wa[ci], "intake")
        # dropout hazard of the help spell (after the case mode set the conflict)
        self.cal_drop.add(*kernels.spell_dropouts(
            t, ra, pa_, fa, end, self.fh, self.ff, self.fh_col["e_drop"],
            self.fh_col["drop_at"], self._ff_col["case_conflict"], self._f64("dropout_base"),
            self._f64("dropout_conflict"), NEVER_WEEK))
        self._changed_run, self._changed_pos = ra, pa_

    @cached_property
    def _intake_args(self) -> dict[str, np.ndarray]:
        """Constant arguments of kernels.intake_week (they do not change during a run)."""
        nH, nY, P = self.nH, self.nY, self.P
        fh_n = np.array([len(a) for a in self.fh_of_district], dtype=np.int64)
        tab = np.zeros((len(fh_n), max(int(fh_n.max()), 1) if len(fh_n) else 1),
                       dtype=np.int64)
        for d, a in enumerate(self.fh_of_district):
            tab[d, :len(a)] = a
        return {
            "col": np.array([self.fi_col[n] for n in (
                "fid", "state", "route", "target", "accepted_week", "waiting_since", "fdist",
                "first_help", "first_noticeable", "burden", "help_end", "worker",
                "assigned_week", "referrer", "ref_person", "case_mode")], dtype=np.int64),
            "f_col": np.array([self._ff_col[n] for n in ("case_info", "case_conflict",
                                                         "quality")], dtype=np.int64),
            "is_fh": self.kind[nH:nH + nY] == FH, "fh_tab": tab, "fh_n": fh_n,
            "dur_medium": P["help_duration_weeks_medium"].astype(np.int64),
            "dur_multiple": P["help_duration_weeks_multiple"].astype(np.int64),
        }

    def _case_interactions(self, run, pos, h, y, kind: str) -> None:
        """Case cooperation, listed in (run, family) order."""
        if len(run) == 0:
            return
        M = self.modes
        intake = kind == "intake"
        # choice of mode, its consequences for the pair and both engagements, the time
        # and, at intake, the case's outcome, in one compiled pass
        # (kernels.case_interactions)
        c = self._case_args
        sums = np.zeros((self.R, _N_SPEND), dtype=np.int64)
        kernels.case_interactions(
            run, pos, h, y, intake, self.fi, self.ff, self.F["u"], c["cols"],
            KI["mode_intake" if intake else "mode_crisis"], c["urg_multiple"],
            c["urg_medium"], c["clearing"], c["inten_case" if intake else "inten_crisis"],
            c["quality"], c["spend_cat"], sums, self.bank, self.hy_pair, self.nH, self.T,
            self.U, c["trust_base"], c["underst_base"], self.logic, c["inst"], M.base_a,
            M.coef_a, M.mh, M.my, M.info, M.plan, M.conflict, c["trust_gain"],
            c["trust_loss"], c["info_weight"], c["underst_gain"], self.eng, c["eng_gain"],
            c["eng_loss"], self.w["mode_case"], self.pend_t, self.pend_u, self.touched,
            self.acq_new, self.pend_e)
        self._book(sums, "case" if intake else "crisis")

    # --------------------------------------------------------------- phase 3b
    def _phase_progress(self, t: int) -> None:
        # help completed this week (with feedback), then the dropouts scheduled for it, in
        # one compiled pass (kernels.progress_week)
        d_run, d_fid = self.cal_done.pop(t)
        x_run, x_fid = self.cal_drop.pop(t)
        c = self._progress_args
        ch_run, ch_pos = kernels.progress_week(
            t, d_run, d_fid, x_run, x_fid, self.fi, self.fh, self.ff, self.F["u"], c["col"],
            self.fh_col["drop_at"], self._ff_col["case_info"], KI["feedback"], self.cap,
            self.nH, self.cases, self.in_help_n, self.waiting_n, self.w["dropouts"],
            self.filled, self.person, self.case_bank, self.cpid0, self.nC, c["fb_minutes"],
            self.w["coord_min"], CA["feedback"], c["fb_share"], c["fb_floor"], c["refresh"],
            c["e_gain"], c["e_loss"], c["tr_gain"], c["tr_loss"], c["tr_inten"],
            c["tr_info_weight"], self.aware, self.pend_a, self.refreshed, self.eng,
            self.pend_e, self.hy_pair, self.T, self.pend_t, self.touched, IN_HELP, WAITING,
            DONE, NOTICED, R_COORD, R_LOTS)
        if len(ch_run):
            self._changed_run = np.concatenate([self._changed_run, ch_run])
            self._changed_pos = np.concatenate([self._changed_pos, ch_pos])

    @cached_property
    def _progress_args(self) -> dict[str, np.ndarray]:
        """Constant arguments of kernels.progress_week (they do not change during a run)."""
        f = self._f64
        return {
            "col": np.array([self.fi_col[n] for n in (
                "fid", "state", "help_end", "worker", "assigned_week", "accepted_week",
                "declined", "referrer", "ref_person", "route")], dtype=np.int64),
            "fb_minutes": self.P["coordinator_feedback_minutes"].astype(np.int64),
            "fb_share": f("feedback_allowed_share"), "fb_floor": f("feedback_floor_info"),
            "refresh": f("awareness_refresh_feedback"),
            "e_gain": f("engagement_gain_feedback"), "e_loss": f("engagement_loss_no_feedback"),
            "tr_gain": f("trust_gain"), "tr_loss": f("trust_loss"),
            "tr_inten": f("intensity_feedback"), "tr_info_weight": f("trust_gain_info_weight"),
        }

    @cached_property
    def _n_phys(self) -> np.ndarray:
        """(R,) the number of physicians' slots."""
        return np.full(self.R, int(self.phys.sum()), dtype=np.int64)

    @cached_property
    def _zeros_r(self) -> np.ndarray:
        """(R,) zeros (a parameter term that does not apply)."""
        return np.zeros(self.R)

    @cached_property
    def _ff_col(self) -> dict[str, int]:
        """Columns of the float fields in the family array ``ff``."""
        return {f[0]: k for k, f in enumerate(f for f in _FAMILY_FIELDS if f[1] is np.float64)}

    # ---------------------------------------------------------------- phase 4
    def _phase_escalation(self, t: int) -> None:
        # families whose crisis hazard changes this week: onset of the burden, start and end
        # of help; their accumulated hazard is brought up to date and the crisis rescheduled
        n_ch = len(self._changed_run)
        rs, fs = [self._changed_run], [np.full(n_ch, -1, dtype=np.int64)]
        for b in self.blocks:
            sl = b.onsets(t)
            if sl.stop > sl.start:  # the representatives' families, in every run of the group
                r_, f_ = self._group_items(b.o_run[sl], b.o_fid[sl])
                rs.append(r_)
                fs.append(f_)
        if len(rs) > 1 or n_ch:
            run = np.concatenate(rs)
            fid = np.concatenate(fs)
            # the families with an onset are checked to be present in the kernel
            pos = np.concatenate([self._changed_pos, fid[n_ch:] % self.cap])
            # the hazard from this week on, and the new crisis week (kernels.rehazard)
            at, r_at, f_at = kernels.rehazard(
                t, self.fi, self.fh, self.ff, self._hazard_cols, self._quality_col, run, pos,
                fid, self._f64("crisis_hazard_multiple"), self._f64("crisis_hazard_medium"),
                self._f64("crisis_hazard_low"), self._f64("help_effect"),
                self._f64("post_help_effect"), CRISIS, IN_HELP, DONE, STAY_WEEKS_AFTER_BIRTH,
                NEVER_WEEK)
            self.cal_crisis.add(at, r_at, f_at)
        # crises of this week (kernels.crises_week), then their crisis cooperation
        run, fid = self.cal_crisis.pop(t)
        if len(run) == 0:
            return
        asd_tab, asd_n, col, hcol = self._crisis_args
        rc, pc, hp, a = kernels.crises_week(
            t, run, fid, self.fi, self.fh, col, hcol, self.cap, self.nH, self.cases,
            self.in_help_n, self.waiting_n, self.w["crises"], self.filled, asd_tab, asd_n,
            IN_HELP, WAITING, CRISIS)
        self._case_interactions(rc, pc, hp, a, "crisis")

    @cached_property
    def _crisis_args(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Arguments of kernels.crises_week that do not change during a run.

        The ASD workers of every district (a padded table and its counts) and the columns
        of the family arrays.
        """
        nD = len(self.asd_of_district)
        asd_n = np.array([len(a) for a in self.asd_of_district], dtype=np.int64)
        tab = np.zeros((nD, max(int(asd_n.max()), 1) if nD else 1), dtype=np.int64)
        for d, a in enumerate(self.asd_of_district):
            tab[d, :len(a)] = a
        col = np.array([self.fi_col[n] for n in ("fid", "state", "worker", "crisis_week",
                                                 "fdist", "bw", "ped", "gyn")], dtype=np.int64)
        hcol = np.array([self.fh_col[n] for n in ("crisis_at", "drop_at")], dtype=np.int64)
        return tab, asd_n, col, hcol

    # ---------------------------------------------------------------- phase 5
    def _phase_commit(self, t: int) -> None:
        P = self.P
        w = self.w
        # one compiled pass over pairs and professionals (kernels.commit_week)
        (w["trust_sum"], w["understanding_sum"], w["pairs"], w["health_acquainted"],
         w["health_filled"], w["physicians_active"], w["physicians_attended"]) = \
            kernels.commit_week(
                t, self.T, self.U, self._base_tables[0], self._base_tables[1],
                self._base_tables[2], self._f64("trust_decay"),
                self._f64("understanding_decay"), self.last, self.acq, self.acq_new,
                self.touched, self.pend_t, self.pend_u, self._f64("acquaintance_lapse_weeks"),
                self.eng, self.pend_e, self.eng_base, self._f64("engagement_drift"),
                self.filled, self.tenure, self.aware, self.pend_a, self.refreshed,
                self._f64("awareness_decay"), self.cross, self.pa, self.pb, self.refring,
                self.refsum, self.phys, self.attended)
        w["physicians"] = self._n_phys
        w["families"] = self.tail - self.head
        w["in_help"] = self.in_help_n.copy()
        w["waiting"] = self.waiting_n.copy()
        w["fte_funded"] = self.fte_funded.copy()
        w["fte_filled"] = self.fte_filled
        w["lotsendienst_coverage"] = self.lotsendienst_coverage.copy()
        self.cost[:, 2] = w["compensated"] * P["compensation_eur_per_session"]
        self.rec.week(w, self.cost, self.shares)

    # ---------------------------------------------------------------- results
    def result(self) -> BatchResult:
        """Summaries of every run (call after the last week)."""
        R, rec = self.R, self.rec
        ck, nk = rec.contact_kind.copy(), rec.noticed_kind.copy()
        # the families still present count with their kinds of contact inside the horizon
        kernels.present_flags(self.fi, self.fi_col["cb_end"], self.fi_col["nbits"],
                              self.head, self.tail, self.cap, KIND_BIT_VALUES,
                              rec.contact_kind, rec.noticed_kind)
        ck, rec.contact_kind = rec.contact_kind, ck
        nk, rec.noticed_kind = rec.noticed_kind, nk
        ped = self.kind[: self.nH] == PED
        refs = self.refring.sum(axis=1)[:, ped]
        summaries = [rec.summary(r, refs[r], ck[r], nk[r]) for r in range(R)]
        return BatchResult(self.seeds, self.params, summaries, rec)


class _ModeArrays:
    """Mode parameters per run: arrays indexed [run, mode]."""

    def __init__(self, P: dict[str, np.ndarray], R: int):
        f64 = lambda x: np.asarray(x, dtype=np.float64)  # noqa: E731
        base = [f64(P[f"mode_base_{m}"]) for m in MODES]
        coef = [[f64(P[f"mode_{m}_{f}"]) for f in rules.MODE_FEATURES] for m in MODES]
        self.info = np.stack([f64(P[f"info_{m}"]) for m in MODES], axis=1)
        self.plan = np.stack([f64(P[f"plan_{m}"]) for m in MODES], axis=1)
        self.conflict = np.stack([f64(P[f"conflict_{m}"]) for m in MODES], axis=1)
        zero = np.zeros(R, dtype=np.int64)
        self.mh = np.stack([np.asarray(P[f"minutes_health_{m}"], dtype=np.int64)
                            if f"minutes_health_{m}" in P else zero for m in MODES], axis=1)
        self.my = np.stack([np.asarray(P[f"minutes_youth_{m}"], dtype=np.int64)
                            if f"minutes_youth_{m}" in P else zero for m in MODES], axis=1)
        # weights as arrays for the kernels: (R, 4) and (R, 4, 7)
        self.base_a = np.ascontiguousarray(np.stack(base, axis=1))
        self.coef_a = np.ascontiguousarray(
            np.stack([np.stack(row, axis=1) for row in coef], axis=1))


def _available_gb() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1e6
    except OSError:  # pragma: no cover
        pass
    return 8.0


def compile_kernels() -> float:
    """Compile the engine's Numba kernels (or load them from the disk cache).

    Runs a tiny batch of the default parameters, which calls every kernel with the
    argument types of real runs (and the recorder's count of a family's flags at its
    exit, which only the Mesa engine calls one family at a time); returns the seconds it
    took.  ``./ks`` calls this once after installing, so that the first real run does
    not wait for the compiler.
    """
    import time

    t0 = time.perf_counter()
    res = VectorEngine([{"weeks": 60, "lotsendienst_coverage": 0.5}] * 2, [0, 1]).run()
    none = np.zeros(0, dtype=np.int64)
    res.recorder.add_family_flags(none, none, none)
    return time.perf_counter() - t0


def run_batch(params: list[dict[str, Any]], seeds: list[int],
              progress: Callable[[int], None] | None = None) -> BatchResult:
    """Run a batch of runs with the vectorised engine and return their results."""
    return VectorEngine(params, seeds).run(progress)

