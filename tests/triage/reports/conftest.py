"""Fixtures of the report tests: the synthetic run, read back from its Parquet batches as reports read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.triage.reports.synthetic import synthetic_records, synthetic_run, write_batches
from vigilant.triage.reports import RecordSource
from vigilant.triage.results import iter_records
from vigilant.triage.runinfo import RunInfo


@pytest.fixture
def run() -> RunInfo:
    return synthetic_run()


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    return write_batches(synthetic_records(), tmp_path / "results")


@pytest.fixture
def source(results_dir: Path) -> RecordSource:
    return lambda: iter_records(results_dir)
