"""The deterministic structure of a municipality, shared by both engines.

Professionals live in *slots*: a slot is a practice, a post or a position; the person
in it changes with turnover, the slot stays.  Slots have a global index ``pid`` in a
fixed order: health professionals (pediatric, gynecology, clinic, midwife), then
youth-welfare professionals (ASD, early-help providers), then coordinator positions,
then the health-office liaison.

Relationships exist for these pair types, enumerated once in a fixed canonical
order that both engines use for every update and every sum:

* ``HY`` — health x youth welfare, within each district (district-major, then health
  slot, then youth-welfare slot);
* ``HC`` — health x coordinator (health slot, then coordinator slot);
* ``YC`` — youth welfare x coordinator;
* ``HG`` — health x health-office liaison.

Restricting ``HY`` pairs to districts keeps the number of relationships linear in the
size of the municipality (people cooperate within their Sozialraum).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .funding import n_districts, planned_positions

__all__ = [
    "HEALTH_KINDS",
    "YOUTH_KINDS",
    "KIND_CODES",
    "CONTACTS",
    "Layout",
    "build_layout",
    "PRENATAL_WEEKS",
    "STAY_WEEKS_AFTER_BIRTH",
]

HEALTH_KINDS = ("pediatric", "gynecology", "clinic", "midwife")
YOUTH_KINDS = ("asd", "fh_provider")
#: Integer code of every slot kind.
KIND_CODES = {
    "pediatric": 0,
    "gynecology": 1,
    "clinic": 2,
    "midwife": 3,
    "asd": 4,
    "fh_provider": 5,
    "coordinator": 6,
    "health_office": 7,
}
KIND_NAMES = {v: k for k, v in KIND_CODES.items()}
PED, GYN, CLINIC, MIDWIFE, ASD, FH, COORD, OFFICE = (KIND_CODES[k] for k in (
    "pediatric", "gynecology", "clinic", "midwife", "asd", "fh_provider", "coordinator",
    "health_office"))
#: Kinds that practise in their own practice (they lose income when meeting by day).
PRACTICE_KINDS = (PED, GYN, MIDWIFE)
#: Kinds counted as physicians (pediatric and gynecology practices).
PHYSICIAN_KINDS = (PED, GYN)
#: Who each meeting format invites (within a district).
INVITED = {
    "network_meeting": (PED, GYN, CLINIC, MIDWIFE, ASD, FH),
    "quality_circle": (PED, GYN, MIDWIFE, ASD, FH),
    "round_table": (PED, GYN, CLINIC, MIDWIFE, ASD, FH),
}
#: The parameter holding each kind's attendance base.
ATTENDANCE_BASE = {PED: "attendance_base_physician", GYN: "attendance_base_physician",
                   CLINIC: "attendance_base_clinic", MIDWIFE: "attendance_base_midwife",
                   ASD: "attendance_base_youth_welfare", FH: "attendance_base_youth_welfare"}
#: Family pathway states.
NONE, NOTICED, WAITING, IN_HELP, DONE, CRISIS = range(6)
STATE_NAMES = ("not noticed", "noticed", "accepted, waiting", "in early help", "help completed",
               "crisis")
#: Referral routes, in the order of ``outputs.REFERRAL_ROUTES``.
R_WARM, R_CLEARING, R_COORD, R_FLYER, R_LOTS = range(5)

#: Families enter at pregnancy week 12, i.e. 28 weeks before birth ...
PRENATAL_WEEKS = 28
#: ... and leave at the child's third birthday.
STAY_WEEKS_AFTER_BIRTH = 156

#: The contact schedule: (name, kind, weeks relative to birth).  U2 takes place in the
#: clinic after a clinic birth and at the pediatric practice otherwise ("u2" kind).
CONTACTS: tuple[tuple[str, str, int], ...] = (
    ("gyn_1", "gynecology", -28),
    ("gyn_2", "gynecology", -24),
    ("gyn_3", "gynecology", -20),
    ("gyn_4", "gynecology", -16),
    ("gyn_5", "gynecology", -12),
    ("gyn_6", "gynecology", -8),
    ("gyn_7", "gynecology", -6),
    ("gyn_8", "gynecology", -4),
    ("gyn_9", "gynecology", -2),
    ("birth", "clinic", 0),
    ("u2", "u2", 1),
    ("midwife_1", "midwife", 1),
    ("midwife_2", "midwife", 2),
    ("midwife_3", "midwife", 4),
    ("midwife_4", "midwife", 8),
    ("u3", "pediatric", 4),
    ("u4", "pediatric", 14),
    ("u5", "pediatric", 28),
    ("u6", "pediatric", 48),
    ("u7", "pediatric", 96),
)
N_CONTACTS = len(CONTACTS)
CONTACT_OFFSETS = np.array([c[2] for c in CONTACTS], dtype=np.int64)
#: Slot index of the birth contact (where a Lotsendienst screens).
BIRTH_SLOT = [c[0] for c in CONTACTS].index("birth")
#: Slots whose contacts fall into the child's first year.
YEAR1_SLOTS = tuple(i for i, c in enumerate(CONTACTS) if 0 <= c[2] < 52)
#: Kinds of contact slot, by whom the family is seen: the gynecology check-up, the birth
#: clinic, the U2 (in the clinic after a clinic birth, else at the pediatric practice), the
#: midwife, the pediatric U3-U7; and the kind of every slot of :data:`CONTACTS`.
SLOT_GYN, SLOT_CLINIC, SLOT_U2, SLOT_MIDWIFE, SLOT_PED = range(5)
SLOT_KIND = np.array([{"gynecology": SLOT_GYN, "clinic": SLOT_CLINIC, "u2": SLOT_U2,
                       "midwife": SLOT_MIDWIFE, "pediatric": SLOT_PED}[c[1]] for c in CONTACTS],
                     dtype=np.int64)


@dataclass(frozen=True)
class Layout:
    """Slots, districts and the canonical pair enumeration of one municipality."""

    n_districts: int
    kind: np.ndarray  # (nP,) int kind code per pid
    district: np.ndarray  # (nP,) district per pid; -1 for coordinators and liaison
    n_health: int
    n_youth: int
    n_coord: int
    n_office: int  # 0 or 1
    planned_fte: tuple[float, ...]
    coord_area: tuple[tuple[int, ...], ...]  # districts each coordinator position covers
    # pair enumeration
    pair_a: np.ndarray  # (nPairs,) first pid (health, or youth for YC)
    pair_b: np.ndarray  # (nPairs,) second pid
    pair_type: np.ndarray  # (nPairs,) 0 HY, 1 HC, 2 YC, 3 HG
    hy_index: dict[tuple[int, int], int]
    hc_start: int
    yc_start: int
    hg_start: int

    @property
    def n_prof(self) -> int:
        """Number of professional slots."""
        return len(self.kind)

    @property
    def n_pairs(self) -> int:
        """Number of relationships."""
        return len(self.pair_a)

    @property
    def health_pids(self) -> range:
        """Pids of the health professionals."""
        return range(0, self.n_health)

    @property
    def youth_pids(self) -> range:
        """Pids of the youth-welfare professionals."""
        return range(self.n_health, self.n_health + self.n_youth)

    @property
    def coord_pids(self) -> range:
        """Pids of the coordinator positions."""
        s = self.n_health + self.n_youth
        return range(s, s + self.n_coord)

    @property
    def office_pid(self) -> int | None:
        """Pid of the health-office liaison, or None."""
        return self.n_prof - 1 if self.n_office else None

    def pids_of(self, kind: str, district: int | None = None) -> np.ndarray:
        """Pids of a kind, optionally restricted to one district."""
        m = self.kind == KIND_CODES[kind]
        if district is not None:
            m &= self.district == district
        return np.flatnonzero(m)


def build_layout(params: dict[str, Any]) -> Layout:
    """Build the slot and pair structure for a parameter set (no randomness)."""
    d = n_districts(params)
    kinds: list[int] = []
    dists: list[int] = []
    counts = {
        "pediatric": params["n_pediatric_practices"],
        "gynecology": params["n_gynecology_practices"],
        "clinic": params["n_maternity_clinics"],
        "midwife": params["n_midwives"],
        "asd": params["n_asd_workers"],
        "fh_provider": params["n_fh_providers"],
    }
    for k in HEALTH_KINDS + YOUTH_KINDS:
        for i in range(counts[k]):
            kinds.append(KIND_CODES[k])
            dists.append(i % d)  # round robin over districts
    n_health = sum(counts[k] for k in HEALTH_KINDS)
    n_youth = sum(counts[k] for k in YOUTH_KINDS)
    planned = planned_positions(params["coordinator_fte"])
    n_coord = len(planned)
    for _ in range(n_coord):
        kinds.append(KIND_CODES["coordinator"])
        dists.append(-1)
    n_office = 1 if params["health_office_liaison"] else 0
    if n_office:
        kinds.append(KIND_CODES["health_office"])
        dists.append(-1)
    kind = np.array(kinds, dtype=np.int64)
    district = np.array(dists, dtype=np.int64)
    areas: list[tuple[int, ...]] = []
    for j in range(n_coord):
        area = {dd for dd in range(d) if dd % n_coord == j}
        area.add(j % d)
        areas.append(tuple(sorted(area)))

    pa: list[int] = []
    pb: list[int] = []
    pt: list[int] = []
    hy_index: dict[tuple[int, int], int] = {}
    health = np.arange(n_health)
    youth = np.arange(n_health, n_health + n_youth)
    for dd in range(d):
        for h in health[district[health] == dd]:
            for y in youth[district[youth] == dd]:
                hy_index[(int(h), int(y))] = len(pa)
                pa.append(int(h))
                pb.append(int(y))
                pt.append(0)
    hc_start = len(pa)
    cstart = n_health + n_youth
    for h in health:
        for j in range(n_coord):
            pa.append(int(h))
            pb.append(cstart + j)
            pt.append(1)
    yc_start = len(pa)
    for y in youth:
        for j in range(n_coord):
            pa.append(int(y))
            pb.append(cstart + j)
            pt.append(2)
    hg_start = len(pa)
    if n_office:
        for h in health:
            pa.append(int(h))
            pb.append(len(kinds) - 1)
            pt.append(3)
    return Layout(
        n_districts=d,
        kind=kind,
        district=district,
        n_health=n_health,
        n_youth=n_youth,
        n_coord=n_coord,
        n_office=n_office,
        planned_fte=tuple(planned),
        coord_area=tuple(areas),
        pair_a=np.array(pa, dtype=np.int64),
        pair_b=np.array(pb, dtype=np.int64),
        pair_type=np.array(pt, dtype=np.int64),
        hy_index=hy_index,
        hc_start=hc_start,
        yc_start=yc_start,
        hg_start=hg_start,
    )
