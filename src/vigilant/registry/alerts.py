"""Alerts in a registry office's queue: raised, assigned, closed with an outcome (a warrant request, as
Bill S-12 allows for non-compliers, among them).

An alert belongs to the registrant's registry office (an agency): only that agency's registry officers see
and work it. :func:`raise_alert` is how other parts (the cross-checks) put one in a queue,
:func:`raise_alerts` the bulk form the sweep uses for a batch of registrants (one read and one insert instead
of a read per alert);
the same (registrant, kind, key) twice is one alert, whatever the first one's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from vigilant.cases.models import PersonRow
from vigilant.registry.access import record
from vigilant.registry.errors import RegistrantNotFound, RegistryError
from vigilant.registry.models import AlertOutcome, AlertStatus, RegistrantRow, RegistryAlertRow
from vigilant.registry.rules import RuleSet
from vigilant.registry.statuses import chunks, last_sweep_day, statuses
from vigilant.security.audit import RecordChanged, RecordRead
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import utcnow

NON_COMPLIANCE = "non_compliance"


def raise_alert(
    s: Session,
    *,
    registrant_id: int,
    office_agency_id: int,
    kind: str,
    key: str,
    raised_on: date,
    rule: str | None = None,
    due_on: date | None = None,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Put an alert in the office's queue unless the same one is there already; True when it is new."""
    held = s.scalars(
        select(RegistryAlertRow.id).where(
            RegistryAlertRow.registrant_id == registrant_id,
            RegistryAlertRow.kind == kind,
            RegistryAlertRow.key == key,
        )
    ).first()
    if held is not None:
        return False
    alert = RegistryAlertRow(
        registrant_id=registrant_id, office_agency_id=office_agency_id, kind=kind, key=key, rule=rule,
        due_on=due_on, raised_on=raised_on, raised_at=utcnow(), status=AlertStatus.OPEN.value, detail=detail,
    )  # fmt: skip
    s.add(alert)
    return True


@dataclass(frozen=True)
class NewAlert:
    """An alert to raise: what :func:`raise_alert` takes, as a record for :func:`raise_alerts`."""

    registrant_id: int
    office_agency_id: int
    kind: str
    key: str
    raised_on: date
    rule: str | None = None
    due_on: date | None = None
    detail: dict[str, Any] | None = None


def raise_alerts(s: Session, alerts: Sequence[NewAlert]) -> int:
    """Put each alert in its office's queue unless the same one is there already (or earlier in ``alerts``):
    what :func:`raise_alert` does for each in turn, with one read of the held alerts per chunk of registrants
    and one bulk insert. The number of new alerts."""
    kinds = sorted({a.kind for a in alerts})
    held: set[tuple[int, str, str]] = set()
    for chunk in chunks(sorted({a.registrant_id for a in alerts})):
        found = s.execute(
            select(RegistryAlertRow.registrant_id, RegistryAlertRow.kind, RegistryAlertRow.key).where(
                RegistryAlertRow.registrant_id.in_(chunk), RegistryAlertRow.kind.in_(kinds)
            )
        )
        held.update((rid, kind, key) for rid, kind, key in found)
    now, rows = utcnow(), []
    for a in alerts:
        if (a.registrant_id, a.kind, a.key) in held:
            continue
        held.add((a.registrant_id, a.kind, a.key))
        rows.append(_values(a, now))
    if rows:
        # The table's Core insert, not the ORM's: the ORM splits a bulk insert wherever consecutive rows
        # differ in which values are None (one statement per few alerts); Core sends one executemany.
        s.execute(insert(cast(Table, RegistryAlertRow.__table__)), rows)
    return len(rows)


def _values(a: NewAlert, now: datetime) -> dict[str, object]:
    return {
        "registrant_id": a.registrant_id, "office_agency_id": a.office_agency_id, "kind": a.kind,
        "key": a.key, "rule": a.rule, "due_on": a.due_on, "raised_on": a.raised_on, "raised_at": now,
        "status": AlertStatus.OPEN.value, "detail": a.detail,
    }  # fmt: skip


@dataclass(frozen=True)
class AlertView:
    id: int
    registry_number: str
    name: str
    kind: str
    key: str
    rule: str | None
    due_on: date | None
    raised_on: date
    status: str
    assigned_to: str | None
    outcome: str | None
    warrant_reference: str | None
    registrant_status: str | None = None  # the registrant's compliance now, as of ``status_as_of``
    status_as_of: date | None = None  # the last sweep's day (what changed since recomputed), else today


def _office(actor: Actor) -> int | None:
    """The actor's agency; None for the server's own CLI acting for no agency (it sees every queue)."""
    if actor.agency_id is None and actor.user_id is None:
        return None
    if actor.agency_id is None:
        raise RegistryError("the alert queue belongs to a registry office", hint="act for an agency")
    return actor.agency_id


def queue(
    db: Database,
    actor: Actor,
    *,
    status: AlertStatus | None = None,
    rules: RuleSet | None = None,
    today: date | None = None,
) -> list[AlertView]:
    """The alerts of the actor's registry office, open ones first, oldest first. With ``rules``, each
    alert carries its registrant's status as of the last sweep (read from the sweep's statuses, a registrant
    changed since computed on the spot), or as of ``today`` before any sweep: an alert whose registrant has
    since complied shows it."""
    require(actor, Permission.REGISTRY_READ)
    office = _office(actor)
    query = (
        select(RegistryAlertRow, RegistrantRow.registry_number, PersonRow)
        .join(RegistrantRow, RegistrantRow.id == RegistryAlertRow.registrant_id)
        .join(PersonRow, PersonRow.id == RegistrantRow.person_id)
        .order_by(RegistryAlertRow.raised_on, RegistryAlertRow.id)
    )
    if office is not None:
        query = query.where(RegistryAlertRow.office_agency_id == office)
    if status is not None:
        query = query.where(RegistryAlertRow.status == status.value)
    with db.session() as s:
        rows = s.execute(query).all()
        found = [
            AlertView(
                a.id,
                number,
                person.full_name,
                a.kind,
                a.key,
                a.rule,
                a.due_on,
                a.raised_on,
                a.status,
                a.assigned_to,
                a.outcome,
                a.warrant_reference,
            )
            for a, number, person in rows
        ]
        if rules is not None and found:
            of_alert = {a.id: a.registrant_id for a, _, _ in rows}
            found = _with_statuses(s, found, of_alert, rules, today or date.today())
        record(s, RecordRead.by(actor, object_type="registry_alert", query="queue", records=len(found)))
    order = {AlertStatus.OPEN.value: 0, AlertStatus.ASSIGNED.value: 1, AlertStatus.CLOSED.value: 2}
    return sorted(found, key=lambda a: order.get(a.status, 3))


def _with_statuses(
    s: Session, found: list[AlertView], of_alert: dict[int, int], rules: RuleSet, today: date
) -> list[AlertView]:
    day = last_sweep_day(s, rules) or today
    known = statuses(s, rules, day, sorted(set(of_alert.values()))).by_registrant
    return [replace(a, registrant_status=known[of_alert[a.id]].status.value, status_as_of=day) for a in found]


def _own_alert(s: Session, actor: Actor, alert_id: int) -> RegistryAlertRow:
    alert = s.get(RegistryAlertRow, alert_id)
    office = _office(actor)
    if alert is None or (office is not None and alert.office_agency_id != office):
        raise RegistrantNotFound(f"no alert {alert_id} in your office's queue", hint="see the alert queue")
    return alert


def _changed(s: Session, actor: Actor, alert: RegistryAlertRow, fields: tuple[str, ...]) -> None:
    record(s, RecordChanged.by(actor, object_type="registry_alert", object_id=str(alert.id), change="update",
                               fields_changed=fields))  # fmt: skip


def assign(db: Database, actor: Actor, alert_id: int, *, to: str) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    if not to.strip():
        raise RegistryError("say who the alert is assigned to")
    with db.session() as s:
        alert = _own_alert(s, actor, alert_id)
        if alert.status == AlertStatus.CLOSED.value:
            raise RegistryError(f"alert {alert_id} is closed", hint="closed alerts are kept as they are")
        alert.status, alert.assigned_to, alert.assigned_at = AlertStatus.ASSIGNED.value, to.strip(), utcnow()
        _changed(s, actor, alert, ("status", "assigned_to"))


def close(
    db: Database,
    actor: Actor,
    alert_id: int,
    *,
    outcome: AlertOutcome,
    notes: str | None = None,
    warrant_reference: str | None = None,
) -> None:
    """Close an alert with its outcome; a warrant request names the warrant (or its request) reference."""
    require(actor, Permission.REGISTRY_WRITE)
    reference = (warrant_reference or "").strip() or None
    if outcome is AlertOutcome.WARRANT_REQUESTED and reference is None:
        raise RegistryError("a warrant request needs its reference", hint="give --warrant REF")
    with db.session() as s:
        alert = _own_alert(s, actor, alert_id)
        if alert.status == AlertStatus.CLOSED.value:
            raise RegistryError(f"alert {alert_id} is already closed ({alert.outcome})")
        alert.status, alert.outcome, alert.outcome_notes = (
            AlertStatus.CLOSED.value,
            outcome.value,
            notes or None,
        )
        alert.warrant_reference, alert.closed_by, alert.closed_at = reference, actor.username, utcnow()
        _changed(s, actor, alert, ("status", "outcome", "warrant_reference"))
