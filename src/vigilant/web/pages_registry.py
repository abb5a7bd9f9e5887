"""Pages of the offender registry: the compliance dashboard, a registrant's page, the alert queue, and the
verifier's sheet.

The same service calls as :mod:`vigilant.web.api_registry`; what a role may see or do is decided there.
Forms post back and redirect (303) to the page they came from; the pages work without JavaScript and from
the keyboard alone (every action is a form with labelled fields).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from vigilant.config import Settings
from vigilant.registry import alerts, crosscheck, map_view, service, work
from vigilant.registry.compliance import Status
from vigilant.registry.errors import RegistryError
from vigilant.registry.models import (
    AddressKind,
    AlertOutcome,
    AlertStatus,
    ReportKind,
    ReportOutcome,
    VerificationOutcome,
)
from vigilant.registry.places_models import FacilityKind
from vigilant.security.rights import Permission, require
from vigilant.web.api_registry import installation_rules
from vigilant.web.api_registry_map import MapQuery, map_csp, map_json
from vigilant.web.auth import CSRF_FIELD, Caller, CallerDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.params import RowId, form_id

router = APIRouter(include_in_schema=False)
SEE_OTHER = 303
Number = Annotated[str, Path(min_length=1, max_length=40)]
DUE_SHOWN = 200  # rows of the due list on the dashboard


def _render(ctx: WebContext, name: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(ctx.templates.get_template(name).render(csrf_field=CSRF_FIELD, **values))


def _day(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RegistryError(f"{text!r} is not a day", hint="write it as YYYY-MM-DD") from None


def _registrant_url(number: str) -> str:
    return f"/registry/registrants/{quote(number, safe='')}"


@router.get("/registry")
def registry_page(
    ctx: ContextDep,
    caller: CallerDep,
    as_of: Annotated[str, Query(max_length=10)] = "",
    number: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The compliance dashboard: non-compliant and due counts per area, then who is due, soonest first."""
    if number.strip():
        return RedirectResponse(_registrant_url(number.strip()), status_code=SEE_OTHER)
    rules = installation_rules()
    today = ctx.clock().date()
    # Without a day asked, the last sweep's: its stored statuses, those changed since recomputed.
    basis = service.basis(ctx.db, rules=rules, as_of=_day(as_of, today) if as_of else None, today=today)
    day = basis.as_of
    areas, due = service.overview(ctx.db, caller.actor, rules=rules, as_of=day)
    return _render(
        ctx, "registry.html", caller=caller, as_of=day, areas=areas, due=due[:DUE_SHOWN], due_total=len(due),
        statuses=list(Status), rules=rules, basis=basis,
    )  # fmt: skip


@router.get("/registry/map")
def map_page(ctx: ContextDep, caller: CallerDep, q: Annotated[MapQuery, Query()]) -> HTMLResponse:
    """Registrants' current addresses and the facility layers with the proximity radius, filterable; the
    points are Leaflet vector layers, over the unit's tile server only when VIGILANT_MAP_TILES names one."""
    day = q.as_of or ctx.clock().date()
    view = map_view.map_view(ctx.db, caller.actor, rules=installation_rules(), as_of=day, wanted=q.wanted())
    tiles = Settings.from_env().map_tiles
    page = _render(
        ctx, "registry_map.html", caller=caller, view=view, q=q, map_data=map_json(view, tiles), tiles=tiles,
        statuses=list(Status), address_kinds=list(AddressKind), facility_kinds=list(FacilityKind),
        limit=map_view.MAP_LIMIT,
    )  # fmt: skip
    page.headers["Content-Security-Policy"] = map_csp(tiles)
    return page


@router.get("/registry/registrants/{registry_number}")
def registrant_page(
    registry_number: Number,
    ctx: ContextDep,
    caller: CallerDep,
    as_of: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """A registrant: status and the rule behind it, addresses over time, the timeline, and the forms."""
    today = ctx.clock().date()
    day = _day(as_of, today)
    view = service.show(ctx.db, caller.actor, registry_number, rules=installation_rules(), as_of=day)
    return _render(
        ctx, "registry_registrant.html", caller=caller, view=view, summary=view.summary,
        c=view.summary.compliance, record=view.record, as_of=day, today=today,
        can_report=caller.actor.may(Permission.REGISTRY_WRITE),
        can_verify=caller.actor.may(Permission.REGISTRY_VERIFY),
        report_kinds=list(ReportKind), report_outcomes=list(ReportOutcome),
        verification_outcomes=list(VerificationOutcome),
        url=_registrant_url(registry_number),
    )  # fmt: skip


@router.get("/registry/lookup")
def lookup_form(
    ctx: ContextDep, caller: CallerDep, number: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    """The look-up form: a registry number and the purpose (an investigator's way into the registry). Held to
    the right its menu entry names: a role that may not look up is not offered a form it cannot send.
    ``number`` fills the form in (a cross-check match's link); the purpose is still the caller's to give."""
    require(caller.actor, Permission.REGISTRY_QUERY)
    return _render(ctx, "registry_lookup.html", caller=caller, number=number.strip(), purpose="")


def _matches_panel(
    ctx: WebContext, caller: Caller, *, case_id: int | None, person_id: int | None
) -> HTMLResponse:
    """The registry matches of a case or a person, as the fragment its page loads (htmx): only for those who
    may see registry data (a registry reader, or an investigator, who sees matches in the cases they see);
    anyone else is refused and their page asks for nothing. Audited by the service."""
    if not (caller.actor.may(Permission.REGISTRY_READ) or caller.actor.may(Permission.REGISTRY_QUERY)):
        require(caller.actor, Permission.REGISTRY_READ)  # refused, naming the permission
    found = crosscheck.matches(ctx.db, caller.actor, case_id=case_id, person_id=person_id)
    return _render(
        ctx, "registry_matches.html", caller=caller, matches=found,
        reader=caller.actor.may(Permission.REGISTRY_READ), subject="case" if case_id else "person",
    )  # fmt: skip


@router.get("/cases/{case_id}/registry-matches")
def case_matches_panel(case_id: RowId, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    return _matches_panel(ctx, caller, case_id=case_id, person_id=None)


@router.get("/persons/{person_id}/registry-matches")
def person_matches_panel(person_id: RowId, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    return _matches_panel(ctx, caller, case_id=None, person_id=person_id)


class LookupForm(BaseModel):
    number: Annotated[str, Field(max_length=40)] = ""
    purpose: Annotated[str, Field(max_length=2000)] = ""


@router.post("/registry/lookup")
def lookup(ctx: ContextDep, caller: CallerDep, form: Annotated[LookupForm, Form()]) -> HTMLResponse:
    """The registrant's page for a stated purpose, answered to the POST itself: the purpose never becomes
    part of a URL (browser history, server logs); the audit event records it."""
    today = ctx.clock().date()
    view = service.show(
        ctx.db,
        caller.actor,
        form.number.strip(),
        rules=installation_rules(),
        as_of=today,
        purpose=form.purpose,
    )
    return _render(
        ctx, "registry_registrant.html", caller=caller, view=view, summary=view.summary,
        c=view.summary.compliance, record=view.record, as_of=today, today=today, can_report=False,
        can_verify=False, report_kinds=[], report_outcomes=[], verification_outcomes=[],
        url=_registrant_url(view.summary.registry_number), purpose=form.purpose,
    )  # fmt: skip


class ReportForm(BaseModel):
    kind: Annotated[str, Field(max_length=20)] = "annual"
    reported_on: Annotated[str, Field(max_length=10)] = ""
    outcome: Annotated[str, Field(max_length=20)] = "completed"
    officer: Annotated[str, Field(max_length=200)] = ""
    notes: Annotated[str, Field(max_length=4000)] = ""


def _choice(kind: Any, text: str, what: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise RegistryError(f"unknown {what} {text!r}", hint=f"use one of {', '.join(kind)}") from None


@router.post("/registry/registrants/{registry_number}/reports")
def post_report(
    registry_number: Number, ctx: ContextDep, caller: CallerDep, form: Annotated[ReportForm, Form()]
) -> Response:
    work.record_report(
        ctx.db, caller.actor, registry_number, kind=_choice(ReportKind, form.kind, "report kind"),
        reported_on=_day(form.reported_on, ctx.clock().date()), officer=form.officer or None,
        outcome=_choice(ReportOutcome, form.outcome, "outcome"), notes=form.notes or None,
    )  # fmt: skip
    return RedirectResponse(_registrant_url(registry_number) + "#timeline", status_code=SEE_OTHER)


class VerificationForm(BaseModel):
    address_id: Annotated[str, Field(max_length=20)] = ""
    verified_on: Annotated[str, Field(max_length=10)] = ""
    outcome: Annotated[str, Field(max_length=20)] = "confirmed"
    officer: Annotated[str, Field(max_length=200)] = ""
    notes: Annotated[str, Field(max_length=4000)] = ""


@router.post("/registry/registrants/{registry_number}/verifications")
def post_verification(
    registry_number: Number, ctx: ContextDep, caller: CallerDep, form: Annotated[VerificationForm, Form()]
) -> Response:
    address = form_id(form.address_id)
    if address is None:
        raise RegistryError("choose the address checked", hint="pick one of the registrant's addresses")
    work.record_verification(
        ctx.db, caller.actor, registry_number, address_id=address,
        verified_on=_day(form.verified_on, ctx.clock().date()),
        outcome=_choice(VerificationOutcome, form.outcome, "outcome"), officer=form.officer or None,
        notes=form.notes or None,
    )  # fmt: skip
    # A verifier cannot open the registrant's page: back to the sheet.
    if caller.actor.may(Permission.REGISTRY_READ):
        return RedirectResponse(_registrant_url(registry_number) + "#timeline", status_code=SEE_OTHER)
    return RedirectResponse(f"/registry/verify?number={quote(registry_number)}&done=1", status_code=SEE_OTHER)


@router.get("/registry/verify")
def verify_page(
    ctx: ContextDep,
    caller: CallerDep,
    number: Annotated[str, Query(max_length=40)] = "",
    done: Annotated[str, Query(max_length=1)] = "",
) -> HTMLResponse:
    """The verifier's sheet: who, and the current addresses to check, with the form to record a visit."""
    today = ctx.clock().date()
    require(caller.actor, Permission.REGISTRY_VERIFY)
    sheet = work.verification_sheet(ctx.db, caller.actor, number, as_of=today) if number.strip() else None
    return _render(
        ctx, "registry_verify.html", caller=caller, sheet=sheet, number=number, today=today, done=bool(done),
        outcomes=list(VerificationOutcome),
    )  # fmt: skip


@router.get("/registry/alerts")
def alerts_page(
    ctx: ContextDep, caller: CallerDep, status: Annotated[str, Query(max_length=20)] = ""
) -> HTMLResponse:
    """The registry office's alert queue, with assignment and closing forms."""
    wanted = _choice(AlertStatus, status, "status") if status else None
    rules, today = installation_rules(), ctx.clock().date()
    found = alerts.queue(ctx.db, caller.actor, status=wanted, rules=rules, today=today)
    swept = service.basis(ctx.db, rules=rules, as_of=None, today=today).swept
    return _render(
        ctx, "registry_alerts.html", caller=caller, alerts=found, status=status, swept=swept,
        statuses=list(AlertStatus), outcomes=list(AlertOutcome),
        can_work=caller.actor.may(Permission.REGISTRY_WRITE),
    )  # fmt: skip


class AssignForm(BaseModel):
    to: Annotated[str, Field(max_length=200)] = ""


@router.post("/registry/alerts/{alert_id}/assign")
def post_assign(
    alert_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[AssignForm, Form()]
) -> Response:
    alerts.assign(ctx.db, caller.actor, alert_id, to=form.to or caller.actor.username)
    return RedirectResponse(f"/registry/alerts#alert-{alert_id}", status_code=SEE_OTHER)


class CloseForm(BaseModel):
    outcome: Annotated[str, Field(max_length=30)] = ""
    notes: Annotated[str, Field(max_length=4000)] = ""
    warrant_reference: Annotated[str, Field(max_length=100)] = ""


@router.post("/registry/alerts/{alert_id}/close")
def post_close(
    alert_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[CloseForm, Form()]
) -> Response:
    alerts.close(
        ctx.db, caller.actor, alert_id, outcome=_choice(AlertOutcome, form.outcome, "outcome"),
        notes=form.notes or None, warrant_reference=form.warrant_reference or None,
    )  # fmt: skip
    return RedirectResponse(f"/registry/alerts#alert-{alert_id}", status_code=SEE_OTHER)
