"""The web tests' world: two agencies, an operation and a case each, one user per role in the first agency.

The app runs on the test database with cheap argon2 parameters, cookies without the Secure flag (the test
client speaks plain http) and a clock the tests move instead of sleeping.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

# Starlette 1.x prefers the httpx2 package for its test client and warns (an error under our pytest
# settings) when it finds only httpx, which is what the lock holds. Silence exactly that warning, for this
# one import; moving the lock to httpx2 makes this block unnecessary.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient`", category=StarletteDeprecationWarning
    )
    from fastapi.testclient import TestClient

from tests.web.world_work import add_work
from vigilant.cases.agencies import add_agency
from vigilant.cases.models import Distribution, PersonRole, ProcessKind
from vigilant.cases.operations import add_operation
from vigilant.cases.people import add_person
from vigilant.cases.process import add_legal_process
from vigilant.cases.service import open_case
from vigilant.config import Settings
from vigilant.security import mfa
from vigilant.security.auth import AuthService
from vigilant.security.passwords import ArgonParams, Passwords
from vigilant.security.rights import Actor, Role
from vigilant.security.users import UserService
from vigilant.store import Database
from vigilant.web import WebOptions, create_app
from vigilant.web.auth import CSRF_COOKIE, CSRF_FIELD

FAST = Passwords(ArgonParams(time_cost=1, memory_cost_kib=1024, parallelism=1))
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
ROOT = Actor.cli("root-on-server")
OWN_TITLE = "Own agency case: Maple Street"
OTHER_TITLE = "Other agency secret: Birch Lane"  # must never reach a user of the first agency
OWN_PERSON = ("Maple", "Ownagency")  # a suspect in the first agency's case
OTHER_PERSON = ("Birch", "Otheragencysecret")  # in the other agency's case: its surname must never leak


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class Login:
    user_id: int
    username: str
    secret: str
    role: Role
    agency_id: int

    def code(self, at: datetime) -> str:
        return mfa.code_at(self.secret, mfa.step_of(at))

    def actor(self) -> Actor:
        return Actor(self.user_id, self.username, frozenset({self.role}), self.agency_id)


@dataclass
class World:
    own_agency: int
    other_agency: int
    own_case: int
    other_case: int
    own_operation: int
    other_operation: int
    users: dict[Role, Login] = field(default_factory=dict)
    own_person: int = 0  # a suspect named in own_case
    other_person: int = 0  # a suspect named in other_case
    own_process: int = 0  # an unexecuted search warrant in own_case
    other_process: int = 0  # one in other_case
    # Leads, evidence items and triage runs (tests/web/world_work.py).
    own_lead: int = 0
    other_lead: int = 0
    own_evidence: int = 0
    other_evidence: int = 0
    own_run: int = 0
    other_run: int = 0
    other_token: int = 0  # an API token of a user in the other agency


def build_world(db: Database) -> World:
    admin = Actor.cli("test-admin")
    own = add_agency(db, admin, name="Orillia Police", short_name="OPS", province="ON").id
    other = add_agency(db, admin, name="Halifax Police", short_name="HRP", province="NS").id
    ids: list[tuple[int, int]] = []
    for agency, code, title in ((own, "OP-OWN", OWN_TITLE), (other, "OP-OTHER", OTHER_TITLE)):
        coordinator = Actor.cli(f"coord@{agency}", agency_id=agency, roles={"coordinator"})
        op = add_operation(db, coordinator, code=code, name=f"{code} name", starts_on=date(2026, 1, 1))
        case = open_case(
            db,
            coordinator,
            number=f"{code}-1",
            title=title,
            operation=code,
            distribution=Distribution.AGENCY_ONLY,
            opened_at=T0 - timedelta(days=1),
        )
        ids.append((op.id, case.id))
    world = World(own, other, ids[0][1], ids[1][1], ids[0][0], ids[1][0])
    for agency, case_id, (given, surname) in (
        (own, world.own_case, OWN_PERSON),
        (other, world.other_case, OTHER_PERSON),
    ):
        coordinator = Actor.cli(f"coord@{agency}", agency_id=agency, roles={"coordinator"})
        person = add_person(
            db,
            coordinator,
            case_id,
            given_names=given,
            surname=surname,
            role=PersonRole.SUSPECT,
            date_of_birth=date(1980, 5, 1),
        )
        warrant = add_legal_process(
            db,
            coordinator,
            case_id,
            kind=ProcessKind.SEARCH_WARRANT,
            target=f"{surname} residence",
            issued_at=T0 - timedelta(hours=6),
            issued_by_court="Ontario Court of Justice",
            issued_by_judge="J. Example",
        )
        if agency == own:
            world.own_person, world.own_process = person.id, warrant.id
        else:
            world.other_person, world.other_process = person.id, warrant.id
    users = UserService(db, passwords=FAST)
    for role in Role:
        made = users.create(
            ROOT, f"{role.value}-ops", PASSWORD, roles=frozenset({role}), agency_id=own, now=T0
        )
        secret = parse_qs(urlparse(made.totp_uri).query)["secret"][0]
        world.users[role] = Login(made.user_id, made.username, secret, role, own)
    stranger = users.create(
        ROOT, "other-agency-user", PASSWORD, roles=frozenset({Role.INVESTIGATOR}), agency_id=other, now=T0
    )
    stranger_actor = Actor(stranger.user_id, "other-agency-user", frozenset({Role.INVESTIGATOR}), other)
    world.other_token = AuthService(db, passwords=FAST).create_api_token(stranger_actor, "other's", now=T0).id
    work = add_work(db, own_case_number="OP-OWN-1", other_case_number="OP-OTHER-1", other_label=OTHER_TITLE)
    for name, value in work.items():
        setattr(world, name, value)
    return world


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)


def make_app(db: Database, tmp_path: Path, clock: Clock, *, cookie_secure: bool = False) -> FastAPI:
    # The key that sealed the users' TOTP seeds (UserService took it from the environment) opens them.
    key = Settings.from_env().secret_key_file
    settings = Settings(data_dir=tmp_path / "web-data", database_url=db.url, user="test", secret_key_path=key)
    return create_app(settings, WebOptions(cookie_secure=cookie_secure, clock=clock, passwords=FAST))


@pytest.fixture
def client(db: Database, tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    with TestClient(make_app(db, tmp_path, clock), follow_redirects=False) as c:
        yield c


def log_in(client: TestClient, user: Login, clock: Clock, *, password: str = PASSWORD) -> int:
    """Log in through the form, as a browser does; returns the status of the login POST."""
    form = client.get("/login")
    token = form.cookies.get("vigilant_login_csrf") or ""
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": password,
            "totp": user.code(clock.now),
            CSRF_FIELD: token,
        },
    )
    return int(response.status_code)


def csrf(client: TestClient) -> str:
    return client.cookies.get(CSRF_COOKIE) or ""
