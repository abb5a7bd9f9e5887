"""Shortest paths between two entities: every path of the shortest length (up to a limit), strongest links
first, each link with its provenance; the first is what `path` answers."""

from __future__ import annotations

from pathlib import Path

from tests.links.world import planted
from vigilant.links.service import build_all
from vigilant.links.views import path, paths
from vigilant.store import Database


def test_every_shortest_path_is_listed_strongest_first(db: Database, tmp_path: Path) -> None:
    p = planted(db, tmp_path)
    build_all(db, p.pp, p.data / "observations")
    a, b = f"item:{p.items['A']}", f"item:{p.items['B']}"
    found = paths(db, p.pp, a, b)
    # A and B share rare.bin and a near-duplicate picture: two links, each a path of one link.
    kinds = [[link.kind for link in view.links] for view in found]
    assert sorted(kinds) == [["near_duplicate_unknown"], ["shared_unknown_files"]]
    weights = [view.links[0].weight for view in found]
    assert weights == sorted(weights, reverse=True)
    for view in found:
        assert [e.key for e in view.entities] == [a, b]
        assert view.links[0].provenance is not None
        assert view.links[0].provenance["origin"] == "run"
    assert path(db, p.pp, a, b).links == found[0].links
    assert len(paths(db, p.pp, a, b, limit=1)) == 1
    # Alice to Bob: through their devices, their cases, the username they share ("admin")...: all of one
    # length, each a chain of links that join.
    alice, bob = f"person:{p.persons['A']}", f"person:{p.persons['B']}"
    chains = paths(db, p.pp, alice, bob, limit=5)
    assert chains
    assert len({len(view.links) for view in chains}) == 1
    for view in chains:
        assert [e.key for e in (view.entities[0], view.entities[-1])] == [alice, bob]
        for link, here, there in zip(view.links, view.entities, view.entities[1:], strict=False):
            assert {link.source, link.target} == {here.handle, there.handle}
