"""Shared pieces for the security tests: cheap argon2 parameters, a fixed clock, a user factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from vigilant.cases.models import AgencyRow
from vigilant.security import mfa
from vigilant.security.audit import GENESIS, HEAD_ID, event_hash
from vigilant.security.auth import AuthService
from vigilant.security.models import AuditEventRow, AuditHeadRow
from vigilant.security.passwords import ArgonParams, Passwords
from vigilant.security.rights import Actor, Role
from vigilant.security.users import UserService
from vigilant.store import Database

# Cheap parameters keep the tests quick; the production defaults are tested in test_passwords.py.
FAST = ArgonParams(time_cost=1, memory_cost_kib=1024, parallelism=1)
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
ADMIN = Actor.cli("root-on-server")


@dataclass(frozen=True)
class Made:
    user_id: int
    username: str
    secret: str

    def code(self, at: datetime) -> str:
        return mfa.code_at(self.secret, mfa.step_of(at))


def secret_of(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


@pytest.fixture
def passwords() -> Passwords:
    return Passwords(FAST)


@pytest.fixture
def agencies(db: Database) -> tuple[int, ...]:
    """Agencies 1 and 7, which the users in these tests belong to (a user's agency must exist)."""
    with db.session() as s:
        for agency_id in (1, 7):
            s.add(
                AgencyRow(
                    id=agency_id,
                    name=f"Agency {agency_id}",
                    short_name=f"A{agency_id}",
                    province="ON",
                    municipalities=[],
                    is_coordinator=False,
                    created_at=T0,
                )
            )
    return (1, 7)


@pytest.fixture
def users(db: Database, passwords: Passwords, agencies: tuple[int, ...]) -> UserService:
    return UserService(db, passwords=passwords)


@pytest.fixture
def auth(db: Database, passwords: Passwords) -> AuthService:
    return AuthService(db, passwords=passwords)


def make_user(
    users: UserService, username: str = "ann", *, roles: frozenset[Role] = frozenset({Role.INVESTIGATOR})
) -> Made:
    made = users.create(ADMIN, username, PASSWORD, roles=roles, agency_id=7, now=T0)
    return Made(made.user_id, username, secret_of(made.totp_uri))


def rewrite_chain(db: Database, seq: int, object_id: str) -> None:
    """What someone with write access to the database can do: change an event, then recompute every hash
    after it and the head, so that the chain verifies again."""
    with db.session() as s:
        prev = GENESIS
        for row in s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)):
            if row.seq == seq:
                row.object_id = object_id
            row.prev_hash = prev
            row.hash = event_hash(row)
            prev = row.hash
        head = s.get(AuditHeadRow, HEAD_ID)
        assert head is not None
        head.hash = prev
