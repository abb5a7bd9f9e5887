"""A PostgreSQL database of a benchmark's own, made fresh on the server the tests use and dropped after.

The server is named by ``VIGILANT_BENCH_POSTGRES_URL`` (or ``VIGILANT_TEST_POSTGRES_URL``, as
.ci/postgres-start sets it); the benchmark's database is created there (dropped first if a killed run
left it) and dropped by :func:`drop_postgres`. The sibling benchmark modules import it by its name
(bench/ is on ``sys.path`` when they run as scripts or through bench/run.py).
"""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def fresh_postgres(name: str) -> str | None:
    """The URL of a new, empty database ``name`` on the configured server; None when none is configured."""
    admin = os.environ.get("VIGILANT_BENCH_POSTGRES_URL") or os.environ.get("VIGILANT_TEST_POSTGRES_URL")
    if not admin:
        return None
    admin_url = make_url(admin).set(drivername="postgresql+psycopg")
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    """Drop the database ``url`` names (connected to the server's ``postgres`` database to do it)."""
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {target.database} WITH (FORCE)"))
    engine.dispose()
