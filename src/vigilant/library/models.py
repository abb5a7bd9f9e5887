"""The known-material library's tables: hash sets, their entries (files and video frames), and imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigilant.store.models import Base, BigId


class HashSetRow(Base):
    __tablename__ = "hash_set"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_hash_set_name_version"),
        UniqueConstraint("source_sha256", name="uq_hash_set_source_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    profile: Mapped[str] = mapped_column(String(20))
    # A custom profile's definition (CategoryProfile.definition()); None for a built-in profile.
    profile_definition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(40))
    source_file: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    source_size: Mapped[int] = mapped_column(BigInteger)
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(200))
    entry_count: Mapped[int] = mapped_column(BigInteger, default=0)
    refused_count: Mapped[int] = mapped_column(BigInteger, default=0)
    pdq_threshold: Mapped[int] = mapped_column(SmallInteger, default=31)
    # How the set's PDQ hashes were made: "full" (the whole picture: python-threatexchange, HMA, the
    # default of an import) or "512" (longest side 512 px: Meta's C++ tool); pictures are hashed the same
    # way to match.
    pdq_method: Mapped[str] = mapped_column(String(8), default="full", server_default="full")

    entries: Mapped[list[KnownFileRow]] = relationship(
        back_populates="hash_set", cascade="all, delete-orphan", passive_deletes=True
    )


class KnownFileRow(Base):
    __tablename__ = "known_file"
    __table_args__ = (
        Index("ix_known_file_md5", "md5"),
        Index("ix_known_file_sha1", "sha1"),
        Index("ix_known_file_sha256", "sha256"),
        Index("ix_known_file_btih_v1", "btih_v1"),
        Index("ix_known_file_btih_v2", "btih_v2"),
        Index("ix_known_file_bt_v2_root", "bt_v2_root"),
        Index("ix_known_file_hash_set_id", "hash_set_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hash_set_id: Mapped[int] = mapped_column(ForeignKey("hash_set.id", ondelete="CASCADE"))
    md5: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    sha1: Mapped[bytes | None] = mapped_column(LargeBinary(20))
    sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    pdq: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    pdq_quality: Mapped[int | None] = mapped_column(SmallInteger)
    btih_v1: Mapped[bytes | None] = mapped_column(LargeBinary(20))
    btih_v2: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    bt_v2_root: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    size: Mapped[int | None] = mapped_column(BigInteger)
    category: Mapped[str | None] = mapped_column(String(16))
    category_label: Mapped[str | None] = mapped_column(Text)  # the publisher's own label for the category
    series: Mapped[str | None] = mapped_column(Text)
    victim_identified: Mapped[bool | None] = mapped_column(Boolean)
    offender_identified: Mapped[bool | None] = mapped_column(Boolean)
    distributed: Mapped[bool | None] = mapped_column(Boolean)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    comments: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    hash_set: Mapped[HashSetRow] = relationship(back_populates="entries")


class KnownVideoFrameRow(Base):
    """One frame of a known video's vPDQ hash (a PDQ hash per second of video), in frame order."""

    __tablename__ = "known_video_frame"
    __table_args__ = (Index("ix_known_video_frame_entry_id", "entry_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("known_file.id", ondelete="CASCADE"))
    frame: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Double)
    pdq: Mapped[bytes] = mapped_column(LargeBinary(32))
    quality: Mapped[int] = mapped_column(SmallInteger)


class LibraryImportRow(Base):
    """Every import attempt, kept even when it failed or found the file already imported."""

    __tablename__ = "library_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_file: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # imported | already-imported | failed
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    hash_set_id: Mapped[int | None] = mapped_column(ForeignKey("hash_set.id", ondelete="SET NULL"))
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_taken: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_refused: Mapped[int] = mapped_column(BigInteger, default=0)
    refused_by_reason: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    problems: Mapped[list[LibraryImportProblemRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class LibraryImportProblemRow(Base):
    """The first refused rows of an import, with where they were; counts of all are on the import."""

    __tablename__ = "library_import_problem"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("library_import.id", ondelete="CASCADE"), index=True)
    location: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
