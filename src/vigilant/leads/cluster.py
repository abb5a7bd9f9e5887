"""Lead aggregation on a Dask cluster: DuckDB folds each partition of the observations on a worker, the
client combines the per-IP figures and joins them into leads, with the single-machine path's result.

Why DuckDB per partition, combined on the client, rather than Dask dataframes: a worker runs the very SQL
of the single-machine path (:func:`vigilant.leads.aggregate.ip_figures`) on its files, and every per-IP
figure is a sum, a minimum, a maximum, an "any" or a set, which combine exactly, whatever the split and
in any order (:func:`~vigilant.leads.aggregate.combine_figures`): the same leads, scores and order hold by
construction. Dask dataframes would restate the fold in pandas (fixed-size binary digests, nullable
booleans, distinct lists per group): a second implementation to keep equal to the first.

Partitions are runs of consecutive observation files (an observer session or an import each, in name
order), balanced by bytes, one per worker thread of the cluster by default. Why so few: a partition's
work has a part that grows with its rows, and a part that grows with the distinct (IP, torrent, peer,
client, day) rows it folds to; files that each cover every IP (sessions running side by side) fold to
nearly as many rows as the whole folder, so every extra partition repeats that part. A partition's id
is its first file's name and its file count: the same folder gives the same partitions. Workers read
the files at the client's paths, or where their ``VIGILANT_PATH_MAP`` says the shared storage holding the
observations folder is mounted on them (as triage's workers find the evidence). What comes back is
small (one row per IP per partition). A worker that dies in the middle of a partition loses nothing:
Dask hands the partition to another worker, and a partition is a pure function of its files and the
window.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from vigilant.errors import VigilantError
from vigilant.leads.aggregate import (
    LeadAggregate,
    Window,
    combine_figures,
    connect,
    ip_figures,
    ip_stats,
    leads_from,
    parquet_glob,
)
from vigilant.leads.errors import LeadError

if TYPE_CHECKING:
    from distributed import Client

CONNECT_SECONDS = 10.0
WORKER_WAIT_SECONDS = 30.0


class LeadClusterError(LeadError):
    """The Dask scheduler could not be reached, had no workers, or a worker could not read a partition."""


class PartitionReadError(Exception):
    """Raised on a worker: its message names the worker and the partition (plain, so it pickles whole)."""


@dataclass(frozen=True)
class Partition:
    id: str
    files: tuple[str, ...]
    size: int  # bytes


@dataclass(frozen=True)
class ClusterSettings:
    """How partitions run: DuckDB threads and memory per task (a worker runs as many tasks at once as it
    has threads, so ``dask worker --nthreads N`` with one DuckDB thread a task keeps N cores busy)."""

    threads_per_task: int = 1
    memory_per_task: str = "4GB"
    partitions: int | None = None  # None: one per worker thread of the cluster


def plan_partitions(observations_dir: Path, count: int) -> list[Partition]:
    """The observation files in name order, cut into at most ``count`` runs of about equal bytes (a file
    goes to the run its middle byte falls in)."""
    parquet_glob(observations_dir)  # no files at all: the single-machine path's clear error
    paths = sorted(observations_dir.glob("*.parquet"))
    sizes = [path.stat().st_size for path in paths]
    total = max(sum(sizes), 1)
    groups: dict[int, list[tuple[str, int]]] = {}
    before = 0
    for path, size in zip(paths, sizes, strict=True):
        index = min(count - 1, (2 * before + size) * count // (2 * total))
        groups.setdefault(index, []).append((str(path.resolve()), size))
        before += size
    return [_partition(groups[index]) for index in sorted(groups)]


def _partition(files: list[tuple[str, int]]) -> Partition:
    first = Path(files[0][0]).name
    return Partition(
        id=f"{first}+{len(files)}", files=tuple(f for f, _ in files), size=sum(n for _, n in files)
    )


def fold_partition(
    partition: Partition, known: pa.Table, window: Window, settings: ClusterSettings
) -> pa.Table:
    """On a worker: the per-IP figures of one partition's observations, read where this worker's path map
    says the client's files are."""
    try:
        files = worker_paths(partition.files)
    except ValueError as exc:  # the worker's VIGILANT_PATH_MAP is not a map
        raise PartitionReadError(f"{worker_name()} could not read partition {partition.id}: {exc}") from None
    con = connect(memory_limit=settings.memory_per_task, threads=settings.threads_per_task)
    con.execute("SET enable_progress_bar = false")  # nobody watches a worker's standard error
    try:
        return ip_figures(con, files, known, window)
    except duckdb.Error as exc:  # unreadable or not Parquet: DuckDB's message names the file
        raise PartitionReadError(f"{worker_name()} could not read partition {partition.id}: {exc}") from None
    finally:
        con.close()


def worker_paths(files: tuple[str, ...]) -> list[str]:
    """Where this process finds the client's ``files``: mapped by ``VIGILANT_PATH_MAP``, triage's map."""
    # Imported on the workers only: triage's tasks module brings the evidence readers with it.
    from vigilant.triage.cluster_tasks import PATH_MAP_VARIABLE, path_map, worker_path  # noqa: PLC0415

    mapping = path_map(os.environ.get(PATH_MAP_VARIABLE))
    return [worker_path(path, mapping) for path in files]


def worker_name() -> str:
    """``worker tcp://HOST:PORT`` inside a Dask task, for messages that reach the operator."""
    from distributed import get_worker  # noqa: PLC0415  # only ever called inside a task

    try:
        return f"worker {get_worker().address}"
    except ValueError:  # not in a worker (a direct call)
        return "this process"


def aggregate_leads_on(
    client: Client,
    observations_dir: Path,
    known: pa.Table,
    window: Window,
    *,
    settings: ClusterSettings | None = None,
    on_partition: Callable[[int, int], None] | None = None,
) -> list[LeadAggregate]:
    """Leads for the window, as :func:`vigilant.leads.aggregate.aggregate_leads` makes them, with each
    partition folded on the cluster; ``on_partition(done, total)`` is called as partitions finish."""
    from distributed import as_completed  # noqa: PLC0415

    settings = settings or ClusterSettings()
    count = settings.partitions or max(1, sum(client.nthreads().values()))  # type: ignore[no-untyped-call]
    partitions = plan_partitions(observations_dir, count)
    token = uuid.uuid4().hex[:12]  # keys unique to this build: files may have changed since the last
    # The known table goes out as a task's result, not as scattered data: a worker lost while holding
    # scattered data loses it for good (the scheduler forgets every task that needs it), a task's result
    # is recomputed elsewhere.
    known_future = client.submit(_hold, known, key=f"leads-known-{token}")
    futures = [
        client.submit(fold_partition, p, known_future, window, settings, key=f"leads-fold-{token}-{p.id}")
        for p in partitions
    ]
    parts: list[pa.Table] = []
    try:
        for done, future in enumerate(as_completed(futures, loop=client.loop), start=1):  # type: ignore[no-untyped-call]
            parts.append(future.result())
            if on_partition is not None:
                on_partition(done, len(partitions))
    except PartitionReadError as exc:
        raise LeadClusterError(
            str(exc),
            hint="every worker must read the observations folder on shared storage, at the client's path "
            "or where its VIGILANT_PATH_MAP=SERVER_PATH=WORKER_PATH says",
        ) from None
    finally:
        # distributed's Client is only partly annotated: its untyped calls are marked where they are made.
        client.cancel([*futures, known_future])  # type: ignore[no-untyped-call]
    con = connect()
    try:
        figures = combine_figures(con, parts)
    finally:
        con.close()
    return leads_from(ip_stats(figures), known)


def _hold(table: pa.Table) -> pa.Table:
    return table


def open_client(
    scheduler: str,
    *,
    timeout: float = CONNECT_SECONDS,
    worker_wait: float = WORKER_WAIT_SECONDS,
    error: type[VigilantError] = LeadClusterError,
    reads: str = "the observations folder",
) -> Client:
    """A client of the scheduler at ``scheduler`` (``tcp://HOST:8786``) that has at least one worker;
    ``error`` is raised otherwise, its hint naming what the workers must read (link building's too)."""
    # Imported when a build goes to a cluster: distributed takes ~0.5 s to import, every command would.
    from distributed import Client  # noqa: PLC0415

    try:
        client = Client(scheduler, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except OSError as exc:
        raise error(
            f"no Dask scheduler answers at {scheduler}: {exc}",
            hint="start one with `dask scheduler` and workers with `dask worker ADDRESS`, "
            "or build without --scheduler on this machine",
        ) from None
    try:
        client.wait_for_workers(1, timeout=worker_wait)
    except TimeoutError:
        client.close()  # type: ignore[no-untyped-call]
        raise error(
            f"the Dask scheduler at {scheduler} has no worker (waited {worker_wait:.0f} s)",
            hint=f"start workers with `dask worker ADDRESS` on machines that mount {reads}",
        ) from None
    return client


def aggregate_leads_at(
    scheduler: str,
    observations_dir: Path,
    known: pa.Table,
    window: Window,
    *,
    settings: ClusterSettings | None = None,
    on_partition: Callable[[int, int], None] | None = None,
) -> list[LeadAggregate]:
    """:func:`aggregate_leads_on` through a client of the scheduler at that address, closed after."""
    client = open_client(scheduler)
    try:
        return aggregate_leads_on(
            client, observations_dir, known, window, settings=settings, on_partition=on_partition
        )
    finally:
        client.close()  # type: ignore[no-untyped-call]
