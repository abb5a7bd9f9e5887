"""The API's full build on an installation with a Dask scheduler (``VIGILANT_DASK_SCHEDULER``): the files
devices share are counted by the cluster's workers, as ``vigilant links build`` does, and the graph is the
one a build on this machine makes. The cluster is a LocalCluster on loopback; a scheduler plugin records
every task that finished on it. Who may call the route: tests/web/test_matrix.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from distributed.diagnostics.plugin import SchedulerPlugin

from tests.links.test_build import graph, links_of
from tests.triage.dask_clusters import local_cluster
from tests.web.conftest import FAST, Clock, World, clock, csrf, log_in, world
from vigilant.config import Settings
from vigilant.links.hooks import full_build
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings
from vigilant.web.app import WebOptions, create_app

if TYPE_CHECKING:  # imported for real only after tests.web.conftest, which quiets Starlette's test client
    from fastapi.testclient import TestClient

__all__ = ["clock", "world"]  # the web tests' fixtures, used here by name

LAB = Actor.cli("lab")
SHARED_FILES_TASK = "links-shared-"  # the keys of links.cluster's digest-range tasks


class FinishedTasks(SchedulerPlugin):
    """The keys of the tasks whose results reached the scheduler's memory (that is, a worker ran them)."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if finish == "memory":
            self.keys.append(str(key))


@pytest.fixture
def cluster() -> Iterator[tuple[str, FinishedTasks]]:
    """A two-worker LocalCluster's scheduler address, and the record of the tasks it finished."""
    with local_cluster(workers=2) as running:
        finished = FinishedTasks()
        running.scheduler.add_plugin(finished, name="finished-tasks")
        yield str(running.scheduler_address), finished


@pytest.fixture
def cluster_client(
    db: Database, tmp_path: Path, clock: Clock, cluster: tuple[str, FinishedTasks]
) -> Iterator[TestClient]:
    """The web app of an installation whose work goes to the Dask scheduler (tests/web/conftest.py's app
    otherwise: its data folder, the key that sealed the users' TOTP seeds)."""
    from fastapi.testclient import TestClient  # noqa: PLC0415  # after tests.web.conftest, as above

    settings = Settings(
        data_dir=tmp_path / "web-data",
        database_url=db.url,
        user="test",
        secret_key_path=Settings.from_env().secret_key_file,
        dask_scheduler=cluster[0],
    )
    app = create_app(settings, WebOptions(cookie_secure=False, clock=clock, passwords=FAST))
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _triaged_devices(db: Database, data: Path, root: Path) -> list[int]:
    """Three seized folders triaged on this machine: one and two share a rare file, two and three another;
    every folder holds a file of its own."""
    service = TriageService(db, data)
    items = []
    for name, shared in (("one", (b"first",)), ("two", (b"first", b"second")), ("three", (b"second",))):
        folder = root / f"seized-{name}"
        folder.mkdir()
        for text in shared:
            (folder / f"{text.decode()}.bin").write_bytes(b"synthetic rare bytes, %s\n" % text * 40)
        (folder / f"{name}.txt").write_text(f"only on {name}\n")
        item = service.evidence.add(folder, actor=LAB, label=name, case_number="OP-OWN-1")
        service.start(item.id, TriageSettings(processes=0, threads=1), LAB, Progress())
        items.append(item.id)
    return items


def test_the_api_build_counts_shared_files_on_the_cluster_and_links_as_a_local_build(
    *,
    db: Database,
    cluster_client: TestClient,
    cluster: tuple[str, FinishedTasks],
    world: World,
    clock: Clock,
    tmp_path: Path,
) -> None:
    one, two, three = _triaged_devices(db, tmp_path / "web-data", tmp_path)
    _, finished = cluster
    client = cluster_client
    assert log_in(client, world.users[Role.ANALYST], clock) == 303

    built = client.post("/api/v1/links/build", headers={"X-CSRF-Token": csrf(client)})
    assert built.status_code == 201, built.text
    ranges = [key for key in finished.keys if key.startswith(SHARED_FILES_TASK)]
    assert len(ranges) == 2  # one digest range per worker thread: the workers counted the shared files
    on_cluster = graph(db)
    pairs = {(x[1], x[2]) for x in links_of(on_cluster, "shared_unknown_files")}
    device = {item: f"device/item:{item}" for item in (one, two, three)}
    assert pairs == {tuple(sorted((device[one], device[two]))), tuple(sorted((device[two], device[three])))}

    # The same build on this machine (no scheduler) makes the very same graph, and no task on the cluster.
    analyst = Actor.cli("analyst", agency_id=world.own_agency, roles={"analyst"})
    full_build(db, analyst, tmp_path / "web-data")
    assert graph(db) == on_cluster
    assert len([key for key in finished.keys if key.startswith(SHARED_FILES_TASK)]) == 2
