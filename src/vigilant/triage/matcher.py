"""Match a batch of records against the library: exact digests per set, PDQ near-duplicates per set.

A video's frame hashes (vPDQ) are looked up like pictures' PDQ hashes: a known picture that appears as a
frame is a ``pdq`` hit on the video, with the frame's number and time; when several frames match one entry,
the closest (then the earliest) is the one reported.

A video is also compared as a whole with the sets' known videos (entries carrying a vPDQ hash): a ``vpdq``
hit when vPDQ's default decision says so (at least 80 % of the video's frames found in the known video),
with both of vPDQ's percentages. Not every known video is compared with every seized one: each set's index
of its known videos' frames (:meth:`LibraryIndexes.video`) names the candidates, the known videos with a
frame within vPDQ's distance of one of the video's frames; only those are compared. That loses nothing: a
known video with no such frame matches 0 % of the video.

Pictures are compared with each set by the PDQ method that made the set's hashes (``full`` picture or
``512`` px, :class:`~vigilant.perceptual.pdq.PdqMethod`):
a record carries a hash by each method its run's sets
use (:attr:`Matcher.pdq_methods`), and each hit says which method it compared. Video frames are hashed at
``512`` px, whatever the set (the same as the full picture for frames no larger than that).

Membership is answered by each set's memory-mapped index for the whole batch at once; only the hits
(rare, except known-good) go to the database for their category and series, and for what the library
holds of the matched entry (name, hashes, the publisher's category label), which every hit carries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vigilant.hashing.digests import FILE_DIGESTS, PDQ
from vigilant.library.indexes import LibraryIndexes
from vigilant.library.records import HashSetInfo, SetKind, StoredEntry
from vigilant.perceptual.pdq import PDQ_MIN_QUALITY, PdqMethod
from vigilant.perceptual.vpdq import VPDQ_DISTANCE, VPDQ_QUALITY, FrameHash, VpdqMatch, vpdq_match
from vigilant.triage.records import FileRecord, Hit

VPDQ = "vpdq"  # how a video that matched a known video as a whole is said to have matched
VIDEO_FRAME_METHOD = PdqMethod.DOWNSCALED.value  # vPDQ's frames are PDQ-hashed at 512 px


def _hit(
    entry: StoredEntry,
    matched_on: str,
    distance: int | None,
    frame: FrameHash | None = None,
    video: VpdqMatch | None = None,
    *,
    pdq_method: str | None = None,
) -> Hit:
    info = entry.hash_set
    category = info.category_profile.get(entry.category)
    return Hit(
        set_id=info.id,
        set_name=info.name,
        set_version=info.version,
        set_kind=info.kind.value,
        matched_on=matched_on,
        distance=distance,
        entry_id=entry.id,
        category=entry.category,
        category_label=category.label if category else None,
        category_class=category.cls.slug if category else None,
        severity=category.severity if category else 0,
        series=entry.series,
        frame=None if frame is None else frame.frame,
        frame_seconds=None if frame is None else frame.seconds,
        query_match_percent=None if video is None else video.query_match_percent,
        compared_match_percent=None if video is None else video.compared_match_percent,
        pdq_method=pdq_method,
        entry_name=entry.file_name,
        entry_md5=entry.md5,
        entry_sha1=entry.sha1,
        entry_sha256=entry.sha256,
        entry_pdq=entry.pdq,
        publisher_label=entry.category_label,
    )


class Matcher:
    def __init__(self, indexes: LibraryIndexes, sets: Sequence[HashSetInfo]) -> None:
        self.indexes = indexes
        self.sets = list(sets)

    @property
    def pdq_methods(self) -> tuple[str, ...]:
        """The PDQ methods pictures must be hashed by for these sets: the full picture's first; only the
        full picture (what imported lists default to) when there is no set."""
        used = {info.pdq_method for info in self.sets}
        return tuple(m.value for m in PdqMethod if m.value in used) or (PdqMethod.FULL.value,)

    def match(self, records: list[FileRecord]) -> None:
        """Fill in each record's hits and flags, in place."""
        found: dict[int, list[Hit]] = {}
        for kind in FILE_DIGESTS:
            rows = [i for i, r in enumerate(records) if getattr(r, kind.name) is not None]
            if not rows:
                continue
            queries = np.frombuffer(b"".join(getattr(records[i], kind.name) for i in rows), np.uint8)
            queries = queries.reshape(len(rows), kind.size)
            for info in self.sets:
                mask = self.indexes.exact(info, kind).contains(queries)
                if not mask.any():
                    continue
                hit_rows = [rows[j] for j in np.flatnonzero(mask)]
                digests = {getattr(records[i], kind.name) for i in hit_rows}
                by_digest: dict[bytes, list[StoredEntry]] = {}
                for entry in self.indexes.store.entries_by_digest(kind.name, digests):
                    if entry.hash_set.id == info.id:
                        by_digest.setdefault(getattr(entry, kind.name), []).append(entry)
                for i in hit_rows:
                    for entry in by_digest.get(getattr(records[i], kind.name), []):
                        found.setdefault(i, []).append(_hit(entry, kind.name, None))
        self._match_pdq(records, found)
        self._match_videos(records, found)
        for i, record in enumerate(records):
            hits = _dedupe(found.get(i, []))
            record.hits = hits
            record.known_bad = any(h.set_kind == SetKind.KNOWN_BAD.value for h in hits)
            record.known_good = any(h.set_kind == SetKind.KNOWN_GOOD.value for h in hits)
            record.alert = any(h.set_kind == SetKind.ALERT.value for h in hits)
            graded = [h for h in hits if h.set_kind != SetKind.KNOWN_GOOD.value and h.category_class]
            top = max(graded, key=lambda h: h.severity, default=None)
            record.top_class = top.category_class if top else None
            record.top_severity = top.severity if top else None

    def _match_pdq(self, records: list[FileRecord], found: dict[int, list[Hit]]) -> None:
        # Per method, one query per picture hashed by it, and one per usable frame of each video (frames
        # are hashed at 512 px whatever the set, as before methods were told apart; a frame no larger than
        # 512 px hashes the same by both): (record, frame or None).
        by_method: dict[str, tuple[list[tuple[int, FrameHash | None]], list[bytes]]] = {}
        for method in {info.pdq_method for info in self.sets}:
            rows: list[tuple[int, FrameHash | None]] = []
            queries: list[bytes] = []
            for i, r in enumerate(records):
                picture = r.pdq_by(method)
                if picture is not None and picture[1] >= PDQ_MIN_QUALITY:
                    rows.append((i, None))
                    queries.append(picture[0])
                for video_frame in r.video_frames:
                    if video_frame.quality >= PDQ_MIN_QUALITY:
                        rows.append((i, video_frame))
                        queries.append(video_frame.pdq)
            by_method[method] = (rows, queries)
        pairs: list[tuple[tuple[int, FrameHash | None], int, int, str]] = []
        for info in self.sets:
            rows, queries = by_method[info.pdq_method]
            if not queries:
                continue
            for query, entry_id, distance in self.indexes.pdq(info).search(queries, info.pdq_threshold):
                pairs.append((rows[query], entry_id, distance, info.pdq_method))
        if not pairs:
            return
        entries = {e.id: e for e in self.indexes.store.entries_by_id(p[1] for p in pairs)}
        for (i, frame), entry_id, distance, method in pairs:
            how = method if frame is None else VIDEO_FRAME_METHOD
            found.setdefault(i, []).append(_hit(entries[entry_id], PDQ.name, distance, frame, pdq_method=how))

    def _match_videos(self, records: list[FileRecord], found: dict[int, list[Hit]]) -> None:
        """Compare each video with the sets' known videos that share a frame with it (see the module)."""
        owners: list[int] = []  # the record of each query frame
        queries: list[bytes] = []
        for i, r in enumerate(records):
            for video_frame in r.video_frames:
                if video_frame.quality >= VPDQ_QUALITY:  # vpdq_match leaves the others out too
                    owners.append(i)
                    queries.append(video_frame.pdq)
        if not queries:
            return
        candidates: set[tuple[int, int]] = set()  # (record, known video's entry id)
        # Each set's frame index is a PDQ index on disk, memory-mapped, built once per set (not per run):
        # 40 bytes a known frame, more from 65,536 frames on; see LibraryIndexes.video.
        for info in self.sets:
            index = self.indexes.video(info)
            if len(index):
                near = index.search(queries, VPDQ_DISTANCE)
                candidates.update((owners[q], entry_id) for q, entry_id, _ in near)
        if not candidates:
            return
        wanted = {entry_id for _, entry_id in candidates}
        known = self.indexes.store.video_frames(wanted)
        entries = {e.id: e for e in self.indexes.store.entries_by_id(wanted)}
        for i, entry_id in sorted(candidates):
            result = vpdq_match(records[i].video_frames, known.get(entry_id, []))
            if result.matches():
                found.setdefault(i, []).append(_hit(entries[entry_id], VPDQ, None, video=result))


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """One hit per (entry, how it matched), most severe first, in a stable order.

    Where one entry matched several frames of a video, the closest frame, then the earliest, is kept.
    """
    unique: dict[tuple[int, str], Hit] = {}
    for h in sorted(hits, key=lambda h: (h.distance or 0, h.frame_seconds or 0.0)):
        unique.setdefault((h.entry_id, h.matched_on), h)
    return sorted(
        unique.values(), key=lambda h: (-h.severity, h.set_id, h.entry_id, h.matched_on, h.distance or 0)
    )
