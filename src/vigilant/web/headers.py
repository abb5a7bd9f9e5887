"""The security headers every answer carries, error answers included.

:class:`SecureHeaders`, the application's middleware, adds them to what the routes answer; the
server-error handler (:mod:`vigilant.web.errors`) adds them itself, because Starlette answers an unhandled
exception outside every middleware an application adds.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIX = "/static"

SECURE_HEADERS = {
    # No inline script or style and no third-party origin: the CSS is a file under /static.
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def add_secure_headers(response: Response, path: str) -> Response:
    for name, value in SECURE_HEADERS.items():
        response.headers.setdefault(name, value)
    if not path.startswith(STATIC_PREFIX + "/"):
        # Pages and API answers carry case data: never kept by the browser or a proxy.
        response.headers["Cache-Control"] = "no-store"
    return response


class SecureHeaders:
    """The headers on every answer, as a plain ASGI middleware that edits the response's start message.

    It was an ``app.middleware("http")`` function: Starlette runs those through ``BaseHTTPMiddleware``,
    which copies each response through a stream and a task group, and cost the small pages and the static
    files about as much as they cost themselves under load.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope["path"]).startswith(STATIC_PREFIX + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURE_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
