"""One file, one read: digests, true type, and for pictures the bytes for PDQ/EXIF; archives opened.

A video's bytes are copied to a temporary file during the same read (never held in memory) and a worker
process decodes it for vPDQ; the copy is removed as soon as the worker is done with it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import IO

from vigilant.errors import VigilantError
from vigilant.evidence.archive_budget import ArchiveProblem
from vigilant.evidence.archives import expand
from vigilant.evidence.base import EntryStatus, FileEntry
from vigilant.hashing import md5_lanes
from vigilant.hashing.md5_lanes import Md5Lanes
from vigilant.perceptual import vpdq
from vigilant.perceptual.pdq import PdqMethod
from vigilant.perceptual.vpdq import VideoLimits
from vigilant.triage.identify import HEAD_BYTES, identify, is_archive_mime, name_extension
from vigilant.triage.imagefacts import ImageFacts, image_facts
from vigilant.triage.records import FileRecord
from vigilant.triage.settings import MiB, TriageSettings
from vigilant.triage.videofacts import VideoFacts, video_facts

# Bytes per read. Large, so that each hashing thread calls into hashlib (and must win the GIL back after
# each call) as rarely as possible: with the main thread busy matching and writing, every return waits for
# the GIL. Each thread keeps its own buffer for all its files: allocating (and zeroing) one per file cost
# more than small files' reads. Results do not depend on it: any size >= HEAD_BYTES gives libmagic the same
# first bytes.
CHUNK = 4 * MiB
# Files smaller than a chunk are read into the thread's arena and their MD5s computed together, in SIMD lanes
# (hashing.md5_lanes), when a group of files is done. The arena holds a whole group (GROUP_BYTES, plus the
# chunk the last file may need), so that lanes get many files of all sizes at once and stay busy.
GROUP_BYTES = 32 * MiB
ARENA = GROUP_BYTES + CHUNK

Facts = ImageFacts | VideoFacts
Steps = Generator[None, None, None]  # a file's processing, paused after each chunk read


def _checked_extension(record: FileRecord) -> str | None:
    """The extension the type check compares: a named stream's own, else the file's (identify's rule)."""
    return record.extension if record.attribute is None else name_extension(record.attribute)


def base_record(evidence_id: int, position: int, member: int, entry: FileEntry) -> FileRecord:
    a = entry.address
    return FileRecord(
        evidence_id=evidence_id,
        position=position,
        member=member,
        address=str(a),
        partition=a.partition,
        partition_offset=a.partition_offset,
        filesystem=a.filesystem,
        path=a.path,
        inode=a.inode,
        attribute=a.attribute,
        members=list(a.members),
        name=entry.name,
        extension=name_extension(entry.name),
        size=entry.size,
        allocated=entry.allocated,
        modified=entry.modified,
        accessed=entry.accessed,
        changed=entry.changed,
        created=entry.created,
        status=entry.status.value,
        error=entry.error,
        chain=a,
    )


class _HashlibMd5:
    """MD5 as each chunk is read, for files too large for the arena (or where lanes are not available)."""

    def __init__(self, view: memoryview) -> None:
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._view = view

    def buffer(self) -> memoryview:
        return self._view

    def add(self, part: memoryview) -> None:
        self._md5.update(part)

    def deliver(self, record: FileRecord) -> None:
        record.md5 = self._md5.digest()


class _LaneMd5:
    """MD5 computed later, with other files', when the thread's arena is flushed."""

    def __init__(self, lanes: Md5Lanes) -> None:
        self._lanes = lanes
        self._state = lanes.start()

    def buffer(self) -> memoryview:
        return self._lanes.buffer()

    def add(self, part: memoryview) -> None:
        self._lanes.add(self._state, part)

    def deliver(self, record: FileRecord) -> None:
        def store(digest: bytes) -> None:
            record.md5 = digest

        self._lanes.deliver(self._state, store)


def _in_turn(files: list[Steps], lanes: Md5Lanes) -> None:
    """Run the files' processing side by side, a chunk of each in turn, up to one file per lane at a time;
    the lanes are flushed after each turn, so that each flush holds one chunk of each file."""
    waiting, active = deque(files), deque[Steps]()
    while waiting or active:
        while waiting and len(active) < lanes.width:
            active.append(waiting.popleft())
        for _ in range(len(active)):
            steps = active.popleft()
            try:
                next(steps)
            except StopIteration:
                continue
            active.append(steps)
        lanes.flush()


class EntryProcessor:
    """Turns a file entry into its records (the file, then any archive members inside it)."""

    def __init__(
        self,
        evidence_id: int,
        settings: TriageSettings,
        pictures: Executor | None,
        pdq_methods: tuple[str, ...] = (PdqMethod.FULL.value,),
    ) -> None:
        self.evidence_id = evidence_id
        self.settings = settings
        self.pictures = pictures  # a process pool for decoding; None decodes in the calling thread
        # How pictures are PDQ-hashed: the methods of the sets matched against (Matcher.pdq_methods).
        self.pdq_methods = pdq_methods
        self._local = threading.local()

    def _buffer(self) -> memoryview:
        """This thread's read buffer (a file's read ends before the next file's, archive members included)."""
        view: memoryview | None = getattr(self._local, "buffer", None)
        if view is None:
            view = self._local.buffer = memoryview(bytearray(CHUNK))
        return view

    def _lanes(self) -> Md5Lanes | None:
        """This thread's MD5 arena, or None where lanes are not available."""
        if not md5_lanes.AVAILABLE:
            return None
        lanes: Md5Lanes | None = getattr(self._local, "lanes", None)
        if lanes is None:
            lanes = self._local.lanes = Md5Lanes(ARENA, CHUNK)
        return lanes

    def _md5_for(self, entry: FileEntry, interleaved: bool) -> _HashlibMd5 | _LaneMd5:
        lanes = self._lanes()
        if lanes is not None and (entry.size < CHUNK or interleaved):
            return _LaneMd5(lanes)
        return _HashlibMd5(self._buffer())

    def process_group(self, group: list[tuple[int, FileEntry]]) -> list[FileRecord]:
        """The records of several files, in the order given.

        Small files are read one after another and their MD5s computed together at the end. Large files
        (a chunk or more) are read side by side, a chunk of each in turn, so that their MD5s go through the
        lanes together too, one chunk of each file per flush; where there is only one, or no lanes, hashlib.
        """
        lanes = self._lanes()
        outs: list[list[FileRecord]] = [[] for _ in group]
        large = sum(entry.size >= CHUNK for _, entry in group)
        interleaved = lanes is not None and large > 1
        side_by_side: list[Steps] = []
        try:
            for (position, entry), out in zip(group, outs, strict=True):
                steps = self._process(
                    position,
                    0,
                    entry,
                    out=out,
                    counter=iter(range(1, 1 << 31)),
                    nested=False,
                    interleaved=interleaved,
                )
                if interleaved and entry.size >= CHUNK:
                    side_by_side.append(steps)
                else:
                    for _ in steps:
                        pass
            if lanes is not None:
                lanes.flush()
                if side_by_side:
                    _in_turn(side_by_side, lanes)
        except BaseException:
            for steps in side_by_side:
                steps.close()  # closes their files and removes their video copies
            if lanes is not None:
                lanes.reset()  # the records are lost with the failure: leave the arena clean for the next
            raise
        return [record for out in outs for record in out]

    def _process(
        self,
        position: int,
        member: int,
        entry: FileEntry,
        *,
        out: list[FileRecord],
        counter: Iterator[int],
        nested: bool,
        interleaved: bool,
    ) -> Steps:
        """Fill ``out`` with the entry's records; pauses (yields) after each chunk read."""
        record = base_record(self.evidence_id, position, member, entry)
        out.append(record)
        if entry.status is not EntryStatus.OK:
            return
        if entry.reallocated:
            # The name survives but its inode now holds another (live) file: hashing it would pin that
            # file's content on the deleted name.
            record.status = "reallocated"
            record.error = (
                "deleted name whose inode now belongs to another file: its content is not this file's"
            )
            return
        spool: list[Path] = []  # a video's temporary copy, once there is one
        try:
            facts = yield from self._read(entry, record, spool, interleaved)
            if record.status != EntryStatus.OK.value:
                return
            if facts is not None:
                self._apply(record, facts.result() if isinstance(facts, Future) else facts)
        finally:
            for path in spool:
                path.unlink(missing_ok=True)
        # Members of a nested archive come from the outermost archive's expansion, not from here.
        if (
            not nested
            and record.mime is not None
            and is_archive_mime(record.mime)
            and self.settings.archive_depth
        ):
            yield from self._members(
                position, entry, record, out=out, counter=counter, interleaved=interleaved
            )

    def _read(
        self, entry: FileEntry, record: FileRecord, spool: list[Path], interleaved: bool
    ) -> Generator[None, None, Future[ImageFacts] | Future[VideoFacts] | Facts | None]:
        md5 = self._md5_for(entry, interleaved)
        sha1, sha256 = hashlib.sha1(usedforsecurity=False), hashlib.sha256()
        head = b""
        picture: bytearray | None = None
        video: IO[bytes] | None = None
        decided = False
        size = 0
        try:
            with entry.open() as stream:
                while True:
                    view = md5.buffer()
                    n = stream.readinto(view)  # type: ignore[attr-defined]
                    if not n:
                        break
                    part = view[:n]
                    md5.add(part)
                    sha1.update(part)
                    sha256.update(part)
                    size += n
                    if len(head) < HEAD_BYTES:
                        head += bytes(part[: HEAD_BYTES - len(head)])
                    if not decided and not self.settings.identify:
                        decided = True  # digests only: no type, no pictures, no archives
                    if not decided and (len(head) >= HEAD_BYTES or n < CHUNK):
                        decided = True
                        kind = identify(head, _checked_extension(record))
                        record.mime, record.magic = kind.mime, kind.description
                        record.extension_mismatch = kind.extension_mismatch
                        record.is_image = kind.is_image
                        if kind.mime.startswith("video/") and self.settings.pdq:
                            video = self._video_spool(entry, record, spool)
                        if kind.is_image and (self.settings.pdq or self.settings.exif):
                            picture = bytearray() if entry.size <= self.settings.max_image_bytes else None
                            if picture is None:
                                record.pdq_note = "picture too large to decode for PDQ"
                    if picture is not None:
                        picture += part
                    if video is not None:
                        video.write(part)
                    yield  # the chunk is used up: another file may read into its own buffer now
        except (OSError, VigilantError, EOFError, ValueError) as exc:
            record.status = EntryStatus.UNREADABLE.value
            record.error = f"content could not be read: {exc}"
            return None
        finally:
            if video is not None:
                video.close()
        if not decided and self.settings.identify:  # an empty file
            kind = identify(b"", _checked_extension(record))
            record.mime, record.magic, record.extension_mismatch = kind.mime, kind.description, False
        if size != record.size:
            record.error = f"read {size} bytes where the file system says {record.size}"
            record.size = size
        md5.deliver(record)
        record.sha1, record.sha256 = sha1.digest(), sha256.digest()
        if video is not None:
            s = self.settings
            limits = VideoLimits(s.max_video_bytes, float(s.max_video_seconds), s.max_video_frames)
            if self.pictures is None:
                return video_facts(str(spool[0]), limits)
            return self.pictures.submit(video_facts, str(spool[0]), limits)
        if picture is None:
            return None
        data = bytes(picture)
        if self.pictures is None:
            return image_facts(data, self.settings.pdq, self.pdq_methods)
        return self.pictures.submit(image_facts, data, self.settings.pdq, self.pdq_methods)

    def _video_spool(self, entry: FileEntry, record: FileRecord, spool: list[Path]) -> IO[bytes] | None:
        """A temporary file to copy a video into for vPDQ, or None (and the reason in the record)."""
        if not vpdq.VPDQ_AVAILABLE:
            record.pdq_note = vpdq.VPDQ_MISSING
            return None
        if entry.size > self.settings.max_video_bytes:
            record.pdq_note = (
                f"vPDQ: video too large to decode ({entry.size} bytes, limit {self.settings.max_video_bytes})"
            )
            return None
        handle, name = tempfile.mkstemp(prefix="vigilant-video-", suffix=record.extension or "")
        spool.append(Path(name))
        return os.fdopen(handle, "wb")

    @staticmethod
    def _apply(record: FileRecord, facts: Facts) -> None:
        if isinstance(facts, VideoFacts):
            record.video_frames = list(facts.frames)
            record.pdq_note = facts.error or facts.note
            return
        record.pdq, record.pdq_quality, record.pdq_method = facts.pdq, facts.pdq_quality, facts.pdq_method
        record.pdq_second, record.pdq_second_quality = facts.pdq_second, facts.pdq_second_quality
        record.pdq_note = facts.error or facts.pdq_note or record.pdq_note
        record.exif_make, record.exif_model, record.exif_serial = facts.make, facts.model, facts.serial
        record.exif_datetime_original = facts.datetime_original
        record.gps_latitude, record.gps_longitude = facts.latitude, facts.longitude

    def _members(
        self,
        position: int,
        entry: FileEntry,
        record: FileRecord,
        *,
        out: list[FileRecord],
        counter: Iterator[int],
        interleaved: bool,
    ) -> Steps:
        # expand() walks nested archives itself, under one byte and member budget for the whole tree (a
        # nested zip bomb cannot reset it); each member it yields gets its own record here.
        listed = 0
        for item in expand(entry, max_depth=self.settings.archive_depth):
            if isinstance(item, ArchiveProblem):
                note = f"archive {item.kind.value}: {item.reason}"
                record.error = note if record.error is None else f"{record.error}; {note}"
                continue
            listed += 1
            yield from self._process(
                position, next(counter), item, out=out, counter=counter, nested=True, interleaved=interleaved
            )
        record.archive_members = listed
