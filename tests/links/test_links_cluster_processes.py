"""Shared-file links on a cluster started with Dask's own commands: `dask scheduler` and two `dask worker`
processes on 127.0.0.1, as an installation runs them, the workers mounting the shared storage elsewhere
than the client (VIGILANT_PATH_MAP); every process is ended at teardown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from distributed import Client, get_task_stream
from typer.testing import CliRunner

from tests.leads.test_cluster_processes import dask_cluster
from tests.links.test_build import graph
from tests.links.test_links_cluster import ALL_DEVICES, local_pairs, make_records, write_records
from tests.links.world import planted
from vigilant.cli import common
from vigilant.cli.links_cmd import app
from vigilant.leads.cluster import ClusterSettings
from vigilant.links.cluster import shared_pairs_on
from vigilant.store import Database


@dataclass(frozen=True)
class MappedCluster:
    address: str
    server: Path  # the shared storage as the client knows it
    mounted: Path  # … and as the workers mount it


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MappedCluster]:
    """Two one-thread `dask worker` processes whose path map sends the client's SERVER to their MNT."""
    base = tmp_path_factory.mktemp("mapped")
    server, mounted = base / "server", base / "mnt"
    mapping = {"VIGILANT_PATH_MAP": f"/elsewhere=/nowhere;{server}={mounted}"}
    with dask_cluster(tmp_path_factory.mktemp("dask"), mapping) as (address, _):
        yield MappedCluster(address, server, mounted)


def _tasks(stream: get_task_stream) -> list[dict[str, object]]:
    return [task for task in stream.data if str(task["key"]).startswith("links-shared-")]


def test_both_workers_count_digest_ranges_where_their_path_map_says(cluster: MappedCluster) -> None:
    """The record files at the client's path are unreadable: only workers that map the path find them."""
    files = write_records(cluster.mounted / "run-1", make_records(21))
    server_files = []
    for path in map(Path, files):
        copy = cluster.server / path.relative_to(cluster.mounted)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(b"x" * path.stat().st_size)  # the same names and sizes, not Parquet
        server_files.append(str(copy))
    expected = local_pairs(files, ALL_DEVICES)
    assert len(expected) > 50
    with Client(cluster.address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        with get_task_stream(client) as stream:
            got = shared_pairs_on(
                client,
                server_files,
                ALL_DEVICES,
                max_share=0.2,
                listed=3,
                settings=ClusterSettings(partitions=6),
            )
        workers = {task["worker"] for task in _tasks(stream)}
    assert got == expected
    assert len(workers) == 2  # the ranges were spread over both workers


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_links_build_runs_on_the_setting_s_scheduler_unless_told_local(
    db: Database, tmp_path: Path, cluster: MappedCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = planted(db, tmp_path)
    monkeypatch.setenv("VIGILANT_DATA_DIR", str(p.data))
    monkeypatch.setenv("VIGILANT_DASK_SCHEDULER", cluster.address)
    common.close_databases()  # the settings are read anew
    counted, graphs, lists = [], [], []
    for extra in ([], ["--scheduler", "local"]):
        with Client(cluster.address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            with get_task_stream(client) as stream:  # every task the scheduler runs meanwhile, any client's
                _cli("build", "--json", *extra)
            counted.append(len(_tasks(stream)))
        graphs.append(graph(db))
        lists.append(json.loads(_cli("list", "--json", "--limit", "1000")))
    assert counted == [2, 0]  # one range per worker thread on the cluster; none with --scheduler local
    shared = [link for link in graphs[1] if link[0].startswith("shared_")]
    assert {link[0] for link in shared} == {"shared_unknown_files", "shared_known_bad_files"}
    assert graphs[0] == graphs[1]  # kinds, ends, weights and explanations
    assert lists[0] == lists[1]
