"""The library's known material as a small Arrow table, for DuckDB to join observations against.

Only ``known-bad`` sets count: a lead is an address seen with known abuse material, not with NSRL files.
Each row is one digest of one known file; ``known_id`` (the store's row id) is what "distinct known files"
counts, so a hybrid torrent known by its v1 and its v2 infohash is still one file. Severity comes from the
profile-independent :class:`~vigilant.library.categories.CategoryClass`, never from a raw code, because
"1" means abuse in Project VIC but "Illegal" in DHS and sets of both can be loaded at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from vigilant.library.categories import CategoryClass, resolve_profile
from vigilant.library.models import HashSetRow, KnownFileRow
from vigilant.library.records import SetKind
from vigilant.store import Database

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


def severity_of(
    profile: str, code: str | None, definition: Mapping[str, Any] | None = None
) -> tuple[int, str | None]:
    """Severity and text of a code of a set's profile (``definition``: the set's custom profile)."""
    category = resolve_profile(profile, definition).get(code)
    if category is None:
        return CategoryClass.UNCATEGORIZED.severity, None
    return category.severity, str(category)


def known_table(db: Database) -> pa.Table:
    """Every digest of every known-bad file, with its severity; small (one row per digest)."""
    columns: dict[str, list[object]] = {name: [] for name in KNOWN_SCHEMA.names}
    query = (
        select(KnownFileRow, HashSetRow.profile, HashSetRow.profile_definition, HashSetRow.name)
        .join(HashSetRow)
        .where(HashSetRow.kind == SetKind.KNOWN_BAD.value)
        .order_by(KnownFileRow.id)
    )
    with db.session() as s:
        for row, profile, definition, set_name in s.execute(query):
            severity, label = severity_of(profile, row.category, definition)
            for kind in KINDS:
                digest = getattr(row, kind)
                if digest is None:
                    continue
                for name, value in zip(
                    KNOWN_SCHEMA.names, (kind, digest, row.id, severity, label, set_name), strict=True
                ):
                    columns[name].append(value)
    return pa.table(columns, schema=KNOWN_SCHEMA)


# Tags an agency's library may carry that mark material as first-hand or hands-on (case-insensitive).
HANDS_ON_TAGS = frozenset({"first-hand", "self-produced", "produced", "infant", "toddler", "sadistic"})


def markers_of(
    *,
    distributed: bool | None,
    victim_identified: bool | None,
    offender_identified: bool | None,
    tags: list[str] | tuple[str, ...] | None,
) -> tuple[str, ...]:
    """A known file's hands-on markers, from the library's own flags (unset flags say nothing):

    - ``not-distributed``: the set says the file is not known to circulate, so a trader may have made it;
    - ``victim-unidentified`` / ``offender-unidentified``: a series whose child or offender is not yet
      identified, so the child may still be at risk and the trader may be the offender;
    - ``tag:<tag>`` for a tag in :data:`HANDS_ON_TAGS`.
    """
    out = []
    if distributed is False:
        out.append("not-distributed")
    if victim_identified is False:
        out.append("victim-unidentified")
    if offender_identified is False:
        out.append("offender-unidentified")
    out += sorted({f"tag:{t.lower()}" for t in tags or () if t.lower() in HANDS_ON_TAGS})
    return tuple(out)


def known_markers(db: Database) -> dict[int, tuple[str, ...]]:
    """Hands-on markers of every known-bad file that has any, by ``known_id``."""
    query = (
        select(
            KnownFileRow.id,
            KnownFileRow.distributed,
            KnownFileRow.victim_identified,
            KnownFileRow.offender_identified,
            KnownFileRow.tags,
        )
        .join(HashSetRow)
        .where(HashSetRow.kind == SetKind.KNOWN_BAD.value)
    )
    out: dict[int, tuple[str, ...]] = {}
    with db.session() as s:
        for known_id, distributed, victim, offender, tags in s.execute(query):
            found = markers_of(
                distributed=distributed, victim_identified=victim, offender_identified=offender, tags=tags
            )
            if found:
                out[int(known_id)] = found
    return out
