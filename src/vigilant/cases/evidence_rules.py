"""The cases' rules the evidence service applies: which items a caller sees, which agencies and cases exist.

Given to :class:`vigilant.evidence.service.EvidenceService` by whoever builds it (the evidence package sits
below the cases, which link its items to seizures, so it cannot import them).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from vigilant.cases.access import item_visible, shared_case_numbers
from vigilant.cases.agencies import agency_by_ref
from vigilant.cases.models import AgencyRow, CaseRow
from vigilant.evidence.models import EvidenceItemRow
from vigilant.evidence.service import AgencyRef, EvidenceService
from vigilant.security.rights import Actor
from vigilant.store import Database


class CaseEvidenceRules:
    """:class:`vigilant.evidence.service.CaseRules` as the cases define them."""

    def visible(self, actor: Actor) -> ColumnElement[bool]:
        return item_visible(actor)

    def ambiguous(self) -> ColumnElement[bool]:
        return and_(
            EvidenceItemRow.agency_id.is_(None), EvidenceItemRow.case_number.in_(shared_case_numbers())
        )

    def agency(self, s: Session, ref: str | int) -> AgencyRef:
        row = agency_by_ref(s, ref)
        return AgencyRef(row.id, row.short_name)

    def agency_name(self, s: Session, agency_id: int) -> str | None:
        row = s.get(AgencyRow, agency_id)
        return row.short_name if row is not None else None

    def case_exists(self, s: Session, number: str, agency_id: int | None) -> bool:
        query = select(CaseRow.id).where(CaseRow.number == number)
        if agency_id is not None:
            query = query.where(CaseRow.agency_id == agency_id)
        return s.execute(query.limit(1)).first() is not None

    def agency_names(self, db: Database, item_ids: list[int] | None = None) -> dict[int, str]:
        return agency_names(db, item_ids)


def agency_names(db: Database, item_ids: list[int] | None = None) -> dict[int, str]:
    """For each item (of ``item_ids``; None: all) that records one, the short name of the agency whose case
    number it carries."""
    if item_ids is not None and not item_ids:
        return {}
    query = select(EvidenceItemRow.id, AgencyRow.short_name).join(
        AgencyRow, AgencyRow.id == EvidenceItemRow.agency_id
    )
    if item_ids is not None:
        query = query.where(EvidenceItemRow.id.in_(item_ids))
    with db.session() as s:
        return {row[0]: row[1] for row in s.execute(query)}


def evidence_service(db: Database) -> EvidenceService:
    """The evidence service with the cases' rules: what every face uses."""
    return EvidenceService(db, CaseEvidenceRules())
