"""htmx requests: when a page may answer with only the fragment the browser asked to swap.

Every page renders in full for a plain browser (no JavaScript needed); htmx, when loaded, asks for the same
URL with an ``HX-Request`` header and swaps in the results fragment only. A history restore (back button
after htmx keeps no history cache) must get the whole page again.
"""

from __future__ import annotations

from fastapi import Request


def wants_fragment(request: Request) -> bool:
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
