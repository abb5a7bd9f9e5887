"""The xref API through the real app: run, list, show, judge, profile, and what the other agency's record
leaves out (tests/web/test_matrix.py checks every role on these routes)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from tests.web.conftest import OTHER_PERSON, Clock, World, client, clock, csrf, log_in, world
from vigilant.cases.models import PersonRole
from vigilant.cases.people import add_person
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

if TYPE_CHECKING:  # imported for real only after tests.web.conftest, which quiets Starlette's test client
    from fastapi.testclient import TestClient

__all__ = ["client", "clock", "world"]  # the web tests' fixtures, used here by name


def test_xref_over_the_api(db: Database, client: TestClient, world: World, clock: Clock) -> None:
    own = Actor.cli("coord", agency_id=world.own_agency, roles={"coordinator"})
    other = Actor.cli("coord", agency_id=world.other_agency, roles={"coordinator"})
    twin = add_person(db, own, world.own_case, given_names="Mapel", surname="Ownagency",
                      role=PersonRole.ACCUSED, date_of_birth=date(1980, 5, 1)).id  # fmt: skip
    # The other agency records someone much like our suspect: we may learn only who holds the record.
    add_person(db, other, world.other_case, given_names="Maple", surname="Ownagency", role=PersonRole.SUSPECT,
               date_of_birth=date(1980, 5, 1), address="9 Birch Lane", municipality="Dartmouth")  # fmt: skip
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}

    made = client.post("/api/v1/links/xref/run", headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["persons"] == 4
    listed = client.get("/api/v1/links/xref", params={"status": "all"})
    assert listed.status_code == 200
    for leak in (OTHER_PERSON[1], "Birch", "Dartmouth", "HRP"):
        assert leak not in listed.text
    proposals = listed.json()
    shown = {p["person"]["id"] for p in proposals} | {p["other"]["id"] for p in proposals if p["other"]}
    assert shown == {world.own_person, twin}
    withheld = [p for p in proposals if p["other"] is None]
    assert withheld, proposals
    assert {p["withheld"] for p in withheld} == {
        "a possible match is held by Halifax Police — contact its coordinator"
    }
    assert all(p["comparisons"] == [] for p in withheld)

    (pair,) = [p for p in proposals if p["other"] is not None]
    assert {pair["person"]["id"], pair["other"]["id"]} == {world.own_person, twin}
    assert client.get(f"/api/v1/links/xref/{pair['id']}").json()["comparisons"][0]["comparison"] == "name"
    refused = client.post(f"/api/v1/links/xref/{withheld[0]['id']}/judgement", headers=headers,
                          json={"verdict": "same", "reason": "looks alike"})  # fmt: skip
    assert refused.status_code == 404
    body = {"verdict": "same", "reason": "same tattoo in both arrest reports"}
    judged = client.post(f"/api/v1/links/xref/{pair['id']}/judgement", headers=headers, json=body)
    assert judged.status_code == 201, judged.text
    found = client.get(f"/api/v1/links/xref/profile/{twin}").json()
    assert [p["id"] for p in found["persons"]] == sorted([world.own_person, twin])
    assert client.get(f"/api/v1/links/xref/profile/{world.other_person}").status_code == 404
