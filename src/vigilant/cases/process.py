"""Legal process (preservation demands, production orders, warrants), seizures, arrests and charges.

Each change is audited in its own transaction; reading these records is :mod:`vigilant.cases.records`' job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import (
    LEGAL_WRITE,
    actor_name,
    add_audited,
    agency_of,
    audit,
    item_owner,
    item_visible,
)
from vigilant.cases.errors import InvalidRecordError, RecordNotFoundError
from vigilant.cases.identifiers import IdentifierKind, clean
from vigilant.cases.models import (
    AgencyRow,
    ArrestRow,
    CasePersonRow,
    ChargeRow,
    LegalProcessRow,
    PersonRole,
    ProcessKind,
    SeizedDeviceRow,
    SeizureRow,
)
from vigilant.cases.offences import offence
from vigilant.cases.service import load_case
from vigilant.evidence.models import CustodyEventRow, EvidenceItemRow
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Actor, require
from vigilant.store import Database
from vigilant.store.models import utcnow


def add_legal_process(
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    kind: ProcessKind,
    target: str,
    issued_at: datetime,
    issued_by_court: str | None = None,
    issued_by_judge: str | None = None,
    reference: str | None = None,
    expires_at: datetime | None = None,
    notes: str | None = None,
) -> LegalProcessRow:
    if kind is not ProcessKind.PRESERVATION_DEMAND and not (issued_by_court and issued_by_judge):
        # A preservation demand is a police act (s.487.012); orders and warrants come from a judge or justice.
        raise InvalidRecordError(
            f"a {kind.value.replace('_', ' ')} is issued by a court: give the court and the judge or justice",
            hint="record the issuing court and judicial officer as on the order",
        )
    require(actor, LEGAL_WRITE)
    with db.session() as s:
        case = load_case(s, actor, case_id, write=True)
        row = LegalProcessRow(
            case_id=case_id,
            kind=kind.value,
            reference=reference,
            target=target,
            issued_at=issued_at,
            issued_by_court=issued_by_court,
            issued_by_judge=issued_by_judge,
            expires_at=expires_at,
            notes=notes,
        )
        add_audited(s, actor, row, object_type="legal_process", case_ref=case.number)
    return row


def record_execution(
    db: Database,
    actor: Actor,
    process_id: int,
    *,
    executed_at: datetime,
    where: str,
    by: str,
    case_id: int | None = None,
) -> LegalProcessRow:
    """Record where, when and by whom an order or warrant was executed; ``case_id``, when given, must be
    the process's case (a page posts both)."""
    require(actor, LEGAL_WRITE)
    with db.session() as s:
        row = s.get(LegalProcessRow, process_id)
        try:
            if row is None or (case_id is not None and row.case_id != case_id):
                raise RecordNotFoundError(f"no legal process {process_id}")
            case = load_case(s, actor, row.case_id, write=True)
        except RecordNotFoundError:
            # One answer for "none" and "not yours": neither the process nor its case id is disclosed.
            raise RecordNotFoundError(
                f"no legal process {process_id} that you may change", hint="check the id"
            ) from None
        if executed_at < row.issued_at:
            raise InvalidRecordError("executed before it was issued", hint="check the execution time")
        row.executed_at, row.executed_where, row.executed_by = executed_at, where, by
        audit(
            s,
            actor,
            RecordChanged,
            change="update",
            object_type="legal_process",
            object_id=str(row.id),
            case_ref=case.number,
            fields_changed=("executed_at", "executed_where", "executed_by"),
        )
    return row


@dataclass(frozen=True)
class DeviceSeized:
    description: str
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    exhibit: str | None = None
    evidence_item_id: int | None = None


def record_seizure(
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    seized_at: datetime,
    where: str,
    by: str,
    devices: Sequence[DeviceSeized],
    legal_process_id: int | None = None,
) -> SeizureRow:
    require(actor, LEGAL_WRITE)
    with db.session() as s:
        case = load_case(s, actor, case_id, write=True)
        if legal_process_id is not None:
            authority = s.get(LegalProcessRow, legal_process_id)
            if authority is None or authority.case_id != case_id:
                raise InvalidRecordError(
                    f"legal process {legal_process_id} is not in case {case_id}",
                    hint="cite this case's warrant",
                )
        for d in devices:
            if d.evidence_item_id is not None:
                _require_linkable(s, actor, d.evidence_item_id)
        row = SeizureRow(
            case_id=case_id,
            legal_process_id=legal_process_id,
            seized_at=seized_at,
            seized_where=where,
            seized_by=by,
            devices=[
                SeizedDeviceRow(
                    description=d.description,
                    make=d.make,
                    model=d.model,
                    serial=clean(IdentifierKind.DEVICE_SERIAL, d.serial) if d.serial else None,
                    exhibit=d.exhibit,
                    evidence_item_id=d.evidence_item_id,
                )
                for d in devices
            ],
        )
        add_audited(s, actor, row, object_type="seizure", case_ref=case.number)
    return row


def _require_linkable(s: Session, actor: Actor, item_id: int) -> None:
    """An evidence item a seized device of the caller's case may point at: one the caller's agency owns
    (:func:`~vigilant.cases.access.item_owned_by`), or one no one owns yet (registered with no case
    number and seized by no case), which the caller's agency then owns. Another agency's item needs that
    agency's consent (:mod:`vigilant.cases.evidence_links`); an item the caller may not see is refused with
    the same words as a missing one."""
    item = s.get(EvidenceItemRow, item_id)
    missing = InvalidRecordError(
        f"no evidence item {item_id} that you may link",
        hint="check the item number on the evidence page, or add it with `vigilant evidence add`",
    )
    if item is None:
        raise missing
    agency = agency_of(actor)
    owner = item_owner(s, item)
    if owner == agency:
        return
    linked = select(SeizedDeviceRow.id).where(SeizedDeviceRow.evidence_item_id == item_id)
    if owner is None and item.case_number is None and s.scalars(linked).first() is None:
        _claim(s, actor, item, agency)
        return
    visible = select(EvidenceItemRow.id).where(EvidenceItemRow.id == item_id, item_visible(actor))
    if owner is not None and s.scalars(visible).first() is not None:
        raise InvalidRecordError(
            f"evidence item {item_id} belongs to another agency: linking it to your case needs its consent",
            hint="record the device without it, then ask the owner: the case page's 'Ask to link' form, or "
            "`vigilant cases links request CASE DEVICE ITEM --reason …`",
        )
    raise missing


def _claim(s: Session, actor: Actor, item: EvidenceItemRow, agency: int) -> None:
    """The first case to seize an item registered with no case number makes its agency the owner: said in
    the item's chain of custody."""
    item.agency_id = agency
    short = s.get(AgencyRow, agency)
    s.add(
        CustodyEventRow(
            evidence_id=item.id,
            at=utcnow(),
            actor=actor_name(actor),
            action="agency-recorded",
            detail={
                "case_number": None,
                "agency": short.short_name if short is not None else str(agency),
                "was": None,
                "note": "the first case to record the item as a seized device is its agency's",
            },
        )
    )


def record_arrest(
    db: Database,
    actor: Actor,
    case_id: int,
    person_id: int,
    *,
    arrested_at: datetime,
    where: str | None,
    by: str,
) -> ArrestRow:
    require(actor, LEGAL_WRITE)
    with db.session() as s:
        case = load_case(s, actor, case_id, write=True)
        _require_named(s, case_id, person_id)
        row = ArrestRow(
            case_id=case_id,
            person_id=person_id,
            arrested_at=arrested_at,
            arrested_where=where,
            arrested_by=by,
        )
        add_audited(s, actor, row, object_type="arrest", case_ref=case.number)
    return row


def _require_named(s: Session, case_id: int, person_id: int) -> None:
    query = select(CasePersonRow.id).where(
        CasePersonRow.case_id == case_id, CasePersonRow.person_id == person_id
    )
    if s.scalars(query).first() is None:
        raise RecordNotFoundError(
            f"person {person_id} is not named in case {case_id}", hint="add the person to the case first"
        )


def lay_charge(
    db: Database,
    actor: Actor,
    case_id: int,
    person_id: int,
    *,
    offence_code: str,
    offence_from: date,
    offence_to: date | None = None,
    laid_on: date,
) -> ChargeRow:
    """Lay one count; the person becomes 'accused' in the case. Offence dates decide youth under the YCJA."""
    require(actor, LEGAL_WRITE)
    code = offence(offence_code).code
    if offence_to is not None and offence_to < offence_from:
        raise InvalidRecordError("the offence period ends before it starts", hint="check the offence dates")
    if laid_on < offence_from:
        raise InvalidRecordError("a charge is laid after the offence", hint="check --laid-on")
    with db.session() as s:
        case = load_case(s, actor, case_id, write=True)
        _require_named(s, case_id, person_id)
        query = select(CasePersonRow.id).where(
            CasePersonRow.case_id == case_id,
            CasePersonRow.person_id == person_id,
            CasePersonRow.role == PersonRole.ACCUSED.value,
        )
        if s.scalars(query).first() is None:
            s.add(CasePersonRow(case_id=case_id, person_id=person_id, role=PersonRole.ACCUSED.value))
        row = ChargeRow(
            case_id=case_id,
            person_id=person_id,
            offence_code=code,
            offence_from=offence_from,
            offence_to=offence_to,
            laid_on=laid_on,
            laid_by=actor_name(actor),
        )
        add_audited(s, actor, row, object_type="charge", case_ref=case.number)
    return row
