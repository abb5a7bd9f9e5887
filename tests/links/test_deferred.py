"""A case form's save no longer rebuilds the link graph inside its request: the save marks the graph stale,
the response leaves, and the rebuild runs after it (a background task of the response). Saves close
together fold into one rebuild; a mark whose rebuild never ran keeps the graph stale until one does."""

from __future__ import annotations

import fcntl
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.links.world import planted
from tests.web.conftest import PASSWORD, Clock, Login, World
from tests.web.test_browser import site
from vigilant.links import deferred
from vigilant.links.builders import BUILDERS
from vigilant.links.freshness import ALL_TRIGGERS, GraphFreshness
from vigilant.links.models import LinkEntityRow
from vigilant.links.service import build_all
from vigilant.security.rights import Role
from vigilant.store import Database
from vigilant.store.models import utcnow
from vigilant.web.auth import CSRF_COOKIE, CSRF_FIELD

__all__ = ["site"]  # the live server this module borrows

WEB_DATA = "web-data"  # the web app's data folder in tests/web/conftest.py


def _labels(db: Database) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(LinkEntityRow.label)))


def _log_in(client: httpx.Client, user: Login) -> None:
    token = client.get("/login").cookies.get("vigilant_login_csrf") or ""
    sent = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "totp": user.code(datetime.now(UTC)),
              CSRF_FIELD: token},
    )  # fmt: skip
    assert sent.status_code == 303, sent.text


def test_the_form_answers_before_the_slow_rebuild_ends_and_the_graph_is_current_after(
    site: tuple[str, World, Database, Clock], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, world, db, _ = site
    records = BUILDERS["records"]
    real_build = type(records).build
    release, finished = threading.Event(), threading.Event()

    def slow(self: object, sources: object) -> object:
        release.wait(timeout=60)  # as slow as the test wants: until the response has been read
        try:
            return real_build(self, sources)  # type: ignore[arg-type]
        finally:
            finished.set()

    monkeypatch.setattr(type(records), "build", slow)
    freshness = GraphFreshness(tmp_path / WEB_DATA)
    try:
        with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
            _log_in(client, world.users[Role.INVESTIGATOR])
            form = {"given_names": "Quinn", "surname": "Deferred", "role": "suspect",
                    CSRF_FIELD: client.cookies.get(CSRF_COOKIE) or ""}  # fmt: skip
            sent = client.post(f"/cases/{world.own_case}/persons", data=form)
        assert sent.status_code == 303, sent.text
        assert not finished.is_set()  # the answer came while the rebuild was still held back
        assert "Quinn Deferred" not in _labels(db)
        reasons = [s.reason for s in freshness.stale(db)]
        assert f"the rebuild after a record of case {world.own_case} has not ended" in reasons
    finally:
        release.set()  # (a failed assertion must not leave the server's shutdown waiting a minute)
    deadline = time.monotonic() + 60
    while not (finished.is_set() and "Quinn Deferred" in _labels(db) and not _pending(freshness)):
        assert time.monotonic() < deadline, "the rebuild after the response did not end"
        time.sleep(0.05)
    assert not any("has not ended" in s.reason for s in freshness.stale(db))


def _pending(freshness: GraphFreshness) -> dict[str, object]:
    pending: dict[str, object] = freshness.read().get("pending", {})
    return pending


def test_saves_marked_together_make_one_rebuild_and_a_busy_drain_leaves_the_work_to_the_holder(
    db: Database, tmp_path: Path
) -> None:
    p = planted(db, tmp_path)
    build_all(db, p.pp, p.data / "observations")
    GraphFreshness(p.data).succeeded(ALL_TRIGGERS, utcnow())
    deferred.mark(p.data, p.cases["B"])
    deferred.mark(p.data, p.cases["C"])
    (result,) = deferred.drain(db, p.data)  # two marks, one rebuild
    assert result.error is None
    assert result.what == f"a record of case {p.cases['C']}"
    assert not _pending(GraphFreshness(p.data))
    assert deferred.drain(db, p.data) == []  # nothing marked: nothing rebuilt

    deferred.mark(p.data, p.cases["B"])
    with (p.data / "links" / "records-drain.lock").open("a") as held:  # another drain at work
        fcntl.flock(held, fcntl.LOCK_EX)
        assert deferred.drain(db, p.data) == []  # returns at once: the holder looks again
        fcntl.flock(held, fcntl.LOCK_UN)
    assert _pending(GraphFreshness(p.data))  # still stale: nothing has rebuilt it yet
    assert len(deferred.drain(db, p.data)) == 1
    assert GraphFreshness(p.data).stale(db) == []


def test_a_mark_whose_rebuild_never_ran_keeps_the_graph_stale_until_a_rebuild_started_after_it(
    db: Database, tmp_path: Path
) -> None:
    p = planted(db, tmp_path)
    build_all(db, p.pp, p.data / "observations")
    freshness = GraphFreshness(p.data)
    freshness.succeeded(ALL_TRIGGERS, utcnow())
    deferred.mark(p.data, p.cases["B"])  # the server stopped before the drain (none is called here)
    (stale,) = freshness.stale(db)
    assert stale.reason == f"the rebuild after a record of case {p.cases['B']} has not ended"
    freshness.succeeded(["record"], datetime(2001, 1, 1, tzinfo=UTC))  # a rebuild that started before it
    assert [s.reason for s in freshness.stale(db)] == [stale.reason]
    assert len(deferred.drain(db, p.data)) == 1  # the next save's drain, say
    assert freshness.stale(db) == []
