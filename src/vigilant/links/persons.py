"""Links between persons, read off the entity graph: a device stands for the accused and suspects of the
case it was seized in, a lead for the persons its IP was recorded on; a link between two such things is a
link between their persons."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx

from vigilant.links.entities import EntityKind
from vigilant.links.views import STRUCTURAL

OWNING_ROLES = frozenset({"accused", "suspect"})


def persons_of(g: nx.Graph, node: int) -> set[int]:
    """The person entities ``node`` stands for."""
    kind = g.nodes[node]["kind"]
    if kind == EntityKind.PERSON:
        return {node}
    out: set[int] = set()
    if kind == EntityKind.DEVICE:
        for case in g.neighbors(node):
            if "seized_in" not in g.edges[node, case]["kinds"]:
                continue
            for person in g.neighbors(case):
                for link in g.edges[case, person]["links"]:
                    if link.kind == "named_in" and link.explanation.get("role") in OWNING_ROLES:
                        out.add(person)
    elif kind == EntityKind.LEAD:
        out = {p for p in g.neighbors(node) if "lead_ip_on_person" in g.edges[node, p]["kinds"]}
    return out


@dataclass
class PersonLink:
    weight: float = 0.0
    kinds: dict[str, float] = field(default_factory=dict)  # link kind -> the weight it brought


def person_links(g: nx.Graph) -> dict[tuple[int, int], PersonLink]:
    """Every pair of persons (lower entity id first) linked through what analysis found, with the weight
    each kind of link brought."""
    owners = {n: persons_of(g, n) for n in g.nodes}
    out: dict[tuple[int, int], PersonLink] = defaultdict(PersonLink)
    for u, v, data in g.edges(data=True):
        for link in data["links"]:
            if link.kind in STRUCTURAL:
                continue
            for p in owners[u]:
                for q in owners[v]:
                    if p != q:
                        pair = (min(p, q), max(p, q))
                        out[pair].weight += link.weight
                        out[pair].kinds[link.kind] = out[pair].kinds.get(link.kind, 0.0) + link.weight
    return dict(out)
