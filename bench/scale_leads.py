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

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # run alone or imported by scale_bench: leads_bench is a sibling
    sys.path.insert(0, str(BENCH_DIR))

from _dask_side_by_side import side_by_side  # noqa: E402
from leads_bench import AS_OF, generate, known_table  # noqa: E402
from vigilant.leads.aggregate import LeadAggregate, Window, aggregate_leads, connect  # noqa: E402
from vigilant.leads.cluster import ClusterSettings, aggregate_leads_on  # noqa: E402

Row = dict[str, object]
SIZES = {True: 10**6, False: 10**8}
BENCHMARK = "lead aggregation at scale"
TASK = ClusterSettings(threads_per_task=1, memory_per_task="3GB")  # one partition per worker thread


def _local(folder: Path, known: pa.Table, window: Window) -> Callable[[int], list[LeadAggregate]]:
    def run(threads: int) -> list[LeadAggregate]:
        con = connect(memory_limit="8GB", threads=threads)
        try:
            return aggregate_leads(folder, known, window, con=con)
        finally:
            con.close()

    return run


def rows(quick: bool) -> list[Row]:
    """The rows for ``bench/run.py``'s table: local DuckDB, then one and two Dask workers."""
    n = SIZES[quick]
    known = known_table()
    window = Window(AS_OF, 90)
    work = Path(tempfile.mkdtemp(prefix="vigilant-scale-leads-"))
    try:
        folder = work / "observations"
        generate(folder, n)
        files = len(list(folder.glob("*.parquet")))
        return side_by_side(
            benchmark=BENCHMARK,
            data=f"10^{len(str(n)) - 1} observations, {files} files",
            count=n,
            per_core="observations/s per core",
            local=_local(folder, known, window),
            dask=lambda client: aggregate_leads_on(client, folder, known, window, settings=TASK),
            describe=lambda leads: f"{len(leads):,} leads",
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
    print_rows(Console(), f"scale_leads — {'quick' if quick else 'full'}", rows(quick))
