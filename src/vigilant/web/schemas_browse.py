"""Bodies for browsing: an operation's detail and a page of persons found by a search."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from vigilant.cases.models import AgencyRow
from vigilant.cases.operation_view import OperationDetail
from vigilant.cases.person_search import PersonHit
from vigilant.web.schemas import CaseOut, FiguresOut, OperationOut, PersonCaseOut, PersonOut


class AgencyOut(BaseModel):
    id: int
    name: str
    short_name: str
    province: str
    municipalities: list[str]

    @classmethod
    def of(cls, row: AgencyRow) -> AgencyOut:
        return cls(
            id=row.id,
            name=row.name,
            short_name=row.short_name,
            province=row.province,
            municipalities=list(row.municipalities or []),
        )


class OperationDetailOut(BaseModel):
    operation: OperationOut
    coordinating_agency: AgencyOut
    agencies: list[AgencyOut]
    figures: FiguresOut
    cases: list[CaseOut] | None  # None: the caller's role reads no cases
    more_cases: bool

    @classmethod
    def of(cls, detail: OperationDetail, figures: FiguresOut) -> OperationDetailOut:
        return cls(
            operation=OperationOut.of(detail.operation),
            coordinating_agency=AgencyOut.of(detail.coordinator),
            agencies=[AgencyOut.of(a) for a in detail.agencies],
            figures=figures,
            cases=None if detail.cases is None else [CaseOut.of(c) for c in detail.cases],
            more_cases=detail.more_cases,
        )


class PersonFoundOut(PersonOut):
    cases: list[PersonCaseOut]  # roles in the cases the caller may see

    @classmethod
    def of_hit(cls, hit: PersonHit, today: date) -> PersonFoundOut:
        roles = [PersonCaseOut(case_id=r.case_id, number=r.number, role=r.role) for r in hit.roles]
        return cls(**PersonOut.of(hit.person, today).model_dump(), cases=roles)


class PersonSearchOut(BaseModel):
    persons: list[PersonFoundOut]
    page: int
    page_size: int
    more: bool  # another page follows
