"""CSV: one header row, then one row per record with every column of the results, in record order (the
address chain as its text, ``address``, and its parts, the flat address columns).

Digests are lower-case hex; times ISO 8601 UTC; booleans ``true``/``false``; archive member chains a JSON
list; hits one cell, each ``set@version:matched_on[:detail]:category[:#entry]`` (see :func:`hit_label`: the
detail is a PDQ distance and method, ``12/full``, or for a ``vpdq`` match vPDQ's two percentages
``92.0%/88.0%``; a perceptual hit names its library entry, ``#42``), joined by ``"; "``, and after it
``matched_entries``, a JSON list with what the library holds of each perceptual hit's entry (name, series,
category and the publisher's label, MD5, SHA-1, SHA-256, PDQ: see :func:`entry_json`); a
video's vPDQ frames one cell, each ``frame@seconds:pdq-hex:quality`` (``20@2.000s:…:100``), joined by a
space. UTF-8 with a byte-order mark so spreadsheet programs pick the right encoding, and every
text cell that a spreadsheet would run as a formula gets a leading ``'``: names come from seized media.
A part of the evidence the run could not read (a volume with no readable file system, …) is a row of its
own before the records, its status ``volume-unreadable`` or ``not-read`` (see :func:`unread_rows`).
"""

from __future__ import annotations

import codecs
import csv
import json
from dataclasses import fields
from datetime import datetime
from typing import BinaryIO

from vigilant.perceptual.vpdq import FrameHash
from vigilant.triage.records import FileRecord, Hit
from vigilant.triage.reports._sink import TextSink
from vigilant.triage.reports._text import (
    PERCEPTUAL,
    entry_json,
    hit_label,
    hit_order,
    iso_utc,
    spreadsheet_safe,
)
from vigilant.triage.reports.base import RecordSource
from vigilant.triage.runinfo import RunInfo

# The chain is not a column of its own: ``address`` is its text, and the flat address columns its parts.
RECORD_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(FileRecord) if f.name != "chain")
assert RECORD_COLUMNS[-1] == "hits", "the hits column is written by hits_cell"
COLUMNS: tuple[str, ...] = (*RECORD_COLUMNS, "matched_entries")


class CsvReport:
    name = "csv"
    title = "CSV, one row per file with every column"
    suffix = ".csv"

    def write(self, run: RunInfo, records: RecordSource, out: BinaryIO) -> None:
        out.write(codecs.BOM_UTF8)
        sink = TextSink(out)
        writer = csv.writer(sink, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(unread_rows(run))
        for record in records():
            writer.writerow(row(record))
        sink.flush()


def unread_rows(run: RunInfo) -> list[list[str]]:
    """A row before the records for each part of the evidence the run could not read: only ``address``
    (where), ``status`` (``volume-unreadable`` or ``not-read``) and ``error`` (why; for a volume, led by
    "N of M volumes unreadable") are filled."""
    coverage = run.coverage
    if coverage is None:
        return []
    rows = []
    for part in coverage.parts:
        cells = dict.fromkeys(COLUMNS, "")
        cells["address"] = spreadsheet_safe(part.where)
        cells["status"] = "volume-unreadable" if part.volume else "not-read"
        lead = ""
        if part.volume:
            lead = f"{coverage.unreadable_volumes} of {coverage.volumes} volumes unreadable: "
        cells["error"] = spreadsheet_safe(lead + part.reason)
        rows.append(list(cells.values()))
    return rows


def row(record: FileRecord) -> list[str]:
    values = [
        frames_cell(record.video_frames) if name == "video_frames" else cell(getattr(record, name))
        for name in RECORD_COLUMNS[:-1]
    ]
    return [*values, hits_cell(record.hits), entries_cell(record.hits)]


def frames_cell(frames: list[FrameHash]) -> str:
    return " ".join(f"{f.frame}@{f.seconds:.3f}s:{f.hex}:{f.quality}" for f in frames)


def hits_cell(hits: list[Hit]) -> str:
    return spreadsheet_safe("; ".join(hit_label(h) for h in sorted(hits, key=hit_order)))


def entries_cell(hits: list[Hit]) -> str:
    """The perceptual hits' entries, in the hits cell's order (empty when there is none)."""
    entries = [entry_json(h) for h in sorted(hits, key=hit_order) if h.matched_on in PERCEPTUAL]
    return spreadsheet_safe(json.dumps(entries, ensure_ascii=False)) if entries else ""


def cell(value: object) -> str:
    # bool before int: a bool is an int to isinstance.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, str):
        return spreadsheet_safe(value)
    if isinstance(value, list):  # archive member names, outermost first
        return spreadsheet_safe(json.dumps(value, ensure_ascii=False)) if value else ""
    raise TypeError(f"no CSV form for {type(value).__name__}")
