"""The application factory: one database, the services over it, the API and the pages.

``create_app`` holds no state in module globals: everything an instance needs sits on ``app.state`` (see
:mod:`vigilant.web.context`), so tests build as many apps as they like, each with its own database and
clock. The database and the services come from one application object (:class:`vigilant.app.Vigilant`),
built here from the settings and closed when the server stops; a caller that passes its own keeps it, and
closes it itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined

from vigilant import __version__
from vigilant.app import Vigilant
from vigilant.config import Settings
from vigilant.security.auth import AuthPolicy
from vigilant.security.passwords import Passwords
from vigilant.web import api, api_leads, api_tokens, api_triage, display, pages, pages_leads, pages_triage
from vigilant.web.api_browse import router as browse_api
from vigilant.web.api_evidence_links import router as evidence_links_api
from vigilant.web.api_links import router as links_api
from vigilant.web.api_records import router as records_api
from vigilant.web.api_registry import router as registry_api
from vigilant.web.api_registry_map import router as registry_map_api
from vigilant.web.api_registry_places import router as registry_places_api
from vigilant.web.api_review import router as review_api
from vigilant.web.api_xref import router as xref_api
from vigilant.web.context import WebContext
from vigilant.web.errors import install_error_handlers
from vigilant.web.headers import STATIC_PREFIX, SecureHeaders
from vigilant.web.pages_browse import router as browse_pages
from vigilant.web.pages_case_forms import router as case_form_pages
from vigilant.web.pages_evidence_links import router as evidence_links_pages
from vigilant.web.pages_library import router as library_pages
from vigilant.web.pages_links import router as links_pages
from vigilant.web.pages_records import router as records_pages
from vigilant.web.pages_registry import router as registry_pages
from vigilant.web.pages_reports import router as report_pages
from vigilant.web.pages_review import router as review_pages
from vigilant.web.pages_xref import router as xref_pages

STATIC_DIR = Path(__file__).with_name("static")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WebOptions:
    """How this instance runs. Tests turn the Secure cookie flag off (plain http://127.0.0.1) and move the
    clock; production keeps the defaults."""

    cookie_secure: bool = True
    clock: Callable[[], datetime] = _utcnow
    passwords: Passwords | None = None  # tests pass cheap argon2 parameters
    auth_policy: AuthPolicy = field(default_factory=AuthPolicy)


def templates() -> Environment:
    # autoescape=True for every template: case titles and audit details are typed by people.
    env = Environment(
        loader=PackageLoader("vigilant.web", "templates"), autoescape=True, undefined=StrictUndefined
    )
    env.globals["static"] = STATIC_PREFIX
    display.install(env)  # the menu a role may use, and the ``when`` filter for times
    return env


def create_app(
    settings: Settings | None = None,
    options: WebOptions | None = None,
    *,
    application: Vigilant | None = None,
) -> FastAPI:
    """The web app over ``application`` (default: one built from ``settings``, closed when the server
    stops); ``settings`` default to the environment's, or the application's when one is given."""
    options = options or WebOptions()
    owned = application is None
    if application is None:
        settings = settings or Settings.from_env()
        application = Vigilant(settings, passwords=options.passwords, auth_policy=options.auth_policy)
    settings = application.settings
    # Built now, not at the first request: a secret key file that cannot be read stops the server at start.
    application.auth  # noqa: B018

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Handlers that read the database run on AnyIO's threads: 40 by default, all waiting for the one
        # core this process runs Python on, which made the slowest answers several times slower under load.
        to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        try:
            yield
        finally:
            if owned:
                application.close()  # the runs' follow-ups first, then the database

    app = FastAPI(
        title="Vigilant",
        version=__version__,
        lifespan=lifespan,
        # The description is served by an authenticated route in the API router; the interactive docs
        # pages load scripts from a CDN, which the Content-Security-Policy (rightly) refuses.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.vigilant = WebContext(
        app=application, templates=templates(), clock=options.clock, cookie_secure=options.cookie_secure
    )
    app.add_middleware(SecureHeaders)
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(records_api)
    app.include_router(records_pages)
    app.include_router(case_form_pages)
    app.include_router(evidence_links_api)
    app.include_router(evidence_links_pages)
    app.include_router(links_api)
    app.include_router(links_pages)
    app.include_router(registry_api)
    app.include_router(registry_pages)
    app.include_router(xref_api)
    app.include_router(xref_pages)
    app.include_router(registry_places_api)
    app.include_router(registry_map_api)
    app.include_router(api_leads.router)
    app.include_router(api_triage.router)
    app.include_router(pages_leads.router)
    app.include_router(pages_triage.router)
    app.include_router(api_tokens.router)
    app.include_router(browse_api)
    app.include_router(browse_pages)
    app.include_router(library_pages)
    app.include_router(report_pages)
    app.include_router(review_api)
    app.include_router(review_pages)
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
    return app
