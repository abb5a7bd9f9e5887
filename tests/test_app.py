"""The application object: both faces take their database and services from one ``Vigilant``."""

from __future__ import annotations

import json
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from vigilant.app import Vigilant
from vigilant.cli import run
from vigilant.config import Settings
from vigilant.errors import ExitCode
from vigilant.library.records import HashSetInfo
from vigilant.security import audit as audit_module
from vigilant.security.audit import AuditRecord
from vigilant.security.passwords import ArgonParams, Passwords
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.web import WebOptions, create_app

with warnings.catch_warnings():  # as tests/web/conftest.py: Starlette's test client prefers httpx2
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=StarletteDeprecationWarning
    )
    from fastapi.testclient import TestClient

FAST = Passwords(ArgonParams(time_cost=1, memory_cost_kib=1024, parallelism=1))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "app-data", database_url=db.url, user="test")


@dataclass
class FakeLibrary:
    """Stands in for LibraryService: remembers who asked for the sets."""

    callers: list[str] = field(default_factory=list)

    def sets_for(self, actor: Actor) -> list[HashSetInfo]:
        self.callers.append(actor.username)
        return []


@dataclass
class FakeAudit:
    """Stands in for AuditLog's search: one canned event, and the searches it was asked for."""

    searches: list[dict[str, Any]] = field(default_factory=list)

    def search(self, actor: Actor, **filters: Any) -> list[AuditRecord]:
        self.searches.append({"actor": actor.username, **filters})
        return [
            AuditRecord(
                seq=7,
                at=NOW,
                actor="someone",
                action="record.read",
                outcome="success",
                object_type="case",
                object_id="3",
                case_ref="OP-1",
                source="203.0.113.5",
                detail={"fields": ["title"]},
            )
        ]


def test_a_service_is_built_once_and_kept(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    real = audit_module.AuditLog

    class CountedAuditLog(real):  # type: ignore[misc, valid-type]
        def __init__(self, database: Database) -> None:
            super().__init__(database)
            built.append(self)

    monkeypatch.setattr(audit_module, "AuditLog", CountedAuditLog)
    app = Vigilant(_settings(db, tmp_path), db=db)
    assert built == []  # nothing is built until asked for
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(app.audit)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1  # eight first askers at once, one service
    assert all(s is built[0] for s in seen)
    assert app.audit.db is app.db is db


def test_provide_refuses_a_name_that_is_no_service(db: Database, tmp_path: Path) -> None:
    app = Vigilant(_settings(db, tmp_path), db=db)
    with pytest.raises(AttributeError, match="no service 'librarry'"):
        app.provide("librarry", FakeLibrary())
    with pytest.raises(AttributeError, match="no service 'close'"):
        app.provide("close", FakeLibrary())


def test_every_request_takes_the_services_of_the_one_application_object(db: Database, tmp_path: Path) -> None:
    application = Vigilant(_settings(db, tmp_path), db=db, passwords=FAST)
    fake = FakeLibrary()
    application.provide("library", fake)
    reader = application.users.create(
        Actor.cli("root-on-server"), "examiner-1", "correct horse battery staple",
        roles=frozenset({Role.EXAMINER}), agency_id=None, now=NOW,
    )  # fmt: skip
    actor = Actor(reader.user_id, reader.username, frozenset({Role.EXAMINER}), None)
    token = application.auth.create_api_token(actor, "test", now=NOW).token
    options = WebOptions(cookie_secure=False, clock=lambda: NOW, passwords=FAST)
    web = create_app(options=options, application=application)
    with TestClient(web) as client:
        for _ in range(2):
            answer = client.get("/api/v1/library/sets", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
            assert answer.json() == []
    assert fake.callers == ["examiner-1", "examiner-1"]  # both requests reached the object's library
    assert web.state.vigilant.app is application
    assert not application.closed  # the caller's object: the server leaves it open
    application.close()


def test_the_server_closes_the_application_object_it_built(db: Database, tmp_path: Path) -> None:
    web = create_app(_settings(db, tmp_path), WebOptions(cookie_secure=False, passwords=FAST))
    application: Vigilant = web.state.vigilant.app
    with TestClient(web) as client:
        assert client.get("/login").status_code == 200
        assert not application.closed
    assert application.closed


def test_a_command_takes_its_services_from_the_application_object_it_is_given(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    application = Vigilant(_settings(db, tmp_path), db=db)
    fake = FakeAudit()
    application.provide("audit", fake)
    assert run(["audit", "search", "--case", "OP-1", "--json"], application=application) == ExitCode.OK
    printed = json.loads(capsys.readouterr().out)
    assert [(e["seq"], e["action"], e["case_ref"]) for e in printed] == [(7, "record.read", "OP-1")]
    assert len(fake.searches) == 1
    assert fake.searches[0]["actor"] == "test-examiner"  # the CLI's local actor (VIGILANT_USER)
    assert fake.searches[0]["case_ref"] == "OP-1"
