"""Take one row for update, the same way on both engines.

PostgreSQL: ``SELECT … FOR UPDATE`` locks the row until commit, and a waiting transaction then reads the row
as the winner left it (READ COMMITTED re-reads a locked row's newest version), so read-modify-write is safe.

SQLite has no row locks: one writer at a time holds the whole database. We therefore *write first* (a no-op
UPDATE of the row), which takes that write lock (waiting up to the engine's busy_timeout), and read after.
pysqlite only opens a transaction at the first write, so nothing this transaction read before is stale, and
every later read sees the newest committed data until we commit.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from vigilant.store.models import Base

M = TypeVar("M", bound=Base)


def lock_row(session: Session, model: type[M], key: Any, *, touch: InstrumentedAttribute[Any]) -> M | None:
    """The row of ``model`` with primary key ``key``, locked until commit; None when it does not exist.

    ``touch`` is any plain column of the model: SQLite's lock is taken by setting it to itself.
    """
    pk = inspect(model).primary_key[0]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(model).where(pk == key).values({touch: touch}))
    stmt = select(model).where(pk == key).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()
