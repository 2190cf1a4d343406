"""Agents of the Mesa engine: they hold state and call the rules in ``kooperationssim.rules``.

Behaviour lives in the pure rule functions; the model (``model.py``) schedules the
weekly phases and resolves what several agents compete for (time, caseload places).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from .. import rules
from ..layout import (  # noqa: F401  (states re-exported for users of the agents)
    CRISIS,
    DONE,
    IN_HELP,
    KIND_CODES,
    KIND_NAMES,
    NONE,
    NOTICED,
    STATE_NAMES,
    WAITING,
)

if TYPE_CHECKING:  # pragma: no cover
    from .model import KooperationsModel

__all__ = [
    "Relationship",
    "Professional",
    "HealthProfessional",
    "YouthWelfareProfessional",
    "Coordinator",
    "HealthOfficeLiaison",
    "Family",
    "NONE",
    "NOTICED",
    "WAITING",
    "IN_HELP",
    "DONE",
    "CRISIS",
    "STATE_NAMES",
]

NEVER_MET = -(10**9)


class Relationship:
    """Trust, understanding and acquaintance between two professional slots."""

    __slots__ = (
        "index", "a", "b", "type", "trust", "understanding", "acquainted", "last_contact",
        "base_trust", "base_understanding", "pend_t", "pend_u", "touched", "acq_new",
        "last_mode",
    )

    def __init__(self, index: int, a: int, b: int, type_: int, base_t: float, base_u: float):
        self.index = index
        self.a = a
        self.b = b
        self.type = type_
        self.base_trust = base_t
        self.base_understanding = base_u
        self.trust = base_t
        self.understanding = base_u
        self.acquainted = False
        self.last_contact = NEVER_MET
        self.pend_t = 0.0
        self.pend_u = 0.0
        self.touched = False
        self.acq_new = False
        #: coordination mode of the last interaction (index into params.MODES), -1 for none;
        #: observed only (the dashboard colours the network by it), never read by the rules
        self.last_mode = -1

    def reset(self) -> None:
        """Back to strangers (one side left)."""
        self.trust = self.base_trust
        self.understanding = self.base_understanding
        self.acquainted = False
        self.last_contact = NEVER_MET
        self.last_mode = -1

    def interact(self, mode: int, table: rules.ModeTable, p: dict, intensity: float,
                 trust_level: float | None = None) -> None:
        """Accumulate the consequences of one interaction (committed at the end of the week)."""
        self.last_mode = mode
        t = self.trust if trust_level is None else trust_level
        self.pend_t += rules.trust_delta(t, table.info_l[mode], table.plan_l[mode],
                                         table.conflict_l[mode], p["trust_gain"],
                                         p["trust_loss"], intensity, p["trust_gain_info_weight"])
        self.pend_u += rules.understanding_delta(self.understanding, table.info_l[mode],
                                                 p["understanding_gain"], intensity)
        self.touched = True

    def commit(self, t: int, trust_decay: float, und_decay: float, lapse: int) -> None:
        """End of week: apply pending changes, or decay without contact."""
        if self.touched:
            self.trust = rules.clip01(self.trust + self.pend_t)
            self.understanding = rules.clip01(self.understanding + self.pend_u)
            self.last_contact = t
            if self.acq_new:
                self.acquainted = True
        else:
            self.trust = rules.decay_toward(self.trust, self.base_trust, trust_decay)
            self.understanding = rules.decay_toward(self.understanding,
                                                    self.base_understanding, und_decay)
            if self.acquainted and t - self.last_contact >= lapse:
                self.acquainted = False
        self.pend_t = 0.0
        self.pend_u = 0.0
        self.touched = False
        self.acq_new = False


class Professional(mesa.Agent):
    """A slot held by a person: a practice, a post or a position."""

    def __init__(self, model: KooperationsModel, pid: int, kind: int, district: int,
                 logic: float, weekly_minutes: int, cap_minutes: int):
        super().__init__(model)
        self.pid = pid
        self.kind = kind
        self.kind_name = KIND_NAMES[kind]
        self.district = district
        self.logic = logic
        self.weekly_minutes = weekly_minutes
        self.cap = cap_minutes
        self.filled = False
        self.vacancy_left = 0
        self.person = 0
        self.engagement = 0.0
        self.engagement_base = 0.0
        self.pend_e = 0.0
        self.bank = 0
        self.tenure = 0
        self.partners: dict[int, Relationship] = {}

    # -- staffing ---------------------------------------------------------------
    def fill(self, engagement_base: float, tenure: int = 0) -> None:
        """A new person takes the slot: no acquaintances, baseline engagement."""
        self.filled = True
        self.vacancy_left = 0
        self.person += 1
        self.engagement_base = engagement_base
        self.engagement = engagement_base
        self.bank = 0
        self.tenure = tenure
        for rel in self.partners.values():
            rel.reset()

    def leave(self, hiring_delay: int) -> None:
        """The person leaves; the slot stays vacant for ``hiring_delay`` weeks."""
        self.filled = False
        self.vacancy_left = hiring_delay
        self.bank = 0
        for rel in self.partners.values():
            rel.reset()

    @property
    def slack(self) -> float:
        """Time slack: the share of the time account that is free."""
        return self.bank / self.cap if self.cap > 0 else 0.0

    def refill_bank(self) -> None:
        """Start of week: this week's cooperation minutes enter the time account."""
        b = self.bank + self.weekly_minutes
        self.bank = b if b < self.cap else self.cap

    def commit(self, p: dict) -> None:
        """End of week: pending engagement changes and drift."""
        if self.filled:
            self.engagement = rules.engagement_commit(self.engagement, self.pend_e,
                                                      self.engagement_base, p["engagement_drift"])
            self.tenure += 1
        self.pend_e = 0.0


class HealthProfessional(Professional):
    """A pediatric or gynecology practice, a maternity clinic or a midwife."""

    def __init__(self, *args, skill: float, size: float, **kw):
        super().__init__(*args, **kw)
        self.skill = skill
        self.size = size
        self.awareness = 0.0
        self.pend_a = 0.0
        self.refreshed = False
        self.mfa_trained = False
        self.ever_attended = False
        self.referral_weeks: list[int] = []

    @property
    def is_physician(self) -> bool:
        """Pediatric and gynecology practices count as physicians."""
        return self.kind in (KIND_CODES["pediatric"], KIND_CODES["gynecology"])

    def fill(self, engagement_base: float, tenure: int = 0) -> None:  # noqa: D102
        super().fill(engagement_base, tenure)
        self.awareness = self.model.p["awareness_initial"]
        self.ever_attended = False

    def refresh(self, share: float) -> None:
        """Contact refreshes awareness of help offers (committed at week's end)."""
        self.pend_a += share * (1.0 - self.awareness)
        self.refreshed = True

    def referrals_since(self, week: int) -> int:
        """Referrals made from ``week`` on (by this practice, whoever holds it)."""
        return sum(1 for w in self.referral_weeks if w >= week)

    def commit(self, p: dict) -> None:  # noqa: D102
        if self.filled:
            self.awareness = rules.awareness_commit(self.awareness, self.pend_a, self.refreshed,
                                                    p["awareness_decay"])
        self.pend_a = 0.0
        self.refreshed = False
        super().commit(p)


class YouthWelfareProfessional(Professional):
    """An ASD social worker or an early-help (Frühe Hilfen) provider."""

    def __init__(self, *args, capacity: int, **kw):
        super().__init__(*args, **kw)
        self.capacity = capacity
        self.cases: list[Family] = []

    @property
    def free(self) -> int:
        """Free caseload places (none while vacant)."""
        return self.capacity - len(self.cases) if self.filled else 0


class Coordinator(Professional):
    """A network-coordination position (Netzwerkkoordination Frühe Hilfen)."""

    def __init__(self, *args, planned_fte: float, area: tuple[int, ...], **kw):
        super().__init__(*args, **kw)
        self.planned_fte = planned_fte
        self.fte = 0.0
        self.contract: str | None = None  # "permanent", "project" or None (closed)
        self.end_year: int | None = None
        self.area = area
        self.case_bank = 0
        self.case_weekly = 0
        self.case_cap = 0

    @property
    def open(self) -> bool:
        """Whether the position is funded."""
        return self.contract is not None

    def refill_bank(self) -> None:  # noqa: D102
        super().refill_bank()
        b = self.case_bank + self.case_weekly
        self.case_bank = b if b < self.case_cap else self.case_cap

    def leave(self, hiring_delay: int) -> None:  # noqa: D102
        super().leave(hiring_delay)
        self.case_bank = 0

    def competence(self) -> float:
        """Competence from the tenure of the current person."""
        p = self.model.p
        return rules.competence(float(self.tenure), p["coordinator_competence_start"],
                                p["coordinator_competence_halftime_weeks"])


class HealthOfficeLiaison(Professional):
    """The health-office liaison (Gesundheitsamt, child and youth medical service)."""


class Family(mesa.Agent):
    """A family from pregnancy week 12 to the child's third birthday."""

    def __init__(self, model: KooperationsModel, fid: int, birth_week: int, burden: int,
                 onset_week: int, district: int, gyn: int, ped: int, contact_pid: list[int],
                 u: list[float]):
        super().__init__(model)
        self.fid = fid
        self.birth_week = birth_week
        self.burden = burden
        self.onset_week = onset_week
        self.district = district
        self.gyn = gyn
        self.ped = ped
        self.contact_pid = contact_pid
        self.u = u
        self.state = NONE
        self.first_noticeable = -1
        self.first_help = -1
        self.help_end = -1
        self.worker: YouthWelfareProfessional | None = None
        self.referrer = -1
        self.referrer_person = -1
        self.route = -1
        self.target = -1
        self.accepted_week = -1
        self.waiting_since = -1
        self.declined = 0
        self.case_mode = -1
        self.case_info = 0.0
        self.case_conflict = 0.0
        self.quality = 0.0
        self.crisis_week = -1
        self.cum_crisis = 0  # cumulative crisis hazard (hazard units)
        self.cum_drop = 0  # cumulative dropout hazard of the current spell
        self.e_crisis = 0  # Exp(1) thresholds (hazard units)
        self.e_drop = 0
        self.contact_bits = 0
        self.noticed_bits = 0
        self.year1_contact = False

    def visible(self, t: int) -> bool:
        """Whether the family's burden can be noticed in week ``t``."""
        return self.burden > 0 and t >= self.onset_week
