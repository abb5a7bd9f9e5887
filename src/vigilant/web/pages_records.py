"""Pages for a case's records: the case page's sections and forms, a person's page, the release preview.

The forms post to their own routes here and come back to the case page (303) when the service accepted
them; wrong input re-renders the case page with the message beside the form and what was typed, as
``/cases/new`` does. Decisions stay in the services: a section the role may not read is ``None`` in the
:class:`~vigilant.cases.records.CaseFile` and the template says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigilant.cases import people, process, records, release
from vigilant.cases.ages import age_on
from vigilant.cases.models import PersonRole, PersonRow, ProcessKind
from vigilant.cases.offences import CATALOGUE, OFFENCES
from vigilant.errors import BadInputError, ConflictError
from vigilant.web.auth import CSRF_FIELD, Caller, CallerDep, ContextDep
from vigilant.web.context import WebContext

router = APIRouter(include_in_schema=False)
PERSONS_PAGE_SIZE = 50
SEE_OTHER = HTTPStatus.SEE_OTHER
PersonSort = Literal["name", "role", "born"]
ChargeSort = Literal["laid", "section", "person"]


@dataclass(frozen=True)
class CaseView:
    """How the case page's long lists are shown: sort orders and the page of persons (query parameters)."""

    persons_sort: Annotated[PersonSort, Query()] = "name"
    persons_page: Annotated[int, Query(ge=1, le=100_000)] = 1
    charges_sort: Annotated[ChargeSort, Query()] = "laid"


CaseViewDep = Annotated[CaseView, Depends()]


def _render(ctx: WebContext, name: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    html = ctx.templates.get_template(name).render(csrf_field=CSRF_FIELD, **values)
    return HTMLResponse(html, status_code=status)


def _person_key(sort: PersonSort) -> Callable[[tuple[PersonRow, str]], tuple[Any, ...]]:
    def name(item: tuple[PersonRow, str]) -> tuple[Any, ...]:
        return (item[0].surname.casefold(), item[0].given_names.casefold(), item[0].id)

    if sort == "role":
        return lambda item: (item[1], *name(item))
    if sort == "born":  # unknown dates of birth last
        return lambda item: (item[0].date_of_birth is None, item[0].date_of_birth or date.min, *name(item))
    return name


def render_case(
    ctx: WebContext,
    caller: Caller,
    case_id: int,
    view: CaseView | None = None,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, dict[str, str]] | None = None,
) -> HTMLResponse:
    """The case page with its record sections; ``errors`` and ``form`` put a refused form back as typed."""
    view = view or CaseView()
    found = records.case_file(ctx.db, caller.actor, case_id)
    persons: Sequence[tuple[PersonRow, str]] = []
    more = False
    names: dict[int, str] = {}
    if found.persons is not None:
        names = {p.id: p.full_name for p, _ in found.persons}
        ordered = sorted(found.persons, key=_person_key(view.persons_sort))
        start = (view.persons_page - 1) * PERSONS_PAGE_SIZE
        persons = ordered[start : start + PERSONS_PAGE_SIZE]
        more = len(ordered) > start + PERSONS_PAGE_SIZE
    charges = list(found.charges or [])
    if view.charges_sort == "section":
        charges.sort(key=lambda c: (OFFENCES[c.offence_code].section, c.id))
    elif view.charges_sort == "person":
        charges.sort(key=lambda c: (names.get(c.person_id, "").casefold(), c.person_id, c.id))
    return _render(
        ctx,
        "case.html",
        status=status,
        caller=caller,
        case=found.case,
        file=found,
        persons=persons,
        persons_more=more,
        names=names,
        charges=charges,
        view=view,
        today=ctx.clock().date(),
        age_on=age_on,
        offences=OFFENCES,
        catalogue=CATALOGUE,
        roles=[r.value for r in PersonRole],
        process_kinds=[k.value for k in ProcessKind],
        errors=errors or {},
        form=form or {},
    )


def _refused(
    ctx: WebContext, caller: Caller, case_id: int, *, section: str, exc: Exception, values: dict[str, str]
) -> HTMLResponse:
    status = HTTPStatus.CONFLICT if isinstance(exc, ConflictError) else HTTPStatus.BAD_REQUEST
    return render_case(
        ctx, caller, case_id, status=status, errors={section: str(exc)}, form={section: values}
    )


def _back(case_id: int, section: str) -> Response:
    return RedirectResponse(f"/cases/{case_id}#{section}", status_code=SEE_OTHER)


def _day(value: str, what: str, *, required: bool = False) -> date | None:
    if not value.strip():
        if required:
            raise BadInputError(f"{what} is required", hint="write the date as YYYY-MM-DD")
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(f"{what} {value!r} is not a date", hint="write it as YYYY-MM-DD") from None


def _when(value: str, what: str) -> datetime:
    """A time typed in a form (datetime-local, no zone): read as UTC, as the label says."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(
            f"{what} {value!r} is not a date and time", hint="write it as YYYY-MM-DDTHH:MM (UTC)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _person_id(value: str) -> int:
    if not value.strip().isdigit():
        raise BadInputError("choose a person named in this case", hint="add the person first if missing")
    return int(value)


def _text(value: str) -> str | None:
    return value.strip() or None


FormText = Annotated[str, Form(max_length=300)]
FormLongText = Annotated[str, Form(max_length=5000)]


# --- the case page's forms ------------------------------------------------------------------------------
@router.post("/cases/{case_id}/persons")
def add_person(
    *,
    case_id: int,
    ctx: ContextDep,
    caller: CallerDep,
    given_names: FormText = "",
    surname: FormText = "",
    role: FormText = "suspect",
    date_of_birth: FormText = "",
    municipality: FormText = "",
    address: FormLongText = "",
    depicted: FormText = "",
) -> Response:
    values = {"given_names": given_names, "surname": surname, "role": role, "date_of_birth": date_of_birth,
              "municipality": municipality, "address": address, "depicted": depicted}  # fmt: skip
    try:
        people.add_person(
            ctx.db,
            caller.actor,
            case_id,
            given_names=given_names,
            surname=surname,
            role=people.parse_role(role),
            date_of_birth=_day(date_of_birth, "date of birth"),
            municipality=_text(municipality),
            address=_text(address),
            depicted=bool(depicted),
        )
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, case_id, section="persons", exc=exc, values=values)
    return _back(case_id, "persons")


@router.post("/cases/{case_id}/legal-process")
def add_legal_process(
    *,
    case_id: int,
    ctx: ContextDep,
    caller: CallerDep,
    kind: FormText = "",
    target: FormLongText = "",
    issued_at: FormText = "",
    issued_by_court: FormText = "",
    issued_by_judge: FormText = "",
    reference: FormText = "",
) -> Response:
    values = {"kind": kind, "target": target, "issued_at": issued_at, "issued_by_court": issued_by_court,
              "issued_by_judge": issued_by_judge, "reference": reference}  # fmt: skip
    try:
        if kind not in {k.value for k in ProcessKind}:
            raise BadInputError(f"unknown kind of legal process {kind!r}", hint="choose one from the list")
        if not target.strip():
            raise BadInputError("say what the process is about", hint="the provider, account or premises")
        process.add_legal_process(
            ctx.db,
            caller.actor,
            case_id,
            kind=ProcessKind(kind),
            target=target.strip(),
            issued_at=_when(issued_at, "issued"),
            issued_by_court=_text(issued_by_court),
            issued_by_judge=_text(issued_by_judge),
            reference=_text(reference),
        )
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, case_id, section="legal-process", exc=exc, values=values)
    return _back(case_id, "legal-process")


@router.post("/cases/{case_id}/legal-process/{process_id}/execution")
def record_execution(
    *,
    case_id: int,
    process_id: int,
    ctx: ContextDep,
    caller: CallerDep,
    executed_at: FormText = "",
    where: FormLongText = "",
    by: FormText = "",
) -> Response:
    values = {"process_id": str(process_id), "executed_at": executed_at, "where": where, "by": by}
    try:
        if not where.strip() or not by.strip():
            raise BadInputError("say where and by whom it was executed", hint="fill in both")
        process.record_execution(
            ctx.db,
            caller.actor,
            process_id,
            executed_at=_when(executed_at, "executed"),
            where=where.strip(),
            by=by.strip(),
            case_id=case_id,
        )
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, case_id, section="execution", exc=exc, values=values)
    return _back(case_id, "legal-process")


@router.post("/cases/{case_id}/charges")
def lay_charge(
    *,
    case_id: int,
    ctx: ContextDep,
    caller: CallerDep,
    person_id: FormText = "",
    offence: FormText = "",
    offence_from: FormText = "",
    offence_to: FormText = "",
    laid_on: FormText = "",
) -> Response:
    values = {"person_id": person_id, "offence": offence, "offence_from": offence_from,
              "offence_to": offence_to, "laid_on": laid_on}  # fmt: skip
    try:
        chosen = _person_id(person_id)
        start = _day(offence_from, "offence date (from)", required=True)
        assert start is not None  # required above
        process.lay_charge(
            ctx.db,
            caller.actor,
            case_id,
            chosen,
            offence_code=offence,
            offence_from=start,
            offence_to=_day(offence_to, "offence date (to)"),
            laid_on=_day(laid_on, "laid on") or ctx.clock().date(),
        )
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, case_id, section="charges", exc=exc, values=values)
    return _back(case_id, "charges")


@router.post("/cases/{case_id}/victims")
def record_victim(
    *,
    case_id: int,
    ctx: ContextDep,
    caller: CallerDep,
    person_id: FormText = "",
    identified_on: FormText = "",
    safeguarded_on: FormText = "",
    referred_on: FormText = "",
    referred_to: FormText = "",
) -> Response:
    values = {"person_id": person_id, "identified_on": identified_on, "safeguarded_on": safeguarded_on,
              "referred_on": referred_on, "referred_to": referred_to}  # fmt: skip
    try:
        people.record_victim(
            ctx.db,
            caller.actor,
            case_id,
            _person_id(person_id),
            identified_on=_day(identified_on, "identified on"),
            safeguarded_on=_day(safeguarded_on, "safeguarded on"),
            referred_on=_day(referred_on, "referred on"),
            referred_to=_text(referred_to),
        )
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, case_id, section="victims", exc=exc, values=values)
    return _back(case_id, "victims")


# --- a person, and an operation's release --------------------------------------------------------------
@router.get("/persons/{person_id}")
def person_page(person_id: int, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    found = records.person_file(ctx.db, caller.actor, person_id)
    today = ctx.clock().date()
    born = found.person.date_of_birth
    return _render(
        ctx,
        "person.html",
        caller=caller,
        file=found,
        person=found.person,
        age=age_on(born, today) if born else None,
        today=today,
        offences=OFFENCES,
        cases={c.id: c for c, _ in found.roles},
    )


@router.get("/operations/{operation_id}/release")
def release_page(operation_id: int, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    built = release.build_release(ctx.db, caller.actor, operation_id, as_of=ctx.clock().date())
    return _render(ctx, "release.html", caller=caller, release=built, operation_id=operation_id)
