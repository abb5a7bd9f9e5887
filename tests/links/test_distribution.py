"""Distribution is respected: a link to a record the viewer may not see shows the holder to contact, the
link's kind and strength, and no field of the record (issue 13, item 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cases.helpers import actor
from tests.links.world import Planted, planted
from vigilant.links.errors import EntityNotFoundError
from vigilant.links.service import build_all
from vigilant.links.views import neighbourhood, path, strongest, whole_graph
from vigilant.store import Database


@pytest.fixture
def built(db: Database, tmp_path: Path) -> Planted:
    p = planted(db, tmp_path)
    build_all(db, p.pp, p.data / "observations")
    return p


def carol_fields(p: Planted) -> list[str]:
    """Everything of Halifax's case C a leak could show: names, numbers, titles, labels, paths, keys."""
    return [
        "Carol",
        "Cobb",
        "C-1",
        "C-0",
        "Charlie",
        "Earlier",
        "laptop C",
        "C-01",
        "seized-C",
        "k.jpg",
        "cam2.jpg",
        f"item:{p.items['C']}",
        f"person:{p.persons['C']}",
        f"case:{p.cases['C']}",
        "Shared.Person",
    ]


def test_a_link_to_another_agencys_record_shows_only_who_to_contact(built: Planted) -> None:
    p = built
    analyst = actor(p.pp.agency_id or 0, "analyst")
    for ref, depth in ((f"item:{p.items['A']}", 2), (f"person:{p.persons['A']}", 2)):
        view = neighbourhood(p.db, analyst, ref, depth=depth)
        text = json.dumps(view.to_json())
        for leaked in carol_fields(p):
            assert leaked not in text, f"{leaked!r} of Halifax's record appears in {ref}'s neighbourhood"
        hidden = [e for e in view.entities if not e.visible]
        assert hidden, f"{ref}: the link to Halifax's record must still be shown"
        assert {e.message for e in hidden} == {
            "a link exists to a record held by Halifax Police — contact its coordinator"
        }
        hidden_links = [
            link
            for link in view.links
            if link.target in {e.handle for e in hidden} or link.source in {e.handle for e in hidden}
        ]
        assert all(link.explanation is None and link.provenance is None for link in hidden_links)
        assert all(link.weight > 0 for link in hidden_links)
    # The known-bad files A and C share: kind and strength, no file list.
    view = neighbourhood(p.db, analyst, f"item:{p.items['A']}")
    (bad,) = [link for link in view.links if link.kind == "shared_known_bad_files"]
    assert bad.weight > 0
    assert bad.explanation is None
    # The partner's records in the operation are open to the coordinator, with their explanation.
    (unknown,) = [link for link in view.links if link.kind == "shared_unknown_files"]
    assert unknown.explanation is not None
    assert "copy-of-rare.bin" in json.dumps(unknown.explanation)


def test_the_strongest_links_and_paths_hide_what_the_viewer_may_not_see(built: Planted) -> None:
    p = built
    analyst = actor(p.pp.agency_id or 0, "analyst")
    text = json.dumps(strongest(p.db, analyst).to_json())
    for leaked in carol_fields(p):
        assert leaked not in text
    # From Alice to Bob through what PP may see; to Carol, only that a path exists elsewhere.
    found = path(p.db, analyst, f"person:{p.persons['A']}", f"person:{p.persons['B']}")
    assert found.entities[0].key == f"person:{p.persons['A']}"
    assert found.entities[-1].key == f"person:{p.persons['B']}"
    with pytest.raises(EntityNotFoundError):  # Carol's existence is not disclosed
        path(p.db, analyst, f"person:{p.persons['A']}", f"person:{p.persons['C']}")


def test_halifax_sees_its_own_records_and_the_operations_as_hidden(built: Planted) -> None:
    p = built
    hrp = actor(p.hrp.agency_id or 0, "analyst")
    view = neighbourhood(p.db, hrp, f"item:{p.items['C']}")
    text = json.dumps(view.to_json())
    assert "laptop C" in text
    for leaked in ("Alice", "Ashby", "A-1", "laptop A", "rare.bin", f"item:{p.items['A']}"):
        assert leaked not in text
    with pytest.raises(EntityNotFoundError):
        neighbourhood(p.db, hrp, f"item:{p.items['A']}")


def test_observations_show_only_to_those_who_see_a_lead_made_of_them(built: Planted) -> None:
    """A peer id seen on an IP comes from the P2P observations behind the leads: an agency that sees no lead
    at either address must not learn that someone is watching it (the link and its two values)."""
    p = built
    outsider = actor(p.hrp.agency_id or 0, "analyst")  # Halifax is routed no lead
    coordinating = actor(p.pp.agency_id or 0, "analyst")
    for view in (whole_graph(p.db, outsider), strongest(p.db, outsider, limit=1000)):
        assert not [link for link in view.links if link.kind == "seen_on"]
        assert "198.51.100.9" not in json.dumps(view.to_json())
    assert [link for link in whole_graph(p.db, coordinating).links if link.kind == "seen_on"]
