"""Funding regimes generate streams; positions follow their money."""

import pytest

from kooperationssim.funding import (
    FundingStream,
    allocate_year,
    generate_streams,
    planned_positions,
    position_contracts,
)
from kooperationssim.scenario import resolve


def _fte(p, year):
    return allocate_year(generate_streams(p), year, p).coordinator_fte


def test_planned_positions():
    assert planned_positions(0.0) == []
    assert planned_positions(0.5) == [0.5]
    assert planned_positions(3.0) == [1.0, 1.0, 1.0]
    assert planned_positions(2.25) == [1.0, 1.0, 0.25]


@pytest.mark.parametrize(
    "regime,years",
    [
        ("permanent", [1, 1, 1, 1, 1, 1]),
        ("project", [1, 1, 1, 0, 0, 0]),
        ("project_then_municipal", [1, 1, 1, 1, 1, 1]),
        ("foundation_gap_municipal", [1, 1, 0, 1, 1, 1]),
    ],
)
def test_regimes_fund_the_planned_fte_when_they_should(regime, years):
    p = resolve({"funding_regime": regime, "coordinator_fte": 1.5})
    got = [_fte(p, y) for y in range(6)]
    assert got == pytest.approx([1.5 * y for y in years])


def test_contract_types_follow_the_money():
    p = resolve({"funding_regime": "project_then_municipal", "coordinator_fte": 1.0})
    streams = generate_streams(p)
    c0 = position_contracts([1.0], allocate_year(streams, 0, p))
    c5 = position_contracts([1.0], allocate_year(streams, 5, p))
    assert c0 == [(1.0, "project", 2)]
    assert c5 == [(1.0, "permanent", None)]


def test_underfunding_shrinks_positions():
    p = resolve({"coordinator_fte": 2.0, "funding_amount_factor": 0.6})
    fund = allocate_year(generate_streams(p), 0, p)
    assert fund.coordinator_fte == pytest.approx(1.2)
    assert position_contracts([1.0, 1.0], fund) == [
        (1.0, "permanent", None), (pytest.approx(0.2), "permanent", None)]


def test_cofunding_share_is_paid_by_the_municipality():
    p = resolve({"coordinator_fte": 1.0, "funding_regime": "custom"}, [
        {"name": "Land", "source": "land", "eur_per_year": 60000, "cofunding_share": 0.25,
         "pays_for": ["coordinator"]}])
    fund = allocate_year(p["funding_streams"], 0, p)
    # the stream pays 60k, i.e. 75 % of 80k; the municipality adds the rest
    assert fund.coordinator_fte == pytest.approx(1.0)
    from kooperationssim.params import FUNDING_SOURCES, FUNDING_USES

    row = fund.shares[FUNDING_USES.index("coordinator")]
    assert row[FUNDING_SOURCES.index("land")] == pytest.approx(0.75)
    assert row[FUNDING_SOURCES.index("municipality")] == pytest.approx(0.25)


def test_stream_activity_window():
    s = FundingStream("x", "land", 1.0, 2, 4)
    assert [s.active(y) for y in range(6)] == [False, False, True, True, True, False]
    assert FundingStream("y", "municipality", 1.0, 1, None).active(99)
