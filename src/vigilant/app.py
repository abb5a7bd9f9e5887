"""The application object: one installation's database and the services over it, built once.

Both faces are made from it (datasette's habit): the web app builds one when it is created and closes it
when the server stops (:func:`vigilant.web.app.create_app`); the CLI builds one per process and database
through :func:`vigilant.cli.common.vigilant`. A service is built the first time it is asked for and then
kept, so every request of a server and every step of a command use the same objects; a test hands either
face a ``Vigilant`` of its own, with a fake in place of a service.

The domains written as functions over ``(db, actor, …)`` (cases, leads, links, registry, review) take
:attr:`Vigilant.db`; the ones written as classes are attributes here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from vigilant.config import Settings
from vigilant.store import Database, open_database

if TYPE_CHECKING:
    from vigilant.evidence.service import EvidenceService
    from vigilant.library.service import LibraryService
    from vigilant.security.audit import AuditLog
    from vigilant.security.auth import AuthPolicy, AuthService
    from vigilant.security.passwords import Passwords
    from vigilant.security.secretbox import SecretBox
    from vigilant.security.users import UserService
    from vigilant.triage.launcher import RunLauncher
    from vigilant.triage.service import TriageService

# Each service's module is imported when the service is first asked for: a CLI command loads only what it
# uses (the CLI's start-up time is every command's).

T = TypeVar("T")


class Vigilant:
    """One installation, as its settings describe it: the database (opened, migrated, once) and its services.

    ``db`` given: that database is used (and still disposed by :meth:`close`). ``passwords`` and
    ``auth_policy``: the argon2 parameters and login rules (tests pass cheap ones).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database | None = None,
        passwords: Passwords | None = None,
        auth_policy: AuthPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.db = db if db is not None else open_database(settings.database_url, pool=settings.db_pool)
        self._passwords = passwords
        self._auth_policy = auth_policy
        # Web handlers run on several threads: two first requests must not each build a service. Reentrant,
        # because a service may be built from another (users from the secret box).
        self._lock = threading.RLock()
        self._built: dict[str, Any] = {}
        self._closed = False

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            return cast(T, self._built[name])

    def provide(self, name: str, service: object) -> None:
        """Use ``service`` as the service ``name`` (a fake, in a test) instead of building it."""
        if not isinstance(getattr(type(self), name, None), property):
            raise AttributeError(f"{type(self).__name__} has no service {name!r}")
        with self._lock:
            self._built[name] = service

    # --- the services ---------------------------------------------------------------------------------
    @property
    def box(self) -> SecretBox:
        """The installation's secret key (TOTP seeds, evidence keys, encrypted media)."""
        from vigilant.security.secretbox import SecretBox

        return self._once("box", lambda: SecretBox.from_settings(self.settings))

    @property
    def audit(self) -> AuditLog:
        from vigilant.security.audit import AuditLog

        return self._once("audit", lambda: AuditLog(self.db))

    @property
    def auth(self) -> AuthService:
        from vigilant.security.auth import AuthService

        return self._once(
            "auth",
            lambda: AuthService(self.db, passwords=self._passwords, policy=self._auth_policy, box=self.box),
        )

    @property
    def users(self) -> UserService:
        from vigilant.security.users import UserService

        return self._once("users", lambda: UserService(self.db, passwords=self._passwords, box=self.box))

    @property
    def library(self) -> LibraryService:
        from vigilant.library.service import LibraryService
        from vigilant.library.store import LibraryStore

        return self._once("library", lambda: LibraryService(LibraryStore(self.db), self.settings.index_dir))

    @property
    def evidence(self) -> EvidenceService:
        from vigilant.cases.evidence_rules import evidence_service

        return self._once("evidence", lambda: evidence_service(self.db))

    @property
    def triage(self) -> TriageService:
        from vigilant.triage.service import TriageService

        return self._once("triage", lambda: TriageService(self.db, self.settings.data_dir))

    @property
    def runs(self) -> RunLauncher:
        """Triage runs started by a server, each worked on by its own process; after each, the link graph
        is brought up to date."""
        from vigilant.links.hooks import run_hook
        from vigilant.triage.launcher import RunLauncher

        return self._once(
            "runs",
            lambda: RunLauncher(
                self.settings,
                self.db,
                after_run=run_hook(self.db, self.settings.data_dir),
                triage=self.triage,
            ),
        )

    # --- the end ----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Wait for the runs' follow-ups (they use the database), then dispose of the database; a second
        call does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            runs: RunLauncher | None = self._built.get("runs")
        if runs is not None:
            runs.close()  # a run's follow-up (the link graph's rebuild) must not outlive the database
        self.db.dispose()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Vigilant:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
