"""The report registry: one explicit list, unique names, helpful errors."""

from __future__ import annotations

import pytest

from vigilant.errors import BadInputError, ConflictError
from vigilant.triage.reports import ReportRegistry, reports
from vigilant.triage.reports.csv_report import CsvReport


def test_builtin_reports_in_their_listed_order() -> None:
    assert reports().names() == ["html", "csv", "vics", "case", "dfxml", "hashdeep"]
    assert [w.suffix for w in reports()] == [".html", ".csv", ".json", ".jsonld", ".xml", ".txt"]
    assert all(w.title for w in reports())


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ConflictError, match="'csv' registered twice"):
        ReportRegistry([CsvReport(), CsvReport()])


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(BadInputError, match="unknown report format 'pdf'") as raised:
        reports()["pdf"]
    assert raised.value.hint is not None
    assert "dfxml" in raised.value.hint
