"""Pausing and cancelling a run of the local runner between two batches; a paused run resumes to the
uninterrupted run's very bytes; a cancelled one cannot be resumed (SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.triage.dask_clusters import outputs
from tests.triage.scenario import build
from vigilant.errors import BadInputError, ConflictError
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

EXAMINER = Actor.cli("examiner")
ONE_THREAD = TriageSettings(batch_files=2, processes=1, threads=1)


@pytest.mark.parametrize("action", ["pause", "cancel"])
def test_a_run_stops_after_the_batch_being_written(db: Database, tmp_path: Path, action: str) -> None:
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(
        scenario.seized, actor=EXAMINER, label="laptop", case_number="2026-0042", case_pending=True
    )
    whole = service.start(item.id, ONE_THREAD, EXAMINER, Progress())
    run_id = service.create(item.id, ONE_THREAD, EXAMINER)
    asked: list[str] = []

    def ask_once(files: int, size: int) -> None:  # told as the first group of files is done
        if not asked:
            asked.append(service.control(run_id, action, EXAMINER))

    service.work(run_id, EXAMINER, Progress(on_advance=ask_once))
    row = service.status(run_id, EXAMINER)
    stopped = {"pause": "paused", "cancel": "cancelled"}[action]
    assert asked == ["running"]  # asked of the working process, which stopped at its next batch
    assert (row.status, row.control, row.scheduler) == (stopped, None, "local")
    assert 1 <= row.batches_done < (service.status(whole, EXAMINER).batches_total or 0)
    events = [e.action for e in service.evidence.custody(item.id, EXAMINER)]
    assert f"triage-{action}" in events
    assert f"triage-{stopped}" in events

    if action == "cancel":
        with pytest.raises(ConflictError, match="was cancelled"):
            service.resume(run_id, EXAMINER, Progress())
        with pytest.raises(ConflictError, match="is cancelled"):
            service.control(run_id, "pause", EXAMINER)
        return
    service.resume(run_id, EXAMINER, Progress())
    assert service.status(run_id, EXAMINER).status == "finished"
    assert outputs(service, run_id) == outputs(service, whole)
    with pytest.raises(ConflictError, match="is finished"):
        service.control(run_id, "pause", EXAMINER)


def test_only_pause_and_cancel_are_asked(db: Database, tmp_path: Path) -> None:
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(
        scenario.seized, actor=EXAMINER, label="laptop", case_number="2026-0042", case_pending=True
    )
    run_id = service.create(item.id, ONE_THREAD, EXAMINER)
    with pytest.raises(BadInputError, match="cannot 'stop' a run"):
        service.control(run_id, "stop", EXAMINER)
    assert service.status(run_id, EXAMINER).status == "queued"  # nothing changed
