"""Local DuckDB beside one and two Dask workers on the same data: what scale_leads and scale_links share.

Each subject returns its result and the seconds it worked: a local one is timed around its call; a Dask one
starts its ``LocalCluster`` (worker processes of one thread) before its clock, since a standing cluster is
what an installation runs, and times only the work. Every subject must return the first local run's result
(which also warms the page cache): the bench fails otherwise.

Each Dask row carries its speed-up over local DuckDB at 2 threads (``ratio``) and its per-core efficiency
(the local time on as many cores / the Dask time); ``load`` is the 1-minute load average after the run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
Row = dict[str, object]
WORKER_MEMORY = "6GB"  # per Dask worker process; DuckDB is held to half of it per task


def _local(work: Callable[[], T]) -> Callable[[], tuple[T, float]]:
    def run() -> tuple[T, float]:
        started = time.perf_counter()
        result = work()
        return result, time.perf_counter() - started

    return run


def _on_dask(workers: int, work: Callable[[Any], T]) -> Callable[[], tuple[T, float]]:
    def run() -> tuple[T, float]:
        from distributed import Client, LocalCluster  # noqa: PLC0415

        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=":0",
                memory_limit=WORKER_MEMORY,
            ) as cluster,
            Client(cluster, set_as_default=False) as client,  # type: ignore[no-untyped-call]
        ):
            client.wait_for_workers(workers)
            started = time.perf_counter()
            result = work(client)
            return result, time.perf_counter() - started

    return run


def side_by_side(
    *,
    benchmark: str,
    data: str,
    count: int,
    per_core: str,
    local: Callable[[int], T],
    dask: Callable[[Any], T],
    describe: Callable[[T], str],
) -> list[Row]:
    """The four rows: ``local(threads)`` at 2 and 1 threads, ``dask(client)`` on 1 and 2 workers.

    ``count``: the items the work handles (its rate per core is the ``per_core`` column); ``describe``: the
    note on a result (``"125,001 leads"``)."""
    expected = local(2)  # warms the page cache; the reference result
    subjects: tuple[tuple[str, int, Callable[[], tuple[T, float]]], ...] = (
        ("local DuckDB, 2 threads", 2, _local(lambda: local(2))),
        ("local DuckDB, 1 thread", 1, _local(lambda: local(1))),
        ("Dask, 1 worker", 1, _on_dask(1, dask)),
        ("Dask, 2 workers", 2, _on_dask(2, dask)),
    )
    times: dict[int, float] = {}
    rows: list[Row] = []
    for subject, cores, run in subjects:
        result, seconds = run()
        if result != expected:
            raise AssertionError(f"{subject} returned another result than the local run")
        row: Row = {
            "benchmark": benchmark,
            "data": data,
            "subject": subject,
            "metric": "time",
            "value": seconds,
            "unit": "s",
            per_core: count / seconds / cores,
            "note": f"{describe(result)}, identical to local",
            "load": os.getloadavg()[0],  # the machine is shared: how fair the run was
        }
        if subject.startswith("Dask"):
            row["ratio"] = times[2] / seconds
            row["per-core efficiency"] = times[cores] / seconds
        else:
            times[cores] = seconds
        rows.append(row)
    return rows
