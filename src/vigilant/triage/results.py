"""Reading a run's results: the Parquet file of each finished batch, in batch order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from vigilant.triage.records import FileRecord, records_of
from vigilant.triage.runinfo import RunSummary

BATCH_GLOB = "batch-*.parquet"


def batch_files(results_dir: Path) -> list[Path]:
    # Batch ids are zero-padded, so name order is batch order.
    return sorted(results_dir.glob(BATCH_GLOB))


def iter_records(results_dir: Path) -> Iterator[FileRecord]:
    """Every record of the run in (position, member) order, a batch at a time (bounded memory)."""
    for path in batch_files(results_dir):
        yield from records_of(pq.read_table(path))


def summarise(records: Iterator[FileRecord]) -> RunSummary:
    s = RunSummary()
    for r in records:
        s.files += 1
        s.bytes += r.size
        s.allocated += r.allocated
        s.deleted += not r.allocated
        s.archive_members += r.member > 0
        s.images += r.is_image
        s.errors += r.status in ("unreadable", "error")
        s.encrypted += r.status == "encrypted"
        s.extension_mismatches += r.extension_mismatch
        s.known_bad += r.known_bad
        s.known_good += r.known_good
        s.alert += r.alert
        bad_hits = [h for h in r.hits if h.set_kind != "known-good"]
        # Found only perceptually (a picture by PDQ, a video by vPDQ): worth a reviewer's eyes first.
        if bad_hits and all(h.matched_on in ("pdq", "vpdq") for h in bad_hits):
            s.pdq_only += 1
        if r.known_bad and r.top_class:
            s.by_class[r.top_class] = s.by_class.get(r.top_class, 0) + 1
        for label in sorted({f"{h.set_name} {h.set_version}" for h in r.hits}):
            s.by_set[label] = s.by_set.get(label, 0) + 1
    return s
