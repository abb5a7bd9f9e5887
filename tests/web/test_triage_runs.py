"""Triage runs started and resumed from the web and the API, each worked on by a real worker process.

The worker is `python -m vigilant.triage.worker`, started by the server with the run's lock handed over;
these tests wait for it (bounded) and read what it wrote: the run's row, its records, the custody log and
the audit chain. Who may call the routes is the matrix's business (test_matrix.py).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.triage.scenario import Scenario, build
from tests.web.conftest import Clock, World, csrf, log_in
from vigilant.cases.process import DeviceSeized, record_seizure
from vigilant.security.audit import verify_chain
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.models import TriageRunRow
from vigilant.triage.results import iter_records
from vigilant.triage.runlock import RunLock
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
CLI_ACTOR = Actor.cli("cli")
LAB = Actor.cli("lab")
ME = Actor.cli("test")

WAIT_SECONDS = 90.0  # a worker starts Python, opens the library and triages a dozen files


@pytest.fixture
def seized(db: Database, tmp_path: Path, world: World) -> tuple[Scenario, int]:
    """The triage scenario's folder, registered as evidence of the examiner's own case."""
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "web-data")
    item = service.evidence.add(scenario.seized, actor=LAB, label="Seized folder", case_number="OP-OWN-1")
    return scenario, item.id


def _service(tmp_path: Path, db: Database) -> TriageService:
    return TriageService(db, tmp_path / "web-data")  # the app's data folder (tests/web/conftest.py)


def _wait_finished(client: TestClient, run_id: int) -> dict[str, object]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run: dict[str, object] = client.get(f"/api/v1/triage/runs/{run_id}").json()
        if run["status"] in ("finished", "failed") and not run["working"]:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {WAIT_SECONDS} s: {run}")


def test_an_examiner_starts_a_run_through_the_api_and_a_worker_finishes_it(
    *,
    client: TestClient,
    world: World,
    clock: Clock,
    db: Database,
    tmp_path: Path,
    seized: tuple[Scenario, int],
) -> None:
    scenario, item = seized
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    answer = client.post(
        f"/api/v1/evidence/{item}/triage-runs",
        json={"archive_depth": 2},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert answer.status_code == 202, answer.text
    started = answer.json()
    assert started["status"] == "queued"
    # The lock names the worker from the start, never the server that took it and handed it over.
    assert _service(tmp_path, db).worker(started["id"]) != os.getpid()
    assert started["actor"] == world.users[Role.EXAMINER].username

    run = _wait_finished(client, started["id"])
    assert run["status"] == "finished", run
    assert run["verified"] is True
    files = sum(1 for p in scenario.seized.rglob("*") if p.is_file())
    assert run["files_total"] == files
    assert run["files_done"] == files
    assert run["bytes_done"] == run["bytes_total"]
    service = _service(tmp_path, db)
    row = service.status(started["id"], ME)
    assert TriageSettings.from_json(row.settings).archive_depth == 2
    records = list(iter_records(Path(row.results_dir)))
    assert any(r.known_bad and r.path == scenario.known_md5 for r in records)
    # The same records as the CLI's run of the same settings: the worker is the same code.
    cli_run = service.start(item, TriageSettings.from_json(row.settings), CLI_ACTOR, Progress())
    ours = [(r.address, r.sha256, [h.entry_id for h in r.hits]) for r in records]
    theirs = [
        (r.address, r.sha256, [h.entry_id for h in r.hits])
        for r in iter_records(Path(service.status(cli_run, ME).results_dir))
    ]
    assert ours == theirs

    # Custody names the web user; the audit chain has the start, and still verifies.
    actions = [(e.action, e.actor) for e in service.evidence.custody(item, ME)]
    assert ("triage-started", world.users[Role.EXAMINER].username) in actions
    with db.session() as s:
        created = s.scalars(
            select(AuditEventRow).where(
                AuditEventRow.action == "record.changed", AuditEventRow.object_type == "triage_run"
            )
        ).all()
        assert [e.object_id for e in created] == [str(started["id"])]
    assert verify_chain(db).ok
    log = (tmp_path / "web-data" / "runs" / f"run-{started['id']:06d}.log").read_text()
    assert f"run {started['id']} finished" in log


def test_a_second_start_while_a_run_is_worked_on_is_refused_and_an_interrupted_run_resumes(
    *,
    client: TestClient,
    world: World,
    clock: Clock,
    db: Database,
    tmp_path: Path,
    seized: tuple[Scenario, int],
) -> None:
    _, item = seized
    service = _service(tmp_path, db)
    busy = service.create(item, TriageSettings(pdq=False, exif=False), LAB)
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    token = csrf(client)
    # Another process (here: this test) holds the run: a start and a resume are both refused.
    with RunLock.take(service.lock_path(busy)):
        page = client.post(
            f"/evidence/{item}/triage", data={"identify": "on", "archive_depth": "3", "csrf_token": token}
        )
        assert page.status_code == 409
        assert f"being triaged by run {busy}" in page.text
        api = client.post(f"/api/v1/triage/runs/{busy}/resume", headers={"X-CSRF-Token": token})
        assert api.status_code == 409
        # Another item waits too: the server lets one run work at a time (VIGILANT_TRIAGE_WORKERS).
        other_folder = tmp_path / "other-folder"
        other_folder.mkdir()
        (other_folder / "b.bin").write_bytes(b"other")
        other = service.evidence.add(other_folder, actor=LAB, label="Other", case_number="OP-OWN-1")
        full = client.post(
            f"/api/v1/evidence/{other.id}/triage-runs", json={}, headers={"X-CSRF-Token": token}
        )
        assert full.status_code == 409
        assert f"already working on this server (run {busy})" in full.json()["error"]
        progress = client.get(f"/triage/runs/{busy}/progress", headers={"HX-Request": "true"})
        assert 'hx-trigger="every 2s"' in progress.text
        assert "HX-Refresh" not in progress.headers
    # Let go (as a killed worker would): the run page says it is interrupted and offers to resume.
    with db.session() as s:
        s.execute(update(TriageRunRow).where(TriageRunRow.id == busy).values(status="running"))
    page = client.get(f"/triage/runs/{busy}")
    assert "Interrupted" in page.text
    assert f'action="/triage/runs/{busy}/resume"' in page.text
    resumed = client.post(f"/triage/runs/{busy}/resume", data={"csrf_token": token})
    assert resumed.status_code == 303
    assert resumed.headers["location"] == f"/triage/runs/{busy}"
    run = _wait_finished(client, busy)
    assert run["status"] == "finished"
    assert ("triage-resumed", world.users[Role.EXAMINER].username) in [
        (e.action, e.actor) for e in service.evidence.custody(item, ME)
    ]
    # Finished: htmx is told to reload the page, which no longer polls nor offers to resume.
    done = client.get(f"/triage/runs/{busy}/progress", headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"
    page = client.get(f"/triage/runs/{busy}")
    assert "every 2s" not in page.text
    assert "Resume run" not in page.text
    again = client.post(f"/api/v1/triage/runs/{busy}/resume", headers={"X-CSRF-Token": token})
    assert again.status_code == 409
    assert "already finished" in again.json()["error"]


def test_the_evidence_page_offers_triage_to_examiners_only_and_says_why_a_start_is_refused(
    *,
    client: TestClient,
    world: World,
    clock: Clock,
    db: Database,
    tmp_path: Path,
    seized: tuple[Scenario, int],
) -> None:
    _, item = seized
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    assert "Start triage" not in client.get("/evidence").text
    client.cookies.clear()
    clock.advance(seconds=30)
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    page = client.get("/evidence")
    assert f'action="/evidence/{item}/triage"' in page.text
    assert "<div>manifest-sha256 " in page.text  # the folder's listing digest
    for figure in ("bytes", "files"):  # counts, not acquisition hashes: the size has its own column
        assert f"<div>{figure} " not in page.text
    # An item registered with no case shows the visible cases that seized it.
    loose_folder = tmp_path / "loose"
    loose_folder.mkdir()
    (loose_folder / "a.bin").write_bytes(b"loose")
    loose = _service(tmp_path, db).evidence.add(loose_folder, actor=LAB, label="Loose phone")
    investigator = world.users[Role.INVESTIGATOR].actor()
    record_seizure(
        db,
        Actor.cli("c", agency_id=investigator.agency_id, roles={"coordinator"}),
        world.own_case,
        seized_at=datetime(2026, 2, 1, tzinfo=UTC),
        where="a house",
        by="DC Test",
        devices=[DeviceSeized("phone", evidence_item_id=loose.id)],
    )
    page = client.get("/evidence")
    assert "Loose phone" in page.text
    assert "seized in OP-OWN-1" in page.text
    token = csrf(client)
    bad = client.post(
        f"/evidence/{item}/triage", data={"identify": "on", "archive_depth": "99", "csrf_token": token}
    )
    assert bad.status_code == 422
    assert "archive depth 99 is out of range" in bad.text
    api = client.post(
        f"/api/v1/evidence/{item}/triage-runs", json={"archive_depth": 11}, headers={"X-CSRF-Token": token}
    )
    assert api.status_code == 422
    with db.session() as s:
        assert s.scalars(select(TriageRunRow).where(TriageRunRow.evidence_id == item)).all() == []
    # Digests only: no type, so no pictures and no archives either, whatever else was ticked.
    started = client.post(
        f"/evidence/{item}/triage",
        data={"pdq": "on", "exif": "on", "archive_depth": "3", "csrf_token": token},
    )
    assert started.status_code == 303
    run_id = int(started.headers["location"].rsplit("/", 1)[1])
    run = _wait_finished(client, run_id)
    assert run["status"] == "finished"
    settings = TriageSettings.from_json(_service(tmp_path, db).status(run_id, ME).settings)
    assert (settings.identify, settings.pdq, settings.exif, settings.archive_depth) == (
        False,
        False,
        False,
        0,
    )
