"""What one application instance holds: its database, services, clock and cookie policy.

It lives on ``app.state`` (one per :func:`~vigilant.web.app.create_app` call), never in a module global, so
two apps (two tests, two databases) never share state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from jinja2 import Environment

from vigilant.library.service import LibraryService
from vigilant.security.audit import AuditLog
from vigilant.security.auth import AuthService
from vigilant.store import Database
from vigilant.triage.launcher import RunLauncher
from vigilant.web.figures_memo import VersionedMemo


@dataclass(frozen=True)
class WebContext:
    db: Database
    auth: AuthService
    audit: AuditLog
    library: LibraryService
    templates: Environment
    clock: Callable[[], datetime]
    cookie_secure: bool
    runs: RunLauncher  # triage runs started from the web, each worked on by its own process
    # The dashboard's figures per caller and day, until the records change (web.figures_memo).
    figures_memo: VersionedMemo[Any] = field(default_factory=VersionedMemo)


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.vigilant
    return context
