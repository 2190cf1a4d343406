"""Scenario cards (Szenariokarten) for seminars.

Each card sets a few parameters on top of the page's scenario, asks a question for the
students to predict before the run, and explains afterwards what the model does.  The
explanations describe what the model showed for the benchmark town
(``scenarios/mittelstadt.toml``, 520 weeks, seeds 0-7 with the NumPy engine, compared
with the scenario as it is); ``docs/DASHBOARD.md`` lists the figures, and
``tests/test_dashboard.py`` checks the direction of every claim (slow tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..params import PARAMS_BY_NAME

__all__ = ["Card", "CARDS", "CARDS_BY_ID"]


@dataclass(frozen=True)
class Card:
    """A scenario card.

    Attributes:
        id: Short identifier.
        title: Title per language (``{"de": ..., "en": ...}``).
        overrides: Parameter values the card sets (names of the schema).
        question: The question to predict before running, per language.
        explanation: What the model shows, per language.
        reveal_week: Week from which the page shows the explanation by itself.
    """

    id: str
    title: dict[str, str]
    overrides: dict[str, Any]
    question: dict[str, str]
    explanation: dict[str, str]
    reveal_week: int = 260


CARDS: tuple[Card, ...] = (
    Card(
        "ohne_koordination",
        {"de": "Ohne Koordination", "en": "Without coordination"},
        {"coordinator_fte": 0.0},
        {"de": "Die Stelle der Netzwerkkoordination wird gestrichen; alles andere bleibt. "
               "Wie viele belastete Familien erreichen die Frühen Hilfen vor dem ersten "
               "Geburtstag, verglichen mit Mittelstadt mit einer Koordinationsstelle?",
         "en": "The network-coordinator position is cut; everything else stays. How many "
               "burdened families reach early help before the first birthday, compared "
               "with Mittelstadt with one coordinator?"},
        {"de": "Ohne Koordination finden keine Netzwerktreffen statt, niemand besucht die "
               "Praxen und niemand klärt Fälle. Die wenigen Bekanntschaften vom Start "
               "verfallen: nach zehn Jahren kennen nur noch etwa 6 % der Fachkräfte im "
               "Gesundheitswesen jemanden in der Jugendhilfe (mit Koordination über 90 %). "
               "Negative Koordination und Intervention überwiegen, und die Erreichung vor "
               "dem 1. Geburtstag fällt von etwa 13 % auf etwa 2 %.",
         "en": "Without coordination there are no network meetings, nobody visits the "
               "practices and nobody clears cases. The few acquaintances of the start "
               "lapse: after ten years only about 6 % of health professionals know "
               "anyone in youth welfare (over 90 % with a coordinator). Negative "
               "coordination and intervention dominate, and reach before the first "
               "birthday falls from about 13 % to about 2 %."},
        reveal_week=104,
    ),
    Card(
        "dauerstelle_oder_projektstelle",
        {"de": "Dauerstelle oder Projektstelle?", "en": "Permanent post or project post?"},
        {"funding_regime": "project_then_municipal", "funding_project_years": 3},
        {"de": "Die Koordination ist drei Jahre lang eine Projektstelle, danach zahlt die "
               "Kommune weiter. Wie sehr unterscheidet sich der Verlauf von einer "
               "Dauerstelle von Anfang an?",
         "en": "The coordinator is a project post for three years, then the municipality "
               "keeps paying. How much does the course differ from a permanent post from "
               "the start?"},
        {"de": "Kaum: solange das Geld ohne Lücke weiterfließt, bleibt das Netzwerk "
               "erhalten. Die Projektstelle hat mehr Fluktuation, besonders kurz vor dem "
               "Vertragsende; in einzelnen Läufen ist die Stelle dann einige Monate "
               "unbesetzt, Bekanntschaften brechen ab und die Erreichung sinkt um das "
               "3. bis 5. Jahr etwas. Im Mittel über zehn Jahre liegt sie nur knapp unter "
               "der Dauerstelle (etwa 12,6 % statt 13 %). Entscheidend ist die "
               "Kontinuität, nicht das Etikett der Stelle.",
         "en": "Hardly: as long as the money keeps flowing without a gap, the network "
               "survives. The project post has more turnover, especially just before the "
               "contract ends; in some runs the post is then vacant for a few months, "
               "acquaintances break off and reach dips a little around years 3 to 5. "
               "Over ten years it ends only slightly below the permanent post (about "
               "12.6 % instead of 13 %). What matters is continuity, not the label of "
               "the post."},
        reveal_week=260,
    ),
    Card(
        "gesundheitsamt_tueroeffner",
        {"de": "Das Gesundheitsamt als Türöffner",
         "en": "The health office as door-opener"},
        {"ja_ga_cooperation": True},
        {"de": "Jugendamt und Gesundheitsamt kooperieren verbindlich: das Gesundheitsamt "
               "stellt Praxen, die es kennt, der Koordination vor und lädt zu den Treffen "
               "mit ein. Wird das Netzwerk schneller dicht, und erreicht es mehr Familien?",
         "en": "Youth office and health office cooperate formally: the health office "
               "introduces practices it knows to the coordinator and co-invites to the "
               "meetings. Does the network close faster, and does it reach more families?"},
        {"de": "Ja, vor allem am Anfang: schon im ersten Jahr haben mehr Fachkräfte im "
               "Gesundheitswesen einen persönlichen Kontakt zur Jugendhilfe (etwa 77 % "
               "statt 60 %), weil das Vertrauen ins Gesundheitsamt auf die Koordination "
               "übertragen wird. Die Erreichung vor dem 1. Geburtstag liegt etwas höher "
               "(etwa 14 % statt 13 %). Der Türöffner beschleunigt, ersetzt aber die "
               "Koordination nicht: er stellt Praxen der Koordinationsstelle vor.",
         "en": "Yes, above all at the start: already in the first year more health "
               "professionals have a personal contact in youth welfare (about 77 % "
               "instead of 60 %), because trust in the health office carries over to the "
               "coordinator. Reach before the first birthday is somewhat higher (about "
               "14 % instead of 13 %). The door-opener speeds things up but does not "
               "replace coordination: it introduces practices to the coordinator."},
        reveal_week=104,
    ),
    Card(
        "wenn_die_foerderung_endet",
        {"de": "Wenn die Förderung endet", "en": "When the funding ends"},
        {"funding_regime": "project", "funding_project_years": 3},
        {"de": "Die Koordination wird drei Jahre aus Projektmitteln bezahlt; danach gibt "
               "es kein Geld mehr. Was passiert nach dem Ende der Förderung mit den "
               "Bekanntschaften, dem Vertrauen und der Erreichung der Familien — sofort "
               "oder langsam?",
         "en": "The coordinator is paid from project money for three years; after that "
               "there is no money. What happens to acquaintances, trust and the reach of "
               "families after the funding ends — at once or slowly?"},
        {"de": "Langsam, nicht sofort: nach Jahr 3 ist die Stelle weg, aber die "
               "Bekanntschaften verfallen erst nach und nach (von etwa 87 % auf etwa 11 % "
               "nach zehn Jahren), das Vertrauen sinkt langsam zum Ausgangswert zurück. "
               "Die Erreichung steigt bis ins 4. Jahr (etwa 11 %) und fällt dann bis zum "
               "10. Jahr auf etwa 6 %. Was in drei Jahren aufgebaut wurde, trägt noch eine "
               "Weile — und geht dann verloren.",
         "en": "Slowly, not at once: after year 3 the post is gone, but acquaintances "
               "lapse only gradually (from about 87 % to about 11 % after ten years), and "
               "trust sinks slowly back to its baseline. Reach keeps rising into year 4 "
               "(about 11 %) and then falls to about 6 % by year 10. What was built in "
               "three years carries for a while — and is then lost."},
        reveal_week=312,
    ),
    Card(
        "lotsendienst",
        {"de": "Lotsendienst in der Geburtsklinik", "en": "Guides in the maternity clinic"},
        {"lotsendienst_coverage": 1.0},
        {"de": "Alle Geburtskliniken bekommen einen Lotsendienst, der nach der Geburt mit "
               "jeder Familie spricht. Wie viel ändert das an der Erreichung, und ändert "
               "es etwas an der Zusammenarbeit der Fachkräfte?",
         "en": "Every maternity clinic gets a guide service (Lotsendienst) that talks to "
               "every family after birth. How much does that change reach, and does it "
               "change how the professionals work together?"},
        {"de": "Die Erreichung vor dem 1. Geburtstag springt vom ersten Jahrgang an auf "
               "etwa 32 % (statt 13 %), weil die Lotsinnen die meisten belasteten Familien "
               "bei der Geburt erkennen und selbst vermitteln. Die Zusammenarbeit der "
               "Fachkräfte wird dadurch nicht besser: der Anteil positiver Koordination "
               "ist sogar niedriger (etwa 13 % statt 19 %), vermutlich weil weniger Fälle "
               "über Ärzt:innen und Koordination laufen.",
         "en": "Reach before the first birthday jumps to about 32 % (instead of 13 %) from "
               "the first cohort on, because the guides notice most burdened "
               "families at birth and refer them themselves. Cooperation between the "
               "professionals does not improve: the share of positive coordination is even "
               "lower (about 13 % instead of 19 %), presumably because fewer cases go "
               "through physicians and the coordinator."},
        reveal_week=104,
    ),
    Card(
        "rueckmeldung",
        {"de": "Rückmeldung an die Praxen", "en": "Feedback to the practices"},
        {"feedback_allowed_share": 1.0},
        {"de": "Familien erlauben immer, dass die Jugendhilfe der vermittelnden Praxis "
               "zurückmeldet, wie es gelaufen ist (statt in 43 % der Fälle). Lohnt sich "
               "das für die Erreichung?",
         "en": "Families always allow youth welfare to tell the referring practice how it "
               "went (instead of in 43 % of cases). Does that pay off in reach?"},
        {"de": "Ja, und zwar mit der Zeit immer mehr: Rückmeldung frischt das Wissen über "
               "die Angebote auf, stärkt das Engagement der Praxen und das Vertrauen. Mehr "
               "Ärzt:innen vermitteln aktiv (etwa 86 % statt 81 %), positive Koordination "
               "wird häufiger, und die Erreichung steigt auf etwa 16 % (statt 13 %).",
         "en": "Yes, and more so over time: feedback refreshes what practices know about "
               "the offers and strengthens their engagement and trust. More physicians "
               "refer actively (about 86 % instead of 81 %), positive coordination becomes "
               "more frequent, and reach rises to about 16 % (instead of 13 %)."},
        reveal_week=260,
    ),
)

CARDS_BY_ID = {c.id: c for c in CARDS}


def _validate() -> None:
    for c in CARDS:
        for name, value in c.overrides.items():
            if name not in PARAMS_BY_NAME:
                raise ValueError(f"scenario card {c.id!r}: unknown parameter {name!r}")
            PARAMS_BY_NAME[name].check(value)
        for what in (c.title, c.question, c.explanation):
            if set(what) != {"de", "en"}:
                raise ValueError(f"scenario card {c.id!r}: texts need 'de' and 'en'")


_validate()
