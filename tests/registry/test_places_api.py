"""The registry places' API end to end: a registry officer and an investigator of the same agency, through
the real app (login, CSRF), on both engines."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from tests.registry.places_data import registrant
from tests.web.conftest import Clock, World, build_world, csrf, log_in, make_app
from vigilant.cases.links import link_identifier
from vigilant.registry.models import AddressKind, RegistrantIdentifierRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture
def setup(db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, World, Clock]]:
    from fastapi.testclient import TestClient  # noqa: PLC0415 - after tests.web.conftest's warning filter

    clock = Clock()
    world = build_world(db)
    with TestClient(make_app(db, tmp_path, clock), follow_redirects=False) as client:
        yield client, world, clock


def test_officer_and_investigator(setup: tuple[TestClient, World, Clock], db: Database) -> None:
    client, world, clock = setup
    rid = registrant(db, world.own_agency, "API-1", surname="Moss", given_names="Lee", born=date(1970, 3, 3),
                     addresses=((AddressKind.MAIN, 44.6, -79.42),))  # fmt: skip
    with db.session() as s:
        s.add(RegistrantIdentifierRow(registrant_id=rid, kind="handle", value="@mossy", normalised="mossy"))
    link_identifier(
        db,
        Actor.cli("t", agency_id=world.own_agency, roles={"investigator"}),
        world.own_case,
        "username",
        "MOSSY",
    )
    assert log_in(client, world.users[Role.REGISTRY_OFFICER], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}
    near = {"radius_m": 2000, "purpose": "incident 26-77", "latitude": 44.6, "longitude": -79.4}
    found = client.post("/api/v1/registry/near", json=near, headers=headers)
    assert found.status_code == 200
    [hit] = found.json()
    assert hit["registry_number"] == "API-1"
    assert hit["distance_m"] == pytest.approx(1592, abs=5)
    assert (
        client.post("/api/v1/registry/near", json={**near, "purpose": ""}, headers=headers).status_code == 422
    )

    vsc = client.post(
        "/api/v1/registry/vsc",
        json={"surname": "MOSS", "given_names": "lee", "date_of_birth": "1970-03-03", "sex": "M",
              "organisation": "Lakeside Daycare", "consent": "signed 2026-12-01"},
        headers=headers,
    )  # fmt: skip
    assert vsc.status_code == 201
    assert vsc.json()["answer"] == "possible match — fingerprint confirmation required"
    assert "API-1" not in vsc.text
    reference = vsc.json()["reference"]
    letter = client.get(f"/api/v1/registry/vsc/{reference}/letter")
    assert letter.headers["content-type"] == "application/pdf"
    assert reference in PdfReader(io.BytesIO(letter.content)).pages[0].extract_text()
    confirm = {"outcome": "confirmed", "fingerprints_compared": True}
    done = client.post(f"/api/v1/registry/vsc/{reference}/confirmation", json=confirm, headers=headers)
    assert done.json()["confirmation"] == "confirmed"
    client.post("/logout", data={"csrf_token": headers["X-CSRF-Token"]})

    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}
    run = client.post(
        "/api/v1/registry/crosschecks",
        json={"purpose": "case OP-OWN-1", "case_id": world.own_case},
        headers=headers,
    )
    assert run.status_code == 201
    assert [(m["kind"], m["registry_number"]) for m in run.json()["new_matches"]] == [("identifier", "API-1")]
    listed = client.get(f"/api/v1/cases/{world.own_case}/registry-matches").json()
    assert [m["basis"]["identifier"] for m in listed] == ["mossy"]
    assert client.get(f"/api/v1/cases/{world.other_case}/registry-matches").status_code == 404
    assert client.post("/api/v1/registry/vsc", json={}, headers=headers).status_code in (403, 422)
