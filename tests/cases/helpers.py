"""Builders for cases tests: agencies, actors and a small operation, all from documentation ranges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from vigilant.cases.agencies import add_agency
from vigilant.cases.models import PersonRole
from vigilant.cases.operations import add_operation
from vigilant.cases.people import add_person, record_victim
from vigilant.cases.process import lay_charge
from vigilant.cases.service import open_case
from vigilant.security.rights import Actor
from vigilant.store import Database

ADMIN = Actor.cli("test-admin")


def actor(agency_id: int, *roles: str) -> Actor:
    return Actor.cli(f"user@{agency_id}", agency_id=agency_id, roles=roles or {"coordinator"})


@dataclass(frozen=True)
class World:
    coordinator: int  # coordinates the operation
    partner: int  # participates in it
    outsider: int  # has nothing to do with it
    operation: str


def world(db: Database) -> World:
    a = add_agency(
        db,
        ADMIN,
        name="Provincial Police",
        short_name="PP",
        province="ON",
        is_coordinator=True,
        municipalities=["Orillia"],
    ).id
    b = add_agency(
        db, ADMIN, name="Barrie Police", short_name="BPS", province="ON", municipalities=["Barrie"]
    ).id
    c = add_agency(
        db, ADMIN, name="Halifax Police", short_name="HRP", province="NS", municipalities=["Halifax"]
    ).id
    add_operation(
        db,
        actor(a),
        code="OP-1",
        name="Maple",
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 6, 30),
        participants=["BPS"],
    )
    return World(a, b, c, "OP-1")


def flagged_world(db: Database) -> tuple[int, int, int, int]:
    """An operation with an adult accused who shares a surname with a victim: (coordinator, case, accused,
    victim)."""
    w = world(db)
    pp = actor(w.coordinator)
    case = open_case(db, pp, number="R-F", title="flag", operation=w.operation).id
    accused = add_person(
        db,
        pp,
        case,
        given_names="Alexis",
        surname="Tremblay",
        role=PersonRole.ACCUSED,
        date_of_birth=date(1975, 4, 2),
        municipality="Orillia",
    ).id
    victim = add_person(
        db, pp, case, given_names="Robin", surname="Tremblay", role=PersonRole.VICTIM, date_of_birth=None
    ).id
    record_victim(db, pp, case, victim, identified_on=date(2024, 3, 15))
    lay_charge(
        db,
        pp,
        case,
        accused,
        offence_code="cp-possessing",
        offence_from=date(2024, 3, 15),
        laid_on=date(2024, 9, 1),
    )
    return w.coordinator, case, accused, victim
