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
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from vigilant import __version__
from vigilant.evidence.base import FileEntry
from vigilant.evidence.container import ContainerWalk
from vigilant.evidence.directory import DirectoryWalk
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.items import EvidenceInfo
from vigilant.evidence.one_pass import one_pass_walk
from vigilant.evidence.sources import EvidenceWalk, sources
from vigilant.library.indexes import LibraryIndexes
from vigilant.library.records import HashSetInfo
from vigilant.triage.matcher import Matcher
from vigilant.triage.process import CHUNK, GROUP_BYTES, EntryProcessor
from vigilant.triage.records import FileRecord, to_table
from vigilant.triage.runinfo import Coverage, UnreadPart
from vigilant.triage.settings import TriageSettings


@dataclass
class Progress:
    """Told how much there is, then how far the run got; the CLI draws it, the API reports it."""

    on_total: Callable[[int, int], None] = lambda files, size: None
    on_advance: Callable[[int, int], None] = lambda files, size: None


def batch_name(index: int) -> str:
    return f"batch-{index:06d}.parquet"


def batch_ends(files: int, size: int, settings: TriageSettings) -> bool:
    """Whether a batch of this many files and bytes is complete: the walk is cut the same way every run."""
    return files >= settings.batch_files or size >= settings.batch_bytes


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
    with sources()[evidence.source_type].walk(Path(evidence.path)) as walk:
        # A folder or an archive is counted from its listing alone: no file opened, no entry built (and a
        # compressed tar decompressed as a stream, not into a second temporary copy).
        if isinstance(walk, DirectoryWalk | ContainerWalk):
            sizes = walk.sizes()
        else:
            sizes = (entry.size for entry in walk)
        for each in sizes:
            files += 1
            size += each
    return files, size


def coverage_of(walk: EvidenceWalk) -> Coverage:
    """What a finished walk could not read: its volumes with no readable file system, and the rest."""
    volumes, unreadable = 0, []
    if isinstance(walk, FileSystemWalker):
        volumes, unreadable = len(walk.volumes()), walk.unreadable_volumes
    elif isinstance(walk, ContainerWalk):  # an archive given as evidence: the container is its volume
        volumes, unreadable = walk.volume_count, walk.unreadable_volumes
    parts = [UnreadPart(p.where, p.reason, volume=any(p is u for u in unreadable)) for p in walk.problems]
    return Coverage(volumes, tuple(parts))


@dataclass(frozen=True)
class Executed:
    batches: int  # how many batches the run has in all
    coverage: Coverage  # what of the evidence the walk could not read
    # A raw image's MD5, SHA-256 and size from the run's own sequential read (evidence.one_pass), to verify
    # it without reading it again; None: verify as before.
    image_hashes: dict[str, str] | None = None


def execute(
    evidence: EvidenceInfo,
    settings: TriageSettings,
    *,
    library: LibraryIndexes,
    sets: list[HashSetInfo],
    results_dir: Path,
    progress: Progress,
    on_batch: Callable[[int, int, int], None] | None = None,
    one_pass: bool = True,
) -> Executed:
    """Run every batch that has no results yet; the walk goes over the whole evidence every time (a resumed
    run counts the batches it has), so the coverage it returns is the whole run's. ``on_batch`` is told
    each batch written (its number, files and bytes); what it raises stops the run (a pause). With
    ``one_pass``, a raw image is read once, sequentially, for its files and its verification hashes."""
    results_dir.mkdir(parents=True, exist_ok=True)
    for leftover in results_dir.glob(".batch-*.partial-*"):  # from a run that was killed mid-write
        leftover.unlink()
    source = sources()[evidence.source_type]
    matcher = Matcher(library, sets)
    # Each file goes to the threads as soon as the walk lists it, and batches overlap: the threads read
    # and hash while this thread walks on and matches and writes the batch before, so the cores wait
    # neither for the walk, nor for the serial part, nor for the slowest file of a batch.
    pending: deque[_Batch] = deque()
    batch: _Batch | None = None
    with ExitStack() as stack:  # closed last in, first out: the threads, the picture pool, the walk
        # The walk stays open until the last batch is done: its entries read through its handles.
        passing = one_pass_walk(source, Path(evidence.path)) if one_pass else None
        walk = stack.enter_context(passing[0] if passing else source.walk(Path(evidence.path)))
        pictures: ProcessPoolExecutor | None = None
        if (settings.pdq or settings.exif) and settings.processes > 0:
            context = multiprocessing.get_context("forkserver")
            pictures = ProcessPoolExecutor(settings.processes, mp_context=context)
            stack.callback(pictures.shutdown, cancel_futures=True)
        processor = EntryProcessor(evidence.id, settings, pictures, matcher.pdq_methods)
        threads = ThreadPoolExecutor(max(1, settings.threads), thread_name_prefix="triage")
        stack.callback(threads.shutdown, wait=True, cancel_futures=True)  # on failure: drop queued work
        batches = 0
        for position, entry in enumerate(walk):
            if batch is None:
                target = results_dir / batch_name(batches)
                batch = _Batch(batches, target, done=target.exists())
                batches += 1
            batch.files += 1
            batch.size += entry.size
            if not batch.done:
                batch.add(position, entry, threads, processor, progress)
            if batch_ends(batch.files, batch.size, settings):
                batch.submit(threads, processor, progress)
                pending.append(batch)
                batch = None
                while len(pending) > _AHEAD:
                    _finish(pending.popleft(), matcher, progress, on_batch)
        if batch is not None:
            batch.submit(threads, processor, progress)
            pending.append(batch)
        while pending:
            _finish(pending.popleft(), matcher, progress, on_batch)
        coverage = coverage_of(walk)
        image_hashes = passing[1].hashes() if passing else None  # the pass reads on to the image's end
    return Executed(batches, coverage, image_hashes)


_AHEAD = 1  # whole batches queued beyond the one being finished: enough to keep the threads busy
# Small files go to the threads in groups (a group is one task): a task per file cost the walking thread
# a future, a lock and a wake-up per file, as much as hashing a 20 KB file. A group's small files also have
# their MD5s computed together (SIMD lanes, see process.py): the more files, the fuller the lanes. Large
# files (a chunk or more) are read side by side within a group, one per lane: four of them a group, so that
# both threads get some (eight of 300 MB in one group left one thread idle: 650 MB/s; four a group, with
# batches large enough to hold them: 1,050 MB/s; one a group with hashlib's MD5: ~760).
_GROUP_FILES = 256
_GROUP_BYTES = GROUP_BYTES
_GROUP_LARGE = 4


@dataclass
class _Batch:
    index: int
    target: Path
    done: bool  # its results exist (a resumed run): nothing to do but count it
    files: int = 0
    size: int = 0
    work: list[Future[list[FileRecord]]] = field(default_factory=list)
    group: list[tuple[int, FileEntry]] = field(default_factory=list)  # walked, not yet given to a thread
    group_size: int = 0  # bytes of its small files
    group_large: int = 0  # its files of a chunk or more

    def add(
        self,
        position: int,
        entry: FileEntry,
        threads: Executor,
        processor: EntryProcessor,
        progress: Progress,
    ) -> None:
        self.group.append((position, entry))
        if entry.size >= CHUNK:
            self.group_large += 1
        else:
            self.group_size += entry.size
        if (
            len(self.group) >= _GROUP_FILES
            or self.group_size >= _GROUP_BYTES
            or self.group_large >= _GROUP_LARGE
        ):
            self.submit(threads, processor, progress)

    def submit(self, threads: Executor, processor: EntryProcessor, progress: Progress) -> None:
        if self.group:
            work = threads.submit(processor.process_group, self.group)
            # Progress is told as each group is done (up to 256 files or 32 MiB), from the thread that did
            # it: once a batch (512 files or 4 GiB) gave a bar too few steps for a rate or an ETA.
            files, size = len(self.group), sum(entry.size for _, entry in self.group)
            work.add_done_callback(lambda done: _told(done, progress, files, size))
            self.work.append(work)
            self.group, self.group_size, self.group_large = [], 0, 0


def records_of_batch(
    index: int, entries: list[tuple[int, FileEntry]], processor: EntryProcessor, threads: Executor
) -> list[FileRecord]:
    """One batch's records, unmatched, as :func:`execute` makes them (the same groups, the same order):
    what a cluster worker computes for a batch it was handed (:mod:`vigilant.triage.cluster_tasks`)."""
    batch = _Batch(index, Path(batch_name(index)), done=False)
    quiet = Progress()
    for position, entry in entries:
        batch.files += 1
        batch.size += entry.size
        batch.add(position, entry, threads, processor, quiet)
    batch.submit(threads, processor, quiet)
    return [record for part in batch.work for record in part.result()]


def _told(done: Future[list[FileRecord]], progress: Progress, files: int, size: int) -> None:
    if not done.cancelled() and done.exception() is None:
        progress.on_advance(files, size)


def _finish(
    batch: _Batch,
    matcher: Matcher,
    progress: Progress,
    on_batch: Callable[[int, int, int], None] | None,
) -> None:
    if not batch.done:
        records: list[FileRecord] = []
        for part in batch.work:
            records.extend(part.result())
        matcher.match(records)
        write_atomically(records, batch.target)
    else:
        progress.on_advance(batch.files, batch.size)  # done before (a resumed run): counted at once
    if not batch.done and on_batch is not None:
        on_batch(batch.index, batch.files, batch.size)


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
            "pdq_method": s.pdq_method,
        }
        for s in sets
    ]


TOOL = f"Vigilant {__version__}"
