"""CSV rows over :mod:`_lines`, one physical line at a time, so that damage costs only the line it is in.

A line that does not decode, or that is not valid CSV (an unclosed quote, text after a closing quote), is a
row with a ``problem``: the reader refuses it with its line number and reading goes on at the next line.
Python's :mod:`csv` reader alone would let an unclosed quote run on into the following lines and swallow
good rows (issue 11 A7).

A quoted cell may span lines only where the caller allows it (``multiline``: plain CSV, whose exporters
quote cells holding a line break). The joined row is then kept only when it closes within
:data:`MAX_SPAN` lines, is valid CSV, and has as many cells as the header; otherwise its first line is
refused alone and the lines after it are read again on their own.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from vigilant.library.formats._lines import Line, read_lines

MAX_SPAN = 64  # lines one multi-line row may span
_OPEN_QUOTE = "unexpected end of data"  # what the strict csv reader says of a quote left open


@dataclass(frozen=True)
class CsvRow:
    line: int  # first line of the row
    cells: list[str]  # empty when ``csv_error`` is set
    decode_error: str | None = None
    csv_error: str | None = None  # the line is not valid CSV: refuse it

    @property
    def location(self) -> str:
        return f"line {self.line}"


def csv_rows(
    path: Path, encoding: str, delimiter: str = ",", *, multiline: bool = False
) -> Generator[CsvRow, None, None]:
    """Every non-blank row with its line number; the first row is taken as the header."""
    pending: deque[Line] = deque()  # lines read ahead for a multi-line row that did not hold
    source = read_lines(path, encoding)
    width: int | None = None  # the header's cell count

    def next_line() -> Line | None:
        return pending.popleft() if pending else next(source, None)

    while (line := next_line()) is not None:
        if not line.text.strip():
            continue
        cells, error = _parse([line], delimiter)
        taken = [line]
        if error == _OPEN_QUOTE and multiline and width is not None:
            while len(taken) < MAX_SPAN and (following := next_line()) is not None:
                taken.append(following)
                cells, error = _parse(taken, delimiter)
                if error != _OPEN_QUOTE:
                    break
            if error is None and len(cells) == width:
                decode = next((t.decode_error for t in taken if t.decode_error), None)
                yield CsvRow(line.number, cells, decode)
                continue
            pending.extendleft(reversed(taken[1:]))
            cells, error = _parse([line], delimiter)
        if error is not None:
            yield CsvRow(line.number, [], line.decode_error, f"not valid CSV: {_explain(error)}")
            continue
        if width is None:
            width = len(cells)
        yield CsvRow(line.number, cells, line.decode_error)


def _parse(lines: list[Line], delimiter: str) -> tuple[list[str], str | None]:
    """The one row the lines hold, or the strict csv reader's complaint."""
    try:
        rows = list(csv.reader((f"{line.text}\n" for line in lines), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return [], str(exc)
    if len(rows) != 1:
        return [], f"{len(rows)} rows in one"
    return rows[0], None


def _explain(error: str) -> str:
    """The csv module's complaint in an examiner's words."""
    if error == _OPEN_QUOTE:
        return "a quote is left open at the end of the line"
    if error.startswith("'") and "expected after '\"'" in error:
        return f"a stray quote: text follows a closing quote ({error})"
    return error


def row_problem(row: CsvRow) -> tuple[str, str] | None:
    """The reason and detail to refuse ``row`` for, when it could not be read at all."""
    if row.csv_error is not None:
        return "bad-csv", row.csv_error
    if row.decode_error is not None:
        return "bad-encoding", row.decode_error
    return None


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
