"""Reading the graph as a caller may see it: an entity's neighbourhood (depth 1-2), the path between two
entities, and the strongest links.

Distribution is respected here, at every read: an entity the caller may not see appears only as "a link
exists to a record held by AGENCY — contact its coordinator", with the kind and strength of the link and
nothing of the record (no key, label, id or explanation), and the walk never continues through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from vigilant.cases.access import Actor, audit, case_visible
from vigilant.cases.identifiers import IdentifierKind, clean
from vigilant.cases.models import CaseRow
from vigilant.links.entities import EntityKind
from vigilant.links.errors import BadEntityRefError, EntityNotFoundError
from vigilant.links.models import LinkEdgeRow, LinkEntityRow
from vigilant.links.service import require_links
from vigilant.links.visibility import agency_names, observations_visible, visible_ids
from vigilant.security.audit import RecordRead
from vigilant.store import Database

# What the records themselves state; the rest are what link analysis found.
STRUCTURAL = frozenset({"held_by", "named_in", "seized_in", "uses", "found_on", "recorded_in"})


@dataclass(frozen=True)
class EntityView:
    handle: str  # the entity's id, or "hidden-N" for one the caller may not see
    kind: str  # "record" for a hidden one: even its kind is the holder's to tell
    label: str
    visible: bool
    key: str | None = None
    agency: str | None = None  # the holder of a hidden record, whose coordinator to contact
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class LinkView:
    kind: str
    source: str
    target: str
    weight: float
    explanation: dict[str, Any] | None = None  # None when an end, or the record saying so, is hidden
    provenance: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class GraphView:
    entities: list[EntityView] = field(default_factory=list)
    links: list[LinkView] = field(default_factory=list)
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "entities": [e.to_json() for e in self.entities],
            "links": [link.to_json() for link in self.links],
        }
        if self.note:
            out["note"] = self.note
        return out


def hidden_message(agency: str | None) -> str:
    return f"a link exists to a record held by {agency or 'another agency'} — contact its coordinator"


class _Renderer:
    """Turns stored rows into views for one caller, naming hidden records hidden-1, hidden-2, …"""

    def __init__(self, s: Session, actor: Actor) -> None:
        self.s, self.actor = s, actor
        self.agencies = agency_names(s)
        self.visible: set[int] = set()
        self.rows: dict[int, LinkEntityRow] = {}
        self.hidden: dict[int, str] = {}
        self._cases_ok: dict[int, bool] = {}
        self._observed_ok: dict[int, bool] = {}

    def load(self, ids: Iterable[int]) -> None:
        wanted = [i for i in set(ids) if i not in self.rows]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = list(self.s.scalars(select(LinkEntityRow).where(LinkEntityRow.id.in_(chunk))))
            self.rows.update({r.id: r for r in rows})
            self.visible |= visible_ids(self.s, self.actor, rows)

    def handle(self, entity_id: int) -> str:
        if entity_id in self.visible:
            return str(entity_id)
        if entity_id not in self.hidden:
            self.hidden[entity_id] = f"hidden-{len(self.hidden) + 1}"
        return self.hidden[entity_id]

    def entity(self, entity_id: int) -> EntityView:
        row = self.rows[entity_id]
        if entity_id in self.visible:
            agency = self.agencies.get(row.agency_id) if row.agency_id is not None else None
            return EntityView(str(row.id), row.kind, row.label, True, row.key, agency)
        agency = self.agencies.get(row.agency_id) if row.agency_id is not None else None
        return EntityView(
            self.handle(entity_id), "record", "hidden record", False, None, agency, hidden_message(agency)
        )

    def _case_ok(self, case_id: int | None) -> bool:
        if case_id is None:
            return True
        if case_id not in self._cases_ok:
            if getattr(self.actor, "sees_all", False):
                self._cases_ok[case_id] = True
            else:
                found = self.s.scalar(
                    select(CaseRow.id).where(CaseRow.id == case_id, case_visible(self.actor))
                )
                self._cases_ok[case_id] = found is not None
        return self._cases_ok[case_id]

    def allows(self, edge: LinkEdgeRow) -> bool:
        """Whether the caller may know of ``edge`` at all. A link the P2P observations state (a peer id
        seen on an IP) joins two values anyone may look up, so hiding its ends hides nothing: it is left out
        for a caller who sees no lead at its address (links.visibility.observations_visible)."""
        if edge.origin != "observation":
            return True
        if edge.id not in self._observed_ok:
            self.load([edge.source_id, edge.target_id])
            ips = [
                row.key.removeprefix("ip:")
                for row in (self.rows[edge.source_id], self.rows[edge.target_id])
                if row.kind == EntityKind.IDENTIFIER and row.key.startswith("ip:")
            ]
            self._observed_ok[edge.id] = observations_visible(self.s, self.actor, ips)
        return self._observed_ok[edge.id]

    def link(self, edge: LinkEdgeRow) -> LinkView:
        a, b = self.handle(edge.source_id), self.handle(edge.target_id)
        open_ = (
            edge.source_id in self.visible and edge.target_id in self.visible and self._case_ok(edge.case_id)
        )
        if not open_:
            return LinkView(edge.kind, a, b, edge.weight)
        provenance = {
            "builder": edge.builder,
            "origin": edge.origin,
            "origin_ids": edge.origin_ids,
            "observed_at": edge.observed_at.isoformat() if edge.observed_at else None,
            "case_id": edge.case_id,
            "distribution": edge.distribution,
        }
        return LinkView(edge.kind, a, b, edge.weight, edge.explanation, provenance)


def resolve(s: Session, ref: str) -> LinkEntityRow:
    """An entity by its id or natural key: ``17``, ``person:12``, ``item:3``, ``case:4``, ``lead:9``,
    ``email:someone@example.org`` (cleaned as its kind), ``camera:MAKE|MODEL|SERIAL``, ``series:NAME``."""
    text = ref.strip()
    row: LinkEntityRow | None = None
    if text.isdigit():
        row = s.get(LinkEntityRow, int(text))
    else:
        prefix, _, rest = text.partition(":")
        if not rest:
            raise BadEntityRefError(
                f"{ref!r} names no entity", hint="give an id, or KIND:KEY such as person:12"
            )
        kind, key = _kind_key(prefix, rest, text)
        row = s.scalars(
            select(LinkEntityRow).where(LinkEntityRow.kind == kind, LinkEntityRow.key == key)
        ).first()
    if row is None:
        raise EntityNotFoundError(
            f"no entity {ref!r} in the link graph",
            hint="`vigilant links build` builds it; check the id or key",
        )
    return row


def _kind_key(prefix: str, rest: str, text: str) -> tuple[str, str]:
    simple = {
        "person": EntityKind.PERSON,
        "case": EntityKind.CASE,
        "agency": EntityKind.AGENCY,
        "item": EntityKind.DEVICE,
        "seized": EntityKind.DEVICE,
        "lead": EntityKind.LEAD,
    }
    if prefix in simple:
        return simple[prefix].value, text
    if prefix == "camera":
        return EntityKind.CAMERA.value, rest
    if prefix == "series":
        return EntityKind.SERIES.value, rest
    if prefix in {k.value for k in IdentifierKind}:
        return EntityKind.IDENTIFIER.value, f"{prefix}:{clean(prefix, rest)}"
    raise BadEntityRefError(
        f"unknown entity prefix {prefix!r}",
        hint="person, case, agency, item, seized, lead, camera, series or an identifier kind",
    )


def _edges(s: Session, ids: list[int], kinds: frozenset[str] | None, min_weight: float) -> list[LinkEdgeRow]:
    out: list[LinkEdgeRow] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(LinkEdgeRow).where(
            or_(LinkEdgeRow.source_id.in_(chunk), LinkEdgeRow.target_id.in_(chunk)),
            LinkEdgeRow.weight >= min_weight,
        )
        if kinds:
            query = query.where(LinkEdgeRow.kind.in_(sorted(kinds)))
        out.extend(s.scalars(query))
    return out


def _check_visible(r: _Renderer, row: LinkEntityRow, ref: str) -> None:
    r.load([row.id])
    if row.id not in r.visible:  # not disclosed: the same answer as for no entity at all
        raise EntityNotFoundError(f"no entity {ref!r} in the link graph", hint="check the id or key")


def neighbourhood(
    db: Database,
    actor: Actor,
    ref: str,
    *,
    depth: int = 1,
    kinds: Iterable[str] | None = None,
    min_weight: float = 0.0,
) -> GraphView:
    """The entity and what links to it, ``depth`` (1 or 2) links away, as the caller may see them."""
    require_links(actor)
    if depth not in (1, 2):
        raise BadEntityRefError(f"depth {depth} is not 1 or 2", hint="ask for --depth 1 or 2")
    wanted = frozenset(kinds) if kinds else None
    with db.session() as s:
        r = _Renderer(s, actor)
        start = resolve(s, ref)
        _check_visible(r, start, ref)
        order, edges, frontier = [start.id], {}, [start.id]
        for _ in range(depth):
            found = [e for e in _edges(s, frontier, wanted, min_weight) if e.id not in edges and r.allows(e)]
            edges.update({e.id: e for e in found})
            known = set(order)  # (once per level: a set built per candidate made depth 2 quadratic)
            new = list(dict.fromkeys(i for e in found for i in (e.source_id, e.target_id) if i not in known))
            r.load(new)
            order.extend(new)
            frontier = [i for i in new if i in r.visible]  # never walk on through a hidden record
        view = GraphView(
            [r.entity(i) for i in order], [r.link(e) for e in sorted(edges.values(), key=lambda e: e.id)]
        )
        audit(
            s,
            actor,
            RecordRead,
            object_type="link_entity",
            object_id=str(start.id),
            query=f"neighbourhood depth={depth}",
            records=len(view.entities),
        )
    return view


def path(db: Database, actor: Actor, a: str, b: str, *, max_hops: int = 6) -> GraphView:
    """The shortest path from ``a`` to ``b`` through what the caller may see (the strongest links first
    where several are as short). Where the only path passes through hidden records, the answer says so and
    names no record of it."""
    return paths(db, actor, a, b, max_hops=max_hops, limit=1)[0]


def paths(
    db: Database, actor: Actor, a: str, b: str, *, max_hops: int = 6, limit: int = 5
) -> list[GraphView]:
    """Up to ``limit`` shortest paths from ``a`` to ``b`` (all of the same length), each a view of its
    entities in order and the links between them; one view with only a note when there is none."""
    require_links(actor)
    with db.session() as s:
        r = _Renderer(s, actor)
        start, end = resolve(s, a), resolve(s, b)
        _check_visible(r, start, a)
        _check_visible(r, end, b)
        found = _shortest(s, r, start.id, end.id, max_hops, through_hidden=False, limit=limit)
        views: list[GraphView] = []
        for ids, edges in found:
            views.append(GraphView([r.entity(i) for i in ids], [r.link(e) for e in edges]))
        if not views:
            hidden = _shortest(s, r, start.id, end.id, max_hops, through_hidden=True, limit=1)
            note = (
                "a path exists only through records held by other agencies — contact their coordinators"
                if hidden
                else f"no path within {max_hops} links"
            )
            views.append(GraphView(note=note))
        audit(
            s,
            actor,
            RecordRead,
            object_type="link_entity",
            object_id=f"{start.id}..{end.id}",
            query="path",
            records=sum(len(v.entities) for v in views),
        )
    return views


def _shortest(
    s: Session, r: _Renderer, a: int, b: int, max_hops: int, *, through_hidden: bool, limit: int
) -> list[tuple[list[int], list[LinkEdgeRow]]]:
    """Breadth first, one query a level: every entity's distance from ``a`` and each link that reaches it
    from the level before, then up to ``limit`` paths walked back from ``b`` (strongest links first)."""
    dist = {a: 0}
    came: dict[int, list[tuple[int, LinkEdgeRow]]] = {a: []}
    frontier, hops = [a], 0
    while frontier and b not in dist and hops < max_hops:
        level = {n for n in frontier if n == a or n in r.visible or through_hidden}
        found = [e for e in _edges(s, sorted(level), None, 0.0) if r.allows(e)]
        r.load(i for e in found for i in (e.source_id, e.target_id))
        following: list[int] = []
        for e in sorted(found, key=lambda e: (-e.weight, e.id)):
            for node, other in ((e.source_id, e.target_id), (e.target_id, e.source_id)):
                if node not in level:
                    continue
                if other not in dist:
                    dist[other] = hops + 1
                    came[other] = [(node, e)]
                    following.append(other)
                elif dist[other] == hops + 1:
                    came[other].append((node, e))
        frontier, hops = following, hops + 1
    if b not in dist:
        return []
    out: list[tuple[list[int], list[LinkEdgeRow]]] = []

    def walk(node: int, ids: list[int], edges: list[LinkEdgeRow]) -> None:
        if len(out) >= limit:
            return
        if node == a:
            out.append((ids[::-1], edges[::-1]))
            return
        for previous, e in came[node]:
            walk(previous, [*ids, previous], [*edges, e])

    walk(b, [b], [])
    return out


def strongest(
    db: Database,
    actor: Actor,
    *,
    kinds: Iterable[str] | None = None,
    min_weight: float = 0.0,
    limit: int = 50,
) -> GraphView:
    """The strongest links analysis found (not what the records state), one end at least visible."""
    require_links(actor)
    with db.session() as s:
        r = _Renderer(s, actor)
        query = (
            select(LinkEdgeRow)
            .where(LinkEdgeRow.weight >= min_weight)
            .order_by(LinkEdgeRow.weight.desc(), LinkEdgeRow.id)
        )
        query = (
            query.where(LinkEdgeRow.kind.in_(sorted(kinds)))
            if kinds
            else query.where(LinkEdgeRow.kind.not_in(sorted(STRUCTURAL)))
        )
        view = GraphView()
        seen: list[int] = []
        for batch in s.scalars(query).partitions(500):
            r.load(i for e in batch for i in (e.source_id, e.target_id))
            for e in batch:
                if (e.source_id in r.visible or e.target_id in r.visible) and r.allows(e):
                    view.links.append(r.link(e))
                    seen.extend(i for i in (e.source_id, e.target_id) if i not in seen)
                if len(view.links) >= limit:
                    break
            if len(view.links) >= limit:
                break
        view.entities = [r.entity(i) for i in seen]
        audit(
            s,
            actor,
            RecordRead,
            object_type="link_graph",
            object_id="strongest",
            query="strongest links",
            records=len(view.links),
        )
    return view


def whole_graph(
    db: Database, actor: Actor, *, kinds: Iterable[str] | None = None, min_weight: float = 0.0
) -> GraphView:
    """Every link with at least one end the caller may see (hidden ends as in any other view): what an
    export holds."""
    require_links(actor)
    with db.session() as s:
        r = _Renderer(s, actor)
        query = select(LinkEdgeRow).where(LinkEdgeRow.weight >= min_weight).order_by(LinkEdgeRow.id)
        if kinds:
            query = query.where(LinkEdgeRow.kind.in_(sorted(kinds)))
        view = GraphView()
        seen: dict[int, None] = {}
        for batch in s.scalars(query).partitions(1000):
            r.load(i for e in batch for i in (e.source_id, e.target_id))
            for e in batch:
                if (e.source_id in r.visible or e.target_id in r.visible) and r.allows(e):
                    view.links.append(r.link(e))
                    seen.update({e.source_id: None, e.target_id: None})
        view.entities = [r.entity(i) for i in seen]
    return view


def search(db: Database, actor: Actor, text: str, *, limit: int = 20) -> list[EntityView]:
    """Entities the caller may see whose label or key holds ``text`` (case-insensitive), persons and
    devices first: what a reader picks the ends of a path from. Hidden records are never offered."""
    require_links(actor)
    wanted = text.strip()
    if not wanted:
        return []
    pattern = f"%{wanted.lower()}%"
    order = case(
        (LinkEntityRow.kind == EntityKind.PERSON.value, 0),
        (LinkEntityRow.kind == EntityKind.DEVICE.value, 1),
        else_=2,
    )
    with db.session() as s:
        r = _Renderer(s, actor)
        query = (
            select(LinkEntityRow)
            .where(
                or_(
                    func.lower(LinkEntityRow.label).like(pattern), func.lower(LinkEntityRow.key).like(pattern)
                )
            )
            .order_by(order, LinkEntityRow.label, LinkEntityRow.id)
        )
        found: list[EntityView] = []
        for batch in s.scalars(query).partitions(200):
            r.load(row.id for row in batch)
            found.extend(r.entity(row.id) for row in batch if row.id in r.visible)
            if len(found) >= limit:
                break
        found = found[:limit]
        audit(
            s,
            actor,
            RecordRead,
            object_type="link_graph",
            object_id="search",
            query=f"entity search {wanted[:100]!r}",
            records=len(found),
        )
    return found
