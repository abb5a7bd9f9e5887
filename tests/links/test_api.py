"""The link analysis API through the real app: build, strongest links, neighbourhood, path, an operation's
network figures and exports (tests/web/test_matrix.py checks every role on these routes)."""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

from tests.web.conftest import OTHER_PERSON, OTHER_TITLE, Clock, World, client, clock, csrf, log_in, world
from vigilant.cases.links import link_identifier
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

if TYPE_CHECKING:  # imported for real only after tests.web.conftest, which quiets Starlette's test client
    from fastapi.testclient import TestClient

__all__ = ["client", "clock", "world"]  # the web tests' fixtures, used here by name


def test_links_over_the_api(db: Database, client: TestClient, world: World, clock: Clock) -> None:
    own = Actor.cli("coord", agency_id=world.own_agency, roles={"coordinator"})
    other = Actor.cli("coord", agency_id=world.other_agency, roles={"coordinator"})
    # Both agencies' suspects use one e-mail address: a link across agencies.
    link_identifier(db, own, world.own_case, "email", "same@example.org", person_id=world.own_person)
    link_identifier(db, other, world.other_case, "email", "same@example.org", person_id=world.other_person)
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}

    built = client.post("/api/v1/links/build", headers=headers)
    assert built.status_code == 201, built.text
    assert built.json()["links"]["same_identifier"] == 1
    shown = client.get(f"/api/v1/links/entities/person:{world.own_person}", params={"depth": 2})
    assert shown.status_code == 200, shown.text
    for leak in (*OTHER_PERSON, OTHER_TITLE, f"person:{world.other_person}"):
        assert leak not in shown.text
    (hidden,) = [e for e in shown.json()["entities"] if not e["visible"]]
    assert hidden["message"] == "a link exists to a record held by Halifax Police — contact its coordinator"
    (same,) = [link for link in shown.json()["links"] if link["kind"] == "same_identifier"]
    assert same["weight"] == 1.0
    assert "explanation" not in same
    assert client.get(f"/api/v1/links/entities/person:{world.other_person}").status_code == 404
    assert client.get("/api/v1/links/entities/nonsense").status_code == 422  # names no entity
    strongest = client.get("/api/v1/links", params={"kind": "same_identifier"})
    assert [link["kind"] for link in strongest.json()["links"]] == ["same_identifier"]
    assert OTHER_PERSON[1] not in strongest.text
    found = client.get(f"/api/v1/links/path/person:{world.own_person}/case:{world.own_case}").json()
    assert [e["key"] for e in found["entities"]] == [f"person:{world.own_person}", f"case:{world.own_case}"]
    figures = client.get(f"/api/v1/links/operations/{world.own_operation}/network")
    assert figures.status_code == 200, figures.text
    assert figures.json()["indicator"]["accused"] == 0  # the world's persons are suspects
    assert client.get(f"/api/v1/links/operations/{world.other_operation}/network").status_code == 404
    graphml = client.get("/api/v1/links/export", params={"format": "graphml"})
    assert graphml.status_code == 200
    assert b"same_identifier" in graphml.content
    assert OTHER_PERSON[1].encode() not in graphml.content
    i2 = client.get("/api/v1/links/export", params={"format": "i2"})
    names = zipfile.ZipFile(io.BytesIO(i2.content)).namelist()
    assert names == ["links-entities.csv", "links-links.csv"]
