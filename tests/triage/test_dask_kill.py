"""A real `dask scheduler` and two `dask worker` processes on 127.0.0.1: one is killed (SIGKILL) in the
middle of a batch; the batch reruns on the other and the run ends with the local runner's very bytes."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.triage.dask_clusters import (
    EXAMINER,
    FORMATS,
    SMALL_BATCHES,
    START_SECONDS,
    DaskProcesses,
    dask_processes,
    outputs,
)
from tests.triage.scenario import build
from vigilant.store import Database
from vigilant.triage.cluster import ClusterRun
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService, batch_numbers

BATCH_SECONDS = 0.8  # each batch waits this long on the workers, so one is surely in flight when killed

# Loaded by each worker (`dask worker --preload`): a batch first leaves a mark naming itself and the worker
# process, then waits, then runs as usual. Tasks name the function by module and name, so the workers call
# this wrapper.
SLOW_PRELOAD = """
import os, pathlib, time
import vigilant.triage.cluster_tasks as tasks
# Dask imports a preload more than once: wrap the real function, never a wrapper.
_real = tasks.__dict__.setdefault("unslowed_run_batch", tasks.run_batch)
def _slow(evidence, settings, pdq_methods, index, real=_real):
    marks = pathlib.Path(os.environ["VIGILANT_TEST_MARKS"])
    (marks / f"{index}-{os.getpid()}").touch()
    time.sleep(float(os.environ["VIGILANT_TEST_BATCH_SECONDS"]))
    return real(evidence, settings, pdq_methods, index)
tasks.run_batch = _slow
"""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[DaskProcesses]:
    marks = tmp_path / "marks"
    marks.mkdir()
    preload = tmp_path / "slow_batches.py"
    preload.write_text(SLOW_PRELOAD)
    env = {**os.environ, "VIGILANT_TEST_MARKS": str(marks), "VIGILANT_TEST_BATCH_SECONDS": str(BATCH_SECONDS)}
    with dask_processes(tmp_path, env, ("--preload", str(preload))) as processes:
        yield processes


@pytest.mark.slow
def test_a_worker_killed_mid_batch_changes_nothing(
    db: Database, tmp_path: Path, cluster: DaskProcesses
) -> None:
    scenario = build(tmp_path / "case", db)
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(
        scenario.seized, actor=EXAMINER, label="laptop", case_number="2026-0042", case_pending=True
    )
    here = service.start(item.id, SMALL_BATCHES, EXAMINER, Progress())

    killed: list[tuple[int, int]] = []  # (batch, pid)
    marks = tmp_path / "marks"

    def kill_the_first_worker_to_take_a_batch() -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            for mark in marks.iterdir():
                batch, pid = (int(part) for part in mark.name.split("-"))
                assert pid in cluster.workers.values()  # never a process this test did not start
                os.kill(pid, signal.SIGKILL)  # mid-batch: it is still waiting before reading the batch
                killed.append((batch, pid))
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_first_worker_to_take_a_batch)
    killer.start()
    try:
        there = service.start(
            item.id, SMALL_BATCHES, EXAMINER, Progress(), cluster=ClusterRun(cluster.address)
        )
    finally:
        killer.join()

    [(batch, pid)] = killed
    [dead] = [address for address, each in cluster.workers.items() if each == pid]
    [alive] = [address for address in cluster.workers if address != dead]
    row = service.status(there, EXAMINER)
    assert row.status == "finished"
    workers = row.workers or {}
    assert batch in batch_numbers(workers[alive]["batches"])  # redone by the worker that lived
    assert batch not in batch_numbers(workers.get(dead, {}).get("batches", ""))
    assert sorted(n for w in workers.values() for n in batch_numbers(w["batches"])) == list(
        range(row.batches_total or 0)
    )
    written = outputs(service, there)
    assert set(FORMATS) <= {name.removeprefix("report.") for name in written}
    assert written == outputs(service, here)
