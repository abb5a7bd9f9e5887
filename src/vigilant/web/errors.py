"""Errors as HTTP: one JSON shape for the API, a readable page for people.

Every API error, whoever raises it (a service, FastAPI's validation, Starlette's routing, an unexpected
exception), answers ``{"error": …, "hint": …}`` (:class:`~vigilant.web.schemas.ErrorOut`, documented for every
route); a page answers with the error page, in the layout and menu of whoever is signed in, saying in plain
words what happened and what to do in the web application.

The status comes from the error's kind, never from a decision made here: a refusal by ``require`` is 403,
a record the caller may not see is 404 exactly like one that does not exist (existence is not disclosed).
A path id that cannot name a record (0, -1, 2**63) is 404 too; other invalid input is 422 (a page: 400).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from vigilant.errors import BadInputError, ConflictError, ExitCode, NotFoundError, VigilantError
from vigilant.security.errors import AuthError, PermissionDenied
from vigilant.web.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    Caller,
    CsrfRefused,
    NotAuthenticated,
    clear_session_cookies,
    csrf_token_for,
)
from vigilant.web.context import WebContext
from vigilant.web.headers import add_secure_headers

API_PREFIX = "/api/"
MAX_PROBLEMS = 5  # validation problems named in one answer
API_DESCRIPTION = "the API's description: GET /api/v1/openapi.json"

# What a person can do next, in the web application, by status. Services' hints are written for the CLI
# ("`vigilant users list` shows them"); a page shows them only where they name no command.
WEB_ADVICE = {
    HTTPStatus.BAD_REQUEST: "correct what the message names and send the form again",
    HTTPStatus.FORBIDDEN: (
        "ask an administrator of your agency for a role that allows it; the menu above lists the pages your "
        "roles can open"
    ),
    HTTPStatus.NOT_FOUND: (
        "check the address, or find the record from the menu above (a record of another agency that is not "
        "shared with yours is not found either)"
    ),
    HTTPStatus.CONFLICT: "reload the page to see the record as it is now, then try again",
    HTTPStatus.METHOD_NOT_ALLOWED: "open the page from the menu above and use its buttons",
    HTTPStatus.INTERNAL_SERVER_ERROR: (
        "try again in a moment; if it happens again, tell your administrator the time it happened"
    ),
}
PLAIN_WORDS = {
    HTTPStatus.BAD_REQUEST: "Something in the request was not valid",
    HTTPStatus.FORBIDDEN: "Your role does not allow this",
    HTTPStatus.NOT_FOUND: "This page or record was not found",
    HTTPStatus.CONFLICT: "This conflicts with the record as it is now",
    HTTPStatus.METHOD_NOT_ALLOWED: "This page cannot be used that way",
    HTTPStatus.INTERNAL_SERVER_ERROR: "Something went wrong on the server",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def status_of(error: VigilantError) -> int:
    if isinstance(error, NotAuthenticated | AuthError):
        return HTTPStatus.UNAUTHORIZED
    if isinstance(error, PermissionDenied | CsrfRefused):
        return HTTPStatus.FORBIDDEN
    if isinstance(error, NotFoundError) or error.exit_code is ExitCode.NOT_FOUND:
        return HTTPStatus.NOT_FOUND
    if isinstance(error, ConflictError) or error.exit_code is ExitCode.CONFLICT:
        return HTTPStatus.CONFLICT
    if isinstance(error, BadInputError) or error.exit_code is ExitCode.BAD_INPUT:
        return HTTPStatus.UNPROCESSABLE_ENTITY
    return HTTPStatus.INTERNAL_SERVER_ERROR


def api_error(
    status: int, error: str, hint: str | None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The API's one error shape (:class:`~vigilant.web.schemas.ErrorOut`)."""
    return JSONResponse({"error": error, "hint": hint}, status_code=status, headers=headers)


def names_a_command(hint: str | None) -> bool:
    """Whether a hint is CLI advice, which means nothing to a person in a browser."""
    return hint is not None and ("`" in hint or "vigilant " in hint or "--" in hint)


async def signed_in(request: Request) -> Caller | None:
    """Who is signed in, for the error page's menu: the caller the route resolved, or else (a path that
    matched no route) the session cookie's, if it still opens a session. Never raises."""
    caller = getattr(request.state, "caller", None)
    if isinstance(caller, Caller) or is_api(request):
        return caller if isinstance(caller, Caller) else None
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return None
    ctx: WebContext = request.app.state.vigilant
    try:
        actor = await run_in_threadpool(ctx.auth.touch, session, now=ctx.clock())
    except Exception:  # an error page renders whatever state the session is in
        return None
    return Caller(actor, csrf_token_for(session))


def error_page(
    request: Request, status: int, message: str, hint: str | None, caller: Caller | None
) -> HTMLResponse:
    ctx: WebContext = request.app.state.vigilant
    advice = WEB_ADVICE.get(HTTPStatus(status))
    if hint and not names_a_command(hint) and status not in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND):
        advice = hint
    html = ctx.templates.get_template("error.html").render(
        status=status,
        reason=HTTPStatus(status).phrase,
        heading=PLAIN_WORDS.get(HTTPStatus(status), HTTPStatus(status).phrase),
        message=message,
        advice=advice,
        caller=caller,
        csrf_field=CSRF_FIELD,
    )
    return HTMLResponse(html, status_code=status)


async def handle_vigilant_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VigilantError)  # registered for VigilantError only
    status = status_of(exc)
    if status == HTTPStatus.UNAUTHORIZED:
        headers = {"WWW-Authenticate": "Bearer"}
        if is_api(request):
            return api_error(status, exc.message, exc.hint, headers)
        response: Response = RedirectResponse("/login", status_code=HTTPStatus.SEE_OTHER)
        ctx: WebContext = request.app.state.vigilant
        clear_session_cookies(response, secure=ctx.cookie_secure)  # an ended session's cookie is useless
        return response
    if is_api(request):
        return api_error(status, exc.message, exc.hint)
    if status == HTTPStatus.UNPROCESSABLE_ENTITY:
        status = HTTPStatus.BAD_REQUEST  # a page's form input was wrong: the page says which
    return error_page(request, status, exc.message, exc.hint, await signed_in(request))


def _problems(errors: Sequence[Any]) -> str:
    """FastAPI's validation errors in words: "query limit: Input should be less than or equal to 200"."""
    parts = []
    for error in errors[:MAX_PROBLEMS]:
        where = [str(part) for part in error.get("loc", ())]
        place = " ".join([*where[:1], ".".join(where[1:])]).strip() or "request"
        parts.append(f"{place}: {error.get('msg', 'not valid')}")
    more = len(errors) - MAX_PROBLEMS
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    """Input FastAPI refused before the route ran: a path id that cannot exist is 404, the rest 422."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    in_path = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("path",)]
    if in_path:
        name = ".".join(str(p) for p in in_path[0]["loc"][1:])
        message = f"not found: {name} must be a whole number from 1 that names a record"
        if is_api(request):
            return api_error(HTTPStatus.NOT_FOUND, message, API_DESCRIPTION)
        return error_page(request, HTTPStatus.NOT_FOUND, message, None, await signed_in(request))
    message = f"request not valid: {_problems(errors)}"
    if is_api(request):
        return api_error(HTTPStatus.UNPROCESSABLE_ENTITY, message, API_DESCRIPTION)
    return error_page(request, HTTPStatus.BAD_REQUEST, message, None, await signed_in(request))


async def handle_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own answers (no such path, method not allowed, body too large) in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    message = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else phrase.lower()
    if status < 400:  # not an error (e.g. 304): nothing to say
        return Response(status_code=status, headers=exc.headers)
    if is_api(request):
        return api_error(status, message, API_DESCRIPTION, exc.headers)
    page = error_page(request, status, message.capitalize(), None, await signed_in(request))
    for name, value in (exc.headers or {}).items():
        page.headers[name] = value
    return page


async def handle_server_error(request: Request, exc: Exception) -> Response:
    """An unexpected exception: a 500 that says nothing of the exception (the server's log has it), with
    the security headers, which Starlette's own answer here would lack (it runs outside the middleware)."""
    message = "internal error: the server could not complete the request"
    if is_api(request):
        response: Response = api_error(HTTPStatus.INTERNAL_SERVER_ERROR, message, WEB_ADVICE[HTTPStatus(500)])
    else:
        caller = getattr(request.state, "caller", None)  # no database call: it may be what failed
        response = error_page(
            request,
            HTTPStatus.INTERNAL_SERVER_ERROR,
            message,
            None,
            caller if isinstance(caller, Caller) else None,
        )
    return add_secure_headers(response, request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VigilantError, handle_vigilant_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_server_error)
