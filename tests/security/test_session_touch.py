"""A session's last use is written at most once a minute: a busy page no longer writes the session row on
every request (under load each write serialised the requests on SQLite), and the idle lock still comes at
30 idle minutes or earlier, never later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests.security.conftest import PASSWORD, T0, make_user
from vigilant.security.auth import AuthService
from vigilant.security.errors import SessionExpired
from vigilant.security.models import SessionRow
from vigilant.security.users import UserService
from vigilant.store import Database


def _updates(db: Database) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _record(*args: object) -> None:  # (conn, cursor, statement, parameters, context, executemany)
        statement = str(args[2])
        if statement.lstrip().upper().startswith("UPDATE"):
            seen.append(statement)

    return seen


def _last_seen(db: Database) -> object:
    with db.session() as s:
        return s.scalars(select(SessionRow.last_seen)).one()


def test_touches_within_a_minute_write_nothing(db: Database, auth: AuthService, users: UserService) -> None:
    ann = make_user(users)
    token = auth.login("ann", PASSWORD, ann.code(T0), source_ip=None, now=T0)
    written = _last_seen(db)
    updates = _updates(db)
    for seconds in (1, 10, 59):
        assert auth.touch(token, now=T0 + timedelta(seconds=seconds)).username == "ann"
    assert updates == []
    assert _last_seen(db) == written
    auth.touch(token, now=T0 + timedelta(seconds=61))
    assert len(updates) == 1
    assert _last_seen(db) != written


def test_the_idle_lock_never_comes_later_than_thirty_minutes(
    db: Database, auth: AuthService, users: UserService
) -> None:
    ann = make_user(users)
    token = auth.login("ann", PASSWORD, ann.code(T0), source_ip=None, now=T0)
    auth.touch(token, now=T0 + timedelta(seconds=50))  # not written: within the minute
    with pytest.raises(SessionExpired, match="idle"):
        auth.touch(
            token, now=T0 + timedelta(minutes=30)
        )  # 29 min 10 s after the last use: earlier, not later
