"""The forms a busy investigator still needed: seizures, arrests and publication bans on the case page;
assigning and advancing a lead (page and API); the dashboard's release links; video-frame hits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.web.conftest import OTHER_PERSON, OWN_PERSON, Clock, World, csrf, log_in
from tests.web.test_work_pages import _hit_record
from tests.web.world_work import OTHER_LEAD_KEY, evidence
from vigilant.leads.models import LeadRow
from vigilant.security.audit import AuditLog
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.models import TriageRunRow
from vigilant.triage.records import FileRecord, Hit, to_table

ROOT = Actor.cli("root-on-server")


def _as(client: TestClient, world: World, clock: Clock, role: Role) -> str:
    assert log_in(client, world.users[role], clock) == 303
    return csrf(client)


# --- seizures, arrests, bans ----------------------------------------------------------------------------
def test_a_seizure_is_recorded_with_its_device_and_evidence_item(
    client: TestClient, world: World, clock: Clock, db: Database
) -> None:
    token = _as(client, world, clock, Role.INVESTIGATOR)
    with db.session() as s:
        loose = evidence("Seized phone image", None)
        s.add(loose)
        s.flush()
        loose_id = loose.id
    form = {
        "seized_at": "2026-03-02T08:30",
        "where": "12 Example St, Orillia",
        "by": "Cst. Example",
        "legal_process_id": str(world.own_process),
        "description": "black Android phone",
        "make": "Example",
        "serial": "R58 M123",
        "exhibit": "E-1",
        "evidence_item_id": str(loose_id),
        "csrf_token": token,
    }
    sent = client.post(f"/cases/{world.own_case}/seizures", data=form)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/cases/{world.own_case}#seizures"
    page = client.get(f"/cases/{world.own_case}").text
    assert "black Android phone" in page
    assert "exhibit E-1" in page
    assert f"evidence item {loose_id}" in page
    # The evidence item now shows on the evidence page through the case.
    assert "Seized phone image" in client.get("/evidence").text


def test_a_seizure_form_comes_back_with_the_reason(client: TestClient, world: World, clock: Clock) -> None:
    token = _as(client, world, clock, Role.INVESTIGATOR)
    base = {"seized_at": "2026-03-02T08:30", "where": "a house", "by": "Cst. Example", "csrf_token": token}
    missing = client.post(f"/cases/{world.own_case}/seizures", data={**base, "description": " "})
    assert missing.status_code == 400
    assert "describe the device seized" in missing.text
    assert 'value="a house"' in missing.text
    # Another agency's evidence item cannot be pulled into one's own case: the same words as a missing one.
    theirs = client.post(
        f"/cases/{world.own_case}/seizures",
        data={**base, "description": "laptop", "evidence_item_id": str(world.other_evidence)},
    )
    assert theirs.status_code == 400
    assert f"no evidence item {world.other_evidence} that you may link" in theirs.text
    assert OTHER_PERSON[1] not in theirs.text
    bad_time = client.post(
        f"/cases/{world.own_case}/seizures", data={**base, "description": "laptop", "seized_at": "yesterday"}
    )
    assert bad_time.status_code == 400
    assert "is not a date and time" in bad_time.text


def test_arrests_and_bans_are_recorded_and_refused_with_reasons(
    client: TestClient, world: World, clock: Clock
) -> None:
    token = _as(client, world, clock, Role.INVESTIGATOR)
    case = world.own_case
    arrest = {"person_id": str(world.own_person), "arrested_at": "2026-03-02T09:15", "by": "Cst. Example"}
    assert client.post(f"/cases/{case}/arrests", data={**arrest, "csrf_token": token}).status_code == 303
    no_person = client.post(f"/cases/{case}/arrests", data={**arrest, "person_id": "", "csrf_token": token})
    assert no_person.status_code == 400
    assert "choose a person named in this case" in no_person.text
    no_officer = client.post(f"/cases/{case}/arrests", data={**arrest, "by": "", "csrf_token": token})
    assert no_officer.status_code == 400
    assert "say who made the arrest" in no_officer.text

    ban = {"person_id": str(world.own_person), "authority": "486.4(1)", "court": "OCJ", "court_file": "26-1"}
    assert client.post(f"/cases/{case}/bans", data={**ban, "csrf_token": token}).status_code == 303
    unnamed = client.post(f"/cases/{case}/bans", data={**ban, "authority": " ", "csrf_token": token})
    assert unnamed.status_code == 400
    assert "name the provision" in unnamed.text
    too_long = client.post(f"/cases/{case}/bans", data={**ban, "court_file": "x" * 150, "csrf_token": token})
    assert too_long.status_code == 400
    assert "the court file is too long" in too_long.text

    page = client.get(f"/cases/{case}").text
    assert "Cst. Example" in page  # the arrest
    assert "486.4(1)" in page
    assert "26-1" in page
    assert f"{OWN_PERSON[0]} {OWN_PERSON[1]}" in page


def test_another_agencys_case_answers_not_found(client: TestClient, world: World, clock: Clock) -> None:
    token = _as(client, world, clock, Role.INVESTIGATOR)
    case = world.other_case
    sent = [
        client.post(
            f"/cases/{case}/seizures",
            data={
                "seized_at": "2026-03-02T08:30",
                "where": "x",
                "by": "y",
                "description": "z",
                "csrf_token": token,
            },
        ),
        client.post(
            f"/cases/{case}/arrests",
            data={
                "person_id": str(world.other_person),
                "arrested_at": "2026-03-02T09:15",
                "by": "y",
                "csrf_token": token,
            },
        ),
        client.post(
            f"/cases/{case}/bans",
            data={"person_id": str(world.other_person), "authority": "486.4(1)", "csrf_token": token},
        ),
        # Their person, through one's own case: not found either.
        client.post(
            f"/cases/{world.own_case}/bans",
            data={"person_id": str(world.other_person), "authority": "486.4(1)", "csrf_token": token},
        ),
    ]
    assert [r.status_code for r in sent] == [404, 404, 404, 404]
    assert not any(OTHER_PERSON[1] in r.text for r in sent)


# --- leads: assign and advance -----------------------------------------------------------------------------
def _statuses(db: Database, lead_id: int) -> str:
    with db.session() as s:
        row = s.get(LeadRow, lead_id)
        assert row is not None
        return row.status


def test_a_lead_goes_through_its_legal_life_on_its_page(
    client: TestClient, world: World, clock: Clock, db: Database
) -> None:
    token = _as(client, world, clock, Role.COORDINATOR)
    lead = world.own_lead
    page = client.get(f"/leads/{lead}").text
    assert 'id="assign-lead"' in page
    assert 'value="preservation_demand"' in page
    # Reassigning to the same agency is recorded; the lead stays assigned.
    assigned = client.post(
        f"/leads/{lead}/assign", data={"agency_id": str(world.own_agency), "csrf_token": token}
    )
    assert (assigned.status_code, assigned.headers["location"]) == (303, f"/leads/{lead}")
    # Asking for the subscriber first is refused with the reason, on the page.
    early = client.post(f"/leads/{lead}/advance", data={"step": "subscriber_identified", "csrf_token": token})
    assert early.status_code == 409
    assert "no production order is recorded" in early.text
    assert "R v Spencer" in early.text
    step = {"csrf_token": token}
    assert (
        client.post(f"/leads/{lead}/advance", data={**step, "step": "preservation_demand"}).status_code == 303
    )
    # A production order without its number: the form comes back saying what is missing.
    order = {"court": "Ontario Court of Justice", "judge": "J. Example", "order_date": "2026-03-01"}
    incomplete = client.post(f"/leads/{lead}/advance", data={**step, **order, "step": "production_order"})
    assert incomplete.status_code == 400
    assert "missing number" in incomplete.text
    assert 'value="J. Example"' in incomplete.text
    done = client.post(
        f"/leads/{lead}/advance",
        data={**step, **order, "order_number": "PO-26-17", "step": "production_order"},
    )
    assert done.status_code == 303, done.text
    skip = client.post(f"/leads/{lead}/advance", data={**step, "step": "executed"})
    assert skip.status_code == 409
    assert "the next step is subscriber_identified" in skip.text
    assert (
        client.post(f"/leads/{lead}/advance", data={**step, "step": "subscriber_identified"}).status_code
        == 303
    )
    assert _statuses(db, lead) == "subscriber_identified"
    history = client.get(f"/leads/{lead}").text
    assert "PO-26-17" in history
    assert "Ontario Court of Justice" in history
    unknown = client.post(f"/leads/{lead}/advance", data={**step, "step": "arrested"})
    assert unknown.status_code == 400
    assert "unknown status" in unknown.text
    events = AuditLog(db).search(ROOT, now=datetime.now(UTC), action="record.changed")
    assert sum(e.object_type == "lead" and e.object_id == str(lead) for e in events) == 4


def test_investigators_advance_but_do_not_assign(client: TestClient, world: World, clock: Clock) -> None:
    token = _as(client, world, clock, Role.INVESTIGATOR)
    lead = world.own_lead
    refused = client.post(
        f"/leads/{lead}/assign", data={"agency_id": str(world.own_agency), "csrf_token": token}
    )
    assert refused.status_code == 403
    moved = client.post(f"/leads/{lead}/advance", data={"step": "preservation_demand", "csrf_token": token})
    assert moved.status_code == 303


def test_another_agencys_lead_answers_not_found(client: TestClient, world: World, clock: Clock) -> None:
    token = _as(client, world, clock, Role.COORDINATOR)
    headers = {"X-CSRF-Token": token}
    lead = world.other_lead
    answers = [
        client.post(f"/leads/{lead}/assign", data={"agency_id": str(world.own_agency), "csrf_token": token}),
        client.post(f"/leads/{lead}/advance", data={"step": "closed", "csrf_token": token}),
        client.post(f"/api/v1/leads/{lead}/assign", json={"agency_id": world.own_agency}, headers=headers),
        client.post(f"/api/v1/leads/{lead}/advance", json={"step": "closed"}, headers=headers),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert not any(OTHER_LEAD_KEY in a.text for a in answers)


def test_the_api_assigns_and_advances(client: TestClient, world: World, clock: Clock) -> None:
    headers = {"X-CSRF-Token": _as(client, world, clock, Role.COORDINATOR)}
    lead = world.own_lead
    base = f"/api/v1/leads/{lead}"
    unknown = client.post(f"{base}/assign", json={"agency_id": 99_999}, headers=headers)
    assert unknown.status_code == 422
    assert "no agency 99999" in unknown.json()["error"]
    unknown_name = client.post(f"{base}/assign", json={"agency": "Orillia Police"}, headers=headers)
    assert unknown_name.status_code == 422  # a full name is not a short name
    assert "no agency Orillia Police" in unknown_name.json()["error"]
    assert "OPS (" in unknown_name.json()["hint"]  # the refusal names the agencies there are
    both = client.post(
        f"{base}/assign", json={"agency": "OPS", "agency_id": world.own_agency}, headers=headers
    )
    assert both.status_code == 422
    by_short_name = client.post(f"{base}/assign", json={"agency": "ops"}, headers=headers)
    assert by_short_name.status_code == 200, by_short_name.text
    assert (by_short_name.json()["agency"], by_short_name.json()["agency_id"]) == (
        "Orillia Police",
        world.own_agency,
    )
    assert by_short_name.json()["events"][-1]["detail"]["agency_id"] == world.own_agency
    spencer = client.post(f"{base}/advance", json={"step": "subscriber_identified"}, headers=headers)
    assert spencer.status_code == 409
    assert "R v Spencer" in spencer.json()["error"]
    assert (
        client.post(f"{base}/advance", json={"step": "preservation_demand"}, headers=headers).status_code
        == 200
    )
    order = {"step": "production_order", "court": "OCJ", "judge": "J. Example", "order_date": "2026-03-01"}
    missing = client.post(f"{base}/advance", json=order, headers=headers)
    assert missing.status_code == 422
    assert "missing number" in missing.json()["error"]
    made = client.post(f"{base}/advance", json={**order, "order_number": "PO-1"}, headers=headers)
    assert made.status_code == 200, made.text
    assert made.json()["status"] == "production_order"
    assert made.json()["events"][-1]["detail"]["authority"]["number"] == "PO-1"
    # Given to the other agency, the lead leaves this agency's view.
    given = client.post(f"{base}/assign", json={"agency_id": world.other_agency}, headers=headers)
    assert given.status_code == 409  # past "assigned": the lifecycle does not reassign it
    closed = client.post(f"{base}/advance", json={"step": "closed"}, headers=headers)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"


def test_giving_a_lead_away_goes_back_to_the_queue(client: TestClient, world: World, clock: Clock) -> None:
    token = _as(client, world, clock, Role.COORDINATOR)
    lead = world.own_lead
    # An agency the directory does not hold is refused on the lead's page, with the reason.
    refused = client.post(f"/leads/{lead}/assign", data={"agency_id": "NOPE", "csrf_token": token})
    assert refused.status_code == 400
    assert "no agency NOPE" in refused.text
    # Routed to OPS by short name, the lead stays visible after reassignment: to the lead's page.
    sent = client.post(
        f"/leads/{lead}/assign", data={"agency_id": str(world.other_agency), "csrf_token": token}
    )
    assert (sent.status_code, sent.headers["location"]) == (303, f"/leads/{lead}")
    assert "Halifax Police" in client.get(f"/leads/{lead}").text
    # Still routed here, but worked by Halifax now: only that agency moves it.
    moved = client.post(f"/leads/{lead}/advance", data={"step": "closed", "csrf_token": token})
    assert moved.status_code == 409
    assert "the lead is worked by Halifax Police" in moved.text


# --- dashboard and triage ---------------------------------------------------------------------------------
def test_the_dashboard_links_each_release_preview(client: TestClient, world: World, clock: Clock) -> None:
    _as(client, world, clock, Role.COORDINATOR)
    page = client.get("/").text
    assert f'href="/operations/{world.own_operation}/release"' in page
    assert f'href="/operations/{world.other_operation}/release"' not in page


def test_the_dashboard_leaves_the_link_out_for_a_role_without_preview(
    client: TestClient, world: World, clock: Clock
) -> None:
    _as(client, world, clock, Role.INVESTIGATOR)
    assert "/release" not in client.get("/").text


def test_a_video_hit_shows_its_frame(
    client: TestClient, world: World, clock: Clock, db: Database, tmp_path: Path
) -> None:
    hit = Hit(1, "Test set", "1", "known-bad", "pdq", 12, 7, "A", "Category A", "csam-a", 5, None, 42, 3.5)
    record = FileRecord(**{**_hit_record(world.own_evidence).__dict__, "hits": [hit]})
    results = tmp_path / "run"
    results.mkdir()
    pq.write_table(to_table([record]), results / "batch-000000.parquet")
    with db.session() as s:
        s.execute(
            update(TriageRunRow).where(TriageRunRow.id == world.own_run).values(results_dir=str(results))
        )
    _as(client, world, clock, Role.EXAMINER)
    page = client.get(f"/triage/runs/{world.own_run}").text
    assert "frame 42 at 3.5 s" in page
    assert "d=12" in page
