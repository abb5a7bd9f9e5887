"""Leads (issue 4): a lead, its IPs, its lifecycle events, and deconfliction claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigilant.store.models import Base, BigId

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
