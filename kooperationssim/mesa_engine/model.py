"""The Mesa engine: the model agent by agent.

One step is one week with simultaneous semantics: every decision reads the state at
the start of the week (trust, understanding, acquaintance, engagement, awareness);
changes are collected as pending and committed at the end of the week.  Time and
caseload places are consumed in a fixed order of phases (structural cooperation,
contacts, intake, case progress, escalation), and within a phase in the canonical
order of slots and families, so that the vectorised engine can reproduce every
decision exactly.

Phases of week t:

0. boundary — funding year (at t % 52 == 0), turnover and hiring, MFA turnover, the
   liaison's routine contacts, first birthdays and exits, new pregnancies, time accounts;
1. structural cooperation — meetings, letters and visits, door-opening;
2. contacts — noticing, referral, acceptance (Lotsendienst screening at births);
3. intake and case cooperation, then case progress (completion with feedback, dropout);
4. escalation — crisis hazards and crisis cooperation with the ASD;
5. commit — relationships, engagement, awareness; record outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np

from .. import draws, rules
from ..funding import (
    YearFunding,
    allocate_year,
    coordinator_accounts,
    generate_streams,
    meeting_reserve_per_district,
    position_contracts,
    year_measures,
)
from ..layout import (
    ASD,
    ATTENDANCE_BASE,
    BIRTH_SLOT,
    CLINIC,
    CONTACT_OFFSETS,
    COORD,
    FH,
    GYN,
    INVITED,
    MIDWIFE,
    OFFICE,
    PED,
    PHYSICIAN_KINDS,
    PRACTICE_KINDS,
    PRENATAL_WEEKS,
    R_CLEARING,
    R_COORD,
    R_FLYER,
    R_LOTS,
    R_WARM,
    STAY_WEEKS_AFTER_BIRTH,
    YEAR1_SLOTS,
    build_layout,
)
from ..outputs import (
    COORD_ACTIVITIES,
    KIND_BITS,
    MAX_DELAY,
    REFERRAL_ROUTES,
    YOUTH_ACTIVITIES,
    Recorder,
)
from ..params import FUNDING_USES
from ..scenario import load_scenario, resolve
from .agents import (
    CRISIS,
    DONE,
    IN_HELP,
    NONE,
    NOTICED,
    WAITING,
    Coordinator,
    Family,
    HealthOfficeLiaison,
    HealthProfessional,
    Relationship,
    YouthWelfareProfessional,
)

__all__ = ["KooperationsModel"]

KIND_BIT = {PED: KIND_BITS["pediatric"], GYN: KIND_BITS["gynecology"],
            CLINIC: KIND_BITS["clinic"], MIDWIFE: KIND_BITS["midwife"]}
FORMATS = draws.MEETING_FORMATS
KI = draws.KEEP_INDEX
_minutes = rules.minutes


class KooperationsModel(mesa.Model):
    """Cooperation between health system and youth welfare in a prevention chain.

    Args:
        params: Parameter overrides (validated against the schema), or a complete
            resolved parameter dict.
        rng: Seed (int) of the run; ``None`` draws fresh entropy (recorded in ``seed``).
        funding_streams: Custom funding streams (with ``funding_regime = "custom"``).
        **overrides: Further parameter overrides by name.

    Example:
        >>> m = KooperationsModel(rng=1, weeks=10, coordinator_fte=2.0)
        >>> m.run_model()
        >>> round(m.summary()["trust_mean"], 3) >= 0
        True
    """

    def __init__(self, params: dict[str, Any] | None = None, *, rng: int | None = None,
                 funding_streams: list | None = None, **overrides: Any):
        if rng is None:
            seed = draws.new_seed()
        elif isinstance(rng, np.random.Generator):
            seed = int(rng.integers(0, 2**63 - 1))
        else:
            seed = draws.check_seed(rng, "rng")
        super().__init__(rng=seed)
        self.seed = seed
        merged = {k: v for k, v in (params or {}).items() if k != "funding_streams"}
        merged.update(overrides)
        streams = funding_streams
        if streams is None and params is not None and "funding_streams" in params:
            streams = params["funding_streams"]
        self.p = resolve(merged, streams)
        p = self.p
        self.layout = build_layout(p)
        self.modes = rules.mode_table(p)
        self.streams = generate_streams(p)
        self.weeks = p["weeks"]
        self.week = 0
        self.recorder = Recorder(1, self.weeks)
        self.population = draws.draw_population(seed, self.layout, p)
        self._eng_mean = draws.slot_engagement_means(self.layout, p)
        self._build_professionals()
        self._build_relationships()
        self.families: dict[int, Family] = {}
        self.by_birth: dict[int, list[Family]] = {}
        self._next_fid = 0
        self.funding: YearFunding | None = None
        self.lotsendienst_coverage = 0.0
        self.lotsin_capacity = 0
        self._add_families(draws.draw_initial_families(seed, self.layout, self.population, p))
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: float(m.recorder.last[k][0]))
                             for k in ("reach_first_year", "mode_share_negative",
                                       "mode_share_intervention", "mode_share_exchange",
                                       "mode_share_positive", "trust_mean",
                                       "acquainted_share", "families_in_help")}
        )

    @classmethod
    def from_scenario(cls, path: str | Path, *, rng: int | None = None,
                      **overrides: Any) -> KooperationsModel:
        """Build the model from a scenario file or shipped scenario name (plus overrides).

        ``path`` is a TOML file or the name of a shipped scenario (``"mittelstadt"``).
        """
        sc = load_scenario(path, extra=overrides)
        return cls(sc.params, rng=rng)

    # ------------------------------------------------------------------ build
    def _build_professionals(self) -> None:
        p, lay, pop = self.p, self.layout, self.population
        bank_w = p["hours_bank_weeks"]
        skill = {PED: p["skill_pediatric"], GYN: p["skill_gynecology"],
                 CLINIC: p["skill_clinic"], MIDWIFE: p["skill_midwife"]}
        hours = {PED: p["physician_hours_per_week"], GYN: p["physician_hours_per_week"],
                 CLINIC: p["clinic_hours_per_week"], MIDWIFE: p["midwife_hours_per_week"],
                 ASD: p["asd_hours_per_week"], FH: p["fh_hours_per_week"],
                 OFFICE: p["health_office_hours_per_week"]}
        logic = {PED: p["logic_pediatric"], GYN: p["logic_gynecology"],
                 CLINIC: p["logic_clinic"], MIDWIFE: p["logic_midwife"], ASD: p["logic_asd"],
                 FH: p["logic_fh_provider"], OFFICE: p["logic_health_office"]}
        coord_logic = p["logic_coordinator"] - (
            p["coordinator_medical_logic_shift"] if p["coordinator_medical_experience"] else 0.0)
        self.profs: list = []
        for pid in range(lay.n_prof):
            k = int(lay.kind[pid])
            d = int(lay.district[pid])
            if k <= MIDWIFE:
                wm = _minutes(hours[k])
                a = HealthProfessional(self, pid, k, d, logic[k], wm, wm * bank_w,
                                       skill=skill[k], size=float(pop.size[pid]))
            elif k in (ASD, FH):
                wm = _minutes(hours[k])
                a = YouthWelfareProfessional(self, pid, k, d, logic[k], wm, wm * bank_w,
                                             capacity=p["fh_caseload_capacity"] if k == FH else 0)
            elif k == COORD:
                j = pid - lay.coord_pids.start
                a = Coordinator(self, pid, k, d, coord_logic, 0, 0,
                                planned_fte=lay.planned_fte[j], area=lay.coord_area[j])
            else:
                wm = _minutes(hours[OFFICE])
                a = HealthOfficeLiaison(self, pid, k, d, logic[OFFICE], wm, wm * bank_w)
            self.profs.append(a)
        for a in self.profs:
            if a.kind != COORD:
                a.fill(float(pop.engagement_base[a.pid]))
        self.health = [a for a in self.profs if a.kind <= MIDWIFE]
        self.youth = [a for a in self.profs if a.kind in (ASD, FH)]
        self.coords = [a for a in self.profs if a.kind == COORD]
        self.office = self.profs[lay.office_pid] if lay.office_pid is not None else None
        self.physicians = [a for a in self.health if a.is_physician]
        self.fh_by_district = [[a for a in self.youth if a.kind == FH and a.district == d]
                               for d in range(lay.n_districts)]
        self.asd_by_district = [[a for a in self.youth if a.kind == ASD and a.district == d]
                                for d in range(lay.n_districts)]
        self.health_by_district = [[a for a in self.health if a.district == d]
                                   for d in range(lay.n_districts)]

    def _pair_baseline(self, ptype: int) -> tuple[float, float]:
        p = self.p
        if ptype == 0:
            return p["trust_baseline_cross"], p["understanding_baseline_cross"]
        if ptype == 1:
            bonus = p["trust_host_gesundheitsamt_bonus"] if p["coordinator_host"] == \
                "gesundheitsamt" else 0.0
            return p["trust_baseline_coordinator_health"] + bonus, p["understanding_baseline_cross"]
        if ptype == 2:
            return p["trust_baseline_same_side"], p["understanding_baseline_same_side"]
        return p["trust_baseline_health_office"], p["understanding_baseline_same_side"]

    def _build_relationships(self) -> None:
        lay, p = self.layout, self.p
        self.rels: list[Relationship] = []
        for i in range(lay.n_pairs):
            a, b, t = int(lay.pair_a[i]), int(lay.pair_b[i]), int(lay.pair_type[i])
            bt, bu = self._pair_baseline(t)
            r = Relationship(i, a, b, t, bt, bu)
            self.rels.append(r)
            self.profs[a].partners[b] = r
            self.profs[b].partners[a] = r
        u = self.population.u_acquainted
        for r in self.rels:
            if r.type == 0:
                share = p["initial_acquaintance_share"]
            elif r.type == 3:
                share = p["health_office_initial_acquaintance"]
            else:
                continue  # coordinator ties are set when a position is filled at the start
            if u[r.index] < share:
                r.acquainted = True
                r.last_contact = 0
                if r.type == 0:
                    r.trust = r.base_trust + p["initial_acquaintance_trust_bonus"]

    def _add_families(self, blk: draws.FamilyBlock) -> None:
        for i in range(len(blk)):
            f = Family(self, self._next_fid, int(blk.birth_week[i]), int(blk.burden[i]),
                       int(blk.onset_week[i]), int(blk.district[i]), int(blk.gyn[i]),
                       int(blk.ped[i]), [int(x) for x in blk.contact_pid[:, i]],
                       [draws.as_uniform(int(x)) for x in blk.u[:, i]])
            f.e_crisis = int(blk.e_crisis[i])
            f.e_drop = int(blk.e_drop[i])
            self._next_fid += 1
            self.families[f.fid] = f
            self.by_birth.setdefault(f.birth_week, []).append(f)

    def rel(self, a: int, b: int) -> Relationship | None:
        """The relationship between two slots, or None if they cannot meet."""
        return self.profs[a].partners.get(b)

    # ------------------------------------------------------------------- run
    def run_model(self) -> None:
        """Run the full horizon."""
        while self.week < self.weeks:
            self.step()

    def step(self) -> None:
        """One week."""
        if self.week >= self.weeks:
            self.running = False
            return
        t = self.week
        self._w = w = self._new_week_record()
        self._phase_boundary(t, w)
        self._phase_structural(t, w)
        self._phase_contacts(t, w)
        self._phase_intake(t, w)
        self._phase_progress(t, w)
        self._phase_escalation(t, w)
        self._phase_commit(t, w)
        self.datacollector.collect(self)
        self.week += 1
        if self.week >= self.weeks:
            self.running = False

    def _new_week_record(self) -> dict[str, Any]:
        return {
            "fb_burdened": 0, "fb_reached": 0, "fb_born": 0, "fb_contact": 0,
            "exit_burdened": 0, "exit_before_crisis": 0, "crises": 0, "births": 0,
            "turnover": 0, "vacancies": 0, "physician_unpaid_min": 0, "physician_paid_min": 0,
            "coord_paid_min": 0, "youth_min": [0] * len(YOUTH_ACTIVITIES), "office_min": 0,
            "meetings": 0, "dropouts": 0,
            "positions_closed": 0, "compensated": 0, "routes": [0] * len(REFERRAL_ROUTES),
            "mode_case": [0, 0, 0, 0], "mode_struct": [0, 0, 0, 0],
            "delay_hist": np.zeros(MAX_DELAY, dtype=np.int64),
            "coord_min": dict.fromkeys(COORD_ACTIVITIES, 0),
            "cost": [0.0] * len(FUNDING_USES),
        }

    def _spend(self, prof, minutes: int, activity: str, paid: bool = False) -> None:
        """Take minutes from a professional's time account and book them."""
        prof.bank -= minutes
        assert prof.bank >= 0, "time account overdrawn"
        w = self._w
        if prof.kind in (PED, GYN):
            w["physician_paid_min" if paid else "physician_unpaid_min"] += minutes
        elif prof.kind in (ASD, FH):
            w["youth_min"][YOUTH_ACTIVITIES.index(activity)] += minutes
        elif prof.kind == OFFICE:
            w["office_min"] += minutes
        elif prof.kind == COORD:
            w["coord_min"][activity] += minutes

    # ----------------------------------------------------------- phase 0
    def _newcomer_engagement(self, wk: int, pid: int) -> float:
        """Engagement baseline of a newcomer in slot ``pid`` in week ``wk`` of the year."""
        return float(draws.engagement_quantile(self.staff.u_engagement[wk, pid],
                                               self._eng_mean[pid],
                                               self.p["engagement_concentration"]))

    def _phase_boundary(self, t: int, w: dict) -> None:
        p = self.p
        year, wk = divmod(t, 52)
        if wk == 0:
            self._year_boundary(year, t, w)
        st = self.staff
        # turnover and hiring
        for a in self.profs:
            if a.kind == COORD and not a.open:
                continue
            if not a.filled:
                a.vacancy_left -= 1
                if a.vacancy_left <= 0:
                    a.fill(self._newcomer_engagement(wk, a.pid))
                continue
            group = ("health" if a.kind <= MIDWIFE else "youth_welfare" if a.kind in (ASD, FH)
                     else "coordinator" if a.kind == COORD else "health_office")
            rate = p[f"turnover_rate_{group}"]
            delay = 0 if group == "health" else p[f"hiring_delay_weeks_{group}"]
            project = a.kind == COORD and a.contract == "project"
            to_end = float((a.end_year + 1) * 52 - t) if project else 1e9
            prob = rules.turnover_probability(rate, project, to_end,
                                              p["project_turnover_multiplier"],
                                              p["contract_end_turnover_multiplier"])
            if st.u_turnover[wk, a.pid] < prob:
                w["turnover"] += 1
                a.leave(delay)
                if delay <= 0:
                    a.fill(self._newcomer_engagement(wk, a.pid))
        w["vacancies"] = sum(1 for a in self.profs if a.kind >= ASD and not a.filled
                             and (a.kind != COORD or a.open))
        # trained MFA leave
        q = p["mfa_turnover_rate"] / 52.0
        for a in self.physicians:
            if a.mfa_trained and st.u_mfa[wk, a.pid] < q:
                a.mfa_trained = False
        # routine contacts of the health-office liaison
        if self.office is not None and self.office.filled:
            g = self.office.pid
            for h in self.health:
                if st.u_liaison[wk, h.pid] < p["health_office_contact_rate"]:
                    r = self.rel(h.pid, g)
                    r.acq_new = True
                    r.touched = True
        # first birthdays, exits, births, entries
        born_fb = self.by_birth.get(t - 52, ())
        for f in born_fb:
            if f.birth_week >= 0:
                w["fb_born"] += 1
                w["fb_contact"] += f.year1_contact
                if f.burden > 0:
                    w["fb_burdened"] += 1
                    if f.first_help >= 0:
                        w["fb_reached"] += 1
        leaving = self.by_birth.pop(t - STAY_WEEKS_AFTER_BIRTH, [])
        if leaving:
            self.recorder.add_family_flags(np.zeros(len(leaving), dtype=np.int64),
                                           [f.contact_bits for f in leaving],
                                           [f.noticed_bits for f in leaving])
        for f in leaving:
            if f.birth_week >= 0 and f.burden > 0:
                w["exit_burdened"] += 1
                if f.first_help >= 0 and (f.crisis_week < 0 or f.first_help < f.crisis_week):
                    w["exit_before_crisis"] += 1
            self._release(f)
            del self.families[f.fid]
            f.remove()
        w["births"] = len(self.by_birth.get(t, ()))
        self._add_families(self._entries_of_week(t))
        for a in self.profs:
            if a.filled:
                a.refill_bank()
        self.clearing_left = (_minutes(p["clearing_desk_hours_per_week"])
                              if p["clearing_desk"] else 0)
        self.lotsin_left = self.lotsin_capacity
        # paid time of coordinators and its cost
        fte_filled = 0.0
        for c in self.coords:
            if c.filled:
                fte_filled += c.fte
                w["coord_paid_min"] += _minutes(c.fte * p["full_time_hours_per_week"])
                w["coord_min"]["other_duties"] += _minutes(
                    (c.fte * p["full_time_hours_per_week"]) * p["coordinator_other_duties_share"])
        self._fte_filled = fte_filled
        w["cost"][0] = fte_filled * p["coordinator_cost_eur_per_fte_year"] / 52.0
        w["cost"][1] = self.funding.lotsendienst_fte * p["lotsin_cost_eur_per_fte_year"] / 52.0

    def _entries_of_week(self, t: int) -> draws.FamilyBlock:
        blk = self._year_families
        lo, hi = np.searchsorted(blk.birth_week, [t + PRENATAL_WEEKS, t + PRENATAL_WEEKS + 1])
        return blk.rows(slice(lo, hi))

    def _year_boundary(self, year: int, t: int, w: dict) -> None:
        p, lay, seed = self.p, self.layout, self.seed
        self._year_families = draws.draw_year_families(seed, year, lay, self.population, p)
        self.staff = draws.draw_staff(seed, year, lay, p)
        self.outreach = draws.draw_outreach(seed, year, lay, p)
        self.meeting_draws = {
            i: draws.draw_meetings(seed, year, i, lay)
            for i, f in enumerate(FORMATS) if p[f"{f}_interval_weeks"] > 0
        }
        fund = allocate_year(self.streams, year, p)
        self.funding = fund
        contracts = position_contracts(list(lay.planned_fte), fund)
        for c, (fte, contract, end) in zip(self.coords, contracts, strict=True):
            was_open = c.open
            if contract is None:
                if was_open and c.filled:
                    w["turnover"] += 1
                    w["positions_closed"] += 1
                c.contract = None
                c.end_year = None
                c.fte = 0.0
                c.filled = False
                c.vacancy_left = 0
                c.bank = 0
                c.case_bank = 0
                for r in c.partners.values():
                    r.reset()
            else:
                c.contract = contract
                c.end_year = end
                c.fte = fte
                if not was_open:
                    if t == 0 and p["coordinator_filled_at_start"]:
                        c.fill(float(self.population.engagement_base[c.pid]),
                               tenure=p["coordinator_initial_tenure_weeks"])
                        if self.week == 0:
                            self._initial_coordinator_ties(c)
                    else:
                        # advertised now; the staffing step counts the delay down from
                        # this week, so the newcomer starts after exactly the delay
                        c.filled = False
                        c.vacancy_left = p["hiring_delay_weeks_coordinator"] + 1
            c.weekly_minutes, c.cap, c.case_weekly, c.case_cap = coordinator_accounts(c.fte, p)
            c.bank = min(c.bank, c.cap)
            c.case_bank = min(c.case_bank, c.case_cap)
        self.meeting_reserve = self._meeting_reserve()
        measures = year_measures(fund, p, len(self.physicians))
        self.lotsendienst_coverage = measures.lotsendienst_coverage
        self.lotsin_capacity = measures.lotsin_capacity
        self.compensation_funded = measures.compensation
        # MFA training of the first practices in slot order, as far as funded
        if measures.mfa_practices:
            trained = 0
            for a in self.physicians[:measures.mfa_practices]:
                if not a.mfa_trained:
                    a.mfa_trained = True
                    trained += 1
            w["cost"][3] = trained * p["mfa_training_cost_eur"]

    def _meeting_reserve(self) -> list[int]:
        """Minutes each coordinator keeps free for the meetings of its districts.

        Outreach visits may only use time beyond this reserve, so that organising the
        meetings comes first.
        """
        per_district = meeting_reserve_per_district(self.p, FORMATS)
        return [per_district * len(c.area) for c in self.coords]

    def _initial_coordinator_ties(self, c: Coordinator) -> None:
        """Coordinators filled at the start keep the acquaintances drawn for the population."""
        p = self.p
        u = self.population.u_acquainted
        for r in c.partners.values():
            share = p["initial_acquaintance_share"] if r.type == 1 else 1.0
            if u[r.index] < share:
                r.acquainted = True
                r.last_contact = 0
                if r.type == 1:
                    r.trust = r.base_trust + p["initial_acquaintance_trust_bonus"]

    def _release(self, f: Family) -> None:
        if f.state == IN_HELP and f.worker is not None:
            f.worker.cases.remove(f)
            f.worker = None

    # ----------------------------------------------------------- phase 1
    def _phase_structural(self, t: int, w: dict) -> None:
        p = self.p
        for fi, fmt in enumerate(FORMATS):
            occ = draws.meeting_occurrence(t, p[f"{fmt}_interval_weeks"], fi)
            if occ >= 0:
                for d in range(self.layout.n_districts):
                    self._meeting(t, w, fi, fmt, occ, d)
        self._letters(t, w)
        self._visits(t, w)
        self._door_opening(t, w)

    def _organiser(self, d: int, minutes: int) -> Coordinator | None:
        for c in self.coords:
            if c.filled and d in c.area and c.bank >= minutes:
                return c
        return None

    def _meeting(self, t: int, w: dict, fi: int, fmt: str, occ: int, d: int) -> None:
        p, tab = self.p, self.modes
        length_h = p[f"{fmt}_hours"]
        length = _minutes(length_h)
        org = self._organiser(d, _minutes(p["meeting_prep_hours"]) + length)
        if org is None:
            return
        self._spend(org, _minutes(p["meeting_prep_hours"]) + length, "meetings")
        w["meetings"] += 1
        blk = self.meeting_draws[fi]
        evening = p[f"{fmt}_evening"]
        compensated = self.compensation_funded and fmt != "network_meeting"
        ja_ga = p["ja_ga_cooperation"] and self.office is not None and self.office.filled
        invited_kinds = INVITED[fmt]
        base = {k: p[name] for k, name in ATTENDANCE_BASE.items()}
        attendees: list = []
        for a in self.health_by_district[d] + [y for y in self.youth if y.district == d]:
            if a.kind not in invited_kinds or not a.filled or a.bank < length:
                continue
            if a.kind <= MIDWIFE:
                aw = a.awareness
                practice = a.kind in PRACTICE_KINDS
                tf = 1.0 if (evening or not practice) else \
                    1.0 - p["attendance_daytime_penalty_practice"]
            else:
                aw = 1.0
                tf = 1.0
            boost = 1.0
            if a.kind in PHYSICIAN_KINDS:
                if compensated:
                    boost = boost * (1.0 + p["attendance_compensation_boost"])
                if fmt == "quality_circle":
                    boost = boost * (1.0 + p["attendance_cme_boost"])
                if ja_ga:
                    boost = boost * (1.0 + p["attendance_ja_ga_boost"])
            prob = rules.attendance_probability(
                base[a.kind], a.engagement, aw, length_h, p["attendance_length_penalty"], tf,
                boost, p["attendance_floor_engagement"], p["attendance_floor_awareness"])
            if blk.u_attend[occ, a.pid] < prob:
                attendees.append(a)
        liaison = None
        if ja_ga and fmt != "round_table" and self.office.bank >= length:
            liaison = self.office
        for a in attendees:
            paid = compensated and a.kind in (PED, GYN)
            self._spend(a, length, "meetings", paid=paid)
            if paid:
                w["compensated"] += 1
            if a.kind <= MIDWIFE:
                a.ever_attended = True
        if liaison is not None:
            self._spend(liaison, length, "meetings")
        health = [a for a in attendees if a.kind <= MIDWIFE]
        if not health:
            return
        # the situation of the meeting: mean over attending pairs across the divide
        present = {a.pid for a in attendees} | {org.pid}
        if liaison is not None:
            present.add(liaison.pid)
        pairs = [r for r in self.rels if r.a in present and r.b in present]
        cross = [r for r in pairs if r.type in (0, 1)]
        tsum = 0.0
        usum = 0.0
        dsum = 0.0
        for r in cross:
            tsum += r.trust
            usum += r.understanding
            dsum += abs(self.profs[r.a].logic - self.profs[r.b].logic) * (1.0 - r.understanding)
        n = float(len(cross))
        feats = (tsum / n, usum / n, dsum / n, 1.0, 0.0, org.competence(),
                 1.0 if p["cooperation_agreement"] else 0.0)
        wts = rules.mode_weights(feats, tab.base_l, tab.coef_l)
        mode = rules.choose_mode(wts, (1, 1, 1, 1), float(blk.u_mode[occ, d]))
        w["mode_struct"][mode] += 1
        inten = p[f"meeting_intensity_{fmt}"]
        pacq = p[f"meeting_acquaintance_{fmt}"]
        for r in pairs:
            r.interact(mode, tab, p, inten)
            if blk.u_acquaint[occ, r.index] < pacq:
                r.acq_new = True
        for a in attendees:
            a.pend_e += rules.engagement_interaction_delta(
                a.engagement, tab.plan_l[mode], tab.conflict_l[mode], p["engagement_gain_planning"],
                p["engagement_loss_conflict"], inten)
            if a.kind <= MIDWIFE:
                a.refresh(p["awareness_refresh_meeting"])

    def _letters(self, t: int, w: dict) -> None:
        p = self.p
        iv = p["letter_interval_weeks"]
        if iv <= 0 or t % iv != 7 % iv:
            return
        for c in self.coords:
            if not c.filled:
                continue
            rec = [h for h in self.health if h.district in c.area]
            cost = len(rec) * p["letter_minutes_per_recipient"]
            if c.bank < cost:
                continue
            self._spend(c, cost, "letters")
            for h in rec:
                if h.filled:
                    h.refresh(p["awareness_refresh_letter"])

    def _visits(self, t: int, w: dict) -> None:
        p, tab = self.p, self.modes
        wk = t % 52
        vm = _minutes(p["visit_hours_coordinator"])
        hm = p["visit_minutes_health"]
        inst = 1.0 if p["cooperation_agreement"] else 0.0
        for j, c in enumerate(self.coords):
            if not c.filled:
                continue
            free = c.bank - self.meeting_reserve[j]
            n = min(p["max_visits_per_week"], free // vm) if free > 0 else 0
            if n <= 0:
                continue
            cands = [h for h in self.health if h.district in c.area and h.filled]
            cands.sort(key=lambda h: (self.rel(h.pid, c.pid).acquainted, h.awareness, h.pid))
            comp = c.competence()
            for k, h in enumerate(cands[:n]):
                r = self.rel(h.pid, c.pid)
                prob = rules.visit_success_probability(
                    p["visit_success_base"], h.engagement, comp, 1.0 if r.acquainted else 0.0,
                    p["visit_success_cold"], p["visit_floor_engagement"],
                    p["visit_floor_competence"])
                if not (self.outreach.u_visit[wk, j, k] < prob and h.bank >= hm):
                    self._spend(c, min(p["visit_request_minutes"], vm), "visits")
                    continue
                self._spend(c, vm, "visits")
                slack = h.slack
                self._spend(h, hm, "visits")
                feats = (r.trust, r.understanding, abs(h.logic - c.logic) * (1.0 - r.understanding),
                         slack, 0.0, 0.0, inst)
                mode = rules.choose_mode(rules.mode_weights(feats, tab.base_l, tab.coef_l),
                                         (1, 1, 1, 1), float(self.outreach.u_visit_mode[wk, j, k]))
                w["mode_struct"][mode] += 1
                r.interact(mode, tab, p, p["intensity_visit"])
                self._met_in_person(h, r, mode, p["intensity_visit"])

    def _met_in_person(self, h: HealthProfessional, r: Relationship, mode: int,
                       intensity: float) -> None:
        """Record that a health professional met a coordinator face to face.

        After a visit or an introduction they know each other, the offers are fresh in
        mind, and the interaction's planning or conflict moves the professional's
        engagement.
        """
        p, tab = self.p, self.modes
        r.acq_new = True
        h.refresh(p["awareness_refresh_visit"])
        h.pend_e += rules.engagement_interaction_delta(
            h.engagement, tab.plan_l[mode], tab.conflict_l[mode], p["engagement_gain_planning"],
            p["engagement_loss_conflict"], intensity)

    def _door_opening(self, t: int, w: dict) -> None:
        p, tab = self.p, self.modes
        g = self.office
        if g is None or not g.filled:
            return
        dm = p["door_opening_minutes"]
        hm = p["visit_minutes_health"]
        if g.bank < dm:
            return
        wk = t % 52
        prob = p["door_opening_probability"] * (
            p["ja_ga_door_opening_multiplier"] if p["ja_ga_cooperation"] else 1.0)
        if not self.outreach.u_door[wk] < prob:
            return
        cands = sorted(self.health, key=lambda h: (h.awareness, h.pid))
        pick = None
        for h in cands:
            if not h.filled or h.bank < hm or not self.rel(h.pid, g.pid).acquainted:
                continue
            for c in self.coords:
                if c.filled and h.district in c.area and c.bank >= dm and \
                        not self.rel(h.pid, c.pid).acquainted:
                    pick = (h, c)
                    break
            if pick:
                break
        if pick is None:
            return
        h, c = pick
        r = self.rel(h.pid, c.pid)
        rg = self.rel(h.pid, g.pid)
        slack = h.slack
        self._spend(g, dm, "door_opening")
        self._spend(c, dm, "door_opening")
        self._spend(h, hm, "door_opening")
        t_eff = max(r.trust, p["trust_transfer_door_opening"] * rg.trust)
        feats = (t_eff, r.understanding, abs(h.logic - c.logic) * (1.0 - r.understanding), slack,
                 0.0, 1.0, 1.0 if p["cooperation_agreement"] else 0.0)
        mode = rules.choose_mode(rules.mode_weights(feats, tab.base_l, tab.coef_l), (1, 1, 1, 1),
                                 float(self.outreach.u_door_mode[wk]))
        w["mode_struct"][mode] += 1
        r.pend_t += t_eff - r.trust
        r.interact(mode, tab, p, p["intensity_door_opening"], trust_level=t_eff)
        rg.touched = True
        self._met_in_person(h, r, mode, p["intensity_door_opening"])

    # ----------------------------------------------------------- phase 2
    def _phase_contacts(self, t: int, w: dict) -> None:
        # a family has at most two contacts in a week; all first contacts are processed
        # (in family order) before all second contacts
        by_family: dict[int, list[int]] = {}
        n_contacts: dict[int, int] = {}
        for s, off in enumerate(CONTACT_OFFSETS):
            for f in self.by_birth.get(t - int(off), ()):
                pid = f.contact_pid[s]
                if pid >= 0:
                    by_family.setdefault(f.fid, []).append(s)
                    n_contacts[pid] = n_contacts.get(pid, 0) + 1
        todo: list[tuple[int, int, int]] = []
        for fid, slots in by_family.items():
            for k, s in enumerate(slots):
                todo.append((k, fid, s))
        todo.sort()
        todo = [(s, self.families[fid]) for _, fid, s in todo]
        share = {pid: self.profs[pid].bank // n for pid, n in n_contacts.items()}
        slack = {pid: self.profs[pid].slack for pid in n_contacts}
        for s, f in todo:
            self._contact(t, w, s, f, self.profs[f.contact_pid[s]], share, slack)

    def _contact(self, t: int, w: dict, s: int, f: Family, h: HealthProfessional,
                 share: dict, slack: dict) -> None:
        p = self.p
        f.contact_bits |= KIND_BIT[h.kind]
        if s in YEAR1_SLOTS:
            f.year1_contact = True
        visible = f.visible(t)
        if visible and f.first_noticeable < 0:
            f.first_noticeable = t
        u = f.u
        if s == BIRTH_SLOT and self.lotsendienst_coverage > 0 and \
                u[KI["cover"]] < self.lotsendienst_coverage:
            pos = u[KI["screen"]] < (p["screening_sensitivity"] if visible
                                     else 1.0 - p["screening_specificity"])
            mins = p["lotsin_minutes_per_screen"]
            # a positive screen leads to the guide's conversation (as far as her time
            # allows); otherwise the clinic staff notice as usual
            if pos and self.lotsin_left >= mins:
                self.lotsin_left -= mins
                judged = u[KI["assess"]] < (p["lotsin_assessment_sensitivity"] if visible
                                            else p["lotsin_assessment_false_positive"])
                if not judged:
                    return
                f.noticed_bits |= KIND_BIT[CLINIC]
                if f.state in (NONE, NOTICED):
                    f.state = NOTICED
                    if u[KI["lotsin_refer"]] < p["lotsin_referral_probability"]:
                        self._referred(t, w, f, h, R_LOTS, -1, u[KI["lotsin_accept"]])
                return
        if visible:
            vis = p["visibility_multiple"] if f.burden == 2 else p["visibility_medium"]
        else:
            vis = p["false_positive_rate"]
        pn = rules.notice_probability(h.skill, vis, 1.0 if h.mfa_trained else 0.0,
                                      p["mfa_noticing_boost"], slack[h.pid],
                                      p["noticing_time_floor"])
        if not u[draws.NOTICE0 + s] < pn:
            return
        f.noticed_bits |= KIND_BIT[h.kind]
        if f.state not in (NONE, NOTICED):
            return
        f.state = NOTICED
        route, value, target = self._best_route(h, share[h.pid])
        if route < 0:
            return
        pr = rules.referral_probability(
            p["referral_base"], h.awareness, h.engagement, slack[h.pid], value,
            p["referral_floor_awareness"], p["referral_floor_engagement"],
            p["referral_floor_slack"], p["referral_floor_route"])
        if not u[draws.REFER0 + s] < pr:
            return
        cm = p["coordinator_clearing_minutes"]
        if route == R_COORD:
            c = next((c for c in self.coords if c.filled and c.case_bank >= cm), None)
            if c is not None:
                c.case_bank -= cm
                w["coord_min"]["clearing"] += cm
            else:
                route = R_FLYER
        elif route == R_CLEARING:
            dm = p["clearing_desk_minutes_per_referral"]
            if self.clearing_left >= dm:
                self.clearing_left -= dm
            else:
                route = R_FLYER
        if route == R_FLYER and p["referral_minutes_flyer"] > share[h.pid]:
            return
        self._spend(h, p[f"referral_minutes_{REFERRAL_ROUTES[route]}"], "referral")
        self._referred(t, w, f, h, route, target, u[draws.ACCEPT0 + s])

    def _best_route(self, h: HealthProfessional, share: int) -> tuple[int, float, int]:
        """The referral route the professional values most, among those time allows."""
        p = self.p
        best, best_v, target = -1, -1.0, -1
        # warm handover: an acquainted early-help provider of the district
        if p["referral_minutes_warm"] <= share:
            tt, tgt = -1.0, -1
            for y in self.fh_by_district[h.district]:
                r = self.rel(h.pid, y.pid)
                if y.filled and r.acquainted and r.trust > tt:
                    tt, tgt = r.trust, y.pid
            if tgt >= 0:
                v = p["route_value_warm"] * tt
                if v > best_v:
                    best, best_v, target = R_WARM, v, tgt
        if p["clearing_desk"] and p["referral_minutes_clearing"] <= share:
            r = self.rel(h.pid, self.office.pid)
            tt = r.trust if r.acquainted else r.trust * h.awareness
            v = p["route_value_clearing"] * tt
            if v > best_v:
                best, best_v, target = R_CLEARING, v, -1
        if p["referral_minutes_coordinator"] <= share:
            tt = -1.0
            for c in self.coords:
                if c.filled:
                    r = self.rel(h.pid, c.pid)
                    x = r.trust if r.acquainted else r.trust * h.awareness
                    if x > tt:
                        tt = x
            if tt >= 0:
                v = p["route_value_coordinator"] * tt
                if v > best_v:
                    best, best_v, target = R_COORD, v, -1
        if p["referral_minutes_flyer"] <= share:
            v = p["route_value_flyer"]
            if v > best_v:
                best, best_v, target = R_FLYER, v, -1
        return best, best_v, target

    def _referred(self, t: int, w: dict, f: Family, h: HealthProfessional, route: int,
                  target: int, u_accept: float) -> None:
        p = self.p
        w["routes"][route] += 1
        h.referral_weeks.append(t)
        f.referrer = h.pid
        f.referrer_person = h.person
        f.route = route
        f.target = target
        acc = p["acceptance_lotsendienst"] if route == R_LOTS else \
            p[f"acceptance_{REFERRAL_ROUTES[route]}"]
        if route == R_COORD and p["coordinator_host"] == "freier_traeger":
            acc = acc * (1.0 + p["acceptance_freier_traeger_bonus"])
        stigma = (0.0, p["stigma_medium"], p["stigma_multiple"])[f.burden]
        pa = rules.acceptance_probability(acc, p["family_trust_health"],
                                          p["acceptance_trust_floor"], stigma,
                                          1.0 if f.declined > 0 else 0.0, p["decline_penalty"])
        if u_accept < pa:
            f.state = WAITING
            f.accepted_week = t
            f.waiting_since = t
            f.cum_drop = 0  # a new spell: the family's dropout threshold applies afresh
        else:
            f.declined += 1

    # ----------------------------------------------------------- phase 3
    def _phase_intake(self, t: int, w: dict) -> None:
        p = self.p
        # self.families is in family-id order (families enter in id order)
        waiting = [f for f in self.families.values() if f.state == WAITING]
        assigned: list[Family] = []
        free = {y.pid: y.free for y in self.youth if y.kind == FH}
        queues: dict[int, list[Family]] = {d: [] for d in range(self.layout.n_districts)}
        for f in waiting:
            if f.accepted_week == t and f.route == R_WARM:
                tgt = self.profs[f.target]
                if free[tgt.pid] > 0:
                    free[tgt.pid] -= 1
                    self._assign(t, f, tgt)
                    assigned.append(f)
                    continue
                queues[tgt.district].append(f)
            else:
                d = self.profs[f.target].district if f.route == R_WARM else f.district
                queues[d].append(f)
        for d, q in queues.items():
            q.sort(key=lambda f: (f.waiting_since, f.fid))
            slots = [y for y in self.fh_by_district[d] for _ in range(free[y.pid])]
            for f, y in zip(q, slots, strict=False):
                free[y.pid] -= 1
                self._assign(t, f, y)
                assigned.append(f)
        assigned.sort(key=lambda f: f.fid)
        # case cooperation between referrer and early-help provider
        inter = []
        for f in assigned:
            h = self.profs[f.referrer] if f.referrer >= 0 else None
            if f.route in (R_WARM, R_COORD, R_CLEARING) and h is not None and h.filled and \
                    h.person == f.referrer_person:
                inter.append((f, h, f.worker))
                continue
            # no channel between referrer and provider (flyer, or the referrer has left):
            # negative coordination by construction; the Lotsendienst hands over itself
            f.case_mode = -1
            f.case_info = 0.0
            f.case_conflict = 0.0
            f.quality = p["quality_base"]
            if f.route != R_LOTS:
                f.case_mode = rules.NEGATIVE
                w["mode_case"][rules.NEGATIVE] += 1
        self._case_interactions(t, w, inter, kind="intake")

    def _assign(self, t: int, f: Family, y: YouthWelfareProfessional) -> None:
        f.state = IN_HELP
        if f.first_help < 0:
            f.first_help = t
            if f.first_noticeable >= 0:
                self._w["delay_hist"][min(t - f.first_noticeable, MAX_DELAY - 1)] += 1
        dur = self.p["help_duration_weeks_multiple"] if f.burden == 2 else \
            self.p["help_duration_weeks_medium"]
        f.help_end = t + dur
        f.worker = y
        f.assigned_week = t
        f.cum_drop = 0
        y.cases.append(f)

    def _case_interactions(self, t: int, w: dict, inter: list, kind: str) -> None:
        """Case cooperation: the mode is chosen within the time both sides can give."""
        p, tab = self.p, self.modes
        if not inter:
            return
        count: dict[int, int] = {}
        for _, h, y in inter:
            count[h.pid] = count.get(h.pid, 0) + 1
            count[y.pid] = count.get(y.pid, 0) + 1
        budget = {pid: self.profs[pid].bank // n for pid, n in count.items()}
        inst = 1.0 if p["cooperation_agreement"] else 0.0
        pos = 3
        for f, h, y in inter:
            r = self.rel(h.pid, y.pid)
            bt, bu = (r.trust, r.understanding) if r is not None else self._pair_baseline(0)
            bh, by = budget[h.pid], budget[y.pid]
            sh = 1.0 if tab.mh_l[pos] == 0 else min(1.0, bh / tab.mh_l[pos])
            sy = 1.0 if tab.my_l[pos] == 0 else min(1.0, by / tab.my_l[pos])
            if kind == "intake":
                urg = (0.0, p["urgency_medium"], p["urgency_multiple"])[f.burden]
                fac = 1.0 if f.route in (R_COORD, R_CLEARING) else 0.0
                u = f.u[KI["mode_intake"]]
                inten = p["intensity_case"]
            else:
                urg = 1.0
                fac = 1.0 if p["clearing_desk"] else 0.0
                u = f.u[KI["mode_crisis"]]
                inten = p["intensity_crisis"]
            feats = (bt, bu, abs(h.logic - y.logic) * (1.0 - bu), min(sh, sy), urg, fac, inst)
            feas = tuple(1 if (tab.mh_l[m] <= bh and tab.my_l[m] <= by) else 0 for m in range(4))
            mode = rules.choose_mode(rules.mode_weights(feats, tab.base_l, tab.coef_l), feas, u)
            w["mode_case"][mode] += 1
            if r is not None:
                r.interact(mode, tab, p, inten)
                if mode == rules.POSITIVE:
                    r.acq_new = True
            info, plan, conf = tab.info_l[mode], tab.plan_l[mode], tab.conflict_l[mode]
            demanded, other = (y, h) if kind == "intake" else (h, y)
            demanded.pend_e += rules.engagement_interaction_delta(
                demanded.engagement, plan, conf, p["engagement_gain_planning"],
                p["engagement_loss_conflict"], inten)
            other.pend_e += rules.engagement_interaction_delta(
                other.engagement, plan, 0.0, p["engagement_gain_planning"],
                p["engagement_loss_conflict"], inten)
            self._spend(h, tab.mh_l[mode], kind if kind == "crisis" else "case")
            self._spend(y, tab.my_l[mode], kind if kind == "crisis" else "case")
            if kind == "intake":
                f.case_mode = mode
                f.case_info = info
                f.case_conflict = conf
                f.quality = rules.case_quality(info, plan, conf, p["quality_base"],
                                               p["quality_info"], p["quality_plan"],
                                               p["quality_conflict"])

    # ----------------------------------------------------------- phase 3b
    def _phase_progress(self, t: int, w: dict) -> None:
        p = self.p
        for f in list(self.families.values()):
            if f.state == IN_HELP and f.assigned_week < t:
                if t >= f.help_end:
                    y = f.worker
                    y.cases.remove(f)
                    f.worker = None
                    f.state = DONE
                    self._feedback(t, f, y)
                    continue
                f.cum_drop += rules.hazard_units(p["dropout_base"] + p["dropout_conflict"] *
                                                 f.case_conflict)
                if f.cum_drop >= f.e_drop:
                    f.worker.cases.remove(f)
                    f.worker = None
                    f.state = NOTICED
                    w["dropouts"] += 1
            elif f.state == WAITING and f.accepted_week < t:
                f.cum_drop += rules.hazard_units(p["dropout_base"])
                if f.cum_drop >= f.e_drop:
                    f.state = NOTICED
                    f.declined += 1
                    w["dropouts"] += 1

    def _feedback(self, t: int, f: Family, y: YouthWelfareProfessional) -> None:
        """At the end of help, let the referring professional hear how it went (or not)."""
        p = self.p
        if f.referrer < 0:
            return
        h = self.profs[f.referrer]
        if not h.filled or h.person != f.referrer_person or f.route == R_LOTS:
            return
        info = f.case_info
        if f.route == R_COORD:
            # the coordinator reports back on cases it cleared, if its case time allows
            fm = p["coordinator_feedback_minutes"]
            c = next((c for c in self.coords if c.filled and c.case_bank >= fm), None)
            if c is not None:
                c.case_bank -= fm
                self._w["coord_min"]["feedback"] += fm
                info = 1.0
        pf = rules.feedback_probability(p["feedback_allowed_share"], info,
                                        p["feedback_floor_info"])
        if f.u[KI["feedback"]] < pf:
            h.refresh(p["awareness_refresh_feedback"])
            h.pend_e += p["engagement_gain_feedback"] * (1.0 - h.engagement)
            r = self.rel(h.pid, y.pid)
            if r is not None and y.filled:
                r.pend_t += rules.trust_delta(r.trust, 1.0, 0.0, 0.0, p["trust_gain"],
                                              p["trust_loss"], p["intensity_feedback"],
                                              p["trust_gain_info_weight"])
                r.touched = True
        else:
            h.pend_e -= p["engagement_loss_no_feedback"] * h.engagement

    # ----------------------------------------------------------- phase 4
    def _phase_escalation(self, t: int, w: dict) -> None:
        p = self.p
        hz = (p["crisis_hazard_low"], p["crisis_hazard_medium"], p["crisis_hazard_multiple"])
        crises = []
        for f in list(self.families.values()):
            if f.state == CRISIS:
                continue
            base = hz[f.burden] if f.visible(t) else hz[0]
            mult = rules.crisis_hazard_multiplier(f.state == IN_HELP, f.state == DONE, f.quality,
                                                  p["help_effect"], p["post_help_effect"])
            f.cum_crisis += rules.hazard_units(base * mult)
            if f.cum_crisis >= f.e_crisis:
                w["crises"] += 1
                f.crisis_week = t
                self._release(f)
                f.state = CRISIS
                crises.append(f)
        inter = []
        for f in crises:
            asds = self.asd_by_district[f.district]
            n = len(asds)
            # the responsible ASD worker, or the next colleague of the district if vacant
            a = next((asds[(f.fid + k) % n] for k in range(n) if asds[(f.fid + k) % n].filled),
                     None)
            h = self.profs[f.ped if t >= f.birth_week else f.gyn]
            if a is not None and h.filled:
                inter.append((f, h, a))
        self._case_interactions(t, w, inter, kind="crisis")

    # ----------------------------------------------------------- phase 5
    def _phase_commit(self, t: int, w: dict) -> None:
        p = self.p
        for r in self.rels:
            r.commit(t, p["trust_decay"], p["understanding_decay"], p["acquaintance_lapse_weeks"])
        for a in self.profs:
            a.commit(p)
        # state summaries
        cross = [r for r in self.rels if r.type in (0, 1)
                 and self.profs[r.a].filled and self.profs[r.b].filled]
        tsum = 0.0
        usum = 0.0
        for r in cross:
            tsum += r.trust
            usum += r.understanding
        w["trust_sum"] = tsum
        w["understanding_sum"] = usum
        w["pairs"] = len(cross)
        acq = 0
        for h in self.health:
            if any(r.acquainted and r.type in (0, 1) and self.profs[r.b].filled
                   for r in h.partners.values()):
                acq += 1
        w["health_acquainted"] = acq
        w["health_filled"] = sum(1 for h in self.health if h.filled)
        w["physicians"] = len(self.physicians)
        w["physicians_active"] = sum(1 for h in self.physicians if h.referrals_since(t - 51) > 0)
        w["physicians_attended"] = sum(1 for h in self.physicians if h.ever_attended)
        w["families"] = len(self.families)
        w["in_help"] = sum(1 for f in self.families.values() if f.state == IN_HELP)
        w["waiting"] = sum(1 for f in self.families.values() if f.state == WAITING)
        w["fte_funded"] = self.funding.coordinator_fte if self.funding else 0.0
        w["fte_filled"] = self._fte_filled
        w["lotsendienst_coverage"] = self.lotsendienst_coverage
        for h in self.health:
            while h.referral_weeks and h.referral_weeks[0] < t - 51:
                h.referral_weeks.pop(0)
        w["cost"][2] = w["compensated"] * p["compensation_eur_per_session"]
        w["coord_min"] = [w["coord_min"][k] for k in COORD_ACTIVITIES]
        self.recorder.week(w, w["cost"], self.funding.shares)

    # ----------------------------------------------------------- results
    def ped_referrals_last_year(self) -> np.ndarray:
        """Referrals per pediatric practice in the last 52 simulated weeks."""
        t = self.week
        return np.array([h.referrals_since(t - 52) for h in self.health if h.kind == PED],
                        dtype=np.int64)

    def summary(self) -> dict[str, Any]:
        """End-of-run values of every output (see ``kooperationssim.outputs``)."""
        rec = self.recorder
        fl = list(self.families.values())
        ck, nk = rec.contact_kind.copy(), rec.noticed_kind.copy()
        rec.add_family_flags(np.zeros(len(fl), dtype=np.int64),
                             [f.contact_bits for f in fl], [f.noticed_bits for f in fl])
        ck, rec.contact_kind = rec.contact_kind[0], ck
        nk, rec.noticed_kind = rec.noticed_kind[0], nk
        return rec.summary(0, self.ped_referrals_last_year(), ck, nk)

    def series(self):
        """Weekly series (pandas DataFrame)."""
        return self.recorder.series(0)
