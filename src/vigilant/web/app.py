"""The application factory: one database, the services over it, the API and the pages.

``create_app`` holds no state in module globals: everything an instance needs sits on ``app.state`` (see
:mod:`vigilant.web.context`), so tests build as many apps as they like, each with its own database and
clock. The database is opened here from the settings and closed when the server stops.
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
from vigilant.config import Settings
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.links.hooks import run_hook
from vigilant.security.audit import AuditLog
from vigilant.security.auth import AuthPolicy, AuthService
from vigilant.security.passwords import Passwords
from vigilant.security.secretbox import SecretBox
from vigilant.store import open_database
from vigilant.triage.launcher import RunLauncher
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


def create_app(settings: Settings | None = None, options: WebOptions | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    options = options or WebOptions()
    db = open_database(settings.database_url, pool=settings.db_pool)

    launcher = RunLauncher(settings, db, after_run=run_hook(db, settings.data_dir))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Handlers that read the database run on AnyIO's threads: 40 by default, all waiting for the one
        # core this process runs Python on, which made the slowest answers several times slower under load.
        to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        try:
            yield
        finally:
            launcher.close()  # a run's follow-up (the link graph's rebuild) must not outlive the database
            db.dispose()

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
        db=db,
        auth=AuthService(
            db,
            passwords=options.passwords,
            policy=options.auth_policy,
            box=SecretBox.from_settings(settings),
        ),
        audit=AuditLog(db),
        library=LibraryService(LibraryStore(db), settings.index_dir),
        templates=templates(),
        clock=options.clock,
        cookie_secure=options.cookie_secure,
        runs=launcher,
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
