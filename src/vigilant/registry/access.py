"""Who may touch the registry, and the audit of every read and change of a registrant.

The registry is police-wide, as the national one is: any holder of ``registry.read`` reads any registrant,
and every read is audited. An investigator (``registry.query``) looks a registrant up only with a stated
purpose, written into the audit event. Alerts belong to the registrant's registry office: only that agency's
officers see and work them (:mod:`vigilant.registry.alerts`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigilant.registry.statuses import forget
from vigilant.security.audit import AuditEvent, RecordChanged, RecordRead, append
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import Actor, Permission, require
from vigilant.store.models import utcnow

MIN_PURPOSE = 5  # characters: "case 24-113", not "x"


def record(session: Session, event: AuditEvent) -> None:
    """Append ``event`` in the session's transaction: the access and its record commit together."""
    append(session, event, now=utcnow())


def require_reader(actor: Actor, purpose: str | None) -> str | None:
    """Let a registry reader through, or an investigator who says why; the purpose, cleaned, for the audit
    event. A registry officer may give one too (it is recorded)."""
    reason = (purpose or "").strip() or None
    if actor.may(Permission.REGISTRY_READ):
        return reason
    if actor.may(Permission.REGISTRY_QUERY):
        if reason is None or len(reason) < MIN_PURPOSE:
            # Refused as a permission (web 403, CLI exit 7): without a purpose the role grants nothing here.
            raise PermissionDenied(
                actor.username,
                str(Permission.REGISTRY_QUERY),
                message="a registry look-up by an investigator needs its purpose",
                hint='say why, e.g. --purpose "case 24-113: suspect identification"',
            )
        return reason
    require(actor, Permission.REGISTRY_READ)  # raises PermissionDenied, naming the permission
    return None


def read_registrant(session: Session, actor: Actor, registrant_id: int, purpose: str | None) -> None:
    record(
        session,
        RecordRead.by(
            actor,
            object_type="registrant",
            object_id=str(registrant_id),
            query=f"purpose: {purpose}" if purpose else None,
        ),
    )


def registrant_changed(
    actor: Actor, registrant_id: int, change: str, fields: tuple[str, ...] = ()
) -> RecordChanged:
    """The audit event of a change to a registrant (a bulk import appends many at once)."""
    return RecordChanged.by(
        actor, object_type="registrant", object_id=str(registrant_id), change=change, fields_changed=fields
    )


def changed_registrant(
    session: Session, actor: Actor, registrant_id: int, change: str, fields: tuple[str, ...] = ()
) -> None:
    """Audit a change to a registrant, and drop what the last sweep said of them: a status read after this
    is computed from the changed facts (see :mod:`vigilant.registry.statuses`)."""
    record(session, registrant_changed(actor, registrant_id, change, fields))
    forget(session, [registrant_id])  # after the append: see vigilant.registry.statuses.hold_changes
