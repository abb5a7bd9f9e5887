"""PostgreSQL connection pools and connection parameters: what the settings and the URL say reaches the engine
and libpq (docs/deployment.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from tests.scale._deploy_tls import TlsServer, tls_postgres
from vigilant.config import PoolSettings, Settings, normalise_database_url
from vigilant.errors import ConfigError
from vigilant.store import Database, open_database

pytestmark = pytest.mark.postgres

POOL_ENV = {
    "VIGILANT_DB_POOL_SIZE": "7",
    "VIGILANT_DB_POOL_OVERFLOW": "3",
    "VIGILANT_DB_POOL_TIMEOUT": "11",
    "VIGILANT_DB_POOL_RECYCLE": "600",
}


def _queue_pool(db: Database) -> QueuePool:
    pool = db.engine.pool
    assert isinstance(pool, QueuePool)
    return pool


def test_pool_settings_from_the_environment_reach_the_engine(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in POOL_ENV.items():
        monkeypatch.setenv(name, value)
    db = Database(postgres_url)  # the CLI's way: no pool passed, the environment's settings
    try:
        pool = _queue_pool(db)
        assert (pool.size(), pool._max_overflow, pool.timeout(), pool._recycle) == (7, 3, 11, 600)
    finally:
        db.dispose()


def test_pool_settings_passed_explicitly_win_over_the_environment(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGILANT_DB_POOL_SIZE", "9")
    settings = Settings.from_env({**POOL_ENV, "VIGILANT_DATA_DIR": "/tmp/x", "VIGILANT_USER": "t"})
    db = open_database(postgres_url, pool=settings.db_pool)  # the web application's way (create_app)
    try:
        assert (_queue_pool(db).size(), _queue_pool(db)._max_overflow) == (7, 3)
    finally:
        db.dispose()


def test_the_defaults_are_the_documented_ones() -> None:
    assert Settings.from_env({"VIGILANT_DATA_DIR": "/tmp/x"}).db_pool == PoolSettings(5, 5, 30, 1800)


@pytest.mark.parametrize(
    ("name", "value"),
    [("VIGILANT_DB_POOL_SIZE", "0"), ("VIGILANT_DB_POOL_OVERFLOW", "-1"), ("VIGILANT_DB_POOL_TIMEOUT", "x")],
)
def test_a_bad_pool_setting_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        PoolSettings.from_env({name: value})


def test_a_full_pool_makes_the_next_caller_wait_then_fail_clearly(postgres_url: str) -> None:
    db = Database(postgres_url, PoolSettings(size=1, max_overflow=0, timeout=1, recycle=1800))
    try:
        with db.engine.connect() as held:
            held.execute(text("SELECT 1"))
            started = time.monotonic()
            with pytest.raises(exc.TimeoutError, match="QueuePool limit of size 1 overflow 0"):
                db.engine.connect()
            assert time.monotonic() - started >= 0.9  # it waited the pool timeout first
        # Given back, the one connection serves the next caller at once.
        done = threading.Event()

        def use() -> None:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            done.set()

        worker = threading.Thread(target=use)
        worker.start()
        worker.join(timeout=10)
        assert done.is_set()
    finally:
        db.dispose()


def test_the_urls_query_parameters_reach_libpq(postgres_url: str) -> None:
    url = normalise_database_url(
        make_url(postgres_url)
        .update_query_dict({"application_name": "vigilant-app-3", "sslmode": "disable"})
        .render_as_string(hide_password=False)
        .replace("postgresql+psycopg://", "postgres://")  # the form people paste
    )
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SHOW application_name")).scalar_one() == "vigilant-app-3"
            libpq = conn.connection.driver_connection.info.get_parameters()  # type: ignore[union-attr]
            assert libpq["sslmode"] == "disable"
    finally:
        db.dispose()


@pytest.mark.parametrize(
    "query", [{"sslmode": "require"}, {"sslmode": "verify-full", "sslrootcert": "/no/ca.crt"}]
)
def test_tls_demanded_in_the_url_is_enforced_by_libpq(postgres_url: str, query: dict[str, str]) -> None:
    # The test server speaks no TLS: a URL that demands it must fail to connect, never fall back to plain.
    db = Database(make_url(postgres_url).update_query_dict(query).render_as_string(hide_password=False))
    try:
        refused = pytest.raises(
            exc.OperationalError, match="server does not support SSL, but SSL was required"
        )
        with refused, db.engine.connect():
            pass
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TlsServer]:
    with tls_postgres() as server:
        yield server


def _tls_url(server: TlsServer, host: str, root_cert: Path) -> str:
    return (
        f"postgresql://postgres@{host}:{server.port}/postgres"
        f"?sslmode=verify-full&sslrootcert={root_cert}&application_name=vigilant-tls"
    )


# Each TLS connection is made in a fresh process. psycopg's binary wheel bundles its own OpenSSL, and a
# process that has loaded SpatiaLite (any SQLite database opened through Vigilant, as earlier tests do)
# crashes with a segmentation fault on its next TLS handshake with it (the bundled-libssl clash psycopg
# documents, as in psycopg/psycopg2#543). With psycopg on the system's libpq (PSYCOPG_IMPL=python) the same
# process works: the third case below.
_CONNECT = """
import json, sys
from sqlalchemy import text
from vigilant.config import normalise_database_url
from vigilant.store import Database, open_database
if sys.argv[2] == "after-spatialite":
    open_database("sqlite:///" + sys.argv[3]).dispose()
db = Database(normalise_database_url(sys.argv[1]))
try:
    with db.engine.connect() as conn:
        query = "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ssl, version = conn.execute(text(query)).one()
        name = conn.execute(text("SHOW application_name")).scalar_one()
    print(json.dumps({"ssl": ssl, "version": version, "application_name": name}))
finally:
    db.dispose()
"""


def _connect_apart(
    url: str, tmp_path: Path, *, after_spatialite: bool = False
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if after_spatialite:
        env["PSYCOPG_IMPL"] = "python"  # the system's libpq, linked with the system's OpenSSL
    how = "after-spatialite" if after_spatialite else "fresh"
    command = [sys.executable, "-c", _CONNECT, url, how, str(tmp_path / "other.db")]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=False)


@pytest.mark.parametrize(
    ("host", "after_spatialite"), [("127.0.0.1", False), ("localhost", False), ("127.0.0.1", True)]
)
def test_verify_full_connects_over_tls_to_the_server_the_ca_vouches_for(
    tls_server: TlsServer, tmp_path: Path, host: str, after_spatialite: bool
) -> None:
    done = _connect_apart(
        _tls_url(tls_server, host, tls_server.ca), tmp_path, after_spatialite=after_spatialite
    )
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout)
    assert facts["ssl"] is True
    assert facts["version"].startswith("TLSv1.")
    assert facts["application_name"] == "vigilant-tls"


def test_verify_full_refuses_a_server_another_ca_signed(tls_server: TlsServer, tmp_path: Path) -> None:
    done = _connect_apart(_tls_url(tls_server, "127.0.0.1", tls_server.other_ca), tmp_path)
    assert done.returncode == 1  # an error raised, not a crash
    assert "certificate verify failed" in done.stderr
