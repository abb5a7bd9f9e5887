"""The export registry: one explicit list, unique names, helpful errors."""

from __future__ import annotations

import pytest

from vigilant.errors import BadInputError, ConflictError
from vigilant.library.exporters import ExportRegistry, exporters
from vigilant.library.exporters.csv_export import CsvWriter


def test_builtin_writers_in_their_listed_order() -> None:
    assert exporters().names() == ["vics", "hashdeep", "md5sum", "sha1sum", "sha256sum", "csv", "vpdq"]
    assert [w.suffix for w in exporters()] == [".json", ".txt", ".md5", ".sha1", ".sha256", ".csv", ".jsonl"]


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ConflictError, match="'csv' registered twice"):
        ExportRegistry([CsvWriter(), CsvWriter()])


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(BadInputError, match="unknown export format 'xml'") as raised:
        exporters()["xml"]
    assert raised.value.hint is not None
    assert "md5sum" in raised.value.hint
