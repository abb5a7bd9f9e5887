"""The security headers every answer carries, error answers included.

The middleware in :mod:`vigilant.web.app` adds them to what the routes answer; the server-error handler
(:mod:`vigilant.web.errors`) adds them itself, because Starlette answers an unhandled exception outside every
middleware an application adds.
"""

from __future__ import annotations

from starlette.responses import Response

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
