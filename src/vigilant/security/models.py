"""Tables of the security core, on the shared declarative ``Base`` (the migration is ``0004_security``).

Secrets are never stored in the clear where a hash will do: passwords as argon2id hashes, session and API
tokens as SHA-256 digests (they carry 256 random bits, so a fast hash is enough). The TOTP secret has to be
readable to check codes; encrypting it at rest (a key outside the database) is not done yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigilant.store.models import Base, BigId


class UserRow(Base):
    # "user" is reserved in PostgreSQL; a prefix keeps the name plain on both engines.
    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("username", name="uq_app_user_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200))
    # The agencies table belongs to the cases domain (vigilant.cases.models); migration 0006 ties them.
    agency_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("agency.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(128))  # sealed (vigilant.security.secretbox)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # replay guard: last accepted counter
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SessionRow(Base):
    """A logged-in browser session; only the SHA-256 of its token is kept."""

    __tablename__ = "auth_session"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_auth_session_token_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    source_ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime]
    last_seen: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))  # logout | idle | disabled


class ApiTokenRow(Base):
    """A token for automation: its roles are capped by its user's roles when it is used."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_token_token_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuditEventRow(Base):
    """One link of the audit hash chain. ``seq`` is assigned by the appender, never by the database."""

    __tablename__ = "audit_event"
    # An action's events in seq order in one index range (migration 0015; searches by action).
    __table_args__ = (Index("ix_audit_event_action_seq", "action", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(60))  # searched through ix_audit_event_action_seq (0024)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    case_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    source: Mapped[str | None] = mapped_column(String(64))  # client IP, or "cli"
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain's head, one row: appenders lock it, and ``verify`` checks the last event against it.

    Locking one row serialises appends on PostgreSQL; keeping the head apart from the events also catches
    the one edit a chain alone cannot: deleting its newest events.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    # The seq of the newest event that recorded a change: the records' version, which cached views (the
    # dashboard's figures) are kept under. Set by each append of a change, under the lock appends take anyway.
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
