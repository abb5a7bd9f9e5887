"""The library's known material as a small Arrow table, for DuckDB to join observations against.

Only ``known-bad`` sets count: a lead is an address seen with known abuse material, not with NSRL files.
Each row is one digest of one known file; ``known_id`` (the store's row id) is what "distinct known files"
counts, so a hybrid torrent known by its v1 and its v2 infohash is still one file. Severity comes from the
profile-independent :class:`~vigilant.library.categories.CategoryClass`, never from a raw code, because
"1" means abuse in Project VIC but "Illegal" in DHS and sets of both can be loaded at once.
"""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import select

from vigilant.library.categories import PROFILES, CategoryClass
from vigilant.library.records import SetKind
from vigilant.store import Database
from vigilant.store.models import HashSetRow, KnownFileRow

# Observation column(s) -> library column: the join keys the aggregation uses.
KINDS = ("btih_v1", "btih_v2", "md5", "sha1", "sha256")

KNOWN_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),  # btih_v1 | btih_v2 | md5 | sha1 | sha256
        ("digest", pa.binary()),
        ("known_id", pa.int64()),
        ("severity", pa.int8()),
        ("category", pa.string()),  # "<code> <label> [<profile>]", for people
        ("set_name", pa.string()),
    ]
)


def severity_of(profile: str, code: str | None) -> tuple[int, str | None]:
    category = PROFILES[profile].get(code)
    if category is None:
        return CategoryClass.UNCATEGORIZED.severity, None
    return category.severity, str(category)


def known_table(db: Database) -> pa.Table:
    """Every digest of every known-bad file, with its severity; small (one row per digest)."""
    columns: dict[str, list[object]] = {name: [] for name in KNOWN_SCHEMA.names}
    query = (
        select(KnownFileRow, HashSetRow.profile, HashSetRow.name)
        .join(HashSetRow)
        .where(HashSetRow.kind == SetKind.KNOWN_BAD.value)
        .order_by(KnownFileRow.id)
    )
    with db.session() as s:
        for row, profile, set_name in s.execute(query):
            severity, label = severity_of(profile, row.category)
            for kind in KINDS:
                digest = getattr(row, kind)
                if digest is None:
                    continue
                for name, value in zip(
                    KNOWN_SCHEMA.names, (kind, digest, row.id, severity, label, set_name), strict=True
                ):
                    columns[name].append(value)
    return pa.table(columns, schema=KNOWN_SCHEMA)
