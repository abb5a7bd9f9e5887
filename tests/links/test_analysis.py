"""Analysis over the planted installation: components and communities, the operation's indicator, repeat
offenders and key distributors, each with its explanation (issue 13, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cases.helpers import actor
from tests.links.world import Planted, planted
from vigilant.links.analysis import communities, components, visible_graph
from vigilant.links.distributors import key_distributors
from vigilant.links.network import operation_network
from vigilant.links.offenders import repeat_offenders
from vigilant.links.service import build_all
from vigilant.store import Database


@pytest.fixture
def built(db: Database, tmp_path: Path) -> Planted:
    p = planted(db, tmp_path)
    build_all(db, p.pp, p.data / "observations")
    return p


def test_components_and_communities_hold_the_planted_links(built: Planted) -> None:
    p = built
    with p.db.session() as s:
        g = visible_graph(s, actor(p.pp.agency_id or 0, "analyst"))
    keys = {n: d["key"] for n, d in g.nodes(data=True)}
    parts = components(g)
    (main,) = [c for c in parts if any(keys[m] == f"item:{p.items['A']}" for m in c.members)]
    assert {f"item:{p.items['A']}", f"item:{p.items['B']}", f"person:{p.persons['A']}"} <= {
        keys[m] for m in main.members
    }
    assert f"item:{p.items['C']}" not in keys.values()  # Halifax's device is not in PP's graph at all
    assert "shared_unknown_files" in main.found_links
    found = communities(g)
    assert found
    assert sum(len(c.members) for c in found) <= g.number_of_nodes()
    assert all("community of" in c.explanation for c in found)


def test_the_operations_indicator_counts_linked_accused_and_explains_itself(built: Planted) -> None:
    p = built
    indicator = operation_network(p.db, actor(p.pp.agency_id or 0, "analyst"), "OP-1")
    assert (indicator.accused, indicator.strongly_linked, indicator.share) == (2, 2, 1.0)
    assert indicator.largest_community == ("Alice Ashby", "Bob Baird")
    (pair,) = indicator.pairs
    assert set(pair["kinds"]) == {"shared_unknown_files", "near_duplicate_unknown", "same_identifier"}
    assert not indicator.suggests_network  # two accused are a pair, not a network
    assert indicator.explanation.startswith("2 of 2 accused (100%) are linked")
    weaker = operation_network(p.db, actor(p.pp.agency_id or 0, "analyst"), "OP-1", strong=5.0)
    assert (weaker.strongly_linked, weaker.largest_community) == (0, ())


def test_repeat_offenders_are_flagged_only_where_the_prior_record_is_visible(built: Planted) -> None:
    p = built
    (flag,) = repeat_offenders(p.db, actor(p.hrp.agency_id or 0, "analyst"))
    assert (flag.name, flag.cases) == ("Carol Cobb", ("C-1",))
    assert [x["what"] for x in flag.priors] == ["arrest", "charge"]
    assert "arrest on 2019-05-01 in case C-0" in flag.explanation
    assert repeat_offenders(p.db, actor(p.pp.agency_id or 0, "analyst")) == []


def test_key_distributors_rank_files_times_reach_and_join_the_seized_devices(built: Planted) -> None:
    p = built
    ranked = key_distributors(p.db, actor(p.pp.agency_id or 0, "analyst"), p.data / "observations")
    assert [(d.lead, d.known_files, d.reach, d.score) for d in ranked] == [
        ("L-1", 4, 3, 12.0),
        ("L-2", 1, 1, 1.0),
    ]
    (alice,) = ranked[0].persons
    assert alice["person"] == "Alice Ashby"
    assert alice["devices"] == [{"device": "laptop A", "run": p.runs["A"], "known_bad": 1}]
    assert "its IP is recorded on Alice Ashby: laptop A 1 known-bad" in ranked[0].explanation
    # Barrie is neither a coordinating agency nor assigned the leads: it sees none.
    assert key_distributors(p.db, actor(p.bps.agency_id or 0, "analyst"), p.data / "observations") == []
