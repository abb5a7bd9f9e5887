"""Review tables: the queue's items, their near-duplicate stacks, decisions, sealed media, reveals, exposure.

An item is one picture or video of a triage run that no exact known-bad or known-good match settled. Its
priority is stored as a number with the factors that made it (``reasons``), so the queue sorts in SQL and
every row can say why it is where it is. A stack is the set of items sharing ``stack_id`` (the smallest
item id of the stack). Decisions are appended, never edited: the newest one not undone is the item's.
Media (blurred and clear thumbnails, a video's key frames) are sealed with AES-256-GCM and live in the
database beside their item, so deleting a case's review rows deletes them too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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
from sqlalchemy.orm import Mapped, mapped_column

from vigilant.store.models import Base, BigId


class ReviewBatchRow(Base):
    """A batch file of a run already read into the queue (review can start while triage still runs)."""

    __tablename__ = "review_batch"

    run_id: Mapped[int] = mapped_column(ForeignKey("triage_run.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Known-bad files found by digest per folder in this batch: the queue's "hit density" factor.
    folder_hits: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class ReviewItemRow(Base):
    __tablename__ = "review_item"
    __table_args__ = (
        UniqueConstraint("run_id", "position", "member", name="uq_review_item_run_id_position_member"),
        Index("ix_review_item_run_priority", "run_id", "priority"),
        Index("ix_review_item_run_head_priority", "run_id", "stack_head", "priority"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("triage_run.id", ondelete="CASCADE"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    member: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(Text)
    folder: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))  # picture | video
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha1: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdq: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdq_quality: Mapped[int | None] = mapped_column(SmallInteger)
    pdq_method: Mapped[str | None] = mapped_column(String(10))  # full | 512, as the run made ``pdq``
    dihedral: Mapped[bytes | None] = mapped_column(LargeBinary)  # the 8 dihedral PDQ hashes, 256 bytes
    exif_make: Mapped[str | None] = mapped_column(String(200))
    exif_model: Mapped[str | None] = mapped_column(String(200))
    exif_serial: Mapped[str | None] = mapped_column(String(200))
    gps_latitude: Mapped[float | None] = mapped_column(Double)
    gps_longitude: Mapped[float | None] = mapped_column(Double)
    near_distance: Mapped[int | None] = mapped_column(SmallInteger)  # nearest known-bad, by PDQ / vPDQ
    near_series: Mapped[str | None] = mapped_column(String(200))
    near_set: Mapped[str | None] = mapped_column(String(300))
    seized_device: Mapped[bool] = mapped_column(Boolean, default=False)  # camera serial of a seized device
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # base factors, with points
    base_priority: Mapped[int] = mapped_column(Integer)
    folder_hits: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[int] = mapped_column(Integer)  # base_priority + the folder's hit density
    stack_id: Mapped[int | None] = mapped_column(BigId, index=True)
    # The stack's item of highest priority (lowest id on a tie): the queue's one row per stack.
    stack_head: Mapped[bool] = mapped_column(Boolean, default=True)
    media_note: Mapped[str | None] = mapped_column(Text)  # why there is no thumbnail, when there is none
    created_at: Mapped[datetime]


class ReviewDecisionRow(Base):
    """One examiner's categorisation of one item; ``batch`` groups a stack's decisions for one undo."""

    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_item.id", ondelete="CASCADE"), index=True)
    batch: Mapped[str] = mapped_column(String(40), index=True)
    examiner: Mapped[str] = mapped_column(String(200))
    examiner_id: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]
    profile: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(16))
    series: Mapped[str | None] = mapped_column(String(200))
    new_series: Mapped[bool] = mapped_column(Boolean, default=False)
    victims: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # age_band, sex, victim_id
    identified: Mapped[bool] = mapped_column(Boolean, default=False)
    offender_visible: Mapped[bool] = mapped_column(Boolean, default=False)
    sexual_assault: Mapped[bool] = mapped_column(Boolean, default=False)
    self_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    suspected_ai: Mapped[bool] = mapped_column(Boolean, default=False)
    possible_production: Mapped[bool] = mapped_column(Boolean, default=False)
    location_notes: Mapped[str | None] = mapped_column(Text)


class ReviewMediaRow(Base):
    """A sealed thumbnail: ``blurred`` (grey, blurred: what the queue shows) or ``clear`` (after a reveal)."""

    __tablename__ = "review_media"

    item_id: Mapped[int] = mapped_column(ForeignKey("review_item.id", ondelete="CASCADE"), primary_key=True)
    variant: Mapped[str] = mapped_column(String(10), primary_key=True)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 for a picture; a video's key frame
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class ReviewRevealRow(Base):
    """One item shown in the clear to one examiner, until ``until``, and why."""

    __tablename__ = "review_reveal"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_item.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime]
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


class ReviewExposureRow(Base):
    """What one examiner was exposed to on one day: items revealed, seconds spent in review."""

    __tablename__ = "review_exposure"

    username: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="SET NULL"), index=True)
    revealed: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    streak_seconds: Mapped[int] = mapped_column(Integer, default=0)  # in review since the last break
    last_seen: Mapped[datetime | None]


class ReviewLimitsRow(Base):
    """The limits a unit (agency) sets for its examiners' exposure; absent: the defaults in wellness.py."""

    __tablename__ = "review_limits"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True)
    reveals_per_day: Mapped[int] = mapped_column(Integer)
    minutes_per_day: Mapped[int] = mapped_column(Integer)
    reveal_seconds: Mapped[int] = mapped_column(Integer)
    break_every_minutes: Mapped[int] = mapped_column(Integer)
