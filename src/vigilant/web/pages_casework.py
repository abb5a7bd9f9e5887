"""The case page's forms for seizures, arrests and publication bans.

Like the other forms of the case page (:mod:`vigilant.web.pages_records`): each posts to its own route and
comes back to the case page (303) when the service accepted it; wrong input re-renders the case page with
the message beside the form and what was typed (400, or 409 for a conflict). Who may record what, and in
which case, is decided by :mod:`vigilant.cases.process` and :mod:`vigilant.cases.people`.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from vigilant.cases import people, process
from vigilant.errors import BadInputError, ConflictError
from vigilant.web.auth import CallerDep, ContextDep
from vigilant.web.pages_records import (
    FormLongText,
    FormText,
    _back,
    _day,
    _person_id,
    _refused,
    _text,
    _when,
)

router = APIRouter(include_in_schema=False)
# Fields stored in short columns: a longer value is wrong input, said so before the database refuses it.
LIMITS = {"by": 200, "make": 100, "model": 100, "serial": 200, "exhibit": 100, "authority": 100,
          "court": 200, "court_file": 100}  # fmt: skip


def _fits(values: dict[str, str]) -> None:
    for name, value in values.items():
        limit = LIMITS.get(name)
        if limit is not None and len(value.strip()) > limit:
            label = name.replace("_", " ")
            raise BadInputError(f"the {label} is too long", hint=f"at most {limit} characters")


def _optional_id(value: str, what: str) -> int | None:
    text = value.strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        raise BadInputError(f"{what} {value!r} is not a number", hint="leave it empty if there is none")
    return int(text)


@router.post("/cases/{case_id}/seizures")
def record_seizure(
    *,
    case_id: int,
    ctx: ContextDep,
    caller: CallerDep,
    seized_at: FormText = "",
    where: FormLongText = "",
    by: FormText = "",
    legal_process_id: FormText = "",
    description: FormText = "",
    make: FormText = "",
    model: FormText = "",
    serial: FormText = "",
    exhibit: FormText = "",
    evidence_item_id: FormText = "",
) -> Response:
    values = {"seized_at": seized_at, "where": where, "by": by, "legal_process_id": legal_process_id,
              "description": description, "make": make, "model": model, "serial": serial,
              "exhibit": exhibit, "evidence_item_id": evidence_item_id}  # fmt: skip
    try:
        _fits(values)
        if not where.strip() or not by.strip():
            raise BadInputError("say where and by whom it was seized", hint="fill in both")
        if not description.strip():
            raise BadInputError("describe the device seized", hint="for example 'black Android phone'")
        device = process.DeviceSeized(
            description=description.strip(),
            make=_text(make),
            model=_text(model),
            serial=_text(serial),
            exhibit=_text(exhibit),
            evidence_item_id=_optional_id(evidence_item_id, "evidence item"),
        )
        process.record_seizure(
            ctx.db,
            caller.actor,
            case_id,
            seized_at=_when(seized_at, "seized"),
            where=where.strip(),
            by=by.strip(),
            devices=[device],
            legal_process_id=_optional_id(legal_process_id, "warrant"),
        )
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, case_id, section="seizures", exc=exc, values=values)
    return _back(case_id, "seizures")


@router.post("/cases/{case_id}/arrests")
def record_arrest(
    *,
    case_id: int,
    ctx: ContextDep,
    caller: CallerDep,
    person_id: FormText = "",
    arrested_at: FormText = "",
    where: FormLongText = "",
    by: FormText = "",
) -> Response:
    values = {"person_id": person_id, "arrested_at": arrested_at, "where": where, "by": by}
    try:
        _fits(values)
        chosen = _person_id(person_id)
        if not by.strip():
            raise BadInputError("say who made the arrest", hint="the arresting officer or unit")
        process.record_arrest(
            ctx.db,
            caller.actor,
            case_id,
            chosen,
            arrested_at=_when(arrested_at, "arrested"),
            where=_text(where),
            by=by.strip(),
        )
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, case_id, section="arrests", exc=exc, values=values)
    return _back(case_id, "arrests")


@router.post("/cases/{case_id}/bans")
def record_ban(
    *,
    case_id: int,
    ctx: ContextDep,
    caller: CallerDep,
    person_id: FormText = "",
    authority: FormText = "",
    court: FormText = "",
    court_file: FormText = "",
    ordered_on: FormText = "",
    details: FormLongText = "",
) -> Response:
    values = {"person_id": person_id, "authority": authority, "court": court, "court_file": court_file,
              "ordered_on": ordered_on, "details": details}  # fmt: skip
    try:
        _fits(values)
        chosen = _person_id(person_id)
        if not authority.strip():
            raise BadInputError(
                "name the provision the ban was made under", hint="for example 486.4(1), 486.5 or YCJA 111"
            )
        people.record_ban(
            ctx.db,
            caller.actor,
            case_id,
            chosen,
            authority=authority.strip(),
            court=_text(court),
            court_file=_text(court_file),
            ordered_on=_day(ordered_on, "ordered on"),
            details=_text(details),
        )
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, case_id, section="bans", exc=exc, values=values)
    return _back(case_id, "bans")
