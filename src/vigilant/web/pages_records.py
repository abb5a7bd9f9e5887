"""Pages for a case's records: the case page and its sections, a person's page, the release preview.

The case page's forms are in :mod:`vigilant.web.pages_case_forms`; a refused one comes back here through
:func:`render_case` with its message and what was typed. Decisions stay in the services: a section the role
may not read is ``None`` in the :class:`~vigilant.cases.records.CaseFile` and the template says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from vigilant.cases import records, release
from vigilant.cases.access import OPERATIONS_READ, RELEASE_PREVIEW, RELEASE_PUBLISH
from vigilant.cases.agencies import get_agency
from vigilant.cases.ages import age_on
from vigilant.cases.errors import RecordNotFoundError
from vigilant.cases.models import OperationRow, PersonRole, PersonRow, ProcessKind
from vigilant.cases.offences import CATALOGUE, OFFENCES
from vigilant.cases.operations import get_operation
from vigilant.errors import BadInputError
from vigilant.web.auth import CSRF_FIELD, Caller, CallerDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.params import RowId, form_id

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


def _operation_of(ctx: WebContext, caller: Caller, operation_id: int | None) -> OperationRow | None:
    """The case's operation, where the caller may open its page (else the page links to none)."""
    if operation_id is None or not caller.actor.may(OPERATIONS_READ):
        return None
    try:
        return get_operation(ctx.db, caller.actor, operation_id)
    except RecordNotFoundError:  # a shared case of an operation the caller's agency takes no part in
        return None


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
        agency=get_agency(ctx.db, found.case.agency_id),  # the case's owner: who to call about it
        operation=_operation_of(ctx, caller, found.case.operation_id),
        can_preview_release=caller.actor.may(RELEASE_PREVIEW),
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


# --- a person, and an operation's release --------------------------------------------------------------
@router.get("/persons/{person_id}")
def person_page(person_id: RowId, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
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
def release_page(operation_id: RowId, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    return render_release(ctx, caller, operation_id)


def render_release(
    ctx: WebContext, caller: Caller, operation_id: int, *, status: int = 200, error: str | None = None
) -> HTMLResponse:
    """The release preview; ``error``: a refused clearance, shown beside the flags."""
    built = release.build_release(ctx.db, caller.actor, operation_id, as_of=ctx.clock().date())
    # The form beside each flag only for those the service would let clear it: release.publish, in the
    # operation's coordinating agency (the service decides again when the form is sent).
    can_clear = caller.actor.may(RELEASE_PUBLISH) and release.coordinates(ctx.db, caller.actor, operation_id)
    return _render(
        ctx,
        "release.html",
        status=status,
        caller=caller,
        release=built,
        operation_id=operation_id,
        can_clear=can_clear,
        error=error,
    )


class ClearFlagForm(BaseModel):
    person_id: Annotated[str, Field(max_length=20)] = ""
    victim_person_id: Annotated[str, Field(max_length=20)] = ""
    reason: Annotated[str, Field(max_length=2000)] = ""


@router.post("/operations/{operation_id}/release/flags")
def clear_release_flag(
    operation_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[ClearFlagForm, Form()]
) -> Response:
    """Clear a flag with a reason (the service decides who may); back to the preview, or the preview again
    with the message."""
    try:
        person_id = form_id(form.person_id)
        if person_id is None:
            raise BadInputError("choose a flagged accused", hint="use the form beside the flag")
        release.clear_flag(
            ctx.db,
            caller.actor,
            operation_id,
            person_id,
            reason=form.reason,
            victim_person_id=form_id(form.victim_person_id),
            as_of=ctx.clock().date(),
        )
    except BadInputError as exc:
        return render_release(ctx, caller, operation_id, status=HTTPStatus.BAD_REQUEST, error=str(exc))
    return RedirectResponse(f"/operations/{operation_id}/release#review", status_code=SEE_OTHER)
