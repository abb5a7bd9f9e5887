"""Triage runs on a Dask cluster from the web: control and progress over the API, the run's priority from
the form and the API, and what VIGILANT_TRIAGE_WORKERS counts (runs working on this machine, not those on
the cluster). Runs started here are worked on by real worker processes; the cluster is a LocalCluster on
loopback whose workers live in the test's process. Who may call the routes: test_matrix.py."""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.triage.dask_clusters import local_cluster
from tests.triage.scenario import Scenario, build
from tests.web.conftest import FAST, Clock, World, csrf, log_in
from vigilant.config import Settings
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.models import TriageRunRow
from vigilant.triage.runlock import RunLock
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings
from vigilant.web.app import WebOptions, create_app

LAB = Actor.cli("lab")
WAIT_SECONDS = 90.0  # a worker starts Python, opens the library and triages a dozen files


@pytest.fixture
def seized(db: Database, tmp_path: Path, world: World) -> tuple[Scenario, int]:
    scenario = build(tmp_path, db)
    item = _service(tmp_path, db).evidence.add(
        scenario.seized, actor=LAB, label="Seized folder", case_number="OP-OWN-1"
    )
    return scenario, item.id


def _service(tmp_path: Path, db: Database) -> TriageService:
    return TriageService(db, tmp_path / "web-data")  # the app's data folder (tests/web/conftest.py)


def _another_item(tmp_path: Path, db: Database, name: str) -> int:
    folder = tmp_path / name
    folder.mkdir()
    for n in range(5):
        (folder / f"{n}.bin").write_bytes(b"synthetic %d" % n)
    return _service(tmp_path, db).evidence.add(folder, actor=LAB, label=name, case_number="OP-OWN-1").id


def _changes(db: Database, run_id: int) -> int:
    """The audit chain's record.changed events of the run."""
    with db.session() as s:
        query = select(func.count()).where(
            AuditEventRow.action == "record.changed",
            AuditEventRow.object_type == "triage_run",
            AuditEventRow.object_id == str(run_id),
        )
        return int(s.scalar(query) or 0)


def _wait_finished(client: TestClient, run_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.get(f"/api/v1/triage/runs/{run_id}").json()
        if run["status"] in ("finished", "failed") and not run["working"]:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {WAIT_SECONDS} s: {run}")


@pytest.fixture
def dask_workers() -> Iterator[Any]:
    with local_cluster(workers=2) as cluster:
        yield cluster


@pytest.fixture
def scheduler(dask_workers: Any) -> str:
    return str(dask_workers.scheduler_address)


@pytest.fixture
def cluster_client(db: Database, tmp_path: Path, clock: Clock, scheduler: str) -> Iterator[TestClient]:
    """The web app of an installation whose runs go to the Dask scheduler, one local run at a time."""
    key = Settings.from_env().secret_key_file
    settings = Settings(
        data_dir=tmp_path / "web-data",
        database_url=db.url,
        user="test",
        secret_key_path=key,
        dask_scheduler=scheduler,
        triage_workers=1,
    )
    app = create_app(settings, WebOptions(cookie_secure=False, clock=clock, passwords=FAST))
    with TestClient(app, follow_redirects=False) as c:
        yield c


def test_the_api_pauses_and_cancels_a_run_and_shows_its_workers(
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
    finished = service.start(item, TriageSettings(batch_files=4, processes=0), LAB, Progress())
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}

    run = client.get(f"/api/v1/triage/runs/{finished}").json()
    row = service.status(finished, LAB)
    assert (run["scheduler"], run["priority"], run["control"]) == ("local", 0, None)
    assert run["batches_done"] == run["batches_total"] == row.batches_total
    assert (row.batches_total or 0) > 1  # several batches, all by this machine's runner
    assert run["workers"] == [
        {
            "worker": "local",
            "batches": f"0-{row.batches_done - 1}",
            "count": row.batches_done,
            "files": row.files_total,
            "bytes": row.bytes_total,
        }
    ]
    listed = client.get("/api/v1/triage/runs").json()["runs"]
    assert [r["workers"] for r in listed if r["id"] == finished] == [run["workers"]]
    refused = client.post(f"/api/v1/triage/runs/{finished}/pause", headers=headers)
    assert refused.status_code == 409
    assert f"run {finished} is finished" in refused.json()["error"]

    # A run a process works on (here: this test holds its lock) is asked to stop after its batch.
    working = service.create(item, TriageSettings(pdq=False, exif=False), LAB)
    with RunLock.take(service.lock_path(working)):
        asked = client.post(f"/api/v1/triage/runs/{working}/pause", headers=headers)
        assert asked.status_code == 200, asked.text
        assert (asked.json()["status"], asked.json()["control"], asked.json()["working"]) == (
            "queued",
            "pause",
            True,
        )
    with db.session() as s:  # as the worker would have, between two batches
        s.execute(
            update(TriageRunRow).where(TriageRunRow.id == working).values(status="paused", control=None)
        )

    # One nobody works on stops at once; each control is in the audit chain and the custody log.
    before = _changes(db, working)
    cancelled = client.post(f"/api/v1/triage/runs/{working}/cancel", headers=headers)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert _changes(db, working) == before + 1 == 2  # the pause, the cancel
    actions = [e.action for e in service.evidence.custody(item, LAB)]
    assert actions.count("triage-pause") == actions.count("triage-cancel") == 1
    again = client.post(f"/api/v1/triage/runs/{working}/resume", headers=headers)
    assert again.status_code == 409
    assert "was cancelled" in again.json()["error"]
    waiting = service.create(item, TriageSettings(pdq=False, exif=False, priority=2), LAB)
    paused = client.post(f"/api/v1/triage/runs/{waiting}/pause", headers=headers)
    assert (paused.status_code, paused.json()["status"], paused.json()["priority"]) == (200, "paused", 2)
    resume = f"/api/v1/triage/runs/{waiting}/resume"
    assert client.post(resume, json={"priority": 101}, headers=headers).status_code == 422
    resumed = client.post(resume, json={"priority": 6}, headers=headers)
    assert (resumed.status_code, resumed.json()["priority"]) == (202, 6), resumed.text
    assert _wait_finished(client, waiting)["status"] == "finished"


def test_a_runs_priority_comes_from_the_form_and_the_api_and_shows_on_its_page(
    *,
    client: TestClient,
    world: World,
    clock: Clock,
    db: Database,
    tmp_path: Path,
    seized: tuple[Scenario, int],
) -> None:
    _, item = seized
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    token = csrf(client)
    form = {"identify": "on", "archive_depth": "3", "csrf_token": token}
    assert 'name="priority"' in client.get("/evidence").text
    for bad, says in (("x", "priority 'x' is not a whole number"), ("101", "priority 101 is out of range")):
        refused = client.post(f"/evidence/{item}/triage", data={**form, "priority": bad})
        assert refused.status_code == 422
        assert says in html.unescape(refused.text)
    started = client.post(f"/evidence/{item}/triage", data={**form, "priority": "12"})
    assert started.status_code == 303, started.text
    run_id = int(started.headers["location"].rsplit("/", 1)[1])
    assert _wait_finished(client, run_id)["priority"] == 12
    page = client.get(started.headers["location"]).text
    assert "last worked on by this server." in page  # a local run: its priority on a cluster means nothing
    assert "priority on the cluster" not in page

    api = client.post(
        f"/api/v1/evidence/{item}/triage-runs", json={"priority": 101}, headers={"X-CSRF-Token": token}
    )
    assert api.status_code == 422
    api = client.post(
        f"/api/v1/evidence/{item}/triage-runs", json={"priority": -5}, headers={"X-CSRF-Token": token}
    )
    assert (api.status_code, api.json()["priority"]) == (202, -5)
    assert _wait_finished(client, api.json()["id"])["status"] == "finished"
    assert _service(tmp_path, db).status(api.json()["id"], LAB).settings["priority"] == -5


def test_a_run_on_the_cluster_takes_no_local_slot_and_shows_each_workers_share(
    *,
    cluster_client: TestClient,
    dask_workers: Any,
    scheduler: str,
    world: World,
    clock: Clock,
    db: Database,
    tmp_path: Path,
    seized: tuple[Scenario, int],
) -> None:
    _, item = seized
    service = _service(tmp_path, db)
    client = cluster_client
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}
    other = _another_item(tmp_path, db, "other")
    # A run works on this machine (this test holds its lock; no scheduler recorded: it counts as local):
    # the one local slot (VIGILANT_TRIAGE_WORKERS=1) is taken.
    busy = service.create(other, TriageSettings(pdq=False, exif=False), LAB)
    with RunLock.take(service.lock_path(busy)):
        started = client.post(f"/api/v1/evidence/{item}/triage-runs", json={"priority": 7}, headers=headers)
        assert started.status_code == 202, started.text  # to the cluster: no local slot needed
        assert started.json()["scheduler"] == scheduler
        # A run with a key of an encrypted volume stays here (keys never leave it): it needs the slot.
        third = _another_item(tmp_path, db, "third")
        keyed = client.post(
            f"/api/v1/evidence/{third}/triage-runs", json={"key": "synthetic passphrase"}, headers=headers
        )
        assert keyed.status_code == 409
        assert f"already working on this server (run {busy})" in keyed.json()["error"]
        run = _wait_finished(client, started.json()["id"])
    assert (run["status"], run["scheduler"], run["priority"]) == ("finished", scheduler, 7)
    assert run["batches_done"] == run["batches_total"]
    assert {w["worker"] for w in run["workers"]} <= set(dask_workers.scheduler_info["workers"])
    assert sum(w["count"] for w in run["workers"]) == run["batches_total"]
    assert sum(w["files"] for w in run["workers"]) == run["files_total"]
    page = client.get(f"/triage/runs/{run['id']}").text
    assert f"last worked on by the Dask cluster at {scheduler}; priority on the cluster 7." in page
    for worker in run["workers"]:
        assert f"<td>{worker['worker']}</td><td>{worker['count']}</td>" in page


def test_a_run_on_a_cluster_leaves_the_local_slot_free(
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
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    headers = {"X-CSRF-Token": csrf(client)}
    other = _another_item(tmp_path, db, "other")
    # A run of the CLI on a cluster (its process here holds the run's lock and waits for the workers).
    on_cluster = service.create(other, TriageSettings(pdq=False, exif=False), LAB)
    with db.session() as s:
        s.execute(
            update(TriageRunRow)
            .where(TriageRunRow.id == on_cluster)
            .values(status="running", scheduler="tcp://198.51.100.7:8786")
        )
    with RunLock.take(service.lock_path(on_cluster)):
        started = client.post(f"/api/v1/evidence/{item}/triage-runs", json={}, headers=headers)
        assert started.status_code == 202, started.text
        run = _wait_finished(client, started.json()["id"])
    assert (run["status"], run["scheduler"]) == ("finished", "local")
