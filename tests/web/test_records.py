"""A case's records through the API and the pages: persons, charges, legal process, the release preview."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import OTHER_PERSON, OWN_PERSON, Clock, World, csrf, log_in
from vigilant.security.rights import Role


def _as(client: TestClient, world: World, clock: Clock, role: Role) -> dict[str, str]:
    assert log_in(client, world.users[role], clock) == 303
    return {"X-CSRF-Token": csrf(client)}


def test_the_api_adds_a_person_and_lays_a_charge(client: TestClient, world: World, clock: Clock) -> None:
    headers = _as(client, world, clock, Role.INVESTIGATOR)
    case = world.own_case
    made = client.post(
        f"/api/v1/cases/{case}/persons",
        json={
            "given_names": "Jordan",
            "surname": "Accused",
            "role": "accused",
            "date_of_birth": "1990-04-02",
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    person = made.json()
    assert (person["role"], person["age"]) == ("accused", 35)  # on 2026-03-02
    charge = client.post(
        f"/api/v1/cases/{case}/charges",
        json={"person_id": person["id"], "offence": "163.1(4)", "offence_from": "2026-01-05"},
        headers=headers,
    )
    assert charge.status_code == 201, charge.text
    assert (charge.json()["section"], charge.json()["laid_on"]) == ("163.1(4)", "2026-03-02")
    listed = client.get(f"/api/v1/cases/{case}/charges").json()
    assert [c["title"] for c in listed] == ["Possessing child pornography"]
    names = {p["surname"] for p in client.get(f"/api/v1/cases/{case}/persons").json()}
    assert names == {"Accused", OWN_PERSON[1]}
    file = client.get(f"/api/v1/persons/{person['id']}").json()
    assert [c["role"] for c in file["cases"]] == ["accused"]
    assert [c["offence_code"] for c in file["charges"]] == ["cp-possessing"]
    catalogue = client.get("/api/v1/offences").json()
    assert {"code": "cp-accessing", "section": "163.1(4.1)"}.items() <= catalogue[3].items()


def test_the_api_says_what_is_wrong(client: TestClient, world: World, clock: Clock) -> None:
    headers = _as(client, world, clock, Role.INVESTIGATOR)
    case = world.own_case
    warrant = {"kind": "search_warrant", "target": "12 Example St", "issued_at": "2026-03-01T10:00:00Z"}
    refused = client.post(f"/api/v1/cases/{case}/legal-process", json=warrant, headers=headers)
    assert refused.status_code == 422
    assert "court" in refused.json()["error"]
    naive = client.post(
        f"/api/v1/cases/{case}/legal-process",
        json={"kind": "preservation_demand", "target": "isp", "issued_at": "2026-03-01T10:00:00"},
        headers=headers,
    )
    assert naive.status_code == 422  # times carry their zone
    unknown = client.post(
        f"/api/v1/cases/{case}/charges",
        json={"person_id": world.own_person, "offence": "999", "offence_from": "2026-01-05"},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert "catalogue" in unknown.json()["error"]


def test_a_wrong_form_comes_back_with_the_message_and_what_was_typed(
    client: TestClient, world: World, clock: Clock
) -> None:
    _as(client, world, clock, Role.INVESTIGATOR)
    case = world.own_case
    form = {"person_id": str(world.own_person), "offence": "cp-possessing", "offence_from": "2026-13-40"}
    answer = client.post(f"/cases/{case}/charges", data=form | {"csrf_token": csrf(client)})
    assert answer.status_code == 400
    assert "is not a date" in answer.text
    assert 'value="2026-13-40"' in answer.text
    form["offence_from"] = "2026-01-05"
    answer = client.post(f"/cases/{case}/charges", data=form | {"csrf_token": csrf(client)})
    assert (answer.status_code, answer.headers["location"]) == (303, f"/cases/{case}#charges")
    page = client.get(f"/cases/{case}?charges_sort=section&persons_sort=born")
    assert page.status_code == 200
    assert "s. 163.1(4)" in page.text
    assert "Possessing child pornography" in page.text
    execution = {"executed_at": "2026-03-02T08:00", "where": "12 Example St", "by": "Cst. B"}
    done = client.post(
        f"/cases/{case}/legal-process/{world.own_process}/execution",
        data=execution | {"csrf_token": csrf(client)},
    )
    assert done.status_code == 303
    assert "at 12 Example St, by Cst. B" in client.get(f"/cases/{case}").text


def test_an_examiner_opens_the_case_without_its_persons(
    client: TestClient, world: World, clock: Clock
) -> None:
    _as(client, world, clock, Role.EXAMINER)
    page = client.get(f"/cases/{world.own_case}")
    assert page.status_code == 200
    assert "Your role does not show the persons" in page.text
    assert OWN_PERSON[1] not in page.text


def test_the_release_preview_names_adults_only(client: TestClient, world: World, clock: Clock) -> None:
    headers = _as(client, world, clock, Role.COORDINATOR)
    case = world.own_case
    youth = client.post(
        f"/api/v1/cases/{case}/persons",
        json={
            "given_names": "Young",
            "surname": "Protected",
            "role": "accused",
            "date_of_birth": "2010-01-01",
        },
        headers=headers,
    ).json()
    for person_id in (world.own_person, youth["id"]):
        charge = {"person_id": person_id, "offence": "cp-distributing", "offence_from": "2026-01-05"}
        assert client.post(f"/api/v1/cases/{case}/charges", json=charge, headers=headers).status_code == 201
    page = client.get(f"/operations/{world.own_operation}/release")
    assert page.status_code == 200
    assert " ".join(OWN_PERSON) in page.text
    assert "Protected" not in page.text
    assert "Youth Criminal Justice Act" in page.text
    api = client.get(f"/api/v1/operations/{world.own_operation}/release").json()
    assert [a["name"] for a in api["named"]] == [" ".join(OWN_PERSON)]
    assert api["withheld"] == {"youth": 1}
    assert OTHER_PERSON[1] not in page.text + str(api)


def test_a_flagged_accused_is_withheld_until_cleared_on_the_release_page(
    client: TestClient, world: World, clock: Clock
) -> None:
    headers = _as(client, world, clock, Role.COORDINATOR)
    case, accused = world.own_case, world.own_person
    victim = client.post(
        f"/api/v1/cases/{case}/persons",
        json={"given_names": "Kin", "surname": OWN_PERSON[1], "role": "victim"},
        headers=headers,
    ).json()
    charge = {"person_id": accused, "offence": "cp-distributing", "offence_from": "2026-01-05"}
    assert client.post(f"/api/v1/cases/{case}/charges", json=charge, headers=headers).status_code == 201
    release = f"/api/v1/operations/{world.own_operation}/release"
    api = client.get(release).json()
    assert api["named"] == []
    assert api["withheld"] == {"under_review": 1}
    assert OWN_PERSON[0] not in api["public_text"]
    assert [(f["accused_person_id"], f["cleared"]) for f in api["flags"]] == [(accused, None)]
    page = client.get(f"/operations/{world.own_operation}/release")
    public = page.text.split('id="public-text"')[1]
    assert OWN_PERSON[0] not in public
    assert "pending review" in public
    assert 'action="/operations/' in page.text  # the coordinator's form beside the flag

    empty = {"person_id": str(accused), "reason": " ", "csrf_token": csrf(client)}
    refused = client.post(f"/operations/{world.own_operation}/release/flags", data=empty)
    assert refused.status_code == 400
    assert "say why" in refused.text
    form = {
        "person_id": str(accused),
        "victim_person_id": str(victim["id"]),
        "reason": "surname shared by chance: no family tie",
        "csrf_token": csrf(client),
    }
    done = client.post(f"/operations/{world.own_operation}/release/flags", data=form)
    assert done.status_code == 303
    api = client.get(release).json()
    assert [a["name"] for a in api["named"]] == [" ".join(OWN_PERSON)]
    assert api["flags"][0]["cleared"]["reason"] == "surname shared by chance: no family tie"
    again = client.post(
        f"/api/v1/operations/{world.own_operation}/release/flags",
        json={"person_id": accused, "reason": "again"},
        headers=headers,
    )
    assert again.status_code == 422
    assert "no flag" in again.json()["error"]

    client.cookies.clear()
    clock.advance(seconds=30)
    analyst = _as(client, world, clock, Role.ANALYST)  # previews the release, does not publish it
    assert "Clear flag" not in client.get(f"/operations/{world.own_operation}/release").text
    denied = client.post(
        f"/api/v1/operations/{world.own_operation}/release/flags",
        json={"person_id": accused, "reason": "x"},
        headers=analyst,
    )
    assert denied.status_code == 403
