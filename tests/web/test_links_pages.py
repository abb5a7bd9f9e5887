"""The link path page ("how are A and B linked", ends picked by searching labels) and an operation's network
page (indicator, graph data, table, filters) through the real app; another agency's record never shows
more than who holds it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from tests.web.conftest import (
    OTHER_PERSON,
    OTHER_TITLE,
    OWN_PERSON,
    Clock,
    World,
    client,
    clock,
    log_in,
    world,
)
from vigilant.cases.links import link_identifier
from vigilant.links.service import build_all
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

if TYPE_CHECKING:  # imported for real only after tests.web.conftest, which quiets Starlette's test client
    from fastapi.testclient import TestClient

__all__ = ["client", "clock", "world"]  # the web tests' fixtures, used here by name

HIDDEN = "a link exists to a record held by Halifax Police — contact its coordinator"


def _shared_email(db: Database, world: World, tmp_path: Path) -> None:
    """Both agencies' suspects use one e-mail address: a link across agencies."""
    own = Actor.cli("coord", agency_id=world.own_agency, roles={"coordinator"})
    other = Actor.cli("coord", agency_id=world.other_agency, roles={"coordinator"})
    link_identifier(db, own, world.own_case, "email", "same@example.org", person_id=world.own_person)
    link_identifier(db, other, world.other_case, "email", "same@example.org", person_id=world.other_person)
    build_all(db, Actor.cli("lab"), tmp_path / "observations")


def _leaks(text: str) -> list[str]:
    return [leak for leak in (*OTHER_PERSON, OTHER_TITLE, f"person:{0}") if leak in text]


def _rows(html: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table}"[^>]*>.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, f"no table {table}"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows]


def test_the_path_page_finds_the_ends_by_name_and_explains_each_link(
    db: Database, client: TestClient, world: World, clock: Clock, tmp_path: Path
) -> None:
    _shared_email(db, world, tmp_path)
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    # One match for the surname: chosen at once; the case by its key.
    page = client.get("/links/path", params={"source": OWN_PERSON[1], "target": f"case:{world.own_case}"})
    assert page.status_code == 200, page.text
    (step,) = _rows(page.text, "path-1")
    number, source, kind, strength, target, _why, origin = step
    assert (number, kind, strength) == ("1", "named in", "1.000")
    assert OWN_PERSON[1] in source
    assert "Own agency case" in target
    assert "records from record" in origin  # the builder and what says so
    assert f"case {world.own_case}" in origin
    # Words matching several entities list them to pick from, each a link that keeps the other end.
    page = client.get("/links/path", params={"source": "example.org", "target": OWN_PERSON[0]})
    picks = re.findall(r'<li><a href="(/links/path\?[^"]+)">([^<]+)</a>', page.text)
    # "example.org" is the e-mail hub alone (not the other agency's person); "Maple" both a person and a case.
    assert [label for _, label in picks] == [
        f"{OWN_PERSON[0]} {OWN_PERSON[1]}",
        "OP-OWN-1 Own agency case: Maple Street",
    ]
    chosen = client.get(picks[0][0].replace("&amp;", "&"))
    steps = _rows(chosen.text, "path-1")
    assert [s[2] for s in steps] == ["uses"]
    # Nothing of the other agency's record is offered or shown.
    hidden = client.get("/links/path", params={"source": OTHER_PERSON[1], "target": "same"})
    assert "nothing you may see matches" in hidden.text
    for text in (page.text, chosen.text):
        assert _leaks(text) == []
    assert _leaks(hidden.text) == [OTHER_PERSON[1]]  # only as the words typed, echoed in the answer
    assert hidden.text.count(OTHER_PERSON[1]) == 2  # the form's field and "nothing … matches"
    unknown = client.get("/links/path", params={"source": "person:999999", "target": "case:1"})
    assert "no entity &#39;person:999999&#39; in the link graph" in unknown.text


def test_the_operation_page_shows_its_network_filters_it_and_hides_the_other_agencys_records(
    db: Database, client: TestClient, world: World, clock: Clock, tmp_path: Path
) -> None:
    _shared_email(db, world, tmp_path)
    assert log_in(client, world.users[Role.COORDINATOR], clock) == 303
    links = client.get("/links").text
    assert f'href="/links/operations/{world.own_operation}"' in links
    page = client.get(f"/links/operations/{world.own_operation}")
    assert page.status_code == 200, page.text
    assert "No indication of an organised network" in page.text
    found = re.search(r'<script type="application/json" id="links-data">(.*?)</script>', page.text, re.S)
    assert found, "no graph data on the page"
    data = json.loads(found.group(1))
    labels = {e["label"] for e in data["entities"]}
    assert f"{OWN_PERSON[0]} {OWN_PERSON[1]}" in labels
    assert "email same@example.org" in labels
    rows = _rows(page.text, "links-table")
    assert len(rows) == len(data["links"])  # the table holds the graph's links, for readers and print
    assert {"named in", "uses"} <= {r[0] for r in rows}
    assert _leaks(page.text) == []
    only = client.get(
        f"/links/operations/{world.own_operation}",
        params={"kind": "same_identifier", "records": "false"},
    )
    rows = _rows(only.text, "links-table")
    assert [r[0] for r in rows] == ["same identifier"]
    assert rows[0][2] == HIDDEN or rows[0][1] == HIDDEN
    assert rows[0][4] == "held by another agency"
    assert _leaks(only.text) == []
    strong = client.get(f"/links/operations/{world.own_operation}", params={"min_weight": 5})
    assert "No link to show for this operation with these filters" in strong.text
    assert client.get(f"/links/operations/{world.other_operation}").status_code == 404
