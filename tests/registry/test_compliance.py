"""Compliance as of exact days: window edges, leap days, residence changes, order ends, rule versions."""

from __future__ import annotations

from datetime import date

import pytest

from vigilant.registry.compliance import (
    Facts,
    ObligationKind,
    Order,
    ResidenceChange,
    Status,
    add_years,
    compliance,
    order_end,
)
from vigilant.registry.models import OrderTerm, Regime
from vigilant.registry.rules import rule_set

FEDERAL = rule_set(Regime.FEDERAL)
ONTARIO = rule_set(Regime.ONTARIO)
TEN = Order(OrderTerm.TEN_YEARS, date(2020, 3, 10))


def _facts(*reports: date, first: date = date(2020, 3, 10), orders: tuple[Order, ...] = (TEN,)) -> Facts:
    return Facts(orders=orders, first_report_on=first, reports=(first, *reports))


def test_leap_day_anniversaries_fall_on_28_february() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    facts = _facts(first=date(2024, 2, 29), orders=(Order(OrderTerm.LIFE, date(2024, 2, 1)),))
    state = compliance(facts, FEDERAL, date(2025, 1, 1))
    assert state.next_due == date(2025, 2, 28)
    assert state.status is Status.COMPLIANT  # 58 days ahead


@pytest.mark.parametrize(
    ("report", "settled"),
    [
        (date(2021, 2, 22), False),  # 16 days before the anniversary: too early
        (date(2021, 2, 23), True),  # 15 days before: the window's first day
        (date(2021, 3, 25), True),  # 15 days after: its last day
    ],
)
def test_a_report_inside_the_window_settles_the_anniversary(report: date, settled: bool) -> None:
    state = compliance(_facts(report), FEDERAL, date(2021, 3, 25))
    annual = next(o for o in state.obligations if o.kind is ObligationKind.ANNUAL_REPORT)
    assert annual.due_on == date(2021, 3, 10)
    assert (annual.settled_on == report) is settled
    assert state.status is (Status.DUE_SOON if not settled else Status.COMPLIANT)


def test_non_compliant_from_the_day_after_the_window_closes() -> None:
    assert compliance(_facts(), FEDERAL, date(2021, 3, 25)).status is Status.DUE_SOON
    late = compliance(_facts(), FEDERAL, date(2021, 3, 26))
    assert late.status is Status.NON_COMPLIANT
    assert late.next_due == date(2021, 3, 10)
    assert late.rule == "federal-2011/annual-report"


def test_a_late_report_settles_the_missed_anniversary() -> None:
    assert compliance(_facts(date(2021, 4, 2)), FEDERAL, date(2021, 4, 3)).status is Status.COMPLIANT


def test_due_soon_at_30_days_compliant_at_31() -> None:
    assert compliance(_facts(), FEDERAL, date(2021, 2, 8)).status is Status.DUE_SOON  # 30 days ahead
    state = compliance(_facts(), FEDERAL, date(2021, 2, 7))  # 31 days ahead
    assert (state.status, state.next_due) == (Status.COMPLIANT, date(2021, 3, 10))


def test_a_move_is_reported_within_7_days_federally_and_15_in_ontario() -> None:
    moved = Facts(
        orders=(TEN,),
        first_report_on=date(2020, 3, 10),
        reports=(date(2020, 3, 10),),
        residences=(ResidenceChange(date(2020, 6, 1), reported_on=None),),
    )
    assert compliance(moved, FEDERAL, date(2020, 6, 8)).status is Status.DUE_SOON  # last day: 8 June
    federal = compliance(moved, FEDERAL, date(2020, 6, 9))
    assert (federal.status, federal.rule) == (Status.NON_COMPLIANT, "federal-2011/residence-change")
    ontario = compliance(moved, ONTARIO, date(2020, 6, 9))
    assert (ontario.status, ontario.next_due) == (Status.DUE_SOON, date(2020, 6, 16))
    assert compliance(moved, ONTARIO, date(2020, 6, 17)).status is Status.NON_COMPLIANT
    reported = Facts(
        orders=moved.orders,
        first_report_on=moved.first_report_on,
        reports=moved.reports,
        residences=(ResidenceChange(date(2020, 6, 1), reported_on=date(2020, 6, 5)),),
    )
    assert compliance(reported, FEDERAL, date(2020, 6, 9)).status is Status.COMPLIANT


def test_the_rule_in_force_on_the_day_of_the_move_decides() -> None:
    before_2011 = Facts(
        orders=(Order(OrderTerm.LIFE, date(2008, 1, 1)),),
        first_report_on=date(2008, 1, 5),
        reports=(date(2008, 1, 5), date(2009, 1, 5), date(2010, 1, 5), date(2011, 1, 5)),
        residences=(ResidenceChange(date(2010, 6, 1), reported_on=date(2010, 6, 14)),),
    )  # 13 days: within SOIRA's 15 as enacted, too late under the 2011 amendment's 7
    state = compliance(before_2011, FEDERAL, date(2011, 2, 1))
    move = next(o for o in state.obligations if o.kind is ObligationKind.RESIDENCE_CHANGE)
    assert (move.rule, move.deadline, move.settled_on) == (
        "federal-2004",
        date(2010, 6, 16),
        date(2010, 6, 14),
    )
    assert state.status is Status.COMPLIANT


def test_an_order_ends_at_start_plus_term_and_nothing_falls_on_its_end() -> None:
    assert order_end(TEN) == date(2030, 3, 10)
    assert order_end(Order(OrderTerm.TEN_YEARS, date(2004, 2, 29))) == date(2014, 2, 28)
    assert order_end(Order(OrderTerm.LIFE, date(2004, 2, 29))) is None
    # The tenth anniversary is the order's end day: no report is due on it.
    reports = tuple(add_years(date(2020, 3, 10), n) for n in range(1, 10))
    state = compliance(_facts(*reports), FEDERAL, date(2030, 1, 1))
    assert state.next_due is None
    assert state.status is Status.COMPLIANT
    assert compliance(_facts(), FEDERAL, date(2030, 3, 9)).status is Status.NON_COMPLIANT
    ended = compliance(_facts(), FEDERAL, date(2030, 3, 10))
    assert (ended.status, ended.next_due, ended.order_ends_on) == (
        Status.ORDER_ENDED,
        None,
        date(2030, 3, 10),
    )


def test_a_life_order_never_ends_and_a_later_order_extends() -> None:
    orders = (TEN, Order(OrderTerm.LIFE, date(2025, 1, 1)))
    state = compliance(_facts(first=date(2020, 3, 10), orders=orders), FEDERAL, date(2060, 3, 1))
    assert state.status is Status.NON_COMPLIANT
    assert state.order_ends_on is None
    terminated = (Order(OrderTerm.LIFE, date(2020, 3, 10), terminated_on=date(2022, 1, 1)),)
    assert compliance(_facts(orders=terminated), FEDERAL, date(2022, 1, 1)).status is Status.ORDER_ENDED


def test_the_first_report_is_due_7_days_after_the_order_starts() -> None:
    fresh = Facts(orders=(Order(OrderTerm.TEN_YEARS, date(2026, 1, 1)),))
    assert compliance(fresh, FEDERAL, date(2026, 1, 8)).next_due == date(2026, 1, 8)
    assert compliance(fresh, FEDERAL, date(2026, 1, 9)).status is Status.NON_COMPLIANT
    reported = Facts(orders=fresh.orders, reports=(date(2026, 1, 5),))
    assert compliance(reported, FEDERAL, date(2026, 1, 9)).next_due == date(2027, 1, 5)
