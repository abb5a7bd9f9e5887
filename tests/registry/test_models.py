"""The registry's tables on both engines: a registrant on a person, with its history rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.cases.helpers import world
from vigilant.cases.models import PersonRow
from vigilant.registry.models import (
    AddressKind,
    RegistrantAddressRow,
    RegistrantIdentifierRow,
    RegistrantRow,
)
from vigilant.store import Database
from vigilant.store.models import utcnow


def _registrant(db: Database, agency: int, number: str) -> int:
    with db.session() as s:
        person = PersonRow(
            agency_id=agency, given_names="Casey", surname="Doe", date_of_birth=date(1980, 2, 29),
            created_at=utcnow(),
        )  # fmt: skip
        s.add(person)
        s.flush()
        row = RegistrantRow(
            person_id=person.id, registry_number=number, office_agency_id=agency, sex="M",
            created_at=utcnow(), updated_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        s.flush()
        s.add(
            RegistrantAddressRow(
                registrant_id=row.id, kind=AddressKind.MAIN.value, line="1 Main St",
                valid_from=date(2020, 1, 1), latitude=44.6, longitude=-79.4,
            )
        )  # fmt: skip
        s.add(
            RegistrantIdentifierRow(
                registrant_id=row.id, kind="handle", value="@Shadow_Fox", normalised="shadow_fox"
            )
        )
        return row.id


def test_a_registrant_lives_on_a_person_with_coordinates(db: Database) -> None:
    agency = world(db).coordinator
    rid = _registrant(db, agency, "ON-1")
    with db.session() as s:
        person = s.scalars(
            select(PersonRow)
            .join(RegistrantRow, RegistrantRow.person_id == PersonRow.id)
            .where(RegistrantRow.id == rid)
        ).one()
        assert person.date_of_birth == date(1980, 2, 29)
        address = s.scalars(select(RegistrantAddressRow)).one()
        assert (address.latitude, address.longitude) == (44.6, -79.4)


def test_registry_numbers_are_unique(db: Database) -> None:
    agency = world(db).coordinator
    _registrant(db, agency, "ON-1")
    with pytest.raises(IntegrityError):
        _registrant(db, agency, "ON-1")
