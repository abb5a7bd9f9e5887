"""The run page: batches written by each worker, and pausing, cancelling and resuming a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.triage.scenario import Scenario, build
from tests.web.conftest import Clock, World, csrf, log_in
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

LAB = Actor.cli("lab")


@pytest.fixture
def seized(db: Database, tmp_path: Path, world: World) -> tuple[Scenario, int]:
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "web-data")
    item = service.evidence.add(scenario.seized, actor=LAB, label="Seized folder", case_number="OP-OWN-1")
    return scenario, item.id


def _audit_events(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEventRow)) or 0)


def test_the_run_page_shows_each_workers_batches_and_pauses_cancels_a_run(
    *,
    client: TestClient,
    world: World,
    clock: Clock,
    db: Database,
    tmp_path: Path,
    seized: tuple[Scenario, int],
) -> None:
    _, item = seized
    service = TriageService(db, tmp_path / "web-data")
    finished = service.start(item, TriageSettings(batch_files=4, processes=0), LAB, Progress())
    waiting = service.create(item, TriageSettings(pdq=False, exif=False), LAB)
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    token = csrf(client)

    row = service.status(finished, LAB)
    page = client.get(f"/triage/runs/{finished}").text
    assert (
        f"Batches: {row.batches_done} of {row.batches_total} written; last worked on by this server" in page
    )
    assert f"<td>local</td><td>{row.batches_done}</td><td>0-{row.batches_done - 1}</td>" in page
    assert "Pause run" not in page  # finished: nothing to stop

    page = client.get(f"/triage/runs/{waiting}").text
    assert f'action="/triage/runs/{waiting}/pause"' in page
    before = _audit_events(db)
    paused = client.post(f"/triage/runs/{waiting}/pause", data={"csrf_token": token})
    assert (paused.status_code, paused.headers["location"]) == (303, f"/triage/runs/{waiting}")
    assert service.status(waiting, LAB).status == "paused"  # nobody worked on it: paused at once
    assert _audit_events(db) > before
    page = client.get(f"/triage/runs/{waiting}").text
    assert "Paused:" in page
    assert f'action="/triage/runs/{waiting}/resume"' in page

    cancelled = client.post(f"/triage/runs/{waiting}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    page = client.get(f"/triage/runs/{waiting}").text
    assert "Cancelled:" in page
    assert "Resume run" not in page
    assert "Pause run" not in page
    again = client.post(f"/triage/runs/{waiting}/pause", data={"csrf_token": token})
    assert again.status_code == 409
    assert f"run {waiting} is cancelled" in again.text
