"""An operation's network as a graph: its cases the caller may see, the persons named in them, the devices
seized in them, and every link that touches one of those (identifiers, cameras, leads, other cases' records),
filtered by kind and strength. Another agency's record shows as in every view of :mod:`.views`: who holds
it and how strong the link is, nothing of the record."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from vigilant.cases.access import Actor, audit, case_visible
from vigilant.cases.models import CasePersonRow, CaseRow, SeizedDeviceRow, SeizureRow
from vigilant.cases.operations import operation_by_ref
from vigilant.links.models import LinkEntityRow
from vigilant.links.service import require_links
from vigilant.links.views import GraphView, _edges, _Renderer
from vigilant.security.audit import RecordRead
from vigilant.store import Database

# An agency holds every case of its own: through it, the whole installation would be one network.
LEFT_OUT = frozenset({"held_by"})


def _members(db: Database, actor: Actor, operation: str | int) -> tuple[str, list[str]]:
    """The operation's code, and the natural keys of its visible cases, their persons and devices."""
    with db.session() as s:
        op = operation_by_ref(s, actor, operation)  # one the caller's agency takes part in, else not found
        cases = list(s.scalars(select(CaseRow.id).where(CaseRow.operation_id == op.id, case_visible(actor))))
        persons = s.scalars(select(CasePersonRow.person_id).where(CasePersonRow.case_id.in_(cases)))
        devices = s.execute(
            select(SeizedDeviceRow.id, SeizedDeviceRow.evidence_item_id)
            .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
            .where(SeizureRow.case_id.in_(cases))
        ).all()
        keys = [f"case:{c}" for c in cases] + [f"person:{p}" for p in sorted(set(persons))]
        keys += [f"seized:{d}" for d, _ in devices] + [f"item:{i}" for _, i in devices if i is not None]
        return op.code, keys


def operation_graph(
    db: Database,
    actor: Actor,
    operation: str | int,
    *,
    kinds: Iterable[str] | None = None,
    min_weight: float = 0.0,
) -> GraphView:
    """The operation's entities and every link touching them that the filters keep; the operation's own
    entities first, then what they link to."""
    require_links(actor)
    code, keys = _members(db, actor, operation)
    wanted = frozenset(kinds) - LEFT_OUT if kinds else None
    with db.session() as s:
        r = _Renderer(s, actor)
        ids: list[int] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            ids.extend(s.scalars(select(LinkEntityRow.id).where(LinkEntityRow.key.in_(chunk))))
        r.load(ids)
        members = [i for i in dict.fromkeys(ids) if i in r.visible]
        edges = [e for e in _edges(s, members, wanted, min_weight) if e.kind not in LEFT_OUT and r.allows(e)]
        others = [i for e in edges for i in (e.source_id, e.target_id) if i not in set(members)]
        r.load(others)
        order = members + list(dict.fromkeys(others))
        linked = {i for e in edges for i in (e.source_id, e.target_id)}
        view = GraphView(
            [r.entity(i) for i in order if i in linked or i in members],
            [r.link(e) for e in sorted({e.id: e for e in edges}.values(), key=lambda e: (-e.weight, e.id))],
        )
        audit(
            s,
            actor,
            RecordRead,
            object_type="operation_network",
            object_id=code,
            query="operation graph",
            records=len(view.entities),
        )
    return view
