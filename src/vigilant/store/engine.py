"""Engines and sessions for both supported databases.

SQLite is the embedded default: one file in the data dir, WAL mode so readers never block the writer, and
foreign keys on (SQLite leaves them off). PostgreSQL, through psycopg 3, is the shared server a unit runs.
The schema always comes from Alembic migrations, never from ``create_all``, so both engines stay identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from vigilant.config import PoolSettings
from vigilant.errors import ConfigError
from vigilant.store.spatialite import load_spatialite

_MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a power cut loses at most the last commit
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_store_engine(url: str, pool: PoolSettings | None = None) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", load_spatialite)  # proximity queries (vigilant.registry.proximity)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # No pool given: the VIGILANT_DB_POOL_* settings (every Database(url) of a process shares them).
        pool = pool or PoolSettings.from_env()
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool.size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.timeout,
            pool_recycle=pool.recycle,
        )
    raise ConfigError(f"unsupported database backend {parsed.get_backend_name()!r}")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    return config


class Database:
    """One database: its engine, a session factory, and its schema migrations."""

    def __init__(self, url: str, pool: PoolSettings | None = None) -> None:
        self.url = url
        self.engine = create_store_engine(url, pool)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(alembic_config(self.engine)).get_current_head()

    def upgrade(self) -> None:
        config = alembic_config(self.engine)
        current = self.current_revision()
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        if current is not None and current not in known:
            # A newer Vigilant migrated it (or a newer backup was restored): going on would run this
            # version's code against a schema it does not know.
            raise ConfigError(
                f"the database's schema {current} is newer than this Vigilant knows (its latest is "
                f"{self.head_revision()})",
                hint="install the version that migrated it on this server too: every server and worker of "
                "one installation must run the same version (docs/deployment.md, 'Upgrades')",
            )
        command.upgrade(config, "head")

    def analyze(self) -> None:
        """Refresh the query planner's statistics of every table: for the end of a bulk load.

        PostgreSQL's autovacuum gathers them only a minute or so after a load; until then the planner takes
        every fresh table for nearly empty and picks nested loops that cost seconds where a hash join costs
        milliseconds (the dashboard's figures of the demo operation: 1.8 s instead of 10 ms). SQLite has
        statistics only after an ANALYZE.
        """
        with self.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True, pool: PoolSettings | None = None) -> Database:
    """Open the database at ``url`` and bring its schema up to date."""
    db = Database(url, pool)
    if migrate and db.current_revision() != db.head_revision():
        try:
            db.upgrade()
        except BaseException:
            db.dispose()  # no connection left behind by a refused upgrade
            raise
    return db
