"""The registry's API and pages with real registrants, on both engines: officer, verifier, investigator."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tests.registry.helpers import registrant, write_jsonl
from tests.web.conftest import Clock, World, client, clock, csrf, log_in, world
from vigilant.registry.importer import import_registrants
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = ["client", "clock", "world"]  # the fixtures this module borrows
AS_OF = "2021-04-01"


def _registrants(db: Database, world: World, tmp_path: Path) -> None:
    initial: list[dict[str, Any]] = [{"kind": "initial", "reported_on": "2020-03-10", "officer": "Cst. A"}]
    people = [
        registrant("ON-B", office="OPS", reports=initial),
        registrant("ON-C", office="OPS", surname="Cole"),
    ]
    keeper = Actor(None, "loader", frozenset({Role.REGISTRY_OFFICER}), world.own_agency)
    assert import_registrants(db, keeper, write_jsonl(tmp_path / "r.jsonl", *people)).created == 2


def test_an_officer_reads_records_sweeps_and_works_the_queue(
    db: Database, world: World, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    _registrants(db, world, tmp_path)
    assert log_in(client, world.users[Role.REGISTRY_OFFICER], clock) == 303
    shown = client.get(f"/api/v1/registry/registrants/ON-B?as_of={AS_OF}").json()
    assert shown["summary"]["compliance"]["status"] == "non_compliant"
    assert shown["summary"]["compliance"]["rule"] == "federal-2011/annual-report"
    page = client.get(f"/registry/registrants/ON-B?as_of={AS_OF}")
    assert page.status_code == 200
    assert "Non compliant" in page.text
    assert "2021-03-10" in page.text  # the missed anniversary, as a readable date
    dashboard = client.get(f"/registry?as_of={AS_OF}")
    assert dashboard.status_code == 200
    assert "Orillia" in dashboard.text
    assert f"Statuses computed as of {AS_OF}" in dashboard.text  # no sweep of that day yet
    assert client.get("/registry?number=ON-B").headers["location"] == "/registry/registrants/ON-B"

    swept = client.post(
        "/api/v1/registry/sweeps", json={"as_of": AS_OF}, headers={"X-CSRF-Token": csrf(client)}
    )
    assert swept.json()["non_compliant"] == 2
    queue = client.get("/api/v1/registry/alerts").json()
    assert sorted(a["registry_number"] for a in queue) == ["ON-B", "ON-C"]
    assert {(a["registrant_status"], a["status_as_of"]) for a in queue} == {("non_compliant", AS_OF)}
    # Without a day asked, the dashboard is the sweep's, and says so.
    assert f"Statuses as of the sweep of {AS_OF}" in client.get("/registry").text
    assert "Registrant status as of the sweep of" in client.get("/registry/alerts").text
    due = client.get("/api/v1/registry/due").json()
    assert sorted((d["registry_number"], d["compliance"]["as_of"]) for d in due) == [
        ("ON-B", AS_OF),
        ("ON-C", AS_OF),
    ]
    alert = next(a["id"] for a in queue if a["registry_number"] == "ON-B")
    token = csrf(client)
    assigned = client.post(
        f"/registry/alerts/{alert}/assign", data={"to": "Cst. Example", "csrf_token": token}
    )
    assert assigned.status_code == 303
    closed = client.post(
        f"/registry/alerts/{alert}/close",
        data={"outcome": "warrant_requested", "warrant_reference": "W-77", "csrf_token": token},
    )
    assert closed.status_code == 303
    assert "W-77" in client.get("/registry/alerts").text

    reported = client.post(
        "/registry/registrants/ON-B/reports",
        data={"kind": "annual", "reported_on": "2021-04-01", "csrf_token": token},
    )
    assert reported.status_code == 303
    assert (
        client.get(f"/api/v1/registry/registrants/ON-B?as_of={AS_OF}").json()["summary"]["compliance"][
            "status"
        ]
        == "compliant"
    )


def test_a_verifier_sees_the_sheet_only_and_records_a_visit(
    db: Database, world: World, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    _registrants(db, world, tmp_path)
    assert log_in(client, world.users[Role.VERIFIER], clock) == 303
    assert client.get("/registry/registrants/ON-B").status_code == 403
    sheet = client.get("/registry/verify?number=ON-B")
    assert sheet.status_code == 200
    assert "12 Example St" in sheet.text
    assert "163.1" not in sheet.text  # no offences, no identifiers: what a visit needs only
    assert "Shadow_Fox" not in sheet.text
    address = (
        client.get("/registry/verify?number=ON-B").text.split('name="address_id" value="')[1].split('"')[0]
    )
    posted = client.post(
        "/registry/registrants/ON-B/verifications",
        data={"address_id": address, "verified_on": "2026-03-01", "outcome": "confirmed",
              "csrf_token": csrf(client)},
    )  # fmt: skip
    assert posted.status_code == 303
    assert posted.headers["location"] == "/registry/verify?number=ON-B&done=1"


def test_an_investigator_looks_up_with_a_purpose_only(
    db: Database, world: World, client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    _registrants(db, world, tmp_path)
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    refused = client.get("/api/v1/registry/registrants/ON-B")
    assert refused.status_code == 403
    assert "purpose" in refused.json()["error"]
    found = client.post(
        "/api/v1/registry/lookups",
        json={"registry_number": "ON-B", "purpose": "case OP-OWN-1: suspect identification"},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert found.status_code == 200
    assert found.json()["summary"]["registry_number"] == "ON-B"
    page = client.post(
        "/registry/lookup",
        data={"number": "ON-B", "purpose": "case OP-OWN-1: page look-up", "csrf_token": csrf(client)},
    )
    assert page.status_code == 200
    assert "Looked up for: case OP-OWN-1: page look-up" in page.text
    assert "Record an in-person report" not in page.text  # an investigator reads, and changes nothing
    no_purpose = client.post(
        "/registry/lookup", data={"number": "ON-B", "purpose": "", "csrf_token": csrf(client)}
    )
    assert no_purpose.status_code == 403
    with db.session() as s:
        details = [
            str(e.detail)
            for e in s.scalars(select(AuditEventRow).where(AuditEventRow.object_type == "registrant"))
        ]
    assert any("purpose: case OP-OWN-1" in d for d in details)
