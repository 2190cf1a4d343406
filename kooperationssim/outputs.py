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

from . import kernels, rules
from .params import FUNDING_SOURCES, FUNDING_USES

__all__ = ["Output", "OUTPUTS", "SUMMARY_KEYS", "SERIES_KEYS", "Recorder", "KIND_BITS",
           "REFERRAL_ROUTES", "MAX_DELAY", "COORD_ACTIVITIES", "YOUTH_ACTIVITIES",
           "cost_per_additional_family"]

#: Bits for "had a contact with / was noticed by" a professional kind.
KIND_BITS = {"pediatric": 1, "gynecology": 2, "clinic": 4, "midwife": 8}
REFERRAL_ROUTES = ("warm", "clearing", "coordinator", "flyer", "lotsendienst")
#: The bits of KIND_BITS in its order (for the compiled counts, kernels.family_flags).
KIND_BIT_VALUES = np.array(list(KIND_BITS.values()), dtype=np.int64)
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
           "Share of health professionals with at least one personal acquaintance among the "
           "youth-welfare professionals of their district or the coordinators (the other "
           "side's slot filled).", True),
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
#: Row of each series in a week's block of the recorder.
_ROW = {k: i for i, k in enumerate(SERIES_KEYS[1:])}
#: Series that are a week's count as it is, and the count they show.
_COUNT_SERIES = {"vacancy_weeks": "vacancies", "turnover_events": "turnover",
                 "families": "families", "families_in_help": "in_help",
                 "families_waiting": "waiting", "meetings_held": "meetings",
                 "crises": "crises", "births": "births"}
_COUNT_SOURCES = tuple(_COUNT_SERIES.values())
#: Series that are a week's float summary as it is.
_FLOAT_SERIES = {"coordinator_fte_funded": "fte_funded",
                 "coordinator_fte_filled": "fte_filled",
                 "lotsendienst_coverage": "lotsendienst_coverage"}
_FLOAT_SOURCES = tuple(_FLOAT_SERIES.values())

COORD_ACTIVITIES = ("meetings", "letters", "visits", "door_opening", "clearing",
                    "feedback", "other_duties")
YOUTH_ACTIVITIES = ("meetings", "case", "crisis")
MODE_NAMES = ("negative", "intervention", "exchange", "positive")

#: Integer counts an engine reports every week (one value per run).
WEEK_COUNTS = (
    "fb_burdened", "fb_reached", "fb_born", "fb_contact", "exit_burdened",
    "exit_before_crisis", "crises", "births", "turnover", "vacancies",
    "physician_unpaid_min", "physician_paid_min", "coord_paid_min", "office_min", "meetings",
    "dropouts", "positions_closed", "pairs", "health_acquainted", "health_filled",
    "physicians", "physicians_active", "physicians_attended", "families", "in_help",
    "waiting", "compensated",
)
#: Float state summaries an engine reports every week.
WEEK_FLOATS = ("trust_sum", "understanding_sum", "fte_funded", "fte_filled",
               "lotsendienst_coverage")
#: Integer vectors an engine reports every week: name -> length.
WEEK_VECTORS = {"routes": len(REFERRAL_ROUTES), "mode_case": 4, "mode_struct": 4,
                "coord_min": len(COORD_ACTIVITIES), "youth_min": len(YOUTH_ACTIVITIES),
                "delay_hist": MAX_DELAY}
#: Money an engine reports every week, by use (EUR); order of FUNDING_USES.
N_USES = len(FUNDING_USES)


#: The week's counts, float summaries and series rows that kernels.record_week reads and
#: writes, in the order it uses them.
_RECORD_COUNTS = (
    # trailing window: first birthdays burdened and reached, exits burdened and reached
    # before a crisis, crises, births
    "fb_burdened", "fb_reached", "exit_burdened", "exit_before_crisis", "crises", "births",
    "pairs", "health_acquainted", "health_filled", "physicians_active", "physicians",
    "physicians_attended", "physicians", "physician_unpaid_min", "coord_paid_min",
) + _COUNT_SOURCES
_RECORD_FLOATS = ("trust_sum", "understanding_sum") + _FLOAT_SOURCES
_RECORD_ROWS = tuple(_ROW[k] for k in (
    "reach_first_year", "reach_before_crisis", "crises_per_1000_births",
    "mode_share_negative", "mode_share_intervention", "mode_share_exchange",
    "mode_share_positive", "trust_mean", "understanding_mean", "acquainted_share",
    "active_physicians_share", "physicians_ever_attended_share", "weeks_to_help_median",
    "physician_unpaid_hours", "coordinator_hours", "cost_total_eur", "interactions",
    "referrals") + tuple(_COUNT_SERIES) + tuple(_FLOAT_SERIES))
_RECORD_CI = np.array([WEEK_COUNTS.index(k) for k in _RECORD_COUNTS], dtype=np.int64)
_RECORD_FI = np.array([WEEK_FLOATS.index(k) for k in _RECORD_FLOATS], dtype=np.int64)
_RECORD_ROWS_A = np.array(_RECORD_ROWS, dtype=np.int64)
if sorted(_RECORD_ROWS) != list(range(len(SERIES_KEYS) - 1)):  # pragma: no cover
    raise AssertionError("kernels.record_week must write every series once")


def median_from_hist(hist: np.ndarray) -> np.ndarray:
    """Median of integer values given as histograms (last axis); mean of two middle values."""
    hist = np.asarray(hist, dtype=np.int64)
    n = hist.sum(axis=-1)
    cum = np.cumsum(hist, axis=-1)
    lo = (cum <= ((n - 1) // 2)[..., None]).sum(axis=-1)
    hi = (cum <= (n // 2)[..., None]).sum(axis=-1)
    return np.where(n > 0, (lo + hi) / 2.0, np.nan)


class Recorder:
    """Collects the weekly figures of R runs and computes series and summaries.

    Engines call :meth:`week` once per simulated week with arrays whose first axis is the
    run (the Mesa engine uses R = 1).  All arithmetic on outputs happens here.
    """

    def __init__(self, runs: int, weeks: int):
        R, T = runs, weeks
        self.R, self.T, self.t = R, T, 0
        # run totals of the weekly counts: one row per count (acc[k] is a view of it)
        self._acc = np.zeros((len(WEEK_COUNTS), R), dtype=np.int64)
        self.acc = {k: self._acc[i] for i, k in enumerate(WEEK_COUNTS)}
        self.vec = {k: np.zeros((R, n), dtype=np.int64) for k, n in WEEK_VECTORS.items()}
        self.cost_by_use = np.zeros((R, N_USES))
        self.cost_by_source = np.zeros((R, len(FUNDING_SOURCES)))
        self.cost_total = np.zeros(R)
        self.contact_kind = np.zeros((R, len(KIND_BITS)), dtype=np.int64)
        self.noticed_kind = np.zeros((R, len(KIND_BITS)), dtype=np.int64)
        # the weekly series: one (n_series, R) block per week, written in one piece;
        # _cols[k] is the (T, R) view of series k (read through series())
        self._series = np.full((T, len(SERIES_KEYS) - 1, R), np.nan)
        self._cols = {k: self._series[:, i, :] for i, k in enumerate(SERIES_KEYS[1:])}
        self._ring = np.zeros((R, WINDOW, 6), dtype=np.int64)
        self._ring_modes = np.zeros((R, WINDOW, 4), dtype=np.int64)
        self._ring_delay = np.zeros((R, WINDOW, MAX_DELAY), dtype=np.int64)
        self._win = np.zeros((R, 6), dtype=np.int64)
        self._win_modes = np.zeros((R, 4), dtype=np.int64)
        self._win_delay = np.zeros((R, MAX_DELAY), dtype=np.int64)
        self._ring_delay_hi = np.zeros((R, WINDOW), dtype=np.int64)  # see delay_window
        self._win_delay_n = np.zeros(R, dtype=np.int64)
        self._week_cnt = np.zeros((len(WEEK_COUNTS), R), dtype=np.int64)
        self._week_flt = np.zeros((len(WEEK_FLOATS), R))
        self._last_row: np.ndarray | None = None  # the last week's series row
        self._last: dict[str, np.ndarray] = {}

    @property
    def last(self) -> dict[str, np.ndarray]:
        """The last recorded week's series (each (R,)), by key; empty before the first."""
        if self._last_row is not None and not self._last:
            self._last = dict(zip(SERIES_KEYS[1:], self._last_row, strict=True))
        return self._last

    def add_family_flags(self, run: np.ndarray, contact_bits: np.ndarray,
                         noticed_bits: np.ndarray) -> None:
        """Count families' contact and noticing flags (at exit, and at the end of a run)."""
        # per kind: a contact of that kind; noticed only where there was one
        kernels.family_flags(np.ascontiguousarray(run, dtype=np.int64),
                             np.ascontiguousarray(contact_bits, dtype=np.int64),
                             np.ascontiguousarray(noticed_bits, dtype=np.int64),
                             KIND_BIT_VALUES, self.contact_kind, self.noticed_kind)

    def week(self, w: dict[str, Any], cost_by_use: np.ndarray,
             shares: np.ndarray) -> None:
        """Record one week of all runs.

        Args:
            w: the week's counts (:data:`WEEK_COUNTS`), float summaries (:data:`WEEK_FLOATS`)
                and vectors (:data:`WEEK_VECTORS`), each with the run as first axis.
            cost_by_use: (R, 4) money spent this week by use.
            shares: (R, 4, 5) share of each source in the cost of each use.
        """
        R, t = self.R, self.t
        cnt, flt = self._week_cnt, self._week_flt  # rows filled in place, read by record_week
        for i, k in enumerate(WEEK_COUNTS):
            cnt[i] = np.asarray(w[k], dtype=np.int64).reshape(R)
        for i, k in enumerate(WEEK_FLOATS):
            flt[i] = np.asarray(w[k], dtype=np.float64).reshape(R)
        vec = [np.ascontiguousarray(np.asarray(w[k], dtype=np.int64).reshape(R, n))
               for k, n in WEEK_VECTORS.items()]
        # the bin after the last non-zero one of every run's waiting times (an engine may
        # report it as "delay_hi")
        hi = w.get("delay_hi")
        if hi is None:
            d = vec[-1] != 0
            hi = np.where(d.any(axis=1), d.shape[1] - np.argmax(d[:, ::-1], axis=1), 0)
        hi = np.ascontiguousarray(hi, dtype=np.int64).reshape(R)
        cu = np.ascontiguousarray(cost_by_use, dtype=np.float64).reshape(R, N_USES)
        sh = np.ascontiguousarray(shares, dtype=np.float64).reshape(R, N_USES,
                                                                    len(FUNDING_SOURCES))
        # totals, trailing windows and this week's row of every series in one compiled
        # pass (kernels.record_week)
        out = self._series[t]
        v = self.vec
        kernels.record_week(
            t, cnt, flt, *vec, hi, cu, sh, self._acc, v["routes"], v["mode_case"],
            v["mode_struct"], v["coord_min"], v["youth_min"], v["delay_hist"],
            self.cost_by_use, self.cost_by_source, self.cost_total, self._ring, self._win,
            self._ring_modes, self._win_modes, self._ring_delay, self._win_delay,
            self._ring_delay_hi, self._win_delay_n, _RECORD_CI, _RECORD_FI, _RECORD_ROWS_A,
            out)
        self._last_row, self._last = out, {}
        self.t += 1

    # -- results ------------------------------------------------------------
    def series(self, run: int = 0):
        """The weekly series of one run as a pandas DataFrame (one row per week)."""
        import pandas as pd

        data = {"week": np.arange(self.t)}
        for k in SERIES_KEYS[1:]:
            data[k] = self._cols[k][: self.t, run]
        return pd.DataFrame(data, columns=list(SERIES_KEYS))

    def summary(self, run: int, ped_referrals_last_year: np.ndarray,
                contact_kind: np.ndarray | None = None,
                noticed_kind: np.ndarray | None = None) -> dict[str, Any]:
        """End-of-run summary of one run: every output in ``SUMMARY_KEYS`` plus breakdowns.

        ``contact_kind``/``noticed_kind`` are this run's counts including families still
        present at the end (default: only families that left).
        """
        a = {k: int(v[run]) for k, v in self.acc.items()}
        v = {k: arr[run] for k, arr in self.vec.items()}
        ck = self.contact_kind[run] if contact_kind is None else contact_kind
        nk = self.noticed_kind[run] if noticed_kind is None else noticed_kind
        modes = v["mode_case"] + v["mode_struct"]
        tot = int(modes.sum())
        refs = np.asarray(ped_referrals_last_year, dtype=np.int64)
        n_ped = max(len(refs), 1)
        last = {k: float(x[run]) for k, x in self.last.items()} if self.last else {}
        f = rules.ratio
        out: dict[str, Any] = {
            "reach_first_year": f(a["fb_reached"], a["fb_burdened"]),
            "reach_before_crisis": f(a["exit_before_crisis"], a["exit_burdened"]),
            "weeks_to_help_median": float(median_from_hist(v["delay_hist"])),
            "crises_per_1000_births": f(1000 * a["crises"], a["births"]),
        }
        for i, m in enumerate(MODE_NAMES):
            out[f"mode_share_{m}"] = f(modes[i], tot)
        for k in ("trust_mean", "understanding_mean", "acquainted_share",
                  "active_physicians_share", "physicians_ever_attended_share"):
            out[k] = last.get(k, float("nan"))
        out["ped_referrals_share_0"] = float((refs == 0).sum()) / n_ped
        out["ped_referrals_share_1_4"] = float(((refs >= 1) & (refs <= 4)).sum()) / n_ped
        out["ped_referrals_share_5_10"] = float(((refs >= 5) & (refs <= 10)).sum()) / n_ped
        out["ped_referrals_share_over_10"] = float((refs > 10).sum()) / n_ped
        out["health_contact_year1_share"] = f(a["fb_contact"], a["fb_born"])
        for i, k in enumerate(KIND_BITS):
            if k != "midwife":
                out[f"noticed_share_{k}"] = f(nk[i], ck[i])
        out["physician_unpaid_hours"] = a["physician_unpaid_min"] / 60.0
        out["coordinator_hours"] = a["coord_paid_min"] / 60.0
        out["cost_total_eur"] = float(self.cost_total[run])
        out["vacancy_weeks"] = a["vacancies"]
        out["turnover_events"] = a["turnover"]
        # breakdowns and counts
        out["noticed_share_midwife"] = f(nk[3], ck[3])
        mc, ms = v["mode_case"], v["mode_struct"]
        for i, m in enumerate(MODE_NAMES):
            out[f"mode_share_case_{m}"] = f(mc[i], int(mc.sum()))
            out[f"mode_share_structural_{m}"] = f(ms[i], int(ms.sum()))
        out["interactions_case"] = int(mc.sum())
        out["interactions_structural"] = int(ms.sum())
        out["ped_referrals_trimmed_mean"] = trimmed_mean(refs)
        for i, k in enumerate(COORD_ACTIVITIES):
            out[f"coordinator_hours_{k}"] = int(v["coord_min"][i]) / 60.0
        # paid time not booked on an activity (negative when banked time from earlier
        # weeks was spent, as at the end of a run that started with a full account)
        used = int(v["coord_min"].sum())
        out["coordinator_hours_unassigned"] = (a["coord_paid_min"] - used) / 60.0
        out["physician_compensated_hours"] = a["physician_paid_min"] / 60.0
        out["youth_welfare_hours"] = int(v["youth_min"].sum()) / 60.0
        for i, k in enumerate(YOUTH_ACTIVITIES):
            out[f"youth_welfare_hours_{k}"] = int(v["youth_min"][i]) / 60.0
        out["health_office_hours"] = a["office_min"] / 60.0
        out["cost_by_source_eur"] = {s: float(self.cost_by_source[run, i])
                                     for i, s in enumerate(FUNDING_SOURCES)
                                     if self.cost_by_source[run, i] != 0}
        out["cost_by_use_eur"] = {u: float(self.cost_by_use[run, i])
                                  for i, u in enumerate(FUNDING_USES)
                                  if self.cost_by_use[run, i] != 0}
        out["referrals"] = int(v["routes"].sum())
        for i, r in enumerate(REFERRAL_ROUTES):
            out[f"referrals_{r}"] = int(v["routes"][i])
        out["births"] = a["births"]
        out["crises"] = a["crises"]
        out["burdened_first_birthdays"] = a["fb_burdened"]
        out["burdened_reached_first_year"] = a["fb_reached"]
        out["help_dropouts"] = a["dropouts"]
        out["meetings_held"] = a["meetings"]
        out["positions_closed"] = a["positions_closed"]
        return out


def cost_per_additional_family(summary: dict[str, Any], reference: dict[str, Any]) -> float:
    """EUR per additional burdened family reached before its first birthday.

    Compares a run with a run of a comparison scenario (same horizon, ideally the same
    seed: common random numbers): (cost - cost of reference) / (families reached -
    families reached in the reference).  NaN when no additional family was reached.
    """
    extra = summary["burdened_reached_first_year"] - reference["burdened_reached_first_year"]
    if extra <= 0:
        return float("nan")
    return (summary["cost_total_eur"] - reference["cost_total_eur"]) / extra


def trimmed_mean(x: np.ndarray, cut: float = 0.1) -> float:
    """Mean after dropping the lowest and highest ``cut`` share (as in the NZFH survey)."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    if n == 0:
        return float("nan")
    k = int(np.floor(cut * n))
    core = x[k: n - k] if n - 2 * k > 0 else x
    return float(core.mean())
