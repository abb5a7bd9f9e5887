"""Shared-file links at scale: the local DuckDB build beside the same build on one and two Dask workers.

Data: ``links_bench``'s synthetic file records (the full ``triage-records`` schema, one Parquet file per
device of 1,000; 90 % of each device's files its own, 10 % from a Zipf-popular shared pool, 1 % of it
known-bad, 0.5 % known-good), written to a temporary folder (generation is not timed).

Subjects, one after the other on the same files (the page cache warmed by a first untimed local run):

* local DuckDB: :func:`vigilant.links.build_shared_files.shared_pairs` (what ``vigilant links build`` runs
  on one machine: the figures of every pair, then the weighing), ``threads=2`` and ``threads=1`` (the
  per-core yardstick for one worker);
* Dask, 1 and 2 workers: :func:`vigilant.links.cluster.shared_pairs_on` on a ``LocalCluster`` of worker
  processes with one thread each, DuckDB one thread per task, one SHA-256 range per worker thread; the
  time includes every task reading the record files, the figures coming back as Arrow, the client's
  combine and the weighing.

Each Dask row carries its speed-up over local DuckDB at 2 threads (``ratio``: local time / Dask time) and
its per-core efficiency (the local time on as many cores / the Dask time); ``load`` is the 1-minute load
average after the run: the machine is shared with other engineers' jobs, so read every figure with it.
Every run must return the local build's pairs, weights and file lists: the module fails otherwise.

Scales: full 10^7 records; quick 10^6. Run alone: ``.venv/bin/python bench/scale_links.py [--quick]``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # run alone: links_bench is a sibling
    sys.path.insert(0, str(BENCH_DIR))

from links_bench import DEVICES, generate  # noqa: E402
from vigilant.leads.cluster import ClusterSettings  # noqa: E402
from vigilant.links.build_shared_files import Pair, shared_pairs  # noqa: E402
from vigilant.links.cluster import shared_pairs_on  # noqa: E402

Row = dict[str, object]
SIZES = {True: 10**6, False: 10**7}
BENCHMARK = "shared-file links at scale"
MAX_SHARE, LISTED = 0.05, 50  # the builder's defaults
WORKER_MEMORY = "6GB"  # per Dask worker process; DuckDB is held to half of it per task
TASK = ClusterSettings(threads_per_task=1, memory_per_task="3GB")  # one range per worker thread
ITEMS = list(range(1, DEVICES + 1))

Subject = Callable[[list[str]], list[Pair]]


def _local(threads: int) -> Subject:
    def run(files: list[str]) -> list[Pair]:
        with duckdb.connect() as con:
            con.execute(f"SET threads = {threads}")
            con.execute("SET memory_limit = '8GB'")
            return shared_pairs(con, files, ITEMS, max_share=MAX_SHARE, listed=LISTED)

    return run


_timed = [0.0]  # a Dask run's own time, without starting its cluster


def _dask(workers: int) -> Subject:
    def run(files: list[str]) -> list[Pair]:
        from distributed import Client, LocalCluster  # noqa: PLC0415

        # The cluster starts before the clock: a standing cluster is what an installation runs.
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
            pairs = shared_pairs_on(client, files, ITEMS, max_share=MAX_SHARE, listed=LISTED, settings=TASK)
            _timed[0] = time.perf_counter() - started
            return pairs

    return run


def rows(quick: bool) -> list[Row]:
    """The rows for ``bench/run.py``'s table: local DuckDB, then one and two Dask workers."""
    n = SIZES[quick]
    work = Path(tempfile.mkdtemp(prefix="vigilant-scale-links-"))
    out: list[Row] = []
    try:
        files = generate(work / "records", n)
        data = f"10^{len(str(n)) - 1} records, {DEVICES} devices"
        expected = _local(2)(files)  # warms the page cache; the reference result
        times: dict[str, float] = {}
        subjects: tuple[tuple[str, int, Subject], ...] = (
            ("local DuckDB, 2 threads", 2, _local(2)),
            ("local DuckDB, 1 thread", 1, _local(1)),
            ("Dask, 1 worker", 1, _dask(1)),
            ("Dask, 2 workers", 2, _dask(2)),
        )
        for subject, cores, run in subjects:
            started = time.perf_counter()
            pairs = run(files)
            seconds = _timed[0] if subject.startswith("Dask") else time.perf_counter() - started
            if pairs != expected:
                raise AssertionError(f"{subject} returned other pairs than the local build")
            times[subject] = seconds
            row: Row = {
                "benchmark": BENCHMARK,
                "data": data,
                "subject": subject,
                "metric": "time",
                "value": seconds,
                "unit": "s",
                "records/s per core": n / seconds / cores,
                "note": f"{len(pairs):,} linked pairs, identical to local",
                # The machine is shared: the 1-minute load average after the run says how fair it was.
                "load": os.getloadavg()[0],
            }
            if subject.startswith("Dask"):
                local = times["local DuckDB, 2 threads"] if cores == 2 else times["local DuckDB, 1 thread"]
                row["ratio"] = times["local DuckDB, 2 threads"] / seconds
                row["per-core efficiency"] = local / seconds
            out.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def run(scale: str) -> list[Row]:
    """``bench/run.py``'s contract, should the module be listed there."""
    return rows(scale == "quick")


if __name__ == "__main__":
    from rich.console import Console

    from run import print_rows

    quick = "--quick" in sys.argv
    print_rows(Console(), f"scale_links — {'quick' if quick else 'full'}", rows(quick))
