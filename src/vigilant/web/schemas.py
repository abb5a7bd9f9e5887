"""The API's request and response bodies (pydantic), built from the services' records."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from vigilant.cases.ages import age_on
from vigilant.cases.evidence_links import LinkRequest
from vigilant.cases.figures import OperationFigures
from vigilant.cases.models import (
    ChargeRow,
    Distribution,
    OperationRow,
    PersonRole,
    PersonRow,
    ProcessKind,
)
from vigilant.cases.offences import OFFENCES, Offence
from vigilant.cases.release import Release
from vigilant.library.records import HashSetInfo
from vigilant.library.service import LookupResult
from vigilant.security.audit import AuditRecord
from vigilant.security.auth import ApiTokenInfo
from vigilant.security.rights import Actor
from vigilant.web.params import BodyId


class FromRecord(BaseModel):
    """A response body whose every field is the same-named attribute of a service record (a row, a
    dataclass): ``of`` reads them, so a field added to both needs no copying code."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, record: object) -> Self:
        return cls.model_validate(record)


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


class CaseOut(FromRecord):
    id: int
    agency_id: int
    number: str
    title: str
    operation_id: int | None
    distribution: str
    status: str
    opened_at: datetime


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
    category: str | None  # the code in the set's profile
    category_label: str | None = None  # the profile's label for it
    publisher_label: str | None = None  # what the list itself called it (kept at import)
    distance: int | None
    pdq_method: str | None = None  # pdq: how the set's hashes (and so the query's) were made: full | 512


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
                    category_label=m.category.label if m.category else None,
                    publisher_label=m.entry.category_label,
                    distance=m.distance,
                    pdq_method=m.entry.hash_set.pdq_method if m.kind == "pdq" else None,
                )
                for m in result.matches
            ],
        )


class AnchorIn(BaseModel):
    note: str | None = Field(default=None, max_length=300)  # where the anchor will be kept


class AnchorOut(BaseModel):
    """An anchor as `vigilant audit verify --anchor FILE` reads it: save the body as the file."""

    format: str
    seq: int
    hash: str
    at: str
    event: dict[str, Any] | None = None  # the anchored event's hashed fields: the file can be checked alone


class AnchorCheckOut(BaseModel):
    seq: int
    held: bool  # the chain holds the anchored event with the anchored hash
    problem: str | None


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


# --- case records: persons, legal process, charges, release (vigilant.web.api_records) ------------------
class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_names: str = Field(min_length=1, max_length=200)
    surname: str = Field(min_length=1, max_length=200)
    role: PersonRole
    date_of_birth: date | None = None
    gender: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    municipality: str | None = Field(default=None, max_length=200)
    depicted: bool = Field(default=False, description="depicted in the material: never identified")


class PersonOut(BaseModel):
    id: int
    given_names: str
    surname: str
    date_of_birth: date | None
    age: int | None = Field(description="completed years on the server's today")
    gender: str | None
    address: str | None
    municipality: str | None
    depicted: bool

    @classmethod
    def of(cls, row: PersonRow, today: date) -> PersonOut:
        return cls(
            id=row.id,
            given_names=row.given_names,
            surname=row.surname,
            date_of_birth=row.date_of_birth,
            age=age_on(row.date_of_birth, today) if row.date_of_birth else None,
            gender=row.gender,
            address=row.address,
            municipality=row.municipality,
            depicted=row.depicted,
        )


class PersonInCaseOut(PersonOut):
    role: str


class PersonCaseOut(BaseModel):
    case_id: int
    number: str
    role: str


class VictimOut(FromRecord):
    case_id: int
    person_id: int
    identified_on: date | None
    safeguarded_on: date | None
    referred_on: date | None
    referred_to: str | None


class OffenceOut(BaseModel):
    code: str
    section: str
    title: str
    citation: str
    protects_complainants: bool

    @classmethod
    def of(cls, item: Offence) -> OffenceOut:
        return cls(
            code=item.code,
            section=item.section,
            title=item.title,
            citation=item.citation,
            protects_complainants=item.protects_complainants,
        )


class ChargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: BodyId
    offence: str = Field(min_length=1, max_length=40, description="catalogue code or section, e.g. 163.1(4)")
    offence_from: date
    offence_to: date | None = None
    laid_on: date | None = Field(default=None, description="default: today")


class ChargeOut(BaseModel):
    id: int
    case_id: int
    person_id: int
    offence_code: str
    section: str
    title: str
    offence_from: date
    offence_to: date | None
    laid_on: date
    laid_by: str

    @classmethod
    def of(cls, row: ChargeRow) -> ChargeOut:
        found = OFFENCES[row.offence_code]
        return cls(
            id=row.id,
            case_id=row.case_id,
            person_id=row.person_id,
            offence_code=row.offence_code,
            section=found.section,
            title=found.title,
            offence_from=row.offence_from,
            offence_to=row.offence_to,
            laid_on=row.laid_on,
            laid_by=row.laid_by,
        )


class PersonFileOut(BaseModel):
    person: PersonOut
    cases: list[PersonCaseOut]
    charges: list[ChargeOut] | None = Field(description="null when your role may not read charges")
    victim: list[VictimOut]


class LegalProcessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ProcessKind
    target: str = Field(min_length=1, max_length=1000, description="provider, account or premises")
    issued_at: AwareDatetime
    issued_by_court: str | None = Field(default=None, max_length=200)
    issued_by_judge: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=100)
    expires_at: AwareDatetime | None = None
    notes: str | None = Field(default=None, max_length=5000)


class LegalProcessOut(FromRecord):
    id: int
    case_id: int
    kind: str
    reference: str | None
    target: str
    issued_at: datetime
    issued_by_court: str | None
    issued_by_judge: str | None
    expires_at: datetime | None
    executed_at: datetime | None
    executed_where: str | None
    executed_by: str | None
    notes: str | None


class ReleasedChargeOut(BaseModel):
    section: str
    title: str
    counts: int


class ReleasedAccusedOut(BaseModel):
    name: str
    age: int
    municipality: str | None
    charges: list[ReleasedChargeOut]


class ClearanceOut(BaseModel):
    reason: str
    by: str
    at: datetime


class ReviewFlagOut(BaseModel):
    accused_name: str
    accused_person_id: int
    victim_person_id: int
    shared: list[str]
    cleared: ClearanceOut | None = Field(description="none: the accused is withheld until cleared")


class ReleaseFlagClearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: BodyId = Field(description="the flagged accused")
    victim_person_id: BodyId | None = Field(
        default=None, description="clear only the flag pointing at this victim record"
    )
    reason: str = Field(min_length=1, max_length=2000, description="why naming will not identify the victim")


class ReleaseOut(BaseModel):
    operation: str
    operation_name: str
    as_of: date
    named: list[ReleasedAccusedOut]
    withheld: dict[str, int]
    flags: list[ReviewFlagOut] = Field(description="for review before publication, never published")
    public_text: str
    review_text: str

    @classmethod
    def of(cls, release: Release) -> ReleaseOut:
        texts = {"public_text": release.public_text, "review_text": release.review_text}
        return cls.model_validate(asdict(release) | texts)


class ApiTokenOut(BaseModel):
    id: int
    name: str
    roles: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: ApiTokenInfo) -> ApiTokenOut:
        return cls(
            id=info.id,
            name=info.name,
            roles=list(info.roles),
            created_at=info.created_at,
            last_used_at=info.last_used_at,
            revoked_at=info.revoked_at,
        )


class NewApiTokenOut(BaseModel):
    id: int
    name: str
    token: str = Field(description="shown once: store it now, only its digest is kept")


class EvidenceLinkIn(BaseModel):
    """Ask another agency to link its evidence item to a device seized in this case."""

    model_config = ConfigDict(extra="forbid")

    device_id: BodyId = Field(description="a device seized in this case")
    evidence_item_id: BodyId = Field(description="the other agency's evidence item")
    reason: str = Field(min_length=1, max_length=2000, description="why the item belongs in this case")


class EvidenceLinkDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["grant", "refuse", "revoke"]
    reason: str = Field(min_length=1, max_length=2000)


class EvidenceLinkOut(BaseModel):
    """A request as its requester or the item's owner sees it; ``item_label`` only while the caller may see
    the item (the owner's cases decide, at every read)."""

    id: int
    evidence_item_id: int
    item_label: str | None
    case_id: int
    case_number: str = Field(description="the requesting case")
    device_id: int
    requesting_agency: str
    owner_agency: str
    reason: str
    requested_by: str
    requested_at: datetime
    status: str = Field(description="pending, granted, refused or revoked")
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    incoming: bool = Field(description="the caller's agency owns the item and decides")

    @classmethod
    def of(cls, request: LinkRequest) -> EvidenceLinkOut:
        return cls.model_validate(asdict(request))
