"""Who sees which case: the caller, the permissions this domain asks for, and the visibility rule in SQL.

A case is visible to its own agency; to agencies participating in its operation when its distribution is
``operation``; to the agencies of its sharing group when ``sharing_group``; to every agency when
``all_agencies`` (MISP's levels). Every record that hangs off a case inherits the rule through ``case_id``.

Until :mod:`vigilant.security` is wired in, :func:`require` checks the role table below, which uses the same
permission names as ``vigilant.security.rights``; switching is a one-line change in :func:`require`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, distinct, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from vigilant.cases.errors import PermissionDeniedError
from vigilant.cases.models import (
    CaseRow,
    Distribution,
    OperationAgencyRow,
    SeizedDeviceRow,
    SeizureRow,
    SharingGroupAgencyRow,
)
from vigilant.security.audit import AuditEvent, RecordChanged, append
from vigilant.security.rights import Permission, Role, permissions_of
from vigilant.store.models import EvidenceItemRow, utcnow


class Actor(Protocol):
    """The caller as this domain needs it; ``vigilant.security``'s Actor satisfies it."""

    @property
    def agency_id(self) -> int | None: ...

    @property
    def roles(self) -> Collection[str]: ...


@dataclass(frozen=True)
class LocalActor:
    """A caller built by a face without login yet (the CLI): an agency, roles, and a name for the record."""

    agency_id: int | None
    roles: frozenset[str] = field(default_factory=frozenset)
    name: str = "local"


READ = "cases.read"
WRITE = "cases.write"
OPERATIONS_READ = "operations.read"
OPERATIONS_MANAGE = "operations.manage"
AGENCIES_MANAGE = "agencies.manage"
RELEASE_PREVIEW = "release.preview"
RELEASE_PUBLISH = "release.publish"  # clears release flags (vigilant.cases.release.clear_flag)
PERSONS_READ = "persons.read"
PERSONS_WRITE = "persons.write"
LEGAL_READ = "legal.read"  # legal process, seizures, arrests and charges
LEGAL_WRITE = "legal.write"

_ROLE_NAMES = {r.value for r in Role}


def actor_name(actor: Actor) -> str:
    """A name to record as author: the user id when the actor has one."""
    for attribute in ("user_id", "username", "name"):
        value = getattr(actor, attribute, None)
        if value is not None:
            return str(value)
    return f"agency:{actor.agency_id}"


def require(actor: Actor, permission: str) -> None:
    # One permission table for the whole platform (vigilant.security.rights, documented in docs/security.md).
    roles = [Role(r) for r in actor.roles if r in _ROLE_NAMES]
    if Permission(permission) in permissions_of(roles):
        return
    raise PermissionDeniedError(
        f"your roles ({', '.join(sorted(actor.roles)) or 'none'}) do not allow {permission}",
        hint="ask an administrator of your agency for a role that grants it",
    )


def allows(actor: Actor, permission: str) -> bool:
    """Whether :func:`require` would let ``actor`` through: pages use it to leave out what a role may not
    read instead of refusing the whole page."""
    roles = [Role(r) for r in actor.roles if r in _ROLE_NAMES]
    return Permission(permission) in permissions_of(roles)


def agency_of(actor: Actor) -> int:
    if actor.agency_id is None:
        raise PermissionDeniedError(
            "this action needs a caller who belongs to an agency",
            hint="sign in as a user of an agency (or pass --agency on the command line)",
        )
    return actor.agency_id


def case_visible(actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause that keeps only the cases ``actor`` may see; use it in every query on cases."""
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
        event(
            actor=actor_name(actor),
            actor_id=getattr(actor, "user_id", None),
            source=getattr(actor, "source", None),
            **fields,
        ),
        now=utcnow(),
    )


def add_audited(session: Session, actor: Actor, row: Any, *, object_type: str, case_ref: str) -> None:
    """Store a new record and write its 'created' audit event in the same transaction (the event names the
    record's id, so the row is flushed first to have one)."""
    session.add(row)
    session.flush()
    audit(session, actor, RecordChanged, change="create", object_type=object_type, object_id=str(row.id),
          case_ref=case_ref)  # fmt: skip
