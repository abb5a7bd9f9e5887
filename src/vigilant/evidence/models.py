"""Evidence items as added (where, what, the acquisition hashes) and their chain of custody."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigilant.store.models import Base, BigId


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
