"""Cross-checks between the registry and the rest of the platform, both ways, each with a recorded purpose.

Investigations → registry: the persons of a case (a lead's subscriber once recorded as a person, suspects,
accused…) by surname + first given name + date of birth, against registrants' names and aliases (see
:mod:`vigilant.registry.crosscheck_names`); the user names and e-mail addresses recorded in a case (those of
its seized devices among them) against registrants' digital identifiers, ignoring case, a leading "@" and
values too common to mean anything; places given with the check (an address's coordinates) within 30 m of a
registrant's current main or secondary residence.

Registry → facilities: every current employment and volunteer address within 50 m of a facility with
children, or whose organisation bears a facility's name (the daycare case).

A match is recorded once (registrant, kind, subject), raises an alert in the registrant's registry office's
queue, and is listed per case and per person for those who may see that case. Every run is a
``registry_crosscheck`` row and an audit event with its purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import visible_case_ids
from vigilant.cases.models import CasePersonRow, CaseRow, IdentifierLinkRow, IdentifierRow, PersonRow
from vigilant.registry.access import record, require_reader
from vigilant.registry.alerts import raise_alert
from vigilant.registry.crosscheck_names import COMMON_IDENTIFIERS, fold, name_key
from vigilant.registry.errors import PurposeRequired, RegistrantNotFound
from vigilant.registry.geo import check_point
from vigilant.registry.models import (
    AddressKind,
    RegistrantAddressRow,
    RegistrantAliasRow,
    RegistrantIdentifierRow,
    RegistrantRow,
    RegistryAlertRow,
)
from vigilant.registry.places_models import CrossCheckMatchRow, CrossCheckRow, FacilityKind, FacilityRow
from vigilant.registry.proximity import near_facilities, within_radius
from vigilant.registry.records import normalise_identifier
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import utcnow

ADDRESS_M = 30.0  # an investigation's address this close to a current residence is the same address
WORKPLACE_M = 50.0  # a workplace this close to a facility with children is taken to be at it
IDENTIFIER_KINDS = ("username", "email")
ALERT_KIND = "crosscheck"


@dataclass(frozen=True)
class Place:
    """An address recorded in an investigation, with its coordinates."""

    label: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Match:
    id: int
    kind: str
    registrant_id: int
    registry_number: str
    case_id: int | None
    person_id: int | None
    facility_id: int | None
    basis: dict[str, Any]
    alert_id: int | None
    found_at: datetime


@dataclass(frozen=True)
class CrossCheckReport:
    id: int
    checked: int
    new_matches: list[Match]


def _purpose(purpose: str | None) -> str:
    reason = (purpose or "").strip()
    if len(reason) < 5:
        raise PurposeRequired("a cross-check needs its purpose", hint='--purpose "case 24-113: new accused"')
    return reason


class _Recorder:
    """Writes a run's matches: each (registrant, kind, key) once, with an alert in the office's queue."""

    def __init__(self, s: Session, run: CrossCheckRow, today: date) -> None:
        self.s, self.run, self.today = s, run, today
        self.new: list[CrossCheckMatchRow] = []

    def _office(self, registrant_id: int) -> int:
        office = self.s.scalar(
            select(RegistrantRow.office_agency_id).where(RegistrantRow.id == registrant_id)
        )
        assert office is not None  # the registrant was just found
        return office

    def add(
        self, registrant_id: int, kind: str, key: str, basis: dict[str, Any], *, case_id: int | None = None,
        person_id: int | None = None, facility_id: int | None = None,
    ) -> None:  # fmt: skip
        key = key[:200]
        held = self.s.scalars(
            select(CrossCheckMatchRow.id).where(
                CrossCheckMatchRow.registrant_id == registrant_id,
                CrossCheckMatchRow.kind == kind,
                CrossCheckMatchRow.key == key,
            )
        ).first()
        if held is not None or any(
            (m.registrant_id, m.kind, m.key) == (registrant_id, kind, key) for m in self.new
        ):
            return
        alert_key = f"{kind}:{key}"[:200]
        raise_alert(
            self.s, registrant_id=registrant_id, office_agency_id=self._office(registrant_id),
            kind=ALERT_KIND, key=alert_key, raised_on=self.today, detail={"match": kind, **basis},
        )  # fmt: skip
        self.s.flush()
        alert_id = self.s.scalars(
            select(RegistryAlertRow.id).where(
                RegistryAlertRow.registrant_id == registrant_id,
                RegistryAlertRow.kind == ALERT_KIND,
                RegistryAlertRow.key == alert_key,
            )
        ).first()
        row = CrossCheckMatchRow(
            crosscheck_id=self.run.id, registrant_id=registrant_id, kind=kind, key=key, case_id=case_id,
            person_id=person_id, facility_id=facility_id, alert_id=alert_id, basis=basis, found_at=utcnow(),
        )  # fmt: skip
        self.s.add(row)
        self.new.append(row)


def _start(s: Session, actor: Actor, direction: str, case_id: int | None, purpose: str) -> CrossCheckRow:
    run = CrossCheckRow(
        direction=direction, case_id=case_id, purpose=purpose, checked=0, matches=0, run_by=actor.username,
        run_at=utcnow(),
    )  # fmt: skip
    s.add(run)
    s.flush()
    return run


def _finish(
    s: Session, actor: Actor, run: CrossCheckRow, recorder: _Recorder, checked: int
) -> CrossCheckReport:
    s.flush()
    run.checked, run.matches = checked, len(recorder.new)
    record(
        s,
        RecordRead.by(
            actor, object_type="registry_crosscheck", object_id=str(run.id),
            query=f"{run.direction}{f' case {run.case_id}' if run.case_id else ''}; purpose: {run.purpose}",
            records=len(recorder.new),
        ),
    )  # fmt: skip
    ids = sorted({m.registrant_id for m in recorder.new})
    numbers = dict(
        s.execute(
            select(RegistrantRow.id, RegistrantRow.registry_number).where(RegistrantRow.id.in_(ids))
        ).all()
    )
    return CrossCheckReport(run.id, checked, [_match(m, numbers[m.registrant_id]) for m in recorder.new])


def _match(row: CrossCheckMatchRow, registry_number: str) -> Match:
    return Match(
        id=row.id, kind=row.kind, registrant_id=row.registrant_id, registry_number=registry_number,
        case_id=row.case_id, person_id=row.person_id, facility_id=row.facility_id, basis=dict(row.basis),
        alert_id=row.alert_id, found_at=row.found_at,
    )  # fmt: skip


def _names(s: Session, births: Iterable[date]) -> dict[tuple[date, tuple[str, str]], set[tuple[int, str]]]:
    """(date of birth, name key) → {(registrant, "name_dob" | "alias_dob")} for the dates asked."""
    wanted = sorted(set(births))
    table: dict[tuple[date, tuple[str, str]], set[tuple[int, str]]] = {}
    if not wanted:
        return table
    main = s.execute(
        select(RegistrantRow.id, PersonRow.given_names, PersonRow.surname, PersonRow.date_of_birth)
        .join(PersonRow, PersonRow.id == RegistrantRow.person_id)
        .where(PersonRow.date_of_birth.in_(wanted))
    )
    for rid, given, surname, born in main:
        if born is not None and (key := name_key(given, surname)) is not None:
            table.setdefault((born, key), set()).add((rid, "name_dob"))
    aliases = s.execute(
        select(RegistrantAliasRow.registrant_id, RegistrantAliasRow.given_names, RegistrantAliasRow.surname,
               RegistrantAliasRow.date_of_birth, PersonRow.date_of_birth)
        .join(RegistrantRow, RegistrantRow.id == RegistrantAliasRow.registrant_id)
        .join(PersonRow, PersonRow.id == RegistrantRow.person_id)
        .where(
            RegistrantAliasRow.date_of_birth.in_(wanted)
            | (RegistrantAliasRow.date_of_birth.is_(None) & PersonRow.date_of_birth.in_(wanted))
        )
    )  # fmt: skip
    for rid, given, surname, alias_born, born in aliases:
        when = alias_born or born
        if when in wanted and (key := name_key(given, surname)) is not None:
            table.setdefault((when, key), set()).add((rid, "alias_dob"))
    return table


def check_investigations(
    db: Database,
    actor: Actor,
    *,
    purpose: str,
    case_id: int | None = None,
    places: Sequence[Place] = (),
    today: date | None = None,
) -> CrossCheckReport:
    """Check the persons, identifiers and given places of one case (or of every case the caller sees)
    against the registry."""
    reason = _purpose(purpose)
    require_reader(actor, reason)
    require(actor, Permission.CASES_READ)
    when = today or utcnow().date()
    with db.session() as s:
        cases = visible_case_ids(actor)
        if case_id is not None:
            cases = cases.where(CaseRow.id == case_id)
            if s.scalars(cases).first() is None:
                raise RegistrantNotFound(f"no case {case_id} that you may see")
        run = _start(s, actor, "investigations", case_id, reason)
        recorder = _Recorder(s, run, when)
        persons = s.execute(
            select(CasePersonRow.case_id, PersonRow.id, PersonRow.given_names, PersonRow.surname,
                   PersonRow.date_of_birth)
            .join(PersonRow, PersonRow.id == CasePersonRow.person_id)
            .where(CasePersonRow.case_id.in_(cases), PersonRow.date_of_birth.is_not(None))
        ).all()  # fmt: skip
        names = _names(s, (p.date_of_birth for p in persons if p.date_of_birth is not None))
        for case, person, given, surname, born in persons:
            key = name_key(given, surname)
            if key is None or born is None:
                continue
            basis = {"person": f"{given} {surname}", "date_of_birth": born.isoformat()}
            for rid, kind in sorted(names.get((born, key), ())):
                recorder.add(rid, kind, f"person:{person}", basis, case_id=case, person_id=person)
        links = s.execute(
            select(IdentifierLinkRow.case_id, IdentifierLinkRow.person_id, IdentifierLinkRow.device_id,
                   IdentifierRow.kind, IdentifierRow.value)
            .join(IdentifierRow, IdentifierRow.id == IdentifierLinkRow.identifier_id)
            .where(IdentifierLinkRow.case_id.in_(cases), IdentifierRow.kind.in_(IDENTIFIER_KINDS))
        ).all()  # fmt: skip
        wanted: dict[str, list[Any]] = {}
        for link in links:
            value = normalise_identifier(link.value)
            if value and value not in COMMON_IDENTIFIERS:
                wanted.setdefault(value, []).append(link)
        if wanted:
            held = s.execute(
                select(RegistrantIdentifierRow.registrant_id, RegistrantIdentifierRow.normalised,
                       RegistrantIdentifierRow.value)
                .where(RegistrantIdentifierRow.normalised.in_(sorted(wanted)))
            ).all()  # fmt: skip
            for rid, normalised, given_value in held:
                for link in wanted[normalised]:
                    recorder.add(
                        rid, "identifier", f"identifier:{link.case_id}:{link.kind}:{normalised}",
                        {"identifier": link.value, "kind": link.kind, "registrant_identifier": given_value,
                         "device_id": link.device_id},
                        case_id=link.case_id, person_id=link.person_id,
                    )  # fmt: skip
        for place in places:
            point = check_point(place.latitude, place.longitude, where=place.label)
            for near in within_radius(
                s, point, ADDRESS_M, kinds={AddressKind.MAIN, AddressKind.SECONDARY}, as_of=when
            ):
                recorder.add(
                    near.registrant_id, "address",
                    f"address:{case_id}:{point.latitude:.6f},{point.longitude:.6f}",
                    {"place": place.label, "distance_m": near.distance_m, "residence": near.kind},
                    case_id=case_id,
                )  # fmt: skip
        return _finish(s, actor, run, recorder, len(persons) + len(links) + len(places))


def check_employment(
    db: Database, actor: Actor, *, purpose: str, today: date | None = None, distance_m: float = WORKPLACE_M
) -> CrossCheckReport:
    """Every registrant's current employment and volunteering against facilities with children."""
    reason = _purpose(purpose)
    require(actor, Permission.REGISTRY_WRITE)
    when = today or utcnow().date()
    work = {AddressKind.EMPLOYMENT, AddressKind.VOLUNTEER}
    with db.session() as s:
        run = _start(s, actor, "employment", None, reason)
        recorder = _Recorder(s, run, when)
        for kind in FacilityKind:
            for near in near_facilities(s, kind, distance_m, kinds=work, as_of=when):
                recorder.add(
                    near.registrant_id, "employment",
                    f"facility:{near.facility_id}:address:{near.address_id}",
                    {"facility": near.facility_name, "facility_kind": kind.value,
                     "organisation": near.organisation, "work": near.kind, "distance_m": near.distance_m},
                    facility_id=near.facility_id,
                )  # fmt: skip
        # Workplaces without coordinates: the organisation's name against the facilities' names.
        by_name: dict[str, list[tuple[int, str, str]]] = {}
        for fid, fname, fkind in s.execute(select(FacilityRow.id, FacilityRow.name, FacilityRow.kind)):
            by_name.setdefault(fold(fname), []).append((fid, fname, fkind))
        addresses = s.execute(
            select(RegistrantAddressRow.id, RegistrantAddressRow.registrant_id,
                   RegistrantAddressRow.organisation, RegistrantAddressRow.kind)
            .where(
                RegistrantAddressRow.kind.in_(sorted(k.value for k in work)),
                RegistrantAddressRow.organisation.is_not(None),
                RegistrantAddressRow.valid_from <= when,
                (RegistrantAddressRow.valid_to.is_(None)) | (RegistrantAddressRow.valid_to > when),
            )
        ).all()  # fmt: skip
        for address_id, rid, organisation, work_kind in addresses:
            for fid, fname, fkind in by_name.get(fold(organisation), ()):
                recorder.add(
                    rid, "employment", f"facility:{fid}:address:{address_id}",
                    {"facility": fname, "facility_kind": fkind, "organisation": organisation,
                     "work": work_kind, "distance_m": None},
                    facility_id=fid,
                )  # fmt: skip
        return _finish(s, actor, run, recorder, len(addresses))


def matches(
    db: Database,
    actor: Actor,
    *,
    case_id: int | None = None,
    person_id: int | None = None,
    purpose: str | None = None,
) -> list[Match]:
    """Recorded matches of a case or a person, for whoever may see that case or person (a case or person
    the caller may not see is "not found"); every match, for a registry reader. Audited."""
    if case_id is None and person_id is None:
        require(actor, Permission.REGISTRY_READ)
    else:
        require(actor, Permission.CASES_READ if case_id is not None else Permission.PERSONS_READ)
    reason = (purpose or "").strip() or None
    with db.session() as s:
        visible = visible_case_ids(actor)
        query = select(CrossCheckMatchRow, RegistrantRow.registry_number).join(
            RegistrantRow, RegistrantRow.id == CrossCheckMatchRow.registrant_id
        )
        if case_id is not None:
            if s.scalars(visible.where(CaseRow.id == case_id)).first() is None:
                raise RegistrantNotFound(f"no case {case_id} that you may see")
            query = query.where(CrossCheckMatchRow.case_id == case_id)
        if person_id is not None:
            seen = select(CasePersonRow.id).where(
                CasePersonRow.person_id == person_id, CasePersonRow.case_id.in_(visible)
            )
            if s.scalars(seen).first() is None:
                raise RegistrantNotFound(f"no person {person_id} that you may see")
            query = query.where(
                CrossCheckMatchRow.person_id == person_id, CrossCheckMatchRow.case_id.in_(visible)
            )
        found = [_match(row, number) for row, number in s.execute(query.order_by(CrossCheckMatchRow.id))]
        record(
            s,
            RecordRead.by(
                actor, object_type="registry_crosscheck_match",
                object_id=f"case {case_id}" if case_id else f"person {person_id}" if person_id else "all",
                query=f"purpose: {reason}" if reason else None, records=len(found),
            ),
        )  # fmt: skip
        return found
