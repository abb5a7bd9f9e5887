"""Loading what compliance depends on, for many registrants in a few queries (the sweep reads 10^6)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.registry.compliance import Facts, Order, ResidenceChange
from vigilant.registry.models import (
    RESIDENCES,
    OrderTerm,
    RegistrantAddressRow,
    RegistrantOrderRow,
    RegistrantReportRow,
    RegistrantRow,
    ReportOutcome,
)


def load_facts(s: Session, registrant_ids: Sequence[int]) -> dict[int, Facts]:
    """Each registrant's facts; registrants without rows of a kind get empty lists."""
    ids = list(registrant_ids)
    query = select(RegistrantRow.id, RegistrantRow.first_report_on).where(RegistrantRow.id.in_(ids))
    first: dict[int, date | None] = dict(s.execute(query).all())
    orders: dict[int, list[Order]] = defaultdict(list)
    for rid, term, starts, terminated in s.execute(
        select(
            RegistrantOrderRow.registrant_id,
            RegistrantOrderRow.term,
            RegistrantOrderRow.starts_on,
            RegistrantOrderRow.terminated_on,
        ).where(RegistrantOrderRow.registrant_id.in_(ids))
    ):
        orders[rid].append(Order(OrderTerm(term), starts, terminated))
    reports: dict[int, list[date]] = defaultdict(list)
    for rid, day in s.execute(
        select(RegistrantReportRow.registrant_id, RegistrantReportRow.reported_on).where(
            RegistrantReportRow.registrant_id.in_(ids),
            RegistrantReportRow.outcome == ReportOutcome.COMPLETED.value,
        )
    ):
        reports[rid].append(day)
    moves: dict[int, list[ResidenceChange]] = defaultdict(list)
    for rid, aid, valid_from, reported in s.execute(
        select(
            RegistrantAddressRow.registrant_id,
            RegistrantAddressRow.id,
            RegistrantAddressRow.valid_from,
            RegistrantAddressRow.reported_on,
        ).where(
            RegistrantAddressRow.registrant_id.in_(ids),
            RegistrantAddressRow.kind.in_([k.value for k in RESIDENCES]),
        )
    ):
        moves[rid].append(ResidenceChange(valid_from, reported, aid))
    return {
        rid: Facts(
            orders=tuple(orders[rid]),
            first_report_on=first_day,
            reports=tuple(sorted(reports[rid])),
            residences=tuple(moves[rid]),
        )
        for rid, first_day in first.items()
    }
