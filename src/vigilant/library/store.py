"""The library's persistence: hash sets, their entries and the import log, over the relational store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from vigilant.errors import NotFoundError
from vigilant.library.models import (
    HashSetRow,
    KnownFileRow,
    KnownVideoFrameRow,
    LibraryImportProblemRow,
    LibraryImportRow,
)
from vigilant.library.records import (
    ENTRY_DIGEST_FIELDS,
    HashSetInfo,
    ImportAttempt,
    ImportReport,
    KnownEntry,
    RowProblem,
    SetKind,
    StoredEntry,
)
from vigilant.perceptual.vpdq import FrameHash
from vigilant.store import Database
from vigilant.store.models import utcnow

# How many refused rows of one import are kept with their location; all are counted.
PROBLEMS_KEPT = 1000

_ENTRY_COLUMNS = (
    *ENTRY_DIGEST_FIELDS,
    "pdq_quality",
    "size",
    "category",
    "category_label",
    "series",
    "victim_identified",
    "offender_identified",
    "distributed",
    "comments",
    "file_name",
    "location",
)


def _attempt(row: LibraryImportRow) -> ImportAttempt:
    return ImportAttempt(
        id=row.id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        actor=row.actor,
        source_file=row.source_file,
        source_sha256=row.source_sha256,
        format=row.format,
        status=row.status,
        hash_set_id=row.hash_set_id,
        rows_read=row.rows_read,
        rows_taken=row.rows_taken,
        rows_refused=row.rows_refused,
        refused_by_reason=dict(row.refused_by_reason),
        error=row.error,
    )


def set_info(row: HashSetRow) -> HashSetInfo:
    return HashSetInfo(
        id=row.id,
        name=row.name,
        version=row.version,
        kind=SetKind(row.kind),
        profile=row.profile,
        source=row.source,
        description=row.description,
        format=row.format,
        source_file=row.source_file,
        source_sha256=row.source_sha256,
        source_size=row.source_size,
        imported_at=row.imported_at,
        imported_by=row.imported_by,
        entry_count=row.entry_count,
        refused_count=row.refused_count,
        pdq_threshold=row.pdq_threshold,
        profile_definition=row.profile_definition,
        pdq_method=row.pdq_method,
    )


def entry_row(
    hash_set_id: int, entry: KnownEntry, category: str | None, label: str | None = None
) -> dict[str, Any]:
    """The insert parameters of one entry: ``category`` already normalised through the set's profile,
    ``label`` the publisher's own label for it (see :attr:`StoredEntry.category_label`)."""
    row: dict[str, Any] = {name: getattr(entry, name) for name in _ENTRY_COLUMNS}
    row["hash_set_id"] = hash_set_id
    row["category"] = category
    row["category_label"] = label
    row["tags"] = list(entry.tags)
    row["extra"] = dict(entry.extra)
    return row


def _stored(row: KnownFileRow, info: HashSetInfo) -> StoredEntry:
    return StoredEntry(
        id=row.id,
        hash_set=info,
        md5=row.md5,
        sha1=row.sha1,
        sha256=row.sha256,
        pdq=row.pdq,
        pdq_quality=row.pdq_quality,
        btih_v1=row.btih_v1,
        btih_v2=row.btih_v2,
        bt_v2_root=row.bt_v2_root,
        size=row.size,
        category=row.category,
        series=row.series,
        victim_identified=row.victim_identified,
        offender_identified=row.offender_identified,
        distributed=row.distributed,
        tags=tuple(row.tags or ()),
        comments=row.comments,
        file_name=row.file_name,
        location=row.location,
        extra=row.extra or {},
        category_label=row.category_label,
    )


class LibraryStore:
    """Reads and writes of the library. Writes of one import happen inside one session (one transaction)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- hash sets -------------------------------------------------------------------------------------
    def list_sets(self) -> list[HashSetInfo]:
        with self.db.session() as s:
            rows = s.scalars(select(HashSetRow).order_by(HashSetRow.name, HashSetRow.version)).all()
            return [set_info(r) for r in rows]

    def get_set(self, ref: str | int) -> HashSetInfo:
        """A set by id, by ``name`` (when only one version exists) or by ``name@version``."""
        with self.db.session() as s:
            return set_info(self._find_set(s, ref))

    def _find_set(self, s: Session, ref: str | int) -> HashSetRow:
        text = str(ref)
        if text.isdigit():
            row = s.get(HashSetRow, int(text))
            if row is not None:
                return row
        name, _, version = text.partition("@")
        query = select(HashSetRow).where(HashSetRow.name == name)
        if version:
            query = query.where(HashSetRow.version == version)
        rows = s.scalars(query.order_by(HashSetRow.version)).all()
        if not rows:
            raise NotFoundError(f"no hash set {text!r}", hint="`vigilant library list` shows the sets")
        if len(rows) > 1:
            versions = ", ".join(f"{r.name}@{r.version}" for r in rows)
            raise NotFoundError(
                f"{text!r} names several versions: {versions}", hint="say which: NAME@VERSION"
            )
        return rows[0]

    def find_by_source(self, s: Session, source_sha256: str) -> HashSetRow | None:
        return s.scalars(select(HashSetRow).where(HashSetRow.source_sha256 == source_sha256)).first()

    def find_by_name_version(self, s: Session, name: str, version: str) -> HashSetRow | None:
        return s.scalars(
            select(HashSetRow).where(HashSetRow.name == name, HashSetRow.version == version)
        ).first()

    def remove_set(self, ref: str | int) -> HashSetInfo:
        with self.db.session() as s:
            row = self._find_set(s, ref)
            info = set_info(row)
            # Bulk delete: the ORM cascade would load every entry first.
            entries = select(KnownFileRow.id).where(KnownFileRow.hash_set_id == row.id)
            s.execute(delete(KnownVideoFrameRow).where(KnownVideoFrameRow.entry_id.in_(entries)))
            s.execute(delete(KnownFileRow).where(KnownFileRow.hash_set_id == row.id))
            s.execute(
                update(LibraryImportRow)
                .where(LibraryImportRow.hash_set_id == row.id)
                .values(hash_set_id=None)
            )
            s.delete(row)
            return info

    # --- entries ---------------------------------------------------------------------------------------
    @staticmethod
    def insert_entries(
        s: Session, rows: Sequence[dict[str, Any]], videos: Sequence[Sequence[FrameHash]] = ()
    ) -> None:
        """Insert entries; ``videos``, when given, holds each row's vPDQ frames (empty for a file)."""
        if not rows:
            return
        if not any(videos):
            s.execute(insert(KnownFileRow), list(rows))
            return
        if len(videos) != len(rows):
            raise ValueError(f"{len(videos)} frame lists for {len(rows)} entries")
        # The new ids in the order of the rows (both engines return them for a bulk insert).
        ids = s.scalars(
            insert(KnownFileRow).returning(KnownFileRow.id, sort_by_parameter_order=True), list(rows)
        ).all()
        frames = [
            {"entry_id": entry_id, "frame": f.frame, "seconds": f.seconds, "pdq": f.pdq, "quality": f.quality}
            for entry_id, video in zip(ids, videos, strict=True)
            for f in video
        ]
        s.execute(insert(KnownVideoFrameRow), frames)

    def video_frames(self, entry_ids: Iterable[int]) -> dict[int, list[FrameHash]]:
        """The vPDQ frames of the given entries that are known videos, in frame order."""
        wanted = list(dict.fromkeys(entry_ids))
        found: dict[int, list[FrameHash]] = {}
        with self.db.session() as s:
            for start in range(0, len(wanted), 500):
                rows = s.execute(
                    select(
                        KnownVideoFrameRow.entry_id,
                        KnownVideoFrameRow.frame,
                        KnownVideoFrameRow.seconds,
                        KnownVideoFrameRow.pdq,
                        KnownVideoFrameRow.quality,
                    )
                    .where(KnownVideoFrameRow.entry_id.in_(wanted[start : start + 500]))
                    .order_by(KnownVideoFrameRow.entry_id, KnownVideoFrameRow.id)
                ).all()
                for r in rows:
                    found.setdefault(r[0], []).append(FrameHash(r[1], r[2], bytes(r[3]), r[4]))
        return found

    def video_frame_codes(self, set_id: int, min_quality: int) -> tuple[list[int], list[bytes]]:
        """Entry ids and PDQ hashes of every frame of at least ``min_quality`` of a set's known videos."""
        with self.db.session() as s:
            rows = s.execute(
                select(KnownVideoFrameRow.entry_id, KnownVideoFrameRow.pdq)
                .join(KnownFileRow, KnownFileRow.id == KnownVideoFrameRow.entry_id)
                .where(KnownFileRow.hash_set_id == set_id, KnownVideoFrameRow.quality >= min_quality)
                .order_by(KnownVideoFrameRow.id)
            ).all()
        return [r[0] for r in rows], [bytes(r[1]) for r in rows]

    def entries_by_digest(self, column: str, values: Iterable[bytes]) -> list[StoredEntry]:
        """Every entry, in any set, whose ``column`` (md5, sha1, …) equals one of ``values``."""
        if column not in ENTRY_DIGEST_FIELDS:
            raise ValueError(f"not a digest column: {column}")
        wanted = list(dict.fromkeys(values))
        found: list[StoredEntry] = []
        attr = getattr(KnownFileRow, column)
        with self.db.session() as s:
            for start in range(0, len(wanted), 500):  # stay under bind-parameter limits
                chunk = wanted[start : start + 500]
                found.extend(self._entries(s, select(KnownFileRow).where(attr.in_(chunk))))
        return found

    def entries_by_id(self, ids: Iterable[int]) -> list[StoredEntry]:
        wanted = list(dict.fromkeys(ids))
        found: list[StoredEntry] = []
        with self.db.session() as s:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                found.extend(self._entries(s, select(KnownFileRow).where(KnownFileRow.id.in_(chunk))))
        return found

    def _entries(self, s: Session, query: Select[KnownFileRow]) -> list[StoredEntry]:
        rows = s.scalars(query.order_by(KnownFileRow.hash_set_id, KnownFileRow.id)).all()
        infos = {r.hash_set_id: set_info(r.hash_set) for r in rows}
        return [_stored(r, infos[r.hash_set_id]) for r in rows]

    def iter_entries(self, set_ids: Sequence[int], batch: int = 5000) -> Iterator[StoredEntry]:
        """Every entry of the given sets, in set then entry order, a batch at a time (bounded memory)."""
        for set_id in set_ids:
            info = self.get_set(set_id)
            last = 0
            while True:
                with self.db.session() as s:
                    rows = s.scalars(
                        select(KnownFileRow)
                        .where(KnownFileRow.hash_set_id == set_id, KnownFileRow.id > last)
                        .order_by(KnownFileRow.id)
                        .limit(batch)
                    ).all()
                    chunk = [_stored(r, info) for r in rows]
                if not chunk:
                    break
                yield from chunk
                last = chunk[-1].id

    def iter_digest_column(self, set_id: int, column: str, batch: int = 100_000) -> Iterator[list[bytes]]:
        """The non-null values of one digest column of a set, in batches (for building indexes)."""
        attr = getattr(KnownFileRow, column)
        last = 0
        while True:
            with self.db.session() as s:
                rows = s.execute(
                    select(KnownFileRow.id, attr)
                    .where(KnownFileRow.hash_set_id == set_id, KnownFileRow.id > last, attr.is_not(None))
                    .order_by(KnownFileRow.id)
                    .limit(batch)
                ).all()
            if not rows:
                return
            yield [bytes(r[1]) for r in rows]
            last = rows[-1][0]

    def pdq_codes(self, set_id: int, min_quality: int) -> tuple[list[int], list[bytes]]:
        """Ids and PDQ hashes of a set's entries whose quality is known to be at least ``min_quality``.

        Entries without a recorded quality are kept: most hash sets carry PDQ without it.
        """
        with self.db.session() as s:
            rows = s.execute(
                select(KnownFileRow.id, KnownFileRow.pdq).where(
                    KnownFileRow.hash_set_id == set_id,
                    KnownFileRow.pdq.is_not(None),
                    or_(KnownFileRow.pdq_quality.is_(None), KnownFileRow.pdq_quality >= min_quality),
                )
            ).all()
        return [r[0] for r in rows], [bytes(r[1]) for r in rows if r[1] is not None]

    # --- figures ---------------------------------------------------------------------------------------
    def category_counts(self) -> list[tuple[int, str | None, int]]:
        """(set id, category code, entries) for every set."""
        with self.db.session() as s:
            rows = s.execute(
                select(KnownFileRow.hash_set_id, KnownFileRow.category, func.count())
                .group_by(KnownFileRow.hash_set_id, KnownFileRow.category)
                .order_by(KnownFileRow.hash_set_id, KnownFileRow.category)
            ).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def category_label_counts(self, set_id: int) -> list[tuple[str | None, str, int]]:
        """(category code, publisher's label, entries) of one set's entries that carry a label."""
        with self.db.session() as s:
            rows = s.execute(
                select(KnownFileRow.category, KnownFileRow.category_label, func.count())
                .where(KnownFileRow.hash_set_id == set_id, KnownFileRow.category_label.is_not(None))
                .group_by(KnownFileRow.category, KnownFileRow.category_label)
                .order_by(KnownFileRow.category, KnownFileRow.category_label)
            ).all()
        return [(r[0], r[1] or "", r[2]) for r in rows]

    def digest_counts(self) -> dict[int, dict[str, int]]:
        """Per set, how many entries carry each digest kind."""
        columns = [func.count(getattr(KnownFileRow, name)) for name in ENTRY_DIGEST_FIELDS]
        with self.db.session() as s:
            rows = s.execute(
                select(KnownFileRow.hash_set_id, *columns).group_by(KnownFileRow.hash_set_id)
            ).all()
        return {r[0]: dict(zip(ENTRY_DIGEST_FIELDS, r[1:], strict=True)) for r in rows}

    def video_counts(self) -> dict[int, tuple[int, int]]:
        """Per set holding known videos: (known videos, their vPDQ frames)."""
        with self.db.session() as s:
            rows = s.execute(
                select(
                    KnownFileRow.hash_set_id,
                    func.count(func.distinct(KnownVideoFrameRow.entry_id)),
                    func.count(KnownVideoFrameRow.id),
                )
                .join(KnownFileRow, KnownFileRow.id == KnownVideoFrameRow.entry_id)
                .group_by(KnownFileRow.hash_set_id)
            ).all()
        return {r[0]: (r[1], r[2]) for r in rows}

    # --- the import log --------------------------------------------------------------------------------
    def record_import(
        self, s: Session, report: ImportReport, *, actor: str, status: str, started_at: Any, error: str | None
    ) -> int:
        row = LibraryImportRow(
            source_file=report.source_file,
            source_sha256=report.source_sha256,
            format=report.format,
            status=status,
            actor=actor,
            started_at=started_at,
            finished_at=utcnow(),
            hash_set_id=report.hash_set.id if report.hash_set else None,
            rows_read=report.rows_read,
            rows_taken=report.rows_taken,
            rows_refused=report.rows_refused,
            refused_by_reason=dict(report.refused),
            error=error,
        )
        s.add(row)
        s.flush()
        if report.problems:
            s.execute(
                insert(LibraryImportProblemRow),
                [{"import_id": row.id, **asdict(p)} for p in report.problems[:PROBLEMS_KEPT]],
            )
        return row.id

    def imports(self, limit: int = 50, *, set_id: int | None = None) -> list[ImportAttempt]:
        """The newest import attempts first: every file's, or those that made or found the set ``set_id``."""
        query = select(LibraryImportRow).order_by(LibraryImportRow.id.desc()).limit(limit)
        if set_id is not None:
            query = query.where(LibraryImportRow.hash_set_id == set_id)
        with self.db.session() as s:
            return [_attempt(row) for row in s.scalars(query)]

    def import_problems(self, import_id: int) -> list[RowProblem]:
        """The refused rows an import kept (the first few; its counts hold them all), in the file's order."""
        with self.db.session() as s:
            rows = s.scalars(
                select(LibraryImportProblemRow)
                .where(LibraryImportProblemRow.import_id == import_id)
                .order_by(LibraryImportProblemRow.id)
            )
            return [RowProblem(row.location, row.reason, row.detail) for row in rows]
