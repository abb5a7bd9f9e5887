"""Operations and the person search through the pages and the API: own agency sees, another agency's
operation is 404, another agency's agency_only persons never appear, wildcards are literal, pages page."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.web.conftest import OTHER_PERSON, OTHER_TITLE, OWN_PERSON, OWN_TITLE, Clock, World, log_in
from vigilant.cases.models import Distribution, PersonRole
from vigilant.cases.operations import add_participants
from vigilant.cases.people import add_person
from vigilant.cases.service import open_case
from vigilant.security.rights import Actor, Role
from vigilant.store import Database


def _coordinator(agency: int) -> Actor:
    return Actor.cli(f"coord@{agency}", agency_id=agency, roles={"coordinator"})


def _as(client: TestClient, world: World, clock: Clock, role: Role) -> None:
    assert log_in(client, world.users[role], clock) == 303


def test_operations_list_and_detail(client: TestClient, world: World, clock: Clock, db: Database) -> None:
    # The other agency joins the own operation with one shared case and one it keeps to itself.
    add_participants(db, _coordinator(world.own_agency), "OP-OWN", ["HRP"])
    other = _coordinator(world.other_agency)
    shared = open_case(db, other, number="HRP-SHARED", title="Shared with the operation", operation="OP-OWN",
                       distribution=Distribution.OPERATION)  # fmt: skip
    open_case(db, other, number="HRP-KEPT", title=OTHER_TITLE + " 2", operation="OP-OWN")
    _as(client, world, clock, Role.COORDINATOR)

    listed = client.get("/operations")
    assert listed.status_code == 200
    assert f'href="/operations/{world.own_operation}"' in listed.text
    assert "OP-OTHER" not in listed.text
    assert "Orillia Police (OPS)" in listed.text
    assert "<td>2</td>" in listed.text

    page = client.get(f"/operations/{world.own_operation}")
    assert page.status_code == 200
    assert "Halifax Police" in page.text
    assert "HRP" in page.text
    assert f'href="/cases/{world.own_case}"' in page.text
    assert f'href="/cases/{shared.id}"' in page.text
    assert OWN_TITLE in page.text
    assert OTHER_TITLE not in page.text
    assert f'href="/operations/{world.own_operation}/release"' in page.text
    assert client.get(f"/operations/{world.other_operation}").status_code == 404

    api = client.get(f"/api/v1/operations/{world.own_operation}")
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["operation"]["code"] == "OP-OWN"
    assert body["coordinating_agency"]["short_name"] == "OPS"
    assert [a["short_name"] for a in body["agencies"]] == ["HRP", "OPS"]
    assert body["figures"]["cases"] == 3  # figures count every case of the operation, naming none
    assert sorted(c["number"] for c in body["cases"]) == ["HRP-SHARED", "OP-OWN-1"]
    assert client.get(f"/api/v1/operations/{world.other_operation}").status_code == 404


def test_an_examiner_sees_no_release_link(client: TestClient, world: World, clock: Clock) -> None:
    _as(client, world, clock, Role.EXAMINER)
    page = client.get(f"/operations/{world.own_operation}")
    assert page.status_code == 200
    assert "/release" not in page.text


def test_person_search_page_and_api(client: TestClient, world: World, clock: Clock, db: Database) -> None:
    own = _coordinator(world.own_agency)
    add_person(db, own, world.own_case, given_names="Robin", surname="Under_score", role=PersonRole.VICTIM,
               date_of_birth=date(2010, 6, 1), municipality="Orillia")  # fmt: skip
    add_person(db, own, world.own_case, given_names="Robin", surname="Underxscore", role=PersonRole.WITNESS)
    _as(client, world, clock, Role.INVESTIGATOR)

    page = client.get("/persons")
    assert page.status_code == 200
    assert f'href="/persons/{world.own_person}"' in page.text
    assert OWN_PERSON[1] in page.text
    assert OTHER_PERSON[1] not in page.text
    assert "suspect in <a" in page.text
    assert "OP-OWN-1" in page.text
    assert "2010-06-01 (age 15)" in page.text
    assert "Orillia" in page.text

    found = client.get("/persons", params={"q": "r_s"})
    assert "Under_score" in found.text
    assert "Underxscore" not in found.text
    assert "Under_score" not in client.get("/persons", params={"q": "%"}).text
    victims = client.get("/persons", params={"role": "victim"}).text
    assert "Under_score" in victims
    assert OWN_PERSON[1] not in victims
    assert client.get("/persons", params={"role": "bystander"}).status_code == 400

    fragment = client.get("/persons", params={"q": "robin"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert 'id="person-results"' in fragment.text

    api = client.get("/api/v1/persons", params={"q": "under_", "role": "victim"})
    assert api.status_code == 200, api.text
    hits = api.json()["persons"]
    assert [(p["surname"], p["age"]) for p in hits] == [("Under_score", 15)]
    assert hits[0]["cases"] == [{"case_id": world.own_case, "number": "OP-OWN-1", "role": "victim"}]
    everyone = client.get("/api/v1/persons").json()
    assert OTHER_PERSON[1] not in {p["surname"] for p in everyone["persons"]}
    assert client.get("/api/v1/persons", params={"q": OTHER_PERSON[1]}).json()["persons"] == []
    assert client.get("/api/v1/persons", params={"role": "bystander"}).status_code == 422


def test_person_search_pages(client: TestClient, world: World, clock: Clock, db: Database) -> None:
    own = _coordinator(world.own_agency)
    for n in range(30):
        add_person(
            db, own, world.own_case, given_names="Pat", surname=f"Paged{n:02d}", role=PersonRole.WITNESS
        )
    _as(client, world, clock, Role.ANALYST)
    first = client.get("/api/v1/persons", params={"q": "paged"}).json()
    second = client.get("/api/v1/persons", params={"q": "paged", "page": 2}).json()
    assert (len(first["persons"]), first["more"]) == (25, True)
    assert (len(second["persons"]), second["more"]) == (5, False)
    names = [p["surname"] for p in first["persons"] + second["persons"]]
    assert names == [f"Paged{n:02d}" for n in range(30)]
    page = client.get("/persons", params={"q": "paged", "page": 2})
    assert "Paged29" in page.text
    assert "Paged00" not in page.text
    assert 'rel="prev"' in page.text
    assert 'rel="next"' not in page.text
    assert 'href="/persons?q=paged&amp;role=&amp;sort=name&amp;page=1"' in page.text
    born = client.get("/persons", params={"sort": "born"}).text
    assert born.index(OWN_PERSON[1]) < born.index("Paged00")  # a known date of birth first


def test_roles_without_persons_read_are_refused(client: TestClient, world: World, clock: Clock) -> None:
    _as(client, world, clock, Role.EXAMINER)
    assert client.get("/persons").status_code == 403
    assert client.get("/api/v1/persons").status_code == 403
