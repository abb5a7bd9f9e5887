"""Triage end to end on a folder: digests, types, matches, archives, custody, resume (SQLite, PostgreSQL)."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.triage.scenario import build
from vigilant.errors import ConflictError
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.records import FileRecord
from vigilant.triage.results import iter_records
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
EXAMINER = Actor.cli("examiner")
ME = Actor.cli("test")
X = Actor.cli("x")

SMALL_BATCHES = TriageSettings(batch_files=2, processes=1)


def _run(
    db: Database, data: Path, seized: Path, settings: TriageSettings = SMALL_BATCHES
) -> tuple[TriageService, int]:
    service = TriageService(db, data)
    evidence = service.evidence.add(
        seized, actor=EXAMINER, label="laptop", case_number="2026-0042", case_pending=True
    )
    return service, service.start(evidence.id, settings, EXAMINER, Progress())


def _records(service: TriageService, run_id: int) -> list[FileRecord]:
    return list(iter_records(Path(service.status(run_id, ME).results_dir)))


def test_a_folder_is_hashed_identified_and_matched(db: Database, tmp_path: Path) -> None:
    scenario = build(tmp_path, db)
    service, run_id = _run(db, tmp_path / "data", scenario.seized)
    records = {(r.path, tuple(r.members)): r for r in _records(service, run_id)}

    known = records[(scenario.known_md5, ())]
    assert known.known_bad
    # Its PDQ quality is below 50, so, as PDQ prescribes, it is matched by its digests only.
    assert known.pdq_quality is not None
    assert known.pdq_quality < 50
    assert {(h.set_name, h.matched_on) for h in known.hits} == {("Bad", "md5"), ("Bad", "sha1")}
    assert known.top_class == "abuse"
    assert known.md5 == hashlib.md5((scenario.seized / scenario.known_md5[1:]).read_bytes()).digest()

    near = records[(scenario.near, ())]
    assert near.known_bad
    [hit] = near.hits
    assert hit.matched_on == "pdq"
    assert hit.distance is not None
    assert 0 <= hit.distance <= 31
    assert near.md5 != hashlib.md5((tmp_path / "reference" / "two.jpg").read_bytes()).digest()
    assert hit.category_label == "Child Exploitive / Age Difficult"

    assert records[(scenario.known_good, ())].known_good
    assert not records[(scenario.known_good, ())].known_bad
    disguised = records[(scenario.disguised, ())]
    assert disguised.mime == "image/png"
    assert disguised.extension_mismatch
    assert disguised.pdq is not None

    member = records[("/archive.zip", (scenario.zipped_member,))]
    assert member.known_bad
    assert member.member > 0
    assert "archive.zip" in member.address
    assert scenario.zipped_member in member.address
    assert records[("/archive.zip", ())].archive_members == 2
    assert ("/backup.tar.gz", ("inner/file.bin",)) in records
    empty = records[("/docs/empty.dat", ())]
    assert empty.size == 0
    assert empty.sha256 == hashlib.sha256(b"").digest()
    unknown = records[("/DCIM/unknown.jpg", ())]
    assert not unknown.hits

    status = service.status(run_id, ME)
    assert status.status == "finished"
    assert status.summary["known_bad"] == 3  # the MD5 match, the PDQ match, the zipped picture
    assert status.summary["known_good"] == 1
    assert status.verification is not None
    assert status.verification["ok"]
    actions = [e.action for e in service.evidence.custody(status.evidence_id, ME)]
    assert actions == ["added", "triage-started", "verified", "triage-finished"]


def test_two_runs_give_identical_records(db: Database, tmp_path: Path) -> None:
    scenario = build(tmp_path, db)
    service, first = _run(db, tmp_path / "data", scenario.seized)
    second = service.start(
        service.status(first, ME).evidence_id,
        TriageSettings(batch_files=3),
        EXAMINER,
        Progress(),
    )
    assert _records(service, first) == _records(service, second)


def test_evidence_is_not_modified(db: Database, tmp_path: Path) -> None:
    scenario = build(tmp_path, db)
    before = {
        p: (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
        for p in scenario.seized.rglob("*")
        if p.is_file()
    }
    _run(db, tmp_path / "data", scenario.seized)
    after = {
        p: (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
        for p in scenario.seized.rglob("*")
        if p.is_file()
    }
    assert before == after


def test_a_changed_source_fails_verification(db: Database, tmp_path: Path) -> None:
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "data")
    evidence = service.evidence.add(scenario.seized, actor=EXAMINER)
    (scenario.seized / "docs" / "readme.txt").write_text("changed after acquisition\n")
    result = service.evidence.verify(evidence.id, EXAMINER)
    assert not result["ok"]
    assert [e.action for e in service.evidence.custody(evidence.id, ME)][-1] == "verify-failed"


@pytest.mark.slow
def test_a_run_killed_mid_way_resumes_to_the_same_result(tmp_path: Path, db: Database) -> None:
    scenario = build(tmp_path, db)
    data = tmp_path / "data"
    env = {**os.environ, "VIGILANT_DATA_DIR": str(data), "VIGILANT_DATABASE_URL": db.url}
    cli = [sys.executable, "-c", "from vigilant.cli import main; main()"]
    added = subprocess.run(
        [*cli, "evidence", "add", str(scenario.seized), "--label", "laptop"],
        env=env,
        capture_output=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    # One file per batch and one thread: the run is killed between two checkpoints.
    job = subprocess.Popen(
        [*cli, "triage", "run", "laptop", "--threads", "1", "--processes", "1", "--batch-files", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = data / "runs" / "run-000001"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(results.glob("batch-*.parquet"))) < 2:
        time.sleep(0.005)
    os.kill(job.pid, signal.SIGKILL)
    job.wait(timeout=30)
    assert len(list(results.glob("batch-*.parquet"))) >= 2
    service = TriageService(db, data)
    assert service.status(1, ME).status == "running"  # killed: nothing marked it finished
    resumed = subprocess.run(
        [*cli, "triage", "resume", "1"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    assert service.status(1, ME).status == "finished"
    uninterrupted = service.start("laptop", TriageSettings(batch_files=1), EXAMINER, Progress())
    assert _records(service, 1) == _records(service, uninterrupted)


@pytest.mark.parametrize("fmt", ["html", "csv", "vics", "case", "dfxml", "hashdeep"])
def test_two_runs_give_byte_identical_reports(tmp_path: Path, fmt: str) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    db.upgrade()
    try:
        scenario = build(tmp_path, db)
        service, first = _run(db, tmp_path / "data", scenario.seized)
        evidence_id = service.status(first, ME).evidence_id
        second = service.start(evidence_id, TriageSettings(batch_files=5), X, Progress())
        outputs = []
        for run_id in (first, second):
            out = io.BytesIO()
            service.report(run_id, fmt, out, EXAMINER)
            outputs.append(out.getvalue())
        assert outputs[0] == outputs[1]
        assert len(outputs[0]) > 200
    finally:
        db.dispose()


def test_a_file_that_only_looks_like_a_video_says_why_it_has_no_vpdq(db: Database, tmp_path: Path) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    # An MP4 'ftyp' box is all libmagic needs to call it a video; the bytes are synthetic and do not decode
    # (tests/triage/test_videos.py has real videos, and the note when PyAV is missing).
    (seized / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(4096))
    service, run_id = _run(db, tmp_path / "data", seized)
    [record] = _records(service, run_id)
    assert record.mime is not None
    assert record.mime.startswith("video/")
    assert record.pdq_note is not None
    assert "vPDQ" in record.pdq_note


def test_progress_is_told_the_totals_once_and_the_run_records_them(db: Database, tmp_path: Path) -> None:
    # The count walks beside the pass; the bar and the run's row must still get it, exactly once, and
    # never after the last step (a bar must not end with more done than it was told there was).
    scenario = build(tmp_path, db)
    events: list[tuple[str, int, int]] = []
    progress = Progress(
        on_total=lambda files, size: events.append(("total", files, size)),
        on_advance=lambda files, size: events.append(("advance", files, size)),
    )
    service = TriageService(db, tmp_path / "data")
    evidence = service.evidence.add(scenario.seized, actor=EXAMINER)
    run_id = service.start(evidence.id, SMALL_BATCHES, EXAMINER, progress)

    totals = [e for e in events if e[0] == "total"]
    advances = [e for e in events if e[0] == "advance"]
    assert len(totals) == 1
    assert events.index(totals[0]) < len(events) - 1  # told before the last advance
    files = sum(1 for p in scenario.seized.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in scenario.seized.rglob("*") if p.is_file())
    assert totals[0][1:] == (files, size)
    assert (sum(a[1] for a in advances), sum(a[2] for a in advances)) == (files, size)
    row = service.status(run_id, ME)
    assert (row.files_total, row.bytes_total) == (files, size)


def test_a_run_another_process_works_on_is_refused_and_free_again_when_it_stops(
    db: Database, tmp_path: Path
) -> None:
    # The lock is flock: held while a process works, released by the kernel when it ends.
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "data")
    evidence = service.evidence.add(scenario.seized, actor=EXAMINER)
    run_id = service.create(evidence.id, SMALL_BATCHES, EXAMINER)
    assert service.status(run_id, ME).status == "queued"
    with subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(service.lock_path(run_id))], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            assert service.worker(run_id) == holder.pid
            with pytest.raises(ConflictError, match=f"pid {holder.pid}"):
                service.resume(run_id, EXAMINER, Progress())
        finally:
            holder.kill()  # as kill -9 would: no chance to let go
    assert service.worker(run_id) is None
    service.resume(run_id, EXAMINER, Progress())
    assert service.status(run_id, ME).status == "finished"


_HOLD = """
import sys
from pathlib import Path
from vigilant.triage.runlock import RunLock
lock = RunLock.take(Path(sys.argv[1]))
print("held", flush=True)
import time
time.sleep(60)
"""
