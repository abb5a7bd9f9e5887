"""Many devices queued on one cluster, and a run moved from one cluster to another.

- A run of higher priority goes before the batches of a run queued earlier: on a cluster of one worker of
  one thread, the order in which the worker finishes the batches is recorded.
- A run paused on one cluster resumes on another with the very bytes of a run never interrupted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from distributed import Client

from tests.triage.dask_clusters import EXAMINER, SMALL_BATCHES, local_cluster, outputs, seized_folder
from tests.triage.scenario import build
from vigilant.store import Database
from vigilant.triage import cluster as cluster_module
from vigilant.triage.cluster import ClusterRun
from vigilant.triage.cluster_tasks import BatchDone, run_batch
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService, batch_numbers
from vigilant.triage.settings import TriageSettings

WAIT_SECONDS = 60.0


@dataclass
class _Seen:
    """What the one worker did, in order, and a gate the batches of some items wait at (a token each)."""

    held: set[int] = field(default_factory=set)  # items whose batches wait for a token
    done: list[tuple[int, int]] = field(default_factory=list)  # (item, batch) in the order finished
    gate: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))


SEEN = _Seen()


def gated_batch(*task: Any) -> BatchDone:
    """The workers' task, with run_batch's arguments (the cluster module submits this in its place): the
    LocalCluster's worker runs in this process, so it sees :data:`SEEN`. A token missing lets the batch go
    after a while: the order asserted is then wrong, and the test fails instead of hanging."""
    evidence, *_, index = task
    if evidence.id in SEEN.held:
        SEEN.gate.acquire(timeout=WAIT_SECONDS)
    done = run_batch(*task)
    SEEN.done.append((evidence.id, index))
    return done


def _keys(dask_scheduler: Any) -> list[str]:
    return [str(key) for key in dask_scheduler.tasks]


def _wait(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT_SECONDS} s for {what}")
        time.sleep(0.05)


def test_a_run_of_higher_priority_goes_before_the_batches_of_a_run_queued_earlier(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = TriageService(db, tmp_path / "data")
    items = {}
    for label, files in (("first", 8), ("urgent", 3)):  # a picture and a note each: 2 files, one batch
        items[label] = service.evidence.add(
            seized_folder(tmp_path / label, files=files),
            actor=EXAMINER,
            label=label,
            case_number="2026-0042",
            case_pending=True,
        ).id
    first, urgent = items["first"], items["urgent"]
    low = service.create(first, TriageSettings(batch_files=2, processes=0), EXAMINER)
    high = service.create(urgent, TriageSettings(batch_files=2, processes=0, priority=10), EXAMINER)
    monkeypatch.setattr(cluster_module, "run_batch", gated_batch)
    seen = _Seen(held={first})
    monkeypatch.setattr(f"{__name__}.SEEN", seen)
    errors: list[BaseException] = []

    def work(run_id: int, address: str) -> threading.Thread:
        def target() -> None:
            try:  # a service of its own per thread, as two processes would have
                TriageService(db, tmp_path / "data").work(
                    run_id, EXAMINER, Progress(), cluster=ClusterRun(address)
                )
            except BaseException as exc:  # the test fails with it below
                errors.append(exc)

        thread = threading.Thread(target=target, name=f"run-{run_id}")
        thread.start()
        return thread

    # One worker, one thread; the scheduler sends it one task at a time (saturation 1.0, not Dask's 1.1:
    # with 1.1 a second task of the first run may already sit on the worker when the urgent run comes).
    with (
        local_cluster(workers=1, **{"distributed.scheduler.worker-saturation": 1.0}) as one,
        Client(one.scheduler_address, set_as_default=False) as client,  # type: ignore[no-untyped-call]
    ):

        def submitted(prefix: str) -> int:
            return sum(key.startswith(prefix) for key in client.run_on_scheduler(_keys))

        threads = [work(low, one.scheduler_address)]
        # Every batch of the first run is queued; its batch 0 holds the worker at the gate.
        _wait("the first run's batches", lambda: submitted(f"vigilant-batch-{first}-") == 8)
        threads.append(work(high, one.scheduler_address))
        _wait("the urgent run's plan", lambda: submitted(f"vigilant-plan-{urgent}-") == 1)
        seen.gate.release()  # batch 0 ends; the plan (the urgent run's priority + 1) goes next,
        # then the first run's batch 1 takes the free worker while the urgent run submits its batches.
        _wait("the urgent run's batches", lambda: submitted(f"vigilant-batch-{urgent}-") == 3)
        seen.gate.release(100)
        for thread in threads:
            thread.join(WAIT_SECONDS)
    assert errors == []
    assert seen.done == [
        (first, 0),
        (first, 1),
        (urgent, 0),
        (urgent, 1),
        (urgent, 2),
        *((first, n) for n in range(2, 8)),
    ]
    for run_id in (low, high):
        row = service.status(run_id, EXAMINER)
        assert (row.status, row.batches_done) == ("finished", row.batches_total)
    assert service.status(high, EXAMINER).settings["priority"] == 10


def test_a_run_paused_on_one_cluster_resumes_on_another_with_the_same_bytes(
    db: Database, tmp_path: Path
) -> None:
    scenario = build(tmp_path, db)
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(
        scenario.seized, actor=EXAMINER, label="laptop", case_number="2026-0042", case_pending=True
    )
    here = service.start(item.id, SMALL_BATCHES, EXAMINER, Progress())
    run_id = service.create(item.id, SMALL_BATCHES, EXAMINER)
    asked: list[int] = []

    def pause_after_the_first_batch(files: int, size: int) -> None:
        if not asked:  # the run stops before waiting for its next batch
            asked.append(files)
            service.control(run_id, "pause", EXAMINER)

    with local_cluster() as cluster_a, local_cluster() as cluster_b:
        service.work(
            run_id,
            EXAMINER,
            Progress(on_advance=pause_after_the_first_batch),
            cluster=ClusterRun(cluster_a.scheduler_address),
        )
        paused = service.status(run_id, EXAMINER)
        assert (paused.status, paused.scheduler) == ("paused", cluster_a.scheduler_address)
        assert paused.batches_done == 1 < (paused.batches_total or 0)
        service.resume(run_id, EXAMINER, Progress(), cluster=ClusterRun(cluster_b.scheduler_address))
        on_a = set(cluster_a.scheduler_info["workers"])
        on_b = set(cluster_b.scheduler_info["workers"])

    row = service.status(run_id, EXAMINER)
    assert (row.status, row.scheduler) == ("finished", cluster_b.scheduler_address)
    workers = row.workers or {}
    by_a = [n for name in on_a & set(workers) for n in batch_numbers(workers[name]["batches"])]
    by_b = [n for name in on_b & set(workers) for n in batch_numbers(workers[name]["batches"])]
    assert len(by_a) == 1  # the batch written before the pause, kept
    assert sorted(by_a + by_b) == list(range(row.batches_total or 0))  # the rest on B, none twice
    assert set(workers) <= on_a | on_b
    assert outputs(service, run_id) == outputs(service, here)
