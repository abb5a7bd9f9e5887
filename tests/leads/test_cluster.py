"""Lead aggregation on Dask: the partitions, the exactness of combining them, and builds on a real
LocalCluster (two worker processes) equal to the single-machine build, row for row, on both engines."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from distributed import Client, LocalCluster

from tests.leads.cluster_data import WINDOW, local_leads, observations, write_files
from tests.leads.helpers import AS_OF, known_table_for, seed_agencies, seed_library, write
from vigilant.config import Settings
from vigilant.errors import ConfigError
from vigilant.leads import service
from vigilant.leads.access import list_leads_for
from vigilant.leads.aggregate import Window, combine_figures, connect, ip_figures, ip_stats
from vigilant.leads.cluster import (
    ClusterSettings,
    LeadClusterError,
    Partition,
    PartitionReadError,
    aggregate_leads_on,
    fold_partition,
    open_client,
    plan_partitions,
)
from vigilant.leads.errors import LeadInputError
from vigilant.leads.geo import GeoLocator
from vigilant.leads.jurisdiction import load_table
from vigilant.security.rights import Actor
from vigilant.store import Database

ONE_FILE_EACH = ClusterSettings(partitions=1000)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes of one thread each, on loopback; closed (workers ended) after the module."""
    with LocalCluster(  # type: ignore[no-untyped-call]  # distributed is only partly annotated
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Client]:
    with Client(cluster, set_as_default=False) as c:  # type: ignore[no-untyped-call]
        yield c


def test_partitions_are_runs_of_files_in_name_order_balanced_by_bytes(tmp_path: Path) -> None:
    for index, rows in enumerate((40, 40, 40, 400, 40, 40)):  # one big file among small ones
        write(tmp_path, f"session-{index:02d}", observations(index, count=rows))
    paths = sorted(tmp_path.glob("*.parquet"))
    assert [p.files for p in plan_partitions(tmp_path, 100)] == [(str(path),) for path in paths]
    halves = plan_partitions(tmp_path, 2)
    # The big file's middle byte lies past half of all bytes: it opens the second run.
    assert [p.id for p in halves] == ["session-00.parquet+3", "session-03.parquet+3"]
    assert [p.files for p in halves] == [tuple(map(str, paths[:3])), tuple(map(str, paths[3:]))]
    assert [p.size for p in halves] == [
        sum(x.stat().st_size for x in paths[:3]),
        sum(x.stat().st_size for x in paths[3:]),
    ]
    assert [len(p.files) for p in plan_partitions(tmp_path, 1)] == [6]
    with pytest.raises(LeadInputError, match="no observations"):
        plan_partitions(tmp_path / "empty", 2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_per_file_figures_combine_into_the_figures_of_the_whole_folder(tmp_path: Path, seed: int) -> None:
    rows = observations(seed)
    write_files(tmp_path, rows, files=6, seed=seed)
    known = known_table_for()
    con = connect(threads=1)
    parts = [ip_figures(con, [str(path)], known, WINDOW) for path in sorted(tmp_path.glob("*.parquet"))]
    whole = ip_stats(ip_figures(con, str(tmp_path / "*.parquet"), known, WINDOW))
    # The data is a real test of combining: IPs and fold rows spread over several files.
    assert sum(p.num_rows for p in parts) > 2 * len(whole)
    assert ip_stats(combine_figures(con, parts)) == whole
    assert ip_stats(combine_figures(con, list(reversed(parts)))) == whole


@pytest.mark.parametrize("seed", [4, 5])
def test_leads_on_a_local_cluster_are_the_single_machine_leads(
    tmp_path: Path, client: Client, seed: int
) -> None:
    write_files(tmp_path, observations(seed), files=7, seed=seed)
    known = known_table_for()
    expected = local_leads(tmp_path, known)
    assert any(len(lead.ips) > 1 for lead in expected)  # identity continuity is exercised
    progress: list[tuple[int, int]] = []
    got = aggregate_leads_on(
        client,
        tmp_path,
        known,
        WINDOW,
        settings=ONE_FILE_EACH,
        on_partition=lambda done, total: progress.append((done, total)),
    )
    assert got == expected
    assert progress == [(i, 7) for i in range(1, 8)]
    # The default, one partition per worker thread (two here, of several files each): the same leads.
    assert (
        aggregate_leads_on(
            client, tmp_path, known, WINDOW, on_partition=lambda done, total: progress.append((done, total))
        )
        == expected
    )
    assert progress[7:] == [(1, 2), (2, 2)]


def _snapshot(db: Database) -> list[dict[str, Any]]:
    """Every built lead as `vigilant leads list` orders them (score, then key), with what a build writes."""
    out = []
    for row in list_leads_for(db, Actor.cli("test"), limit=10_000).leads:
        out.append(
            {
                "key": row.key,
                "score": row.score,
                "actionable": row.actionable,
                "tier": row.tier,
                "explanation": row.explanation,
                "identities": row.identities,
                "routed_to": row.routed_to,
                "routing": row.routing,
                "figures": [
                    row.observation_count,
                    row.known_files,
                    row.max_severity,
                    row.max_category,
                    row.seeding,
                    row.days_seen,
                    row.first_seen,
                    row.last_seen,
                ],
                "ips": [
                    (ip.ip, ip.observation_count, ip.days, ip.geo, ip.agency, ip.first_seen, ip.last_seen)
                    for ip in row.ips
                ],
            }
        )
    return out


def _build(db: Database, folder: Path, mmdb: Path, jurisdictions: Path, scheduler: str | None) -> None:
    seed_library(db)
    seed_agencies(db)
    with GeoLocator([mmdb]) as geo:
        service.build_leads(db, folder, Window(AS_OF, 30), actor=Actor.cli("coord"), now=AS_OF, geo=geo,
                            jurisdictions=load_table(jurisdictions), scheduler=scheduler)  # fmt: skip


def test_a_build_on_the_cluster_stores_the_single_machine_leads_row_for_row(
    db: Database, tmp_path: Path, cluster: LocalCluster, mmdb: Path, jurisdictions: Path
) -> None:
    folder = tmp_path / "observations"
    write_files(folder, observations(6, count=900, ips=60), files=5, seed=6)
    _build(db, folder, mmdb, jurisdictions, scheduler=cluster.scheduler_address)
    local = Database(f"sqlite:///{tmp_path / 'local.db'}")
    local.upgrade()
    try:
        _build(local, folder, mmdb, jurisdictions, scheduler=None)
        expected = _snapshot(local)
    finally:
        local.dispose()
    assert len(expected) > 10
    assert _snapshot(db) == expected


def test_a_file_no_worker_can_read_as_parquet_is_named_in_the_error(tmp_path: Path, client: Client) -> None:
    write_files(tmp_path, observations(7), files=2, seed=7)
    (tmp_path / "session-01.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(LeadClusterError, match=r"could not read partition session-01\.parquet\+1") as caught:
        aggregate_leads_on(client, tmp_path, known_table_for(), WINDOW, settings=ONE_FILE_EACH)
    assert "session-01.parquet" in str(caught.value)
    assert "worker tcp://127.0.0.1:" in str(caught.value)  # which worker, for the operator
    assert "shared storage" in str(caught.value)


def test_fold_partition_outside_a_worker_names_this_process(tmp_path: Path) -> None:
    missing = Partition("gone.parquet+1", (str(tmp_path / "gone.parquet"),), 0)
    with pytest.raises(PartitionReadError, match=r"this process could not read partition gone\.parquet\+1"):
        fold_partition(missing, known_table_for(), WINDOW, ClusterSettings())


def test_no_scheduler_at_the_address_is_a_clear_error() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(LeadClusterError, match=r"no Dask scheduler answers at tcp://127\.0\.0\.1:") as caught:
        open_client(f"tcp://127.0.0.1:{port}", timeout=1)
    assert "dask scheduler" in str(caught.value.hint)


def test_a_scheduler_without_workers_is_a_clear_error() -> None:
    empty = LocalCluster(n_workers=0, processes=True, host="127.0.0.1", dashboard_address=":0")  # type: ignore[no-untyped-call]
    with empty, pytest.raises(LeadClusterError, match="has no worker"):
        open_client(empty.scheduler_address, worker_wait=0.5)


def test_partials_keep_their_schema_when_a_file_has_no_known_material(tmp_path: Path) -> None:
    write_files(tmp_path, observations(8, count=5), files=3, seed=8)  # some files: no row in the window
    con = connect(threads=1)
    parts = [ip_figures(con, [str(p)], known_table_for(), WINDOW) for p in sorted(tmp_path.glob("*.parquet"))]
    assert len({p.schema for p in parts}) == 1
    assert isinstance(combine_figures(con, parts), pa.Table)


def test_the_scheduler_setting_is_an_address_or_nothing() -> None:
    assert Settings.from_env({}).dask_scheduler == ""  # this machine
    given = {"VIGILANT_DASK_SCHEDULER": " tcp://127.0.0.1:8786 "}
    assert Settings.from_env(given).dask_scheduler == "tcp://127.0.0.1:8786"
    with pytest.raises(ConfigError, match="not a Dask scheduler address"):
        Settings.from_env({"VIGILANT_DASK_SCHEDULER": "127.0.0.1:8786"})
