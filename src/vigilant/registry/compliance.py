"""Compliance as of any day: a pure function of a registrant's facts and the rule set.

What it decides, from the rule version in force when each obligation arose (``rules.toml``):

* the order ends at its start plus 10 or 20 years (life never ends), or on a termination order's day; with
  several orders, the last end counts; no obligation falls on or after the end, and from that day the status
  is *order ended*;
* the first report is due ``initial_report_days`` after the first order starts, unless one was made;
* the annual report is due on each anniversary of the first report (29 February → 28 February in other
  years) and is acceptable from ``annual_window_days`` before to as many after; a completed report inside
  the window settles that anniversary; a later one settles it late;
* each change of main or secondary residence after the first report is due ``residence_change_days`` after
  the move, settled by the day the registrant reported it;
* *non-compliant* once any unsettled obligation's deadline has passed (the day after its last acceptable
  day); else *due soon* when the next due date is ``due_soon_days`` away or fewer; else *compliant*.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from vigilant.registry.models import OrderTerm
from vigilant.registry.rules import RuleSet


class Status(StrEnum):
    COMPLIANT = "compliant"
    DUE_SOON = "due_soon"
    NON_COMPLIANT = "non_compliant"
    ORDER_ENDED = "order_ended"


class ObligationKind(StrEnum):
    INITIAL_REPORT = "initial-report"
    ANNUAL_REPORT = "annual-report"
    RESIDENCE_CHANGE = "residence-change"


@dataclass(frozen=True)
class Order:
    term: OrderTerm
    starts_on: date
    terminated_on: date | None = None


@dataclass(frozen=True)
class ResidenceChange:
    """A main or secondary residence from ``valid_from``, and the day the registrant reported it."""

    valid_from: date
    reported_on: date | None
    address_id: int | None = None


@dataclass(frozen=True)
class Facts:
    """What compliance depends on, for one registrant. ``reports`` are the days of completed in-person
    reports."""

    orders: Sequence[Order]
    first_report_on: date | None = None
    reports: Sequence[date] = ()
    residences: Sequence[ResidenceChange] = ()


@dataclass(frozen=True)
class Obligation:
    kind: ObligationKind
    due_on: date  # the anniversary, or the last day to report a move or the first report
    opens_on: date  # the first acceptable day
    deadline: date  # the last acceptable day: non-compliant from the day after
    rule: str  # the id of the rule version that set it
    settled_on: date | None = None  # the report that settled it, if any (as of the day asked)

    @property
    def key(self) -> str:
        """What it is about, stable across sweeps: the kind and the day it arose."""
        return f"{self.kind.value}:{self.due_on.isoformat()}"


@dataclass(frozen=True)
class Compliance:
    as_of: date
    status: Status
    next_due: date | None
    rule: str | None  # the rule version (and obligation) that produced the status
    reason: str
    order_ends_on: date | None  # None: a life order
    obligations: tuple[Obligation, ...] = field(default=())

    @property
    def overdue(self) -> tuple[Obligation, ...]:
        return tuple(o for o in self.obligations if o.settled_on is None and o.deadline < self.as_of)


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February falls on 28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


_TERM_YEARS = {OrderTerm.TEN_YEARS: 10, OrderTerm.TWENTY_YEARS: 20}


def order_end(order: Order) -> date | None:
    """The first day the order no longer applies; None for a life order never terminated."""
    years = _TERM_YEARS.get(order.term)
    natural = add_years(order.starts_on, years) if years is not None else None
    if order.terminated_on is not None and (natural is None or order.terminated_on < natural):
        return order.terminated_on
    return natural


def registration_end(orders: Iterable[Order]) -> date | None:
    ends = [order_end(o) for o in orders]
    return None if any(e is None for e in ends) else max(e for e in ends if e is not None)


def _first_settling(reports: Sequence[date], start: date, as_of: date) -> date | None:
    """The first of the sorted ``reports`` from ``start`` to ``as_of``: a binary search, since a registrant
    of twenty years has twenty anniversaries to look up."""
    at = bisect_left(reports, start)
    return reports[at] if at < len(reports) and reports[at] <= as_of else None


def obligations(facts: Facts, rules: RuleSet, as_of: date) -> list[Obligation]:
    """Every obligation that arose before the order's end, up to and including the first one still ahead
    of ``as_of``; each marked with the report that settled it by ``as_of``."""
    if not facts.orders:
        return []
    start = min(o.starts_on for o in facts.orders)
    end = registration_end(facts.orders)
    reports = sorted(facts.reports)
    first = facts.first_report_on or (reports[0] if reports else None)
    found: list[Obligation] = []

    def before_end(day: date) -> bool:
        return end is None or day < end

    if first is None:
        rule = rules.at(start)
        due = start + timedelta(days=rule.initial_report_days)
        if before_end(start):
            found.append(Obligation(ObligationKind.INITIAL_REPORT, due, start, due, f"{rule.id}"))
        return found

    years = 1
    while True:
        anniversary = add_years(first, years)
        if not before_end(anniversary):
            break
        rule = rules.at(anniversary)
        window = timedelta(days=rule.annual_window_days)
        opens, deadline = anniversary - window, anniversary + window
        settled = _first_settling(reports, opens, as_of)
        found.append(Obligation(ObligationKind.ANNUAL_REPORT, anniversary, opens, deadline, rule.id, settled))
        if opens > as_of:
            break  # the first one ahead: enough to say what is next
        years += 1

    for move in facts.residences:
        if move.valid_from <= first or move.valid_from > as_of or not before_end(move.valid_from):
            continue  # reported with the first report, not yet happened, or after the order
        rule = rules.at(move.valid_from)
        deadline = move.valid_from + timedelta(days=rule.residence_change_days)
        settled = move.reported_on if move.reported_on is not None and move.reported_on <= as_of else None
        found.append(
            Obligation(ObligationKind.RESIDENCE_CHANGE, deadline, move.valid_from, deadline, rule.id, settled)
        )
    return sorted(found, key=lambda o: (o.due_on, o.kind.value))


def compliance(facts: Facts, rules: RuleSet, as_of: date) -> Compliance:
    """The registrant's status as of ``as_of``, the next due date, and the rule that produced them."""
    end = registration_end(facts.orders)
    if not facts.orders:
        return Compliance(as_of, Status.ORDER_ENDED, None, None, "no order on record", None)
    if end is not None and as_of >= end:
        rule = rules.at(end)
        return Compliance(as_of, Status.ORDER_ENDED, None, f"{rule.id}/order-end", f"order ended {end}", end)
    found = tuple(obligations(facts, rules, as_of))
    open_ = [o for o in found if o.settled_on is None]
    overdue = [o for o in open_ if o.deadline < as_of]
    if overdue:
        first = overdue[0]
        return Compliance(
            as_of, Status.NON_COMPLIANT, first.due_on, f"{first.rule}/{first.kind.value}",
            f"{first.kind.value} due {first.due_on}, last day {first.deadline}, not made", end, found,
        )  # fmt: skip
    if not open_:
        return Compliance(
            as_of, Status.COMPLIANT, None, None, "nothing due before the order ends", end, found
        )
    upcoming = open_[0]
    soon = rules.at(upcoming.due_on).due_soon_days
    status = Status.DUE_SOON if (upcoming.due_on - as_of).days <= soon else Status.COMPLIANT
    reason = (
        f"{upcoming.kind.value} due {upcoming.due_on} (acceptable {upcoming.opens_on} to {upcoming.deadline})"
    )
    return Compliance(
        as_of, status, upcoming.due_on, f"{upcoming.rule}/{upcoming.kind.value}", reason, end, found
    )
