"""The review queue: filled from a run's finished batches (while triage still runs, too), ordered by an
explainable priority, stacked, filtered, and counted per examiner.

:func:`sync` reads the batches of a run not read yet: each picture or video that no exact match settled
becomes an item with its base factors, its thumbnails are made from the evidence and sealed, the folder
density of known-bad hits is brought up to date, and the case's stacks are made again. Calling it again
while triage is running picks up the batches finished since.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import and_, exists, func, select, update

from vigilant.cases.access import audit
from vigilant.cases.models import SeizedDeviceRow
from vigilant.errors import NotFoundError, VigilantError
from vigilant.evidence.items import EvidenceInfo, evidence_info
from vigilant.evidence.models import EvidenceItemRow
from vigilant.perceptual.pdq import PDQ_MIN_QUALITY
from vigilant.review.classifier import score_item
from vigilant.review.context import ReviewContext
from vigilant.review.media import Key, media_of, seal
from vigilant.review.models import ReviewBatchRow, ReviewDecisionRow, ReviewItemRow, ReviewMediaRow
from vigilant.review.scope import Scope, items_query, visible
from vigilant.review.selection import (
    Candidate,
    candidate,
    exact_bad,
    folder_of,
    folder_points,
    folder_reason,
    normalise_serial,
)
from vigilant.review.stacks import DEFAULT_DISTANCE, stack_ids
from vigilant.security.audit import RecordChanged, RecordRead
from vigilant.security.rights import Actor, Permission, require
from vigilant.triage.models import TriageRunRow
from vigilant.triage.records import records_of
from vigilant.triage.results import batch_files
from vigilant.triage.run_records import RunRecord


@dataclass(frozen=True)
class SyncResult:
    run_id: int
    run_status: str
    batches_read: int
    items_added: int
    items_total: int
    stacks: int


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"  # open (no decision yet) | decided | all
    kind: str | None = None  # picture | video
    near_only: bool = False  # only items near known material
    seized_only: bool = False  # only items from a seized device's camera
    stacks_only: bool = True  # one row per stack (its highest-priority item)
    folder: str | None = None  # folder prefix


@dataclass(frozen=True)
class QueueRow:
    item: ReviewItemRow
    reasons: list[dict[str, Any]]
    stack_size: int
    decision: ReviewDecisionRow | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    offset: int
    limit: int
    more: bool
    total: int


@dataclass(frozen=True)
class ExaminerProgress:
    examiner: str
    decided: int


@dataclass(frozen=True)
class Progress:
    items: int
    decided: int
    by_examiner: list[ExaminerProgress] = field(default_factory=list)


def visible_run(
    ctx: ReviewContext, actor: Actor, run_id: int, need: Permission = Permission.TRIAGE_READ
) -> tuple[RunRecord, EvidenceInfo]:
    """The run and its evidence item, for a caller whose role grants ``need`` and who may see the item."""
    require(actor, need)
    query = (
        select(TriageRunRow, EvidenceItemRow)
        .join(EvidenceItemRow, EvidenceItemRow.id == TriageRunRow.evidence_id)
        .where(TriageRunRow.id == run_id, visible(actor))
    )
    with ctx.db.session() as s:
        found = s.execute(query).one_or_none()
        if found is None:
            raise NotFoundError(
                f"no triage run {run_id} that you may see", hint="see the list of triage runs"
            )
        run, item = found
        return RunRecord.of(run), evidence_info(item)


def sync(ctx: ReviewContext, actor: Actor, run_id: int) -> SyncResult:
    """Bring the run's queue up to date with its finished batches (see the module's notes)."""
    require(actor, Permission.TRIAGE_READ)
    run, evidence = visible_run(ctx, actor, run_id)
    results = Path(run.results_dir) if run.results_dir else None
    files = batch_files(results) if results is not None and results.is_dir() else []
    with ctx.db.session() as s:
        done = set(s.scalars(select(ReviewBatchRow.name).where(ReviewBatchRow.run_id == run_id)))
        serials = {normalise_serial(v) for v in s.scalars(select(SeizedDeviceRow.serial))}
    seized = frozenset(v for v in serials if v)
    added = 0
    read = 0
    for path in files:
        if path.name in done:
            continue
        records = list(records_of(pq.read_table(path)))
        hits = Counter(folder_of(r) for r in records if exact_bad(r))
        found = [c for r in records if (c := candidate(r, seized)) is not None]
        added += _store_batch(ctx, run, evidence, name=path.name, found=found, folder_hits=dict(hits))
        read += 1
    with ctx.db.session() as s:
        if read:
            _refresh_density(s, run_id)
            audit(s, actor, RecordChanged, change="create", object_type="review_queue", object_id=str(run_id),
                  case_ref=evidence.case_number)  # fmt: skip
        total = s.scalar(select(func.count()).where(ReviewItemRow.run_id == run_id)) or 0
    stacks = restack(ctx, evidence) if read else _stack_count(ctx, run_id)
    return SyncResult(run_id, run.status, read, added, total, stacks)


def _store_batch(
    ctx: ReviewContext,
    run: RunRecord,
    evidence: EvidenceInfo,
    *,
    name: str,
    found: list[Candidate],
    folder_hits: dict[str, int],
) -> int:
    now = ctx.clock()
    rows: dict[Key, ReviewItemRow] = {}
    with ctx.db.session() as s:
        for c in found:
            r = c.record
            row = ReviewItemRow(
                run_id=run.id,
                evidence_id=evidence.id,
                position=r.position,
                member=r.member,
                address=r.address,
                folder=c.folder,
                name=r.name,
                kind=c.kind,
                size=r.size,
                md5=r.md5,
                sha1=r.sha1,
                sha256=r.sha256,
                pdq=r.pdq,
                pdq_quality=r.pdq_quality,
                pdq_method=r.pdq_method or "512",
                exif_make=r.exif_make,
                exif_model=r.exif_model,
                exif_serial=r.exif_serial,
                gps_latitude=r.gps_latitude,
                gps_longitude=r.gps_longitude,
                near_distance=c.near_distance,
                near_series=c.near_series,
                near_set=c.near_set,
                seized_device=c.seized_device,
                reasons=c.reasons,
                base_priority=c.base_priority,
                folder_hits=0,
                priority=c.base_priority,
                created_at=now,
            )
            s.add(row)
            rows[(r.position, tuple(r.members))] = row
        s.flush()
        _add_media(ctx, s, evidence, rows, run.settings.get("archive_depth", 3))
        s.add(ReviewBatchRow(run_id=run.id, name=name, folder_hits=folder_hits))
    return len(rows)


def _add_media(
    ctx: ReviewContext, s: Any, evidence: EvidenceInfo, rows: dict[Key, ReviewItemRow], depth: int
) -> None:
    if not rows:
        return
    seen: set[Key] = set()
    missing = "not found again in the evidence"
    try:
        for key, data, note in ctx.reader(evidence, rows):
            row = rows[key]
            seen.add(key)
            if data is None:
                row.media_note = note
                continue
            made = media_of(data, row.kind, row.pdq_method)
            if made.dihedral:
                row.dihedral = b"".join(h for h, _ in made.dihedral)
            row.media_note = made.note
            if ctx.classifier is not None and row.kind == "picture" and made.stills:
                score_item(ctx.classifier, row, made.stills[0].clear)  # before the stacks choose heads
            for frame, still in enumerate(made.stills):
                for variant, content in (("blurred", still.blurred), ("clear", still.clear)):
                    sealed = seal(ctx.box, content, item_id=row.id, variant=variant, frame=frame)
                    s.add(ReviewMediaRow(item_id=row.id, variant=variant, frame=frame, sealed=sealed))
    except (OSError, VigilantError) as exc:
        # The evidence could not be opened (moved, unplugged): the items still enter the queue, and each
        # says why it has no thumbnail.
        missing = f"no thumbnail: the evidence {evidence.path} could not be read ({exc})"
    for key in rows.keys() - seen:
        rows[key].media_note = missing


def _refresh_density(s: Any, run_id: int) -> None:
    totals: Counter[str] = Counter()
    for hits in s.scalars(select(ReviewBatchRow.folder_hits).where(ReviewBatchRow.run_id == run_id)):
        totals.update(hits)
    for folder, count in totals.items():
        s.execute(
            update(ReviewItemRow)
            .where(ReviewItemRow.run_id == run_id, ReviewItemRow.folder == folder)
            .values(folder_hits=count, priority=ReviewItemRow.base_priority + folder_points(count))
        )


def restack(ctx: ReviewContext, evidence: EvidenceInfo, threshold: int = DEFAULT_DISTANCE) -> int:
    """Make the stacks of the case the evidence belongs to again (of the evidence alone without a case)."""
    query = select(
        ReviewItemRow.id, ReviewItemRow.pdq, ReviewItemRow.pdq_quality, ReviewItemRow.dihedral,
        ReviewItemRow.kind, ReviewItemRow.stack_id, ReviewItemRow.stack_head, ReviewItemRow.run_id,
        ReviewItemRow.priority,
    ).join(EvidenceItemRow, EvidenceItemRow.id == ReviewItemRow.evidence_id)  # fmt: skip
    if evidence.case_number:
        with ctx.db.session() as s:  # whose case number it is (numbers are unique per agency only)
            agency_id = s.scalar(select(EvidenceItemRow.agency_id).where(EvidenceItemRow.id == evidence.id))
        query = query.where(
            EvidenceItemRow.case_number == evidence.case_number,
            EvidenceItemRow.agency_id.is_(None)
            if agency_id is None
            else EvidenceItemRow.agency_id == agency_id,
        )
    else:
        query = query.where(EvidenceItemRow.id == evidence.id)
    with ctx.db.session() as s:
        rows = list(s.execute(query.order_by(ReviewItemRow.id)))
        ids = [r.id for r in rows]
        codes = [
            r.pdq
            if r.kind == "picture" and r.pdq is not None and (r.pdq_quality or 0) >= PDQ_MIN_QUALITY
            else None
            for r in rows
        ]
        stacks = stack_ids(ids, codes, [r.dihedral for r in rows], threshold)
        decided = set(s.scalars(select(ReviewDecisionRow.item_id).where(
            ReviewDecisionRow.undone_at.is_(None),
            ReviewDecisionRow.item_id.in_(query.with_only_columns(ReviewItemRow.id)),
        )))  # fmt: skip
        _set_heads(
            s, [(r.id, stacks[r.id], r.run_id, r.priority, r.stack_id, r.stack_head) for r in rows], decided
        )
    return len(set(stacks.values()))


Member = tuple[int, int, int, int, int | None, bool]  # id, new stack, run, priority, old stack, old head


def _set_heads(s: Any, members: list[Member], decided: set[int]) -> None:
    """Store each item's stack and whether it heads its stack within its run: the undecided item of highest
    priority (lowest id on a tie), else, all decided, the item of highest priority. The queue shows the
    heads, so a stack partly decided one item at a time still shows what is left of it; a stack found on two
    devices of a case has a head on each."""
    best: dict[tuple[int, int], tuple[bool, int, int]] = {}
    for item, stack, run, priority, _, _ in members:
        key, rank = (stack, run), (item in decided, -priority, item)
        if key not in best or rank < best[key]:
            best[key] = rank
    changed: dict[tuple[int, bool], list[int]] = {}
    for item, stack, run, _, old_stack, old_head in members:
        head = best[(stack, run)][2] == item
        if old_stack != stack or old_head != head:
            changed.setdefault((stack, head), []).append(item)
    for (stack, head), items in changed.items():
        for first in range(0, len(items), 1000):
            s.execute(
                update(ReviewItemRow)
                .where(ReviewItemRow.id.in_(items[first : first + 1000]))
                .values(stack_id=stack, stack_head=head)
            )


def refresh_heads(ctx: ReviewContext, stacks: set[int]) -> None:
    """Choose the heads of ``stacks`` again, after decisions changed which of their items are open."""
    if not stacks:
        return
    with ctx.db.session() as s:
        rows = list(
            s.execute(
                select(
                    ReviewItemRow.id, ReviewItemRow.stack_id, ReviewItemRow.run_id, ReviewItemRow.priority,
                    ReviewItemRow.stack_head,
                ).where(ReviewItemRow.stack_id.in_(stacks))
            )
        )  # fmt: skip
        ids = [r.id for r in rows]
        decided = set(
            s.scalars(
                select(ReviewDecisionRow.item_id).where(
                    ReviewDecisionRow.undone_at.is_(None), ReviewDecisionRow.item_id.in_(ids)
                )
            )
        )
        members = [(r.id, r.stack_id or r.id, r.run_id, r.priority, r.stack_id, r.stack_head) for r in rows]
        _set_heads(s, members, decided)


def _stack_count(ctx: ReviewContext, run_id: int) -> int:
    with ctx.db.session() as s:
        return (
            s.scalar(
                select(func.count(func.distinct(ReviewItemRow.stack_id))).where(
                    ReviewItemRow.run_id == run_id
                )
            )
            or 0
        )


def current_decision() -> Any:
    """Rows of each item's current decision: its newest not undone."""
    newer = ReviewDecisionRow.__table__.alias("newer")
    return and_(
        ReviewDecisionRow.undone_at.is_(None),
        ~exists().where(
            newer.c.item_id == ReviewDecisionRow.item_id,
            newer.c.undone_at.is_(None),
            newer.c.id > ReviewDecisionRow.id,
        ),
    )


def decisions_of(s: Any, item_ids: list[int]) -> dict[int, ReviewDecisionRow]:
    if not item_ids:
        return {}
    found = s.scalars(
        select(ReviewDecisionRow).where(ReviewDecisionRow.item_id.in_(item_ids), current_decision())
    )
    return {d.item_id: d for d in found}


def queue(
    ctx: ReviewContext,
    actor: Actor,
    scope: Scope,
    filters: QueueFilter | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
) -> QueuePage:
    """The items in ``scope``, highest priority first, each with the factors that put it there."""
    require(actor, Permission.TRIAGE_READ)
    f = filters or QueueFilter()
    query = items_query(ctx.db, actor, scope)
    decided = exists().where(
        ReviewDecisionRow.item_id == ReviewItemRow.id, ReviewDecisionRow.undone_at.is_(None)
    )
    if f.status == "open":
        query = query.where(~decided)
    elif f.status == "decided":
        query = query.where(decided)
    if f.kind:
        query = query.where(ReviewItemRow.kind == f.kind)
    if f.near_only:
        query = query.where(ReviewItemRow.near_distance.is_not(None))
    if f.seized_only:
        query = query.where(ReviewItemRow.seized_device.is_(True))
    if f.folder:
        query = query.where(ReviewItemRow.folder.startswith(f.folder, autoescape=True))
    if f.stacks_only:
        query = query.where(ReviewItemRow.stack_head.is_(True))  # one row per stack (and run): its head
    with ctx.db.session() as s:
        total = s.scalar(query.with_only_columns(func.count())) or 0  # an index-only count
        items = list(
            s.scalars(
                query.order_by(ReviewItemRow.priority.desc(), ReviewItemRow.id)
                .limit(limit + 1)
                .offset(offset)
            )
        )
        page = items[:limit]
        stacks = [i.stack_id for i in page if i.stack_id is not None]
        sizes: dict[int, int] = {}
        if stacks:
            counted = s.execute(
                select(ReviewItemRow.stack_id, func.count())
                .where(ReviewItemRow.stack_id.in_(stacks))
                .group_by(ReviewItemRow.stack_id)
            )
            sizes = {int(k): int(n) for k, n in counted if k is not None}
        decisions = decisions_of(s, [i.id for i in page])
        audit(s, actor, RecordRead, object_type="review_item", query=scope.describe(), records=len(page))
        s.expunge_all()
    rows = [QueueRow(i, reasons_of(i), sizes.get(i.stack_id or -1, 1), decisions.get(i.id)) for i in page]
    return QueuePage(rows, offset, limit, len(items) > limit, total)


def reasons_of(item: ReviewItemRow) -> list[dict[str, Any]]:
    """Every factor of the item's priority, the folder's density included, largest first."""
    reasons = list(item.reasons)
    density = folder_reason(item.folder_hits)
    if density is not None:
        reasons.append(density)
    return sorted(reasons, key=lambda r: -int(r["points"]))


def stack_members(ctx: ReviewContext, actor: Actor, item_id: int) -> list[ReviewItemRow]:
    """The items of the stack ``item_id`` belongs to that ``actor`` may see (the item first)."""
    require(actor, Permission.TRIAGE_READ)
    item = visible_item(ctx, actor, item_id)
    if item.stack_id is None:
        return [item]
    with ctx.db.session() as s:
        members = list(
            s.scalars(
                items_query(ctx.db, actor, Scope())
                .where(ReviewItemRow.stack_id == item.stack_id)
                .order_by(ReviewItemRow.id)
            )
        )
        s.expunge_all()
    return sorted(members, key=lambda m: m.id != item.id)


def visible_item(ctx: ReviewContext, actor: Actor, item_id: int) -> ReviewItemRow:
    with ctx.db.session() as s:
        item = s.scalars(items_query(ctx.db, actor, Scope()).where(ReviewItemRow.id == item_id)).one_or_none()
        if item is None:
            raise NotFoundError(f"no review item {item_id} that you may see", hint="see the review queue")
        s.expunge(item)
        return item


@dataclass(frozen=True)
class StackSummary:
    stack_id: int
    size: int
    priority: int
    kind: str
    decided: int


def stacks(ctx: ReviewContext, actor: Actor, scope: Scope, *, limit: int = 200) -> list[StackSummary]:
    """The stacks in ``scope``, highest priority first: their size and how many items are decided."""
    require(actor, Permission.TRIAGE_READ)
    items = items_query(ctx.db, actor, scope).subquery()
    decided = (
        select(func.count(func.distinct(ReviewDecisionRow.item_id)))
        .where(ReviewDecisionRow.item_id == items.c.id, ReviewDecisionRow.undone_at.is_(None))
        .correlate(items)
        .scalar_subquery()
    )
    query = (
        select(
            items.c.stack_id,
            func.count(),
            func.max(items.c.priority),
            func.min(items.c.kind),
            func.sum(decided),
        )
        .group_by(items.c.stack_id)
        .order_by(func.max(items.c.priority).desc(), items.c.stack_id)
        .limit(limit)
    )
    with ctx.db.session() as s:
        found = [
            StackSummary(int(a or 0), int(b), int(c), str(d), int(e or 0))
            for a, b, c, d, e in s.execute(query)
        ]
        audit(s, actor, RecordRead, object_type="review_stack", query=scope.describe(), records=len(found))
    return found


def progress(ctx: ReviewContext, actor: Actor, scope: Scope) -> Progress:
    """How far review of ``scope`` has gone, and how many items each examiner decided."""
    require(actor, Permission.TRIAGE_READ)
    items = items_query(ctx.db, actor, scope).subquery()
    with ctx.db.session() as s:
        total = s.scalar(select(func.count()).select_from(items)) or 0
        rows = s.execute(
            select(ReviewDecisionRow.examiner, func.count(func.distinct(ReviewDecisionRow.item_id)))
            .join(items, items.c.id == ReviewDecisionRow.item_id)
            .where(current_decision())
            .group_by(ReviewDecisionRow.examiner)
            .order_by(ReviewDecisionRow.examiner)
        ).all()
    by = [ExaminerProgress(str(e), int(n)) for e, n in rows]
    return Progress(total, sum(p.decided for p in by), by)
