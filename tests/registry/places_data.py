"""Registrants with coordinates, written straight into the tables, for the proximity, cross-check and
vulnerable-sector tests (tests/registry/test_places*, test_proximity*, test_crosscheck*, test_vsc*)."""

from __future__ import annotations

from datetime import date

from vigilant.cases.models import AgencyRow, PersonRow
from vigilant.registry.models import AddressKind, RegistrantAddressRow, RegistrantAliasRow, RegistrantRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.store.models import utcnow

OFFICER = Actor(user_id=None, username="officer", roles=frozenset({Role.REGISTRY_OFFICER}), agency_id=None)
AUDITOR = Actor(user_id=None, username="auditor", roles=frozenset({Role.AUDITOR}), agency_id=None)


def office(db: Database, short: str = "RO") -> int:
    with db.session() as s:
        row = AgencyRow(name=f"Registry {short}", short_name=short, province="ON", created_at=utcnow())
        s.add(row)
        s.flush()
        return row.id


def registrant(
    db: Database,
    agency: int,
    number: str,
    *,
    surname: str = "Doe",
    given_names: str = "Casey",
    born: date = date(1980, 2, 29),
    sex: str = "M",
    addresses: tuple[tuple[AddressKind, float | None, float | None], ...] = (),
    valid_to: date | None = None,
    organisation: str | None = None,
    aliases: tuple[tuple[str, str, date | None], ...] = (),
) -> int:
    """A registrant with addresses (kind, latitude, longitude), all from 2020-01-01."""
    with db.session() as s:
        person = PersonRow(
            agency_id=agency,
            given_names=given_names,
            surname=surname,
            date_of_birth=born,
            created_at=utcnow(),
        )
        s.add(person)
        s.flush()
        row = RegistrantRow(
            person_id=person.id, registry_number=number, office_agency_id=agency, sex=sex,
            created_at=utcnow(), updated_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        s.flush()
        for i, (kind, lat, lon) in enumerate(addresses):
            s.add(
                RegistrantAddressRow(
                    registrant_id=row.id, kind=kind.value, line=f"{i + 1} {number} St",
                    valid_from=date(2020, 1, 1), valid_to=valid_to, latitude=lat, longitude=lon,
                    organisation=organisation,
                )
            )  # fmt: skip
        for a_given, a_surname, a_born in aliases:
            s.add(
                RegistrantAliasRow(
                    registrant_id=row.id, given_names=a_given, surname=a_surname, date_of_birth=a_born
                )
            )
        return row.id
