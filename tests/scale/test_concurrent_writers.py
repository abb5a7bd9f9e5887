"""The web under concurrency: two app servers (`vigilant serve --workers 2` each, as behind a reverse proxy)
against one PostgreSQL, 8 clients writing at once.

Each client logs in through one server's login form (password + TOTP) and then alternates between the two
servers with that one session: it opens cases, names a person in each, and reads each case back. Meanwhile
all 8 send a wrong password for one shared account at the same moment. Afterwards: every request has its
audit event, seq has no gap, the prev_hash links form one chain (no fork), `audit verify` passes, the
account is locked after exactly the policy's 5 failures (the 3 others and a later right password are refused
as locked), and every session worked on the server that did not create it.

Bounded: 8 clients x 4 cases (with 1 person and 1 read each), loopback only, a deadline on the whole load.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import select

from tests.scale._deploy_servers import postgres_database, serving
from vigilant.cases.agencies import add_agency
from vigilant.cli import run
from vigilant.cli.common import close_databases
from vigilant.errors import ExitCode
from vigilant.security import mfa
from vigilant.security.audit import GENESIS, HEAD_ID, verify_chain
from vigilant.security.auth import AuthPolicy
from vigilant.security.models import AuditEventRow, AuditHeadRow, SessionRow, UserRow
from vigilant.security.passwords import ArgonParams, Passwords
from vigilant.security.rights import Actor, Role
from vigilant.security.users import UserService
from vigilant.store import open_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CLIENTS = 8
CASES_PER_CLIENT = 4
DEADLINE_S = 240.0  # the whole load; each request has its own 60 s timeout
PASSWORD = "correct horse battery staple"
VICTIM = "shared-desk"  # the account all 8 clients guess wrongly at once
ADMIN = Actor.cli("deploy-admin")
# Users made with cheap argon2 parameters: the servers verify them as they are (and rehash on a good login).
FAST = Passwords(ArgonParams(time_cost=1, memory_cost_kib=1024, parallelism=1))


@dataclass
class Client:
    user_id: int
    username: str
    secret: str
    home: str = ""  # the server it logged in on
    session: str = ""
    csrf: str = ""
    cases: list[int] = field(default_factory=list)
    persons: list[int] = field(default_factory=list)
    across: int = 0  # requests answered by the server that did not create the session
    failures: list[str] = field(default_factory=list)


@pytest.fixture
def url() -> Iterator[str]:
    with postgres_database("concurrent") as made:
        yield made
    close_databases()


def _enrol(url: str) -> tuple[list[Client], str]:
    db = open_database(url)
    try:
        agency = add_agency(db, ADMIN, name="Orillia Police", short_name="OPS", province="ON").id
        users = UserService(db, passwords=FAST)
        now = datetime.now(UTC)
        clients = []
        for i in range(CLIENTS):
            made = users.create(
                ADMIN,
                f"investigator-{i}",
                PASSWORD,
                roles=frozenset({Role.INVESTIGATOR}),
                agency_id=agency,
                now=now,
            )
            clients.append(
                Client(made.user_id, made.username, parse_qs(urlparse(made.totp_uri).query)["secret"][0])
            )
        victim = users.create(
            ADMIN, VICTIM, PASSWORD, roles=frozenset({Role.INVESTIGATOR}), agency_id=agency, now=now
        )
        return clients, parse_qs(urlparse(victim.totp_uri).query)["secret"][0]
    finally:
        db.dispose()


def _login(http: httpx.Client, base: str, username: str, password: str, secret: str) -> httpx.Response:
    """The login form, as a browser sends it (the cookies are Secure, so they are passed by hand)."""
    form = http.get(f"{base}/login")
    token = form.cookies["vigilant_login_csrf"]
    code = mfa.code_at(secret, mfa.step_of(datetime.now(UTC)))
    return http.post(
        f"{base}/login",
        data={"username": username, "password": password, "totp": code, "csrf_token": token},
        headers={"cookie": f"vigilant_login_csrf={token}"},
    )


def _work(client: Client, servers: list[str], index: int, guess: threading.Barrier) -> None:
    with httpx.Client(timeout=60, follow_redirects=False) as http:
        # All 8 guess the shared account's password wrongly at the same moment, each on its own server.
        base = servers[index % 2]
        form = http.get(f"{base}/login")
        token = form.cookies["vigilant_login_csrf"]
        guess.wait(timeout=60)
        wrong = http.post(
            f"{base}/login",
            data={"username": VICTIM, "password": "wrong", "totp": "000000", "csrf_token": token},
            headers={"cookie": f"vigilant_login_csrf={token}"},
        )
        if wrong.status_code != 401:
            client.failures.append(f"wrong password answered {wrong.status_code}")

        client.home = base
        done = _login(http, base, client.username, PASSWORD, client.secret)
        if done.status_code != 303:
            client.failures.append(f"login answered {done.status_code}: {done.text[-300:]}")
            return
        client.session, client.csrf = done.cookies["vigilant_session"], done.cookies["vigilant_csrf"]
        headers = {
            "cookie": f"vigilant_session={client.session}; vigilant_csrf={client.csrf}",
            "x-csrf-token": client.csrf,
        }
        for n in range(CASES_PER_CLIENT):
            # Alternate servers: every other request goes to the one that did not create the session.
            there, back = servers[(index + n + 1) % 2], servers[(index + n) % 2]
            body = {"number": f"{client.username}-{n}", "title": f"Concurrent case {n}"}
            case = http.post(f"{there}/api/v1/cases", json=body, headers=headers)
            if case.status_code != 201:
                client.failures.append(f"case answered {case.status_code}: {case.text[-300:]}")
                continue
            case_id = int(case.json()["id"])
            client.cases.append(case_id)
            person = {"given_names": f"Given{n}", "surname": f"Surname{index}", "role": "suspect"}
            named = http.post(f"{back}/api/v1/cases/{case_id}/persons", json=person, headers=headers)
            if named.status_code != 201:
                client.failures.append(f"person answered {named.status_code}: {named.text[-300:]}")
                continue
            client.persons.append(int(named.json()["id"]))
            read = http.get(f"{there}/api/v1/cases/{case_id}", headers=headers)
            if read.status_code != 200:
                client.failures.append(f"read answered {read.status_code}")
            client.across += sum(1 for server in (there, back, there) if server != client.home)


def test_eight_concurrent_writers_keep_one_chain_exact_lockouts_and_shared_sessions(
    url: str, tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients, victim_secret = _enrol(url)
    env = {
        **os.environ,
        "VIGILANT_DATABASE_URL": url,
        "VIGILANT_DATA_DIR": str(isolated_env),
        "VIGILANT_SECRET_KEY_FILE": str(isolated_env / "secret.key"),  # every app server holds the same key
    }
    started = time.monotonic()
    logs = [tmp_path / "server-a.log", tmp_path / "server-b.log"]
    with serving(env, logs, workers=2) as (a, b):
        guess = threading.Barrier(CLIENTS)
        threads = [
            threading.Thread(target=_work, args=(client, [a, b], i, guess), name=client.username)
            for i, client in enumerate(clients)
        ]
        load_started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1.0, DEADLINE_S - (time.monotonic() - load_started)))
        assert not any(t.is_alive() for t in threads), f"the load passed its {DEADLINE_S:.0f} s deadline"
        load_s = time.monotonic() - load_started
        # Locked now: the right password and a fresh code are refused too, on either server.
        with httpx.Client(timeout=60) as http:
            assert _login(http, b, VICTIM, PASSWORD, victim_secret).status_code == 401
    print(f"{CLIENTS} clients: load {load_s:.1f} s, with servers {time.monotonic() - started:.1f} s")

    assert [f for c in clients for f in c.failures] == []
    assert all(len(c.cases) == len(c.persons) == CASES_PER_CLIENT for c in clients)
    assert all(c.across >= CASES_PER_CLIENT for c in clients)  # each session served by the other server

    db = open_database(url, migrate=False)
    try:
        with db.session() as s:
            events = list(s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)))
            head = s.get(AuditHeadRow, HEAD_ID)
            victim = s.scalars(select(UserRow).where(UserRow.username == VICTIM)).one()
            sessions = Counter(s.scalars(select(SessionRow.user_id)))
        report = verify_chain(db)
    finally:
        db.dispose()

    # One chain: seq 1..n with no gap, each event linked to the one before, no two events on one link.
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert head is not None
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    assert [e.prev_hash for e in events] == [GENESIS] + [e.hash for e in events[:-1]]
    assert len({e.prev_hash for e in events}) == len(events)  # no fork
    assert report.ok, report.reason

    # Every request's event is there, once, by its caller.
    def kept(action: str, object_type: str) -> Counter[tuple[int | None, str]]:
        wanted = (action, object_type)
        return Counter((e.actor_id, e.object_id or "") for e in events if (e.action, e.object_type) == wanted)

    created_cases, created_persons = kept("record.changed", "case"), kept("record.changed", "person")
    reads = kept("record.read", "case")
    for c in clients:
        for case_id, person_id in zip(c.cases, c.persons, strict=True):
            assert created_cases[(c.user_id, str(case_id))] == 1
            assert created_persons[(c.user_id, str(person_id))] == 1
            assert reads[(c.user_id, str(case_id))] == 1
    assert Counter(e.actor for e in events if e.action == "login.ok") == Counter(c.username for c in clients)
    assert len(sessions) == CLIENTS
    assert set(sessions.values()) == {1}

    # The lockout, exactly as the policy says: 5 counted failures lock the account; the 3 concurrent guesses
    # that came after, and the later right password, are refused as locked without a password check.
    policy = AuthPolicy()
    victims = [e for e in events if e.actor == VICTIM]
    failed = [e for e in victims if e.action == "login.failed"]
    assert [e.detail["reason"] for e in failed] == ["bad-password"] * policy.max_failures
    assert [e.detail["failures"] for e in failed] == list(range(1, policy.max_failures + 1))
    assert [e.detail["locked_until"] is not None for e in failed] == [False] * (policy.max_failures - 1) + [
        True
    ]
    assert sum(e.action == "login.locked" for e in victims) == CLIENTS - policy.max_failures + 1
    assert victim.locked_until is not None
    assert victim.failed_logins == 0  # reset when the lock was set

    close_databases()
    monkeypatch.setenv("VIGILANT_DATABASE_URL", url)
    assert run(["audit", "verify"]) == ExitCode.OK
