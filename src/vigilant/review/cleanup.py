"""Deleting a case's review data: its items, and with them their sealed media, decisions and reveals.

The evidence and the triage runs are not touched (they are the record of what was seized and found); what
review derived from them goes, thumbnails included, so no copy of seized material outlives the decision to
delete it.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from vigilant.cases.access import audit
from vigilant.evidence.models import EvidenceItemRow
from vigilant.review.context import ReviewContext
from vigilant.review.models import (
    ReviewBatchRow,
    ReviewDecisionRow,
    ReviewItemRow,
    ReviewMediaRow,
    ReviewRevealRow,
)
from vigilant.review.scope import visible
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Actor, Permission, require
from vigilant.triage.models import TriageRunRow


def delete_case_review(ctx: ReviewContext, actor: Actor, case_number: str) -> int:
    """Remove every review item (and its media, decisions, reveals) of the case's evidence; returns the
    number of items removed."""
    require(actor, Permission.CASES_WRITE)
    evidence = select(EvidenceItemRow.id).where(EvidenceItemRow.case_number == case_number, visible(actor))
    with ctx.db.session() as s:
        items = list(s.scalars(select(ReviewItemRow.id).where(ReviewItemRow.evidence_id.in_(evidence))))
        runs = select(TriageRunRow.id).where(TriageRunRow.evidence_id.in_(evidence))
        for first in range(0, len(items), 1000):
            chunk = items[first : first + 1000]
            # Children first: SQLite enforces ON DELETE CASCADE only with its foreign keys pragma on.
            for child in (ReviewMediaRow, ReviewDecisionRow, ReviewRevealRow):
                s.execute(delete(child).where(child.item_id.in_(chunk)))
            s.execute(delete(ReviewItemRow).where(ReviewItemRow.id.in_(chunk)))
        s.execute(delete(ReviewBatchRow).where(ReviewBatchRow.run_id.in_(runs)))
        audit(s, actor, RecordChanged, change="delete", object_type="review_queue", case_ref=case_number,
              object_id=str(len(items)))  # fmt: skip
    return len(items)
