"""The REST API for a case's records: persons, charges, legal process, a person's file, the release preview.

Thin like :mod:`vigilant.web.api`: each route makes one service call with the caller; permissions, agency
scoping and auditing happen in the services (:mod:`vigilant.cases.people`, ``process``, ``records``,
``release``), never here.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query

from vigilant.cases import people, process, records, release
from vigilant.cases.offences import CATALOGUE
from vigilant.links import deferred
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.params import Offset, RowId
from vigilant.web.schemas import (
    ChargeIn,
    ChargeOut,
    LegalProcessIn,
    LegalProcessOut,
    OffenceOut,
    PersonCaseOut,
    PersonFileOut,
    PersonIn,
    PersonInCaseOut,
    PersonOut,
    ReleaseFlagClearIn,
    ReleaseOut,
    ReviewFlagOut,
    VictimOut,
)

router = APIRouter(prefix=API_V1, responses=ERRORS)


@router.get("/offences", response_model=list[OffenceOut])
def offences(_actor: ActorDep) -> list[OffenceOut]:
    """The Criminal Code offences a charge can name (public law: any logged-in caller)."""
    return [OffenceOut.of(o) for o in CATALOGUE]


@router.get("/cases/{case_id}/persons", response_model=list[PersonInCaseOut])
def case_persons(
    case_id: RowId,
    ctx: ContextDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> list[PersonInCaseOut]:
    today = ctx.clock().date()
    found = people.persons_in_case(ctx.db, actor, case_id)[offset : offset + limit]
    return [PersonInCaseOut(**PersonOut.of(p, today).model_dump(), role=role) for p, role in found]


@router.post("/cases/{case_id}/persons", response_model=PersonInCaseOut, status_code=201)
def add_case_person(
    case_id: RowId, body: PersonIn, ctx: ContextDep, actor: ActorDep, after: BackgroundTasks
) -> PersonInCaseOut:
    row = people.add_person(ctx.db, actor, case_id, **body.model_dump())
    # Links sits above cases: the graph is marked stale here, once, and rebuilt after the response.
    deferred.mark(ctx.runs.settings.data_dir, case_id)
    after.add_task(deferred.drain, ctx.db, ctx.runs.settings.data_dir)
    return PersonInCaseOut(**PersonOut.of(row, ctx.clock().date()).model_dump(), role=body.role.value)


@router.get("/cases/{case_id}/charges", response_model=list[ChargeOut])
def case_charges(case_id: RowId, ctx: ContextDep, actor: ActorDep) -> list[ChargeOut]:
    return [ChargeOut.of(row) for row in records.charges_in_case(ctx.db, actor, case_id)]


@router.post("/cases/{case_id}/charges", response_model=ChargeOut, status_code=201)
def lay_charge(case_id: RowId, body: ChargeIn, ctx: ContextDep, actor: ActorDep) -> ChargeOut:
    row = process.lay_charge(
        ctx.db,
        actor,
        case_id,
        body.person_id,
        offence_code=body.offence,
        offence_from=body.offence_from,
        offence_to=body.offence_to,
        laid_on=body.laid_on or ctx.clock().date(),
    )
    return ChargeOut.of(row)


@router.get("/cases/{case_id}/legal-process", response_model=list[LegalProcessOut])
def case_legal_process(case_id: RowId, ctx: ContextDep, actor: ActorDep) -> list[LegalProcessOut]:
    return [LegalProcessOut.of(row) for row in records.legal_process_in_case(ctx.db, actor, case_id)]


@router.post("/cases/{case_id}/legal-process", response_model=LegalProcessOut, status_code=201)
def add_legal_process(
    case_id: RowId, body: LegalProcessIn, ctx: ContextDep, actor: ActorDep
) -> LegalProcessOut:
    return LegalProcessOut.of(process.add_legal_process(ctx.db, actor, case_id, **body.model_dump()))


@router.get("/persons/{person_id}", response_model=PersonFileOut)
def show_person(person_id: RowId, ctx: ContextDep, actor: ActorDep) -> PersonFileOut:
    found = records.person_file(ctx.db, actor, person_id)
    return PersonFileOut(
        person=PersonOut.of(found.person, ctx.clock().date()),
        cases=[PersonCaseOut(case_id=c.id, number=c.number, role=role) for c, role in found.roles],
        charges=None if found.charges is None else [ChargeOut.of(c) for c in found.charges],
        victim=[VictimOut.of(v) for v in found.victim],
    )


@router.get("/operations/{operation_id}/release", response_model=ReleaseOut)
def release_preview(operation_id: RowId, ctx: ContextDep, actor: ActorDep) -> ReleaseOut:
    """The public release text and the flags to review first; withheld persons are counts, never names."""
    return ReleaseOut.of(release.build_release(ctx.db, actor, operation_id, as_of=ctx.clock().date()))


@router.post("/operations/{operation_id}/release/flags", response_model=list[ReviewFlagOut], status_code=201)
def clear_release_flag(
    operation_id: RowId, body: ReleaseFlagClearIn, ctx: ContextDep, actor: ActorDep
) -> list[ReviewFlagOut]:
    """Clear the flags on one accused (or the one pointing at ``victim_person_id``) with a reason, so that
    the accused is named: the coordinating agency's ``release.publish`` right; audited."""
    cleared = release.clear_flag(
        ctx.db,
        actor,
        operation_id,
        body.person_id,
        reason=body.reason,
        victim_person_id=body.victim_person_id,
        as_of=ctx.clock().date(),
    )
    return [ReviewFlagOut.model_validate(asdict(flag)) for flag in cleared]
