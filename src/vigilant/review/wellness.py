"""Wellness by default: blurred thumbnails, reveals one at a time for a limited time, exposure counted.

Every thumbnail served without a reveal is the blurred, greyscale one made on the server. A reveal opens
one item for one examiner for ``reveal_seconds``, with a reason, and is audited (who, what, when, why);
opening another closes the previous one. Each examiner's exposure (items revealed, seconds in review) is
counted per day; a unit's limits refuse reveals past the day's allowance and prompt a break after a stretch
of review. A supervisor sees the numbers of the unit's examiners, never the material.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigilant.cases.access import audit
from vigilant.errors import BadInputError, ConflictError, NotFoundError
from vigilant.review.context import ReviewContext
from vigilant.review.media import unseal
from vigilant.review.models import (
    ReviewExposureRow,
    ReviewLimitsRow,
    ReviewMediaRow,
    ReviewRevealRow,
)
from vigilant.review.queue import visible_item
from vigilant.security.audit import AuditEvent, RecordChanged
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import Actor, Permission, require

GAP_SECONDS = 120  # at most this much counts between two actions: a longer pause is time away
BREAK_GAP = timedelta(minutes=5)  # a pause this long is a break: the stretch starts again


@dataclass(frozen=True, kw_only=True)
class MediaRevealed(AuditEvent):
    """An item of review shown in the clear to an examiner, until ``until``, for ``reason``."""

    action: ClassVar[str] = "review.reveal"
    reason: str
    until: datetime


@dataclass(frozen=True)
class Limits:
    reveals_per_day: int = 100
    minutes_per_day: int = 240
    reveal_seconds: int = 30
    break_every_minutes: int = 45


@dataclass(frozen=True)
class Exposure:
    username: str
    revealed: int
    minutes: int
    limits: Limits
    break_due: bool

    @property
    def reveals_left(self) -> int:
        return max(0, self.limits.reveals_per_day - self.revealed)


def limits_of(ctx: ReviewContext, agency_id: int | None) -> Limits:
    if agency_id is None:
        return Limits()
    with ctx.db.session() as s:
        row = s.get(ReviewLimitsRow, agency_id)
        if row is None:
            return Limits()
        return Limits(row.reveals_per_day, row.minutes_per_day, row.reveal_seconds, row.break_every_minutes)


def set_limits(ctx: ReviewContext, actor: Actor, agency_id: int, limits: Limits) -> Limits:
    """The unit's limits; set by whoever manages its operations or its users."""
    _require_supervisor(actor)
    with ctx.db.session() as s:
        row = s.get(ReviewLimitsRow, agency_id)
        if row is None:
            row = ReviewLimitsRow(agency_id=agency_id)
            s.add(row)
        row.reveals_per_day, row.minutes_per_day = limits.reveals_per_day, limits.minutes_per_day
        row.reveal_seconds, row.break_every_minutes = limits.reveal_seconds, limits.break_every_minutes
        audit(s, actor, RecordChanged, change="update", object_type="review_limits", object_id=str(agency_id))
    return limits


def _require_supervisor(actor: Actor) -> None:
    if not (actor.may(Permission.OPERATIONS_MANAGE) or actor.may(Permission.USERS_MANAGE)):
        raise PermissionDenied(actor.username, str(Permission.OPERATIONS_MANAGE))


def touch(ctx: ReviewContext, actor: Actor, *, revealed: int = 0) -> Exposure:
    """Count time in review (and reveals) for the actor today; the exposure as it now stands.

    A page asks for its thumbnails at once, so requests touch the same row together: the day's row is made
    once (a concurrent insert that lost is ignored), then read locked (as :mod:`vigilant.security.locking`
    does, for a two-column key) so no second or reveal is lost.
    """
    now = ctx.clock()
    key = (actor.username, now.date())
    with suppress(IntegrityError), ctx.db.session() as s:
        if s.get(ReviewExposureRow, key) is None:
            s.add(
                ReviewExposureRow(
                    username=actor.username, day=now.date(), agency_id=actor.agency_id, revealed=0, seconds=0,
                    streak_seconds=0, last_seen=None,
                )
            )  # fmt: skip
    with ctx.db.session() as s:
        row = _locked(s, actor.username, now.date())
        if row.last_seen is not None:
            gap = now - row.last_seen
            if gap >= BREAK_GAP:  # a break: the time away is not review, and the stretch starts again
                row.streak_seconds = 0
            else:
                spent = int(min(max(gap.total_seconds(), 0), GAP_SECONDS))
                row.seconds += spent
                row.streak_seconds += spent
        row.last_seen = max(now, row.last_seen) if row.last_seen is not None else now
        row.revealed += revealed
        counted = (row.revealed, row.seconds, row.streak_seconds)
    limits = limits_of(ctx, actor.agency_id)
    return Exposure(
        actor.username, counted[0], counted[1] // 60, limits, counted[2] >= limits.break_every_minutes * 60
    )


def _locked(s: Session, username: str, day: date) -> ReviewExposureRow:
    """The day's row, locked until commit: PostgreSQL ``FOR UPDATE``; SQLite's one write lock, taken by a
    no-op write before the read."""
    where = (ReviewExposureRow.username == username, ReviewExposureRow.day == day)
    if s.get_bind().dialect.name == "sqlite":
        s.execute(update(ReviewExposureRow).where(*where).values(revealed=ReviewExposureRow.revealed))
    query = select(ReviewExposureRow).where(*where).execution_options(populate_existing=True)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return s.scalars(query).one()


def my_exposure(ctx: ReviewContext, actor: Actor) -> Exposure:
    require(actor, Permission.MEDIA_VIEW)
    return touch(ctx, actor)


def unit_exposure(ctx: ReviewContext, actor: Actor, days: int = 7) -> list[tuple[str, str, int, int]]:
    """(examiner, day, items revealed, minutes) for the supervisor's unit: numbers only, never material."""
    _require_supervisor(actor)
    since = ctx.clock().date() - timedelta(days=days - 1)
    query = select(ReviewExposureRow).where(ReviewExposureRow.day >= since)
    if actor.agency_id is not None:
        query = query.where(ReviewExposureRow.agency_id == actor.agency_id)
    with ctx.db.session() as s:
        rows = s.scalars(query.order_by(ReviewExposureRow.day.desc(), ReviewExposureRow.username)).all()
        return [(r.username, r.day.isoformat(), r.revealed, r.seconds // 60) for r in rows]


def blurred(ctx: ReviewContext, actor: Actor, item_id: int, frame: int = 0) -> bytes:
    """The item's blurred, greyscale thumbnail: what is shown by default."""
    require(actor, Permission.MEDIA_VIEW)
    visible_item(ctx, actor, item_id)
    touch(ctx, actor)
    return _media(ctx, item_id, "blurred", frame)


def reveal(ctx: ReviewContext, actor: Actor, item_id: int, reason: str) -> datetime:
    """Open the item in the clear for the actor, for the unit's reveal time; audited. Returns the end."""
    require(actor, Permission.MEDIA_VIEW)
    item = visible_item(ctx, actor, item_id)
    reason = reason.strip()
    if not reason:
        raise BadInputError("a reveal needs a reason", hint="say why the clear picture is needed")
    exposure = touch(ctx, actor)
    if exposure.reveals_left <= 0:
        raise ConflictError(
            f"you have revealed {exposure.revealed} items today, the unit's limit",
            hint="take a break; your supervisor can change the limit",
        )
    now = ctx.clock()
    until = now + timedelta(seconds=exposure.limits.reveal_seconds)
    with ctx.db.session() as s:
        # One item at a time: a new reveal closes the examiner's others.
        s.execute(
            update(ReviewRevealRow)
            .where(ReviewRevealRow.username == actor.username, ReviewRevealRow.until > now)
            .values(until=now)
        )
        s.add(ReviewRevealRow(item_id=item.id, username=actor.username, at=now, until=until, reason=reason))
        audit(s, actor, MediaRevealed, object_type="review_item", object_id=str(item.id), reason=reason,
              until=until)  # fmt: skip
    touch(ctx, actor, revealed=1)
    return until


def clear(ctx: ReviewContext, actor: Actor, item_id: int, frame: int = 0) -> bytes:
    """The clear thumbnail, only while the actor's reveal of this item is open."""
    require(actor, Permission.MEDIA_VIEW)
    visible_item(ctx, actor, item_id)
    now = ctx.clock()
    with ctx.db.session() as s:
        open_reveal = s.scalars(
            select(ReviewRevealRow.id).where(
                ReviewRevealRow.item_id == item_id,
                ReviewRevealRow.username == actor.username,
                ReviewRevealRow.until > now,
            )
        ).first()
    if open_reveal is None:
        raise PermissionDenied(actor.username, "review.reveal (no open reveal of this item)")
    return _media(ctx, item_id, "clear", frame)


def _media(ctx: ReviewContext, item_id: int, variant: str, frame: int) -> bytes:
    with ctx.db.session() as s:
        row = s.get(ReviewMediaRow, (item_id, variant, frame))
        if row is None:
            raise NotFoundError(f"item {item_id} has no {variant} still {frame}")
        sealed = row.sealed
    return unseal(ctx.box, sealed, item_id=item_id, variant=variant, frame=frame)


def frames(ctx: ReviewContext, item_id: int) -> int:
    with ctx.db.session() as s:
        return len(
            s.scalars(
                select(ReviewMediaRow.frame).where(
                    ReviewMediaRow.item_id == item_id, ReviewMediaRow.variant == "blurred"
                )
            ).all()
        )
