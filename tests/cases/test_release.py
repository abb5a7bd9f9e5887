"""The public release, as a property over generated people: no protected person is ever named."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cases.helpers import actor, flagged_world, world
from vigilant.cases.agencies import get_agency
from vigilant.cases.errors import InvalidRecordError, RecordNotFoundError
from vigilant.cases.models import PersonRole, PersonRow
from vigilant.cases.operations import add_operation
from vigilant.cases.people import add_person, add_role, record_ban, record_victim
from vigilant.cases.process import lay_charge
from vigilant.cases.release import build_release, clear_flag, coordinates
from vigilant.cases.service import open_case
from vigilant.security.audit import AuditLog
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import Actor
from vigilant.store import Database

ROOT = Actor.cli("root")

OFFENCE = date(2024, 3, 15)
AS_OF = date(2024, 9, 1)


def _add_years(day: date, years: int) -> date:
    """The oracle's own calendar: a 29 February birthday falls on 1 March in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


@dataclass
class Spec:
    role: PersonRole
    also_witness: bool
    dob_shift: int | None  # days from the 18th birthday to the earliest offence; None: unknown
    earlier_offence: int  # days before OFFENCE of a second count, 0 for one count
    depicted: bool
    banned: bool
    surname: int
    address: int | None


people = st.builds(
    Spec,
    role=st.sampled_from(
        [PersonRole.ACCUSED] * 3 + [PersonRole.VICTIM, PersonRole.WITNESS, PersonRole.SUSPECT]
    ),
    also_witness=st.integers(0, 5).map(lambda n: n == 0),
    dob_shift=st.one_of(st.none(), st.integers(-3, 3), st.integers(-800, 800)),
    earlier_offence=st.sampled_from([0, 0, 1, 30, 400]),
    depicted=st.integers(0, 9).map(lambda n: n == 0),
    banned=st.integers(0, 9).map(lambda n: n == 0),
    surname=st.integers(0, 2),
    address=st.one_of(st.none(), st.integers(0, 1)),
)

_codes = itertools.count(1)


def _coordinator(db: Database) -> int:
    """The examples share one database: make the agencies on the first and find them afterwards."""
    try:
        return get_agency(db, "PP").id
    except RecordNotFoundError:
        return world(db).coordinator


def _mentions(haystack: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", haystack, flags=re.IGNORECASE) is not None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), specs=st.lists(people, min_size=1, max_size=10))
def test_no_protected_name_ever_appears_and_every_pair_is_flagged(
    db: Database, seed: int, specs: list[Spec]
) -> None:
    pp = actor(_coordinator(db))
    fake = Faker("en_CA")
    fake.seed_instance(seed)
    surnames = [fake.unique.last_name() for _ in range(3)]
    addresses = [fake.unique.street_address() for _ in range(2)]
    given_names = [fake.unique.first_name() for _ in specs]
    code = f"OP-R{next(_codes)}"
    add_operation(db, pp, code=code, name=f"Release {code}", starts_on=date(2023, 1, 1))
    case = open_case(db, pp, number=code, title="release property", operation=code).id

    protected: list[tuple[str, str, str | None]] = []  # (full name, given names, address)
    named: dict[int, str] = {}
    victims: list[tuple[int, str, str | None]] = []
    accused: dict[int, tuple[str, str | None]] = {}
    for spec, given_name in zip(specs, given_names, strict=True):
        earliest = OFFENCE - timedelta(days=spec.earlier_offence)
        dob = None
        if spec.dob_shift is not None:
            eighteenth = earliest + timedelta(days=spec.dob_shift)
            dob = _add_years(eighteenth, -18)
        surname = surnames[spec.surname]
        address = addresses[spec.address] if spec.address is not None else None
        p = add_person(
            db,
            pp,
            case,
            given_names=given_name,
            surname=surname,
            role=spec.role,
            date_of_birth=dob,
            address=address,
            municipality="Barrie",
            depicted=spec.depicted,
        ).id
        if spec.also_witness:
            add_role(db, pp, case, p, PersonRole.WITNESS)
        if spec.banned:
            record_ban(db, pp, case, p, authority="486.4(1)", court="OCJ", court_file="24-1")
        if spec.role is PersonRole.VICTIM:
            record_victim(db, pp, case, p, identified_on=OFFENCE)
            victims.append((p, surname, address))
        if spec.role is PersonRole.ACCUSED:
            lay_charge(db, pp, case, p, offence_code="cp-possessing", offence_from=OFFENCE, laid_on=AS_OF)
            if spec.earlier_offence:
                lay_charge(db, pp, case, p, offence_code="cp-accessing", offence_from=earliest, laid_on=AS_OF)
        youth = dob is None or earliest < _add_years(dob, 18)
        is_protected = (
            spec.role is not PersonRole.ACCUSED or spec.also_witness or spec.depicted or spec.banned or youth
        )
        if is_protected:
            protected.append((f"{given_name} {surname}", given_name, address))
        else:
            named[p] = f"{given_name} {surname}"
            accused[p] = (surname, address)

    release = build_release(db, pp, code, as_of=AS_OF)
    everything = "\n".join([release.public_text, release.review_text, json.dumps(release.as_dict())])

    for full_name, given_name, address in protected:
        assert full_name not in everything
        if given_name not in surnames:  # a given name can be someone else's surname
            assert not _mentions(everything, given_name), given_name
        if address:
            assert address not in everything
    expected_flags = {
        (a, v)
        for a, (surname, address) in accused.items()
        for v, v_surname, v_address in victims
        if surname.casefold() == v_surname.casefold() or (address is not None and address == v_address)
    }
    assert {(f.accused_person_id, f.victim_person_id) for f in release.flags} == expected_flags
    # A flagged accused is withheld until the flag is cleared: never in the public text.
    flagged = {a for a, _ in expected_flags}
    for p in flagged:
        assert not _mentions(release.public_text, named[p])
    assert {a.name for a in release.named} == {n for p, n in named.items() if p not in flagged}
    assert all(_mentions(release.public_text, n) for p, n in named.items() if p not in flagged)
    assert release.withheld.get("under_review", 0) == len(flagged)
    assert sum(release.withheld.values()) == sum(1 for s in specs if s.role is PersonRole.ACCUSED) - len(
        named
    ) + len(flagged)


def test_release_text_names_adults_with_charges_age_and_municipality(db: Database) -> None:
    w = world(db)
    pp = actor(w.coordinator)
    case = open_case(db, pp, number="R-1", title="t", operation=w.operation).id
    adult = add_person(
        db,
        pp,
        case,
        given_names="Pat",
        surname="Example",
        role=PersonRole.ACCUSED,
        date_of_birth=date(1979, 9, 2),
        municipality="Barrie",
    ).id
    youth = add_person(
        db,
        pp,
        case,
        given_names="Kim",
        surname="Sample",
        role=PersonRole.ACCUSED,
        date_of_birth=date(2006, 3, 16),
    ).id
    for who in (adult, youth):
        lay_charge(db, pp, case, who, offence_code="cp-possessing", offence_from=OFFENCE, laid_on=AS_OF)
    lay_charge(db, pp, case, adult, offence_code="163.1(4)", offence_from=OFFENCE, laid_on=AS_OF)
    release = build_release(db, pp, w.operation, as_of=AS_OF)
    assert "Pat Example, 44, of Barrie, is charged with:" in release.public_text
    assert "Possessing child pornography (s. 163.1(4) Criminal Code) x2" in release.public_text
    assert "Kim" not in release.public_text
    assert release.withheld == {"youth": 1}
    assert "1 young persons who cannot be identified" in release.public_text


def test_a_flagged_accused_is_withheld_by_default(db: Database) -> None:
    coordinator, _, accused, victim = flagged_world(db)
    release = build_release(db, actor(coordinator), "OP-1", as_of=AS_OF)
    assert [(f.accused_person_id, f.victim_person_id) for f in release.flags] == [(accused, victim)]
    assert not release.named
    assert "Alexis" not in release.public_text
    assert "Tremblay" not in release.public_text
    assert "Alexis" not in json.dumps(release.as_dict()["named"])
    assert release.withheld == {"under_review": 1}
    # How many, never why in a way that points at anyone: no victim, no relation, no surname.
    assert "1 other person(s) charged cannot be named" in release.public_text
    assert "victim" not in release.public_text.split("cannot be named:")[1]


def test_a_flag_is_cleared_by_the_coordinating_agency_with_a_reason_and_audited(db: Database) -> None:
    coordinator, case, accused, victim = flagged_world(db)
    pp = actor(coordinator)
    partner = get_agency(db, "BPS").id
    # Previewing is not clearing; a partner agency's coordinator does not publish this operation's release.
    for who in (actor(coordinator, "analyst"), actor(coordinator, "investigator"), actor(partner)):
        with pytest.raises(PermissionDenied):
            clear_flag(db, who, "OP-1", accused, reason="checked", as_of=AS_OF)
    assert coordinates(db, pp, "OP-1")  # the release page offers the form to these only
    assert not coordinates(db, actor(partner), "OP-1")
    with pytest.raises(InvalidRecordError, match="say why"):
        clear_flag(db, pp, "OP-1", accused, reason="  ", as_of=AS_OF)
    with pytest.raises(InvalidRecordError, match="no flag"):
        clear_flag(db, pp, "OP-1", victim, reason="not the accused", as_of=AS_OF)
    assert not build_release(db, pp, "OP-1", as_of=AS_OF).named

    reason = "victim's family moved away; the surname is common in Orillia"
    cleared = clear_flag(db, pp, "OP-1", accused, reason=reason, as_of=AS_OF)
    assert [(f.accused_person_id, f.victim_person_id) for f in cleared] == [(accused, victim)]
    release = build_release(db, pp, "OP-1", as_of=AS_OF)
    assert [a.name for a in release.named] == ["Alexis Tremblay"]
    assert "Alexis Tremblay, 49, of Orillia, is charged with:" in release.public_text
    assert release.withheld == {}
    assert release.flags[0].cleared is not None
    assert release.flags[0].cleared.reason == reason
    assert "cleared by" in release.review_text
    json.dumps(release.as_dict())  # the clearance's time is written as text
    with pytest.raises(InvalidRecordError, match="no flag"):
        clear_flag(db, pp, "OP-1", accused, reason="again", as_of=AS_OF)

    events = AuditLog(db).search(ROOT, now=datetime.now(UTC), action="release.flag_cleared")
    assert [(e.actor, e.object_id, e.detail["person_id"], e.detail["reason"]) for e in events] == [
        (f"user@{coordinator}", "OP-1", accused, reason)
    ]

    # A flag that shares more than what was cleared (now the address too) withholds the accused again.
    with db.session() as s:
        for person_id in (accused, victim):
            s.get(PersonRow, person_id).address = "12 Example Road"  # type: ignore[union-attr]
    assert build_release(db, pp, "OP-1", as_of=AS_OF).withheld == {"under_review": 1}
    clear_flag(db, pp, "OP-1", accused, reason=reason + "; the address is a rooming house", as_of=AS_OF)
    assert len(build_release(db, pp, "OP-1", as_of=AS_OF).named) == 1

    # Clearing never names a youth: an earlier count from before the accused turned 18 withholds them (YCJA).
    lay_charge(
        db, pp, case, accused, offence_code="cp-accessing", offence_from=date(1992, 1, 1), laid_on=AS_OF
    )
    release = build_release(db, pp, "OP-1", as_of=AS_OF)
    assert not release.named
    assert release.withheld == {"youth": 1}
    assert "Alexis" not in release.public_text
