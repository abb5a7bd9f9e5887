"""Services hand out plain records (frozen dataclasses), never ORM rows: a face reads them without a session,
and their shape is written once (issue 12, item 5)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from tests.library.helpers import entry
from tests.review.scenario import LAB, build
from vigilant.app import Vigilant
from vigilant.cases.evidence_rules import evidence_service
from vigilant.cli import run
from vigilant.config import Settings
from vigilant.errors import ExitCode, NotFoundError
from vigilant.evidence.items import CustodyEvent, EvidenceInfo
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import ImportAttempt, RowProblem
from vigilant.library.samples import write_vics
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.review.decided import CurrentDecision, DecidedItem
from vigilant.review.decisions import Decision, Victim, decide
from vigilant.review.outputs import _decided, figures, tags_of
from vigilant.review.queue import QueueFilter, queue, sync, visible_run
from vigilant.review.scope import Scope
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.access import get_run_for, list_runs_for
from vigilant.triage.models import TriageRunRow
from vigilant.triage.run_records import RunRecord
from vigilant.triage.service import TriageService
from vigilant.web.api_triage import RunSummaryOut

ANN = Actor.cli("ann")


def assert_plain(value: object, kind: type) -> None:
    """``value`` is a ``kind``, a frozen dataclass that no session tracks."""
    assert isinstance(value, kind)
    assert dataclasses.is_dataclass(value)
    assert not isinstance(value, type)
    first = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, first, None)
    assert inspect(value, raiseerr=False) is None  # not mapped: no lazy load, no detached-row surprise


def _import_twice(db: Database, tmp_path: Path) -> tuple[LibraryStore, int]:
    # A CAID-style list numbered 1..3 with only 1 and 2 mapped: two rows of six are refused and kept.
    path = write_vics(
        tmp_path / "caid.json",
        [entry(i, category=str(1 + i % 3)) for i in range(6)],
        version="2.0",
        form="media",
    )
    store = LibraryStore(db)
    request = ImportRequest(path, actor=ANN, profile="caid-uk", category_map={"1": "A", "2": "B"})
    report = import_hash_set(store, request)
    import_hash_set(store, request)  # the same file again: already imported, logged all the same
    assert report.hash_set is not None
    return store, report.hash_set.id


def test_the_import_log_leaves_the_library_as_plain_records(db: Database, tmp_path: Path) -> None:
    store, set_id = _import_twice(db, tmp_path)
    attempts = store.imports()
    assert [a.status for a in attempts] == ["already-imported", "imported"]  # newest first
    for attempt in attempts:
        assert_plain(attempt, ImportAttempt)
    assert attempts[1].refused_by_reason == {"bad-category": 2}
    assert attempts[1].started_at.tzinfo is not None
    detail = LibraryService(store, tmp_path / "indexes").set_for(ANN, set_id)
    assert detail.imports == store.imports(set_id=set_id) == attempts
    problems = store.import_problems(attempts[1].id)
    assert [p.reason for p in problems] == ["bad-category", "bad-category"]
    for problem in problems:
        assert_plain(problem, RowProblem)


def test_the_import_log_prints_as_json_as_before(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, _ = _import_twice(db, tmp_path)
    capsys.readouterr()
    assert run(["library", "imports", "--json"]) == ExitCode.OK
    printed: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    assert [list(p) for p in printed] == [
        [
            "id", "started_at", "finished_at", "actor", "source_file", "source_sha256", "format", "status",
            "hash_set_id", "rows_read", "rows_taken", "rows_refused", "refused_by_reason", "error",
        ]
    ] * 2  # fmt: skip
    newest, first = store.imports()
    assert printed[1] == {
        "id": first.id,
        "started_at": first.started_at.isoformat(),
        "finished_at": first.finished_at.isoformat(),
        "actor": "ann",
        "source_file": first.source_file,
        "source_sha256": first.source_sha256,
        "format": "vics",
        "status": "imported",
        "hash_set_id": first.hash_set_id,
        "rows_read": 6,
        "rows_taken": 4,
        "rows_refused": 2,
        "refused_by_reason": {"bad-category": 2},
        "error": None,
    }
    assert printed[0]["status"] == newest.status == "already-imported"
    assert run(["library", "imports", "--problems", str(first.id), "--json"]) == ExitCode.OK
    refused = json.loads(capsys.readouterr().out)
    assert [list(r) for r in refused] == [["location", "reason", "detail"]] * 2
    assert {r["reason"] for r in refused} == {"bad-category"}


def test_the_chain_of_custody_leaves_the_evidence_service_as_plain_records(
    db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "seized"
    folder.mkdir()
    (folder / "note.txt").write_text("a synthetic note")
    service = evidence_service(db)
    item = service.add(folder, actor=ANN, label="USB stick")
    service.verify(item.id, ANN)
    events = service.custody(item.id, ANN)
    assert [e.action for e in events] == ["added", "verified"]
    for event in events:
        assert_plain(event, CustodyEvent)
        assert (event.evidence_id, event.actor) == (item.id, "ann")
    assert events[1].detail["ok"] is True  # the verification's outcome, as the service wrote it
    assert events[0].at.tzinfo is not None


def _triaged(db: Database, tmp_path: Path) -> int:
    """A folder of two synthetic notes, added and triaged through the CLI (no worker process)."""
    folder = tmp_path / "seized-folder"
    folder.mkdir()
    (folder / "a.txt").write_text("a synthetic note")
    (folder / "b.txt").write_text("another synthetic note")
    item = evidence_service(db).add(folder, actor=ANN, label="folder")
    assert run(["triage", "run", str(item.id), "--processes", "0"]) == ExitCode.OK
    return TriageService(db, tmp_path / "vigilant-data").runs(ANN)[-1].id


def _stored(db: Database, run_id: int) -> TriageRunRow:
    with db.session() as s:
        row = s.get(TriageRunRow, run_id)
        assert row is not None
        s.expunge(row)
        return row


def test_triage_runs_leave_the_service_as_plain_records(db: Database, tmp_path: Path) -> None:
    run_id = _triaged(db, tmp_path)
    service = TriageService(db, tmp_path / "vigilant-data")
    [listed] = service.runs(ANN)
    status = service.status(run_id, ANN)
    for record in (listed, status):
        assert_plain(record, RunRecord)
    assert listed == status
    stored = _stored(db, run_id)
    for name in (f.name for f in dataclasses.fields(RunRecord)):
        assert getattr(status, name) == getattr(stored, name), name  # every column, as stored
    assert (status.status, status.summary["files"]) == ("finished", 2)
    assert status.verification is not None
    assert status.verification["ok"]
    status.summary["files"] = 99  # the caller's copy: the run's row is not touched
    assert service.status(run_id, ANN).summary["files"] == 2
    found = get_run_for(db, ANN, run_id)  # the web's reads hand out the record too
    assert_plain(found.run, RunRecord)
    assert found.run == service.status(run_id, ANN)
    [(paged, _)] = list_runs_for(db, ANN).items
    assert paged == found.run


def test_triage_status_prints_as_json_as_before(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _triaged(db, tmp_path)
    capsys.readouterr()
    assert run(["triage", "status", str(run_id), "--json"]) == ExitCode.OK
    [printed] = json.loads(capsys.readouterr().out)
    assert run(["triage", "status", "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out) == [printed]
    row = _stored(db, run_id)  # what the listing printed from the row itself, before the record
    assert printed == {
        "run": run_id,
        "evidence": row.evidence_id,
        "status": "finished",
        "files": 2,
        "batches": f"{row.batches_done}/{row.batches_total}",
        "known-bad": 0,
        "started (UTC)": row.created_at.strftime("%Y-%m-%d %H:%M"),
        "tool": row.tool,
        "summary": row.summary,
        "coverage": row.coverage,
        "verification": row.verification,
        "scheduler": row.scheduler,
        "priority": 0,
        "workers": row.workers,
    }
    assert printed["verification"]["ok"] is True


def test_the_apis_run_is_as_before(db: Database, tmp_path: Path) -> None:
    run_id = _triaged(db, tmp_path)
    found = get_run_for(db, ANN, run_id, hit_limit=None)
    out = RunSummaryOut(**RunSummaryOut.fields_of(found.run, found.evidence, False)).model_dump(mode="json")
    row = _stored(db, run_id)  # the fields the API read from the row itself, before the record
    assert row.coverage == {"volumes": 0, "parts": []}
    assert out == {
        "id": run_id,
        "evidence_id": row.evidence_id,
        "evidence_label": "folder",
        "case_number": None,
        "status": "finished",
        "working": False,
        "control": None,
        "scheduler": row.scheduler,
        "priority": 0,
        "batches_total": row.batches_total,
        "batches_done": row.batches_done,
        "workers": [{"worker": "local", "batches": "0", "count": 1, "files": 2, "bytes": 38}],
        "tool": row.tool,
        "actor": row.actor,
        "created_at": out["created_at"],
        "finished_at": out["finished_at"],
        "files_total": row.files_total,
        "bytes_total": row.bytes_total,
        "files_done": row.files_done,
        "bytes_done": row.bytes_done,
        "summary": row.summary,
        "verified": True,
        "volumes": 0,  # a folder has no volume
        "volumes_unreadable": 0,
        "not_read": None,
        "not_read_parts": [],
    }
    again = RunSummaryOut.model_validate(out)
    assert (again.created_at, again.finished_at) == (row.created_at, row.finished_at)
    assert row.actor == "test-examiner"  # the CLI's user, who ran it


def test_the_launcher_hands_out_plain_items_and_the_applications_triage(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "seized"
    folder.mkdir()
    (folder / "note.txt").write_text("a synthetic note")
    item = evidence_service(db).add(folder, actor=ANN, label="USB stick")
    with Vigilant(Settings(data_dir=tmp_path / "app-data", database_url=db.url, user="test"), db=db) as app:
        assert app.runs.service() is app.triage  # one triage service for every request of a server
        found = app.runs._visible_item(ANN, item.id)
        assert_plain(found, EvidenceInfo)
        assert (found.id, found.label, found.path) == (item.id, "USB stick", str(folder))
        with pytest.raises(NotFoundError):
            app.runs._visible_item(ANN, item.id + 1)


def test_the_review_queue_reads_its_run_and_item_as_plain_records(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    run_record, item = visible_run(sc.ctx, sc.examiner, sc.run_id)
    assert_plain(run_record, RunRecord)
    assert_plain(item, EvidenceInfo)
    assert (run_record.id, run_record.evidence_id, item.id) == (sc.run_id, sc.evidence_id, sc.evidence_id)
    assert run_record == sc.triage.status(sc.run_id, LAB)
    synced = sync(sc.ctx, sc.examiner, sc.run_id)  # the queue is made from them, stacks included
    assert (synced.items_added, synced.stacks) == (5, 4)
    with pytest.raises(NotFoundError):
        visible_run(sc.ctx, sc.stranger, sc.run_id)  # the other agency's examiner sees no such run


def test_the_reviews_outputs_read_decisions_as_plain_records(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    scope = Scope(run_id=sc.run_id)
    page = queue(sc.ctx, sc.examiner, scope, QueueFilter(stacks_only=False))
    chosen = next(r.item for r in page.rows if r.item.name == "b.jpg")
    girl = Victim(age_band="under-12", sex="female")
    ticked = Decision("1", series="New Q", victims=(girl,), sexual_assault=True)
    decide(sc.ctx, sc.examiner, chosen.id, ticked)
    [(item, decision)] = _decided(sc.ctx, sc.examiner, scope)
    assert_plain(item, DecidedItem)
    assert_plain(decision, CurrentDecision)
    assert (item.id, item.sha256, item.pdq) == (chosen.id, chosen.sha256, chosen.pdq)
    assert (decision.category, decision.series, decision.examiner) == ("1", "New Q", sc.examiner.username)
    assert decision.victims == ({"age_band": "under-12", "sex": "female", "victim_id": None},)
    assert tags_of(decision) == ("possible-production", "sexual-assault")  # b.jpg: the seized camera's
    assert figures(sc.ctx, sc.examiner, scope).victims == 1
