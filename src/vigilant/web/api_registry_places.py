"""The REST API of the registry's places: proximity, facilities, cross-checks and their matches, and
vulnerable-sector checks.

Thin like :mod:`vigilant.web.api`: rights, purposes, scoping and the audit are the registry services'
(:mod:`vigilant.registry.proximity`, :mod:`~vigilant.registry.crosscheck`, :mod:`~vigilant.registry.vsc`).
Queries that need a purpose are POSTs with a JSON body, so the purpose never lands in a server's access log.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from vigilant.registry import crosscheck, facilities, proximity, vsc
from vigilant.registry.models import AddressKind
from vigilant.registry.places_models import FacilityKind, VscConfirmation
from vigilant.registry.vsc_letter import letter_pdf
from vigilant.store.models import utcnow
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.params import RowId

router = APIRouter(prefix=API_V1, responses=ERRORS, tags=["registry places"])


class NearIn(BaseModel):
    radius_m: float = Field(gt=0, le=200_000, description="metres, on the WGS84 ellipsoid")
    purpose: str = Field(min_length=1, max_length=2000, description="why you look (recorded)")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    address_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    facility_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    facility_kind: FacilityKind | None = Field(
        default=None, description="within radius_m of any of this kind"
    )
    kinds: list[AddressKind] | None = Field(
        default=None, description="address kinds (default: homes and work)"
    )
    as_of: date | None = None


class NearOut(BaseModel):
    registrant_id: int
    registry_number: str
    surname: str
    given_names: str
    address_id: int
    kind: str
    line: str
    organisation: str | None
    distance_m: float
    facility_id: int | None
    facility_name: str | None


class FacilityOut(BaseModel):
    id: int
    kind: str
    ref: str
    name: str
    address: str | None
    municipality: str | None
    latitude: float
    longitude: float
    source: str


class PlaceIn(BaseModel):
    label: str = Field(min_length=1, max_length=300)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class CrossCheckIn(BaseModel):
    purpose: str = Field(min_length=1, max_length=2000)
    case_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="one case; none: every case")
    places: list[PlaceIn] = Field(default_factory=list, max_length=1000)


class EmploymentCheckIn(BaseModel):
    purpose: str = Field(min_length=1, max_length=2000)


class MatchOut(BaseModel):
    id: int
    kind: str
    registrant_id: int
    registry_number: str
    case_id: int | None
    person_id: int | None
    facility_id: int | None
    alert_id: int | None
    basis: dict[str, Any]
    found_at: datetime


class CrossCheckOut(BaseModel):
    id: int
    checked: int
    new_matches: list[MatchOut]


class VscIn(BaseModel):
    surname: str = Field(min_length=1, max_length=200)
    given_names: str = Field(min_length=1, max_length=200)
    date_of_birth: date
    sex: str = Field(min_length=1, max_length=1, description="F, M or X")
    organisation: str = Field(min_length=1, max_length=300)
    consent: str = Field(
        min_length=1, max_length=2000, description="how the applicant's consent was recorded"
    )


class VscConfirmIn(BaseModel):
    outcome: VscConfirmation
    fingerprints_compared: bool
    notes: str | None = Field(default=None, max_length=2000)


class VscOut(BaseModel):
    reference: str
    result: str
    answer: str
    organisation: str
    requested_at: datetime
    confirmation: str | None
    confirmed_at: datetime | None


def _match(m: crosscheck.Match) -> MatchOut:
    return MatchOut(**m.__dict__)


def _vsc(a: vsc.VscAnswer) -> VscOut:
    return VscOut(
        reference=a.reference, result=a.result, answer=a.answer, organisation=a.organisation,
        requested_at=a.requested_at, confirmation=a.confirmation, confirmed_at=a.confirmed_at,
    )  # fmt: skip


@router.post("/registry/near", response_model=list[NearOut])
def near(body: NearIn, ctx: ContextDep, actor: ActorDep) -> list[NearOut]:
    """Registrants with a current address within ``radius_m`` of a point, an address or a facility, or of
    any facility of ``facility_kind``; nearest first (audited with the purpose)."""
    day = body.as_of or utcnow().date()
    kinds = set(body.kinds) if body.kinds else None
    if body.facility_kind is not None:
        found = proximity.registrants_near_facilities(
            ctx.db, actor, facility_kind=body.facility_kind, distance_m=body.radius_m, purpose=body.purpose,
            as_of=day, kinds=kinds,
        )  # fmt: skip
    else:
        found = proximity.registrants_near(
            ctx.db, actor, radius_m=body.radius_m, purpose=body.purpose, as_of=day, latitude=body.latitude,
            longitude=body.longitude, address_id=body.address_id, facility_id=body.facility_id, kinds=kinds,
        )  # fmt: skip
    return [NearOut(**n.__dict__) for n in found]


@router.get("/registry/facilities", response_model=list[FacilityOut])
def list_facilities(
    ctx: ContextDep,
    actor: ActorDep,
    kind: Annotated[FacilityKind | None, Query(description="only this kind")] = None,
) -> list[FacilityOut]:
    """The facility layers imported (``vigilant registry facilities import``), by kind and name."""
    return [FacilityOut(**f.__dict__) for f in facilities.list_facilities(ctx.db, actor, kind=kind)]


@router.post("/registry/crosschecks", response_model=CrossCheckOut, status_code=201)
def check_investigations(body: CrossCheckIn, ctx: ContextDep, actor: ActorDep) -> CrossCheckOut:
    """Cross-check a case's (or every visible case's) persons, identifiers and the places given against the
    registry; new matches raise alerts in the registry offices' queues."""
    places = [crosscheck.Place(p.label, p.latitude, p.longitude) for p in body.places]
    report = crosscheck.check_investigations(
        ctx.db, actor, purpose=body.purpose, case_id=body.case_id, places=places
    )
    return CrossCheckOut(
        id=report.id, checked=report.checked, new_matches=[_match(m) for m in report.new_matches]
    )


@router.post("/registry/crosschecks/employment", response_model=CrossCheckOut, status_code=201)
def check_employment(body: EmploymentCheckIn, ctx: ContextDep, actor: ActorDep) -> CrossCheckOut:
    """Every registrant's current employment and volunteering against facilities with children."""
    report = crosscheck.check_employment(ctx.db, actor, purpose=body.purpose)
    return CrossCheckOut(
        id=report.id, checked=report.checked, new_matches=[_match(m) for m in report.new_matches]
    )


@router.get("/registry/matches", response_model=list[MatchOut])
def all_matches(ctx: ContextDep, actor: ActorDep) -> list[MatchOut]:
    """Every cross-check match (registry readers)."""
    return [_match(m) for m in crosscheck.matches(ctx.db, actor)]


@router.get("/cases/{case_id}/registry-matches", response_model=list[MatchOut])
def case_matches(case_id: RowId, ctx: ContextDep, actor: ActorDep) -> list[MatchOut]:
    """Registrants met in this case (its persons, identifiers and places)."""
    return [_match(m) for m in crosscheck.matches(ctx.db, actor, case_id=case_id)]


@router.get("/persons/{person_id}/registry-matches", response_model=list[MatchOut])
def person_matches(person_id: RowId, ctx: ContextDep, actor: ActorDep) -> list[MatchOut]:
    """Registrants this person matched, in the cases the caller sees."""
    return [_match(m) for m in crosscheck.matches(ctx.db, actor, person_id=person_id)]


@router.post("/registry/vsc", response_model=VscOut, status_code=201)
def vsc_request(body: VscIn, ctx: ContextDep, actor: ActorDep) -> VscOut:
    """A vulnerable-sector check: 'no record' or 'possible match — fingerprint confirmation required'."""
    return _vsc(vsc.check(ctx.db, actor, **body.model_dump()))


@router.get("/registry/vsc/{reference}", response_model=VscOut)
def vsc_show(reference: str, ctx: ContextDep, actor: ActorDep) -> VscOut:
    """A check's answer (audited)."""
    return _vsc(vsc.get(ctx.db, actor, reference))


@router.get("/registry/vsc/{reference}/letter", response_class=Response)
def vsc_letter(reference: str, ctx: ContextDep, actor: ActorDep) -> Response:
    """The check's result letter for the requester (PDF)."""
    answer = vsc.get(ctx.db, actor, reference)
    return Response(
        letter_pdf(answer),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{answer.reference}.pdf"'},
    )


@router.post("/registry/vsc/{reference}/confirmation", response_model=VscOut)
def vsc_confirm(reference: str, body: VscConfirmIn, ctx: ContextDep, actor: ActorDep) -> VscOut:
    """Record the fingerprint step of a possible match (confirmed or excluded)."""
    return _vsc(
        vsc.confirm(
            ctx.db, actor, reference, outcome=body.outcome, fingerprints_compared=body.fingerprints_compared,
            notes=body.notes,
        )
    )  # fmt: skip
