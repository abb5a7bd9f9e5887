"""Server-rendered pages: the same service calls as the API, answered as HTML for people.

Forms post back to their own page with the CSRF token as a hidden field; a refused action comes back as a
readable page (see :mod:`vigilant.web.errors`), wrong input as the form again with the message.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from vigilant.cases import figures, operations, service
from vigilant.cases.access import RELEASE_PREVIEW
from vigilant.cases.breakdown import operation_breakdown
from vigilant.cases.service import parse_distribution
from vigilant.errors import BadInputError, ConflictError
from vigilant.security.audit import last_change_seq
from vigilant.security.audit_anchor import take_anchor
from vigilant.security.errors import AuthError, PermissionDenied
from vigilant.security.rights import Permission
from vigilant.web.auth import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    ContextDep,
    clear_session_cookies,
    client_ip,
    new_login_csrf,
    same_token,
    set_session_cookies,
)
from vigilant.web.charts import operation_charts
from vigilant.web.context import WebContext
from vigilant.web.display import audit_names, menu_for
from vigilant.web.htmx import wants_fragment
from vigilant.web.landing import PURPOSES
from vigilant.web.pages_records import CaseViewDep, render_case
from vigilant.web.params import IsoTime, RowId

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
SEE_OTHER = HTTPStatus.SEE_OTHER


def render(ctx: WebContext, name: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    html = ctx.templates.get_template(name).render(csrf_field=CSRF_FIELD, **values)
    return HTMLResponse(html, status_code=status)


# --- login and logout -----------------------------------------------------------------------------------
def _login_page(
    ctx: WebContext, *, status: int = 200, error: str | None = None, username: str = ""
) -> Response:
    # A login form carries its own token (no session exists yet), so another site cannot log a browser
    # into an account of its choosing.
    token = new_login_csrf()
    response = render(ctx, "login.html", status=status, error=error, username=username, login_csrf=token)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, secure=ctx.cookie_secure, samesite="strict", path="/login"
    )
    return response


@router.get("/login")
def login_form(ctx: ContextDep) -> Response:
    return _login_page(ctx)


@router.post("/login")
async def login(
    *,
    request: Request,
    ctx: ContextDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    totp: Annotated[str, Form(max_length=20)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _login_page(
            ctx,
            status=HTTPStatus.FORBIDDEN,
            error="The login form expired: please try again.",
            username=username,
        )
    try:
        token = await run_in_threadpool(
            ctx.auth.login, username, password, totp, source_ip=client_ip(request), now=ctx.clock()
        )
    except AuthError as exc:
        return _login_page(ctx, status=HTTPStatus.UNAUTHORIZED, error=str(exc), username=username)
    response = RedirectResponse("/", status_code=SEE_OTHER)
    set_session_cookies(response, token, secure=ctx.cookie_secure)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, ctx: ContextDep, _caller: CallerDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        ctx.auth.logout(token, now=ctx.clock())
    response = RedirectResponse("/login", status_code=SEE_OTHER)
    clear_session_cookies(response, secure=ctx.cookie_secure)
    return response


# --- dashboard ------------------------------------------------------------------------------------------
@router.get("/")
def dashboard(ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    actor = caller.actor
    rows: list[tuple[Any, Any, list[Markup]]] = []
    refused: str | None = None
    as_of = ctx.clock().date()

    def compute() -> list[tuple[Any, Any, list[Markup]]]:
        computed = []
        for op in operations.list_operations(ctx.db, actor):
            found = figures.operation_figures(ctx.db, actor, op.id, as_of=as_of)
            plots = operation_charts(found, operation_breakdown(ctx.db, actor, op.id))
            computed.append((op, found, plots))
        return computed

    if not actor.may(Permission.OPERATIONS_READ):
        # Not an operations role (registry officer, verifier, auditor): its own pages, not a refusal.
        work = [(item, PURPOSES[item.href]) for item in menu_for(actor) if item.href != "/"]
        return render(ctx, "landing.html", caller=caller, work=work)
    try:
        with ctx.db.session() as s:
            version = last_change_seq(s)  # read before computing: figures are never kept past a change
        key = (actor.user_id, actor.username, actor.roles, actor.agency_id, as_of)
        rows = ctx.figures_memo.get(key, version, compute)
    except PermissionDenied as exc:
        refused = str(exc)  # the service said no: the dashboard says so instead of failing
    # The link to each release preview shows where the role grants it (the service decides: ``Actor.may``).
    preview = actor.may(RELEASE_PREVIEW)
    return render(
        ctx, "dashboard.html", caller=caller, rows=rows, refused=refused, can_preview_release=preview
    )


# --- cases ----------------------------------------------------------------------------------------------
@router.get("/cases")
def cases_page(
    request: Request,
    ctx: ContextDep,
    caller: CallerDep,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    offset = (page - 1) * PAGE_SIZE
    rows = service.list_cases(ctx.db, caller.actor, search=q or None, limit=PAGE_SIZE + 1, offset=offset)
    # htmx (live search, paging) swaps in the results only; a plain browser gets the whole page.
    name = "cases_results.html" if wants_fragment(request) else "cases.html"
    return render(
        ctx, name, caller=caller, cases=rows[:PAGE_SIZE], q=q, page=page, more=len(rows) > PAGE_SIZE
    )


@router.get("/cases/new")
def new_case_form(ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    return render(ctx, "case_new.html", caller=caller, form={}, error=None)


@router.post("/cases/new")
def create_case(
    *,
    ctx: ContextDep,
    caller: CallerDep,
    number: Annotated[str, Form(max_length=100)],
    title: Annotated[str, Form(max_length=300)],
    operation: Annotated[str, Form(max_length=40)] = "",
    distribution: Annotated[str, Form(max_length=20)] = "agency_only",
) -> Response:
    form = {"number": number, "title": title, "operation": operation, "distribution": distribution}
    try:
        if not number.strip() or not title.strip():
            raise BadInputError("a case needs a number and a title", hint="fill in both")
        row = service.open_case(
            ctx.db,
            caller.actor,
            number=number,
            title=title,
            operation=operation.strip() or None,
            distribution=parse_distribution(distribution),
            opened_at=ctx.clock(),
        )
    except (BadInputError, ConflictError) as exc:
        status = HTTPStatus.CONFLICT if isinstance(exc, ConflictError) else HTTPStatus.BAD_REQUEST
        return render(ctx, "case_new.html", status=status, caller=caller, form=form, error=str(exc))
    return RedirectResponse(f"/cases/{row.id}", status_code=SEE_OTHER)


@router.get("/cases/{case_id}")
def case_page(case_id: RowId, ctx: ContextDep, caller: CallerDep, view: CaseViewDep) -> HTMLResponse:
    # The case with its record sections (persons, legal process, charges, victims): see pages_records.
    return render_case(ctx, caller, case_id, view)


# --- library --------------------------------------------------------------------------------------------
@router.get("/library")
def library_page(ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    sets = ctx.library.sets_for(caller.actor)
    return render(ctx, "library.html", caller=caller, sets=sets, results=None, hashes="")


@router.post("/library")
def library_lookup(
    ctx: ContextDep, caller: CallerDep, hashes: Annotated[str, Form(max_length=200_000)] = ""
) -> HTMLResponse:
    # Hashes travel in a POST body, not a URL: URLs end up in logs and browser history.
    values = [v for v in hashes.split() if v][:1000]
    sets = ctx.library.sets_for(caller.actor)
    results = ctx.library.lookup_for(caller.actor, values) if values else []
    return render(ctx, "library.html", caller=caller, sets=sets, results=results, hashes=hashes)


# --- audit ----------------------------------------------------------------------------------------------
@router.get("/audit")
def audit_page(
    *,
    ctx: ContextDep,
    caller: CallerDep,
    by: Annotated[str, Query(max_length=100)] = "",
    action: Annotated[str, Query(max_length=100)] = "",
    outcome: Annotated[str, Query(max_length=20)] = "",
    since: IsoTime | None = None,
) -> HTMLResponse:
    found = ctx.audit.search(
        caller.actor,
        now=ctx.clock(),
        by=by or None,
        action=action or None,
        outcome=outcome or None,
        since=since,
        limit=200,
    )
    since_text = since.strftime("%Y-%m-%d %H:%M") if since else ""
    filters = {"by": by, "action": action, "outcome": outcome, "since": since_text}
    who = audit_names(ctx.db, found)
    return render(ctx, "audit.html", caller=caller, events=found, filters=filters, who=who)


@router.post("/audit/anchor")
def audit_anchor(
    ctx: ContextDep, caller: CallerDep, note: Annotated[str, Form(max_length=300)] = ""
) -> Response:
    """Take an anchor of the audit chain and hand it to the browser as a file to keep elsewhere."""
    anchor = take_anchor(ctx.audit, caller.actor, now=ctx.clock(), note=note.strip() or None)
    return Response(
        json.dumps(anchor.to_json(), indent=2) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="vigilant-audit-anchor-{anchor.seq}.json"'},
    )
