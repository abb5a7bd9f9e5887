"""From request to caller: session cookies or bearer API tokens, and the CSRF check.

Pages log in with a form and carry an HttpOnly, SameSite=Strict session cookie; automation sends
``Authorization: Bearer vgt_…``. Every request goes through :meth:`AuthService.touch` (idle end, disabled
accounts) or :meth:`AuthService.authenticate_token`; the result is the Actor routers hand to services.

CSRF: a cookie-authenticated request that changes state must carry a token (form field ``csrf_token`` or
header ``X-CSRF-Token``) equal to the ``vigilant_csrf`` cookie and to the HMAC of the session token. The
token is derived from the session token, which a cross-site page cannot read, so it cannot be forged; it
ends with the session. Bearer requests are exempt: a browser never attaches that header on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from vigilant.errors import VigilantError
from vigilant.security.auth import API_TOKEN_PREFIX
from vigilant.security.rights import Actor
from vigilant.web.context import WebContext, web_context

SESSION_COOKIE = "vigilant_session"
CSRF_COOKIE = "vigilant_csrf"
LOGIN_CSRF_COOKIE = "vigilant_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotAuthenticated(VigilantError):
    """No valid session or token: the API answers 401, pages send the caller to /login."""

    def __init__(self, message: str = "not logged in", *, expired: bool = False) -> None:
        super().__init__(message, hint="log in at /login, or send 'Authorization: Bearer <API token>'")
        self.expired = expired


class CsrfRefused(VigilantError):
    def __init__(self) -> None:
        super().__init__(
            "request refused: missing or wrong CSRF token",
            hint="reload the page and submit the form again; scripts should use an API token instead",
        )


@dataclass(frozen=True)
class Caller:
    actor: Actor
    csrf_token: str | None  # None for bearer-token callers, who need none


def csrf_token_for(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"vigilant-csrf-v1", hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def submitted_csrf(request: Request) -> str:
    """The token the client sent: the header (scripts, htmx) or the form field (plain forms)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)  # Starlette caches the parsed form for the route
        return value if isinstance(value, str) else ""
    return ""


def same_token(*values: str | None) -> bool:
    first = values[0]
    if not first:
        return False
    return all(v is not None and hmac.compare_digest(first.encode(), v.encode()) for v in values[1:])


async def current_caller(request: Request, ctx: Annotated[WebContext, Depends(web_context)]) -> Caller:
    now = ctx.clock()
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token.startswith(API_TOKEN_PREFIX):
            raise NotAuthenticated("the Authorization header must be 'Bearer vgt_…'")
        actor = await run_in_threadpool(
            ctx.auth.authenticate_token, token, source_ip=client_ip(request), now=now
        )
        caller = request.state.caller = Caller(actor, None)
        return caller
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise NotAuthenticated()
    actor = await run_in_threadpool(ctx.auth.touch, session, now=now)
    expected = csrf_token_for(session)
    if request.method not in SAFE_METHODS:
        sent = await submitted_csrf(request)
        if not same_token(expected, sent, request.cookies.get(CSRF_COOKIE)):
            raise CsrfRefused()
    # Kept for the error pages, which show the caller's menu (vigilant.web.errors).
    caller = request.state.caller = Caller(actor, expected)
    return caller


async def current_actor(caller: Annotated[Caller, Depends(current_caller)]) -> Actor:
    return caller.actor


CallerDep = Annotated[Caller, Depends(current_caller)]
ActorDep = Annotated[Actor, Depends(current_actor)]
ContextDep = Annotated[WebContext, Depends(web_context)]


def set_session_cookies(response: Response, session_token: str, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE, session_token, httponly=True, secure=secure, samesite="strict", path="/"
    )
    # Readable by the page's own scripts (htmx will send it as a header); useless to another site.
    response.set_cookie(
        CSRF_COOKIE, csrf_token_for(session_token), httponly=False, secure=secure, samesite="strict", path="/"
    )


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="strict")
