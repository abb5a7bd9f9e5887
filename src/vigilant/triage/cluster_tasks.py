"""What a Dask worker does for a triage run: plan it, and compute one batch's records.

These functions run inside ``dask worker`` processes (Dask imports them by name, so vigilant must be
installed where the workers run). They read the evidence, never the database nor the library: a worker
needs the evidence's shared storage and nothing else. A batch's records come back to the run's client,
which matches them against the library and writes the batch file (see :mod:`vigilant.triage.cluster`).

Batches are cut from the walk exactly as :func:`vigilant.triage.runner.execute` cuts them, so a batch
computed here holds the same files, in the same groups, as the local runner's batch of that number.

Evidence paths are the ones recorded on the server; a worker that mounts the shared storage elsewhere says
so with ``VIGILANT_PATH_MAP="/evidence=/mnt/evidence"`` (several mappings separated by ``;``; the longest
matching prefix wins).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigilant.evidence.base import FileEntry
from vigilant.evidence.items import EvidenceInfo
from vigilant.evidence.sources import sources
from vigilant.evidence.vss import snapshots
from vigilant.triage.process import EntryProcessor
from vigilant.triage.records import FileRecord
from vigilant.triage.runner import batch_ends, coverage_of, records_of_batch
from vigilant.triage.settings import TriageSettings

PATH_MAP_VARIABLE = "VIGILANT_PATH_MAP"


def path_map(text: str | None) -> list[tuple[str, str]]:
    """``"/a=/b;/c=/d"`` as (server prefix, worker prefix) pairs, longest server prefix first."""
    pairs = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        server, sep, worker = part.partition("=")
        if not sep or not server.strip() or not worker.strip():
            raise ValueError(f"{PATH_MAP_VARIABLE}: {part!r} is not SERVER_PATH=WORKER_PATH")
        pairs.append((server.strip().rstrip("/") or "/", worker.strip().rstrip("/") or "/"))
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


def worker_path(path: str, mapping: list[tuple[str, str]]) -> str:
    """Where this worker finds the evidence the server knows as ``path``."""
    for server, worker in mapping:
        if path == server or path.startswith(server.rstrip("/") + "/"):
            return worker + path[len(server.rstrip("/")) :]
    return path


@dataclass(frozen=True)
class Plan:
    """The run's shape, from one walk over the whole evidence on a worker."""

    batches: int
    files: int
    bytes: int
    coverage: dict[str, Any]  # runinfo.Coverage.to_json(), its paths as the server knows them


@dataclass(frozen=True)
class BatchDone:
    index: int
    records: list[FileRecord]  # unmatched: the client matches them against the library
    files: int  # the evidence's own files in the batch (archive members not counted)
    bytes: int
    worker: str  # the Dask worker's address


def plan(evidence: EvidenceInfo, settings: TriageSettings) -> Plan:
    """Walk the evidence once (a listing: no file read), counting batches, files and bytes."""
    mapping = path_map(os.environ.get(PATH_MAP_VARIABLE))
    local = worker_path(evidence.path, mapping)
    batches = files = size = in_batch = in_batch_size = 0
    with snapshots(settings.shadow_copies), sources()[evidence.source_type].walk(Path(local)) as walk:
        for entry in walk:
            files += 1
            size += entry.size
            in_batch += 1
            in_batch_size += entry.size
            if batch_ends(in_batch, in_batch_size, settings):
                batches += 1
                in_batch = in_batch_size = 0
        coverage = coverage_of(walk).to_json()
    if in_batch:
        batches += 1
    for part in coverage["parts"]:  # a problem's place as the server's reports name it
        if local != evidence.path and part["where"].startswith(local):
            part["where"] = evidence.path + part["where"][len(local) :]
    return Plan(batches, files, size, coverage)


def run_batch(
    evidence: EvidenceInfo, settings: TriageSettings, pdq_methods: tuple[str, ...], index: int
) -> BatchDone:
    """Batch ``index``'s records. One batch at a time per worker process: the walk is kept open between
    batches (a worker handed batches 3 then 5 walks on past 4's files instead of walking from the start)."""
    from distributed import get_worker  # noqa: PLC0415  # (only ever called on a Dask worker)

    with _CURSOR_LOCK, snapshots(settings.shadow_copies):  # (one batch at a time: the switch is the run's)
        cursor = _cursor_for(evidence, settings, pdq_methods, index)
        entries = cursor.batch(index)
        records = records_of_batch(index, entries, cursor.processor, cursor.threads)
    return BatchDone(
        index,
        records,
        files=len(entries),
        bytes=sum(entry.size for _, entry in entries),
        worker=get_worker().address,
    )


class _Cursor:
    """An open walk of one evidence item, positioned at the start of batch :attr:`next`, and the threads
    and processor that work on its batches: kept from batch to batch, as the local runner keeps them for
    a run (a new thread per batch loaded libmagic's database and a read buffer and MD5 arena anew)."""

    def __init__(
        self,
        key: tuple[Any, ...],
        evidence: EvidenceInfo,
        settings: TriageSettings,
        pdq_methods: tuple[str, ...],
    ) -> None:
        self.key, self.settings = key, settings
        self.stack = ExitStack()
        # Pictures are decoded in the hashing threads: Dask's worker processes are daemons, which may not
        # start a process pool; one worker process per core (`dask worker --nworkers`) keeps the cores busy.
        self.processor = EntryProcessor(evidence.id, settings, None, pdq_methods)
        self.threads = ThreadPoolExecutor(max(1, settings.threads), thread_name_prefix="triage")
        self.stack.callback(self.threads.shutdown, wait=True, cancel_futures=True)
        local = worker_path(evidence.path, path_map(os.environ.get(PATH_MAP_VARIABLE)))
        walk = self.stack.enter_context(sources()[evidence.source_type].walk(Path(local)))
        self.entries: Iterator[tuple[int, FileEntry]] = enumerate(walk)
        self.next = 0

    def batch(self, index: int) -> list[tuple[int, FileEntry]]:
        while self.next < index:
            self._take()  # another worker's batch: listed, not read
        return self._take()

    def _take(self) -> list[tuple[int, FileEntry]]:
        taken: list[tuple[int, FileEntry]] = []
        size = 0
        for position, entry in self.entries:
            taken.append((position, entry))
            size += entry.size
            if batch_ends(len(taken), size, self.settings):
                break
        self.next += 1
        return taken

    def close(self) -> None:
        self.stack.close()


_CURSOR_LOCK = threading.Lock()
_open: dict[str, _Cursor] = {}  # this worker process's walk (one at a time), kept between its batches


def _cursor_for(
    evidence: EvidenceInfo, settings: TriageSettings, pdq_methods: tuple[str, ...], index: int
) -> _Cursor:
    key = (evidence, settings, pdq_methods)
    # Another run's walk, or one already past the batch wanted (a batch a dead worker held, rerun here):
    # the walk starts again.
    cursor = _open.get("walk")
    if cursor is not None and (cursor.key != key or cursor.next > index):
        cursor.close()
        cursor = None
    if cursor is None:
        cursor = _open["walk"] = _Cursor(key, evidence, settings, pdq_methods)
    return cursor
