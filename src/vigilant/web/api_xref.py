"""The REST API of person resolution (xref): run the model, list and show proposals, judge them, profiles.

Thin like :mod:`vigilant.web.api`: what a caller sees of a proposal (both persons, or only who holds the
other one) is decided by :mod:`vigilant.links.xref`, never here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vigilant.links import judgements, xref
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.params import MAX_ID, RowId

router = APIRouter(prefix=f"{API_V1}/links/xref", responses=ERRORS, tags=["links"])


class XrefRunOut(BaseModel):
    run_id: int
    job_id: int | None = Field(description="the job that ran it (GET /api/v1/links/status: its progress)")
    model_version: str
    persons: int
    pairs_compared: int
    proposals: int


class XrefPersonOut(BaseModel):
    id: int
    name: str
    date_of_birth: date | None
    gender: str | None
    municipality: str | None
    agency: str


class XrefComparisonOut(BaseModel):
    comparison: str
    level: str
    weight: float = Field(description="log2 Bayes factor: what this comparison added to the score")


class XrefJudgementOut(BaseModel):
    verdict: str
    reason: str
    by: str
    at: str
    fingerprint_then: str


class XrefProposalOut(BaseModel):
    id: int
    status: str = Field(description="open, reopened, unsure, same, not_same, same_profile or withheld")
    match_weight: float
    match_probability: float
    person: XrefPersonOut
    other: XrefPersonOut | None = Field(description="None when the other person is not yours to see")
    withheld: str | None = Field(description="who holds the other person, when it is not yours to see")
    comparisons: list[XrefComparisonOut]
    judgement: XrefJudgementOut | None


class XrefJudgeIn(BaseModel):
    verdict: judgements.Verdict
    reason: str = Field(min_length=1, max_length=4000)


class XrefJudgedOut(BaseModel):
    judgement_id: int
    verdict: str


class XrefProfileOut(BaseModel):
    profile: int
    persons: list[XrefPersonOut]
    withheld: list[str]


def _out(view: xref.ProposalView) -> XrefProposalOut:
    data: dict[str, Any] = view.as_dict()
    return XrefProposalOut.model_validate(data)


@router.get("", response_model=list[XrefProposalOut])
def list_proposals(
    ctx: ContextDep,
    actor: ActorDep,
    status: Annotated[str, Query(max_length=20, description="queue (default), all, or one status")] = "queue",
    person_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="only this person's")] = None,
) -> list[XrefProposalOut]:
    """Proposed same-person pairs you may see, strongest first, with the comparisons behind each score."""
    return [_out(v) for v in xref.list_proposals(ctx.db, actor, status=status, person_id=person_id)]


@router.post("/run", response_model=XrefRunOut, status_code=201)
def run(ctx: ContextDep, actor: ActorDep) -> XrefRunOut:
    """Run the xref model over every person; judgements stay and apply to the new proposals."""
    s = xref.run_xref(ctx.db, actor, data_dir=ctx.runs.settings.data_dir)  # resumes an interrupted job
    return XrefRunOut(run_id=s.run_id, job_id=s.job_id, model_version=s.model_version, persons=s.persons,
                      pairs_compared=s.pairs_compared, proposals=s.proposals)  # fmt: skip


@router.get("/profile/{person_id}", response_model=XrefProfileOut)
def profile(person_id: RowId, ctx: ContextDep, actor: ActorDep) -> XrefProfileOut:
    """The persons confirmed the same as this one, across cases; of those you may not see, who holds them."""
    return XrefProfileOut.model_validate(xref.profile(ctx.db, actor, person_id).as_dict())


@router.get("/{proposal_id}", response_model=XrefProposalOut)
def show(proposal_id: RowId, ctx: ContextDep, actor: ActorDep) -> XrefProposalOut:
    return _out(xref.get_proposal(ctx.db, actor, proposal_id))


@router.post("/{proposal_id}/judgement", response_model=XrefJudgedOut, status_code=201)
def judge(proposal_id: RowId, body: XrefJudgeIn, ctx: ContextDep, actor: ActorDep) -> XrefJudgedOut:
    """Judge a proposal whose two persons you may see: same, not_same or unsure, with a reason."""
    row = judgements.judge(ctx.db, actor, proposal_id, body.verdict, body.reason)
    return XrefJudgedOut(judgement_id=row.id, verdict=row.verdict)
