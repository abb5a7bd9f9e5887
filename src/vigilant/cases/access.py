"""Who sees which case: the permissions this domain asks for, and the visibility rule in SQL.

A case is visible to its own agency; to agencies participating in its operation when its distribution is
``operation``; to the agencies of its sharing group when ``sharing_group``; to every agency when
``all_agencies`` (MISP's levels). Every record that hangs off a case inherits the rule through ``case_id``.

The caller and the check are the platform's one :class:`~vigilant.security.rights.Actor` and
:func:`~vigilant.security.rights.require`; a refusal is :class:`~vigilant.security.errors.PermissionDenied`.
The server's own CLI acting for no agency (:attr:`~vigilant.security.rights.Actor.sees_all`) sees every case
and item: it holds the database anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, distinct, exists, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from vigilant.cases.models import (
    CaseRow,
    Distribution,
    OperationAgencyRow,
    SeizedDeviceRow,
    SeizureRow,
    SharingGroupAgencyRow,
)
from vigilant.evidence.models import EvidenceItemRow
from vigilant.security.audit import AuditEvent, RecordChanged, append
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import Actor, Permission, require
from vigilant.store.models import utcnow

# Actor and require are the platform's own (vigilant.security.rights), named here too for modules that take
# their access rules from this one place (vigilant.links does): the same objects, not a second path.
__all__ = [
    "AGENCIES_MANAGE",
    "LEGAL_READ",
    "LEGAL_WRITE",
    "OPERATIONS_MANAGE",
    "OPERATIONS_READ",
    "PERSONS_READ",
    "PERSONS_WRITE",
    "READ",
    "RELEASE_PREVIEW",
    "RELEASE_PUBLISH",
    "WRITE",
    "Actor",
    "actor_name",
    "add_audited",
    "agency_of",
    "audit",
    "case_visible",
    "item_numbered_in_visible_case",
    "item_owned_by",
    "item_owner",
    "item_visible",
    "require",
    "shared_case_numbers",
    "visible_case_ids",
]

READ = Permission.CASES_READ
WRITE = Permission.CASES_WRITE
OPERATIONS_READ = Permission.OPERATIONS_READ
OPERATIONS_MANAGE = Permission.OPERATIONS_MANAGE
AGENCIES_MANAGE = Permission.AGENCIES_MANAGE
RELEASE_PREVIEW = Permission.RELEASE_PREVIEW
RELEASE_PUBLISH = Permission.RELEASE_PUBLISH  # clears release flags (vigilant.cases.release.clear_flag)
PERSONS_READ = Permission.PERSONS_READ
PERSONS_WRITE = Permission.PERSONS_WRITE
LEGAL_READ = Permission.LEGAL_READ  # legal process, seizures, arrests and charges
LEGAL_WRITE = Permission.LEGAL_WRITE


def actor_name(actor: Actor) -> str:
    """A name to record as author: the user id when the actor has one (names change, ids do not)."""
    return str(actor.user_id) if actor.user_id is not None else actor.username


def agency_of(actor: Actor) -> int:
    if actor.agency_id is None:
        raise PermissionDenied(
            actor.username,
            "act for an agency",
            message="this action needs a caller who belongs to an agency",
            hint="sign in as a user of an agency (or pass --agency on the command line)",
        )
    return actor.agency_id


def case_visible(actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause that keeps only the cases ``actor`` may see; use it in every query on cases. The
    server's own CLI acting for no agency sees every case (:attr:`Actor.sees_all`)."""
    if actor.sees_all:
        return true()
    agency = agency_of(actor)
    my_operations = select(OperationAgencyRow.operation_id).where(OperationAgencyRow.agency_id == agency)
    my_groups = select(SharingGroupAgencyRow.sharing_group_id).where(
        SharingGroupAgencyRow.agency_id == agency
    )
    return or_(
        CaseRow.agency_id == agency,
        CaseRow.distribution == Distribution.ALL_AGENCIES.value,
        and_(
            CaseRow.distribution == Distribution.OPERATION.value,
            CaseRow.operation_id.in_(my_operations),
        ),
        and_(
            CaseRow.distribution == Distribution.SHARING_GROUP.value,
            CaseRow.sharing_group_id.in_(my_groups),
        ),
    )


def visible_case_ids(actor: Actor) -> Select[int]:
    return select(CaseRow.id).where(case_visible(actor))


def shared_case_numbers() -> Select[str]:
    """Case numbers that cases of more than one agency carry (numbers are unique per agency only)."""
    return select(CaseRow.number).group_by(CaseRow.number).having(func.count(distinct(CaseRow.agency_id)) > 1)


def item_numbered_in_visible_case(actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause on evidence items whose case number names a case ``actor`` may see.

    Case numbers are unique per agency only: an item that records its agency is named by that agency's
    case alone; an item that does not (added without one) is named by its number only while a single
    agency has a case with that number, so another agency's same number never makes it visible."""
    return exists(
        select(CaseRow.id).where(
            case_visible(actor),
            CaseRow.number == EvidenceItemRow.case_number,
            or_(
                CaseRow.agency_id == EvidenceItemRow.agency_id,
                and_(EvidenceItemRow.agency_id.is_(None), CaseRow.number.not_in(shared_case_numbers())),
            ),
        )
    )


def item_owned_by(agency: ColumnElement[int] | InstrumentedAttribute[int] | int) -> ColumnElement[bool]:
    """The WHERE clause on evidence items that ``agency`` owns: the agency the item records (whose case
    number it carries, or, for an item registered with no number, whose case seized it first), or, for an
    item that records none, the one agency with a case of the item's number. Only the owner decides who
    else may link the item to a case (:mod:`vigilant.cases.evidence_links`)."""
    owner_case = aliased(CaseRow, name="owner_case")
    return or_(
        EvidenceItemRow.agency_id == agency,
        and_(
            EvidenceItemRow.agency_id.is_(None),
            EvidenceItemRow.case_number.not_in(shared_case_numbers()),
            exists(
                select(owner_case.id).where(
                    owner_case.number == EvidenceItemRow.case_number, owner_case.agency_id == agency
                )
            ),
        ),
    )


def item_owner(session: Session, item: EvidenceItemRow) -> int | None:
    """The agency that owns ``item`` (see :func:`item_owned_by`); None while no one does: an item with no
    case number that no case seized yet, or one whose number cases of several agencies carry and whose
    agency the lab has not recorded."""
    if item.agency_id is not None:
        return item.agency_id
    if item.case_number is None:
        return None
    agencies = set(session.scalars(select(CaseRow.agency_id).where(CaseRow.number == item.case_number)))
    return agencies.pop() if len(agencies) == 1 else None


def item_visible(actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause on evidence items ``actor`` may see: through a visible case of the item's owner,
    by its case number or as a device that case seized. Visibility follows the owner's cases as they are
    now, at every read: a link from another agency's case (with the owner's consent, or from before
    consent was asked) shows nothing the owner's distribution does not, so restricting the owner's case
    removes access at once."""
    if actor.sees_all:  # the server's CLI: every item, those no case names yet included
        return true()
    seizing = aliased(CaseRow, name="seizing_case")
    seized_by_owner = (
        select(SeizedDeviceRow.id)
        .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
        .join(seizing, seizing.id == SeizureRow.case_id)
        .where(
            SeizedDeviceRow.evidence_item_id == EvidenceItemRow.id,
            seizing.id.in_(visible_case_ids(actor)),
            item_owned_by(seizing.agency_id),
        )
    )
    return or_(exists(seized_by_owner), item_numbered_in_visible_case(actor))


def audit(session: Session, actor: Actor, event: type[AuditEvent], **fields: Any) -> None:
    """Write an audit event for ``actor`` in the session's transaction: the access and its record commit
    together or not at all."""
    append(
        session,
        event(actor=actor_name(actor), actor_id=actor.user_id, source=actor.source, **fields),
        now=utcnow(),
    )


def add_audited(session: Session, actor: Actor, row: Any, *, object_type: str, case_ref: str) -> None:
    """Store a new record and write its 'created' audit event in the same transaction (the event names the
    record's id, so the row is flushed first to have one)."""
    session.add(row)
    session.flush()
    audit(session, actor, RecordChanged, change="create", object_type=object_type, object_id=str(row.id),
          case_ref=case_ref)  # fmt: skip
