"""The integers routes take, bounded once for every route.

An unbounded ``int`` let 2**63 reach the database, which cannot bind it (SQLite: OverflowError;
PostgreSQL: "integer out of range" from 2**31): the route failed with a 500 instead of saying the record
does not exist. Every path id is :data:`RowId`, every offset :data:`Offset`, every id in a JSON body
:data:`BodyId`; a value outside is answered 404 (a path: no such record) or 422, before any database work.
``tests/web/test_bounds.py`` walks the routes and fails on a path or query integer without these bounds;
``tests/web/test_schemathesis.py`` sends the bounds and beyond, bodies included, on both engines.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator, Field

# The largest key of an INTEGER column on PostgreSQL, which the records a route names (cases, operations,
# persons, leads, evidence, runs, tokens…) have: a larger id names nothing, and PostgreSQL refuses to compare
# one with such a column ("integer out of range") where SQLite refuses 2**63 and more. One bound for both.
MAX_ID = 2**31 - 1
ID_DESCRIPTION = "a record's id: a whole number from 1"

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description=ID_DESCRIPTION)]
"""A record's id in a path: ``case_id: RowId``."""

Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="how many results to skip")]
"""How many results a listing skips: ``offset: Offset = 0``."""

BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A record's id in a JSON body: ``person_id: BodyId``."""


def form_id(text: str) -> int | None:
    """A record's id typed in a form field ("12" or "#12"), or None where the text names no record: not
    ASCII digits ("²" is a digit to ``str.isdigit`` and no number to ``int``), 0, or past :data:`MAX_ID`."""
    text = text.strip().lstrip("#")
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def _iso_only(value: object) -> object:
    """Pydantic takes a number for a datetime (as Unix seconds); the description says ISO 8601 only, and a
    bare "1792" is more likely a mistake than a time in 1970."""
    if isinstance(value, str | int | float) and re.fullmatch(r"\s*[+-]?\d+(\.\d*)?\s*", str(value)):
        raise ValueError("a time is written in ISO 8601, e.g. 2026-03-02T09:00:00Z")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_only)]
"""A time in a query, ISO 8601 only: ``since: IsoTime | None = None``."""
