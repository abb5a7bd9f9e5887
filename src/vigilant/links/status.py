"""Where the link graph stands: when each kind of rebuild last succeeded, what makes it stale now and since
when, the last xref job and its progress, and how many entities and links of each kind it holds.

The counts are the installation's, not the caller's view: they say how big the graph is, and nothing of any
record (no key, label, agency or case), so they are shown to every caller with ``links.read``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from vigilant.cases.access import Actor
from vigilant.links.freshness import GraphFreshness, Staleness
from vigilant.links.jobs import JobView, last_job
from vigilant.links.models import LinkEdgeRow, LinkEntityRow
from vigilant.links.service import require_links
from vigilant.store import Database


@dataclass(frozen=True)
class GraphStatus:
    built: dict[str, datetime]  # rebuild kind (run, record, observations) -> start of its last success
    stale: list[Staleness]
    last_job: JobView | None
    entities: dict[str, int]  # kind -> how many
    links: dict[str, int]  # kind -> how many

    def to_json(self) -> dict[str, Any]:
        return {
            "built": {k: v.isoformat() for k, v in self.built.items()},
            "fresh": not self.stale,
            "stale": [s.to_json() for s in self.stale],
            "last_job": self.last_job.to_json() if self.last_job else None,
            "entities": self.entities,
            "links": self.links,
        }


def graph_status(db: Database, actor: Actor, data_dir: Path) -> GraphStatus:
    require_links(actor)
    freshness = GraphFreshness(data_dir)
    built = {k: datetime.fromisoformat(v) for k, v in freshness.read().get("built", {}).items()}
    with db.session() as s:
        entities = s.execute(
            select(LinkEntityRow.kind, func.count()).group_by(LinkEntityRow.kind).order_by(LinkEntityRow.kind)
        ).all()
        links = s.execute(
            select(LinkEdgeRow.kind, func.count()).group_by(LinkEdgeRow.kind).order_by(LinkEdgeRow.kind)
        ).all()
    return GraphStatus(
        built=built,
        stale=freshness.stale(db),
        last_job=last_job(db, data_dir, "xref"),
        entities={str(kind): int(n) for kind, n in entities},
        links={str(kind): int(n) for kind, n in links},
    )
