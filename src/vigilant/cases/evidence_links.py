"""Linking another agency's evidence item to a device seized in one's own case: a request, and the owner's
consent.

An agency may link only its own evidence items (or ones no one owns yet) to the devices of its cases
(:func:`vigilant.cases.process.record_seizure`). For another agency's item it asks: which item, to which
device of which of its cases, and why (:func:`request_link`, needs ``legal.write`` in the case, and the
item must be visible to the requester). A user of the owning agency whose role grants ``cases.write`` (the
right that sets a case's distribution) grants or refuses it with a reason (:func:`decide_link`), and may
revoke a grant later (:func:`revoke_link`): granting sets the device's ``evidence_item_id``, revoking clears
it. Each decision is a typed ``evidence.link_decided`` audit event and an entry in the item's chain of
custody.

Consent links a record; it never widens who sees the item. Visibility follows the owner's cases' current
distribution at every read (:func:`vigilant.cases.access.item_visible`): when the owner restricts its case,
the requester's readers lose the item, its runs, files and hits at once, link or no link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vigilant.cases.access import (
    LEGAL_WRITE,
    READ,
    WRITE,
    actor_name,
    add_audited,
    agency_of,
    audit,
    item_owner,
    item_visible,
)
from vigilant.cases.errors import DuplicateRecordError, InvalidRecordError, RecordNotFoundError
from vigilant.cases.models import (
    AgencyRow,
    CaseRow,
    EvidenceLinkRequestRow,
    LinkStatus,
    SeizedDeviceRow,
    SeizureRow,
)
from vigilant.cases.service import load_case
from vigilant.evidence.models import CustodyEventRow, EvidenceItemRow
from vigilant.security.audit import EvidenceLinkDecided, RecordRead
from vigilant.security.rights import Actor, require
from vigilant.store import Database
from vigilant.store.models import utcnow


class Decision:
    GRANT = "grant"
    REFUSE = "refuse"
    REVOKE = "revoke"


DECISIONS = (Decision.GRANT, Decision.REFUSE, Decision.REVOKE)


@dataclass(frozen=True)
class LinkRequest:
    """A request as its requester or the owner sees it. ``item_label`` only while the caller may see the
    item; ``case_number`` is the requesting case's."""

    id: int
    evidence_item_id: int
    item_label: str | None
    case_id: int
    case_number: str
    device_id: int
    requesting_agency: str
    owner_agency: str
    reason: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    incoming: bool  # the caller's agency owns the item: it decides


def _reason(text: str, what: str) -> str:
    reason = text.strip()
    if not reason:
        raise InvalidRecordError(f"say why {what}", hint="the reason is kept with the request and audited")
    return reason


def _custody(s: Session, actor: Actor, item_id: int, action: str, detail: dict[str, object]) -> None:
    s.add(
        CustodyEventRow(
            evidence_id=item_id, at=utcnow(), actor=actor_name(actor), action=action, detail=detail
        )
    )


def _short_name(s: Session, agency_id: int) -> str:
    row = s.get(AgencyRow, agency_id)
    return row.short_name if row is not None else str(agency_id)


def request_link(
    db: Database, actor: Actor, case_id: int, device_id: int, item_id: int, *, reason: str
) -> LinkRequest:
    """Ask the owner of evidence item ``item_id`` to link it to device ``device_id`` of the caller's case."""
    require(actor, LEGAL_WRITE)
    why = _reason(reason, "the item belongs in this case")
    with db.session() as s:
        case = load_case(s, actor, case_id, write=True)
        if device_id < 1 or item_id < 1:
            raise InvalidRecordError(
                "choose a device seized in this case and give the evidence item's number",
                hint="both are needed",
            )
        device = s.scalars(
            select(SeizedDeviceRow)
            .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
            .where(SeizedDeviceRow.id == device_id, SeizureRow.case_id == case_id)
        ).one_or_none()
        if device is None:
            raise InvalidRecordError(
                f"no seized device {device_id} in case {case.number}", hint="record the seizure first"
            )
        if device.evidence_item_id is not None:
            raise DuplicateRecordError(
                f"device {device_id} is already linked to evidence item {device.evidence_item_id}",
                hint="each seized device is linked to one evidence item",
            )
        item = s.scalars(
            select(EvidenceItemRow).where(EvidenceItemRow.id == item_id, item_visible(actor))
        ).one_or_none()
        if item is None:  # the words of a missing item: another agency's unseen item is not disclosed
            raise InvalidRecordError(
                f"no evidence item {item_id} that you may link",
                hint="check the item number on the evidence page",
            )
        owner = item_owner(s, item)
        if owner is None or owner == agency_of(actor):
            raise InvalidRecordError(
                f"evidence item {item_id} is not another agency's: link it when recording the seizure",
                hint="only another agency's item needs its consent",
            )
        pending = select(EvidenceLinkRequestRow.id).where(
            EvidenceLinkRequestRow.device_id == device_id,
            EvidenceLinkRequestRow.status == LinkStatus.PENDING.value,
        )
        if s.scalars(pending).first() is not None:
            raise DuplicateRecordError(
                f"device {device_id} already has a request waiting for an answer", hint="wait for the owner"
            )
        row = EvidenceLinkRequestRow(
            evidence_item_id=item_id,
            case_id=case_id,
            device_id=device_id,
            requesting_agency_id=agency_of(actor),
            owner_agency_id=owner,
            reason=why,
            requested_by=actor_name(actor),
            requested_at=utcnow(),
            status=LinkStatus.PENDING.value,
        )
        add_audited(s, actor, row, object_type="evidence_link_request", case_ref=case.number)
        requester = _short_name(s, agency_of(actor))
        _custody(s, actor, item_id, "link-requested", {"request": row.id, "agency": requester, "reason": why})
        return _views(s, actor, [row])[0]


def _owned_request(
    s: Session, actor: Actor, request_id: int
) -> tuple[EvidenceLinkRequestRow, EvidenceItemRow]:
    """A request for an item the caller's agency owns now; anything else is 'not found'."""
    row = s.get(EvidenceLinkRequestRow, request_id)
    item = s.get(EvidenceItemRow, row.evidence_item_id) if row is not None else None
    if row is None or item is None or item_owner(s, item) != agency_of(actor):
        raise RecordNotFoundError(
            f"no evidence link request {request_id} for your agency to decide",
            hint="the owner of the item decides: see the evidence link requests page",
        )
    return row, item


def decide_link(db: Database, actor: Actor, request_id: int, decision: str, *, reason: str) -> LinkRequest:
    """Grant, refuse or revoke a request, as the owner of its item, with a reason."""
    require(actor, WRITE)
    if decision not in DECISIONS:
        raise InvalidRecordError(f"unknown decision {decision!r}", hint=f"use one of {', '.join(DECISIONS)}")
    why = _reason(reason, f"you {decision} it")
    with db.session() as s:
        row, item = _owned_request(s, actor, request_id)
        wanted = LinkStatus.GRANTED if decision == Decision.REVOKE else LinkStatus.PENDING
        if row.status != wanted.value:
            raise DuplicateRecordError(
                f"request {request_id} is {row.status}: it cannot be {decision}d",
                hint="a pending request is granted or refused; a granted one is revoked",
            )
        device = s.get(SeizedDeviceRow, row.device_id)
        if decision == Decision.GRANT:
            if device is None or device.evidence_item_id not in (None, item.id):
                raise DuplicateRecordError(
                    f"the device of request {request_id} is gone or linked to another item since",
                    hint="refuse this request; the requester can ask again",
                )
            device.evidence_item_id = item.id
            status = LinkStatus.GRANTED
        elif decision == Decision.REFUSE:
            status = LinkStatus.REFUSED
        else:
            if device is not None and device.evidence_item_id == item.id:
                device.evidence_item_id = None
            status = LinkStatus.REVOKED
        row.status, row.decided_by, row.decided_at, row.decision_reason = (
            status.value,
            actor_name(actor),
            utcnow(),
            why,
        )
        case = s.get(CaseRow, row.case_id)
        audit(
            s,
            actor,
            EvidenceLinkDecided,
            object_type="evidence_link_request",
            object_id=str(row.id),
            case_ref=case.number if case is not None else None,
            decision=status.value,
            evidence_item_id=item.id,
            requesting_agency_id=row.requesting_agency_id,
            reason=why,
        )
        _custody(
            s,
            actor,
            item.id,
            f"link-{status.value}",
            {"request": row.id, "agency": _short_name(s, row.requesting_agency_id), "reason": why},
        )
        s.flush()
        return _views(s, actor, [row])[0]


def revoke_link(db: Database, actor: Actor, request_id: int, *, reason: str) -> LinkRequest:
    return decide_link(db, actor, request_id, Decision.REVOKE, reason=reason)


def _views(s: Session, actor: Actor, rows: list[EvidenceLinkRequestRow]) -> list[LinkRequest]:
    agency = agency_of(actor)
    ids = [r.evidence_item_id for r in rows]
    labels: dict[int, str] = dict(
        s.execute(
            select(EvidenceItemRow.id, EvidenceItemRow.label).where(
                EvidenceItemRow.id.in_(ids), item_visible(actor)
            )
        ).all()
    )
    cases: dict[int, str] = dict(
        s.execute(select(CaseRow.id, CaseRow.number).where(CaseRow.id.in_([r.case_id for r in rows]))).all()
    )
    return [
        LinkRequest(
            id=r.id,
            evidence_item_id=r.evidence_item_id,
            item_label=labels.get(r.evidence_item_id),
            case_id=r.case_id,
            case_number=cases.get(r.case_id, "?"),
            device_id=r.device_id,
            requesting_agency=_short_name(s, r.requesting_agency_id),
            owner_agency=_short_name(s, r.owner_agency_id),
            reason=r.reason,
            requested_by=r.requested_by,
            requested_at=r.requested_at,
            status=r.status,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
            decision_reason=r.decision_reason,
            incoming=r.owner_agency_id == agency,
        )
        for r in rows
    ]


def link_requests(db: Database, actor: Actor, *, status: LinkStatus | None = None) -> list[LinkRequest]:
    """The requests the caller's agency made or must answer, newest first."""
    require(actor, READ)
    agency = agency_of(actor)
    query = select(EvidenceLinkRequestRow).where(
        or_(
            EvidenceLinkRequestRow.requesting_agency_id == agency,
            EvidenceLinkRequestRow.owner_agency_id == agency,
        )
    )
    if status is not None:
        query = query.where(EvidenceLinkRequestRow.status == status.value)
    query = query.order_by(EvidenceLinkRequestRow.id.desc())
    with db.session() as s:
        found = _views(s, actor, list(s.scalars(query)))
        audit(s, actor, RecordRead, object_type="evidence_link_request", records=len(found))
    return found
