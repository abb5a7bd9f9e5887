"""A triage run's batches on a Dask cluster, with the local runner's results.

The client (the CLI's process, or the web's run worker) asks one Dask worker to plan the run (a walk that
counts the batches), then submits every missing batch as a task of its own, at the run's priority: Dask
hands them to whichever worker is free, so one device is split across all workers, and the batches of a
run with a higher priority go before those of runs queued earlier.

Each task returns its batch's records to the client, which matches them against the library and writes the
batch file atomically, exactly as the local runner does. Why results come back rather than being written
by the workers: the workers then need no write access to the results folder and no copy of the library
(only read access to the evidence), a batch file is only ever written by the one process holding the run's
lock, and a batch computed twice (a worker thought dead that was only slow) is written once. The cost, a
batch's records over the network (about 1 KB a file), is small beside reading the files.

A worker killed in the middle of a batch loses nothing the run needs: the scheduler hands that batch to
another worker (Dask reruns a task whose worker died, up to ``distributed.scheduler.allowed-failures``
times), and the client writes it when it comes back.
"""

from __future__ import annotations

import queue
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigilant.errors import VigilantError
from vigilant.evidence.items import EvidenceInfo
from vigilant.triage.cluster_tasks import BatchDone, Plan, plan, run_batch
from vigilant.triage.matcher import Matcher
from vigilant.triage.runinfo import Coverage
from vigilant.triage.runner import Executed, batch_name, write_atomically
from vigilant.triage.settings import TriageSettings

if TYPE_CHECKING:
    from distributed import Future

POLL_SECONDS = 0.5  # how often a waiting client looks for a pause or cancel asked of the run


class ClusterError(VigilantError):
    """The Dask scheduler could not be reached."""


@dataclass(frozen=True)
class ClusterRun:
    scheduler: str  # tcp://HOST:8786 (the run's priority is among its settings: TriageSettings.priority)
    connect_timeout: float = 10.0


def execute_on_cluster(
    evidence: EvidenceInfo,
    settings: TriageSettings,
    cluster: ClusterRun,
    *,
    matcher: Matcher,
    results_dir: Path,
    on_plan: Callable[[Plan], None],
    on_batch: Callable[[BatchDone], None],
    check: Callable[[], None],
) -> Executed:
    """Do the run's missing batches on the cluster; ``check`` raises to stop (a pause or a cancel)."""
    # Imported when a run goes to a cluster: distributed takes ~0.5 s to import, every CLI command would.
    from distributed import Client  # noqa: PLC0415

    results_dir.mkdir(parents=True, exist_ok=True)
    for leftover in results_dir.glob(".batch-*.partial-*"):
        leftover.unlink()
    token = uuid.uuid4().hex[:12]  # task keys unique to this execution: a resumed run submits afresh
    try:
        client = Client(  # type: ignore[no-untyped-call]  # distributed's Client is not annotated
            cluster.scheduler, timeout=cluster.connect_timeout, set_as_default=False
        )
    except OSError as exc:
        raise ClusterError(
            f"no Dask scheduler at {cluster.scheduler}: {exc}",
            hint="start one with `dask scheduler` and workers with `dask worker`, or run without --scheduler",
        ) from exc
    with client:
        # Futures report here as they finish (the client's own thread calls back): the loop below waits on
        # this queue, a short while at a time, so that it also sees a pause or a cancel asked meanwhile.
        finished: queue.Queue[Future[Any]] = queue.Queue()
        planned = client.submit(
            plan,
            evidence,
            settings,
            key=f"vigilant-plan-{evidence.id}-{token}",
            priority=settings.priority + 1,  # the plan before any batch
        )
        planned.add_done_callback(finished.put)  # type: ignore[no-untyped-call]
        _next(finished, check)
        shape: Plan = planned.result()
        on_plan(shape)
        pending: set[Future[Any]] = set()
        for index in range(shape.batches):
            if (results_dir / batch_name(index)).exists():
                continue  # written by an earlier execution, here or on a cluster
            future = client.submit(
                run_batch,
                evidence,
                settings,
                matcher.pdq_methods,
                index,
                key=f"vigilant-batch-{evidence.id}-{token}-{index:06d}",
                priority=settings.priority,  # Dask's priority: higher first
            )
            future.add_done_callback(finished.put)  # type: ignore[no-untyped-call]
            pending.add(future)
        try:
            while pending:
                done = _next(finished, check)
                pending.discard(done)
                result: BatchDone = done.result()  # a batch that failed fails the run, as locally
                matcher.match(result.records)
                write_atomically(result.records, results_dir / batch_name(result.index))
                on_batch(result)
        except BaseException:
            client.cancel(list(pending))  # type: ignore[no-untyped-call]
            raise
    return Executed(shape.batches, Coverage.from_json(shape.coverage) or Coverage())


def _next(finished: queue.Queue[Future[Any]], check: Callable[[], None]) -> Future[Any]:
    """The next future to finish; ``check`` is called before each wait of :data:`POLL_SECONDS`."""
    while True:
        check()
        try:
            return finished.get(timeout=POLL_SECONDS)
        except queue.Empty:
            continue
