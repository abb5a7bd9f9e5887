"""Operations as pages and the API show them: who coordinates, which agencies take part, and the cases of
the operation the caller may open.

Only operations the caller's agency takes part in are listed or opened (:func:`operation_by_ref`); the
agency directory is public within the platform, the cases are filtered by :func:`case_visible` and their
read is audited like any case listing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from vigilant.cases.access import OPERATIONS_READ, READ, agency_of, audit, case_visible
from vigilant.cases.models import AgencyRow, CaseRow, OperationAgencyRow, OperationRow
from vigilant.cases.operations import operation_by_ref
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Actor, require
from vigilant.store import Database

CASE_LIMIT = 500


@dataclass(frozen=True)
class OperationSummary:
    operation: OperationRow
    coordinator: AgencyRow
    participants: int  # agencies taking part, the coordinator included


@dataclass(frozen=True)
class OperationDetail:
    """An operation the caller's agency takes part in; ``cases`` is ``None`` where the role reads no cases."""

    operation: OperationRow
    coordinator: AgencyRow
    agencies: Sequence[AgencyRow]  # participating agencies, by short name
    cases: Sequence[CaseRow] | None  # visible cases of the operation, newest first, at most CASE_LIMIT
    more_cases: bool


def operation_summaries(db: Database, actor: Actor) -> list[OperationSummary]:
    """The operations the caller's agency takes part in, earliest start first."""
    require(actor, OPERATIONS_READ)
    mine = select(OperationAgencyRow.operation_id).where(OperationAgencyRow.agency_id == agency_of(actor))
    counted = (
        select(OperationAgencyRow.operation_id, func.count().label("n"))
        .group_by(OperationAgencyRow.operation_id)
        .subquery()
    )
    query = (
        select(OperationRow, AgencyRow, counted.c.n)
        .join(AgencyRow, AgencyRow.id == OperationRow.coordinating_agency_id)
        .join(counted, counted.c.operation_id == OperationRow.id)
        .where(OperationRow.id.in_(mine))
        .order_by(OperationRow.starts_on, OperationRow.code)
    )
    with db.session() as s:
        return [OperationSummary(op, agency, int(n)) for op, agency, n in s.execute(query)]


def operation_detail(db: Database, actor: Actor, ref: str | int) -> OperationDetail:
    """One operation with its agencies and the cases of it the caller may see (that read is audited)."""
    require(actor, OPERATIONS_READ)
    with db.session() as s:
        op = operation_by_ref(s, actor, ref)
        ids = [p.agency_id for p in op.participants]
        agencies = list(
            s.scalars(select(AgencyRow).where(AgencyRow.id.in_(ids)).order_by(AgencyRow.short_name))
        )
        coordinator = s.get_one(AgencyRow, op.coordinating_agency_id)
        cases: list[CaseRow] | None = None
        more = False
        if actor.may(READ):
            query = (
                select(CaseRow)
                .where(CaseRow.operation_id == op.id, case_visible(actor))
                .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc())
                .limit(CASE_LIMIT + 1)
            )
            found = list(s.scalars(query))
            cases, more = found[:CASE_LIMIT], len(found) > CASE_LIMIT
            audit(s, actor, RecordRead, object_type="case", query=f"operation:{op.code}", records=len(cases))
        return OperationDetail(op, coordinator, agencies, cases, more)
