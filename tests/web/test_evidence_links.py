"""Asking another agency to link its evidence item, and answering, through the pages and the API (C19)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.web.conftest import Clock, World, csrf, log_in
from vigilant.cases.evidence_links import request_link
from vigilant.cases.models import Distribution
from vigilant.cases.process import DeviceSeized, record_seizure
from vigilant.cases.service import open_case, update_case
from vigilant.evidence.models import EvidenceItemRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.access import list_evidence_for

SEIZED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _coordinator(agency: int) -> Actor:
    return Actor.cli(f"coord@{agency}", agency_id=agency, roles={"coordinator"})


def _shared_item(db: Database, agency: int, number: str) -> tuple[int, int]:
    """A case of ``agency`` shared with every agency, and an evidence item numbered in it: (case, item)."""
    case = open_case(
        db, _coordinator(agency), number=number, title="shared", distribution=Distribution.ALL_AGENCIES
    ).id
    with db.session() as s:
        item = EvidenceItemRow(
            label=f"{number} laptop", case_number=number, agency_id=agency, source_type="directory",
            path=f"/evidence/{number}", size=1, hashes={}, added_at=SEIZED, added_by="lab",
        )  # fmt: skip
        s.add(item)
        s.flush()
        return case, item.id


def _device(db: Database, agency: int, case: int) -> int:
    seizure = record_seizure(
        db, _coordinator(agency), case, seized_at=SEIZED, where="a house", by="Cst. Example",
        devices=[DeviceSeized("laptop")],
    )  # fmt: skip
    return seizure.devices[0].id


def test_the_owner_answers_on_its_page_and_restricting_its_case_ends_the_requesters_access(
    client: TestClient, world: World, clock: Clock, db: Database
) -> None:
    owner_case, item = _shared_item(db, world.own_agency, "OPS-SHARED")
    device = _device(db, world.other_agency, world.other_case)
    asked = request_link(
        db, _coordinator(world.other_agency), world.other_case, device, item, reason="seized together"
    )
    requester = Actor(1, "hrp", frozenset({Role.INVESTIGATOR}), world.other_agency)
    assert item in {e.id for e in list_evidence_for(db, requester).items}

    assert log_in(client, world.users[Role.ANALYST], clock) == 303  # reads, does not decide
    assert "seized together" in client.get("/evidence-links").text
    assert "Grant" not in client.get("/evidence-links").text
    form = {"decision": "grant", "reason": "fine", "csrf_token": csrf(client)}
    assert client.post(f"/evidence-links/{asked.id}/decision", data=form).status_code == 403

    client.cookies.clear()
    clock.advance(seconds=30)
    assert log_in(client, world.users[Role.COORDINATOR], clock) == 303
    page = client.get("/evidence-links").text
    assert f'action="/evidence-links/{asked.id}/decision"' in page
    empty = client.post(
        f"/evidence-links/{asked.id}/decision",
        data={"decision": "grant", "reason": "", "csrf_token": csrf(client)},
    )
    assert empty.status_code == 400
    assert "say why" in empty.text
    form = {"decision": "grant", "reason": "joint warrant", "csrf_token": csrf(client)}
    assert client.post(f"/evidence-links/{asked.id}/decision", data=form).status_code == 303
    [listed] = client.get("/api/v1/evidence-links").json()
    assert (listed["status"], listed["incoming"], listed["decision_reason"]) == (
        "granted",
        True,
        "joint warrant",
    )

    update_case(db, _coordinator(world.own_agency), owner_case, distribution=Distribution.AGENCY_ONLY)
    assert item not in {e.id for e in list_evidence_for(db, requester).items}  # at once, link or no link
    revoked = client.post(
        f"/api/v1/evidence-links/{asked.id}/decision",
        json={"decision": "revoke", "reason": "case restricted"},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"


def test_the_requester_asks_on_the_case_page(
    client: TestClient, world: World, clock: Clock, db: Database
) -> None:
    _, item = _shared_item(db, world.other_agency, "HRP-SHARED")
    device = _device(db, world.own_agency, world.own_case)
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    page = client.get(f"/cases/{world.own_case}").text
    assert 'id="request-evidence-link"' in page
    base = {"device_id": str(device), "evidence_item_id": str(item), "csrf_token": csrf(client)}
    # Linking it directly is refused with the way to ask.
    direct = client.post(
        f"/cases/{world.own_case}/seizures",
        data={"seized_at": "2026-03-02T08:30", "where": "a house", "by": "Cst. Example",
              "description": "laptop", "evidence_item_id": str(item), "csrf_token": csrf(client)},
    )  # fmt: skip
    assert direct.status_code == 400
    assert "needs its consent" in direct.text
    no_reason = client.post(f"/cases/{world.own_case}/evidence-links", data={**base, "reason": " "})
    assert no_reason.status_code == 400
    assert "say why" in no_reason.text
    sent = client.post(f"/cases/{world.own_case}/evidence-links", data={**base, "reason": "same laptop"})
    assert sent.status_code == 303, sent.text
    [mine] = client.get("/api/v1/evidence-links").json()
    assert (mine["status"], mine["incoming"], mine["owner_agency"]) == ("pending", False, "HRP")
    # The owner's decision page is not the requester's to use.
    decide = {"decision": "grant", "reason": "mine now", "csrf_token": csrf(client)}
    assert client.post(f"/evidence-links/{mine['id']}/decision", data=decide).status_code == 404
