"""The integers routes take, bounded once for every route.

An unbounded ``int`` let 2**63 reach the database, which cannot bind it (SQLite: OverflowError;
PostgreSQL: out of range): the route failed with a 500 instead of saying the record does not exist. Every
path id is :data:`RowId`, every offset :data:`Offset`; a value outside is answered 404 (a path: no such
record) or 422 (a query), before any database work. ``tests/web/test_bounds.py`` walks the routes and fails
on an integer without these bounds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**63 - 1  # the largest BIGINT, the widest key column on both engines
ID_DESCRIPTION = "a record's id: a whole number from 1"

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description=ID_DESCRIPTION)]
"""A record's id in a path: ``case_id: RowId``."""

Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="how many results to skip")]
"""How many results a listing skips: ``offset: Offset = 0``."""
