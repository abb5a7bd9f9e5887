"""An operation's "organised network?" indicator: the share of its accused strongly linked to another
accused, and the largest community among them (Leiden over the links between accused), each figure with
the links behind it. It reports what the links show; whether that makes an organised network is the
investigators' call, and the explanation says how the figures were reached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
from sqlalchemy import select

from vigilant.cases.access import Actor, audit, case_visible
from vigilant.cases.models import CasePersonRow, CaseRow, PersonRole
from vigilant.cases.operations import operation_by_ref
from vigilant.links.analysis import communities, visible_graph
from vigilant.links.entities import EntityKind
from vigilant.links.persons import person_links
from vigilant.links.service import require_links
from vigilant.security.audit import RecordRead
from vigilant.store import Database

STRONG = 0.5  # a pair of accused at least this strongly linked counts as "strongly linked"
# The figures suggest a network when at least half of the accused are strongly linked to another and
# three or more of them form one community; below that, the links found are pairs, not a network.
NETWORK_SHARE, NETWORK_COMMUNITY = 0.5, 3


@dataclass(frozen=True)
class NetworkIndicator:
    operation: str
    accused: int
    strongly_linked: int
    share: float
    largest_community: tuple[str, ...]
    pairs: tuple[dict[str, Any], ...]
    suggests_network: bool
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "accused": self.accused,
            "strongly_linked": self.strongly_linked,
            "share": self.share,
            "largest_community": list(self.largest_community),
            "pairs": list(self.pairs),
            "suggests_network": self.suggests_network,
            "explanation": self.explanation,
        }


def operation_network(
    db: Database, actor: Actor, operation: str | int, *, strong: float = STRONG
) -> NetworkIndicator:
    """The indicator for ``operation`` (its code), over the accused and links the caller may see."""
    require_links(actor)
    with db.session() as s:
        op = operation_by_ref(s, actor, operation)  # one the caller's agency takes part in, else not found
        accused_ids = set(
            s.scalars(
                select(CasePersonRow.person_id)
                .join(CaseRow, CaseRow.id == CasePersonRow.case_id)
                .where(
                    CaseRow.operation_id == op.id,
                    CasePersonRow.role == PersonRole.ACCUSED.value,
                    case_visible(actor),
                )
            )
        )
        g = visible_graph(s, actor)
        node_of = {
            d["ref_id"]: n
            for n, d in g.nodes(data=True)
            if d["kind"] == EntityKind.PERSON and d["ref_id"] in accused_ids
        }
        label = {n: g.nodes[n]["label"] for n in node_of.values()}
        accused_nodes = set(node_of.values())
        pairs = {
            pair: link
            for pair, link in person_links(g).items()
            if pair[0] in accused_nodes and pair[1] in accused_nodes and link.weight >= strong
        }
        linked = {p for pair in pairs for p in pair}
        projection = nx.Graph()
        projection.add_nodes_from(accused_nodes)
        for (a, b), link in pairs.items():
            projection.add_edge(a, b, weight=link.weight, kinds=sorted(link.kinds), links=[])
            projection.nodes[a].update(kind="person", label=label[a])
            projection.nodes[b].update(kind="person", label=label[b])
        groups = communities(projection) if pairs else []
        largest = tuple(sorted(label[m] for m in groups[0].members)) if groups else ()
        share = len(linked) / len(accused_nodes) if accused_nodes else 0.0
        suggests = share >= NETWORK_SHARE and len(largest) >= NETWORK_COMMUNITY
        pair_list = tuple(
            {
                "a": label[a],
                "b": label[b],
                "weight": round(link.weight, 6),
                "kinds": {k: round(w, 6) for k, w in sorted(link.kinds.items())},
            }
            for (a, b), link in sorted(pairs.items(), key=lambda x: -x[1].weight)
        )
        text = (
            f"{len(linked)} of {len(accused_nodes)} accused ({share:.0%}) are linked to another "
            f"accused with a strength of at least {strong:g}; the largest community "
            f"among them has {len(largest)} ({', '.join(largest) or 'none'}). "
            + (
                "These figures suggest an organised network"
                if suggests
                else "No indication of an organised network from the links found"
            )
            + f" (the rule: at least {NETWORK_SHARE:.0%} linked and a community of {NETWORK_COMMUNITY} "
            "or more)."
        )
        audit(
            s,
            actor,
            RecordRead,
            object_type="operation_network",
            object_id=op.code,
            records=len(accused_nodes),
        )
    return NetworkIndicator(
        op.code, len(accused_nodes), len(linked), round(share, 4), largest, pair_list, suggests, text
    )
