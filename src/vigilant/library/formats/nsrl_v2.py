"""NIST NSRL RDS 2.x: ``NSRLFile.txt`` (quoted CSV), named by its header in either known column order.

When ``NSRLProd.txt``, ``NSRLOS.txt`` and ``NSRLMfg.txt`` sit beside it, product, OS and manufacturer
names are added to each entry. Those side files are small (thousands of rows), so they are held in dicts.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vigilant.hashing.digests import MD5, SHA1
from vigilant.library.formats import _fields as f
from vigilant.library.formats import _nsrl as n
from vigilant.library.formats._csv import CsvRow, csv_rows, first_row, header_key, row_problem
from vigilant.library.formats._lines import head_lines
from vigilant.library.formats.base import ReaderOptions, ReadItem, SourceError
from vigilant.library.records import KnownEntry, RowProblem, SetHints

# header_key() of each NSRLFile.txt column -> the name used here.
_FILE_COLUMNS = {
    "sha1": "sha1",
    "md5": "md5",
    "crc32": "crc32",
    "filename": "file_name",
    "filesize": "size",
    "productcode": "product",
    "opsystemcode": "os",
    "specialcode": "special",
}


@dataclass
class _SideTables:
    products: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)  # (code, os) ->
    products_by_code: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # (name, version, mfg)
    systems: dict[str, tuple[str, str]] = field(default_factory=dict)  # os code -> (name, version)
    makers: dict[str, str] = field(default_factory=dict)  # mfg code -> name


class NsrlV2Reader:
    name = "nsrl-v2"
    title = "NIST NSRL RDS 2.x (NSRLFile.txt)"

    def sniff(self, path: Path, head: bytes) -> bool:
        cells = first_row(head_lines(head, limit=1))
        if not cells:
            return False
        keys = [header_key(cell) for cell in cells]
        return keys[0] == "sha1" and "filename" in keys and "productcode" in keys

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        return n.nsrl_hints()

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        side = _SideTables()
        yield from _side_tables(path.parent, options.encoding, side)
        rows = csv_rows(path, options.encoding)
        header = next(rows, None)
        if header is None:
            return
        if header.csv_error is not None:
            raise SourceError(f"{path.name}: its header line is {header.csv_error}")
        columns = [_FILE_COLUMNS.get(header_key(cell), "") for cell in header.cells]
        if "sha1" not in columns and "md5" not in columns:
            raise SourceError(
                f"{path.name} does not start with the NSRLFile.txt header",
                hint='expected "SHA-1","MD5","CRC32","FileName",…',
            )
        for row in rows:
            try:
                yield _entry(row, columns, side)
            except f.Refused as refused:
                yield refused.at(row.location)


def _entry(row: CsvRow, columns: list[str], side: _SideTables) -> KnownEntry:
    if (problem := row_problem(row)) is not None:
        raise f.Refused(*problem)
    if len(row.cells) != len(columns):
        raise f.Refused("bad-row", f"{len(row.cells)} fields where the header names {len(columns)}")
    values = {column: cell for column, cell in zip(columns, row.cells, strict=True) if column}
    product, system = values.get("product", "").strip(), values.get("os", "").strip()
    name, version, maker_code = side.products.get((product, system)) or side.products_by_code.get(
        product, ("", "", "")
    )
    os_name, os_version = side.systems.get(system, ("", ""))
    extra = n.compact(
        {
            n.EXTRA_CRC32: values.get("crc32", "").strip(),
            n.EXTRA_PACKAGE_ID: int(product) if product.isdigit() else product,
            n.EXTRA_PACKAGE_NAME: name,
            n.EXTRA_PACKAGE_VERSION: version,
            n.EXTRA_OS_CODE: system,
            n.EXTRA_OS_NAME: os_name,
            n.EXTRA_OS_VERSION: os_version,
            n.EXTRA_MANUFACTURER: side.makers.get(maker_code, ""),
            n.EXTRA_SPECIAL_CODE: values.get("special", "").strip(),
        }
    )
    entry = KnownEntry(
        location=row.location,
        md5=f.digest(MD5, values.get("md5")),
        sha1=f.digest(SHA1, values.get("sha1")),
        size=f.size(values.get("size")),
        file_name=f.text(values.get("file_name"), "file-name"),
        extra=extra,
    )
    return f.require_digest(entry)


def _side_tables(folder: Path, encoding: str, side: _SideTables) -> Iterator[RowProblem]:
    """Fill ``side`` from the side files beside NSRLFile.txt; yield their lines that cannot be read."""
    files = _side_files(folder)
    for cells in (yield from _side_rows(files.get("nsrlprod.txt"), encoding)):
        code, name, version, system, maker = (cells + [""] * 5)[:5]
        side.products.setdefault((code, system), (name, version, maker))
        side.products_by_code.setdefault(code, (name, version, maker))
    for cells in (yield from _side_rows(files.get("nsrlos.txt"), encoding)):
        code, name, version = (cells + [""] * 3)[:3]
        side.systems.setdefault(code, (name, version))
    for cells in (yield from _side_rows(files.get("nsrlmfg.txt"), encoding)):
        code, name = (cells + [""] * 2)[:2]
        side.makers.setdefault(code, name)


def _side_files(folder: Path) -> dict[str, Path]:
    try:
        return {child.name.lower(): child for child in folder.iterdir() if child.is_file()}
    except OSError:
        return {}


def _side_rows(path: Path | None, encoding: str) -> Generator[RowProblem, None, list[list[str]]]:
    """The data rows of a side file, stripped (the header row is skipped); a line that cannot be read,
    or has another number of fields than the header, is refused alone with its location. These files are
    small (thousands of rows), so their rows are returned as one list."""
    taken: list[list[str]] = []
    if path is None:
        return taken
    try:
        rows = csv_rows(path, encoding)
        header = next(rows, None)
        for row in rows:
            location = f"{path.name} {row.location}"
            problem = row_problem(row)
            if problem is None and header is not None and len(row.cells) != len(header.cells):
                problem = "bad-row", f"{len(row.cells)} fields where the header names {len(header.cells)}"
            if problem is not None:
                yield RowProblem(location, *problem)
            else:
                taken.append([cell.strip() for cell in row.cells])
    except SourceError as exc:
        yield RowProblem(path.name, "bad-side-file", exc.message)
    return taken
