"""CSV rows over :mod:`_lines`, so a line that does not decode refuses its row instead of the whole file."""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from vigilant.library.formats._lines import read_lines
from vigilant.library.formats.base import SourceError


@dataclass(frozen=True)
class CsvRow:
    line: int  # first line of the row (quoted fields may span lines)
    cells: list[str]
    decode_error: str | None = None

    @property
    def location(self) -> str:
        return f"line {self.line}"


def csv_rows(path: Path, encoding: str, delimiter: str = ",") -> Generator[CsvRow, None, None]:
    """Every non-blank row with its line number."""
    errors: dict[int, str] = {}

    def lines() -> Iterator[str]:
        for line in read_lines(path, encoding):
            if line.decode_error is not None:
                errors[line.number] = line.decode_error
            yield line.text + "\n"

    reader = csv.reader(lines(), delimiter=delimiter)
    last = 0
    try:
        for cells in reader:
            first, last = last + 1, reader.line_num
            problem = None
            for number in range(first, last + 1):
                problem = errors.pop(number, None) or problem
            if cells:
                yield CsvRow(first, cells, problem)
    except csv.Error as exc:
        raise SourceError(
            f"{path.name} is not valid CSV after line {last}: {exc}",
            hint="look for an unbalanced quote near that line",
        ) from exc


def first_row(lines: list[str], delimiter: str = ",") -> list[str] | None:
    """The first non-blank row of already-decoded head lines (for sniffing)."""
    for line in lines:
        if line.strip():
            try:
                return next(csv.reader([line], delimiter=delimiter), None)
            except csv.Error:
                return None
    return None


def header_key(cell: str) -> str:
    """A header cell reduced for comparison: case, blanks, ``-`` and ``_`` do not matter."""
    return "".join(ch for ch in cell.strip().lower() if ch not in " _-")
