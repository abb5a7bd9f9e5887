"""Records grouped by MD5 in a temporary on-disk SQLite database: one group per distinct content.

A run can hold hundreds of thousands of files and one content can sit at thousands of paths (the empty
file, a shared library), so neither the groups nor one group's paths are ever held in memory: SQLite keeps
them on disk and hands them back in order. The database lives in a temporary folder removed on close.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from vigilant.triage.records import FileRecord

_SCHEMA = """
CREATE TABLE media (
    md5 BLOB PRIMARY KEY,
    position INTEGER NOT NULL,  -- where the content was first seen: groups come out in record order
    member INTEGER NOT NULL,
    sha1 BLOB,
    sha256 BLOB,
    size INTEGER NOT NULL,
    mime TEXT,
    pdq BLOB,
    pdq_quality INTEGER,
    severity INTEGER NOT NULL,  -- of the category below; -1 when none
    category INTEGER,
    category_source TEXT
) WITHOUT ROWID;
CREATE TABLE files (
    md5 BLOB NOT NULL,
    position INTEGER NOT NULL,
    member INTEGER NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    PRIMARY KEY (md5, position, member)
) WITHOUT ROWID;
CREATE TABLE matches (
    md5 BLOB NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (md5, label)
) WITHOUT ROWID;
"""

# Identical content normally has identical facts; when two records disagree (a digest missing from one),
# the first seen wins, gaps are filled from later ones, and the most severe category wins.
_UPSERT = """
INSERT INTO media VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (md5) DO UPDATE SET
    sha1 = coalesce(media.sha1, excluded.sha1),
    sha256 = coalesce(media.sha256, excluded.sha256),
    mime = coalesce(media.mime, excluded.mime),
    pdq = coalesce(media.pdq, excluded.pdq),
    pdq_quality = coalesce(media.pdq_quality, excluded.pdq_quality),
    category = CASE WHEN excluded.severity > media.severity THEN excluded.category ELSE media.category END,
    category_source = CASE WHEN excluded.severity > media.severity
        THEN excluded.category_source ELSE media.category_source END,
    severity = max(media.severity, excluded.severity)
"""


@dataclass(frozen=True)
class Category:
    code: int
    severity: int
    source: str  # the set that gave it, "name version"


@dataclass(frozen=True)
class MediaFile:
    name: str
    address: str
    deleted: bool


@dataclass(frozen=True)
class MediaGroup:
    md5: bytes
    sha1: bytes | None
    sha256: bytes | None
    size: int
    mime: str | None
    pdq: bytes | None
    pdq_quality: int | None
    category: int | None
    category_source: str | None
    matches: list[str]  # labels of the sets that matched, sorted


class MediaGroups:
    """Add records (any number), then read the groups back, each with a fresh cursor over its files."""

    def __init__(self, tmp_dir: Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="vigilant-media-", dir=tmp_dir)
        self._db = sqlite3.connect(Path(self._dir.name) / "media.sqlite3")
        # Scratch data, rebuilt on every export: no journal, no fsync.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.executescript(_SCHEMA)

    def __enter__(self) -> MediaGroups:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()

    def add(self, record: FileRecord, category: Category | None, matches: list[str]) -> None:
        if record.md5 is None:
            return
        md5 = record.md5
        self._db.execute(
            _UPSERT,
            (
                md5,
                record.position,
                record.member,
                record.sha1,
                record.sha256,
                record.size,
                record.mime,
                record.pdq,
                record.pdq_quality,
                -1 if category is None else category.severity,
                None if category is None else category.code,
                None if category is None else category.source,
            ),
        )
        self._db.execute(
            "INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?, ?)",
            (md5, record.position, record.member, record.name, record.address, not record.allocated),
        )
        self._db.executemany("INSERT OR IGNORE INTO matches VALUES (?, ?)", [(md5, m) for m in matches])

    def groups(self) -> Iterator[MediaGroup]:
        """Every group, in the order its content was first seen."""
        self._db.commit()
        self._db.execute("CREATE INDEX IF NOT EXISTS media_first ON media (position, member)")
        rows = self._db.execute(
            "SELECT md5, sha1, sha256, size, mime, pdq, pdq_quality, category, category_source"
            " FROM media ORDER BY position, member"
        )
        for md5, sha1, sha256, size, mime, pdq, quality, category, source in rows:
            matches = [
                label
                for (label,) in self._db.execute(
                    "SELECT label FROM matches WHERE md5 = ? ORDER BY label", (md5,)
                )
            ]
            yield MediaGroup(md5, sha1, sha256, size, mime, pdq, quality, category, source, matches)

    def files(self, md5: bytes) -> Iterator[MediaFile]:
        """Where the content was found, in record order."""
        rows = self._db.execute(
            "SELECT name, address, deleted FROM files WHERE md5 = ? ORDER BY position, member", (md5,)
        )
        for name, address, deleted in rows:
            yield MediaFile(name, address, bool(deleted))
