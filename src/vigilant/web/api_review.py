"""Examiner review over the REST API (/api/v1/review): one guarded service call per route.

Thumbnails are served only here, with ``Cache-Control: no-store``: the blurred one by default, the clear one
only while the caller's reveal of that item is open (:mod:`vigilant.review.wellness`). Nothing about the
picture's bytes is logged; reveals are audited with their reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from vigilant.cases.operations import get_operation
from vigilant.review import board, decisions, outputs, wellness
from vigilant.review.classifier import installed_classifier
from vigilant.review.context import ReviewContext
from vigilant.review.decisions import AGE_BANDS, SEXES, Decision, Victim
from vigilant.review.profiles import REVIEW_PROFILES, run_profile
from vigilant.review.queue import (
    QueueFilter,
    QueueRow,
    progress,
    queue,
    stack_members,
    stacks,
    sync,
    visible_run,
)
from vigilant.review.scope import Scope
from vigilant.security.rights import Permission
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.params import BodyId, Offset, RowId

router = APIRouter(prefix=f"{API_V1}/review", responses=ERRORS, tags=["review"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FrameQuery = Annotated[int, Query(ge=0, le=16)]
PROFILE_PATTERN = "^(" + "|".join(REVIEW_PROFILES) + ")$"


def review_context(ctx: WebContext) -> ReviewContext:
    """The review services over the app's database, sealing with the installation key (as TOTP seeds),
    ordering new pictures with the classifier where its extra is installed."""
    return ReviewContext(ctx.db, ctx.auth.box, clock=ctx.clock, classifier=installed_classifier().scorer)


class ReasonOut(BaseModel):
    factor: str
    points: int
    detail: str
    # The classifier's factor only: its score and the model that gave it.
    score: float | None = None
    model: str | None = None
    version: str | None = None
    model_sha256: str | None = None


class DecisionOut(BaseModel):
    category: str
    profile: str
    series: str | None
    examiner: str
    decided_at: datetime


class ItemOut(BaseModel):
    id: int
    run_id: int
    evidence_id: int
    kind: str
    address: str
    priority: int
    reasons: list[ReasonOut]
    stack_id: int | None
    stack_size: int
    exif_make: str | None
    exif_model: str | None
    exif_serial: str | None
    gps_latitude: float | None
    gps_longitude: float | None
    seized_device: bool
    media_note: str | None
    decision: DecisionOut | None

    @classmethod
    def of(cls, row: QueueRow) -> ItemOut:
        i, d = row.item, row.decision
        return cls(
            id=i.id, run_id=i.run_id, evidence_id=i.evidence_id, kind=i.kind, address=i.address,
            priority=i.priority, reasons=[ReasonOut(**r) for r in row.reasons], stack_id=i.stack_id,
            stack_size=row.stack_size, exif_make=i.exif_make, exif_model=i.exif_model,
            exif_serial=i.exif_serial, gps_latitude=i.gps_latitude, gps_longitude=i.gps_longitude,
            seized_device=i.seized_device, media_note=i.media_note,
            decision=None if d is None else DecisionOut(
                category=d.category, profile=d.profile, series=d.series, examiner=d.examiner,
                decided_at=d.decided_at,
            ),
        )  # fmt: skip


class QueueOut(BaseModel):
    items: list[ItemOut]
    total: int
    offset: int
    limit: int
    more: bool
    profile: str | None = Field(description="the profile the run is categorised in; null: none chosen yet")
    classifier: str = Field(description="which classifier orders new pictures, or that none is installed")


class SyncOut(BaseModel):
    run_id: int
    run_status: str
    batches_read: int
    items_added: int
    items_total: int
    stacks: int


@router.post("/runs/{run_id}/sync", response_model=SyncOut)
def sync_run(run_id: RowId, ctx: ContextDep, actor: ActorDep) -> SyncOut:
    """Read the run's batches finished since the last call into its queue (works while triage runs)."""
    done = sync(review_context(ctx), actor, run_id)
    return SyncOut(**done.__dict__)


@router.get("/runs/{run_id}/queue", response_model=QueueOut)
def run_queue(
    *,
    run_id: RowId,
    ctx: ContextDep,
    actor: ActorDep,
    status: Annotated[str, Query(pattern="^(open|decided|all)$")] = "open",
    kind: Annotated[str | None, Query(pattern="^(picture|video)$")] = None,
    near: bool = False,
    seized: bool = False,
    every_item: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> QueueOut:
    rctx = review_context(ctx)
    visible_run(rctx, actor, run_id)
    f = QueueFilter(status=status, kind=kind, near_only=near, seized_only=seized, stacks_only=not every_item)
    page = queue(rctx, actor, Scope(run_id=run_id), f, limit=limit, offset=offset)
    chosen = run_profile(rctx.db, run_id)
    return QueueOut(
        items=[ItemOut.of(r) for r in page.rows], total=page.total, offset=offset, limit=limit,
        more=page.more, profile=chosen.name if chosen else None, classifier=installed_classifier().note,
    )  # fmt: skip


class StackOut(BaseModel):
    stack_id: int
    size: int
    priority: int
    kind: str
    decided: int


class StacksOut(BaseModel):
    stacks: list[StackOut]
    items: int
    decided: int
    by_examiner: dict[str, int]


@router.get("/runs/{run_id}/stacks", response_model=StacksOut)
def run_stacks(run_id: RowId, ctx: ContextDep, actor: ActorDep) -> StacksOut:
    rctx = review_context(ctx)
    visible_run(rctx, actor, run_id)
    scope = Scope(run_id=run_id)
    done = progress(rctx, actor, scope)
    return StacksOut(
        stacks=[StackOut(**s.__dict__) for s in stacks(rctx, actor, scope)],
        items=done.items,
        decided=done.decided,
        by_examiner={p.examiner: p.decided for p in done.by_examiner},
    )


class StackItemOut(BaseModel):
    id: int
    kind: str
    address: str
    frames: int


@router.get("/items/{item_id}/stack", response_model=list[StackItemOut])
def item_stack(item_id: RowId, ctx: ContextDep, actor: ActorDep) -> list[StackItemOut]:
    """The item and the rest of its stack (a video: its key frames count as frames)."""
    rctx = review_context(ctx)
    return [
        StackItemOut(id=m.id, kind=m.kind, address=m.address, frames=wellness.frames(rctx, m.id))
        for m in stack_members(rctx, actor, item_id)
    ]


def _jpeg(data: bytes) -> Response:
    return Response(data, media_type="image/jpeg", headers=NO_STORE)


@router.get("/items/{item_id}/thumbnail", response_class=Response)
def thumbnail(item_id: RowId, ctx: ContextDep, actor: ActorDep, frame: FrameQuery = 0) -> Response:
    """The blurred, greyscale thumbnail (a video: of key frame ``frame``): what is shown by default."""
    return _jpeg(wellness.blurred(review_context(ctx), actor, item_id, frame))


class RevealIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class RevealOut(BaseModel):
    item_id: int
    until: datetime
    seconds: int


@router.post("/items/{item_id}/reveal", response_model=RevealOut)
def reveal(item_id: RowId, body: RevealIn, ctx: ContextDep, actor: ActorDep) -> RevealOut:
    """Open the item in the clear for the caller, for the unit's reveal time; audited with the reason."""
    until = wellness.reveal(review_context(ctx), actor, item_id, body.reason)
    return RevealOut(item_id=item_id, until=until, seconds=max(0, int((until - ctx.clock()).total_seconds())))


@router.get("/items/{item_id}/clear", response_class=Response)
def clear(item_id: RowId, ctx: ContextDep, actor: ActorDep, frame: FrameQuery = 0) -> Response:
    """The clear thumbnail, only while the caller's reveal of the item is open (403 otherwise)."""
    return _jpeg(wellness.clear(review_context(ctx), actor, item_id, frame))


class VictimIn(BaseModel):
    age_band: str = Field(default="unknown", description=f"one of {', '.join(AGE_BANDS)}")
    sex: str = Field(default="unknown", description=f"one of {', '.join(SEXES)}")
    victim_id: BodyId | None = None


class DecisionIn(BaseModel):
    category: str = Field(min_length=1, max_length=16)
    profile: str | None = Field(
        default=None,
        pattern=PROFILE_PATTERN,
        description="vic-us (0-4), dhs (legacy 0-5) or caid-uk (A/B/C); default: the run's, else vic-us",
    )
    stack: bool = Field(default=True, description="settle the item's whole stack")
    series: str | None = Field(default=None, max_length=200)
    new_series: bool = False
    victims: list[VictimIn] = Field(default_factory=list, max_length=50)
    identified: bool = False
    offender_visible: bool = False
    sexual_assault: bool = False
    self_generated: bool = False
    suspected_ai: bool = False
    possible_production: bool = False
    location_notes: str | None = Field(default=None, max_length=2000)


class DecidedOut(BaseModel):
    batch: str
    items: list[int]
    category: str


@router.post("/items/{item_id}/decision", response_model=DecidedOut)
def decide(item_id: RowId, body: DecisionIn, ctx: ContextDep, actor: ActorDep) -> DecidedOut:
    fields: dict[str, Any] = body.model_dump(exclude={"stack", "victims"})
    decision = Decision(**fields, victims=tuple(Victim(**v.model_dump()) for v in body.victims))
    done = decisions.decide(review_context(ctx), actor, item_id, decision, whole_stack=body.stack)
    return DecidedOut(batch=done.batch, items=done.items, category=done.category)


@router.post("/undo", response_model=DecidedOut)
def undo(ctx: ContextDep, actor: ActorDep) -> DecidedOut:
    """Undo the caller's latest decision (every item it settled)."""
    done = decisions.undo(review_context(ctx), actor)
    return DecidedOut(batch=done.batch, items=done.items, category=done.category)


class ExposureOut(BaseModel):
    username: str
    revealed: int
    minutes: int
    reveals_left: int
    reveals_per_day: int
    minutes_per_day: int
    reveal_seconds: int
    break_due: bool


@router.get("/exposure", response_model=ExposureOut)
def exposure(ctx: ContextDep, actor: ActorDep) -> ExposureOut:
    """The caller's exposure today and the unit's limits; ``break_due`` prompts a break."""
    e = wellness.my_exposure(review_context(ctx), actor)
    return ExposureOut(
        username=e.username, revealed=e.revealed, minutes=e.minutes, reveals_left=e.reveals_left,
        reveals_per_day=e.limits.reveals_per_day, minutes_per_day=e.limits.minutes_per_day,
        reveal_seconds=e.limits.reveal_seconds, break_due=e.break_due,
    )  # fmt: skip


class UnitExposureOut(BaseModel):
    examiner: str
    day: str
    revealed: int
    minutes: int


@router.get("/exposure/unit", response_model=list[UnitExposureOut])
def unit_exposure(ctx: ContextDep, actor: ActorDep) -> list[UnitExposureOut]:
    """The unit's examiners' exposure for the last seven days: numbers only, never material."""
    rows = wellness.unit_exposure(review_context(ctx), actor)
    return [UnitExposureOut(examiner=e, day=d, revealed=r, minutes=m) for e, d, r, m in rows]


@router.get("/operations/{operation_id}/figures")
def operation_figures(operation_id: RowId, ctx: ContextDep, actor: ActorDep) -> dict[str, Any]:
    """The operation's material figures from review decisions: shares with the counts behind them."""
    get_operation(ctx.db, actor, operation_id)  # another agency's operation: not found
    return outputs.figures(review_context(ctx), actor, Scope(operation_id=operation_id)).as_dict()


@router.get("/runs/{run_id}/vics", response_class=Response)
def run_vics(
    run_id: RowId,
    ctx: ContextDep,
    actor: ActorDep,
    profile: Annotated[str | None, Query(pattern=PROFILE_PATTERN)] = None,
) -> Response:
    """The run's decisions as Project VIC VICS 2.0 JSON, in the codes of ``profile`` (default: the run's)."""
    rctx = review_context(ctx)
    visible_run(rctx, actor, run_id)
    data = outputs.export_bytes(rctx, actor, Scope(run_id=run_id), profile=profile)
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="review-run-{run_id}.json"'}
    return Response(data, media_type="application/json", headers=headers)


class PromoteIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    version: str | None = Field(default=None, max_length=100)
    profile: str | None = Field(
        default=None, pattern=PROFILE_PATTERN, description="for a new set; an existing set keeps its own"
    )


class PromoteOut(BaseModel):
    set_id: int | None
    name: str
    version: str | None
    entries: int
    already_imported: bool


@router.post("/runs/{run_id}/promote", response_model=PromoteOut)
def promote(run_id: RowId, body: PromoteIn, ctx: ContextDep, actor: ActorDep) -> PromoteOut:
    """The run's decided abuse material as a new version of a known-bad set, with its provenance."""
    rctx = review_context(ctx)
    visible_run(rctx, actor, run_id, need=Permission.LIBRARY_IMPORT)
    report = outputs.promote(
        rctx, actor, Scope(run_id=run_id), name=body.name, version=body.version, profile=body.profile
    )
    info = report.hash_set
    return PromoteOut(
        set_id=info.id if info else None, name=info.name if info else body.name,
        version=info.version if info else body.version, entries=report.rows_taken,
        already_imported=report.already_imported,
    )  # fmt: skip


class SeriesOut(BaseModel):
    series: str
    items: int
    victims: list[dict[str, Any]]
    cameras: list[str]
    places: list[tuple[float, float]]
    notes: list[str]
    cases: list[str]
    agencies: list[str]
    possible_production: bool


@router.get("/board", response_model=list[SeriesOut])
def identification_board(ctx: ContextDep, actor: ActorDep) -> list[SeriesOut]:
    """Series with victims not identified yet, across the cases the caller may see, with their clues."""
    return [
        SeriesOut(
            series=c.series,
            items=c.items,
            victims=c.victims,
            cameras=sorted(c.cameras),
            places=sorted(c.places),
            notes=sorted(c.notes),
            cases=sorted(c.cases),
            agencies=sorted(c.agencies),
            possible_production=c.possible_production,
        )
        for c in board.board(review_context(ctx), actor)
    ]


class IdentifiedIn(BaseModel):
    series: str = Field(min_length=1, max_length=200)
    case_id: BodyId
    person_id: BodyId
    identified_on: date
    safeguarded_on: date | None = None


class IdentifiedOut(BaseModel):
    series: str
    decisions: int


@router.post("/board/identified", response_model=IdentifiedOut)
def identified(body: IdentifiedIn, ctx: ContextDep, actor: ActorDep) -> IdentifiedOut:
    """A series' victim identified (and safeguarded): the case's Victim record and the series' decisions."""
    marked = board.mark_identified(
        review_context(ctx), actor, body.series, case_id=body.case_id, person_id=body.person_id,
        identified_on=body.identified_on, safeguarded_on=body.safeguarded_on,
    )  # fmt: skip
    return IdentifiedOut(series=body.series, decisions=marked)
