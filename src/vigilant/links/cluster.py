"""Shared-file links on a Dask cluster: each task counts the device pairs' shared files over one range of
SHA-256 digests, the client adds the ranges up and weighs them, with the single-machine build's links.

Why ranges of digests: a file links devices through its digest alone, and its rarity (how many devices
hold it) needs every record of that digest. Cut by digest, a task holds all of a file's records, so its
figures are final for its files; cut by device or by batch file, every task would need every other's
records of its digests (a shuffle). Each task runs the single-machine SQL
(:data:`vigilant.links.build_shared_files.PAIRS_SQL`) over every record file, keeping the digests of its
range, and returns integers and digests: per device pair, how many of its files n devices hold (for each
n), its file count, and its first files listed. These add up exactly in any order
(:func:`~vigilant.links.build_shared_files.combine`), and the client weighs them with the one weighing
(:func:`~vigilant.links.build_shared_files.weighed`): the same links, weights and explanations by
construction. The price: every task reads the record files' digest columns whole, so one range per
worker thread (the default) reads them once per thread; what comes back is one row per linked pair per
range.

Workers read the runs' record files on shared storage, at the client's paths or where their
``VIGILANT_PATH_MAP`` says (triage's map). A worker that dies mid-task loses nothing: Dask reruns the
range elsewhere, and a range is a pure function of the files and the settings.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from vigilant.leads.aggregate import connect
from vigilant.leads.cluster import ClusterSettings, open_client, worker_name, worker_paths
from vigilant.links.build_shared_files import (
    HIGHEST,
    Figures,
    Pair,
    combine,
    figures_of,
    max_devices,
    pair_table,
    weighed,
)
from vigilant.links.errors import LinksError

if TYPE_CHECKING:
    from distributed import Client

PREFIXES = 1 << 16  # ranges are cut on the digests' first two bytes


class LinksClusterError(LinksError):
    """The Dask scheduler could not be reached, had no workers, or a worker could not read the records."""


class RangeReadError(Exception):
    """Raised on a worker: its message names the worker and the range (plain, so it pickles whole)."""


@dataclass(frozen=True)
class DigestRange:
    """The SHA-256 digests in [low, high): ``id`` names the first and last two-byte prefixes, in hex."""

    id: str
    low: bytes
    high: bytes


def plan_ranges(count: int) -> list[DigestRange]:
    """``count`` ranges (at most 65,536) of about as many digests each, covering every digest once."""
    count = max(1, min(count, PREFIXES))
    cuts = [index * PREFIXES // count for index in range(count + 1)]
    return [
        DigestRange(
            id=f"{first:04x}-{end - 1:04x}",
            low=first.to_bytes(2, "big") if first else b"",
            high=end.to_bytes(2, "big") if end < PREFIXES else HIGHEST,
        )
        for first, end in itertools.pairwise(cuts)
    ]


@dataclass(frozen=True)
class SharedFilesJob:
    """What every range's task reads: the client's record files, the devices, and the build's rules."""

    files: tuple[str, ...]
    items: tuple[int, ...]  # evidence ids of the devices triaged
    most_devices: int  # a file on more devices never links
    listed: int  # files named in a link's explanation
    settings: ClusterSettings


def range_figures(job: SharedFilesJob, digests: DigestRange) -> pa.Table:
    """On a worker: the figures of every linked pair over the files whose digests are in ``digests``."""
    failed = f"{worker_name()} could not read the triage records for digests {digests.id}"
    try:
        local = worker_paths(job.files)
    except ValueError as exc:  # the worker's VIGILANT_PATH_MAP is not a map
        raise RangeReadError(f"{failed}: {exc}") from None
    settings = job.settings
    con = connect(memory_limit=settings.memory_per_task, threads=settings.threads_per_task)
    con.execute("SET enable_progress_bar = false")  # nobody watches a worker's standard error
    try:
        return pair_table(
            con,
            local,
            job.items,
            most_devices=job.most_devices,
            listed=job.listed,
            low=digests.low,
            high=digests.high,
        )
    except duckdb.Error as exc:  # missing, unreadable or not Parquet: DuckDB's message names the file
        raise RangeReadError(f"{failed}: {exc}") from None
    finally:
        con.close()


def shared_figures_on(
    client: Client,
    files: Sequence[str],
    items: Sequence[int],
    *,
    max_share: float,
    listed: int,
    settings: ClusterSettings | None = None,
    on_range: Callable[[int, int], None] | None = None,
) -> list[Figures]:
    """What :func:`~vigilant.links.build_shared_files.pair_figures` gives over all digests on one machine,
    with each range counted on the cluster; ``on_range(done, total)`` is called as ranges finish."""
    from distributed import as_completed  # noqa: PLC0415

    settings = settings or ClusterSettings()
    count = settings.partitions or max(1, sum(client.nthreads().values()))  # type: ignore[no-untyped-call]
    ranges = plan_ranges(count)
    job = SharedFilesJob(tuple(files), tuple(items), max_devices(len(items), max_share), listed, settings)
    token = uuid.uuid4().hex[:12]  # keys unique to this build: the runs may have changed since the last
    futures = [
        client.submit(range_figures, job, digests, key=f"links-shared-{token}-{digests.id}")
        for digests in ranges
    ]
    parts: list[list[Figures]] = []
    try:
        for done, future in enumerate(as_completed(futures, loop=client.loop), start=1):  # type: ignore[no-untyped-call]
            parts.append(figures_of(future.result()))
            if on_range is not None:
                on_range(done, len(ranges))
    except RangeReadError as exc:
        raise LinksClusterError(
            str(exc),
            hint="every worker must read the triage results on shared storage, at the client's path or "
            "where its VIGILANT_PATH_MAP=SERVER_PATH=WORKER_PATH says",
        ) from None
    finally:
        client.cancel(futures)  # type: ignore[no-untyped-call]  # distributed is only partly annotated
    return combine(parts, listed)


def shared_pairs_on(
    client: Client,
    files: Sequence[str],
    items: Sequence[int],
    *,
    max_share: float,
    listed: int,
    settings: ClusterSettings | None = None,
) -> list[Pair]:
    """:func:`~vigilant.links.build_shared_files.shared_pairs`, counted on the cluster, weighed here."""
    figures = shared_figures_on(client, files, items, max_share=max_share, listed=listed, settings=settings)
    return weighed(figures, len(items))


def shared_pairs_at(
    scheduler: str,
    files: Sequence[str],
    items: Sequence[int],
    *,
    max_share: float,
    listed: int,
    ranges: int | None = None,
) -> list[Pair]:
    """:func:`shared_pairs_on` through a client of the scheduler at that address, closed after."""
    client = open_client(scheduler, error=LinksClusterError, reads="the triage results")
    try:
        return shared_pairs_on(
            client,
            files,
            items,
            max_share=max_share,
            listed=listed,
            settings=ClusterSettings(partitions=ranges),
        )
    finally:
        client.close()  # type: ignore[no-untyped-call]
