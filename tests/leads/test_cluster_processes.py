"""A lead build on a cluster started with Dask's own commands: `dask scheduler` and two `dask worker`
processes on 127.0.0.1, as an installation runs them; every process is ended at teardown."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from distributed import Client, get_task_stream
from typer.testing import CliRunner

from tests.leads.cluster_data import WINDOW, local_leads, observations, write_files
from tests.leads.helpers import AS_OF, known_table_for, seed_library
from vigilant.cli import common, leads_cmd
from vigilant.leads.cluster import ClusterSettings, aggregate_leads_on

DASK = str(Path(sys.executable).with_name("dask"))
START_SECONDS = 60.0


def _end(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ask each process to stop, then kill what is left of its process group (a worker's nanny and the
    worker it started)."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def dask_cluster(
    folder: Path, worker_env: dict[str, str] | None = None
) -> Iterator[tuple[str, dict[str, subprocess.Popen[bytes]]]]:
    """`dask scheduler` and two one-thread `dask worker` processes (w1, w2), each in a process group of
    its own, the workers with ``worker_env`` added to their environment (a path map); yields the
    scheduler's address and the workers by name once both are connected (link building's tests too)."""
    address_file = folder / "scheduler.json"
    processes: list[subprocess.Popen[bytes]] = []
    workers: dict[str, subprocess.Popen[bytes]] = {}
    with (folder / "log.txt").open("wb") as log:
        try:
            scheduler_cmd = [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
            processes.append(_start([*scheduler_cmd, "--scheduler-file", str(address_file)], log))
            address = _address(address_file)
            for name in ("w1", "w2"):
                worker_cmd = [DASK, "worker", address, "--name", name, "--nthreads", "1"]
                local = ["--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(folder / name)]
                workers[name] = _start([*worker_cmd, *local], log, worker_env)
                processes.append(workers[name])
            with Client(address, timeout=START_SECONDS, set_as_default=False) as client:  # type: ignore[no-untyped-call]
                client.wait_for_workers(2, timeout=START_SECONDS)
            yield address, workers
        finally:
            _end(processes[1:])  # the workers first, so the scheduler does not wait for them
            _end(processes[:1])


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a `dask scheduler` with two one-thread `dask worker` processes connected."""
    with dask_cluster(tmp_path_factory.mktemp("dask")) as (address, _):
        yield address


def _address(scheduler_file: Path) -> str:
    """The scheduler's address once it has written its file (whole: the file appears before its text)."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            return str(json.loads(scheduler_file.read_text())["address"])
        except (FileNotFoundError, json.JSONDecodeError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _start(command: list[str], log: IO[bytes], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    environment = {**os.environ, **(env or {})}
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True, env=environment
    )


def test_both_workers_fold_partitions_and_the_leads_are_the_single_machine_leads(
    tmp_path: Path, scheduler: str
) -> None:
    write_files(tmp_path, observations(11, count=1200, ips=80), files=8, seed=11)
    known = known_table_for()
    with Client(scheduler, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        with get_task_stream(client) as stream:
            got = aggregate_leads_on(
                client, tmp_path, known, WINDOW, settings=ClusterSettings(partitions=1000)
            )
        workers = {task["worker"] for task in stream.data if str(task["key"]).startswith("leads-fold-")}
    assert got == local_leads(tmp_path, known)
    assert len(workers) == 2  # the partitions were spread over both workers


def test_leads_build_runs_on_the_setting_s_scheduler_unless_told_local(
    tmp_path: Path, scheduler: str
) -> None:
    folder = tmp_path / "observations"
    write_files(folder, observations(12, count=800, ips=50), files=4, seed=12)
    runner = CliRunner()
    build = ["build", "--as-of", AS_OF.isoformat(), "--window-days", "30", "--observations", str(folder)]
    lists, folded = [], []
    for database, extra in (("cluster.db", []), ("local.db", ["--scheduler", "local"])):
        common.close_databases()
        with pytest.MonkeyPatch.context() as env, Client(scheduler, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            env.setenv("VIGILANT_DATABASE_URL", f"sqlite:///{tmp_path / database}")
            env.setenv("VIGILANT_DASK_SCHEDULER", scheduler)
            seed_library(common.database())
            with get_task_stream(client) as stream:  # every task the scheduler runs meanwhile, any client's
                built = runner.invoke(leads_cmd.app, [*build, *extra])
            assert built.exit_code == 0, built.output
            folded.append(sum(str(task["key"]).startswith("leads-fold-") for task in stream.data))
            listed = runner.invoke(leads_cmd.app, ["list", "--json", "--limit", "1000"])
            lists.append(json.loads(listed.output))
    assert folded == [2, 0]  # one partition per worker thread on the cluster; none with --scheduler local
    assert len(lists[1]) > 5
    assert lists[0] == lists[1]


def test_a_worker_killed_while_it_holds_partitions_loses_nothing(tmp_path: Path) -> None:
    """A worker's machine lost mid-build (nanny and worker killed at once): the scheduler hands its
    partitions to the other worker, and the build ends with the single-machine leads."""
    data = tmp_path / "observations"
    write_files(data, observations(14, count=6000, ips=200), files=12, seed=14)
    known = known_table_for()
    got: list[object] = []
    with dask_cluster(tmp_path) as (address, workers), Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
        build = threading.Thread(
            target=lambda: got.append(
                aggregate_leads_on(client, data, known, WINDOW, settings=ClusterSettings(partitions=1000))
            )
        )
        build.start()
        holding: list[str] = []
        deadline = time.monotonic() + START_SECONDS
        while not holding and time.monotonic() < deadline:
            processing = client.processing()
            holding = [a for a, keys in processing.items() if any("leads-fold-" in str(k) for k in keys)]
            time.sleep(0.005)
        assert holding, "no worker was ever seen holding a partition"
        victim = names[holding[0]]
        os.killpg(workers[victim].pid, signal.SIGKILL)
        build.join(timeout=START_SECONDS)
        assert not build.is_alive()
        survivors = {w["name"] for w in client.scheduler_info()["workers"].values()}
    assert victim not in survivors
    assert got == [local_leads(data, known)]


def test_workers_read_the_observations_where_their_path_map_says(tmp_path: Path) -> None:
    """The client knows the folder as the server's path; the workers mount the shared storage elsewhere
    and say so with VIGILANT_PATH_MAP. At the server's path on this machine every file is unreadable, so
    only a worker that maps the path finds the observations (and gives the single-machine leads)."""
    server, mounted = tmp_path / "server" / "observations", tmp_path / "mnt" / "observations"
    write_files(mounted, observations(15, count=900, ips=60), files=4, seed=15)
    server.mkdir(parents=True)
    for path in mounted.glob("*.parquet"):  # the same names and sizes, not Parquet
        (server / path.name).write_bytes(b"x" * path.stat().st_size)
    known = known_table_for()
    mapping = {"VIGILANT_PATH_MAP": f"/elsewhere=/nowhere;{tmp_path / 'server'}={tmp_path / 'mnt'}"}
    (tmp_path / "dask").mkdir()
    with (
        dask_cluster(tmp_path / "dask", mapping) as (address, _),
        Client(address, set_as_default=False) as client,  # type: ignore[no-untyped-call]
    ):
        got = aggregate_leads_on(client, server, known, WINDOW, settings=ClusterSettings(partitions=1000))
    assert len(got) > 5
    assert got == local_leads(mounted, known)
