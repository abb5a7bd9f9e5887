"""Plain CSV hash lists with a header row.

``ReaderOptions.column_map`` names the columns (Vigilant field -> header, or a 0-based column number);
without one, obvious headers are recognised whatever their case or punctuation ("MD5", "SHA-1",
"file_name", "File Size", …). The delimiter is sniffed among comma, semicolon and tab unless given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import closing
from pathlib import Path

from vigilant.hashing.digests import BT_V2_ROOT, BTIH_V1, BTIH_V2, MD5, PDQ, SHA1, SHA256, DigestKind
from vigilant.library.formats import _fields as f
from vigilant.library.formats._csv import CsvRow, csv_rows, first_row, header_key, row_problem
from vigilant.library.formats._lines import head_lines, read_lines
from vigilant.library.formats.base import ReaderOptions, ReadItem, SourceError
from vigilant.library.records import KnownEntry, SetHints, SetKind

DIGEST_FIELDS: dict[str, DigestKind] = {
    kind.name: kind for kind in (MD5, SHA1, SHA256, PDQ, BTIH_V1, BTIH_V2, BT_V2_ROOT)
}
FLAG_FIELDS = ("victim_identified", "offender_identified", "distributed")
# Vigilant field -> header_key() spellings recognised without a column map. "flags" holds
# "victim_identified=true;distributed=false" as the CSV exporter writes it.
ALIASES: dict[str, tuple[str, ...]] = {
    "md5": ("md5", "md5hash", "hashmd5"),
    "sha1": ("sha1", "sha1hash", "hashsha1"),
    "sha256": ("sha256", "sha2256", "sha256hash", "hashsha256"),
    "pdq": ("pdq", "pdqhash"),
    "pdq_quality": ("pdqquality",),
    "btih_v1": ("btihv1", "btih", "infohash", "infohashv1"),
    "btih_v2": ("btihv2", "infohashv2"),
    "bt_v2_root": ("btv2root",),
    "size": ("size", "filesize", "mediasize"),
    "category": ("category", "categorycode"),
    "category_label": ("publishercategory", "publisherlabel", "categoryname"),
    "series": ("series",),
    "file_name": ("filename",),
    "comments": ("comments", "comment", "notes"),
    "tags": ("tags", "tag"),
    "victim_identified": ("victimidentified",),
    "offender_identified": ("offenderidentified",),
    "distributed": ("distributed", "isdistributed"),
    "flags": ("flags",),
}
# Columns that describe the set rather than the entry (the CSV exporter writes them on every row).
_SET_COLUMNS = ("setname", "setversion", "kind", "profile")
_DELIMITERS = (",", ";", "\t")
_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})


class PlainCsvReader:
    name = "csv"
    title = "CSV with a header row"

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() not in _SUFFIXES:
            return False
        lines = head_lines(head, limit=2)
        cells = first_row(lines, sniff_delimiter(lines[0] if lines else ""))
        if not cells:
            return False
        found = _auto_columns(cells)
        return any(name in DIGEST_FIELDS for name in found)

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        """Set name, version, kind and profile from the first row, when the CSV exporter wrote them."""
        with closing(csv_rows(path, options.encoding, _delimiter(path, options))) as rows:
            header, data = next(rows, None), next(rows, None)
        if header is None or data is None:
            return SetHints()
        keys = [header_key(cell) for cell in header.cells]
        cells = zip(keys, data.cells, strict=False)
        values = {key: cell.strip() for key, cell in cells if key in _SET_COLUMNS}
        kind = values.get("kind")
        return SetHints(
            name=values.get("setname") or None,
            version=values.get("setversion") or None,
            profile=values.get("profile") or None,
            kind=SetKind(kind) if kind in {k.value for k in SetKind} else None,
        )

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        rows = csv_rows(path, options.encoding, _delimiter(path, options), multiline=True)
        header = next(rows, None)
        if header is None:
            return
        if header.csv_error is not None:
            raise SourceError(f"{path.name}: its header line is {header.csv_error}")
        columns = _columns(header.cells, options.column_map, path)
        for row in rows:
            try:
                yield _entry(row, columns)
            except f.Refused as refused:
                yield refused.at(row.location)


def sniff_delimiter(line: str) -> str:
    """The candidate delimiter seen most often in the header line; comma when none is."""
    counts = {delimiter: line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _delimiter(path: Path, options: ReaderOptions) -> str:
    if options.delimiter:
        return options.delimiter
    for line in read_lines(path, options.encoding):
        if line.text.strip():
            return sniff_delimiter(line.text)
    return ","


def _auto_columns(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = header_key(cell)
        for name, aliases in ALIASES.items():
            if key in aliases and name not in found:
                found[name] = index
    return found


def _columns(cells: list[str], column_map: Mapping[str, str], path: Path) -> dict[str, int]:
    if not column_map:
        found = _auto_columns(cells)
    else:
        keys = [header_key(cell) for cell in cells]
        found = {}
        for name, column in column_map.items():
            if name not in ALIASES:
                raise SourceError(
                    f"the column map names an unknown field {name!r}", hint=f"fields: {', '.join(ALIASES)}"
                )
            key = header_key(column)
            if key in keys:
                found[name] = keys.index(key)
            elif column.strip().isdigit() and int(column) < len(cells):
                found[name] = int(column)
            else:
                raise SourceError(
                    f"{path.name} has no column {column!r} for {name}",
                    hint=f"its header row holds: {', '.join(cells)}",
                )
    if not any(name in DIGEST_FIELDS for name in found):
        raise SourceError(
            f"{path.name} has no digest column Vigilant recognises",
            hint="name it with a column map, e.g. md5=<header> (fields: " + ", ".join(DIGEST_FIELDS) + ")",
        )
    return found


def _entry(row: CsvRow, columns: dict[str, int]) -> KnownEntry:
    if (problem := row_problem(row)) is not None:
        raise f.Refused(*problem)

    def cell(name: str) -> str | None:
        index = columns.get(name)
        if index is None:
            return None
        if index >= len(row.cells):
            raise f.Refused("bad-row", f"{len(row.cells)} fields, but {name} is in column {index + 1}")
        return row.cells[index]

    digests = {name: f.digest(kind, cell(name)) for name, kind in DIGEST_FIELDS.items()}
    flags = _flags(cell("flags"))
    for name in FLAG_FIELDS:
        value = f.flag(cell(name), name)
        if value is not None:
            flags[name] = value
    entry = KnownEntry(
        location=row.location,
        md5=digests["md5"],
        sha1=digests["sha1"],
        sha256=digests["sha256"],
        pdq=digests["pdq"],
        pdq_quality=f.quality(cell("pdq_quality")),
        btih_v1=digests["btih_v1"],
        btih_v2=digests["btih_v2"],
        bt_v2_root=digests["bt_v2_root"],
        size=f.size(cell("size")),
        category=f.category(cell("category")),
        category_label=f.text(cell("category_label"), "category-label"),
        series=f.text(cell("series"), "series"),
        victim_identified=flags.get("victim_identified"),
        offender_identified=flags.get("offender_identified"),
        distributed=flags.get("distributed"),
        tags=f.tags(cell("tags")),
        comments=f.text(cell("comments"), "comments"),
        file_name=f.text(cell("file_name"), "file-name"),
    )
    return f.require_digest(entry)


def _flags(value: str | None) -> dict[str, bool]:
    """``victim_identified=true;distributed=false`` (a bare name means true)."""
    flags: dict[str, bool] = {}
    if value is None:
        return flags
    for part in value.split(";"):
        if not part.strip():
            continue
        name, _, setting = part.partition("=")
        name = name.strip().lower()
        if name not in FLAG_FIELDS:
            raise f.Refused("bad-flag", f"unknown flag {name!r} (known: {', '.join(FLAG_FIELDS)})")
        parsed = f.flag(setting if setting.strip() else "true", name)
        if parsed is not None:
            flags[name] = parsed
    return flags
