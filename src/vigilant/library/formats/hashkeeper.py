"""HashKeeper hash sets: CSV headed ``"file_id","hashset_id","file_name","directory","hash","file_size",…``.

The ``hash`` column is an MD5. Columns are found by their header, so extra trailing columns are harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from vigilant.hashing.digests import MD5
from vigilant.library.formats import _fields as f
from vigilant.library.formats._csv import CsvRow, csv_rows, first_row, header_key, row_problem
from vigilant.library.formats._lines import head_lines
from vigilant.library.formats.base import ReaderOptions, ReadItem, SourceError
from vigilant.library.records import KnownEntry, SetHints

LEADING_COLUMNS = ("fileid", "hashsetid", "filename", "directory", "hash")
EXTRA_FILE_ID = "file_id"
EXTRA_HASHSET_ID = "hashset_id"
EXTRA_DIRECTORY = "directory"


class HashKeeperReader:
    name = "hashkeeper"
    title = "HashKeeper CSV"

    def sniff(self, path: Path, head: bytes) -> bool:
        cells = first_row(head_lines(head, limit=1))
        return cells is not None and tuple(header_key(cell) for cell in cells[:5]) == LEADING_COLUMNS

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        return SetHints()

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        rows = csv_rows(path, options.encoding)
        header = next(rows, None)
        if header is None:
            return
        if header.csv_error is not None:
            raise SourceError(f"{path.name}: its header line is {header.csv_error}")
        columns = {header_key(cell): index for index, cell in enumerate(header.cells)}
        if "hash" not in columns:
            raise SourceError(f"{path.name} has no 'hash' column: it is not a HashKeeper file")
        for row in rows:
            try:
                yield _entry(row, columns)
            except f.Refused as refused:
                yield refused.at(row.location)


def _entry(row: CsvRow, columns: dict[str, int]) -> KnownEntry:
    if (problem := row_problem(row)) is not None:
        raise f.Refused(*problem)
    width = max(columns.values()) + 1
    if len(row.cells) < width:
        raise f.Refused("bad-row", f"{len(row.cells)} fields where the header names {width}")

    def cell(name: str) -> str | None:
        index = columns.get(name)
        return None if index is None else row.cells[index]

    extra = {
        key: value
        for key, value in (
            (EXTRA_FILE_ID, f.text(cell("fileid"), "file-id")),
            (EXTRA_HASHSET_ID, f.text(cell("hashsetid"), "hashset-id")),
            (EXTRA_DIRECTORY, f.text(cell("directory"), "directory")),
        )
        if value is not None
    }
    entry = KnownEntry(
        location=row.location,
        md5=f.digest(MD5, cell("hash")),
        size=f.size(cell("filesize")),
        file_name=f.text(cell("filename"), "file-name"),
        comments=f.text(cell("comments"), "comments"),
        extra=extra,
    )
    return f.require_digest(entry)
