"""The REST API for linking another agency's evidence item to one's own case: requests and the owner's
consent.

Thin like :mod:`vigilant.web.api`: who may ask, who decides, and who then sees the item are
:mod:`vigilant.cases.evidence_links`' and :mod:`vigilant.cases.access`' decisions, never made here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vigilant.cases import evidence_links
from vigilant.cases.models import LinkStatus
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.params import RowId
from vigilant.web.schemas import EvidenceLinkDecisionIn, EvidenceLinkIn, EvidenceLinkOut

router = APIRouter(prefix=API_V1, responses=ERRORS)


@router.get("/evidence-links", response_model=list[EvidenceLinkOut])
def list_links(
    ctx: ContextDep,
    actor: ActorDep,
    status: Annotated[LinkStatus | None, Query(description="only requests in this state")] = None,
) -> list[EvidenceLinkOut]:
    """The requests your agency made, and those for its items that it decides, newest first."""
    return [EvidenceLinkOut.of(r) for r in evidence_links.link_requests(ctx.db, actor, status=status)]


@router.post("/cases/{case_id}/evidence-links", response_model=EvidenceLinkOut, status_code=201)
def request_link(case_id: RowId, body: EvidenceLinkIn, ctx: ContextDep, actor: ActorDep) -> EvidenceLinkOut:
    """Ask the owner of another agency's evidence item to link it to a device seized in this case."""
    made = evidence_links.request_link(
        ctx.db, actor, case_id, body.device_id, body.evidence_item_id, reason=body.reason
    )
    return EvidenceLinkOut.of(made)


@router.post("/evidence-links/{request_id}/decision", response_model=EvidenceLinkOut)
def decide_link(
    request_id: RowId, body: EvidenceLinkDecisionIn, ctx: ContextDep, actor: ActorDep
) -> EvidenceLinkOut:
    """Grant or refuse a pending request, or revoke a granted one, as the item's owner (``cases.write``)."""
    decided = evidence_links.decide_link(ctx.db, actor, request_id, body.decision, reason=body.reason)
    return EvidenceLinkOut.of(decided)
