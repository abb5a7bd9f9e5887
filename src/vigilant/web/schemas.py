"""The API's request and response bodies (pydantic), built from the services' records."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vigilant.cases.figures import OperationFigures
from vigilant.cases.models import CaseRow, Distribution, OperationRow
from vigilant.library.records import HashSetInfo
from vigilant.library.service import LookupResult
from vigilant.security.audit import AuditRecord
from vigilant.security.rights import Actor


class ErrorOut(BaseModel):
    error: str
    hint: str | None = None


class MeOut(BaseModel):
    user_id: int | None
    username: str
    agency_id: int | None
    roles: list[str]
    permissions: list[str]

    @classmethod
    def of(cls, actor: Actor) -> MeOut:
        return cls(
            user_id=actor.user_id,
            username=actor.username,
            agency_id=actor.agency_id,
            roles=sorted(actor.roles),
            permissions=sorted(actor.permissions),
        )


class CaseOut(BaseModel):
    id: int
    agency_id: int
    number: str
    title: str
    operation_id: int | None
    distribution: str
    status: str
    opened_at: datetime

    @classmethod
    def of(cls, row: CaseRow) -> CaseOut:
        return cls(
            id=row.id,
            agency_id=row.agency_id,
            number=row.number,
            title=row.title,
            operation_id=row.operation_id,
            distribution=row.distribution,
            status=row.status,
            opened_at=row.opened_at,
        )


class CaseList(BaseModel):
    cases: list[CaseOut]
    offset: int
    limit: int
    more: bool  # another page follows


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    operation: str | None = Field(default=None, description="operation code or id")
    distribution: Distribution = Distribution.AGENCY_ONLY


class OperationOut(BaseModel):
    id: int
    code: str
    name: str
    starts_on: date
    ends_on: date | None
    coordinating_agency_id: int
    participants: list[int]

    @classmethod
    def of(cls, row: OperationRow) -> OperationOut:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            coordinating_agency_id=row.coordinating_agency_id,
            participants=sorted(p.agency_id for p in row.participants),
        )


class FiguresOut(BaseModel):
    operation: str
    as_of: date
    cases: int
    charges: int
    persons_charged: int
    youths_charged: int
    oldest_accused_age: int | None
    charged_without_birth_date: int
    warrants_executed: int
    devices_seized: int
    victims_identified: int
    victims_safeguarded: int
    victims_referred: int
    unique_ips: int
    ip_window_start: datetime
    ip_window_end: datetime
    municipalities: list[str]

    @classmethod
    def of(cls, figures: OperationFigures) -> FiguresOut:
        return cls.model_validate(asdict(figures))


class HashSetOut(BaseModel):
    id: int
    name: str
    version: str
    kind: str
    profile: str
    entry_count: int
    pdq_threshold: int
    imported_at: datetime
    imported_by: str

    @classmethod
    def of(cls, info: HashSetInfo) -> HashSetOut:
        return cls(
            id=info.id,
            name=info.name,
            version=info.version,
            kind=str(info.kind),
            profile=info.profile,
            entry_count=info.entry_count,
            pdq_threshold=info.pdq_threshold,
            imported_at=info.imported_at,
            imported_by=info.imported_by,
        )


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hashes: list[str] = Field(min_length=1, max_length=1000)
    kind: str | None = Field(default=None, description="md5, sha1, sha256, pdq, …; default: every fit")


class MatchOut(BaseModel):
    entry_id: int
    hash_set: str
    kind: str
    category: str | None
    distance: int | None


class LookupOut(BaseModel):
    query: str
    kinds: list[str]
    error: str | None
    matches: list[MatchOut]

    @classmethod
    def of(cls, result: LookupResult) -> LookupOut:
        return cls(
            query=result.query,
            kinds=result.kinds,
            error=result.error,
            matches=[
                MatchOut(
                    entry_id=m.entry.id,
                    hash_set=m.entry.hash_set.label,
                    kind=m.kind,
                    category=m.entry.category,
                    distance=m.distance,
                )
                for m in result.matches
            ],
        )


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    outcome: str
    object_type: str | None
    object_id: str | None
    case_ref: str | None
    source: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, record: AuditRecord) -> AuditEventOut:
        return cls.model_validate(asdict(record))
