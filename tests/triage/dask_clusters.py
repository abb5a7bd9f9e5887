"""What the Dask tests share: clusters on loopback, a small seized folder, and a run's every output.

Two kinds of cluster: :func:`local_cluster`, a ``LocalCluster`` whose scheduler and workers live in the
test's process (so a test can wrap a task function and see what the workers did, in order), and
:func:`dask_processes`, Dask's own ``dask scheduler`` and ``dask worker`` commands as separate processes,
as an installation starts them (a worker can then be killed for real). The fixtures that hand them to the
tests are in ``tests/triage/conftest.py``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigilant.demo.pictures import draw_image
from vigilant.security.rights import Actor
from vigilant.triage.results import batch_files
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

EXAMINER = Actor.cli("examiner")
SMALL_BATCHES = TriageSettings(batch_files=2, processes=1)  # several batches for the workers to share
FORMATS = ("csv", "html", "vics", "dfxml", "hashdeep")
DASK = Path(sys.executable).parent / "dask"  # Dask's own command, as an installation starts its cluster
START_SECONDS = 60  # a loaded two-core machine takes a few seconds to start each process


@contextmanager
def local_cluster(workers: int = 2, **config: Any) -> Iterator[Any]:
    """A ``LocalCluster`` of ``workers`` one-thread workers in this process, on loopback; ``config``:
    Dask settings for its scheduler (``{"distributed.scheduler.worker-saturation": 1.0}``)."""
    import dask  # noqa: PLC0415  # (distributed takes ~0.5 s to import: only the tests that use it)
    from distributed import LocalCluster  # noqa: PLC0415

    with (
        dask.config.set(config),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            # Loopback only, any free port (8787 may be another cluster's, and a warning fails the test).
            dashboard_address="127.0.0.1:0",
            worker_dashboard_address="127.0.0.1:0",
        ) as cluster,
    ):
        yield cluster


@dataclass(frozen=True)
class DaskProcesses:
    address: str  # the scheduler's
    workers: dict[str, int]  # worker address -> pid


@contextmanager
def dask_processes(
    folder: Path, env: dict[str, str], worker_args: tuple[str, ...] = ()
) -> Iterator[DaskProcesses]:
    """``dask scheduler`` and two ``dask worker`` processes (one thread each, no nanny: a worker killed
    stays dead) on loopback, run in ``folder`` with ``env``; stopped, workers first, at the end."""
    from distributed import Client  # noqa: PLC0415

    scheduler_file = folder / "scheduler.json"
    common = ["--scheduler-file", str(scheduler_file)]
    loopback = ["--host", "127.0.0.1", "--no-dashboard"]
    processes: list[subprocess.Popen[bytes]] = []
    log = (folder / "dask.log").open("wb")

    def start(*args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [str(DASK), *args], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
        processes.append(process)
        return process

    try:
        start("scheduler", "--port", "0", *loopback, *common)
        deadline = time.monotonic() + START_SECONDS
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = ("worker", *common, *loopback, "--nthreads", "1", "--no-nanny", *worker_args)
        pids = {start(*worker, "--local-directory", str(folder / f"w{n}")).pid for n in (1, 2)}
        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout=START_SECONDS) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=START_SECONDS)
            workers = client.run(os.getpid)
        assert set(workers.values()) == pids
        yield DaskProcesses(address, workers)
    finally:
        for process in reversed(processes):  # workers first, then the scheduler
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def seized_folder(where: Path, files: int = 6) -> Path:
    """A seized folder of ``files`` generated pictures and as many small notes."""
    seized = where / "seized"
    seized.mkdir(parents=True)
    for n in range(files):
        draw_image(n).save(seized / f"p{n}.jpg", "JPEG")
        (seized / f"note{n}.txt").write_bytes(b"synthetic-%d" % n)
    return seized


def outputs(service: TriageService, run_id: int) -> dict[str, bytes]:
    """Every batch file and every report of a finished run, by name: two runs compare byte for byte."""
    row = service.status(run_id, EXAMINER)
    out = {path.name: path.read_bytes() for path in batch_files(Path(row.results_dir))}
    for fmt in FORMATS:
        buffer = io.BytesIO()
        service.report(run_id, fmt, buffer, EXAMINER)
        out[f"report.{fmt}"] = buffer.getvalue()
    return out
