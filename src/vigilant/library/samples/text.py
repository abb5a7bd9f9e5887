"""Synthetic line-oriented sources: md5sum-style lists, hashdeep audit files, HashKeeper and plain CSV.

``Raw`` items are written verbatim as one line, which is how tests plant damaged rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from vigilant.hashing.digests import DIGEST_KINDS
from vigilant.library.records import KnownEntry
from vigilant.library.samples.entries import Raw, SampleItem, display_name

_BSD_TAGS = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256"}
HASHKEEPER_HEADER = (
    "file_id",
    "hashset_id",
    "file_name",
    "directory",
    "hash",
    "file_size",
    "date_modified",
    "time_modified",
    "time_zone",
    "comments",
    "date_accessed",
    "time_accessed",
)
CSV_FIELDS = ("md5", "sha1", "sha256", "size", "category", "series", "file_name")


def _open(path: Path) -> TextIO:
    return path.open("w", encoding="utf-8", newline="")


def _hex(entry: KnownEntry, kind: str) -> str | None:
    value = getattr(entry, kind)
    return None if value is None else DIGEST_KINDS[kind].format(value)


def write_sums(
    path: Path, entries: Iterable[SampleItem], kind: str = "md5", style: str = "gnu", *, binary: bool = False
) -> Path:
    """``<kind>sum`` output: GNU (``hex  name``, ``hex *name`` when ``binary``) or BSD (``MD5 (name) = hex``).

    Names holding a backslash or a line break use coreutils' escaped form. Entries without the digest are
    left out, as the tool would never have listed them.
    """
    with _open(path) as out:
        out.write(f"# synthetic {kind} list written by vigilant.library.samples\n")
        for index, item in enumerate(entries):
            if isinstance(item, Raw):
                out.write(f"{item.value}\n")
                continue
            value = _hex(item, kind)
            if value is None:
                continue
            name, escaped = _escape(display_name(item, index))
            prefix = "\\" if escaped else ""
            if style == "bsd":
                out.write(f"{prefix}{_BSD_TAGS[kind]} ({name}) = {value}\n")
            else:
                out.write(f"{prefix}{value} {'*' if binary else ' '}{name}\n")
    return path


def _escape(name: str) -> tuple[str, bool]:
    if not any(ch in name for ch in "\\\n\r"):
        return name, False
    return name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r"), True


def write_hashdeep(
    path: Path, entries: Iterable[SampleItem], columns: Sequence[str] = ("size", "md5", "sha256")
) -> Path:
    """A hashdeep audit file with ``columns`` then the file name (which may hold commas)."""
    with _open(path) as out:
        out.write("%%%% HASHDEEP-1.0\n")
        out.write(f"%%%% {','.join(columns)},filename\n")
        out.write("## Invoked from: /synthetic\n## $ hashdeep -r .\n##\n")
        for index, item in enumerate(entries):
            if isinstance(item, Raw):
                out.write(f"{item.value}\n")
                continue
            cells = [str(item.size or 0) if column == "size" else _hex(item, column) for column in columns]
            if any(cell is None for cell in cells):
                continue
            out.write(",".join([*(cell or "" for cell in cells), display_name(item, index)]) + "\n")
    return path


def write_hashkeeper(path: Path, entries: Iterable[SampleItem]) -> Path:
    with _open(path) as out:
        writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
        writer.writerow(HASHKEEPER_HEADER)
        for index, item in enumerate(entries):
            if isinstance(item, Raw):
                out.write(f"{item.value}\r\n")
                continue
            md5 = (_hex(item, "md5") or "").upper()
            row: list[object] = [
                index + 1,
                7,
                display_name(item, index),
                "C:\\Synthetic\\",
                md5,
                item.size or 0,
            ]
            writer.writerow([*row, "01/02/2003", "04:05:06", "UTC", item.comments or "", "", ""])
    return path


def write_csv(
    path: Path,
    entries: Iterable[SampleItem],
    *,
    fields: Sequence[str] = CSV_FIELDS,
    headers: Mapping[str, str] | None = None,
    delimiter: str = ",",
) -> Path:
    """A plain CSV of ``fields`` (Vigilant names) under ``headers`` (field -> header, default the name)."""
    headers = headers or {}
    with _open(path) as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow([headers.get(field, field) for field in fields])
        for item in entries:
            if isinstance(item, Raw):
                out.write(f"{item.value}\n")
                continue
            writer.writerow([_csv_cell(item, field) for field in fields])
    return path


def _csv_cell(entry: KnownEntry, field: str) -> str:
    if field in DIGEST_KINDS.names():
        return _hex(entry, field) or ""
    value = getattr(entry, field)
    if value is None:
        return ""
    if field == "tags":
        return ";".join(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
