"""Errors from the services, as HTTP: a JSON body for the API, a readable page for people.

The status comes from the error's kind, never from a decision made here: a refusal by ``require`` is 403,
a record the caller may not see is 404 exactly like one that does not exist (existence is not disclosed).
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from vigilant.cases.errors import PermissionDeniedError
from vigilant.errors import BadInputError, ConflictError, ExitCode, NotFoundError, VigilantError
from vigilant.security.errors import AuthError, PermissionDenied
from vigilant.web.auth import CsrfRefused, NotAuthenticated, clear_session_cookies
from vigilant.web.context import WebContext

API_PREFIX = "/api/"


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def status_of(error: VigilantError) -> int:
    if isinstance(error, NotAuthenticated | AuthError):
        return HTTPStatus.UNAUTHORIZED
    if isinstance(error, PermissionDenied | PermissionDeniedError | CsrfRefused):
        return HTTPStatus.FORBIDDEN
    if isinstance(error, NotFoundError) or error.exit_code is ExitCode.NOT_FOUND:
        return HTTPStatus.NOT_FOUND
    if isinstance(error, ConflictError) or error.exit_code is ExitCode.CONFLICT:
        return HTTPStatus.CONFLICT
    if isinstance(error, BadInputError) or error.exit_code is ExitCode.BAD_INPUT:
        return HTTPStatus.UNPROCESSABLE_ENTITY
    return HTTPStatus.INTERNAL_SERVER_ERROR


def error_page(request: Request, status: int, message: str, hint: str | None) -> HTMLResponse:
    ctx: WebContext = request.app.state.vigilant
    html = ctx.templates.get_template("error.html").render(
        status=status, reason=HTTPStatus(status).phrase, message=message, hint=hint, actor=None
    )
    return HTMLResponse(html, status_code=status)


async def handle_vigilant_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VigilantError)  # registered for VigilantError only
    status = status_of(exc)
    if status == HTTPStatus.UNAUTHORIZED:
        headers = {"WWW-Authenticate": "Bearer"}
        if is_api(request):
            return JSONResponse({"error": exc.message, "hint": exc.hint}, status_code=status, headers=headers)
        response: Response = RedirectResponse("/login", status_code=HTTPStatus.SEE_OTHER)
        ctx: WebContext = request.app.state.vigilant
        clear_session_cookies(response, secure=ctx.cookie_secure)  # an ended session's cookie is useless
        return response
    if is_api(request):
        return JSONResponse({"error": exc.message, "hint": exc.hint}, status_code=status)
    if status == HTTPStatus.UNPROCESSABLE_ENTITY:
        status = HTTPStatus.BAD_REQUEST  # a page's form input was wrong: the page says which
    return error_page(request, status, exc.message, exc.hint)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VigilantError, handle_vigilant_error)
