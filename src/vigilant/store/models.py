"""ORM tables. Each domain's tables live here until the file grows, then move to one module per domain.

Digests are stored as raw bytes (half the size of hex, exact comparisons); times are UTC, timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can refer to them on both engines.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL needs 64 bits for 10^8 rows.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both engines: SQLite keeps no zone, so values are normalised both ways."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store: every time in Vigilant is UTC-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


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


class EvidenceItemRow(Base):
    """A seized source as added: where it is, what it is, and its hashes at that moment."""

    __tablename__ = "evidence_item"
    __table_args__ = (UniqueConstraint("path", name="uq_evidence_item_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    case_number: Mapped[str | None] = mapped_column(String(100), index=True)
    # The agency whose case number case_number is (numbers are unique per agency only). None: an item
    # added without it, which its number links only while no two agencies have a case with that number.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    source_type: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    hashes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(200))


class CustodyEventRow(Base):
    """Chain of custody: every time Vigilant touched an evidence item, who, when, and the outcome."""

    __tablename__ = "custody_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))  # added | verified | verify-failed | triage-* | report
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TriageRunRow(Base):
    __tablename__ = "triage_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # queued|running|paused|cancelled|finished|failed
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    settings_digest: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(100))
    library: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    results_dir: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    files_total: Mapped[int | None] = mapped_column(BigInteger)
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    batches_done: Mapped[int] = mapped_column(Integer, default=0)
    files_done: Mapped[int | None] = mapped_column(BigInteger)  # this execution's progress (0008)
    bytes_done: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # What of the evidence the run could not read: {"volumes": M, "parts": [{"where", "reason", "volume"}]}
    # (triage.runinfo.Coverage; migration 0014). None: not finished, or finished before it was recorded.
    coverage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Triage on Dask (migration 0022): where the last execution ran ("local" or the scheduler's address),
    # the run's batch count once known, per worker {"batches": "0-3,7", "count", "files", "bytes"}, and a
    # pause or cancel asked of the process working on it.
    scheduler: Mapped[str | None] = mapped_column(Text)
    batches_total: Mapped[int | None] = mapped_column(Integer)
    workers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    control: Mapped[str | None] = mapped_column(String(20))


# --- leads (issue 4): a lead, its IPs, its lifecycle events, and deconfliction claims ----------------------
# A lead points at the agency table (issue 5) by id and keeps the names it was given for the record; routing
# reads a jurisdiction table file. Deconfliction claims name agencies as the shared system knows them.


class LeadRow(Base):
    """A subject built from observations of known material: its figures, score reasons and routing."""

    __tablename__ = "lead"
    __table_args__ = (UniqueConstraint("key", name="uq_lead_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40), index=True)
    agency: Mapped[str | None] = mapped_column(String(200))  # who works it: the agency's name, for the record
    routed_to: Mapped[str | None] = mapped_column(String(200))  # the name as the jurisdiction table says it
    # The agencies themselves (migration 0007): what scoping compares. A routed name that names no agency
    # leaves routed_agency_id empty (the build reports it); only a coordinating agency then sees the lead.
    assigned_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    routed_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    routing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    window_days: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[datetime]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    observation_count: Mapped[int] = mapped_column(BigInteger)
    known_files: Mapped[int] = mapped_column(Integer)
    max_severity: Mapped[int] = mapped_column(SmallInteger)
    max_category: Mapped[str | None] = mapped_column(Text)
    seeding: Mapped[bool] = mapped_column(Boolean)
    days_seen: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(20))
    score: Mapped[float]
    actionable: Mapped[bool] = mapped_column(Boolean)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    identities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # peer ids, clients, GUIDs
    geo_databases: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    built_at: Mapped[datetime]
    built_by: Mapped[str] = mapped_column(String(200))

    ips: Mapped[list[LeadIpRow]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", passive_deletes=True, order_by="LeadIpRow.ip"
    )
    events: Mapped[list[LeadEventRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="LeadEventRow.id"
    )


class LeadIpRow(Base):
    __tablename__ = "lead_ip"
    __table_args__ = (UniqueConstraint("lead_id", "ip", name="uq_lead_ip_lead_id_ip"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    ip: Mapped[str] = mapped_column(String(45), index=True)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    observation_count: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[list[str]] = mapped_column(JSON, default=list)  # UTC days seen, ISO: deconfliction keys
    geo: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    agency: Mapped[str | None] = mapped_column(String(200))  # the jurisdiction of this one address

    lead: Mapped[LeadRow] = relationship(back_populates="ips")


class LeadEventRow(Base):
    """The lead's lifecycle, append-only: who moved it, when, from what to what, under which authority."""

    __tablename__ = "lead_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DeconflictionClaimRow(Base):
    """An agency's claim on a subject, known only by its keyed HMAC: the subject itself is never stored."""

    __tablename__ = "deconfliction_claim"
    __table_args__ = (UniqueConstraint("agency", "key", name="uq_deconfliction_claim_agency_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # ip-day | peer-id
    claimed_at: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(200))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id", ondelete="SET NULL"))
