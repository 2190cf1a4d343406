"""Named random streams and the blocks of random numbers both engines use.

Every random decision belongs to a named stream.  A stream's numbers for one block
(a year, a meeting format in a year, the initial population) come from their own
generator, seeded by ``SeedSequence(seed, spawn_key=(stream_id, *key))``: adding a
decision or changing a lever never shifts the numbers of another stream, and
replicate *r* of two scenarios with the same structure draws the same numbers for
every decision they share (common random numbers by construction).

The shapes of all blocks depend only on the numbers of health and youth-welfare slots,
districts and births, never on behavioural parameters or levers.  Coordinator positions
and the health-office liaison draw from streams of their own with a fixed number of
columns (:data:`MAX_COORD` positions), so that changing the coordinator FTE or adding the
liaison leaves every other draw where it was.  Practice sizes (Gamma
variates, drawn by rejection, so that the count of raw numbers consumed depends on the
shape) come last in their stream; engagement is drawn by inversion of the Beta
distribution from uniforms of its own streams (``population_engagement``,
``staff_engagement``), so that changing the engagement parameters moves no other draw.
Both engines call the functions here and
nothing else to obtain randomness.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import types
from numba.extending import overload, register_jitable
from scipy.special import betaincinv

from . import kernels
from .layout import (
    BIRTH_SLOT,
    CONTACTS,
    PRENATAL_WEEKS,
    SLOT_KIND,
    STAY_WEEKS_AFTER_BIRTH,
    Layout,
)
from .params import PARAMS_BY_NAME
from .rules import threshold_units

__all__ = [
    "STREAMS",
    "stream_id",
    "generator",
    "new_seed",
    "check_seed",
    "Population",
    "draw_population",
    "FamilyBlock",
    "draw_initial_families",
    "draw_year_families",
    "StaffBlock",
    "draw_staff",
    "OutreachBlock",
    "draw_outreach",
    "MeetingBlock",
    "draw_meetings",
    "MEETING_FORMATS",
    "MAX_MEETINGS_PER_YEAR",
    "FAMILY_U",
]

#: The named streams.  New decisions get new names; existing numbers never move.
STREAMS = (
    "population",
    "population_engagement",
    "population_pairs",
    "population_coordinators",
    "population_office",
    "initial_families",
    "births",
    "families",
    "staff",
    "staff_engagement",
    "staff_coordinators",
    "staff_office",
    "outreach",
    "meetings",
    "meetings_pairs",
)
MEETING_FORMATS = ("network_meeting", "quality_circle", "round_table")
#: Meeting intervals are at least 4 weeks, so a format meets at most 13 times a year.
MAX_MEETINGS_PER_YEAR = 13
#: Upper bound of ``max_visits_per_week``; the outreach block always has this many columns.
MAX_VISITS_PER_WEEK = int(PARAMS_BY_NAME["max_visits_per_week"].max)
#: Most coordinator positions (``coordinator_fte`` is at most 8); coordinator blocks always
#: have this many columns.
MAX_COORD = int(math.ceil(PARAMS_BY_NAME["coordinator_fte"].max))
WEEKS_PER_YEAR = 52


def stream_id(name: str) -> int:
    """Stable integer id of a named stream."""
    return zlib.crc32(name.encode("utf-8"))


def generator(seed: int, name: str, *key: int) -> np.random.Generator:
    """The generator of stream ``name`` for block ``key`` of the run seeded ``seed``."""
    if type(seed) is int and _PREPARED and all(type(k) is int for k in key):
        words = _PREPARED.get((seed, name, key))
        if words is not None:  # the state prepared by prepare_generators: the same numbers
            return np.random.Generator(np.random.PCG64(_PreparedSeed(words)))
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(stream_id(name), *key))
    return np.random.Generator(np.random.PCG64(ss))


# SeedSequence for many generators at once.  Seeding a generator spends most of its time
# hashing the seed and the spawn key; prepare_generators does that with array arithmetic
# for whole batches of runs, following NumPy's SeedSequence (pool of 4 words, its hash and
# mixing constants) step by step, and generator() then starts PCG64 from the prepared
# words.  tests/test_reproducibility.py holds the result to NumPy's own SeedSequence.
_SS_INIT_A, _SS_MULT_A = 0x43B0D7E5, 0x931E8875
_SS_INIT_B, _SS_MULT_B = 0x8B51F9DD, 0x58F38DED
_SS_MIX_L, _SS_MIX_R = 0xCA01F9DD, 0x4973F715
_SS_POOL = 4
_M32 = 0xFFFFFFFF
#: Prepared PCG64 seed words by (seed, stream name, key); replaced by every call of
#: :func:`prepare_generators`.
_PREPARED: dict[tuple[int, str, tuple[int, ...]], np.ndarray] = {}


class _PreparedSeed(np.random.bit_generator.ISeedSequence):
    """Seed words computed by :func:`prepare_generators` (what SeedSequence would give)."""

    def __init__(self, words: np.ndarray):
        self.words = words

    def generate_state(self, n_words, dtype=np.uint32):
        if n_words != 4 or np.dtype(dtype) != np.uint64:  # pragma: no cover - PCG64 asks this
            raise ValueError("prepared seeds hold the 4 words PCG64 asks for")
        return self.words.copy()


def _words32(x: int) -> list[int]:
    """A non-negative integer as little-endian 32-bit words (at least one)."""
    if x < 0:
        raise ValueError(f"seeds and keys of random streams are non-negative, got {x}")
    out = [x & _M32]
    x >>= 32
    while x:
        out.append(x & _M32)
        x >>= 32
    return out


def _seed_words(entropy: np.ndarray) -> np.ndarray:
    """(N, L) uint32 assembled entropy -> (N, 4) uint64 ``generate_state(4, np.uint64)``."""
    n, L = entropy.shape
    hc = _SS_INIT_A

    def hashmix(v):
        nonlocal hc
        v = v ^ np.uint32(hc)
        hc = (hc * _SS_MULT_A) & _M32
        v = v * np.uint32(hc)
        return v ^ (v >> np.uint32(16))

    def mix(x, y):
        r = np.uint32(_SS_MIX_L) * x - np.uint32(_SS_MIX_R) * y
        return r ^ (r >> np.uint32(16))

    zero = np.zeros(n, dtype=np.uint32)
    pool = [hashmix(entropy[:, i] if i < L else zero) for i in range(_SS_POOL)]
    for i_src in range(_SS_POOL):
        for i_dst in range(_SS_POOL):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hashmix(pool[i_src]))
    for i_src in range(_SS_POOL, L):
        for i_dst in range(_SS_POOL):
            pool[i_dst] = mix(pool[i_dst], hashmix(entropy[:, i_src]))
    hc = _SS_INIT_B
    out = []
    for i in range(8):
        v = pool[i % _SS_POOL] ^ np.uint32(hc)
        hc = (hc * _SS_MULT_B) & _M32
        v = v * np.uint32(hc)
        out.append((v ^ (v >> np.uint32(16))).astype(np.uint64))
    return np.stack([out[2 * k] | (out[2 * k + 1] << np.uint64(32)) for k in range(4)],
                    axis=1)


def prepare_generators(seeds: list[int], streams: list[tuple[str, tuple[int, ...]]]) -> None:
    """Seed the generators of ``streams`` (name, key) for every seed at once.

    A later ``generator(seed, name, *key)`` of one of them (integer seed and key) starts
    from the prepared state instead of hashing its seed again; it draws the same numbers
    either way (its ``bit_generator.seed_seq`` is not a ``SeedSequence``, so it cannot
    ``spawn``).
    """
    _PREPARED.clear()
    # the assembled entropy of SeedSequence(seed, spawn_key): the seed's words, padded to
    # the pool size, then the words of the spawn key; grouped by length
    by_seed: dict[int, list[int]] = {}
    for seed in seeds:
        if seed not in by_seed:
            w = _words32(seed)
            by_seed[seed] = w + [0] * (_SS_POOL - len(w))
    by_stream = [(name, tuple(key), [w for k in (stream_id(name), *key) for w in _words32(int(k))])
                 for name, key in dict.fromkeys((n, tuple(k)) for n, k in streams)]
    seed_groups: dict[int, list[int]] = {}
    for seed, w in by_seed.items():
        seed_groups.setdefault(len(w), []).append(seed)
    stream_groups: dict[int, list[int]] = {}
    for j, (_n, _k, w) in enumerate(by_stream):
        stream_groups.setdefault(len(w), []).append(j)
    with np.errstate(over="ignore"):
        for group_seeds in seed_groups.values():
            sw = np.array([by_seed[s] for s in group_seeds], dtype=np.uint32)
            for group_streams in stream_groups.values():
                kw = np.array([by_stream[j][2] for j in group_streams], dtype=np.uint32)
                ns, nk = len(sw), len(kw)
                ent = np.concatenate([np.repeat(sw, nk, axis=0), np.tile(kw, (ns, 1))], axis=1)
                words = _seed_words(ent)
                i = 0
                for s in group_seeds:
                    for j in group_streams:
                        _PREPARED[(s, by_stream[j][0], by_stream[j][1])] = words[i]
                        i += 1


def check_seed(value: Any, what: str = "seed") -> int:
    """Return ``value`` as a seed: a non-negative integer, else a ValueError naming ``what``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value}")
    return int(value)


def new_seed() -> int:
    """Fresh entropy for a run whose seed was not given (recorded with the results)."""
    return int(np.random.SeedSequence().entropy)


def year_streams(year: int) -> list[tuple[str, tuple[int, ...]]]:
    """The streams (name, key) a year of a run draws from (for :func:`prepare_generators`)."""
    out = [(name, (year,)) for name in ("births", "families", "staff", "staff_engagement",
                                        "staff_coordinators", "staff_office", "outreach")]
    for fmt in range(len(MEETING_FORMATS)):
        out += [("meetings", (year, fmt)), ("meetings_pairs", (year, fmt))]
    return out


#: The streams a run draws from once, at its start.
START_STREAMS = [(name, ()) for name in (
    "population", "population_engagement", "population_pairs", "population_coordinators",
    "population_office", "initial_families")]


# ---------------------------------------------------------------------------
# population
# ---------------------------------------------------------------------------


@dataclass
class Population:
    """Random attributes of the initial professionals and relationships."""

    size: np.ndarray  # (n_health,) practice size weights
    engagement_base: np.ndarray  # (nP,) personal baseline engagement
    u_acquainted: np.ndarray  # (nPairs,) uniforms for initial acquaintance


def engagement_quantile(u, mean, conc):
    """Personal engagement of uniform ``u``: its quantile in Beta(mean·conc, (1 − mean)·conc).

    Engagement is drawn by inversion, so one slot's engagement moves monotonically with
    the mean and keeps its uniform whatever the parameters (common random numbers).
    Scalars or arrays (elementwise, the same result either way).
    """
    m = np.clip(mean, 1e-6, 1.0 - 1e-6)
    return betaincinv(m * conc, (1.0 - m) * conc, u)


def slot_engagement_means(layout: Layout, p: dict[str, Any]) -> np.ndarray:
    """Mean engagement of each slot, in pid order.

    The health mean for health slots; the youth-welfare mean for youth welfare,
    coordinators and the liaison.
    """
    out = np.full(layout.n_prof, p["engagement_mean_youth_welfare"])
    out[: layout.n_health] = p["engagement_mean_health"]
    return out


def assemble_slots(layout: Layout, hy: np.ndarray, coord: np.ndarray,
                   office: np.ndarray) -> np.ndarray:
    """Put per-group draws into pid order (last axis): health, youth, coordinators, office."""
    return np.concatenate([hy, coord[..., : layout.n_coord], office[..., : layout.n_office]],
                          axis=-1)


def assemble_pairs(layout: Layout, hy: np.ndarray, hc: np.ndarray, yc: np.ndarray,
                   hg: np.ndarray) -> np.ndarray:
    """Put per-pair-type draws into the canonical pair order (last axis).

    ``hc`` and ``yc`` have :data:`MAX_COORD` columns for the coordinator positions.
    """
    lead = hy.shape[:-1]
    nc = layout.n_coord
    parts = [hy,
             hc[..., :nc].reshape(lead + (layout.n_health * nc,)),
             yc[..., :nc].reshape(lead + (layout.n_youth * nc,)),
             hg[..., : layout.n_health * layout.n_office]]
    return np.concatenate(parts, axis=-1)


def _pair_uniforms(rng, layout: Layout, lead: tuple = (), full: int | None = None
                   ) -> np.ndarray:
    """Uniforms of every pair, ``lead`` leading axes, in the canonical pair order.

    Drawn per pair type, each as one array.  With ``full``, the first axis has ``full``
    entries in the stream but only the first ``lead[0]`` are drawn: the generator
    advances past the others (each double is one 64-bit output), so the numbers are the
    first ``lead[0]`` entries of the full draw.
    """
    def draw(shape):
        a = rng.random(shape)
        if full is not None and full > shape[0]:
            rng.bit_generator.advance((full - shape[0]) * math.prod(shape[1:]))
        return a

    n_hy = len(layout.hy_index)
    hy = draw(lead + (n_hy,))
    hc = draw(lead + (layout.n_health, MAX_COORD))
    yc = draw(lead + (layout.n_youth, MAX_COORD))
    hg = rng.random(lead + (layout.n_health,))
    return assemble_pairs(layout, hy, hc, yc, hg)


def draw_population(seed: int, layout: Layout, p: dict[str, Any]) -> Population:
    """Draw practice sizes, initial engagement and initial acquaintances."""
    rng = generator(seed, "population")
    shape = p["practice_size_shape"]
    size = rng.gamma(shape, 1.0 / shape, size=layout.n_health)
    u_hy = generator(seed, "population_engagement").random(layout.n_health + layout.n_youth)
    u_acq = _pair_uniforms(generator(seed, "population_pairs"), layout)
    u_c = generator(seed, "population_coordinators").random(MAX_COORD)
    u_g = generator(seed, "population_office").random(1)
    u_eng = assemble_slots(layout, u_hy, u_c, u_g)
    eng = engagement_quantile(u_eng, slot_engagement_means(layout, p),
                              p["engagement_concentration"])
    return Population(size=size, engagement_base=eng, u_acquainted=u_acq)


# ---------------------------------------------------------------------------
# families
# ---------------------------------------------------------------------------

#: Columns of the per-family uniform block: first those kept with the family for later
#: decisions, then those turned into attributes at entry.
_U_KEEP = (
    "cover", "screen", "assess", "lotsin_refer", "lotsin_accept",
    "mode_intake", "mode_crisis", "feedback",
)
_U_CONTACT = tuple(f"{w}_{c[0]}" for w in ("notice", "refer", "accept") for c in CONTACTS)
_U_ATTR = (
    "burden", "onset_kind", "onset_week", "district", "gyn", "clinic_birth", "clinic",
    "midwife_has", "midwife", "ped", "crisis", "dropout",
)
_U_PART = tuple(f"part_{c[0]}" for c in CONTACTS)
_U_ALL = _U_KEEP + _U_CONTACT + _U_ATTR + _U_PART
FAMILY_U = {n: i for i, n in enumerate(_U_ALL)}
N_FAMILY_U = len(_U_ALL)
N_KEEP = len(_U_KEEP) + len(_U_CONTACT)
#: Columns kept with a family for later decisions (16-bit codes; see as_uniform).
KEEP_COLS = np.arange(N_KEEP)
KEEP_INDEX = {n: i for i, n in enumerate(_U_KEEP + _U_CONTACT)}
NOTICE0 = KEEP_INDEX[f"notice_{CONTACTS[0][0]}"]
REFER0 = KEEP_INDEX[f"refer_{CONTACTS[0][0]}"]
ACCEPT0 = KEEP_INDEX[f"accept_{CONTACTS[0][0]}"]
_A0 = FAMILY_U[_U_ATTR[0]]
_PART0 = FAMILY_U[_U_PART[0]]

NEVER = np.iinfo(np.int32).max // 2
#: Family decisions use 16-bit uniform codes (resolution 1/65536; never exactly 0 or 1).
UNIFORM_CODES = 65536


@dataclass
class FamilyBlock:
    """Families entering together (the initial population, or one year's entries).

    Families are in entry order (which is birth order) along the last axis of every
    array; ``contact_pid`` and ``u`` have one row per contact slot or uniform column.
    """

    birth_week: np.ndarray  # (n,) int
    burden: np.ndarray  # (n,) 0 low, 1 medium, 2 multiple
    onset_week: np.ndarray  # (n,) week from which the burden is noticeable (NEVER if low)
    district: np.ndarray  # (n,)
    gyn: np.ndarray  # (n,) pid of the gynecology practice
    ped: np.ndarray  # (n,) pid of the pediatric practice
    e_crisis: np.ndarray  # (n,) Exp(1) crisis threshold in hazard units
    e_drop: np.ndarray  # (n,) Exp(1) dropout threshold in hazard units
    contact_pid: np.ndarray  # (N_CONTACTS, n) int32 professional of each contact, -1: none
    u: np.ndarray  # (N_KEEP, n) uint16 uniform codes for later decisions (see as_uniform)

    def __len__(self) -> int:
        return len(self.birth_week)

    def rows(self, idx) -> FamilyBlock:
        """The families selected by ``idx`` (a slice or index array)."""
        return FamilyBlock(**{k: v[..., idx] for k, v in self.__dict__.items()})


def _cumulative(weights: np.ndarray) -> np.ndarray:
    """Each run's cumulative weights, normalised to end at 1 (choice among candidates)."""
    cum = np.cumsum(weights, axis=1)
    return cum / cum[:, -1:]


#: The columns of ``uu`` that kernels.family_contacts reads, in its order.
_ATTR_COLS = np.array([FAMILY_U[c] for c in (
    "burden", "onset_kind", "onset_week", "district", "gyn", "clinic_birth", "clinic",
    "midwife_has", "midwife", "ped")], dtype=np.int64)
#: Per-run parameters of :func:`family_attributes_runs`, in the kernel's column order.
FAMILY_PARAMS = (
    "burden_share_multiple", "burden_share_medium", "burden_onset_postpartum_share",
    "burden_onset_postpartum_max_week", "midwife_share", "clinic_birth_share",
    "u_exam_participation", "u_exam_participation_multiple_burden",
    "gyn_checkup_participation", "u2_participation",
)


def family_params(params: list[dict[str, Any]]) -> np.ndarray:
    """(runs, len(FAMILY_PARAMS)) the per-run parameters family generation reads."""
    return np.array([[q[name] for name in FAMILY_PARAMS] for q in params], dtype=np.float64)


def family_tables(layout: Layout, sizes: np.ndarray) -> tuple[np.ndarray, ...]:
    """The practices and their choice weights that :func:`family_attributes_runs` reads.

    For ``sizes`` (runs, n_health), the practice size weights of each run: the
    gynecology, pediatric and midwife slots of every district (padded) with their counts,
    each run's cumulative choice weights of the gynecology and pediatric practices of a
    district, the clinics and each run's cumulative weights of them.  They depend on the
    layout and the sizes only, so a batch computes them once.
    """
    D = layout.n_districts
    runs = len(sizes)
    groups = [[layout.pids_of(kind, d) for d in range(D)]
              for kind in ("gynecology", "pediatric", "midwife")]
    m = max(1, max(len(g) for gs in groups for g in gs))
    pids = np.zeros((3, D, m), dtype=np.int64)
    cums = np.ones((2, D, runs, m))
    n_of = np.zeros((3, D), dtype=np.int64)
    for k, gs in enumerate(groups):
        for d, g in enumerate(gs):
            pids[k, d, :len(g)] = g
            n_of[k, d] = len(g)
            if k < 2 and len(g):
                cums[k, d, :, :len(g)] = _cumulative(sizes[:, g])
    clinics = layout.pids_of("clinic")
    clinic_cum = np.ascontiguousarray((_cumulative(sizes[:, clinics]) if len(clinics)
                  else np.ones((runs, 1)))[None])
    return pids, cums, n_of, clinics.astype(np.int64), clinic_cum


def family_attributes_runs(
    uu: np.ndarray, birth_week: np.ndarray, run: np.ndarray, layout: Layout,
    sizes: np.ndarray, params: list[dict[str, Any]] | np.ndarray,
    cpid: np.ndarray | None = None, tables: tuple[np.ndarray, ...] | None = None,
) -> FamilyBlock:
    """Turn blocks of uniforms of several runs into family attributes and contacts.

    Args:
        uu: (N_FAMILY_U, n) 16-bit uniform codes of all families, run after run.
        birth_week: (n,) birth weeks.
        run: (n,) index into ``params`` and ``sizes`` of each family's run.
        layout: the common structure.
        sizes: (runs, n_health) practice size weights of each run.
        params: parameters of each run, or their rows of :func:`family_params`.
        cpid: an (N_CONTACTS, n) int32 array to fill with the contacts (a reused buffer);
            a new one if None.
        tables: :func:`family_tables` of ``layout`` and ``sizes``, where already computed.

    Every operation is elementwise over families, so a run's families get the same
    attributes whether they are handled alone or together with other runs.
    """
    run = np.asarray(run, dtype=np.int64)
    pv = (np.ascontiguousarray(params, dtype=np.float64) if isinstance(params, np.ndarray)
          else family_params(params))
    D = layout.n_districts
    if len(sizes) != len(pv):
        raise ValueError(f"family_attributes_runs: {len(sizes)} rows of practice sizes for "
                         f"{len(pv)} runs")
    pids, cums, n_of, clinics, clinic_cum = (family_tables(layout, sizes) if tables is None
                                             else tables)
    burden, onset, district, gyn, ped, contact_pid = kernels.family_contacts(
        uu, np.asarray(birth_week, dtype=np.int64), run, _ATTR_COLS, pv, D, PRENATAL_WEEKS, NEVER,
        pids[0], cums[0], pids[1], cums[1], pids[2], n_of, clinics, clinic_cum, SLOT_KIND, _PART0,
        np.empty((len(SLOT_KIND), len(birth_week)), dtype=np.int32) if cpid is None
        else cpid)  # int32: half the memory
    return FamilyBlock(
        birth_week=birth_week.astype(np.int64),
        burden=burden,
        onset_week=onset,
        district=district,
        gyn=gyn,
        ped=ped,
        e_crisis=code_thresholds(uu[FAMILY_U["crisis"]]),
        e_drop=code_thresholds(uu[FAMILY_U["dropout"]]),
        contact_pid=contact_pid,
        u=uu[:N_KEEP],
    )


def family_attributes(
    uu: np.ndarray, birth_week: np.ndarray, layout: Layout, pop: Population, p: dict[str, Any]
) -> FamilyBlock:
    """Turn one run's block of uniforms into family attributes and contacts."""
    return family_attributes_runs(uu, birth_week, np.zeros(len(birth_week), dtype=np.int64),
                                  layout, pop.size[None, :], [p])


def _family_uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """``rng.integers(0, UNIFORM_CODES, (N_FAMILY_U, n), dtype=np.uint16)``.

    One row per decision (its numbers contiguous in memory), as 16-bit codes.  NumPy
    draws full-range 16-bit integers by splitting the generator's 64-bit outputs into
    four, so where :func:`_raw16_matches` confirms it for the installed NumPy, the codes
    are read from the raw outputs directly, several times faster: the same numbers, and
    the generator left in an equivalent state (the same draws from then on).  Only where
    no half of a 64-bit output is buffered from an earlier 32-bit draw; otherwise, and
    where the check fails (another NumPy, a big-endian machine), NumPy draws them.
    """
    bg = rng.bit_generator
    if (_RAW16_OK[0] and type(bg) is np.random.PCG64 and (N_FAMILY_U * n) % 4 == 0
            and not bg.state["has_uint32"]):
        raw = bg.random_raw(N_FAMILY_U * n // 4)
        return raw.view(np.uint16).reshape(N_FAMILY_U, n)
    return rng.integers(0, UNIFORM_CODES, (N_FAMILY_U, n), dtype=np.uint16)


def _raw16_matches() -> bool:
    """Whether full-range 16-bit integers are the raw 64-bit outputs split into four."""
    a = np.random.Generator(np.random.PCG64(20240601))
    b = np.random.Generator(np.random.PCG64(20240601))
    k = 4 * 37
    x = a.integers(0, UNIFORM_CODES, k, dtype=np.uint16)
    y = b.bit_generator.random_raw(k // 4).view(np.uint16)
    return bool(np.array_equal(x, y) and _same_stream(a, b))


def _same_stream(a: np.random.Generator, b: np.random.Generator) -> bool:
    """Whether two PCG64 generators will draw the same numbers from here on.

    The 32-bit half kept from an earlier output counts only where one is buffered.
    """
    sa, sb = a.bit_generator.state, b.bit_generator.state
    return (sa["state"] == sb["state"] and sa["has_uint32"] == sb["has_uint32"]
            and (not sa["has_uint32"] or sa["uinteger"] == sb["uinteger"]))


_RAW16_OK = [_raw16_matches()]


def as_uniform(code):
    """The uniform number in (0, 1) of a 16-bit code: (code + 1/2) / 65536, exact."""
    if isinstance(code, int):
        return (code + 0.5) / UNIFORM_CODES
    return (np.asarray(code, dtype=np.float64) + 0.5) / UNIFORM_CODES


@overload(as_uniform, jit_options={"nogil": True})
def _as_uniform_compiled(code):  # pragma: no cover - compiled
    # in the kernels: a scalar of any integer type (codes are read as uint16) becomes a
    # double without creating an array; the same exact arithmetic as above
    if isinstance(code, types.Integer):
        return lambda code: (np.float64(code) + 0.5) / UNIFORM_CODES
    return None


@register_jitable
def codes_below(p):
    """How many 16-bit codes have a uniform below ``p``.

    ``as_uniform(c) < p`` exactly when ``c < codes_below(p)``: ``as_uniform(c) < p`` is
    ``c + 1/2 < p * UNIFORM_CODES``, both sides exact in double precision (scaling by a
    power of two); so the count is the least integer at or above ``p * UNIFORM_CODES -
    1/2``, within [0, UNIFORM_CODES] (0 for NaN, which no uniform is below).  Kernels
    compare codes with it instead of converting each code to a double.
    """
    x = p * UNIFORM_CODES
    if not x > 0.5:
        return 0
    if x > UNIFORM_CODES - 0.5:
        return UNIFORM_CODES
    return int(math.ceil(x - 0.5))


_THRESHOLDS: list[np.ndarray] = []


def code_thresholds(codes: np.ndarray) -> np.ndarray:
    """``threshold_units(as_uniform(codes))`` of 16-bit codes, read from a table.

    A code has only UNIFORM_CODES values, so their thresholds are computed once, by the
    same call on all of them; ``tests/test_kernels.py`` holds the table to that call on
    the codes themselves.
    """
    if not _THRESHOLDS:
        _THRESHOLDS.append(threshold_units(as_uniform(np.arange(UNIFORM_CODES))))
    return _THRESHOLDS[0].take(codes)


def _initial_counts(rng: np.random.Generator, p: dict[str, Any]) -> np.ndarray:
    return rng.poisson(p["births_per_year"] / WEEKS_PER_YEAR, size=len(initial_birth_weeks()))


def initial_family_counts(seed: int, p: dict[str, Any]) -> np.ndarray:
    """Number of families present at the start for each of :func:`initial_birth_weeks`."""
    return _initial_counts(generator(seed, "initial_families"), p)


def initial_family_uniforms(seed: int, p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Birth weeks and uniforms of the families present at the start."""
    rng = generator(seed, "initial_families")
    birth_week = np.repeat(initial_birth_weeks(), _initial_counts(rng, p))
    return birth_week, _family_uniforms(rng, len(birth_week))


def draw_initial_families(
    seed: int, layout: Layout, pop: Population, p: dict[str, Any]
) -> FamilyBlock:
    """Families present at the start: pregnancies and children up to their third birthday.

    Birth weeks run from ``-155`` (the oldest, about to leave) to ``27`` (entered the
    model in the week before the start); the week-0 entries belong to year 0.
    """
    birth_week, uu = initial_family_uniforms(seed, p)
    return family_attributes(uu, birth_week, layout, pop, p)


def draw_year_entries(seed: int, year: int, p: dict[str, Any]) -> np.ndarray:
    """Number of pregnancies entering in each week of simulation year ``year``."""
    rb = generator(seed, "births", year)
    return rb.poisson(p["births_per_year"] / WEEKS_PER_YEAR, size=WEEKS_PER_YEAR)


def initial_birth_weeks() -> np.ndarray:
    """Birth weeks of the cohorts present at the start (oldest first)."""
    return np.arange(-(STAY_WEEKS_AFTER_BIRTH - 1), PRENATAL_WEEKS)


def year_family_uniforms(seed: int, year: int, p: dict[str, Any]
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Birth weeks and uniforms of the families entering in simulation year ``year``."""
    counts = draw_year_entries(seed, year, p)
    entry = np.repeat(np.arange(year * WEEKS_PER_YEAR, (year + 1) * WEEKS_PER_YEAR), counts)
    rng = generator(seed, "families", year)
    return entry + PRENATAL_WEEKS, _family_uniforms(rng, len(entry))


def draw_year_families(
    seed: int, year: int, layout: Layout, pop: Population, p: dict[str, Any]
) -> FamilyBlock:
    """Families entering in simulation year ``year`` (at pregnancy week 12)."""
    birth_week, uu = year_family_uniforms(seed, year, p)
    return family_attributes(uu, birth_week, layout, pop, p)


# ---------------------------------------------------------------------------
# staff, outreach, meetings
# ---------------------------------------------------------------------------


@dataclass
class StaffBlock:
    """Weekly staffing randomness of one year."""

    u_turnover: np.ndarray  # (52, nP)
    u_engagement: np.ndarray  # (52, nP) uniform of a newcomer's engagement baseline
    u_mfa: np.ndarray  # (52, n_health) loss of trained MFA
    u_liaison: np.ndarray  # (52, n_health) routine contacts of the health-office liaison


def draw_staff(seed: int, year: int, layout: Layout, p: dict[str, Any]) -> StaffBlock:
    """Draw one year of turnover, newcomer and routine-contact randomness.

    A newcomer's engagement baseline is ``engagement_quantile`` of its ``u_engagement``;
    it is computed only for the slots that are actually filled.
    """
    W = WEEKS_PER_YEAR
    nhy = layout.n_health + layout.n_youth
    rng = generator(seed, "staff", year)
    u_hy = rng.random((W, nhy))
    u_mfa = rng.random((W, layout.n_health))
    u_liaison = rng.random((W, layout.n_health))
    e_hy = generator(seed, "staff_engagement", year).random((W, nhy))
    rc = generator(seed, "staff_coordinators", year)
    u_c = rc.random((W, MAX_COORD))
    e_c = rc.random((W, MAX_COORD))
    rg = generator(seed, "staff_office", year)
    u_g = rg.random((W, 1))
    e_g = rg.random((W, 1))
    return StaffBlock(
        u_turnover=assemble_slots(layout, u_hy, u_c, u_g),
        u_engagement=assemble_slots(layout, e_hy, e_c, e_g),
        u_mfa=u_mfa,
        u_liaison=u_liaison,
    )


@dataclass
class OutreachBlock:
    """Weekly outreach randomness of one year."""

    u_visit: np.ndarray  # (52, MAX_COORD, MAX_VISITS_PER_WEEK) success of a visit request
    u_visit_mode: np.ndarray  # (52, MAX_COORD, MAX_VISITS_PER_WEEK) mode of the visit
    u_door: np.ndarray  # (52,) whether the liaison opens a door this week
    u_door_mode: np.ndarray  # (52,) mode of the introduction


def draw_outreach(seed: int, year: int, layout: Layout, p: dict[str, Any],
                  out: OutreachBlock | None = None) -> OutreachBlock:
    """Draw one year of outreach randomness (into the arrays of ``out`` where given)."""
    rng = generator(seed, "outreach", year)
    shape = (WEEKS_PER_YEAR, MAX_COORD, MAX_VISITS_PER_WEEK)
    if out is None:
        return OutreachBlock(
            u_visit=rng.random(shape),
            u_visit_mode=rng.random(shape),
            u_door=rng.random(WEEKS_PER_YEAR),
            u_door_mode=rng.random(WEEKS_PER_YEAR),
        )
    # the same numbers, written in place (Generator.random fills ``out`` in order)
    for a, n in ((out.u_visit, shape), (out.u_visit_mode, shape),
                 (out.u_door, (WEEKS_PER_YEAR,)), (out.u_door_mode, (WEEKS_PER_YEAR,))):
        if a.shape != n:
            raise ValueError(f"draw_outreach: an output array has the shape {a.shape}, not {n}")
        rng.random(n, out=a)
    return out


@dataclass
class MeetingBlock:
    """Randomness of up to 13 meetings of one format in one year."""

    u_attend: np.ndarray  # (13, n_health + n_youth): coordinators and liaison do not draw
    u_mode: np.ndarray  # (13, n_districts)
    u_acquaint: np.ndarray  # (13, nPairs)


def draw_meetings(seed: int, year: int, fmt: int, layout: Layout,
                  rows: int | None = None) -> MeetingBlock:
    """Draw the randomness of format ``fmt``'s meetings in year ``year``.

    ``rows``: only the first ``rows`` meetings of the year (default: all
    MAX_MEETINGS_PER_YEAR); the same numbers as the first rows of the full draw, the
    generators advanced past the rest.
    """
    k = MAX_MEETINGS_PER_YEAR
    m = k if rows is None else int(rows)
    if not 0 <= m <= k:
        raise ValueError(f"draw_meetings: rows must lie in [0, {k}], got {rows}")
    rng = generator(seed, "meetings", year, fmt)
    n_att = layout.n_health + layout.n_youth
    u_attend = rng.random((m, n_att))
    if m < k:
        rng.bit_generator.advance((k - m) * n_att)
    return MeetingBlock(
        u_attend=u_attend,
        u_mode=rng.random((m, layout.n_districts)),
        u_acquaint=_pair_uniforms(generator(seed, "meetings_pairs", year, fmt), layout, (m,),
                                  full=k),
    )


def meeting_occurrence(t: int, interval: int, fmt: int) -> int:
    """Occurrence index of a meeting of format ``fmt`` in week ``t`` within its year.

    Returns -1 when the format does not meet that week.  Formats are offset against
    each other (network meeting week 1, quality circle week 3, round table week 5 of
    each cycle) so they rarely fall into the same week.
    """
    if interval <= 0:
        return -1
    off = (1 + 2 * fmt) % interval
    if t % interval != off:
        return -1
    y0 = (t // WEEKS_PER_YEAR) * WEEKS_PER_YEAR
    first = y0 + ((off - y0) % interval)
    return (t - first) // interval


__all__ += ["prepare_generators", "year_streams", "START_STREAMS"]
__all__ += ["as_uniform", "UNIFORM_CODES", "meeting_occurrence", "draw_year_entries",
            "initial_birth_weeks", "family_attributes_runs", "family_params", "family_tables",
            "year_family_uniforms", "initial_family_uniforms", "NEVER", "KEEP_INDEX",
            "NOTICE0", "REFER0", "ACCEPT0", "BIRTH_SLOT", "family_attributes"]
