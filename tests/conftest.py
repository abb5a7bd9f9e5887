"""Fixtures every test shares: an isolated environment, both databases, and a loopback-only network."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from vigilant.cli import common
from vigilant.store import Database

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"
POSTGRES_URL = os.environ.get("VIGILANT_TEST_POSTGRES_URL")
# One database per test process: several runs on one server (engineers working side by side) must not
# drop each other's database mid-run.
TEST_DB = f"vigilant_test_{os.getpid()}"


# --- network: tests talk to loopback and nowhere else -----------------------------------------------------
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets stay on this machine
    host = address[0]
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: resolving it would already leave the machine
        loopback = False
    if not loopback:
        raise AssertionError(f"test tried to connect to {address!r}: tests may only reach loopback")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


def _guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
    # UDP (DHT, UDP trackers) never calls connect: sendto(data, address) or sendto(data, flags, address)
    _check_address(self, args[-1])
    return _real_sendto(self, data, *args)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", _guarded_sendto)


# --- environment -----------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own data dir and SQLite database, and no settings leak in from the shell."""
    data = tmp_path / "vigilant-data"
    monkeypatch.setenv("VIGILANT_DATA_DIR", str(data))
    monkeypatch.setenv("VIGILANT_DATABASE_URL", f"sqlite:///{data / 'vigilant.db'}")
    monkeypatch.setenv("VIGILANT_USER", "test-examiner")
    yield data
    common.close_databases()


# --- databases -------------------------------------------------------------------------------------------
def _postgres_admin_url() -> str:
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI=true but VIGILANT_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
        pytest.skip("no PostgreSQL configured: set VIGILANT_TEST_POSTGRES_URL (CI always does)")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A test database of this process's own on the configured server, made once per session and dropped
    at its end."""
    admin = make_url(_postgres_admin_url()).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {TEST_DB}"))
    engine.dispose()
    yield admin.set(database=TEST_DB).render_as_string(hide_password=False)
    common.close_databases()  # the CLI's cached engines may hold connections to it
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)"))
    engine.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A migrated, empty database: every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
    monkeypatch.setenv("VIGILANT_DATABASE_URL", url)
    database = Database(url)
    database.upgrade()
    yield database
    database.dispose()
    common.close_databases()
