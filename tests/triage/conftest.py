"""Fixtures of the triage tests: Dask clusters on loopback (see :mod:`tests.triage.dask_clusters`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.triage.dask_clusters import local_cluster


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """Two workers of one thread each, in this process, shared by a test module's tests (a run leaves
    nothing on the workers that another run could pick up: each run's tasks are keyed afresh)."""
    with local_cluster(workers=2) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def scheduler(dask_cluster: Any) -> str:
    """The address of :func:`dask_cluster`'s scheduler, as `--scheduler` takes it."""
    return str(dask_cluster.scheduler_address)
