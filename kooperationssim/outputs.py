"""Outputs: their definitions, the weekly series and the end-of-run summary.

Both engines feed a :class:`Recorder` with the same integer counts and sequential
sums each week; the recorder turns them into the weekly series and the summary, so
every output is computed by one piece of code.  Definitions are in ``OUTPUTS`` and in
``docs/ODD.md`` (section "Outputs").

Conventions:

* *Rate outputs* in the weekly series use a trailing 52-week window (a family turning
  one in week t counts in the windows of weeks t to t+51); the summary uses the whole
  run.
* *State outputs* (trust, acquaintance, shares of practices) are the value at the end
  of the week; the summary reports the end of the run.
* Cohort outputs count only families born during the run (birth week >= 0), so that
  every counted family could be reached in the simulated network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Output", "OUTPUTS", "SUMMARY_KEYS", "SERIES_KEYS", "Recorder", "KIND_BITS",
           "REFERRAL_ROUTES", "MAX_DELAY", "COORD_ACTIVITIES"]

#: Bits for "had a contact with / was noticed by" a professional kind.
KIND_BITS = {"pediatric": 1, "gynecology": 2, "clinic": 4, "midwife": 8}
REFERRAL_ROUTES = ("warm", "clearing", "coordinator", "flyer", "lotsendienst")
#: Longest possible wait from first noticeable contact to help (weeks), histogram size.
MAX_DELAY = 256
WINDOW = 52


@dataclass(frozen=True)
class Output:
    """Declaration of one output."""

    name: str
    unit: str
    label_en: str
    label_de: str
    definition: str
    series: bool  # also a weekly series column


OUTPUTS: tuple[Output, ...] = (
    Output("reach_first_year", "share", "Reach before first birthday",
           "Erreichung vor dem 1. Geburtstag",
           "Among burdened (medium or multiple) families born during the run whose child "
           "turned one during the run: share that entered early help before the first "
           "birthday.", True),
    Output("reach_before_crisis", "share", "Reach before any crisis",
           "Erreichung vor einer Krise",
           "Among burdened families born during the run whose child turned three (left the "
           "model) during the run: share that entered early help before any crisis.", True),
    Output("weeks_to_help_median", "weeks", "Weeks to help (median)",
           "Wochen bis zur Hilfe (Median)",
           "Median weeks from a family's first contact with a health professional at which "
           "its burden was noticeable, to the start of early help, over help starts.", True),
    Output("crises_per_1000_births", "per 1,000 births", "Crises per 1,000 births",
           "Krisen je 1.000 Geburten",
           "Crises (child-protection cases) during the run per 1,000 births during the run.",
           True),
    Output("mode_share_negative", "share", "Negative coordination", "Negative Koordination",
           "Share of all case and structural interactions in negative coordination.", True),
    Output("mode_share_intervention", "share", "Intervention", "Intervention",
           "Share of all interactions in intervention mode.", True),
    Output("mode_share_exchange", "share", "Exchange and learning", "Austausch und Lernen",
           "Share of all interactions in exchange and learning.", True),
    Output("mode_share_positive", "share", "Positive coordination", "Positive Koordination",
           "Share of all interactions in positive coordination.", True),
    Output("trust_mean", "0-1", "Mean trust across the divide", "Mittleres Vertrauen",
           "Mean trust over all relationships between a health professional and a "
           "youth-welfare professional of the same district or a coordinator, both slots "
           "filled.", True),
    Output("understanding_mean", "0-1", "Mean understanding", "Mittleres Verständnis",
           "Mean mutual understanding over the same relationships as trust_mean.", True),
    Output("acquainted_share", "share", "Health professionals with a youth-welfare acquaintance",
           "Gesundheitsfachkräfte mit persönlichem Kontakt zur Jugendhilfe",
           "Share of health professionals with at least one personal acquaintance among "
           "youth-welfare professionals or coordinators.", True),
    Output("active_physicians_share", "share", "Physicians actively cooperating",
           "Aktiv kooperierende Ärzt:innen",
           "Share of pediatric and gynecology practices with at least one referral in the "
           "last 52 weeks.", True),
    Output("physicians_ever_attended_share", "share", "Physicians who ever attended a meeting",
           "Ärzt:innen mit Teilnahme an einem Treffen",
           "Share of current pediatric and gynecology physicians who ever attended a "
           "network meeting, quality circle or round table.", True),
    Output("ped_referrals_share_0", "share", "Pediatric practices with 0 referrals",
           "Kinderarztpraxen ohne Vermittlung",
           "Share of pediatric practices with no referral in the last simulated year.", False),
    Output("ped_referrals_share_1_4", "share", "Pediatric practices with 1-4 referrals",
           "Kinderarztpraxen mit 1-4 Vermittlungen",
           "Share of pediatric practices with 1 to 4 referrals in the last simulated year.",
           False),
    Output("ped_referrals_share_5_10", "share", "Pediatric practices with 5-10 referrals",
           "Kinderarztpraxen mit 5-10 Vermittlungen",
           "Share of pediatric practices with 5 to 10 referrals in the last simulated year.",
           False),
    Output("ped_referrals_share_over_10", "share", "Pediatric practices with >10 referrals",
           "Kinderarztpraxen mit mehr als 10 Vermittlungen",
           "Share of pediatric practices with more than 10 referrals in the last simulated "
           "year.", False),
    Output("health_contact_year1_share", "share", "Health contact in year 1",
           "Gesundheitskontakt im 1. Lebensjahr",
           "Among families born during the run whose child turned one during the run: share "
           "with at least one health contact (birth in a clinic, U2-U6, midwife visit) in "
           "the child's first year.", False),
    Output("noticed_share_pediatric", "share", "Noticed by pediatric practices",
           "Von Kinderarztpraxen als belastet erkannt",
           "Among families with at least one pediatric contact during the run: share judged "
           "burdened by a pediatric practice.", False),
    Output("noticed_share_gynecology", "share", "Noticed by gynecology practices",
           "Von Frauenarztpraxen als belastet erkannt",
           "Among families with at least one gynecology contact during the run: share judged "
           "burdened by a gynecology practice.", False),
    Output("noticed_share_clinic", "share", "Noticed in maternity clinics",
           "In Geburtskliniken als belastet erkannt",
           "Among families with a clinic contact during the run: share judged burdened in "
           "the clinic (staff or Lotsendienst).", False),
    Output("physician_unpaid_hours", "hours", "Unpaid physician hours",
           "Unbezahlte Arztstunden",
           "Hours pediatric and gynecology physicians spent on cooperation without "
           "compensation (weekly in the series, total in the summary).", True),
    Output("coordinator_hours", "hours", "Coordinator hours", "Koordinationsstunden",
           "Paid working hours of filled coordinator positions (weekly in the series, total "
           "in the summary); the summary also splits them by activity.", True),
    Output("cost_total_eur", "EUR", "Cost", "Kosten",
           "Money spent on coordinators, Lotsendienst, compensation and MFA training "
           "(weekly in the series, total in the summary); the summary splits it by source.",
           True),
    Output("vacancy_weeks", "weeks", "Vacancy weeks", "Vakanzwochen",
           "Weeks positions (coordinators, youth-welfare professionals, health-office "
           "liaison) stood vacant (vacant positions in the series, total in the summary).",
           True),
    Output("turnover_events", "count", "Turnover events", "Personalwechsel",
           "Persons who left a slot, by turnover or because their position's funding ended "
           "(weekly in the series, total in the summary).", True),
)
SUMMARY_KEYS = tuple(o.name for o in OUTPUTS)
#: Extra weekly series columns beyond the outputs above.
EXTRA_SERIES = (
    "families", "families_in_help", "families_waiting", "coordinator_fte_funded",
    "coordinator_fte_filled", "meetings_held", "interactions", "referrals", "crises",
    "births", "lotsendienst_coverage",
)
SERIES_KEYS = ("week",) + tuple(o.name for o in OUTPUTS if o.series) + EXTRA_SERIES

COORD_ACTIVITIES = ("meetings", "letters", "visits", "door_opening", "clearing",
                    "other_duties", "unassigned")
MODE_NAMES = ("negative", "intervention", "exchange", "positive")


def _div(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def median_from_hist(hist: np.ndarray) -> float:
    """Median of integer values given as a histogram (mean of the two middle values)."""
    n = int(hist.sum())
    if n == 0:
        return float("nan")
    cum = np.cumsum(hist)
    lo = int(np.searchsorted(cum, (n - 1) // 2, side="right"))
    hi = int(np.searchsorted(cum, n // 2, side="right"))
    return (lo + hi) / 2.0


class Recorder:
    """Collects the weekly figures of one run and computes series and summary."""

    def __init__(self, weeks: int, n_ped: int):
        self.weeks = weeks
        self.n_ped = n_ped
        self.t = 0
        self.rows: list[dict[str, float]] = []
        # whole-run accumulators
        self.acc = {
            "fb_burdened": 0, "fb_reached": 0, "fb_born": 0, "fb_contact": 0,
            "exit_burdened": 0, "exit_before_crisis": 0,
            "crises": 0, "births": 0, "turnover": 0, "vacancy_weeks": 0,
            "physician_unpaid_min": 0, "physician_paid_min": 0,
            "youth_min": 0, "office_min": 0, "referrals": 0, "meetings": 0,
            "dropouts": 0, "positions_closed": 0,
        }
        self.route_counts = dict.fromkeys(REFERRAL_ROUTES, 0)
        self.mode_case = np.zeros(4, dtype=np.int64)
        self.mode_struct = np.zeros(4, dtype=np.int64)
        self.delay_hist = np.zeros(MAX_DELAY, dtype=np.int64)
        self.coord_min = dict.fromkeys(COORD_ACTIVITIES, 0)
        self.cost_by_use: dict[str, float] = {}
        self.cost_by_source: dict[str, float] = {}
        self.cost_total = 0.0
        self.contact_kind = dict.fromkeys(KIND_BITS, 0)
        self.noticed_kind = dict.fromkeys(KIND_BITS, 0)
        # trailing-window rings
        # first birthdays (burdened, reached), exits (burdened, before crisis), crises, births
        self._ring = np.zeros((WINDOW, 8), dtype=np.int64)
        self._ring_modes = np.zeros((WINDOW, 4), dtype=np.int64)
        self._ring_delay = np.zeros((WINDOW, MAX_DELAY), dtype=np.int64)
        self._win = np.zeros(8, dtype=np.int64)
        self._win_modes = np.zeros(4, dtype=np.int64)
        self._win_delay = np.zeros(MAX_DELAY, dtype=np.int64)
        self.final_state: dict[str, Any] = {}

    # -- accounting helpers -------------------------------------------------
    def add_cost(self, eur: float, use: str, shares: list[tuple[str, float]]) -> float:
        """Book money spent on ``use``, split over sources by ``shares``."""
        if eur <= 0:
            return 0.0
        self.cost_by_use[use] = self.cost_by_use.get(use, 0.0) + eur
        for src, share in shares:
            self.cost_by_source[src] = self.cost_by_source.get(src, 0.0) + eur * share
        self.cost_total += eur
        return eur

    def add_family_flags(self, contact_bits: np.ndarray, noticed_bits: np.ndarray) -> None:
        """Count families' contact and noticing flags (at exit, and at the end of the run)."""
        cb = np.asarray(contact_bits, dtype=np.int64)
        nb = np.asarray(noticed_bits, dtype=np.int64)
        for k, bit in KIND_BITS.items():
            had = (cb & bit) != 0
            self.contact_kind[k] += int(had.sum())
            self.noticed_kind[k] += int((had & ((nb & bit) != 0)).sum())

    def week(self, w: dict[str, Any]) -> None:
        """Record one week.

        ``w`` holds the week's integer counts and state summaries (see the engines).
        """
        a = self.acc
        for k in ("fb_burdened", "fb_reached", "fb_born", "fb_contact", "exit_burdened",
                  "exit_before_crisis", "crises", "births", "turnover", "physician_unpaid_min",
                  "physician_paid_min", "youth_min", "office_min", "meetings", "dropouts",
                  "positions_closed"):
            a[k] += int(w[k])
        a["vacancy_weeks"] += int(w["vacancies"])
        a["referrals"] += int(sum(w["routes"]))
        for i, r in enumerate(REFERRAL_ROUTES):
            self.route_counts[r] += int(w["routes"][i])
        mc = np.asarray(w["mode_case"], dtype=np.int64)
        ms = np.asarray(w["mode_struct"], dtype=np.int64)
        self.mode_case += mc
        self.mode_struct += ms
        dh = np.asarray(w["delay_hist"], dtype=np.int64)
        self.delay_hist += dh
        for k in COORD_ACTIVITIES:
            self.coord_min[k] += int(w["coord_min"][k])
        # trailing windows
        slot = self.t % WINDOW
        row = np.array([w["fb_burdened"], w["fb_reached"], w["exit_burdened"],
                        w["exit_before_crisis"], w["crises"], w["births"], 0, 0], dtype=np.int64)
        self._win += row - self._ring[slot]
        self._ring[slot] = row
        m = mc + ms
        self._win_modes += m - self._ring_modes[slot]
        self._ring_modes[slot] = m
        self._win_delay += dh - self._ring_delay[slot]
        self._ring_delay[slot] = dh
        wm = self._win_modes
        tot = int(wm.sum())
        coord_total_min = sum(int(w["coord_min"][k]) for k in COORD_ACTIVITIES)
        self.rows.append({
            "week": self.t,
            "reach_first_year": _div(self._win[1], self._win[0]),
            "reach_before_crisis": _div(self._win[3], self._win[2]),
            "weeks_to_help_median": median_from_hist(self._win_delay),
            "crises_per_1000_births": _div(1000 * self._win[4], self._win[5]),
            "mode_share_negative": _div(wm[0], tot),
            "mode_share_intervention": _div(wm[1], tot),
            "mode_share_exchange": _div(wm[2], tot),
            "mode_share_positive": _div(wm[3], tot),
            "trust_mean": _div(w["trust_sum"], w["pairs"]),
            "understanding_mean": _div(w["understanding_sum"], w["pairs"]),
            "acquainted_share": _div(w["health_acquainted"], w["health_filled"]),
            "active_physicians_share": _div(w["physicians_active"], w["physicians"]),
            "physicians_ever_attended_share": _div(w["physicians_attended"], w["physicians"]),
            "physician_unpaid_hours": int(w["physician_unpaid_min"]) / 60.0,
            "coordinator_hours": coord_total_min / 60.0,
            "cost_total_eur": float(w["cost_eur"]),
            "vacancy_weeks": float(w["vacancies"]),
            "turnover_events": float(w["turnover"]),
            "families": float(w["families"]),
            "families_in_help": float(w["in_help"]),
            "families_waiting": float(w["waiting"]),
            "coordinator_fte_funded": float(w["fte_funded"]),
            "coordinator_fte_filled": float(w["fte_filled"]),
            "meetings_held": float(w["meetings"]),
            "interactions": float(int(mc.sum() + ms.sum())),
            "referrals": float(sum(w["routes"])),
            "crises": float(w["crises"]),
            "births": float(w["births"]),
            "lotsendienst_coverage": float(w["lotsendienst_coverage"]),
        })
        self.final_state = w
        self.t += 1

    # -- results ------------------------------------------------------------
    def series(self):
        """The weekly series as a pandas DataFrame (one row per week)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(SERIES_KEYS))

    def summary(self, ped_referrals_last_year: np.ndarray) -> dict[str, Any]:
        """End-of-run summary: every output in ``SUMMARY_KEYS`` plus breakdowns."""
        a = self.acc
        last = self.rows[-1] if self.rows else {}
        modes = self.mode_case + self.mode_struct
        tot = int(modes.sum())
        refs = np.asarray(ped_referrals_last_year, dtype=np.int64)
        n_ped = max(len(refs), 1)
        out: dict[str, Any] = {
            "reach_first_year": _div(a["fb_reached"], a["fb_burdened"]),
            "reach_before_crisis": _div(a["exit_before_crisis"], a["exit_burdened"]),
            "weeks_to_help_median": median_from_hist(self.delay_hist),
            "crises_per_1000_births": _div(1000 * a["crises"], a["births"]),
        }
        for i, m in enumerate(MODE_NAMES):
            out[f"mode_share_{m}"] = _div(modes[i], tot)
        for k in ("trust_mean", "understanding_mean", "acquainted_share",
                  "active_physicians_share", "physicians_ever_attended_share"):
            out[k] = last.get(k, float("nan"))
        out["ped_referrals_share_0"] = float((refs == 0).sum()) / n_ped
        out["ped_referrals_share_1_4"] = float(((refs >= 1) & (refs <= 4)).sum()) / n_ped
        out["ped_referrals_share_5_10"] = float(((refs >= 5) & (refs <= 10)).sum()) / n_ped
        out["ped_referrals_share_over_10"] = float((refs > 10).sum()) / n_ped
        out["health_contact_year1_share"] = _div(a["fb_contact"], a["fb_born"])
        for k in ("pediatric", "gynecology", "clinic"):
            out[f"noticed_share_{k}"] = _div(self.noticed_kind[k], self.contact_kind[k])
        out["physician_unpaid_hours"] = a["physician_unpaid_min"] / 60.0
        out["coordinator_hours"] = sum(self.coord_min.values()) / 60.0
        out["cost_total_eur"] = self.cost_total
        out["vacancy_weeks"] = a["vacancy_weeks"]
        out["turnover_events"] = a["turnover"]
        # breakdowns and counts
        out["noticed_share_midwife"] = _div(self.noticed_kind["midwife"],
                                            self.contact_kind["midwife"])
        for i, m in enumerate(MODE_NAMES):
            out[f"mode_share_case_{m}"] = _div(self.mode_case[i], int(self.mode_case.sum()))
            out[f"mode_share_structural_{m}"] = _div(self.mode_struct[i],
                                                     int(self.mode_struct.sum()))
        out["interactions_case"] = int(self.mode_case.sum())
        out["interactions_structural"] = int(self.mode_struct.sum())
        out["ped_referrals_trimmed_mean"] = trimmed_mean(refs)
        for k in COORD_ACTIVITIES:
            out[f"coordinator_hours_{k}"] = self.coord_min[k] / 60.0
        out["physician_compensated_hours"] = a["physician_paid_min"] / 60.0
        out["youth_welfare_hours"] = a["youth_min"] / 60.0
        out["health_office_hours"] = a["office_min"] / 60.0
        out["cost_by_source_eur"] = dict(sorted(self.cost_by_source.items()))
        out["cost_by_use_eur"] = dict(sorted(self.cost_by_use.items()))
        out["referrals"] = a["referrals"]
        for r in REFERRAL_ROUTES:
            out[f"referrals_{r}"] = self.route_counts[r]
        out["births"] = a["births"]
        out["crises"] = a["crises"]
        out["burdened_first_birthdays"] = a["fb_burdened"]
        out["burdened_reached_first_year"] = a["fb_reached"]
        out["help_dropouts"] = a["dropouts"]
        out["meetings_held"] = a["meetings"]
        out["positions_closed"] = a["positions_closed"]
        return out


def trimmed_mean(x: np.ndarray, cut: float = 0.1) -> float:
    """Mean after dropping the lowest and highest ``cut`` share (as in the NZFH survey)."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    if n == 0:
        return float("nan")
    k = int(np.floor(cut * n))
    core = x[k: n - k] if n - 2 * k > 0 else x
    return float(core.mean())
