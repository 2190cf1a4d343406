"""Texts of the teaching dashboard in German and English.

Parameter labels come from the schema (``Param.label_de`` / ``Param.label_en``) and
output labels from ``kooperationssim.outputs.OUTPUTS``; this module holds only the texts
that belong to the page itself: titles, the legend of the four coordination modes
(Koordinationsformen), the stages of the families' pathway and the kinds of
professionals.
"""

from __future__ import annotations

from ..outputs import OUTPUTS
from ..params import GROUPS, PARAMS_BY_NAME

__all__ = ["LANGUAGES", "MODE_TEXT", "KIND_TEXT", "STAGES", "t", "param_label", "output_label",
           "group_label"]

#: Languages of the page; German first (the seminars are German-speaking).
LANGUAGES = ("de", "en")

_OUTPUTS = {o.name: o for o in OUTPUTS}

#: Short name and plain-words explanation of each coordination mode, in ``MODES`` order.
MODE_TEXT = {
    "de": (
        ("Negative Koordination",
         "Jede Seite bleibt bei sich und meidet den Bereich der anderen; es fließt keine "
         "Information."),
        ("Intervention",
         "Eine Seite sagt der anderen, was zu tun ist; wenig Information, oft Konflikt."),
        ("Austausch und Lernen",
         "Beide teilen Informationen und lernen die Arbeit der anderen Seite kennen."),
        ("Positive Koordination",
         "Beide planen gemeinsam für ein gemeinsames Ziel; kostet am meisten Zeit."),
    ),
    "en": (
        ("Negative coordination",
         "Each side stays in its own lane and avoids the other's domain; no information "
         "flows."),
        ("Intervention",
         "One side tells the other what to do; little information, often conflict."),
        ("Exchange and learning",
         "Both share information and learn how the other side works."),
        ("Positive coordination",
         "Both plan together towards a shared goal; takes the most time."),
    ),
}

#: Names of the kinds of professional slots (keys as in ``layout.KIND_CODES``).
KIND_TEXT = {
    "de": {"pediatric": "Kinderarztpraxis", "gynecology": "Frauenarztpraxis",
           "clinic": "Geburtsklinik", "midwife": "Hebamme", "asd": "ASD (Jugendamt)",
           "fh_provider": "Frühe Hilfen (Träger)", "coordinator": "Netzwerkkoordination",
           "health_office": "Gesundheitsamt"},
    "en": {"pediatric": "Pediatric practice", "gynecology": "Gynecology practice",
           "clinic": "Maternity clinic", "midwife": "Midwife", "asd": "ASD (youth office)",
           "fh_provider": "Early-help provider", "coordinator": "Network coordinator",
           "health_office": "Health office"},
}

#: Stages of the families' pathway (Zugangsweg), top to bottom of the funnel.
STAGES = ("burdened", "noticed", "referred", "accepted", "in_help", "crisis")

_TEXT = {
    "de": {
        "title": "Kooperation in der Präventionskette — Seminar",
        "language": "Sprache",
        "seed": "Startwert (Seed)",
        "seed_now": "Startwert dieses Laufs",
        "settings_now": "Einstellungen dieses Laufs",
        "new_seed": "Neuer Startwert",
        "week": "Woche",
        "year": "Jahr",
        "network_title": "Netzwerk der Fachkräfte",
        "network_caption": ("Linien: persönliche Bekanntschaft; Breite: Vertrauen; Farbe: "
                            "Koordinationsform der letzten Begegnung."),
        "no_mode": "noch keine Begegnung",
        "vacant": "unbesetzt",
        "health_side": "Gesundheitswesen",
        "youth_side": "Kinder- und Jugendhilfe",
        "funnel_title": "Zugangsweg der belasteten Familien (jetzt im Modell)",
        "funnel_caption": ("Belastete Familien von der Schwangerschaft bis zum 3. Geburtstag, "
                           "die gerade im Modell sind; je Stufe: wie viele sie je erreicht "
                           "haben."),
        "series_title": "Verlauf",
        "mode_shares": "Anteile der Koordinationsformen",
        "modes_title": "Die vier Koordinationsformen",
        "cards_title": "Szenariokarten für das Seminar",
        "card_load": "Laden",
        "card_question": "Vorhersage vor dem Start",
        "card_explanation": "Was das Modell zeigt",
        "card_reveal": "Auflösung zeigen",
        "card_hidden": "Die Auflösung erscheint, sobald die Simulation Woche {week} erreicht.",
        "card_settings": "Einstellungen der Karte",
        "card_none": "Keine Karte gewählt: das Szenario {scenario} mit den Reglern links.",
        "card_active": "Aktive Karte",
        "card_clear": "Karte ablegen",
        "scenario": "Szenario",
        "not_yet": "noch kein Jahrgang hat den 1. Geburtstag erreicht",
        "seed_help": ("Gleicher Startwert und gleiche Einstellungen ergeben genau denselben "
                      "Lauf: Startwert eintragen (Enter), dann »Reset«."),
    },
    "en": {
        "title": "Cooperation in the prevention chain — seminar",
        "language": "Language",
        "seed": "Seed",
        "seed_now": "Seed of this run",
        "settings_now": "Settings of this run",
        "new_seed": "New seed",
        "week": "Week",
        "year": "Year",
        "network_title": "Network of professionals",
        "network_caption": ("Lines: personal acquaintance; width: trust; colour: coordination "
                            "mode of the last interaction."),
        "no_mode": "no interaction yet",
        "vacant": "vacant",
        "health_side": "Health system",
        "youth_side": "Child and youth welfare",
        "funnel_title": "Pathway of burdened families (now in the model)",
        "funnel_caption": ("Burdened families from pregnancy to the third birthday who are in "
                           "the model now; per stage: how many ever got there."),
        "series_title": "Over time",
        "mode_shares": "Shares of the coordination modes",
        "modes_title": "The four coordination modes",
        "cards_title": "Scenario cards for the seminar",
        "card_load": "Load",
        "card_question": "Predict before running",
        "card_explanation": "What the model shows",
        "card_reveal": "Show explanation",
        "card_hidden": "The explanation appears when the simulation reaches week {week}.",
        "card_settings": "Settings of the card",
        "card_none": "No card chosen: scenario {scenario} with the controls on the left.",
        "card_active": "Active card",
        "card_clear": "Put card away",
        "scenario": "Scenario",
        "not_yet": "no cohort has reached the first birthday yet",
        "seed_help": ("The same seed and the same settings give exactly the same run: enter "
                      "the seed (Enter), then press Reset."),
    },
}

_STAGE_TEXT = {
    "de": {"burdened": "belastet", "noticed": "erkannt", "referred": "vermittelt",
           "accepted": "angenommen", "in_help": "in Früher Hilfe", "crisis": "Krise"},
    "en": {"burdened": "burdened", "noticed": "noticed", "referred": "referred",
           "accepted": "accepted", "in_help": "in early help", "crisis": "crisis"},
}


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def t(key: str, lang: str, **fmt: object) -> str:
    """The page text ``key`` in ``lang`` (``"de"`` or ``"en"``), formatted with ``fmt``."""
    text = _TEXT[_check(lang)].get(key)
    if text is None:
        text = _STAGE_TEXT[lang][key]
    return text.format(**fmt) if fmt else text


def param_label(name: str, lang: str) -> str:
    """The schema's label of parameter ``name`` in ``lang``."""
    p = PARAMS_BY_NAME[name]
    return p.label_de if _check(lang) == "de" else p.label_en


def output_label(name: str, lang: str) -> str:
    """The label of output ``name`` in ``lang`` (from ``outputs.OUTPUTS``)."""
    o = _OUTPUTS[name]
    return o.label_de if _check(lang) == "de" else o.label_en


def group_label(group: str, lang: str) -> str:
    """The label of a parameter group in ``lang``."""
    en, de = GROUPS[group]
    return de if _check(lang) == "de" else en
