"""Reading the registry: one registrant with their compliance and history, who is due, counts per area.

Every read goes through :func:`vigilant.registry.access.require_reader` and writes an audit event in the
same transaction; the compliance shown is computed as of the day asked, from the installation's rule set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.models import AgencyRow, PersonRow
from vigilant.registry.access import read_registrant, record, require_reader
from vigilant.registry.compliance import Compliance, Status
from vigilant.registry.errors import RegistrantNotFound
from vigilant.registry.exporter import records
from vigilant.registry.models import (
    AddressKind,
    AddressVerificationRow,
    RegistrantAddressRow,
    RegistrantReportRow,
    RegistrantRow,
    RegistryAlertRow,
)
from vigilant.registry.records import RegistrantIn
from vigilant.registry.rules import RuleSet
from vigilant.registry.statuses import computed, last_sweep_day, statuses, swept_day
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Actor
from vigilant.store import Database

UNKNOWN_AREA = "(no main residence)"


@dataclass(frozen=True)
class Summary:
    id: int
    registry_number: str
    name: str
    date_of_birth: date | None
    office: str
    area: str  # the municipality of the current main residence
    compliance: Compliance


@dataclass(frozen=True)
class AddressView:
    id: int
    kind: str
    line: str
    municipality: str | None
    organisation: str | None
    work_type: str | None
    valid_from: date
    valid_to: date | None
    reported_on: date | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Event:
    """One line of a registrant's timeline."""

    day: date
    kind: str  # address | report | verification | order | alert
    text: str


@dataclass(frozen=True)
class RegistrantView:
    summary: Summary
    record: RegistrantIn
    addresses: tuple[AddressView, ...]
    timeline: tuple[Event, ...]  # newest first


def find_id(s: Session, ref: str | int) -> int:
    """A registrant's id from its id or registry number."""
    query = select(RegistrantRow.id)
    text = str(ref).strip()
    found = s.scalars(query.where(RegistrantRow.registry_number == text)).first()
    if found is None and text.isdigit() and len(text) < 10:
        found = s.scalars(query.where(RegistrantRow.id == int(text))).first()
    if found is None:
        raise RegistrantNotFound(f"no registrant {text!r}", hint="give a registry number or a registrant id")
    return found


def _current_areas(s: Session, ids: Collection[int], as_of: date) -> dict[int, str]:
    rows = s.execute(
        select(RegistrantAddressRow.registrant_id, RegistrantAddressRow.municipality)
        .where(
            RegistrantAddressRow.registrant_id.in_(ids),
            RegistrantAddressRow.kind == AddressKind.MAIN.value,
            RegistrantAddressRow.valid_from <= as_of,
            (RegistrantAddressRow.valid_to.is_(None)) | (RegistrantAddressRow.valid_to > as_of),
        )
        .order_by(RegistrantAddressRow.valid_from)
    )
    return {rid: municipality or UNKNOWN_AREA for rid, municipality in rows}


def summaries(
    s: Session, rules: RuleSet, as_of: date, ids: Sequence[int] | None = None, *, from_sweep: bool = True
) -> list[Summary]:
    """Every registrant (or those of ``ids``) with their compliance as of ``as_of``, by registry number: read
    from the sweep of that day where there is one (those changed since computed on the spot), else computed.
    ``from_sweep=False`` computes every obligation (a registrant's page lists them)."""
    query = (
        select(RegistrantRow.id, RegistrantRow.registry_number, PersonRow, AgencyRow.short_name)
        .join(PersonRow, PersonRow.id == RegistrantRow.person_id)
        .join(AgencyRow, AgencyRow.id == RegistrantRow.office_agency_id)
        .order_by(RegistrantRow.registry_number)
    )
    if ids is not None:
        query = query.where(RegistrantRow.id.in_(ids))
    rows = s.execute(query).all()
    found_ids = [r[0] for r in rows]
    known = (
        statuses(s, rules, as_of, None if ids is None else found_ids).by_registrant
        if from_sweep
        else computed(s, rules, as_of, found_ids)
    )
    areas = _current_areas(s, found_ids, as_of)
    return [
        Summary(
            rid,
            number,
            person.full_name,
            person.date_of_birth,
            office,
            areas.get(rid, UNKNOWN_AREA),
            known[rid],
        )
        for rid, number, person, office in rows
    ]


@dataclass(frozen=True)
class Basis:
    """The day a listing is judged on, and what it says about it ("as of the sweep of 2026-12-07")."""

    as_of: date
    swept: bool

    @property
    def label(self) -> str:
        return f"as of the sweep of {self.as_of}" if self.swept else f"computed as of {self.as_of}"


def basis(db: Database, *, rules: RuleSet, as_of: date | None, today: date) -> Basis:
    """The day to judge on: the one asked for, else the last finished sweep's, else ``today``; swept when a
    finished sweep covers it (the listing then reads the sweep's statuses)."""
    with db.session() as s:
        day = as_of or last_sweep_day(s, rules) or today
        return Basis(day, swept_day(s, rules, day))


def _timeline(s: Session, rid: int, view: RegistrantIn, addresses: Sequence[AddressView]) -> list[Event]:
    events = [
        Event(
            a.valid_from,
            "address",
            f"{a.kind}: {a.line}" + (f" ({a.organisation})" if a.organisation else ""),
        )
        for a in addresses
    ]
    events += [Event(a.valid_to, "address", f"{a.kind} ended: {a.line}") for a in addresses if a.valid_to]
    events += [Event(o.starts_on, "order", f"{o.regime.value} order, {o.term.value}") for o in view.orders]
    for report in s.scalars(select(RegistrantReportRow).where(RegistrantReportRow.registrant_id == rid)):
        events.append(
            Event(report.reported_on, "report", f"{report.kind} report ({report.outcome}), {report.officer}")
        )
    for check in s.scalars(select(AddressVerificationRow).where(AddressVerificationRow.registrant_id == rid)):
        events.append(Event(check.verified_on, "verification", f"address {check.outcome}, {check.officer}"))
    for alert in s.scalars(select(RegistryAlertRow).where(RegistryAlertRow.registrant_id == rid)):
        events.append(Event(alert.raised_on, "alert", f"{alert.kind} {alert.key}: {alert.status}"))
    return sorted(events, key=lambda e: (e.day, e.kind), reverse=True)


def show(
    db: Database, actor: Actor, ref: str | int, *, rules: RuleSet, as_of: date, purpose: str | None = None
) -> RegistrantView:
    """One registrant: the record, compliance as of ``as_of``, addresses and the timeline. Audited."""
    reason = require_reader(actor, purpose)
    with db.session() as s:
        rid = find_id(s, ref)
        summary = summaries(s, rules, as_of, [rid], from_sweep=False)[0]
        view = next(records(s, [rid]))
        addresses = tuple(
            AddressView(
                a.id,
                a.kind,
                a.line,
                a.municipality,
                a.organisation,
                a.work_type,
                a.valid_from,
                a.valid_to,
                a.reported_on,
                a.latitude,
                a.longitude,
            )
            for a in s.scalars(
                select(RegistrantAddressRow)
                .where(RegistrantAddressRow.registrant_id == rid)
                .order_by(RegistrantAddressRow.valid_from, RegistrantAddressRow.id)
            )
        )
        timeline = tuple(_timeline(s, rid, view, addresses))
        read_registrant(s, actor, rid, reason)
    return RegistrantView(summary, view, addresses, timeline)


DUE = (Status.DUE_SOON, Status.NON_COMPLIANT)


def due(
    db: Database,
    actor: Actor,
    *,
    rules: RuleSet,
    as_of: date,
    statuses: Collection[Status] = DUE,
    office: str | None = None,
    purpose: str | None = None,
) -> list[Summary]:
    """Registrants whose status as of ``as_of`` is one of ``statuses`` (due soon or non-compliant by
    default), soonest due first; optionally of one registry office. One audit event for the listing."""
    reason = require_reader(actor, purpose)
    with db.session() as s:
        found = [
            x
            for x in summaries(s, rules, as_of)
            if x.compliance.status in statuses
            and (office is None or x.office.casefold() == office.casefold())
        ]
        query = f"due as of {as_of.isoformat()}: {', '.join(sorted(statuses))}"
        record(
            s,
            RecordRead.by(
                actor, object_type="registrant", query=query + (f"; purpose: {reason}" if reason else ""),
                records=len(found),
            ),
        )  # fmt: skip
    return sorted(found, key=lambda x: (x.compliance.next_due or date.max, x.registry_number))


@dataclass(frozen=True)
class AreaCount:
    area: str
    office: str
    counts: dict[str, int]  # status -> registrants

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _areas(everyone: Sequence[Summary]) -> list[AreaCount]:
    tally: dict[tuple[str, str], Counter[str]] = {}
    for x in everyone:
        tally.setdefault((x.area, x.office), Counter())[x.compliance.status.value] += 1
    rows = [
        AreaCount(area, office, {st.value: c.get(st.value, 0) for st in Status})
        for (area, office), c in tally.items()
    ]
    return sorted(rows, key=lambda r: (-r.counts[Status.NON_COMPLIANT.value], r.area, r.office))


def _due_of(everyone: Sequence[Summary]) -> list[Summary]:
    found = [x for x in everyone if x.compliance.status in DUE]
    return sorted(found, key=lambda x: (x.compliance.next_due or date.max, x.registry_number))


def dashboard(db: Database, actor: Actor, *, rules: RuleSet, as_of: date) -> list[AreaCount]:
    """Registrants per area (municipality of the main residence) and status, non-compliant first: what
    Ontario's officers see at sign-in. Counts only; audited as one read."""
    require_reader(actor, None)
    with db.session() as s:
        everyone = summaries(s, rules, as_of)
        record(s, RecordRead.by(actor, object_type="registry_dashboard", query=f"as of {as_of.isoformat()}",
                                records=len(everyone)))  # fmt: skip
    return _areas(everyone)


def overview(
    db: Database, actor: Actor, *, rules: RuleSet, as_of: date
) -> tuple[list[AreaCount], list[Summary]]:
    """The dashboard's counts per area and the due list (:func:`due`'s default) from one computation of
    every registrant's compliance: the dashboard page needs both, and computing them apart doubled its
    cost. Audited as the two reads they are."""
    require_reader(actor, None)
    with db.session() as s:
        everyone = summaries(s, rules, as_of)
        found = _due_of(everyone)
        day = as_of.isoformat()
        record(s, RecordRead.by(actor, object_type="registry_dashboard", query=f"as of {day}",
                                records=len(everyone)))  # fmt: skip
        query = f"due as of {day}: {', '.join(sorted(DUE))}"
        record(s, RecordRead.by(actor, object_type="registrant", query=query, records=len(found)))
    return _areas(everyone), found
