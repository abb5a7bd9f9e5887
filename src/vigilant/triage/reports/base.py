"""The contract every triage report meets: read the run's records as streams, write one document."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol

from vigilant.triage.records import FileRecord
from vigilant.triage.runinfo import RunInfo

# Each call returns a fresh iterator over every record in (position, member) order, read a batch at a time:
# a writer that needs two passes (figures first, then rows) calls it twice instead of keeping the records.
RecordSource = Callable[[], Iterator[FileRecord]]


class ReportWriter(Protocol):
    name: str  # used on the command line: "html", "csv", "vics", "case", "dfxml", "hashdeep"
    title: str
    suffix: str  # default file suffix: ".html", ".csv", ".json", ".jsonld", ".xml", ".txt"

    def write(self, run: RunInfo, records: RecordSource, out: BinaryIO) -> None:
        """Write the report of ``run`` to ``out``: same run and records, same bytes."""
        ...
