"""Writing a builder's links into the store: its old links go, its new ones come, entities are found again
by kind and natural key, and entities no link names any more are removed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from vigilant.links.entities import BuiltLinks, EntityRef
from vigilant.links.models import LinkEdgeRow, LinkEntityRow


def entity_ids(s: Session, refs: Iterable[EntityRef]) -> dict[tuple[str, str], int]:
    """The stored id of each entity, adding the new ones and refreshing what a record now says of the rest."""
    wanted: dict[tuple[str, str], EntityRef] = {}
    for ref in refs:
        wanted.setdefault(ref.name, ref)
    found: dict[tuple[str, str], LinkEntityRow] = {}
    names = list(wanted)
    for start in range(0, len(names), 500):  # bounded IN lists, per kind
        chunk = names[start : start + 500]
        for kind in {k for k, _ in chunk}:
            keys = [key for k, key in chunk if k == kind]
            for row in s.scalars(
                select(LinkEntityRow).where(LinkEntityRow.kind == kind, LinkEntityRow.key.in_(keys))
            ):
                found[(row.kind, row.key)] = row
    for name, ref in wanted.items():
        if name not in found:
            found[name] = LinkEntityRow(kind=ref.kind.value, key=ref.key)
            s.add(found[name])
        row = found[name]
        if (row.label, row.ref_id, row.agency_id, row.attrs) != (
            ref.label,
            ref.ref_id,
            ref.agency_id,
            ref.attrs,
        ):
            row.label, row.ref_id, row.agency_id, row.attrs = (
                ref.label,
                ref.ref_id,
                ref.agency_id,
                dict(ref.attrs),
            )
    s.flush()
    return {name: row.id for name, row in found.items()}


def replace_links(s: Session, builder: str, built: BuiltLinks, *, now: datetime) -> int:
    """Replace every link ``builder`` made with ``built``; returns how many links it now holds."""
    s.execute(delete(LinkEdgeRow).where(LinkEdgeRow.builder == builder))
    ids = entity_ids(s, [end for fact in built.links for end in (fact.a, fact.b)])
    seen: set[tuple[str, int, int]] = set()
    for fact in built.links:
        a, b = sorted((ids[fact.a.name], ids[fact.b.name]))
        if (fact.kind, a, b) in seen:
            continue  # one link of a kind between two entities: the first (builders order their facts)
        seen.add((fact.kind, a, b))
        p = fact.provenance
        s.add(
            LinkEdgeRow(
                builder=builder, kind=fact.kind, source_id=a, target_id=b, weight=fact.weight,
                explanation=fact.explanation, origin=p.origin, origin_ids=list(p.origin_ids),
                observed_at=p.observed_at, case_id=p.case_id, agency_id=p.agency_id,
                distribution=p.distribution, built_at=now,
            )
        )  # fmt: skip
    s.flush()
    return len(seen)


def remove_orphans(s: Session) -> int:
    """Remove the entities no link names (a record deleted, a file no longer shared)."""
    linked = or_(
        exists().where(LinkEdgeRow.source_id == LinkEntityRow.id),
        exists().where(LinkEdgeRow.target_id == LinkEntityRow.id),
    )
    result = s.execute(delete(LinkEntityRow).where(~linked))
    return int(getattr(result, "rowcount", 0) or 0)
