"""The parameter schema: every model parameter is declared exactly once, here.

Each :class:`Param` carries its type, default, bounds or choices, unit, help text,
German and English label, the source of its default and its group.  The model
constructors, the command line, scenario validation, the parameter table in
``docs/ODD.md`` and the JSON listing of ``kooperationssim params --json`` are all
derived from :data:`PARAMS`.  No default is written anywhere else.

Sources are cited by short author-year keys, resolved in the references of
``docs/ODD.md`` (section 13), for example:

* ``Fischer & Geene 2019`` — FGW-Impuls Vorbeugende Sozialpolitik 19.
* ``Schönknecht et al. 2021`` — Schönknecht, Böhm & Langness (2021), Bertelsmann
  Stiftung / ZEFIR, "Gesundheitsförderung und Prävention gemeinsam gestalten!".
* ``Land Brandenburg n.d.`` — "Vernetzung und Kooperation in den Frühen Hilfen"
  (Brandenburg; after Landua et al. 2009 and Thyen 2010).
* ``Stöbe-Blossey 2023`` — multiprofessional cooperation; four modes of coordination
  after Stöbe-Blossey et al. (2019) and Fischer et al. (2023).
* ``Borgstädt & Chlebig 2018`` — "Zukunft für Kinder", Düsseldorf.
* the empirical calibration figures: NZFH (KiD 0-3, ZuFa monitoring), QUAG,
  Schmidtke et al. 2018 (KiGGS Wave 2), Fisch et al. 2016, van Staa & Renner 2019,
  BR-Drs. 623/19, Destatis/BÄK.
* ``design assumption`` — a choice of the model's design (a mechanism or lever), not an
  empirical figure.
* ``assumption`` — a modelling assumption, stated with its reasoning; these are
  the first candidates for sensitivity analysis.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Param",
    "PARAMS",
    "PARAMS_BY_NAME",
    "GROUPS",
    "MODES",
    "MODE_FEATURES",
    "FUNDING_REGIMES",
    "FUNDING_SOURCES",
    "FUNDING_USES",
    "STREAM_FIELDS",
    "defaults",
    "suggest",
]

#: The four coordination modes after Scharpf / Stöbe-Blossey et al. (2019), in fixed order.
MODES = ("negative", "intervention", "exchange", "positive")
#: Situation features that enter the mode choice, in fixed order.
MODE_FEATURES = (
    "trust",
    "understanding",
    "distance",
    "slack",
    "urgency",
    "facilitation",
    "institution",
)
FUNDING_REGIMES = (
    "permanent",
    "project",
    "project_then_municipal",
    "foundation_gap_municipal",
    "custom",
)
FUNDING_SOURCES = ("municipality", "land", "bundesstiftung", "foundation", "health_insurers")
FUNDING_USES = ("coordinator", "lotsendienst", "compensation", "mfa_training")

GROUPS = {
    "run": ("Run", "Lauf"),
    "municipality": ("Municipality and families", "Kommune und Familien"),
    "health": ("Health professionals", "Gesundheitswesen"),
    "youth_welfare": ("Youth welfare", "Kinder- und Jugendhilfe"),
    "coordination": ("Network coordination and health office",
                     "Netzwerkkoordination und Gesundheitsamt"),
    "meetings": ("Structural cooperation (meetings)", "Fallübergreifende Kooperation (Treffen)"),
    "measures": ("Measures", "Maßnahmen"),
    "pathway": ("Family pathway", "Zugangsweg der Familien"),
    "outcomes": ("Family outcomes", "Ergebnisse für Familien"),
    "relationships": ("Trust, understanding, engagement", "Vertrauen, Verständnis, Engagement"),
    "modes": ("Coordination modes", "Koordinationsformen"),
    "staffing": ("Staff turnover", "Personalfluktuation"),
    "funding": ("Funding", "Finanzierung"),
}


@dataclass(frozen=True)
class Param:
    """Declaration of one model parameter.

    Attributes:
        name: Identifier used everywhere (scenario files, CLI, code).
        type: One of ``int``, ``float``, ``bool``, ``str``.
        default: Default value.
        unit: Unit of measurement ("" for dimensionless shares).
        help: One-sentence description in English.
        label_en: Short English label (dashboard, plots).
        label_de: Short German label (dashboard, plots).
        source: Source key and passage justifying the default.
        group: Key into :data:`GROUPS`.
        min: Inclusive lower bound for numbers, or ``None``.
        max: Inclusive upper bound for numbers, or ``None``.
        choices: Allowed values for categorical parameters, or ``None``.
        sweepable: Whether experiments may vary this parameter.
        zero_or_min: For intervals: 0 switches the feature off, otherwise ``min`` applies.
    """

    name: str
    type: type
    default: Any
    unit: str
    help: str
    label_en: str
    label_de: str
    source: str
    group: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    sweepable: bool = True
    zero_or_min: bool = False

    @property
    def type_name(self) -> str:
        """Name of the Python type, as used in messages and JSON."""
        return self.type.__name__

    def check(self, value: Any) -> Any:
        """Validate and normalise ``value``; raise ``ValueError`` naming the problem."""
        t = self.type
        if t is bool:
            if not isinstance(value, bool):
                raise ValueError(
                    f"parameter '{self.name}' must be a boolean (true or false), "
                    f"got {value!r} ({type(value).__name__})"
                )
            return value
        if t is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ValueError(
                        f"parameter '{self.name}' must be an integer, "
                        f"got {value!r} ({type(value).__name__})"
                    )
        elif t is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(
                    f"parameter '{self.name}' must be a number, "
                    f"got {value!r} ({type(value).__name__})"
                )
            value = float(value)
            if value != value:  # NaN
                raise ValueError(f"parameter '{self.name}' must be a number, got NaN")
        elif t is str:
            if not isinstance(value, str):
                raise ValueError(
                    f"parameter '{self.name}' must be a string, "
                    f"got {value!r} ({type(value).__name__})"
                )
            if self.choices is not None and value not in self.choices:
                raise ValueError(
                    f"parameter '{self.name}' must be one of {', '.join(self.choices)}; "
                    f"got {value!r}"
                )
            return value
        if self.zero_or_min and value == 0:
            return value
        lo, hi = self.min, self.max
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            rng = f"[{_fmt(lo)}, {_fmt(hi)}]"
            extra = " (or 0 to switch it off)" if self.zero_or_min else ""
            raise ValueError(
                f"parameter '{self.name}' = {value!r} is out of bounds: "
                f"allowed {rng}{extra} {self.unit}".rstrip()
            )
        return value

    def to_json(self) -> dict[str, Any]:
        """Describe the parameter as a JSON-serialisable dict."""
        d: dict[str, Any] = {
            "name": self.name,
            "type": self.type_name,
            "default": self.default,
        }
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        if self.choices is not None:
            d["choices"] = list(self.choices)
        d.update(
            unit=self.unit,
            help=self.help,
            label_en=self.label_en,
            label_de=self.label_de,
            source=self.source,
            group=self.group,
            sweepable=self.sweepable,
        )
        if self.zero_or_min:
            d["zero_switches_off"] = True
        return d


def _fmt(x: float | None) -> str:
    if x is None:
        return "-inf"
    if float(x).is_integer():
        return str(int(x))
    return f"{x:g}"


# ---------------------------------------------------------------------------
# helpers to keep the declarations compact
# ---------------------------------------------------------------------------

_P: list[Param] = []


def _add(name, type_, default, unit, help_, en, de, source, group, **kw) -> None:
    _P.append(Param(name, type_, default, unit, help_, en, de, source, group, **kw))


def _share(name, default, help_, en, de, source, group, **kw) -> None:
    _add(name, float, default, "", help_, en, de, source, group, min=0.0, max=1.0, **kw)


def _rate(name, default, unit, help_, en, de, source, group, hi=1.0) -> None:
    _add(name, float, default, unit, help_, en, de, source, group, min=0.0, max=hi)


# ---------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------
_add("weeks", int, 520, "weeks", "Simulated horizon in weekly steps.",
     "Weeks simulated", "Simulierte Wochen",
     "design assumption: weekly steps, default horizon 10 years", "run",
     min=1, max=5200, sweepable=False)

# ---------------------------------------------------------------------------
# municipality and families
# ---------------------------------------------------------------------------
_add("births_per_year", float, 1000.0, "births/year",
     "Births per year in the municipality; pregnancies enter the model at this rate.",
     "Births per year", "Geburten pro Jahr",
     "assumption: a mid-sized town; compare Düsseldorf 5,530 (IT.NRW, 2023) and Kassel "
     "~1,900 births of residents",
     "municipality", min=20.0, max=30000.0)
_add("births_per_district", float, 600.0, "births/year",
     "Size of one social district (Sozialraum); professionals of a district meet and "
     "hand over within it.",
     "Births per district", "Geburten je Sozialraum",
     "assumption: networks and round tables are organised by district in larger "
     "cities (Borgstädt & Chlebig 2018: district-oriented team talks)", "municipality",
     min=50.0, max=30000.0)
_add("n_pediatric_practices", int, 8, "practices", "Pediatric practices (Kinderarztpraxen).",
     "Pediatric practices", "Kinderarztpraxen",
     "Destatis/BÄK: ~6.8 ambulatory pediatricians per 10,000 children under 15; "
     "1,000 births ~ 15,000 children under 15 ~ 10 pediatricians in ~8 practices",
     "municipality", min=1, max=5000)
_add("n_gynecology_practices", int, 10, "practices", "Gynecology practices (Frauenarztpraxen).",
     "Gynecology practices", "Frauenarztpraxen",
     "assumption: ~1 gynecology practice per 100 births per year", "municipality",
     min=1, max=5000)
_add("n_maternity_clinics", int, 1, "clinics", "Maternity clinics (Geburtskliniken).",
     "Maternity clinics", "Geburtskliniken",
     "assumption: a typical German obstetric unit handles ~1,000 births per year",
     "municipality", min=0, max=500)
_add("n_midwives", int, 20, "midwives", "Freelance midwives (Hebammen) offering postpartum care.",
     "Midwives", "Hebammen", "assumption: ~1 midwife per 50 births per year", "municipality",
     min=0, max=10000)
_add("n_asd_workers", int, 5, "social workers",
     "ASD social workers (Allgemeiner Sozialer Dienst) responsible for families with "
     "children under three; they carry the child-protection duty.",
     "ASD social workers", "ASD-Fachkräfte", "assumption", "municipality", min=1, max=5000)
_add("n_fh_providers", int, 6, "professionals",
     "Frühe-Hilfen providers (family midwives, FGKiKP, counselling), each with a caseload.",
     "Early-help providers", "Fachkräfte Frühe Hilfen",
     "assumption: sized so that capacity binds only when reach is high", "municipality",
     min=1, max=5000)
_share("burden_share_medium", 0.36, "Share of families with medium psychosocial burden.",
       "Medium burden share", "Anteil mittlere Belastung",
       "NZFH, KiD 0-3: latent classes", "municipality")
_share("burden_share_multiple", 0.05, "Share of families with multiple psychosocial burden.",
       "Multiple burden share", "Anteil Mehrfachbelastung",
       "NZFH, KiD 0-3: latent classes", "municipality")
_share("burden_onset_postpartum_share", 0.3,
       "Share of burdened families whose burden becomes noticeable only after birth "
       "(e.g. postpartum depression).",
       "Postpartum onset share", "Anteil Belastung erst nach Geburt", "assumption",
       "municipality")
_add("burden_onset_postpartum_max_week", int, 26, "weeks",
     "Latest week after birth at which a postpartum burden begins (uniform onset).",
     "Latest postpartum onset", "Späteste Belastung nach Geburt", "assumption",
     "municipality", min=1, max=150)
_share("clinic_birth_share", 0.98, "Share of births in a maternity clinic.",
       "Births in clinics", "Klinikgeburten", "QUAG quality reports (~98 %)",
       "municipality")
_share("gyn_checkup_participation", 0.95,
       "Probability that a scheduled prenatal check-up at the gynecology practice takes place.",
       "Prenatal check-up attendance", "Teilnahme Schwangerenvorsorge",
       "Schönknecht et al. 2021: gynecologists care for almost all expectant mothers; value "
       "assumption",
       "municipality")
_share("u2_participation", 0.996, "Participation in U2 (in the clinic, first days).",
       "U2 participation", "Teilnahme U2", "Schmidtke et al. 2018 (KiGGS Wave 2): U1/U2 ~99.6 %",
       "municipality")
_share("u_exam_participation", 0.96,
       "Participation in each of U3 to U7 at the pediatric practice.",
       "U3-U7 participation", "Teilnahme U3-U7",
       "Schmidtke et al. 2018 (KiGGS Wave 2): most > 95 %",
       "municipality")
_share("u_exam_participation_multiple_burden", 0.9,
       "Participation in each of U3 to U7 for families with multiple burden.",
       "U3-U7 participation, multiple burden", "Teilnahme U3-U7 bei Mehrfachbelastung",
       "assumption: social gradient of U-examination participation (KiGGS)",
       "municipality")
_share("midwife_share", 0.85, "Share of families with postpartum midwife care.",
       "Postpartum midwife care", "Wochenbettbetreuung durch Hebamme", "assumption",
       "municipality")
_add("practice_size_shape", float, 1.5, "",
     "Gamma shape of practice size heterogeneity (smaller: more unequal practice sizes).",
     "Practice size heterogeneity", "Heterogenität der Praxisgröße",
     "calibrated to the distribution of referrals per pediatric practice "
     "(experiments/calibration/fit_referrals.py)",
     "municipality", min=0.2, max=1000.0)

# ---------------------------------------------------------------------------
# health professionals
# ---------------------------------------------------------------------------
_add("physician_hours_per_week", float, 1.0, "hours/week",
     "Hours per week a practice physician can give to cooperation; unpaid, it costs "
     "practice income.",
     "Physician cooperation hours", "Kooperationszeit Ärzt:innen",
     "Schönknecht et al. 2021: little time, cooperation not reimbursed; van Staa & Renner "
     "2019: 'no time' 53 %; value assumption", "health", min=0.0, max=40.0)
_add("clinic_hours_per_week", float, 2.0, "hours/week",
     "Cooperation hours per week of a maternity clinic's contact person.",
     "Clinic cooperation hours", "Kooperationszeit Klinik", "assumption", "health",
     min=0.0, max=40.0)
_add("midwife_hours_per_week", float, 1.0, "hours/week",
     "Cooperation hours per week of a freelance midwife.",
     "Midwife cooperation hours", "Kooperationszeit Hebammen", "assumption", "health",
     min=0.0, max=40.0)
_add("hours_bank_weeks", int, 4, "weeks",
     "Unused cooperation hours carry over up to this many weeks' worth (a time account).",
     "Time account (weeks)", "Zeitkonto (Wochen)",
     "assumption: lets a professional with 1 h/week attend a 2-3 h meeting", "health",
     min=1, max=52)
_share("engagement_mean_health", 0.35,
       "Mean personal engagement of health professionals for cooperation.",
       "Engagement (health)", "Engagement (Gesundheit)",
       "Schönknecht et al. 2021: cooperation rests on the engagement of individuals; value "
       "assumption",
       "health")
_add("engagement_concentration", float, 2.5, "",
     "Concentration (a+b) of the Beta distribution of personal engagement; smaller means "
     "more heterogeneous.",
     "Engagement concentration", "Streuung des Engagements (Konzentration)",
     "calibrated to the share of practices without referrals "
     "(experiments/calibration/fit_referrals.py)", "health",
     min=0.5, max=1000.0)
_share("skill_pediatric", 0.185,
       "Probability scale of noticing a visible burden at a U-examination.",
       "Noticing skill, pediatric", "Erkennen, Kinderarztpraxis",
       "calibrated to the ZuFa monitoring (NZFH): 14 % of families judged endangered", "health")
_share("skill_gynecology", 0.065,
       "Probability scale of noticing a visible burden at a prenatal check-up.",
       "Noticing skill, gynecology", "Erkennen, Frauenarztpraxis",
       "calibrated to the ZuFa monitoring (NZFH): 8 % of families judged endangered", "health")
_share("skill_clinic", 0.25,
       "Probability scale of noticing a visible burden at birth in the clinic.",
       "Noticing skill, clinic", "Erkennen, Geburtsklinik", "assumption", "health")
_share("skill_midwife", 0.12, "Probability scale of noticing a visible burden at a midwife visit.",
       "Noticing skill, midwife", "Erkennen, Hebamme",
       "assumption: midwives see families at home", "health")
_share("visibility_medium", 0.5, "Visibility of a medium burden at a contact (0-1).",
       "Visibility, medium burden", "Sichtbarkeit mittlere Belastung", "assumption", "health")
_share("visibility_multiple", 0.9, "Visibility of a multiple burden at a contact (0-1).",
       "Visibility, multiple burden", "Sichtbarkeit Mehrfachbelastung", "assumption", "health")
_share("false_positive_rate", 0.02,
       "Noticing probability for a family without visible burden, relative to skill.",
       "False-positive rate", "Falsch-positiv-Rate", "assumption", "health")
_share("noticing_time_floor", 0.6,
       "Share of noticing ability that remains when the professional has no time slack.",
       "Noticing without time", "Erkennen ohne Zeitreserve",
       "assumption (design): noticing rises with the time available", "health")
_add("mfa_noticing_boost", float, 0.5, "",
     "Relative increase of noticing in a practice whose MFA are trained as guides (Lotsinnen).",
     "Trained-MFA noticing boost", "Effekt geschulter MFA",
     "Schönknecht et al. 2021 (Kassel): MFA spend more time with families and notice needs beyond "
     "medicine; value assumption", "health", min=0.0, max=10.0)
_share("awareness_initial", 0.4,
       "Initial awareness of local help offers of a health professional (0-1).",
       "Initial awareness", "Anfängliche Angebotskenntnis", "assumption", "health")
_rate("awareness_decay", 0.02, "1/week",
      "Weekly loss of awareness of help offers without contact.",
      "Awareness decay", "Vergessen der Angebote",
      "Schönknecht et al. 2021: offers 'geraten im Arbeitsalltag schnell in Vergessenheit'; value "
      "assumption",
      "health", hi=1.0)
_share("logic_pediatric", 0.1,
       "Position of pediatric practices on the professional-logic axis "
       "(0 medical, case-based; 1 social-work, systemic).",
       "Logic, pediatric", "Handlungslogik Kinderarztpraxis",
       "Schönknecht et al. 2021; value assumption", "health")
_share("logic_gynecology", 0.1, "Position of gynecology practices on the logic axis.",
       "Logic, gynecology", "Handlungslogik Frauenarztpraxis",
       "Schönknecht et al. 2021; value assumption", "health")
_share("logic_clinic", 0.15, "Position of maternity clinics on the logic axis.",
       "Logic, clinic", "Handlungslogik Geburtsklinik",
       "Schönknecht et al. 2021; value assumption", "health")
_share("logic_midwife", 0.35, "Position of midwives on the logic axis.",
       "Logic, midwife", "Handlungslogik Hebamme",
       "assumption: midwives work in families' homes", "health")

# ---------------------------------------------------------------------------
# youth welfare
# ---------------------------------------------------------------------------
_add("asd_hours_per_week", float, 3.0, "hours/week",
     "Hours per week an ASD social worker gives to cooperation with the health side.",
     "ASD cooperation hours", "Kooperationszeit ASD", "assumption", "youth_welfare",
     min=0.0, max=40.0)
_add("fh_hours_per_week", float, 3.0, "hours/week",
     "Hours per week an early-help provider gives to cooperation with the health side.",
     "Early-help cooperation hours", "Kooperationszeit Frühe Hilfen", "assumption",
     "youth_welfare", min=0.0, max=40.0)
_add("fh_caseload_capacity", int, 12, "families",
     "Families one early-help provider can support at the same time.",
     "Caseload capacity", "Fallkapazität", "assumption", "youth_welfare", min=1, max=200)
_share("engagement_mean_youth_welfare", 0.6,
       "Mean personal engagement of youth-welfare professionals for cooperation.",
       "Engagement (youth welfare)", "Engagement (Jugendhilfe)", "assumption",
       "youth_welfare")
_share("logic_asd", 0.9, "Position of the ASD on the logic axis.",
       "Logic, ASD", "Handlungslogik ASD", "Schönknecht et al. 2021; value assumption",
       "youth_welfare")
_share("logic_fh_provider", 0.7,
       "Position of early-help providers (many with a health background) on the logic axis.",
       "Logic, early help", "Handlungslogik Frühe Hilfen", "assumption", "youth_welfare")

# ---------------------------------------------------------------------------
# coordination and health office
# ---------------------------------------------------------------------------
_add("coordinator_fte", float, 1.0, "FTE",
     "Planned full-time equivalents of network coordination (Netzwerkkoordination Frühe "
     "Hilfen); split into positions of at most 1 FTE, filled as far as funding allows.",
     "Coordinator FTE", "Koordination (VZÄ)",
     "lever of the model; Fischer & Geene 2019: a firm coordination is a central success "
     "factor", "coordination", min=0.0, max=8.0)
_add("coordinator_host", str, "jugendamt", "",
     "Where coordination is hosted: youth-welfare office (Jugendamt), health office "
     "(Gesundheitsamt) or a non-statutory provider (freier Träger).",
     "Coordinator host", "Ansiedlung der Koordination",
     "Fischer & Geene 2019: networks mostly anchored at the Jugendamt; Schönknecht et al. 2021: "
     "Bonn outsources to two freie Träger", "coordination",
     choices=("jugendamt", "gesundheitsamt", "freier_traeger"))
_add("coordinator_medical_experience", bool, False, "",
     "Whether coordinators have working experience in the medical field (lowers the distance "
     "to physicians' logic).",
     "Coordinator medical experience", "Medizinische Erfahrung der Koordination",
     "Schönknecht et al. 2021 (Münster: coordinator with psychiatric experience)", "coordination")
_share("coordinator_medical_logic_shift", 0.3,
       "How far medical experience moves a coordinator towards the medical logic.",
       "Logic shift by medical experience", "Logik-Verschiebung durch med. Erfahrung",
       "assumption", "coordination")
_share("logic_coordinator", 0.8, "Position of coordinators on the logic axis.",
       "Logic, coordinator", "Handlungslogik Koordination", "assumption", "coordination")
_add("full_time_hours_per_week", float, 39.0, "hours/week",
     "Working hours per week of one full-time position (coordinators, Lotsendienst).",
     "Hours per FTE", "Wochenstunden je VZÄ", "assumption: TVöD full-time week",
     "coordination", min=1.0, max=60.0)
_share("coordinator_other_duties_share", 0.6,
       "Share of coordinator time bound by administration and by network work beyond the "
       "health system (Kitas, family education, planning).",
       "Other duties share", "Anteil sonstiger Aufgaben",
       "assumption; Fischer & Geene 2019: much coordination work is invisible from outside",
       "coordination")
_share("coordinator_case_share", 0.1,
       "Share of coordinator time reserved for case clearing (referrals via the coordinator).",
       "Case-clearing share", "Anteil Fallklärung", "assumption", "coordination")
_add("coordinator_clearing_minutes", int, 60, "minutes",
     "Coordinator minutes per family referred via the coordinator.",
     "Minutes per clearing", "Minuten je Fallklärung", "assumption", "coordination",
     min=1, max=600)
_add("coordinator_filled_at_start", bool, True, "",
     "Whether positions funded in year 0 are filled at the start (else they are advertised).",
     "Filled at start", "Zu Beginn besetzt", "assumption", "coordination")
_add("coordinator_initial_tenure_weeks", int, 0, "weeks",
     "Tenure of coordinators filled at the start (an existing network has experienced staff).",
     "Initial tenure", "Anfängliche Betriebszugehörigkeit", "assumption", "coordination",
     min=0, max=2080)
_share("coordinator_competence_start", 0.3, "Competence of a newly hired coordinator (0-1).",
       "Newcomer competence", "Kompetenz bei Einstieg",
       "Schönknecht et al. 2021: coordinators need expertise; competence grows with long tenure; "
       "value assumption", "coordination")
_add("coordinator_competence_halftime_weeks", float, 78.0, "weeks",
     "Tenure after which a coordinator has gained half of the remaining competence.",
     "Competence half-time", "Halbwertszeit Kompetenz", "assumption", "coordination",
     min=1.0, max=1040.0)
_add("visit_hours_coordinator", float, 2.0, "hours",
     "Coordinator hours per practice visit or presence in a physicians' quality circle, "
     "including travel.",
     "Hours per visit", "Stunden je Praxisbesuch",
     "Schönknecht et al. 2021: visits and presence in physicians' own quality circles; value "
     "assumption",
     "coordination", min=0.25, max=20.0)
_add("visit_minutes_health", int, 30, "minutes",
     "Minutes a visited health professional spends with the coordinator.",
     "Visit minutes (health side)", "Besuchsminuten (Gesundheit)", "assumption",
     "coordination", min=0, max=480)
_add("max_visits_per_week", int, 4, "visits/week",
     "Most outreach visits one coordinator makes in a week (time usually binds first).",
     "Visits per week (max.)", "Besuche je Woche (max.)", "assumption", "coordination",
     min=0, max=20)
_share("visit_success_base", 0.5,
       "Probability that a practice agrees to a visit, for an engaged practice and an "
       "experienced coordinator.",
       "Visit success", "Erfolg der Besuchsanfrage",
       "Schönknecht et al. 2021: practices without personal contact are hard to win; value "
       "assumption",
       "coordination")
_share("visit_success_cold", 0.2,
       "Relative success of a visit request to a practice that does not know the coordinator "
       "personally.",
       "Cold visit success", "Erfolg ohne persönlichen Kontakt",
       "Schönknecht et al. 2021: providers without personal contact are hard to win; value "
       "assumption",
       "coordination")
for _nm, _en, _de in (("engagement", "the practice's engagement", "Engagement der Praxis"),
                      ("competence", "the coordinator's competence", "Kompetenz der Koordination")):
    _share(f"visit_floor_{_nm}", 0.5,
           f"Share of the visit success that does not depend on {_en}.",
           f"Visit success without {_nm}", f"Besuchserfolg ohne {_de}", "assumption",
           "coordination")
_add("coordinator_feedback_minutes", int, 15, "minutes",
     "Coordinator minutes to report back to the referring professional at the end of a case "
     "referred via the coordinator (taken from the case-clearing time).",
     "Minutes per feedback", "Minuten je Rückmeldung",
     "design assumption: coordinators' hours go to case feedback; value assumption", "coordination",
     min=0, max=240)
_add("visit_request_minutes", int, 15, "minutes",
     "Coordinator minutes for a visit request that the practice declines.",
     "Minutes per declined request", "Minuten je abgelehnter Anfrage", "assumption",
     "coordination", min=0, max=240)
_add("letter_interval_weeks", int, 13, "weeks",
     "Interval of coordinator mailings to all health professionals of the districts "
     "(0: none).",
     "Mailing interval", "Intervall Rundschreiben",
     "Schönknecht et al. 2021: regular contact by post or e-mail", "coordination", min=4, max=520,
     zero_or_min=True)
_add("letter_minutes_per_recipient", int, 3, "minutes",
     "Coordinator minutes per recipient of a mailing.",
     "Minutes per letter", "Minuten je Anschreiben", "assumption", "coordination",
     min=0, max=120)
_share("awareness_refresh_letter", 0.15,
       "Share of the awareness gap closed by a letter or e-mail (cheap and weak).",
       "Letter refresh", "Wirkung Anschreiben", "Schönknecht et al. 2021; value assumption",
       "coordination")
_share("awareness_refresh_visit", 0.6,
       "Share of the awareness gap closed by a personal visit (costly and strong).",
       "Visit refresh", "Wirkung Besuch", "Schönknecht et al. 2021; value assumption",
       "coordination")
_share("awareness_refresh_meeting", 0.5,
       "Share of the awareness gap closed by attending a meeting.",
       "Meeting refresh", "Wirkung Treffen", "assumption", "coordination")
_share("awareness_refresh_feedback", 0.3,
       "Share of the awareness gap closed by case feedback.",
       "Feedback refresh", "Wirkung Rückmeldung", "assumption", "coordination")
_add("health_office_liaison", bool, True, "",
     "Whether a health-office liaison (Gesundheitsamt, child and youth medical service) is "
     "part of the network.",
     "Health-office liaison", "Gesundheitsamt beteiligt",
     "Schönknecht et al. 2021: the Gesundheitsamt has contacts to many providers and a similar "
     "professional background", "coordination")
_add("health_office_hours_per_week", float, 2.0, "hours/week",
     "Hours per week the health-office liaison gives to door-opening and meetings.",
     "Health-office hours", "Stunden Gesundheitsamt", "assumption", "coordination",
     min=0.0, max=40.0)
_share("logic_health_office", 0.25, "Position of the health-office liaison on the logic axis.",
       "Logic, health office", "Handlungslogik Gesundheitsamt",
       "Schönknecht et al. 2021: similar professional background to providers", "coordination")
_add("ja_ga_cooperation", bool, False, "",
     "Whether cooperation between Jugendamt and Gesundheitsamt is institutionalised "
     "(regular exchange; the Gesundheitsamt co-invites and opens doors more often).",
     "Jugendamt-Gesundheitsamt cooperation", "Kooperation Jugendamt-Gesundheitsamt",
     "Schönknecht et al. 2021: recommendation to institutionalise it", "coordination")
_share("door_opening_probability", 0.1,
       "Weekly probability that the liaison introduces a coordinator to a practice "
       "(without institutionalised cooperation).",
       "Door-opening rate", "Türöffner-Rate", "assumption", "coordination")
_add("ja_ga_door_opening_multiplier", float, 4.0, "",
     "Multiplier of the door-opening rate when Jugendamt-Gesundheitsamt cooperation is "
     "institutionalised.",
     "Institutionalised door-opening", "Türöffner bei Kooperation JA-GA",
     "Schönknecht et al. 2021; value assumption", "coordination", min=1.0, max=20.0)
_add("door_opening_minutes", int, 60, "minutes",
     "Minutes the liaison and the coordinator each spend on one introduction.",
     "Minutes per introduction", "Minuten je Türöffnung", "assumption", "coordination",
     min=0, max=480)
_share("trust_transfer_door_opening", 0.8,
       "Share of the physician's trust in the liaison that an introduction passes on to the "
       "coordinator.",
       "Trust transfer", "Vertrauensübertrag", "assumption", "coordination")
_share("health_office_initial_acquaintance", 0.7,
       "Share of health professionals the liaison knows personally at the start.",
       "Liaison acquaintances", "Bekanntheit Gesundheitsamt",
       "Schönknecht et al. 2021: the KJGD has case contacts with many pediatricians",
       "coordination")
_rate("health_office_contact_rate", 0.01, "1/week",
      "Weekly probability that the liaison meets a health professional in routine work "
      "(school-entry examinations, supervision).",
      "Liaison routine contacts", "Routinekontakte Gesundheitsamt", "assumption",
      "coordination")
_add("clearing_desk", bool, False, "",
     "Whether a joint clearing desk (Clearingstelle) of Gesundheitsamt and Jugendamt takes "
     "referrals (Düsseldorf).",
     "Clearing desk", "Clearingstelle", "Borgstädt & Chlebig 2018 (Zukunft für Kinder)",
     "coordination")
_add("clearing_desk_hours_per_week", float, 10.0, "hours/week",
     "Staff hours per week at the clearing desk for taking referrals.",
     "Clearing-desk hours", "Stunden Clearingstelle", "assumption", "coordination",
     min=0.0, max=400.0)
_add("clearing_desk_minutes_per_referral", int, 45, "minutes",
     "Clearing-desk minutes per family referred (first assessment, organising the first "
     "home visit).",
     "Minutes per clearing-desk referral", "Minuten je Anmeldung Clearingstelle",
     "Borgstädt & Chlebig 2018: first assessment and organisation of the first home visit; value "
     "assumption",
     "coordination", min=1, max=600)
_add("cooperation_agreement", bool, False, "",
     "Whether a cooperation agreement with clear roles and responsibilities exists "
     "(institutional design).",
     "Cooperation agreement", "Kooperationsvereinbarung",
     "Schönknecht et al. 2021 (clear rules and responsibilities); Borgstädt & Chlebig 2018 "
     "(Schlüsselprozess)",
     "coordination")

# ---------------------------------------------------------------------------
# meetings
# ---------------------------------------------------------------------------
_FORMATS = {
    "network_meeting": ("network meetings (Netzwerktreffen)", "Netzwerktreffen", 13, 3.0, False,
                        "Schönknecht et al. 2021: partners meet at least once, mostly several "
                        "times a year"),
    "quality_circle": ("interprofessional quality circles (IQZ)", "Qualitätszirkel", 0, 2.0, True,
                       "Schönknecht et al. 2021 (Bonn; framework agreement on reimbursement since "
                       "2014)"),
    "round_table": ("one-hour early-evening round tables", "Runder Tisch", 0, 1.0, True,
                    "Schönknecht et al. 2021 (Kassel: one hour, early evening, fixed topics)"),
}
for _f, (_en, _de, _iv, _h, _ev, _src) in _FORMATS.items():
    _add(f"{_f}_interval_weeks", int, _iv, "weeks",
         f"Interval of {_en} in each district (0: none); they happen only if a coordinator "
         f"organises them.",
         f"Interval: {_en.split(' (')[0]}", f"Intervall {_de}",
         _src, "meetings", min=4, max=520, zero_or_min=True)
    _add(f"{_f}_hours", float, _h, "hours", f"Length of {_en}.",
         f"Length: {_en.split(' (')[0]}", f"Dauer {_de}", _src, "meetings", min=0.25, max=8.0)
    _add(f"{_f}_evening", bool, _ev, "",
         f"Whether {_en} are held in the evening, outside practice hours.",
         f"Evening: {_en.split(' (')[0]}", f"Abends: {_de}", _src, "meetings")
_share("meeting_acquaintance_network_meeting", 0.25,
       "Probability that two attendees of a network meeting who can cooperate (health and "
       "youth welfare of the district, coordinator, health office) get to know each other.",
       "Acquaintance at network meetings", "Kennenlernen im Netzwerktreffen", "assumption",
       "meetings")
_share("meeting_acquaintance_quality_circle", 0.7,
       "Probability that two attendees of a quality circle get to know each other.",
       "Acquaintance at quality circles", "Kennenlernen im Qualitätszirkel",
       "assumption: small groups", "meetings")
_share("meeting_acquaintance_round_table", 0.6,
       "Probability that two attendees of a round table get to know each other.",
       "Acquaintance at round tables", "Kennenlernen am Runden Tisch", "assumption", "meetings")
_share("meeting_intensity_network_meeting", 0.5,
       "Strength of relationship updates at a network meeting relative to a case.",
       "Intensity, network meeting", "Intensität Netzwerktreffen", "assumption", "meetings")
_share("meeting_intensity_quality_circle", 1.0,
       "Strength of relationship updates at a quality circle relative to a case.",
       "Intensity, quality circle", "Intensität Qualitätszirkel",
       "Schönknecht et al. 2021: case-related exchange in small forums", "meetings")
_share("meeting_intensity_round_table", 0.8,
       "Strength of relationship updates at a round table relative to a case.",
       "Intensity, round table", "Intensität Runder Tisch", "assumption", "meetings")
_add("meeting_prep_hours", float, 4.0, "hours",
     "Coordinator preparation hours per meeting (invitations, agenda, minutes).",
     "Preparation hours", "Vorbereitungsstunden", "assumption", "meetings",
     min=0.0, max=40.0)
_share("attendance_base_physician", 0.6,
       "Attendance probability of an engaged, aware physician for a one-hour evening meeting.",
       "Attendance base, physicians", "Teilnahme Ärzt:innen (Basis)", "assumption", "meetings")
_share("attendance_base_clinic", 0.7, "Attendance base of a clinic's contact person.",
       "Attendance base, clinic", "Teilnahme Klinik (Basis)", "assumption", "meetings")
_share("attendance_base_midwife", 0.6, "Attendance base of a midwife.",
       "Attendance base, midwives", "Teilnahme Hebammen (Basis)", "assumption", "meetings")
_share("attendance_base_youth_welfare", 0.9,
       "Attendance base of youth-welfare professionals (meetings are part of their job).",
       "Attendance base, youth welfare", "Teilnahme Jugendhilfe (Basis)", "assumption",
       "meetings")
_add("attendance_length_penalty", float, 0.3, "1/hour",
     "Relative drop in attendance per hour of meeting beyond the first.",
     "Length penalty", "Abschlag je Stunde", "Schönknecht et al. 2021: limit meetings in time",
     "meetings",
     min=0.0, max=10.0)
_share("attendance_daytime_penalty_practice", 0.6,
       "Relative drop in the attendance of practice-based professionals (physicians, midwives) "
       "for meetings during practice hours (lost income).",
       "Daytime penalty", "Abschlag tagsüber",
       "Schönknecht et al. 2021: cooperation costs practice income; Kassel moved to early evening",
       "meetings")
_share("attendance_floor_engagement", 0.3,
       "Share of the attendance probability that does not depend on engagement.",
       "Attendance without engagement", "Teilnahme ohne Engagement", "assumption", "meetings")
_share("attendance_floor_awareness", 0.5,
       "Share of the attendance probability that does not depend on awareness of the network.",
       "Attendance without awareness", "Teilnahme ohne Netzwerkkenntnis", "assumption",
       "meetings")
_add("physician_compensation", bool, False, "",
     "Whether physicians are compensated for attending quality circles and round tables "
     "(needs a funding stream that pays compensation).",
     "Compensation for physicians", "Aufwandsentschädigung Ärzt:innen",
     "Schönknecht et al. 2021: framework agreement on reimbursing IQZ since 2014; van Staa "
     "& Renner 2019: 'not reimbursed' 41 %", "meetings")
_add("compensation_eur_per_session", float, 100.0, "EUR",
     "Compensation per physician and session.",
     "Compensation per session", "Entschädigung je Sitzung", "assumption", "meetings",
     min=1.0, max=2000.0)
_add("attendance_compensation_boost", float, 0.5, "",
     "Relative rise in physicians' attendance when compensated.",
     "Compensation effect", "Effekt Entschädigung", "assumption", "meetings",
     min=0.0, max=10.0)
_add("attendance_cme_boost", float, 0.3, "",
     "Relative rise in physicians' attendance at quality circles that earn CME points.",
     "CME effect", "Effekt Fortbildungspunkte", "Schönknecht et al. 2021: CME points as incentive",
     "meetings", min=0.0, max=10.0)
_add("attendance_ja_ga_boost", float, 0.3, "",
     "Relative rise in physicians' attendance when the Gesundheitsamt co-invites "
     "(institutionalised Jugendamt-Gesundheitsamt cooperation).",
     "Co-invitation effect", "Effekt Mit-Einladung GA", "assumption", "meetings",
     min=0.0, max=10.0)

# ---------------------------------------------------------------------------
# measures
# ---------------------------------------------------------------------------
_share("mfa_training_coverage", 0.0,
       "Share of pediatric and gynecology practices whose MFA are trained as guides "
       "(needs a funding stream that pays MFA training).",
       "MFA training coverage", "Anteil Praxen mit geschulten MFA",
       "Schönknecht et al. 2021 (Kassel)", "measures")
_add("mfa_training_cost_eur", float, 1200.0, "EUR",
     "Cost of training the MFA of one practice (four-part course).",
     "MFA training cost", "Kosten MFA-Schulung", "assumption", "measures",
     min=1.0, max=100000.0)
_rate("mfa_turnover_rate", 0.15, "1/year", "Annual probability that a practice loses its "
      "trained MFA.", "MFA turnover", "MFA-Fluktuation", "assumption", "measures")
_share("lotsendienst_coverage", 0.0,
       "Share of clinic births covered by a Lotsendienst (guide service with screening); "
       "needs a funding stream that pays for it.",
       "Lotsendienst coverage", "Abdeckung Lotsendienst", "Schönknecht et al. 2021 (Bonn)",
       "measures")
_add("lotsendienst_fte_per_1000_births", float, 1.0, "FTE per 1,000 births",
     "Staffing norm of the Lotsendienst.", "Lotsendienst staffing",
     "Personalschlüssel Lotsendienst",
     "BR-Drs. 623/19 (Bundesrat)", "measures", min=0.1, max=10.0)
_add("lotsin_cost_eur_per_fte_year", float, 70000.0, "EUR/year",
     "Employer cost of one FTE in the Lotsendienst.", "Lotsendienst cost per FTE",
     "Kosten je VZÄ Lotsendienst", "assumption", "measures", min=1000.0, max=500000.0)
_share("screening_sensitivity", 0.99,
       "Sensitivity of the clinic screening for psychosocial burden.",
       "Screening sensitivity", "Sensitivität Screening", "Fisch et al. 2016",
       "measures")
_share("screening_specificity", 0.33,
       "Specificity of the clinic screening for psychosocial burden.",
       "Screening specificity", "Spezifität Screening", "Fisch et al. 2016",
       "measures")
_share("lotsin_assessment_sensitivity", 0.85,
       "Probability that the guide's conversation confirms a real burden after a positive "
       "screen.",
       "Guide assessment sensitivity", "Sensitivität Lotsengespräch", "assumption", "measures")
_share("lotsin_assessment_false_positive", 0.05,
       "Probability that the guide's conversation judges a family without burden as burdened.",
       "Guide assessment false positives", "Falsch-positiv Lotsengespräch", "assumption",
       "measures")
_share("lotsin_referral_probability", 0.85,
       "Probability that the guide refers a family she judged burdened.",
       "Guide referral probability", "Vermittlung durch Lotsin", "assumption", "measures")
_add("lotsin_minutes_per_screen", int, 45, "minutes",
     "Guide minutes per positive screen (conversation with the family).",
     "Minutes per conversation", "Minuten je Lotsengespräch", "assumption", "measures",
     min=1, max=600)
_share("feedback_floor_info", 0.5,
       "Share of the feedback probability that does not depend on the information exchanged "
       "in the case.",
       "Feedback without information", "Rückmeldung ohne Informationsaustausch",
       "assumption", "measures")
_share("feedback_allowed_share", 0.43,
       "Share of cases in which consent and data protection allow feedback to the referring "
       "professional.",
       "Feedback allowed", "Rückmeldung erlaubt",
       "van Staa & Renner 2019: 57 % of pediatricians name missing feedback; "
       "Schönknecht et al. 2021: data-protection hurdles", "measures")

# ---------------------------------------------------------------------------
# family pathway
# ---------------------------------------------------------------------------
_share("referral_base", 1.0,
       "Referral probability after noticing, for a fully aware, engaged professional with "
       "time and a trusted route.",
       "Referral base", "Vermittlung (Basis)", "assumption", "pathway")
for _nm, _v, _en, _de in (
    ("awareness", 0.4, "awareness", "Angebotskenntnis"),
    ("engagement", 0.2, "engagement", "Engagement"),
    ("slack", 0.5, "time slack", "Zeitreserve"),
    ("route", 0.7, "route trust", "Vertrauen in den Weg"),
):
    _share(f"referral_floor_{_nm}", _v,
           f"Share of the referral probability that does not depend on {_en}.",
           f"Referral floor: {_en}", f"Vermittlung ohne {_de}",
           "design assumption: referral rises with awareness, engagement, trust in the route and "
           "time slack; floors assumed, the route floor calibrated to the referrals per pediatric "
           "practice (experiments/calibration/fit_referrals.py)", "pathway")
_ROUTE_DE = {"warm": "warme Übergabe", "coordinator": "Koordination",
             "clearing": "Clearingstelle", "flyer": "Flyer"}
for _r, _v, _m, _acc, _src in (
    ("warm", 1.0, 10, 0.75,
     "Schönknecht et al. 2021: 'zum Hörer greifen' when people know each other"),
    ("coordinator", 0.8, 5, 0.55,
     "Schönknecht et al. 2021: coordinators as a service to practices"),
    ("clearing", 0.9, 5, 0.65,
     "Borgstädt & Chlebig 2018: low-threshold access with high acceptance"),
    ("flyer", 0.15, 1, 0.15, "Fischer & Geene 2019: flyers are easy but of little effect"),
):
    _share(f"route_value_{_r}", _v,
           f"Value a referring professional attaches to the {_r} route (times route trust).",
           f"Route value: {_r}", f"Wert des Wegs: {_ROUTE_DE[_r]}", _src, "pathway")
    _add(f"referral_minutes_{_r}", int, _m, "minutes",
         f"Minutes of the referring professional for a referral by the {_r} route.",
         f"Referral minutes: {_r}", f"Minuten je Vermittlung: {_ROUTE_DE[_r]}", "assumption",
         "pathway", min=0, max=240)
    _share(f"acceptance_{_r}", _acc,
           f"Probability that a family accepts help offered by the {_r} route "
           f"(before trust and stigma).",
           f"Acceptance: {_r}", f"Annahme: {_ROUTE_DE[_r]}", _src, "pathway")
_share("acceptance_lotsendienst", 0.7,
       "Probability that a family accepts help arranged by the clinic guide (Lotsin).",
       "Acceptance: Lotsendienst", "Annahme: Lotsendienst",
       "Schönknecht et al. 2021: guides clarify needs with the family and support the first "
       "contact",
       "pathway")
_share("family_trust_health", 0.9,
       "Families' trust in health professionals (high: a 'Vertrauensvorschuss').",
       "Families' trust in health", "Vertrauen der Familien ins Gesundheitswesen",
       "Fischer & Geene 2019; Schönknecht et al. 2021: health professionals enjoy great trust",
       "pathway")
_share("acceptance_freier_traeger_bonus", 0.1,
       "Relative rise in acceptance of help arranged via a coordinator hosted at a freier "
       "Träger rather than at an office (less fear of control).",
       "Acceptance bonus, freier Träger", "Annahmebonus freier Träger",
       "assumption; Schönknecht et al. 2021: access via non-stigmatising providers; Bonn "
       "outsources coordination", "pathway")
_share("acceptance_trust_floor", 0.3,
       "Share of acceptance that does not depend on the family's trust in the referrer.",
       "Acceptance without trust", "Annahme ohne Vertrauen", "assumption", "pathway")
_share("stigma_medium", 0.1, "Relative loss of acceptance through stigma, medium burden.",
       "Stigma, medium burden", "Stigma mittlere Belastung",
       "Fischer & Geene 2019: burdened families use offers much less (prevention dilemma); value "
       "assumption", "pathway")
_share("stigma_multiple", 0.3, "Relative loss of acceptance through stigma, multiple burden.",
       "Stigma, multiple burden", "Stigma Mehrfachbelastung",
       "Fischer & Geene 2019; value assumption", "pathway")
_share("decline_penalty", 0.5,
       "Relative loss of acceptance after the family has declined an offer before.",
       "Decline penalty", "Abschlag nach Ablehnung", "assumption", "pathway")
_add("help_duration_weeks_medium", int, 20, "weeks",
     "Duration of early help for a family with medium burden.",
     "Help duration, medium", "Dauer Hilfe, mittel", "assumption", "pathway", min=1, max=156)
_add("help_duration_weeks_multiple", int, 40, "weeks",
     "Duration of early help for a family with multiple burden.",
     "Help duration, multiple", "Dauer Hilfe, mehrfach", "assumption", "pathway",
     min=1, max=156)

# ---------------------------------------------------------------------------
# family outcomes
# ---------------------------------------------------------------------------
_rate("crisis_hazard_low", 0.00001, "1/week",
      "Weekly crisis hazard (child-protection case) without help, low burden.",
      "Crisis hazard, low", "Krisenrisiko, gering", "assumption", "outcomes", hi=0.1)
_rate("crisis_hazard_medium", 0.0001, "1/week",
      "Weekly crisis hazard without help, medium burden.",
      "Crisis hazard, medium", "Krisenrisiko, mittel", "assumption", "outcomes", hi=0.1)
_rate("crisis_hazard_multiple", 0.0015, "1/week",
      "Weekly crisis hazard without help, multiple burden.",
      "Crisis hazard, multiple", "Krisenrisiko, mehrfach",
      "assumption; Borgstädt & Chlebig 2018: many §1666 BGB cases begin with early neglect",
      "outcomes",
      hi=0.1)
_share("help_effect", 0.7,
       "Reduction of the crisis hazard while in early help of quality 1.",
       "Help effect", "Wirkung der Hilfe", "assumption", "outcomes")
_share("post_help_effect", 0.5,
       "Reduction of the crisis hazard after completed help of quality 1.",
       "Lasting help effect", "Nachwirkung der Hilfe", "assumption", "outcomes")
_share("quality_base", 0.3,
       "Quality of help when the provider works without information from the referrer.",
       "Help quality without cooperation", "Hilfequalität ohne Kooperation", "assumption",
       "outcomes")
_share("quality_info", 0.35, "Gain in help quality from shared information.",
       "Quality from information", "Qualität durch Information",
       "Stöbe-Blossey 2023: exchange builds knowledge of each other", "outcomes")
_share("quality_plan", 0.35, "Gain in help quality from joint planning.",
       "Quality from joint planning", "Qualität durch gemeinsame Planung",
       "Stöbe-Blossey 2023: positive coordination maximises total benefit", "outcomes")
_share("quality_conflict", 0.4, "Loss of help quality from conflict between the professionals.",
       "Quality loss from conflict", "Qualitätsverlust durch Konflikt",
       "Stöbe-Blossey 2023: intervention leads to suboptimal results", "outcomes")
_rate("dropout_base", 0.004, "1/week",
      "Weekly hazard that a family waiting for or in early help drops out (the weekly "
      "probability is 1 - exp(-hazard)).",
      "Dropout", "Abbruch", "assumption", "outcomes", hi=0.5)
_rate("dropout_conflict", 0.03, "1/week",
      "Added weekly dropout hazard in help per unit of conflict in the case (a family "
      "feels controlled).",
      "Dropout from conflict", "Abbruch durch Konflikt", "assumption", "outcomes", hi=0.5)

# ---------------------------------------------------------------------------
# relationships
# ---------------------------------------------------------------------------
_share("trust_baseline_cross", 0.3,
       "Trust between a health and a youth-welfare professional who have never worked together.",
       "Baseline trust across the divide", "Grundvertrauen über die Systemgrenze",
       "Fischer & Geene 2019: cooperation remains 'sperrig'; value assumption", "relationships")
_share("trust_baseline_coordinator_health", 0.3,
       "Baseline trust between a health professional and a coordinator hosted at the Jugendamt "
       "or a freier Träger.",
       "Baseline trust in coordinators", "Grundvertrauen in die Koordination", "assumption",
       "relationships")
_share("trust_host_gesundheitsamt_bonus", 0.15,
       "Added baseline trust of health professionals in a coordinator hosted at the "
       "Gesundheitsamt.",
       "Trust bonus, GA host", "Vertrauensbonus Ansiedlung GA",
       "Schönknecht et al. 2021: it may help to initiate cooperation from the Gesundheitsamt",
       "relationships")
_share("trust_baseline_health_office", 0.7,
       "Baseline trust of health professionals in the health-office liaison (shared "
       "professional background).",
       "Baseline trust in the health office", "Grundvertrauen ins Gesundheitsamt",
       "Schönknecht et al. 2021", "relationships")
_share("trust_baseline_same_side", 0.6,
       "Baseline trust between coordinators and youth-welfare professionals.",
       "Baseline trust, same side", "Grundvertrauen, gleiche Seite", "assumption",
       "relationships")
_share("understanding_baseline_cross", 0.2,
       "Baseline mutual understanding of the other's professional logic across the divide.",
       "Baseline understanding", "Grundverständnis", "Schönknecht et al. 2021; value assumption",
       "relationships")
_share("understanding_baseline_same_side", 0.7,
       "Baseline understanding between coordinators and youth-welfare professionals, and "
       "between the health office and health professionals.",
       "Baseline understanding, same side", "Grundverständnis, gleiche Seite", "assumption",
       "relationships")
_share("trust_gain", 0.12,
       "Share of the trust gap closed by an interaction with full information and joint "
       "planning.",
       "Trust gain", "Vertrauensaufbau",
       "Schönknecht et al. 2021: trust grows through personal contact over time; value "
       "assumption", "relationships")
_share("trust_gain_info_weight", 0.5,
       "Weight of shared information (against joint planning) in the trust gain of an "
       "interaction.",
       "Trust from information", "Vertrauen durch Information", "assumption",
       "relationships")
_share("trust_loss", 0.3, "Share of trust lost through an interaction in full conflict.",
       "Trust loss", "Vertrauensverlust",
       "design assumption: trust is lost faster than it is built; value assumption",
       "relationships")
_rate("trust_decay", 0.005, "1/week",
      "Weekly relaxation of trust towards its baseline without contact.",
      "Trust decay", "Vertrauensabbau ohne Kontakt", "assumption", "relationships")
_share("understanding_gain", 0.1,
       "Share of the understanding gap closed by an interaction with full information exchange.",
       "Understanding gain", "Verständnisgewinn",
       "Schönknecht et al. 2021; Stöbe-Blossey 2023; value assumption",
       "relationships")
_rate("understanding_decay", 0.002, "1/week",
      "Weekly relaxation of understanding towards its baseline without contact.",
      "Understanding decay", "Verständnisabbau", "assumption", "relationships")
_add("acquaintance_lapse_weeks", int, 104, "weeks",
     "Weeks without contact after which a personal acquaintance lapses.",
     "Acquaintance lapse", "Bekanntschaft verfällt nach", "assumption", "relationships",
     min=1, max=5200)
_share("initial_acquaintance_share", 0.05,
       "Share of cross-divide pairs within a district who know each other at the start "
       "(e.g. from earlier case work).",
       "Initial acquaintance", "Anfängliche Bekanntschaft",
       "Schönknecht et al. 2021: partly personal contact existed before the network",
       "relationships")
_share("initial_acquaintance_trust_bonus", 0.1,
       "Added trust of pairs acquainted at the start.",
       "Initial trust bonus", "Anfänglicher Vertrauensbonus", "assumption", "relationships")
_rate("engagement_drift", 0.01, "1/week",
      "Weekly relaxation of engagement towards the person's baseline.",
      "Engagement drift", "Rückkehr des Engagements", "assumption", "relationships")
_share("engagement_gain_feedback", 0.15,
       "Share of the engagement gap closed by feedback on a successful case.",
       "Engagement from feedback", "Engagement durch Rückmeldung",
       "Schönknecht et al. 2021: visible success motivates", "relationships")
_share("engagement_loss_no_feedback", 0.02,
       "Relative loss of engagement when a case ends without feedback.",
       "Engagement loss without feedback", "Engagementverlust ohne Rückmeldung",
       "van Staa & Renner 2019: 'no feedback' is the most named barrier (57 %)", "relationships")
_share("engagement_loss_conflict", 0.15,
       "Relative loss of engagement of the demanded side in full conflict (intervention).",
       "Engagement loss in conflict", "Engagementverlust durch Konflikt",
       "Stöbe-Blossey 2023: intervention leads to conflict", "relationships")
_share("engagement_gain_planning", 0.05,
       "Share of the engagement gap closed by an interaction (meeting, visit, case) with full "
       "joint planning.",
       "Engagement from joint planning", "Engagement durch gemeinsame Planung",
       "Fischer & Geene 2019: engagement grows with cooperation experience", "relationships")
_INTENSITY_DE = {"case": "Fallarbeit", "visit": "Besuch", "door_opening": "Türöffnung",
                 "crisis": "Krise", "feedback": "Rückmeldung"}
for _k, _v in (("case", 1.0), ("visit", 0.7), ("door_opening", 0.5), ("crisis", 1.0),
               ("feedback", 0.5)):
    _share(f"intensity_{_k}", _v,
           f"Strength of relationship updates in a {_k.replace('_', '-')} interaction "
           f"relative to a case.",
           f"Intensity: {_k.replace('_', ' ')}", f"Intensität: {_INTENSITY_DE[_k]}",
           "assumption", "relationships")

# ---------------------------------------------------------------------------
# coordination modes: consequences and choice
# ---------------------------------------------------------------------------
_MODE_DE = {
    "negative": "negative Koordination",
    "intervention": "Intervention",
    "exchange": "Austausch und Lernen",
    "positive": "positive Koordination",
}
_CONSEQ = {
    # info, plan, conflict, minutes health side, minutes youth-welfare side
    "negative": (0.0, 0.0, 0.0, 0, 0),  # no communication, no time
    "intervention": (0.3, 0.0, 1.0, 10, 30),
    "exchange": (0.8, 0.3, 0.05, 20, 20),
    "positive": (1.0, 1.0, 0.0, 45, 60),
}
_CONSEQ_SRC = ("Stöbe-Blossey 2023: information, joint planning and conflict of the four modes; "
               "values assumption")
for _m, (_inf, _plan, _conf, _mh, _my) in _CONSEQ.items():
    _share(f"info_{_m}", _inf, f"Information shared in {_m} coordination (0-1).",
           f"Information: {_m}", f"Information: {_MODE_DE[_m]}", _CONSEQ_SRC, "modes")
    _share(f"plan_{_m}", _plan, f"Joint planning in {_m} coordination (0-1).",
           f"Joint planning: {_m}", f"Gemeinsame Planung: {_MODE_DE[_m]}", _CONSEQ_SRC, "modes")
    _share(f"conflict_{_m}", _conf, f"Conflict in {_m} coordination (0-1).",
           f"Conflict: {_m}", f"Konflikt: {_MODE_DE[_m]}", _CONSEQ_SRC, "modes")
    if _m == "negative":
        continue  # negative coordination costs no time: it is the fallback when time is short
    _add(f"minutes_health_{_m}", int, _mh, "minutes",
         f"Minutes the health-side professional spends on a case interaction in {_m} "
         f"coordination.",
         f"Minutes (health): {_m}", f"Minuten (Gesundheit): {_MODE_DE[_m]}", _CONSEQ_SRC,
         "modes", min=0, max=600)
    _add(f"minutes_youth_{_m}", int, _my, "minutes",
         f"Minutes the youth-welfare professional spends on a case interaction in {_m} "
         f"coordination.",
         f"Minutes (youth welfare): {_m}", f"Minuten (Jugendhilfe): {_MODE_DE[_m]}",
         _CONSEQ_SRC, "modes", min=0, max=600)

#: Mode-choice weights: base weight and one coefficient per situation feature.
#: The weight of mode m is base_m * prod_k max(0, 1 + c_mk * x_k) with features x_k in [0, 1].
_MODE_CHOICE = {
    #                 base    trust  underst dist   slack  urgency facil  instit
    "negative": (1.0, (0.0, 0.0, 0.88, -0.71, -0.84, -0.28, -0.34)),
    "intervention": (0.086, (-0.49, -0.42, 1.87, 0.0, 3.08, -0.19, -0.36)),
    "exchange": (0.109, (1.13, 0.38, 0.0, 1.53, 0.06, 1.28, 0.42)),
    "positive": (0.016, (2.95, 2.97, -0.98, 2.01, 0.58, 1.91, 0.96)),
}
_CHOICE_SRC = ("Stöbe-Blossey 2023; design assumption: mode chosen from trust, understanding, "
               "logic distance, time slack, urgency, facilitation and institutional design; "
               "values fitted to assumed mode shares in reference situations "
               "(experiments/calibration/fit_mode_choice.py)")
_FEATURE_DE = {"trust": "Vertrauen", "understanding": "Verständnis", "distance": "Distanz",
               "slack": "Zeitreserve", "urgency": "Dringlichkeit",
               "facilitation": "Moderation", "institution": "Institutionalisierung"}
for _m, (_b, _coefs) in _MODE_CHOICE.items():
    _add(f"mode_base_{_m}", float, _b, "",
         f"Base weight of {_m} coordination in the mode choice.",
         f"Base weight: {_m}", f"Grundgewicht: {_MODE_DE[_m]}", _CHOICE_SRC, "modes",
         min=0.0, max=100.0)
    for _feat, _c in zip(MODE_FEATURES, _coefs, strict=True):
        _add(f"mode_{_m}_{_feat}", float, _c, "",
             f"Effect of {_feat} (0-1) on the weight of {_m} coordination "
             f"(factor 1 + c * {_feat}, floored at 0).",
             f"{_m.capitalize()} by {_feat}", f"{_MODE_DE[_m]} nach {_FEATURE_DE[_feat]}",
             _CHOICE_SRC, "modes", min=-1.0, max=20.0)
_share("urgency_medium", 0.3, "Urgency of a case with medium burden (0-1).",
       "Urgency, medium", "Dringlichkeit, mittel", "assumption", "modes")
_share("urgency_multiple", 0.7, "Urgency of a case with multiple burden (0-1).",
       "Urgency, multiple", "Dringlichkeit, mehrfach", "assumption", "modes")

# ---------------------------------------------------------------------------
# staffing
# ---------------------------------------------------------------------------
_STAFF_DE = {"health": "Gesundheitswesen", "youth_welfare": "Kinder- und Jugendhilfe",
             "coordinator": "Koordination", "health_office": "Gesundheitsamt"}
for _k, _v, _src in (
    ("health", 0.05, "assumption: practice hand-overs and staff changes"),
    ("youth_welfare", 0.12, "Borgstädt & Chlebig 2018: 'häufige Personalwechsel'; "
     "value assumption"),
    ("coordinator", 0.10, "assumption"),
    ("health_office", 0.08, "assumption"),
):
    _rate(f"turnover_rate_{_k}", _v, "1/year",
          f"Annual turnover probability of {_k.replace('_', '-')} staff (base).",
          f"Turnover: {_k.replace('_', ' ')}", f"Fluktuation: {_STAFF_DE[_k]}", _src,
          "staffing")
_add("project_turnover_multiplier", float, 1.5, "",
     "Multiplier of the coordinator turnover hazard on a project contract.",
     "Project-contract turnover", "Fluktuation bei Projektstellen",
     "Schönknecht et al. 2021: recommends permanent instead of project positions; value assumption",
     "staffing", min=1.0, max=20.0)
_add("contract_end_turnover_multiplier", float, 4.0, "",
     "Added turnover multiplier in the last year of a project contract, rising linearly to "
     "the end.",
     "Contract-end turnover", "Fluktuation vor Vertragsende", "assumption", "staffing",
     min=0.0, max=50.0)
for _k, _v in (("coordinator", 16), ("youth_welfare", 12), ("health_office", 12)):
    _add(f"hiring_delay_weeks_{_k}", int, _v, "weeks",
         f"Weeks a vacant {_k.replace('_', '-')} position stays empty before a newcomer starts.",
         f"Hiring delay: {_k.replace('_', ' ')}", f"Wiederbesetzung: {_STAFF_DE[_k]}",
         "assumption", "staffing", min=0, max=520)

# ---------------------------------------------------------------------------
# funding
# ---------------------------------------------------------------------------
_add("funding_regime", str, "permanent", "",
     "How positions and measures are paid: permanent municipal position (Dauerstelle); "
     "project for N years that ends; project then municipal follow-up; foundation, a gap, "
     "then municipal; or custom streams from the scenario file.",
     "Funding regime", "Finanzierungsmodell",
     "levers of the model; Schönknecht et al. 2021: recommends permanent positions; Land "
     "Brandenburg n.d.: Bundesinitiative 2012-2015 time-limited", "funding",
     choices=FUNDING_REGIMES)
_add("funding_start_year", int, 0, "year",
     "Simulation year in which the generated funding begins.",
     "Funding start year", "Förderbeginn (Jahr)", "assumption", "funding", min=0, max=100)
_add("funding_project_years", int, 3, "years",
     "Length of the project phase (project regimes).",
     "Project years", "Projektjahre",
     "design assumption; Land Brandenburg n.d.: four years 2012-2015", "funding",
     min=1, max=100)
_add("funding_foundation_years", int, 2, "years",
     "Length of the foundation-funded phase (foundation_gap_municipal).",
     "Foundation years", "Stiftungsjahre", "Schönknecht et al. 2021 (Bonn); design assumption",
     "funding", min=1, max=100)
_add("funding_gap_years", int, 1, "years",
     "Length of the unfunded gap before municipal funding (foundation_gap_municipal).",
     "Gap years", "Förderlücke (Jahre)", "design assumption", "funding", min=0, max=100)
_add("funding_project_source", str, "bundesstiftung", "",
     "Source of project money in the project regimes.",
     "Project source", "Projektmittelgeber", "Land Brandenburg n.d.; design assumption",
     "funding",
     choices=FUNDING_SOURCES)
_add("funding_amount_factor", float, 1.0, "",
     "Generated streams pay this multiple of what the planned positions (coordinators, "
     "Lotsendienst) cost; below 1 the positions shrink to what the money pays. "
     "Compensation and MFA training are paid as incurred.",
     "Funding amount factor", "Umfang der Förderung", "lever of the model", "funding",
     min=0.0, max=10.0)
_add("coordinator_cost_eur_per_fte_year", float, 80000.0, "EUR/year",
     "Employer cost of one coordinator FTE per year.",
     "Coordinator cost per FTE", "Kosten je VZÄ Koordination",
     "assumption: social-work pay scale with employer contributions; Bundesstiftung Frühe "
     "Hilfen: federal money ~EUR 90k per municipality", "funding", min=1000.0, max=500000.0)

PARAMS: tuple[Param, ...] = tuple(_P)
PARAMS_BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}
assert len(PARAMS_BY_NAME) == len(PARAMS), "duplicate parameter name"
assert all(p.group in GROUPS for p in PARAMS)


#: Fields of one custom funding stream (``[[funding_streams]]`` in a scenario file).
STREAM_FIELDS: tuple[Param, ...] = (
    Param("name", str, "", "", "Name of the stream.", "Name", "Name", "scenario", "funding"),
    Param("source", str, "municipality", "", "Who pays.", "Source", "Mittelgeber", "scenario",
          "funding", choices=FUNDING_SOURCES),
    Param("eur_per_year", float, 0.0, "EUR/year", "Money the stream pays per year.",
          "EUR per year", "EUR pro Jahr", "scenario", "funding", min=0.0, max=1e9),
    Param("start_year", int, 0, "year", "First simulation year the stream pays (0-based).",
          "Start year", "Beginn (Jahr)", "scenario", "funding", min=0, max=1000),
    Param("end_year", int, None, "year",
          "Last simulation year the stream pays (inclusive); omit for open-ended.",
          "End year", "Ende (Jahr)", "scenario", "funding", min=0, max=1000),
    Param("cofunding_share", float, 0.0, "",
          "Municipal co-funding share (Eigenanteil) of the total cost the stream requires.",
          "Co-funding share", "Eigenanteil", "scenario", "funding", min=0.0, max=0.99),
    Param("pays_for", str, "coordinator", "",
          "What the stream pays for (a list of: " + ", ".join(FUNDING_USES) + ").",
          "Pays for", "Zweck", "scenario", "funding", choices=FUNDING_USES),
)


def defaults() -> dict[str, Any]:
    """Return a fresh dict of every parameter's default value."""
    return {p.name: p.default for p in PARAMS}


def suggest(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    """Return a 'did you mean' hint for an unknown name, or an empty string."""
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    if close:
        return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    return ""
