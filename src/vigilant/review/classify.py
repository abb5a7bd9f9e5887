"""Scoring a run's queued pictures with the optional classifier after the fact.

:func:`~vigilant.review.queue.sync` scores new pictures as they enter the queue when the classifier is
installed; :func:`classify_run` scores the pictures that entered before it was (or under another model),
from their sealed clear thumbnails, opened in memory only. A picture that cannot be scored is named in the
result and the others carry on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from vigilant.cases.access import audit
from vigilant.errors import BadInputError, VigilantError
from vigilant.review.classifier import EXTRA, score_item, scored_by
from vigilant.review.context import ReviewContext
from vigilant.review.media import unseal
from vigilant.review.models import ReviewItemRow, ReviewMediaRow
from vigilant.review.queue import refresh_heads, visible_run
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Actor, Permission, require


@dataclass(frozen=True)
class ClassifyResult:
    run_id: int
    classifier: str
    scored: int
    already: int
    failed: list[str] = field(default_factory=list)  # "item N: why"


def classify_run(ctx: ReviewContext, actor: Actor, run_id: int) -> ClassifyResult:
    """Score the run's pictures not yet scored by the installed classifier's model."""
    require(actor, Permission.TRIAGE_READ)
    _, evidence = visible_run(ctx, actor, run_id)
    scorer = ctx.classifier
    if scorer is None:
        raise BadInputError("no classifier is installed to order the queue", hint=EXTRA)
    scored = already = 0
    failed: list[str] = []
    stacks: set[int] = set()
    with ctx.db.session() as s:
        items = s.scalars(
            select(ReviewItemRow)
            .where(ReviewItemRow.run_id == run_id, ReviewItemRow.kind == "picture")
            .order_by(ReviewItemRow.id)
        )
        for item in items:
            if scored_by(item, scorer.info):
                already += 1
                continue
            media = s.get(ReviewMediaRow, (item.id, "clear", 0))
            if media is None:
                failed.append(f"item {item.id}: no thumbnail ({item.media_note or 'none was made'})")
                continue
            try:
                clear = unseal(ctx.box, media.sealed, item_id=item.id, variant="clear", frame=0)
            except (ValueError, VigilantError) as exc:
                failed.append(f"item {item.id}: its thumbnail does not open ({exc})")
                continue
            why = score_item(scorer, item, clear)
            if why is not None:
                failed.append(f"item {item.id}: not scored ({why})")
                continue
            scored += 1
            stacks.add(item.stack_id or item.id)
        audit(s, actor, RecordChanged, change="update", object_type="review_queue", object_id=str(run_id),
              case_ref=evidence.case_number, fields_changed=("priority",))  # fmt: skip
    refresh_heads(ctx, stacks)
    return ClassifyResult(run_id, scorer.info.describe(), scored, already, failed)
