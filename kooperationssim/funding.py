"""Funding streams: who pays for coordinator positions and measures, and when.

Positions follow their money.  A scenario either chooses a *funding regime* (a lever
that generates streams sized to what the planned positions and measures cost) or
lists custom streams (``funding_regime = "custom"`` with ``[[funding_streams]]``).

At every year boundary :func:`allocate_year` splits the money of the streams active
in that year over the uses in priority order (coordinator, Lotsendienst,
compensation, MFA training).  Money from an open-ended stream pays permanent
positions (Dauerstelle); money from a stream with an end year pays project positions
whose contract ends with the stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .params import FUNDING_SOURCES, FUNDING_USES
from .rules import minutes

__all__ = [
    "FundingStream",
    "YearFunding",
    "planned_positions",
    "needs_eur_per_year",
    "generate_streams",
    "allocate_year",
    "position_contracts",
    "YearMeasures",
    "year_measures",
    "coordinator_accounts",
    "meeting_reserve_per_district",
]


@dataclass(frozen=True)
class FundingStream:
    """One funding stream: who pays, how much, when, and for what.

    Attributes:
        name: Label of the stream.
        source: Who pays (see :data:`kooperationssim.params.FUNDING_SOURCES`).
        eur_per_year: Money the stream itself pays per year.
        start_year: First simulation year (0-based) in which it pays.
        end_year: Last simulation year (inclusive) in which it pays; ``None`` = open-ended.
        cofunding_share: Share of the total cost the municipality must add (Eigenanteil).
        pays_for: Uses the money may be spent on.
    """

    name: str
    source: str
    eur_per_year: float
    start_year: int
    end_year: int | None
    cofunding_share: float = 0.0
    pays_for: tuple[str, ...] = field(default=("coordinator",))

    def active(self, year: int) -> bool:
        """Whether the stream pays in simulation year ``year``."""
        return self.start_year <= year and (self.end_year is None or year <= self.end_year)

    @property
    def open_ended(self) -> bool:
        """Whether the stream has no end year (money for a permanent position)."""
        return self.end_year is None

    @property
    def total_eur_per_year(self) -> float:
        """Cost the stream covers per year including the municipal co-funding share."""
        return self.eur_per_year / (1.0 - self.cofunding_share)

    def to_json(self) -> dict[str, Any]:
        """Describe the stream as a JSON-serialisable dict."""
        return {
            "name": self.name,
            "source": self.source,
            "eur_per_year": self.eur_per_year,
            "start_year": self.start_year,
            "end_year": self.end_year,
            "cofunding_share": self.cofunding_share,
            "pays_for": list(self.pays_for),
        }


def planned_positions(coordinator_fte: float) -> list[float]:
    """Split planned coordinator FTE into positions of at most one FTE each.

    >>> planned_positions(2.25)
    [1.0, 1.0, 0.25]
    """
    n_full = int(math.floor(coordinator_fte + 1e-9))
    rest = round(coordinator_fte - n_full, 9)
    return [1.0] * n_full + ([rest] if rest > 1e-9 else [])


def n_districts(params: dict[str, Any]) -> int:
    """Number of social districts (Sozialräume) of the municipality."""
    return max(1, int(round(params["births_per_year"] / params["births_per_district"])))


def max_sessions_per_year(params: dict[str, Any]) -> float:
    """Upper bound of compensable meeting sessions per physician and year."""
    s = 0.0
    for f in ("quality_circle", "round_table"):
        iv = params[f"{f}_interval_weeks"]
        if iv > 0:
            s += math.ceil(52 / iv)
    return s


def needs_eur_per_year(params: dict[str, Any]) -> dict[str, float]:
    """What the planned positions and measures cost per year, by use."""
    n_phys = params["n_pediatric_practices"] + params["n_gynecology_practices"]
    return {
        "coordinator": params["coordinator_fte"] * params["coordinator_cost_eur_per_fte_year"],
        "lotsendienst": lotsendienst_fte_needed(params) * params["lotsin_cost_eur_per_fte_year"],
        "compensation": (
            n_phys * max_sessions_per_year(params) * params["compensation_eur_per_session"]
            if params["physician_compensation"]
            else 0.0
        ),
        "mfa_training": (
            params["mfa_training_coverage"] * n_phys * params["mfa_training_cost_eur"]
        ),
    }


def lotsendienst_fte_needed(params: dict[str, Any]) -> float:
    """FTE the Lotsendienst needs for its coverage under the staffing norm."""
    return (
        params["lotsendienst_coverage"]
        * params["births_per_year"]
        * params["clinic_birth_share"]
        / 1000.0
        * params["lotsendienst_fte_per_1000_births"]
    )


#: Uses whose money buys positions (budgeted); the others are paid as they are incurred.
POSITION_USES = ("coordinator", "lotsendienst")


def generate_streams(params: dict[str, Any]) -> list[FundingStream]:
    """Return the funding streams of a scenario.

    For ``funding_regime = "custom"`` these are the scenario's own streams.  Otherwise one
    stream per use and funding phase is generated: streams for positions (coordinator,
    Lotsendienst) pay ``funding_amount_factor`` times what the planned positions cost;
    streams for compensation and MFA training pay what is incurred (their amount is the
    yearly estimate of the need).
    """
    regime = params["funding_regime"]
    if regime == "custom":
        return list(params["funding_streams"])
    needs = needs_eur_per_year(params)
    factor = params["funding_amount_factor"]
    y0 = params["funding_start_year"]
    py = params["funding_project_years"]
    src = params["funding_project_source"]
    if regime == "permanent":
        phases = [("municipal", "municipality", y0, None)]
    elif regime == "project":
        phases = [("project", src, y0, y0 + py - 1)]
    elif regime == "project_then_municipal":
        phases = [("project", src, y0, y0 + py - 1),
                  ("municipal follow-up", "municipality", y0 + py, None)]
    elif regime == "foundation_gap_municipal":
        fy = params["funding_foundation_years"]
        gy = params["funding_gap_years"]
        phases = [("foundation", "foundation", y0, y0 + fy - 1),
                  ("municipal", "municipality", y0 + fy + gy, None)]
    else:
        raise ValueError(f"unknown funding_regime {regime!r}")
    streams = []
    for name, source, start, end in phases:
        for use in FUNDING_USES:
            if needs[use] <= 0:
                continue
            amount = needs[use] * (factor if use in POSITION_USES else 1.0)
            streams.append(FundingStream(f"{name}: {use}", source, amount, start, end, 0.0,
                                         (use,)))
    return streams



@dataclass
class YearFunding:
    """Money available in one simulation year, split by use.

    Attributes:
        year: Simulation year.
        coordinator_segments: ``(fte, open_ended, end_year)`` blocks of funded coordinator
            FTE, permanent money first.
        lotsendienst_fte: Funded Lotsendienst FTE.
        compensation: Whether some stream pays physicians' compensation this year.
        mfa_training: Whether some stream pays MFA training this year.
        shares: (4, 5) array: the share of each source (columns, in ``FUNDING_SOURCES``
            order) in the cost of each use (rows, in ``FUNDING_USES`` order); co-funding
            goes to the municipality.
    """

    year: int
    coordinator_segments: list[tuple[float, bool, int | None]]
    lotsendienst_fte: float
    compensation: bool
    mfa_training: bool
    shares: np.ndarray

    @property
    def coordinator_fte(self) -> float:
        """Total funded coordinator FTE."""
        return sum(s[0] for s in self.coordinator_segments)


def _stream_order(s: FundingStream) -> tuple[int, int]:
    # open-ended money first (it pays permanent positions), then the longest-running
    return (0 if s.open_ended else 1, -(s.end_year if s.end_year is not None else 0))


def allocate_year(
    streams: list[FundingStream], year: int, params: dict[str, Any]
) -> YearFunding:
    """Split the money of the streams active in ``year`` over the uses.

    Each stream's total (including the co-funding share) is spent on its uses in the
    order coordinator, Lotsendienst, compensation, MFA training, up to what each use
    needs; coordinator money is converted into FTE at the cost per FTE.
    """
    needs = needs_eur_per_year(params)
    remaining_need = dict(needs)
    active = sorted((s for s in streams if s.active(year)), key=_stream_order)
    segments: list[tuple[float, bool, int | None]] = []
    paid: dict[str, list[tuple[FundingStream, float]]] = {u: [] for u in FUNDING_USES}
    for s in active:
        budget = s.total_eur_per_year
        for use in FUNDING_USES:
            if use not in s.pays_for or budget <= 0:
                continue
            if use in ("compensation", "mfa_training"):
                # paid as incurred; a stream that pays for it covers it in full
                if s.eur_per_year > 0 and not paid[use]:
                    paid[use].append((s, 1.0))
                continue
            take = min(budget, remaining_need[use])
            if take <= 0:
                continue
            budget -= take
            remaining_need[use] -= take
            paid[use].append((s, take))
            if use == "coordinator":
                fte = take / params["coordinator_cost_eur_per_fte_year"]
                segments.append((fte, s.open_ended, s.end_year))
    lots_fte = 0.0
    if params["lotsin_cost_eur_per_fte_year"] > 0:
        lots_fte = sum(t for _, t in paid["lotsendienst"]) / params["lotsin_cost_eur_per_fte_year"]
    shares = np.zeros((len(FUNDING_USES), len(FUNDING_SOURCES)))
    muni = FUNDING_SOURCES.index("municipality")
    for ui, use in enumerate(FUNDING_USES):
        lst = paid[use]
        total = sum(t for _, t in lst)
        for s, t in lst:
            share = t / total if total > 0 else 0.0
            shares[ui, FUNDING_SOURCES.index(s.source)] += share * (1.0 - s.cofunding_share)
            if s.cofunding_share > 0:
                shares[ui, muni] += share * s.cofunding_share
    return YearFunding(
        year=year,
        coordinator_segments=segments,
        lotsendienst_fte=lots_fte,
        compensation=bool(paid["compensation"]),
        mfa_training=bool(paid["mfa_training"]),
        shares=shares,
    )


def position_contracts(
    planned: list[float], funding: YearFunding
) -> list[tuple[float, str | None, int | None]]:
    """Assign funded FTE to planned positions in slot order.

    Returns, for each planned position, ``(funded_fte, contract, end_year)`` where contract
    is ``"permanent"``, ``"project"`` or ``None`` (closed).  A position funded partly by
    project money counts as a project position (its future is insecure).
    """
    segs = [list(s) for s in funding.coordinator_segments]
    out: list[tuple[float, str | None, int | None]] = []
    si = 0
    for want in planned:
        got = 0.0
        permanent = True
        end: int | None = None
        while got < want - 1e-9 and si < len(segs):
            fte, open_ended, end_year = segs[si]
            take = min(fte, want - got)
            got += take
            if not open_ended:
                permanent = False
                end = end_year if end is None else min(end, end_year)
            segs[si][0] = fte - take
            if segs[si][0] <= 1e-9:
                si += 1
        got = round(got, 9)
        if got <= 1e-9:
            out.append((0.0, None, None))
        else:
            out.append((got, "permanent" if permanent else "project", None if permanent else end))
    return out


# ---------------------------------------------------------------------------
# what a year's money buys (shared by both engines)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class YearMeasures:
    """The measures a year's funding makes available.

    Attributes:
        lotsendienst_coverage: Share of clinic births the Lotsendienst covers: the wanted
            coverage scaled by the funded share of the FTE it needs.
        lotsin_capacity: Weekly minutes of the Lotsendienst.
        compensation: Whether physicians are compensated for quality circles and round
            tables (wanted and paid for).
        mfa_practices: How many of the first physician practices (in slot order) have a
            trained MFA after this year's training (0 if training is not paid for).
    """

    lotsendienst_coverage: float
    lotsin_capacity: int
    compensation: bool
    mfa_practices: int


def year_measures(fund: YearFunding, params: dict[str, Any], n_physician_practices: int
                  ) -> YearMeasures:
    """What ``fund`` buys under ``params`` (see :class:`YearMeasures`)."""
    need = lotsendienst_fte_needed(params)
    ratio = min(1.0, fund.lotsendienst_fte / need) if need > 0 else 0.0
    cov = params["mfa_training_coverage"]
    return YearMeasures(
        lotsendienst_coverage=params["lotsendienst_coverage"] * ratio,
        lotsin_capacity=minutes(fund.lotsendienst_fte * params["full_time_hours_per_week"]),
        compensation=bool(params["physician_compensation"] and fund.compensation),
        mfa_practices=(int(round(cov * n_physician_practices))
                       if fund.mfa_training and cov > 0 else 0),
    )


def coordinator_accounts(fte, params: dict[str, Any]):
    """Minute accounts of coordinator positions with ``fte`` funded FTE.

    Returns ``(weekly, cap, case_weekly, case_cap)``: the weekly minutes for cooperation
    work and the most that account may hold, and the same for case clearing.  Works for
    scalars and, elementwise, for arrays (``params`` values broadcastable with ``fte``).
    """
    hours = fte * params["full_time_hours_per_week"]
    flex = 1.0 - params["coordinator_other_duties_share"] - params["coordinator_case_share"]
    weekly = minutes(hours * flex)
    case_weekly = minutes(hours * params["coordinator_case_share"])
    bank_weeks = params["hours_bank_weeks"]
    return weekly, weekly * bank_weeks, case_weekly, case_weekly * bank_weeks


def meeting_reserve_per_district(params: dict[str, Any], formats) -> Any:
    """Minutes a coordinator keeps free per district for preparing and holding meetings.

    Every active format (interval above 0) reserves ``meeting_prep_hours`` plus its own
    duration.  Scalars or, elementwise, arrays.
    """
    return sum((params[f"{f}_interval_weeks"] > 0)
               * (minutes(params["meeting_prep_hours"]) + minutes(params[f"{f}_hours"]))
               for f in formats)
