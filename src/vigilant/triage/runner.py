"""A triage run as a resumable batch job.

The evidence walk is deterministic, so the files are cut into batches the same way every time: a batch
ends after ``batch_files`` files or ``batch_bytes`` bytes. A batch's records are a pure function of the
evidence, the settings and the library, and are written atomically (temporary name, fsync, rename) as
``batch-NNNNNN.parquet``. The run's state is the set of batch files present: a run killed at any moment
resumes by doing the batches that are missing, and ends with the same results as one never interrupted.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from vigilant import __version__
from vigilant.evidence.base import FileEntry
from vigilant.evidence.sources import sources
from vigilant.library.indexes import LibraryIndexes
from vigilant.library.records import HashSetInfo
from vigilant.triage.matcher import Matcher
from vigilant.triage.process import EntryProcessor
from vigilant.triage.records import FileRecord, to_table
from vigilant.triage.runinfo import EvidenceInfo
from vigilant.triage.settings import TriageSettings


@dataclass
class Progress:
    """Told how much there is, then how far the run got; the CLI draws it, the API reports it."""

    on_total: Callable[[int, int], None] = lambda files, size: None
    on_advance: Callable[[int, int], None] = lambda files, size: None


def batch_name(index: int) -> str:
    return f"batch-{index:06d}.parquet"


def plan_batches(
    entries: Iterator[FileEntry], settings: TriageSettings
) -> Iterator[list[tuple[int, FileEntry]]]:
    """Cut the walk into batches of (position, entry), the same way on every run."""
    batch: list[tuple[int, FileEntry]] = []
    size = 0
    for position, entry in enumerate(entries):
        batch.append((position, entry))
        size += entry.size
        if len(batch) >= settings.batch_files or size >= settings.batch_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def write_atomically(records: list[FileRecord], target: Path) -> None:
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    pq.write_table(to_table(records), partial, compression="zstd")
    with partial.open("rb") as fh:
        os.fsync(fh.fileno())
    partial.replace(target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def count_entries(evidence: EvidenceInfo) -> tuple[int, int]:
    files = size = 0
    for entry in sources()[evidence.source_type].entries(Path(evidence.path)):
        files += 1
        size += entry.size
    return files, size


def execute(
    evidence: EvidenceInfo,
    settings: TriageSettings,
    *,
    library: LibraryIndexes,
    sets: list[HashSetInfo],
    results_dir: Path,
    progress: Progress,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Run every batch that has no results yet; return how many batches the run has in all."""
    results_dir.mkdir(parents=True, exist_ok=True)
    for leftover in results_dir.glob(".batch-*.partial-*"):  # from a run that was killed mid-write
        leftover.unlink()
    source = sources()[evidence.source_type]
    matcher = Matcher(library, sets)
    # Batches overlap: the threads read and hash the next batch while this thread matches and writes the
    # one before, so the cores never wait for the serial part, nor for the slowest file of a batch.
    pending: deque[_Batch] = deque()
    batches = 0
    with ExitStack() as stack:  # closed last in, first out: the threads, the picture pool, the walk
        # The walk stays open until the last batch is done: its entries read through its handles.
        walk = stack.enter_context(source.walk(Path(evidence.path)))
        pictures: ProcessPoolExecutor | None = None
        if (settings.pdq or settings.exif) and settings.processes > 0:
            context = multiprocessing.get_context("forkserver")
            pictures = ProcessPoolExecutor(settings.processes, mp_context=context)
            stack.callback(pictures.shutdown, cancel_futures=True)
        processor = EntryProcessor(evidence.id, settings, pictures)
        threads = ThreadPoolExecutor(max(1, settings.threads), thread_name_prefix="triage")
        stack.callback(threads.shutdown, wait=True, cancel_futures=True)  # on failure: drop queued work
        for index, batch in enumerate(plan_batches(iter(walk), settings)):
            batches = index + 1
            target = results_dir / batch_name(index)
            work = None if target.exists() else [threads.submit(processor.process, *i) for i in batch]
            pending.append(_Batch(index, target, batch, work))
            while len(pending) > _AHEAD:
                _finish(pending.popleft(), matcher, progress, on_batch)
        while pending:
            _finish(pending.popleft(), matcher, progress, on_batch)
    return batches


_AHEAD = 1  # batches queued beyond the one being finished: enough to keep the threads busy


@dataclass
class _Batch:
    index: int
    target: Path
    entries: list[tuple[int, FileEntry]]
    work: list[Future[list[FileRecord]]] | None  # None: its results exist (a resumed run)


def _finish(
    batch: _Batch, matcher: Matcher, progress: Progress, on_batch: Callable[[int], None] | None
) -> None:
    size = sum(entry.size for _, entry in batch.entries)
    if batch.work is None:
        progress.on_advance(len(batch.entries), size)
        return
    records: list[FileRecord] = []
    for part in batch.work:
        records.extend(part.result())
    matcher.match(records)
    write_atomically(records, batch.target)
    progress.on_advance(len(batch.entries), size)
    if on_batch is not None:
        on_batch(batch.index)


def library_snapshot(sets: list[HashSetInfo]) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "name": s.name,
            "version": s.version,
            "kind": s.kind.value,
            "profile": s.profile,
            "source_sha256": s.source_sha256,
            "entries": s.entry_count,
        }
        for s in sets
    ]


TOOL = f"Vigilant {__version__}"
