"""Triage at scale: the local runner beside the same run on one and two Dask workers (issue 16).

Data (made in a temporary folder, not timed): ``triage_bench``'s mixed folder (log-uniform 1 KB .. 4 MB
files, some 1024x768 JPEG pictures) and an ext4 disk image of another such folder (``mke2fs -d``). Both
are read once before the clock starts (a warm page cache: the cluster's shared storage is not measured
here, the scheduling is; see the model in docs/deployment.md).

Subjects, on the same evidence, one after the other (every run triages the whole item: digests, type,
PDQ and EXIF of pictures, matching, batch files written):

* local, one core: ``TriageService.start`` with one hashing thread and pictures decoded in that thread
  (the yardstick a Dask worker of one thread is compared with);
* local, two threads: the CLI's default (two threads, two picture processes);
* Dask, 1 and 2 workers: a ``LocalCluster`` of worker *processes* (one thread each, as ``dask worker
  --nworkers 2 --nthreads 1`` starts them), the run sent to it with ``ClusterRun``; the time counts the
  plan (a walk on a worker), every batch on the workers, the records coming back and the client's
  matching and writing; not the cluster's start (an installation keeps its cluster standing).

Figures: per-core efficiency = (files/s per core on Dask) / (files/s of the local one-core run), target
>= 0.85; the two-worker run's speed-up over the local default; scheduling overhead per batch = (Dask one
worker - local one core) / batches. Every Dask run must write the local run's very batch files: the module
fails otherwise. It also prints ``scale_leads``'s rows (lead aggregation on Dask) when that module is
there. Run alone: ``.venv/bin/python bench/scale_bench.py [--quick]``.
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # run alone or by bench/run.py: triage_bench is a sibling
    sys.path.insert(0, str(BENCH_DIR))

from triage_bench import _make_folder, _warm  # noqa: E402
from vigilant.security.rights import Actor  # noqa: E402
from vigilant.store import Database  # noqa: E402
from vigilant.triage.cluster import ClusterRun  # noqa: E402
from vigilant.triage.results import batch_files  # noqa: E402
from vigilant.triage.runner import Progress  # noqa: E402
from vigilant.triage.service import TriageService  # noqa: E402
from vigilant.triage.settings import TriageSettings  # noqa: E402

Row = dict[str, object]
BENCHMARK = "triage at scale"
REPEATS = 3
TARGET = 0.85  # per-core efficiency of a Dask worker against the local runner
# (files, pictures among them, batch size in files): batches small enough that two workers share them.
SCALES = {"quick": (600, 60, 50), "full": (4_000, 300, 128)}
ME = Actor.cli("bench")


class _Item:
    """An evidence item registered in a throwaway database, triaged as often as asked."""

    def __init__(self, work: Path, source: Path) -> None:
        self.data = work / "data"
        self.db = Database(f"sqlite:///{work / 'bench.db'}")
        self.db.upgrade()
        self.service = TriageService(self.db, self.data)
        self.id = self.service.evidence.add(source, actor=ME).id

    def triage(self, settings: TriageSettings, cluster: ClusterRun | None) -> tuple[float, int, str]:
        """Seconds, batches, and a digest of the batch files (byte-identity across subjects)."""
        started = time.perf_counter()
        run_id = self.service.start(self.id, settings, ME, Progress(), cluster=cluster)
        seconds = time.perf_counter() - started
        row = self.service.status(run_id, ME)
        digest = hashlib.sha256()
        for path in batch_files(Path(row.results_dir)):
            digest.update(path.name.encode() + path.read_bytes())
        return seconds, row.batches_done, digest.hexdigest()

    def close(self) -> None:
        self.db.dispose()


def _cluster(workers: int) -> Any:
    from distributed import LocalCluster  # noqa: PLC0415

    return LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        # As an installation starts its workers (docs/deployment.md): vigilant's triage imported up front,
        # not by the first batch each worker is given.
        preload=["vigilant.triage.cluster_tasks"],
    )


def _subject_rows(kind: str, data: str, item: _Item, batch: int, clusters: dict[int, str]) -> list[Row]:
    one_core = TriageSettings(batch_files=batch, threads=1, processes=0)
    default = TriageSettings(batch_files=batch)
    times: dict[str, list[float]] = {"local1": [], "local2": [], "dask1": [], "dask2": []}
    digests: set[str] = set()
    batches = 0
    # Alternated rounds, the median of each: a busy spell on a shared machine hits every subject alike.
    for _ in range(REPEATS):
        for name, settings, cluster in (
            ("local1", one_core, None),
            ("local2", default, None),
            ("dask1", one_core, ClusterRun(clusters[1])),
            ("dask2", one_core, ClusterRun(clusters[2])),
        ):
            seconds, batches, digest = item.triage(settings, cluster)
            times[name].append(seconds)
            digests.add(digest)
    if len(digests) != 1:
        raise AssertionError(f"{kind}: the runs did not all write the same batch files")
    local1, local2 = statistics.median(times["local1"]), statistics.median(times["local2"])
    dask = {1: statistics.median(times["dask1"]), 2: statistics.median(times["dask2"])}
    files = item.service.status(item.service.runs(ME)[-1].id, ME).files_total or 0
    base = {"benchmark": BENCHMARK, "data": data}
    rows: list[Row] = [
        {
            **base,
            "subject": "local runner, 1 core",
            "metric": f"{kind}: files/s",
            "value": round(files / local1),
            "unit": "/s",
        },
        {
            **base,
            "subject": "local runner, 2 threads (default)",
            "metric": f"{kind}: files/s",
            "value": round(files / local2),
            "unit": "/s",
        },
    ]
    for workers, seconds in dask.items():
        efficiency = local1 / (seconds * workers)
        rows.append(
            {
                **base,
                "subject": f"vigilant on Dask, {workers} worker{'s' if workers > 1 else ''}",
                "metric": f"{kind}: per-core efficiency vs local 1 core",
                "value": round(efficiency, 2),
                "unit": "x",
                "target": f">= {TARGET}",
                "met": efficiency >= TARGET,
                "note": f"{files / seconds:,.0f} files/s; {local2 / seconds:.2f}x the local default's speed",
            }
        )
    overhead = (dask[1] - local1) / max(1, batches)
    rows.append(
        {
            **base,
            "subject": "vigilant on Dask, 1 worker",
            "metric": f"{kind}: scheduling overhead per batch",
            "value": round(overhead * 1000, 1),
            "unit": "ms",
            "note": f"(Dask 1 worker - local 1 core) / {batches} batches of {batch} files, plan included",
        }
    )
    return rows


def _round_trip(address: str, tasks: int = 200) -> Row:
    """Dask's own cost of one task, alone: submitted, run (a no-op) and its result back, one at a time."""
    from distributed import Client  # noqa: PLC0415

    with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        client.submit(abs, -1, pure=False).result()
        started = time.perf_counter()
        for n in range(tasks):
            client.submit(abs, -n, pure=False).result()
        seconds = (time.perf_counter() - started) / tasks
    return {
        "benchmark": BENCHMARK,
        "subject": "Dask, 1 worker",
        "metric": "task round trip (no-op)",
        "value": round(seconds * 1000, 2),
        "unit": "ms",
        "data": f"{tasks} tasks, one at a time",
        "note": "the floor of the scheduling overhead per batch; a batch's records add their transfer",
    }


def rows(quick: bool) -> list[Row]:
    files, pictures, batch = SCALES["quick" if quick else "full"]
    found: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="vigilant-scale-") as temp,
        _cluster(1) as one,
        _cluster(2) as two,
    ):
        clusters = {1: one.scheduler_address, 2: two.scheduler_address}
        work = Path(temp)
        folder = work / "folder"
        size = _make_folder(folder, files, pictures)
        _warm(folder)
        item = _Item(work / "f", folder)
        try:
            data = f"{files:,} files, {size / 1e6:,.0f} MB; median of {REPEATS} alternated runs"
            found += _subject_rows("folder", data, item, batch, clusters)
        finally:
            item.close()
        content = work / "content"
        size = _make_folder(content, files, pictures, seed=11)
        image = work / "disk.img"
        megabytes = int(size / 1e6 * 1.3) + 64
        subprocess.run(
            ["mke2fs", "-q", "-t", "ext4", "-d", str(content), "-F", str(image), f"{megabytes}M"], check=True
        )
        shutil.rmtree(content)
        _warm(image)
        item = _Item(work / "i", image)
        try:
            data = f"ext4 {megabytes} MB, {files:,} files, {size / 1e6:,.0f} MB; median of {REPEATS} runs"
            found += _subject_rows("disk image", data, item, batch, clusters)
        finally:
            item.close()
        found.append(_round_trip(clusters[1]))
    try:
        import scale_leads  # noqa: PLC0415  # the lead-aggregation half (bench/scale_leads.py)
    except ImportError as exc:
        found.append(
            {
                "benchmark": "lead aggregation at scale",
                "subject": "-",
                "metric": "-",
                "value": None,
                "unit": "",
                "note": f"not run: {exc}",
            }
        )
    else:
        found += scale_leads.rows(quick)
    return found


def run(scale: str) -> list[Row]:
    return rows(scale == "quick")


if __name__ == "__main__":
    for row in rows("--quick" in sys.argv[1:]):
        print(row)
