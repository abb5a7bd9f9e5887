"""Lead aggregation at scale: the local DuckDB path beside the same build on one and two Dask workers.

Data: ``leads_bench``'s synthetic observations (documentation-range IPs, ~500 observations per IP, known and
unknown torrents, three tiers, peer ids joining 1% of IPs), written to a temporary folder in files of 10^7
rows, the way observer sessions and imports accumulate (generation is not timed).

Subjects, one after the other on the same files (the page cache warmed by a first untimed local run):

* local DuckDB: :func:`vigilant.leads.aggregate.aggregate_leads`, ``threads=2`` (the CLI's default) and
  ``threads=1`` (the per-core yardstick for one worker);
* Dask, 1 and 2 workers: :func:`vigilant.leads.cluster.aggregate_leads_on` on a ``LocalCluster`` of worker
  processes with one thread each, DuckDB one thread per task, one partition per worker (runs of files
  balanced by bytes); the time includes planning, shipping the known table, the folds, the per-IP
  figures coming back and the client's combine.

Each Dask row carries its speed-up over local DuckDB (``ratio``: local time / Dask time) and its per-core
efficiency: observations per second per core over the local path's, at one core and at two; ``load``
is the 1-minute load average after the run (the machine is shared). Every run must return the same leads
as the local path: the module fails otherwise.

Scales: full 10^8 observations; quick 10^6. ``scale_bench`` (issue 16) prints these rows;
run alone: ``.venv/bin/python bench/scale_leads.py [--quick]``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # run alone or imported by scale_bench: leads_bench is a sibling
    sys.path.insert(0, str(BENCH_DIR))

from leads_bench import AS_OF, generate, known_table  # noqa: E402
from vigilant.leads.aggregate import LeadAggregate, Window, aggregate_leads, connect  # noqa: E402
from vigilant.leads.cluster import ClusterSettings, aggregate_leads_on  # noqa: E402

Row = dict[str, object]
SIZES = {True: 10**6, False: 10**8}
BENCHMARK = "lead aggregation at scale"
WORKER_MEMORY = "6GB"  # per Dask worker process; DuckDB is held to half of it per task
TASK = ClusterSettings(threads_per_task=1, memory_per_task="3GB")  # one partition per worker thread


def _local(threads: int) -> Callable[[Path, pa.Table, Window], list[LeadAggregate]]:
    def run(folder: Path, known: pa.Table, window: Window) -> list[LeadAggregate]:
        con = connect(memory_limit="8GB", threads=threads)
        try:
            return aggregate_leads(folder, known, window, con=con)
        finally:
            con.close()

    return run


def _dask(workers: int) -> Callable[[Path, pa.Table, Window], list[LeadAggregate]]:
    def run(folder: Path, known: pa.Table, window: Window) -> list[LeadAggregate]:
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
            leads = aggregate_leads_on(client, folder, known, window, settings=TASK)
            _timed[0] = time.perf_counter() - started
            return leads

    return run


_timed = [0.0]  # a Dask run's own time, without starting its cluster


def rows(quick: bool) -> list[Row]:
    """The rows for ``bench/run.py``'s table: local DuckDB, then one and two Dask workers."""
    n = SIZES[quick]
    known = known_table()
    window = Window(AS_OF, 90)
    work = Path(tempfile.mkdtemp(prefix="vigilant-scale-leads-"))
    out: list[Row] = []
    try:
        folder = work / "observations"
        generate(folder, n)
        files = len(list(folder.glob("*.parquet")))
        data = f"10^{len(str(n)) - 1} observations, {files} files"
        expected = _local(2)(folder, known, window)  # warms the page cache; the reference result
        times: dict[str, float] = {}
        subjects = (
            ("local DuckDB, 2 threads", 2, _local(2)),
            ("local DuckDB, 1 thread", 1, _local(1)),
            ("Dask, 1 worker", 1, _dask(1)),
            ("Dask, 2 workers", 2, _dask(2)),
        )
        for subject, cores, run in subjects:
            started = time.perf_counter()
            leads = run(folder, known, window)
            seconds = _timed[0] if subject.startswith("Dask") else time.perf_counter() - started
            if leads != expected:
                raise AssertionError(f"{subject} returned other leads than the local path")
            times[subject] = seconds
            row: Row = {
                "benchmark": BENCHMARK,
                "data": data,
                "subject": subject,
                "metric": "time",
                "value": seconds,
                "unit": "s",
                "observations/s per core": n / seconds / cores,
                "note": f"{len(leads):,} leads, identical to local",
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
    print_rows(Console(), f"scale_leads — {'quick' if quick else 'full'}", rows(quick))
