"""Categorisation: one decision per item, or one for a whole stack, with undo.

A decision holds the category (read through the queue's profile: 0-4 Project VIC US, 0-5 legacy DHS, A/B/C
UK CAID; see :mod:`vigilant.review.profiles`), the series, the victims depicted (age band and sex,
optionally the case's Victim record), and the flags the issue lists. Decisions are appended; undo marks the
examiner's latest batch undone, so the item's previous decision (if any) is current again and the log of
who decided what stays whole.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from vigilant.cases.access import audit
from vigilant.cases.models import VictimRow
from vigilant.errors import BadInputError, NotFoundError
from vigilant.review.context import ReviewContext
from vigilant.review.models import ReviewDecisionRow, ReviewItemRow
from vigilant.review.profiles import REVIEW_PROFILES, ReviewProfile, profile_for
from vigilant.review.queue import refresh_heads, stack_members, visible_item
from vigilant.review.wellness import touch
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Actor, Permission, require

PROFILES_FOR_REVIEW = tuple(REVIEW_PROFILES)
AGE_BANDS = ("under-12", "12-17", "adult", "unknown")
SEXES = ("female", "male", "unknown")


@dataclass(frozen=True)
class Victim:
    age_band: str = "unknown"
    sex: str = "unknown"
    victim_id: int | None = None  # the case's Victim record, once identified


@dataclass(frozen=True)
class Decision:
    category: str
    profile: str | None = None  # None: the profile the run is categorised in (default vic-us)
    series: str | None = None
    new_series: bool = False
    victims: tuple[Victim, ...] = ()
    identified: bool = False
    offender_visible: bool = False
    sexual_assault: bool = False
    self_generated: bool = False
    suspected_ai: bool = False
    possible_production: bool = False
    location_notes: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decided:
    batch: str
    items: list[int]
    category: str


def checked(decision: Decision, profile: ReviewProfile) -> Decision:
    """The decision in ``profile``, its category normalised; BadInputError naming the wrong field."""
    code = profile.categories.normalise(decision.category)
    if code is None:
        raise BadInputError(
            "a decision needs a category", hint=f"press its key: {profile.describe_keys()} ({profile.title})"
        )
    for index, victim in enumerate(decision.victims):
        if victim.age_band not in AGE_BANDS:
            raise BadInputError(
                f"victims[{index}]: age band {victim.age_band!r} is not one of {', '.join(AGE_BANDS)}"
            )
        if victim.sex not in SEXES:
            raise BadInputError(f"victims[{index}]: sex {victim.sex!r} is not one of {', '.join(SEXES)}")
    if decision.series is not None and len(decision.series) > 200:
        raise BadInputError("series: at most 200 characters")
    return Decision(**{**decision.__dict__, "category": code, "profile": profile.name})


def decide(
    ctx: ReviewContext, actor: Actor, item_id: int, decision: Decision, *, whole_stack: bool = False
) -> Decided:
    """Record ``decision`` for the item, or for every item of its stack the actor may see."""
    require(actor, Permission.MEDIA_VIEW)
    if decision.profile is not None and decision.profile not in PROFILES_FOR_REVIEW:
        raise BadInputError(
            f"profile {decision.profile!r} is not a review profile",
            hint=f"use one of {', '.join(PROFILES_FOR_REVIEW)}",
        )
    targets = stack_members(ctx, actor, item_id) if whole_stack else [visible_item(ctx, actor, item_id)]
    batch = uuid.uuid4().hex
    now = ctx.clock()
    with ctx.db.session() as s:
        decision = checked(decision, profile_for(s, {t.run_id for t in targets}, decision.profile))
        _check_victims(s, decision)
        for item in targets:
            s.add(
                ReviewDecisionRow(
                    item_id=item.id,
                    batch=batch,
                    examiner=actor.username,
                    examiner_id=actor.user_id,
                    decided_at=now,
                    undone_at=None,
                    profile=decision.profile or "",
                    category=decision.category,
                    series=decision.series or None,
                    new_series=decision.new_series,
                    victims=[v.__dict__ for v in decision.victims],
                    identified=decision.identified,
                    offender_visible=decision.offender_visible,
                    sexual_assault=decision.sexual_assault,
                    self_generated=decision.self_generated,
                    suspected_ai=decision.suspected_ai,
                    possible_production=decision.possible_production or item.seized_device,
                    location_notes=decision.location_notes,
                )
            )
        audit(s, actor, RecordChanged, change="create", object_type="review_decision", object_id=batch,
              fields_changed=tuple(str(t.id) for t in targets[:50]))  # fmt: skip
    refresh_heads(ctx, {t.stack_id for t in targets if t.stack_id is not None})
    touch(ctx, actor)
    return Decided(batch, [t.id for t in targets], decision.category)


def _check_victims(s: Any, decision: Decision) -> None:
    for index, victim in enumerate(decision.victims):
        if victim.victim_id is not None and s.get(VictimRow, victim.victim_id) is None:
            raise BadInputError(f"victims[{index}]: no victim record {victim.victim_id}")


def undo(ctx: ReviewContext, actor: Actor) -> Decided:
    """Undo the actor's latest decision (all the items it settled); NotFoundError when nothing is left."""
    require(actor, Permission.MEDIA_VIEW)
    with ctx.db.session() as s:
        latest = s.scalars(
            select(ReviewDecisionRow)
            .where(ReviewDecisionRow.examiner == actor.username, ReviewDecisionRow.undone_at.is_(None))
            .order_by(ReviewDecisionRow.id.desc())
            .limit(1)
        ).one_or_none()
        if latest is None:
            raise NotFoundError("no decision of yours to undo")
        rows = list(s.scalars(select(ReviewDecisionRow).where(ReviewDecisionRow.batch == latest.batch)))
        now = ctx.clock()
        for row in rows:
            row.undone_at = now
        audit(s, actor, RecordChanged, change="update", object_type="review_decision", object_id=latest.batch,
              fields_changed=("undone_at",))  # fmt: skip
        done = Decided(latest.batch, [r.item_id for r in rows], latest.category)
        stacks = set(s.scalars(select(ReviewItemRow.stack_id).where(ReviewItemRow.id.in_(done.items))))
    refresh_heads(ctx, {stack for stack in stacks if stack is not None})
    return done
