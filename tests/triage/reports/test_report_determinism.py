"""Every report is reproducible: the same run and records give the same bytes, however they were batched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.triage.reports.synthetic import render, synthetic_records, write_batches
from vigilant.triage.reports import RecordSource, reports
from vigilant.triage.results import iter_records
from vigilant.triage.runinfo import RunInfo

NAMES = reports().names()


@pytest.mark.parametrize("name", NAMES)
def test_writing_twice_gives_identical_bytes(name: str, run: RunInfo, source: RecordSource) -> None:
    first = render(reports()[name], run, source)
    assert first
    assert render(reports()[name], run, source) == first


@pytest.mark.parametrize("name", NAMES)
def test_batching_changes_nothing(name: str, run: RunInfo, source: RecordSource, tmp_path: Path) -> None:
    one_per_batch = write_batches(synthetic_records(), tmp_path / "singles", per_batch=1)
    assert render(reports()[name], run, lambda: iter_records(one_per_batch)) == render(
        reports()[name], run, source
    )


@pytest.mark.parametrize("name", NAMES)
def test_a_run_without_records_still_makes_a_document(name: str, run: RunInfo) -> None:
    assert render(reports()[name], run, lambda: iter(()))
