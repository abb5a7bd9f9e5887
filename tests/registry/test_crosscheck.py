"""Cross-checks both ways: case persons, identifiers and places against registrants, and registrants'
workplaces against facilities with children; each match once, with an alert, listed per case and person."""

from __future__ import annotations

from datetime import date

import pytest
from geographiclib.geodesic import Geodesic
from sqlalchemy import select

from tests.cases.helpers import actor, world
from tests.registry.places_data import OFFICER, registrant
from vigilant.cases.links import link_identifier
from vigilant.cases.models import AgencyRow, PersonRole
from vigilant.cases.people import add_person
from vigilant.cases.service import open_case
from vigilant.registry.crosscheck import Place, check_employment, check_investigations, matches
from vigilant.registry.errors import PurposeRequired, RegistrantNotFound
from vigilant.registry.models import AddressKind, RegistrantIdentifierRow, RegistryAlertRow
from vigilant.registry.places_models import FacilityRow
from vigilant.security.errors import PermissionDenied
from vigilant.security.models import AuditEventRow
from vigilant.store import Database
from vigilant.store.models import utcnow

TODAY = date(2026, 12, 7)
HOME = (44.3894, -79.6903)  # Barrie


def _case(db: Database) -> tuple[int, int, int]:
    """A case of the coordinating agency with an accused, a suspect and identifiers: (agency, case, accused);
    the agencies are world()'s: PP coordinates, HRP has nothing to do with the case."""
    w = world(db)
    pp = actor(w.coordinator)
    case = open_case(db, pp, number="R-X", title="cross").id
    accused = add_person(
        db,
        pp,
        case,
        given_names="Rémi Paul",
        surname="Côté",
        role=PersonRole.ACCUSED,
        date_of_birth=date(1975, 5, 5),
    ).id
    add_person(
        db,
        pp,
        case,
        given_names="Dana",
        surname="Hill",
        role=PersonRole.SUSPECT,
        date_of_birth=date(1990, 1, 9),
    )
    link_identifier(db, pp, case, "username", "@Night_Owl", person_id=accused)
    link_identifier(db, pp, case, "username", "admin")
    link_identifier(db, pp, case, "email", "kim.lee@example.org")
    return w.coordinator, case, accused


def test_case_persons_identifiers_and_places(db: Database) -> None:
    agency, case, accused = _case(db)
    by_name = registrant(db, agency, "X1", surname="COTE", given_names="remi", born=date(1975, 5, 5))
    by_alias = registrant(
        db, agency, "X2", surname="Hill-Other", given_names="Dana", born=date(1950, 1, 1),
        aliases=(("Dana Lynn", "Hill", date(1990, 1, 9)),),
    )  # fmt: skip
    registrant(
        db, agency, "X3", surname="Cote", given_names="Remi", born=date(1975, 5, 6)
    )  # another birthday
    by_handle = registrant(db, agency, "X4", surname="Owl", given_names="N", born=date(1960, 1, 1))
    common = registrant(db, agency, "X5", surname="Root", given_names="A", born=date(1961, 1, 1))
    near = Geodesic.WGS84.Direct(*HOME, 45, 25)
    at_home = registrant(
        db, agency, "X6", surname="Far", given_names="B", addresses=((AddressKind.MAIN, *HOME),)
    )
    registrant(
        db, agency, "X7", surname="Work", given_names="C", addresses=((AddressKind.EMPLOYMENT, *HOME),)
    )
    with db.session() as s:
        s.add(
            RegistrantIdentifierRow(
                registrant_id=by_handle, kind="handle", value="night_owl", normalised="night_owl"
            )
        )
        s.add(
            RegistrantIdentifierRow(registrant_id=common, kind="username", value="Admin", normalised="admin")
        )
    report = check_investigations(
        db, OFFICER, case_id=case, purpose="case R-X: new accused",
        places=[Place("search warrant address", near["lat2"], near["lon2"])], today=TODAY,
    )  # fmt: skip
    found = {(m.registrant_id, m.kind) for m in report.new_matches}
    assert found == {
        (by_name, "name_dob"),
        (by_alias, "alias_dob"),
        (by_handle, "identifier"),
        (at_home, "address"),
    }
    person_match = next(m for m in report.new_matches if m.kind == "name_dob")
    assert (person_match.case_id, person_match.person_id) == (case, accused)
    assert next(m for m in report.new_matches if m.kind == "address").basis["distance_m"] == pytest.approx(
        25, abs=0.05
    )
    # each match raised one alert in the registrant's office's queue
    with db.session() as s:
        alerts = s.scalars(select(RegistryAlertRow).where(RegistryAlertRow.kind == "crosscheck")).all()
    assert len(alerts) == 4
    assert {a.office_agency_id for a in alerts} == {agency}
    # a second run finds the same matches and records nothing new
    again = check_investigations(db, OFFICER, case_id=case, purpose="case R-X: again", today=TODAY)
    assert again.new_matches == []
    assert {m.kind for m in matches(db, OFFICER, case_id=case)} == {
        "name_dob",
        "alias_dob",
        "identifier",
        "address",
    }
    assert [m.registrant_id for m in matches(db, OFFICER, person_id=accused)] == [by_name, by_handle]


def test_investigators_see_matches_of_their_own_cases_only(db: Database) -> None:
    agency, case, accused = _case(db)
    registrant(db, agency, "X1", surname="Cote", given_names="Remi", born=date(1975, 5, 5))
    check_investigations(db, OFFICER, case_id=case, purpose="case R-X: new accused", today=TODAY)
    with db.session() as s:
        outsider = s.scalars(select(AgencyRow.id).where(AgencyRow.short_name == "HRP")).one()
    own = actor(agency, "investigator")
    other = actor(outsider, "investigator")
    assert len(matches(db, own, case_id=case)) == 1  # their own case: no purpose needed to see it
    with pytest.raises(RegistrantNotFound):
        matches(db, other, case_id=case)
    with pytest.raises(RegistrantNotFound):
        matches(db, other, person_id=accused)
    with pytest.raises(PermissionDenied):
        matches(db, own)  # every match: registry readers only
    with pytest.raises(PurposeRequired):
        check_investigations(db, OFFICER, case_id=case, purpose="", today=TODAY)
    with db.session() as s:
        purposes = s.scalars(
            select(AuditEventRow.detail).where(AuditEventRow.object_type == "registry_crosscheck")
        ).all()
    assert "purpose: case R-X: new accused" in str(purposes)


def test_employment_at_a_daycare(db: Database) -> None:
    w = world(db)
    daycare = (43.65, -79.38)
    next_door = Geodesic.WGS84.Direct(*daycare, 90, 40)
    across = Geodesic.WGS84.Direct(*daycare, 90, 120)
    worker = registrant(
        db, w.coordinator, "D1", addresses=((AddressKind.EMPLOYMENT, next_door["lat2"], next_door["lon2"]),),
        organisation="Acme",
    )  # fmt: skip
    registrant(db, w.coordinator, "D2", addresses=((AddressKind.EMPLOYMENT, across["lat2"], across["lon2"]),))
    volunteer = registrant(
        db,
        w.coordinator,
        "D3",
        addresses=((AddressKind.VOLUNTEER, None, None),),
        organisation="Little  STEPS daycare",
    )
    registrant(
        db, w.coordinator, "D4", addresses=((AddressKind.MAIN, *daycare),)
    )  # lives there: not employment
    with db.session() as s:
        s.add(
            FacilityRow(kind="daycare", ref="d", name="Little Steps Daycare", latitude=daycare[0],
                        longitude=daycare[1], source="t", imported_by="t", imported_at=utcnow())
        )  # fmt: skip
    report = check_employment(db, OFFICER, purpose="daily employment check", today=TODAY)
    assert sorted((m.registrant_id, m.basis["facility"]) for m in report.new_matches) == [
        (worker, "Little Steps Daycare"),
        (volunteer, "Little Steps Daycare"),
    ]
    assert check_employment(db, OFFICER, purpose="daily employment check", today=TODAY).new_matches == []
