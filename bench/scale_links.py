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

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # run alone: links_bench is a sibling
    sys.path.insert(0, str(BENCH_DIR))

from _dask_side_by_side import side_by_side  # noqa: E402
from links_bench import DEVICES, generate  # noqa: E402
from vigilant.leads.cluster import ClusterSettings  # noqa: E402
from vigilant.links.build_shared_files import Pair, shared_pairs  # noqa: E402
from vigilant.links.cluster import shared_pairs_on  # noqa: E402

Row = dict[str, object]
SIZES = {True: 10**6, False: 10**7}
BENCHMARK = "shared-file links at scale"
MAX_SHARE, LISTED = 0.05, 50  # the builder's defaults
TASK = ClusterSettings(threads_per_task=1, memory_per_task="3GB")  # one range per worker thread
ITEMS = list(range(1, DEVICES + 1))


def _local(files: list[str]) -> Callable[[int], list[Pair]]:
    def run(threads: int) -> list[Pair]:
        with duckdb.connect() as con:
            con.execute(f"SET threads = {threads}")
            con.execute("SET memory_limit = '8GB'")
            return shared_pairs(con, files, ITEMS, max_share=MAX_SHARE, listed=LISTED)

    return run


def rows(quick: bool) -> list[Row]:
    """The rows for ``bench/run.py``'s table: local DuckDB, then one and two Dask workers."""
    n = SIZES[quick]
    work = Path(tempfile.mkdtemp(prefix="vigilant-scale-links-"))
    try:
        files = generate(work / "records", n)
        return side_by_side(
            benchmark=BENCHMARK,
            data=f"10^{len(str(n)) - 1} records, {DEVICES} devices",
            count=n,
            per_core="records/s per core",
            local=_local(files),
            dask=lambda client: shared_pairs_on(
                client, files, ITEMS, max_share=MAX_SHARE, listed=LISTED, settings=TASK
            ),
            describe=lambda pairs: f"{len(pairs):,} linked pairs",
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(scale: str) -> list[Row]:
    """``bench/run.py``'s contract, should the module be listed there."""
    return rows(scale == "quick")


if __name__ == "__main__":
    from rich.console import Console

    from run import print_rows

    quick = "--quick" in sys.argv
    print_rows(Console(), f"scale_links — {'quick' if quick else 'full'}", rows(quick))
