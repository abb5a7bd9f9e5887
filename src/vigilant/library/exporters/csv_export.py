"""Export as CSV: one header row, then one row per entry with its set, category and every digest.

Entries carrying none of those digests (a known video known only by its vPDQ hash) are left out.
Written as UTF-8 with a byte-order mark so spreadsheet programs pick the right encoding. Free-text cells
that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) get a leading ``'``:
file names and comments come from seized media and must not execute on an analyst's machine.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from vigilant.errors import BadInputError
from vigilant.library.exporters._common import Utf8Sink
from vigilant.library.exporters.base import VideoFrames
from vigilant.library.records import HashSetInfo, StoredEntry

HEADER = (
    "set name",
    "set version",
    "kind",
    "profile",
    "category code",
    "category label",
    "publisher category",
    "md5",
    "sha1",
    "sha256",
    "pdq",
    "pdq_quality",
    "btih_v1",
    "btih_v2",
    "bt_v2_root",
    "size",
    "series",
    "flags",
    "tags",
    "comments",
    "file_name",
)
_DIGESTS = ("md5", "sha1", "sha256", "pdq", "btih_v1", "btih_v2", "bt_v2_root")
_FLAGS = ("victim_identified", "offender_identified", "distributed")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvWriter:
    name = "csv"
    title = "CSV, one row per entry with set and category"
    suffix = ".csv"

    def write(
        self,
        sets: Sequence[HashSetInfo],
        entries: Iterable[StoredEntry],
        out: BinaryIO,
        videos: VideoFrames | None = None,
    ) -> int:
        out.write(codecs.BOM_UTF8)
        writer = csv.writer(Utf8Sink(out), lineterminator="\r\n")
        writer.writerow(HEADER)
        count = 0
        for entry in entries:
            if not any(getattr(entry, name) is not None for name in _DIGESTS):
                continue  # e.g. a known video by vPDQ alone: a row with no hash would match nothing
            writer.writerow(row(entry))
            count += 1
        return count


def row(entry: StoredEntry) -> list[str]:
    info = entry.hash_set
    digests = [_hex(getattr(entry, name)) for name in _DIGESTS]
    flags = ";".join(
        f"{name}={str(value).lower()}" for name in _FLAGS if (value := getattr(entry, name)) is not None
    )
    return [
        _safe(info.name),
        _safe(info.version),
        info.kind.value,
        info.profile,
        entry.category or "",
        _label(info, entry.category),
        _safe(entry.category_label),
        *digests[:4],
        "" if entry.pdq_quality is None else str(entry.pdq_quality),
        *digests[4:],
        "" if entry.size is None else str(entry.size),
        _safe(entry.series),
        flags,
        _safe(";".join(entry.tags)),
        _safe(entry.comments),
        _safe(entry.file_name),
    ]


def _hex(value: bytes | None) -> str:
    return "" if value is None else value.hex()


def _label(info: HashSetInfo, code: str | None) -> str:
    try:
        category = info.category_profile.get(code)
    except BadInputError:
        return ""
    return "" if category is None else category.label


def _safe(text: str | None) -> str:
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
