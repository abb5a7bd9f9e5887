"""Real `vigilant serve` processes on loopback for the deployment tests, and a PostgreSQL database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

IN_CI = os.environ.get("CI") == "true"


@contextmanager
def postgres_database(suffix: str) -> Iterator[str]:
    """A new database on the test server (PostGIS from its template), dropped at the end."""
    admin_url = os.environ.get("VIGILANT_TEST_POSTGRES_URL")
    if not admin_url:
        if IN_CI:
            pytest.fail("CI=true but VIGILANT_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
        pytest.skip("no PostgreSQL configured: set VIGILANT_TEST_POSTGRES_URL (CI always does)")
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"vigilant_{suffix}_{os.getpid()}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(env: dict[str, str], logs: list[Path], *, workers: int) -> Iterator[list[str]]:
    """One `vigilant serve --workers N` per log file, as deployed, each on a free loopback port, all started
    at once (each worker imports the application: starting them one after another doubles the wait);
    yields their base URLs."""
    vigilant = Path(sys.executable).with_name("vigilant")
    servers: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for log in logs:
            port = free_port()
            command = [str(vigilant), "serve", "--port", str(port), "--workers", str(workers)]
            with log.open("wb") as out:
                server = subprocess.Popen(
                    [*command, "--log-level", "warning"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            servers.append((server, f"http://127.0.0.1:{port}", log))
        for server, base, log in servers:
            _wait_until_up(server, base, log)
        yield [base for _, base, _ in servers]
    finally:
        for server, _, _ in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server, _, _ in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)


def _wait_until_up(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 180  # four workers importing the app on a loaded two-core machine: ~70 s
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/login", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"vigilant serve did not start: {log.read_text(errors='replace')[-3000:]}")
