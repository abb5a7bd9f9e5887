"""Deconfliction between agencies without sharing subjects: each agency computes
``HMAC-SHA256(shared secret, subject)`` for its subjects and records claims on those keys only.

Subjects: an IP on a UTC day (``ip:<address>|day:<YYYY-MM-DD>``: addresses are re-leased, so an IP alone
would collide across subscribers) and a peer id (``peer:<hex>``). Without the secret a key reveals nothing;
with it, only a party that already holds the subject can find its key. A check answers "claimed by agency
X since T" and nothing of X's lead: no address, no score, no investigator.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from vigilant.leads.errors import LeadInputError
from vigilant.leads.models import DeconflictionClaimRow
from vigilant.store import Database

MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class SubjectKey:
    kind: str  # ip-day | peer-id
    key: str  # hex HMAC


@dataclass(frozen=True)
class ClaimHit:
    """What a check may reveal: that the subject is claimed, by which agency, since when."""

    key: str
    agency: str
    claimed_at: datetime


def load_secret(path: Path) -> bytes:
    try:
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise LeadInputError(f"cannot read the deconfliction secret {path}: {exc}") from exc
    if len(secret) < MIN_SECRET_BYTES:
        raise LeadInputError(
            f"the deconfliction secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed",
            hint="use the secret the coordinating agency shared (e.g. made with `openssl rand -hex 32`)",
        )
    return secret


def _mac(secret: bytes, subject: str) -> str:
    return hmac.new(secret, subject.encode(), hashlib.sha256).hexdigest()


def ip_day_key(secret: bytes, ip: str, day: date) -> SubjectKey:
    address = ipaddress.ip_address(ip).compressed  # one spelling per address, or agencies never meet
    return SubjectKey("ip-day", _mac(secret, f"ip:{address}|day:{day.isoformat()}"))


def peer_key(secret: bytes, peer_id_hex: str) -> SubjectKey:
    return SubjectKey("peer-id", _mac(secret, f"peer:{bytes.fromhex(peer_id_hex).hex()}"))


def check(db: Database, keys: list[SubjectKey], *, agency: str) -> list[ClaimHit]:
    """Claims by *other* agencies on any of ``keys``; the asker's own claims are not news."""
    wanted = sorted({k.key for k in keys})
    if not wanted:
        return []
    with db.session() as s:
        rows = s.execute(
            select(DeconflictionClaimRow.key, DeconflictionClaimRow.agency, DeconflictionClaimRow.claimed_at)
            .where(DeconflictionClaimRow.key.in_(wanted), DeconflictionClaimRow.agency != agency)
            .order_by(
                DeconflictionClaimRow.claimed_at, DeconflictionClaimRow.agency, DeconflictionClaimRow.key
            )
        ).all()
    return [ClaimHit(key, other, at) for key, other, at in rows]


def claim(
    db: Database, keys: list[SubjectKey], *, agency: str, actor: str, at: datetime, lead_id: int | None = None
) -> int:
    """Record ``agency``'s claim on every key (again is a no-op); returns how many were new."""
    new = 0
    with db.session() as s:
        have = set(
            s.scalars(
                select(DeconflictionClaimRow.key).where(
                    DeconflictionClaimRow.agency == agency,
                    DeconflictionClaimRow.key.in_(sorted({k.key for k in keys})),
                )
            )
        )
        for k in sorted(set(keys), key=lambda k: k.key):
            if k.key in have:
                continue
            have.add(k.key)
            s.add(DeconflictionClaimRow(
                agency=agency, key=k.key, kind=k.kind, claimed_at=at, claimed_by=actor, lead_id=lead_id
            ))  # fmt: skip
            new += 1
    return new
