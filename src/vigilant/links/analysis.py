"""The graph as analysis sees it: what the caller may see, loaded into networkx; connected components, and
communities by Leiden (igraph + leidenalg), each with the links that hold it together.

Analysis runs over the links analysis found plus the records' own (a person named in a case, a device seized
in it), but never through an agency (``held_by``): every case of an agency would otherwise be one component.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import igraph as ig
import leidenalg
import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import Actor
from vigilant.links.models import LinkEdgeRow, LinkEntityRow
from vigilant.links.views import STRUCTURAL
from vigilant.links.visibility import visible_ids

NOT_ANALYSED = frozenset({"held_by"})
LEIDEN_SEED = 42  # communities are reproducible from one run to the next


def visible_graph(s: Session, actor: Actor, *, kinds: frozenset[str] | None = None) -> nx.Graph:
    """Every entity the caller may see and every link between two of them (parallel links summed into one
    edge that lists their kinds)."""
    rows = list(s.scalars(select(LinkEntityRow)))
    seen = visible_ids(s, actor, rows)
    g = nx.Graph()
    for r in rows:
        if r.id in seen:
            g.add_node(r.id, kind=r.kind, key=r.key, label=r.label, ref_id=r.ref_id)
    query = select(LinkEdgeRow).where(LinkEdgeRow.kind.not_in(sorted(NOT_ANALYSED)))
    if kinds is not None:
        query = query.where(LinkEdgeRow.kind.in_(sorted(kinds)))
    for e in s.scalars(query):
        if e.source_id in seen and e.target_id in seen:
            if g.has_edge(e.source_id, e.target_id):
                data = g.edges[e.source_id, e.target_id]
                data["weight"] += e.weight
                data["kinds"].append(e.kind)
                data["links"].append(e)
            else:
                g.add_edge(e.source_id, e.target_id, weight=e.weight, kinds=[e.kind], links=[e])
    return g


@dataclass(frozen=True)
class Group:
    """A component or a community: its members, what kinds they are, and the links found inside it."""

    number: int
    members: tuple[int, ...]
    labels: tuple[str, ...]
    kinds: dict[str, int]
    found_links: dict[str, int]  # links analysis found inside it, by kind (records' own links left out)
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "size": len(self.members),
            "members": list(self.members),
            "labels": list(self.labels),
            "kinds": self.kinds,
            "found_links": self.found_links,
            "explanation": self.explanation,
        }


def _group(g: nx.Graph, number: int, members: list[int], what: str) -> Group:
    members = sorted(members)
    sub = g.subgraph(members)
    found = Counter(k for _, _, d in sub.edges(data=True) for k in d["kinds"] if k not in STRUCTURAL)
    kinds = Counter(g.nodes[m]["kind"] for m in members)
    text = f"{what} of {len(members)} entities ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})"
    if found:
        text += f", held together by {', '.join(f'{n} {k}' for k, n in sorted(found.items()))}"
    return Group(
        number, tuple(members), tuple(g.nodes[m]["label"] for m in members), dict(kinds), dict(found), text
    )


def components(g: nx.Graph, *, min_size: int = 2) -> list[Group]:
    """Connected components, largest first."""
    parts = sorted(
        (sorted(c) for c in nx.connected_components(g) if len(c) >= min_size), key=lambda c: (-len(c), c)
    )
    return [_group(g, i + 1, c, "component") for i, c in enumerate(parts)]


def communities(g: nx.Graph, *, min_size: int = 2) -> list[Group]:
    """Communities by Leiden (modularity, weighted by link strength), largest first."""
    if g.number_of_edges() == 0:
        return []
    nodes = sorted(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    graph = ig.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b in g.edges])
    graph.es["weight"] = [float(d["weight"]) for _, _, d in g.edges(data=True)]
    partition = leidenalg.find_partition(
        graph, leidenalg.ModularityVertexPartition, weights="weight", seed=LEIDEN_SEED
    )
    parts = [sorted(nodes[i] for i in part) for part in partition if len(part) >= min_size]
    parts.sort(key=lambda c: (-len(c), c))
    return [_group(g, i + 1, c, "community") for i, c in enumerate(parts)]
