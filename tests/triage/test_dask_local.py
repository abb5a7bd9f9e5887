"""Triage on a Dask LocalCluster: the same batch files and reports as the local runner; path mapping; per-
worker progress; a paused cluster run resumed here (SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.triage.dask_clusters import EXAMINER, SMALL_BATCHES, outputs
from tests.triage.scenario import build
from vigilant.errors import ConflictError
from vigilant.store import Database
from vigilant.triage.cluster import ClusterError, ClusterRun
from vigilant.triage.cluster_tasks import path_map, worker_path
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService, batch_numbers, batch_ranges


def test_a_cluster_run_gives_the_local_runs_batches_and_reports(
    db: Database, tmp_path: Path, dask_cluster: Any
) -> None:
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(
        scenario.seized, actor=EXAMINER, label="laptop", case_number="2026-0042", case_pending=True
    )
    here = service.start(item.id, SMALL_BATCHES, EXAMINER, Progress())
    told: list[tuple[int, int]] = []
    there = service.start(
        item.id,
        SMALL_BATCHES,
        EXAMINER,
        Progress(on_total=lambda files, size: told.append((files, size))),
        cluster=ClusterRun(dask_cluster.scheduler_address),
    )

    local, remote = outputs(service, here), outputs(service, there)
    assert len([name for name in local if name.startswith("batch-")]) > 3  # several batches to share
    assert remote == local
    row = service.status(there, EXAMINER)
    assert (row.status, row.scheduler, row.batches_total) == (
        "finished",
        dask_cluster.scheduler_address,
        row.batches_done,
    )
    assert told == [(row.files_total, row.bytes_total)]
    # Each batch was written once, by one of the two workers, and the workers' figures add up to the run's.
    workers = row.workers or {}
    assert set(workers) == set(dask_cluster.scheduler_info["workers"])  # one device split across both
    batches = row.batches_total or 0
    done = [n for w in workers.values() for n in batch_numbers(w["batches"])]
    assert sorted(done) == list(range(batches))
    assert sum(w["files"] for w in workers.values()) == row.files_total
    assert sum(w["bytes"] for w in workers.values()) == row.bytes_total
    assert service.status(here, EXAMINER).workers == {
        "local": {
            "batches": f"0-{batches - 1}",
            "count": batches,
            "files": row.files_total,
            "bytes": row.bytes_total,
        }
    }


def test_workers_find_the_evidence_through_their_path_map(
    db: Database, tmp_path: Path, dask_cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(
        scenario.seized, actor=EXAMINER, label="laptop", case_number="2026-0042", case_pending=True
    )
    here = service.start(item.id, SMALL_BATCHES, EXAMINER, Progress())
    # The evidence now lives where only the workers' map says: the server's path no longer exists.
    mounted = tmp_path / "mnt" / "evidence"
    mounted.parent.mkdir()
    scenario.seized.rename(mounted)
    monkeypatch.setenv("VIGILANT_PATH_MAP", f"/elsewhere=/nowhere;{scenario.seized}={mounted}")
    there = service.start(
        item.id, SMALL_BATCHES, EXAMINER, Progress(), cluster=ClusterRun(dask_cluster.scheduler_address)
    )
    assert outputs(service, there) == outputs(service, here)


def test_path_maps_take_the_longest_prefix_and_whole_names() -> None:
    mapping = path_map("/evidence=/mnt/evidence; /evidence/case7=/fast/case7/")
    assert worker_path("/evidence/case7/disk.E01", mapping) == "/fast/case7/disk.E01"
    assert worker_path("/evidence/case1/disk.E01", mapping) == "/mnt/evidence/case1/disk.E01"
    assert worker_path("/evidence", mapping) == "/mnt/evidence"
    assert worker_path("/evidences/x", mapping) == "/evidences/x"  # a prefix of the name is not a folder
    assert worker_path("/other/x", mapping) == "/other/x"
    with pytest.raises(ValueError, match="SERVER_PATH=WORKER_PATH"):
        path_map("/evidence")


def test_batch_ranges_round_trip() -> None:
    assert batch_ranges({0, 1, 2, 5, 7, 8}) == "0-2,5,7-8"
    assert batch_ranges(set()) == ""
    assert batch_numbers("0-2,5,7-8") == [0, 1, 2, 5, 7, 8]


def test_a_cluster_run_paused_resumes_here_with_the_same_results(
    db: Database, tmp_path: Path, dask_cluster: Any
) -> None:
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(
        scenario.seized, actor=EXAMINER, label="laptop", case_number="2026-0042", case_pending=True
    )
    here = service.start(item.id, SMALL_BATCHES, EXAMINER, Progress())

    run_id = service.create(item.id, SMALL_BATCHES, EXAMINER)

    def pause(files: int, size: int) -> None:
        service.control(run_id, "pause", EXAMINER)

    # Paused as soon as the plan is in: the client stops before any batch is written or after a few.
    service.work(
        run_id,
        EXAMINER,
        Progress(on_total=pause),
        cluster=ClusterRun(dask_cluster.scheduler_address),
    )
    paused = service.status(run_id, EXAMINER)
    assert (paused.status, paused.control) == ("paused", None)
    assert paused.batches_done < (paused.batches_total or 0)
    with pytest.raises(ConflictError, match="is paused"):
        service.control(run_id, "pause", EXAMINER)

    service.resume(run_id, EXAMINER, Progress())  # here, without the cluster
    row = service.status(run_id, EXAMINER)
    assert (row.status, row.scheduler) == ("finished", "local")
    assert outputs(service, run_id) == outputs(service, here)


def test_no_scheduler_is_a_clear_error(db: Database, tmp_path: Path) -> None:
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(
        scenario.seized, actor=EXAMINER, label="laptop", case_number="2026-0042", case_pending=True
    )
    with pytest.raises(ClusterError, match=r"no Dask scheduler at tcp://127\.0\.0\.1:9"):
        service.start(
            item.id,
            SMALL_BATCHES,
            EXAMINER,
            Progress(),
            cluster=ClusterRun("tcp://127.0.0.1:9", connect_timeout=1),
        )
