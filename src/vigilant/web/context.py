"""What one web application instance holds: the application object (database and services), its templates,
clock and cookie policy.

It lives on ``app.state`` (one per :func:`~vigilant.web.app.create_app` call), never in a module global, so
two apps (two tests, two databases) never share state. The database and the services are the application
object's (:class:`vigilant.app.Vigilant`): ``ctx.db``, ``ctx.audit``, … are its, the same objects for
every request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from jinja2 import Environment

from vigilant.app import Vigilant
from vigilant.library.service import LibraryService
from vigilant.security.audit import AuditLog
from vigilant.security.auth import AuthService
from vigilant.store import Database
from vigilant.triage.launcher import RunLauncher
from vigilant.web.figures_memo import VersionedMemo


@dataclass(frozen=True)
class WebContext:
    app: Vigilant
    templates: Environment
    clock: Callable[[], datetime]
    cookie_secure: bool
    # The dashboard's figures per caller and day, until the records change (web.figures_memo).
    figures_memo: VersionedMemo[Any] = field(default_factory=VersionedMemo)

    # The application object's, under the names every router already uses.
    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def auth(self) -> AuthService:
        return self.app.auth

    @property
    def audit(self) -> AuditLog:
        return self.app.audit

    @property
    def library(self) -> LibraryService:
        return self.app.library

    @property
    def runs(self) -> RunLauncher:
        """Triage runs started from the web, each worked on by its own process."""
        return self.app.runs


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.vigilant
    return context


def application(request: Request) -> Vigilant:
    """The application object serving ``request`` (a dependency for routers that want a service)."""
    return web_context(request).app
