"""Leads, evidence and triage pages and API; htmx fragments; the dashboard's plots; the npm-built vendor file.

The matrix (test_matrix.py) checks who may call each route; these tests check what comes back: the queue's
order and filters, a score explained, scoping by agency id and through cases, hits with their addresses.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.web.conftest import ROOT, Clock, World, log_in
from tests.web.world_work import OTHER_LEAD_IP, OTHER_LEAD_KEY, evidence
from vigilant.cases.models import AgencyRow
from vigilant.cases.process import DeviceSeized, record_seizure
from vigilant.errors import BadInputError, NotFoundError
from vigilant.evidence.models import EvidenceItemRow
from vigilant.leads.access import LeadSort, get_lead_for, lead_agencies_for, list_leads_for
from vigilant.leads.lifecycle import Status
from vigilant.security.audit import AuditLog
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage import access as triage_access
from vigilant.triage.access import get_run_for, list_evidence_for, list_runs_for
from vigilant.triage.models import TriageRunRow
from vigilant.triage.records import FileRecord, Hit, to_table
from vigilant.web.api_triage import HitOut
from vigilant.web.app import STATIC_DIR

VENDOR = STATIC_DIR / "vendor" / "htmx.min.js"


def own(world: World, role: Role = Role.INVESTIGATOR) -> Actor:
    return world.users[role].actor()


def other(world: World, role: Role = Role.INVESTIGATOR) -> Actor:
    return Actor(None, "halifax-user", frozenset({role}), world.other_agency)


# --- leads ------------------------------------------------------------------------------------------------
def test_leads_are_scoped_by_agency_id(db: Database, world: World) -> None:
    mine = list_leads_for(db, own(world))
    assert [lead.id for lead in mine.leads] == [world.own_lead]  # assigned and routed to its id
    theirs = list_leads_for(db, other(world))
    assert [lead.key for lead in theirs.leads] == [OTHER_LEAD_KEY]  # routed to "Halifax Police"
    with pytest.raises(NotFoundError):
        get_lead_for(db, own(world), world.other_lead)


def test_an_agency_named_like_another_sees_none_of_its_leads(db: Database, world: World) -> None:
    # The own lead records "Orillia Police" as the name it was assigned under; an agency whose name differs
    # only by case (the old name comparison ignored case) sees nothing of it.
    with db.session() as s:
        lookalike = AgencyRow(name="ORILLIA POLICE", short_name="ORI", province="ON", municipalities=[],
                              is_coordinator=False, created_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
        s.add(lookalike)
        s.flush()
        lookalike_id = lookalike.id
    stranger = Actor(None, "lookalike-user", frozenset({Role.INVESTIGATOR}), lookalike_id)
    assert list_leads_for(db, stranger).leads == []
    assert lead_agencies_for(db, stranger) == []
    with pytest.raises(NotFoundError):
        get_lead_for(db, stranger, world.own_lead)
    # Renamed, the own agency keeps its leads: the ids decide, not the names on the lead.
    with db.session() as s:
        s.execute(
            update(AgencyRow)
            .where(AgencyRow.id == world.own_agency)
            .values(name="Orillia PS", short_name="OPSV")
        )
    assert [lead.id for lead in list_leads_for(db, own(world)).leads] == [world.own_lead]
    assert lead_agencies_for(db, own(world)) == ["Orillia PS"]


def test_a_coordinating_agency_sees_every_lead(db: Database, world: World) -> None:
    with db.session() as s:
        s.execute(update(AgencyRow).where(AgencyRow.id == world.own_agency).values(is_coordinator=True))
    found = list_leads_for(db, own(world))
    assert [lead.id for lead in found.leads] == [world.other_lead, world.own_lead]  # highest score first
    low_first = list_leads_for(db, own(world), sort=LeadSort.SCORE_ASC)
    assert [lead.id for lead in low_first.leads] == [world.own_lead, world.other_lead]
    assigned = list_leads_for(db, own(world), status=Status.ASSIGNED)
    assert [lead.id for lead in assigned.leads] == [world.own_lead]
    for name in ("halifax police", "HRP", str(world.other_agency)):  # name, short name or id
        halifax = list_leads_for(db, own(world), agency=name)
        assert [lead.id for lead in halifax.leads] == [world.other_lead]
    with pytest.raises(BadInputError, match="no agency Nowhere"):
        list_leads_for(db, own(world), agency="Nowhere")
    first = list_leads_for(db, own(world), limit=1)
    assert first.more
    assert not list_leads_for(db, own(world), limit=1, offset=1).more


def test_lead_pages_explain_the_score(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    queue = client.get("/leads", params={"sort": "last_seen", "status": "assigned"})
    assert queue.status_code == 200
    assert "L-OWN-1" in queue.text
    assert OTHER_LEAD_KEY not in queue.text
    page = client.get(f"/leads/{world.own_lead}")
    assert page.status_code == 200
    assert "highest tier reached: confirmed" in page.text  # each factor's explanation
    assert "42.50" in page.text  # the total
    detail = client.get(f"/api/v1/leads/{world.own_lead}").json()
    assert sum(f["contribution"] for f in detail["factors"]) == pytest.approx(detail["score"])
    assert [a["ip"] for a in detail["addresses"]] == ["192.0.2.10"]
    assert client.get("/leads", params={"status": "bogus"}).status_code == 400
    assert client.get("/api/v1/leads", params={"status": "bogus"}).status_code == 422
    assert client.get(f"/api/v1/leads/{world.other_lead}").status_code == 404
    listed = client.get("/api/v1/leads").json()
    assert [lead["key"] for lead in listed["leads"]] == ["L-OWN-1"]
    assert OTHER_LEAD_IP not in client.get("/api/v1/leads").text


def test_reading_a_lead_is_audited(client: TestClient, db: Database, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    assert client.get(f"/api/v1/leads/{world.own_lead}").status_code == 200
    events = AuditLog(db).search(ROOT, now=datetime.now(UTC), action="record.read")
    assert any(e.object_type == "lead" and e.object_id == str(world.own_lead) for e in events)


# --- evidence and triage ----------------------------------------------------------------------------------
def test_evidence_is_scoped_through_cases(db: Database, world: World) -> None:
    assert [e.id for e in list_evidence_for(db, own(world)).items] == [world.own_evidence]
    assert [e.id for e in list_evidence_for(db, other(world)).items] == [world.other_evidence]
    # An item with no case number becomes visible once a seized device of a visible case points at it.
    with db.session() as s:
        loose = evidence("Seized phone", None)
        s.add(loose)
        s.flush()
        loose_id = loose.id
    assert loose_id not in {e.id for e in list_evidence_for(db, own(world)).items}
    coordinator = Actor.cli("c", agency_id=world.own_agency, roles={"coordinator"})
    record_seizure(
        db,
        coordinator,
        world.own_case,
        seized_at=datetime(2026, 2, 1, tzinfo=UTC),
        where="a house",
        by="DC Test",
        devices=[DeviceSeized("phone", evidence_item_id=loose_id)],
    )
    assert loose_id in {e.id for e in list_evidence_for(db, own(world)).items}
    assert loose_id not in {e.id for e in list_evidence_for(db, other(world)).items}
    runs = list_runs_for(db, own(world))
    assert [run.id for run, _ in runs.items] == [world.own_run]
    with pytest.raises(NotFoundError):
        get_run_for(db, own(world), world.other_run)


def _hit_record(evidence_id: int) -> FileRecord:
    hit = Hit(1, "Test set", "1", "known-bad", "sha1", None, 7, "A", "Category A", "csam-a", 5, None)
    return FileRecord(
        evidence_id=evidence_id,
        position=3,
        member=0,
        address="item 1 → partition 1 @ 1048576 → fat32 → /DCIM/img<1>.jpg",
        partition=1,
        partition_offset=1048576,
        filesystem="fat32",
        path="/DCIM/img<1>.jpg",
        inode=12,
        attribute=None,
        members=[],
        name="img<1>.jpg",
        extension="jpg",
        size=2048,
        allocated=False,
        known_bad=True,
        top_class="csam-a",
        hits=[hit],
    )


def test_run_page_shows_hits_with_addresses(
    client: TestClient, db: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    results = tmp_path / "run"
    results.mkdir()
    clean = FileRecord(
        **{**_hit_record(world.own_evidence).__dict__, "position": 4, "hits": [], "known_bad": False}
    )
    video_hit = Hit(1, "Test set", "1", "known-bad", "vpdq", None, 8, "A", "Category A", "csam-a", 5, None)
    video = FileRecord(
        **{
            **_hit_record(world.own_evidence).__dict__,
            "position": 5,
            "path": "/clip.mp4",
            "address": "item 1 → /clip.mp4",
            "hits": [replace(video_hit, query_match_percent=92.0, compared_match_percent=61.5)],
        }
    )
    pq.write_table(
        to_table([_hit_record(world.own_evidence), clean, video]), results / "batch-000000.parquet"
    )
    with db.session() as s:
        s.execute(
            update(TriageRunRow).where(TriageRunRow.id == world.own_run).values(results_dir=str(results))
        )
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    page = client.get(f"/triage/runs/{world.own_run}")
    assert page.status_code == 200
    assert "/DCIM/img&lt;1&gt;.jpg" in page.text  # the address, escaped
    assert "Category A" in page.text
    assert "csam-a" in page.text  # counts by category
    assert "92.0 % of the video found in the known video, 61.5 % of the known video found" in page.text
    body = client.get(f"/api/v1/triage/runs/{world.own_run}").json()
    assert [h["path"] for h in body["hits"]] == ["/DCIM/img<1>.jpg", "/clip.mp4"]
    assert body["hits"][1]["hits"][0]["query_match_percent"] == 92.0
    assert body["summary"]["by_class"] == {"csam-a": 2}
    assert body["results_available"]
    assert client.get("/evidence").status_code == 200
    listed = client.get("/api/v1/triage/runs", params={"evidence": world.own_evidence}).json()
    assert [r["id"] for r in listed["runs"]] == [world.own_run]


def test_run_without_results_on_this_server(db: Database, world: World) -> None:
    found = get_run_for(db, own(world), world.own_run)
    assert not found.results_available
    assert found.hits == []


def test_a_progress_read_does_not_read_the_runs_results(
    db: Database, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run page's progress block is asked for every two seconds while a run works: the run's row is
    # all it needs, never its Parquet batches.
    results = tmp_path / "run"
    results.mkdir()
    with db.session() as s:
        s.execute(
            update(TriageRunRow).where(TriageRunRow.id == world.own_run).values(results_dir=str(results))
        )

    def refuse(_results: Path) -> None:
        raise AssertionError("the results were read")

    monkeypatch.setattr(triage_access, "iter_records", refuse)
    found = get_run_for(db, own(world), world.own_run, hit_limit=None)
    assert found.results_available
    assert found.hits == []
    with pytest.raises(AssertionError, match="the results were read"):
        get_run_for(db, own(world), world.own_run, hit_limit=0)


# --- htmx, plots, vendor ----------------------------------------------------------------------------------
def test_htmx_gets_only_the_results_fragment(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.COORDINATOR], clock) == 303
    full = client.get("/cases", params={"q": "Maple"})
    assert full.text.lstrip().lower().startswith("<!doctype html>")
    assert 'id="case-results"' in full.text
    assert 'src="/static/vendor/htmx.min.js"' in full.text
    fragment = client.get("/cases", params={"q": "Maple"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="case-results">')
    assert "Maple Street" in fragment.text
    assert "<html" not in fragment.text
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client.get("/cases", headers=restore).text  # back button: the whole page
    leads = client.get("/leads", headers={"HX-Request": "true"})
    assert leads.text.lstrip().startswith('<div id="lead-results">')


def test_dashboard_plots_are_inline_svg_without_styles(
    client: TestClient, world: World, clock: Clock
) -> None:
    assert log_in(client, world.users[Role.COORDINATOR], clock) == 303
    page = client.get("/")
    assert page.status_code == 200
    assert page.text.count("<svg") == 3
    assert "Persons charged by age at first offence" in page.text
    assert "style=" not in page.text  # style-src 'self' would block it
    assert "<script>" not in page.text  # no inline scripts either


def test_the_app_runs_without_the_vendor_file(client: TestClient) -> None:
    # A checkout where npm never ran still serves every page; htmx is an enhancement.
    assert client.get("/login").status_code == 200


@pytest.mark.skipif(
    os.environ.get("CI") != "true", reason="CI runs `make test`, which builds the npm vendor files"
)
def test_vendor_htmx_was_built_by_make() -> None:
    assert VENDOR.is_file(), "run `make frontend` (npm ci) to build src/vigilant/web/static/vendor/"
    assert b"htmx" in VENDOR.read_bytes()[:4096]


def test_the_evidence_page_and_api_name_the_agency_of_an_items_case_number(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    assert "OP-OWN-1 (OPS)" not in client.get("/evidence").text
    assert client.get("/api/v1/evidence").json()["evidence"][0]["agency"] is None
    with db.session() as s:
        item = s.get(EvidenceItemRow, world.own_evidence)
        assert item is not None
        item.agency_id = world.own_agency
    assert "OP-OWN-1 (OPS)" in client.get("/evidence").text
    [listed] = client.get("/api/v1/evidence").json()["evidence"]
    assert (listed["case_number"], listed["agency"]) == ("OP-OWN-1", "OPS")


def test_the_audit_log_search_finds_evidence_reads(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    assert client.get("/api/v1/evidence").status_code == 200
    events = AuditLog(db).search(ROOT, now=datetime.now(UTC), action="record.read")
    assert any(e.object_type == "evidence" for e in events)


def test_the_api_names_the_video_frame_a_hit_came_from() -> None:
    hit = Hit(1, "Known", "1", "known-bad", "pdq", 12, 7, "1", "CAT 1", "csam-a", 3, None, 20, 2.0)
    out = HitOut.of(hit)
    assert (out.matched_on, out.distance, out.frame, out.frame_seconds) == ("pdq", 12, 20, 2.0)
    still = HitOut.of(Hit(1, "Known", "1", "known-bad", "md5", None, 7, None, None, None, 0, None))
    assert (still.frame, still.frame_seconds) == (None, None)
