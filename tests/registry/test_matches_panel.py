"""Cross-check matches on the case and person pages (issue 15, item 5): shown, with a link to the registrant,
to those who may see registry data (a registry reader; an investigator, in the cases they see, through the
look-up with a purpose); nothing of them on the page for anyone else; every panel shown is an audited read.
Both engines."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from tests.registry.places_data import registrant
from tests.web.conftest import OTHER_PERSON, OWN_PERSON, Clock, World, client, clock, log_in, world
from vigilant.registry.crosscheck import check_investigations
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = ["client", "clock", "world"]  # the fixtures this module borrows
SLOT = 'id="registry-matches"'


def _matched(db: Database, world: World) -> None:
    """A registrant with the own case's suspect's name and date of birth, found by a cross-check; another
    with the other agency's suspect's, found by theirs."""
    for agency, number, (given, surname), case in (
        (world.own_agency, "REG-OWN", OWN_PERSON, world.own_case),
        (world.other_agency, "REG-OTHER", OTHER_PERSON, world.other_case),
    ):
        registrant(db, agency, number, surname=surname, given_names=given, born=date(1980, 5, 1))
        officer = Actor(None, f"ro@{agency}", frozenset({Role.REGISTRY_OFFICER}), agency)
        report = check_investigations(db, officer, purpose="test cross-check", case_id=case)
        assert [m.registry_number for m in report.new_matches] == [number]


def _panel_reads(db: Database) -> int:
    with db.session() as s:
        rows = s.scalars(
            select(AuditEventRow).where(AuditEventRow.object_type == "registry_crosscheck_match")
        ).all()
    return len(rows)


def test_a_registry_officer_sees_the_match_on_the_case_and_the_person_page(
    db: Database, world: World, client: TestClient, clock: Clock
) -> None:
    _matched(db, world)
    assert log_in(client, world.users[Role.REGISTRY_OFFICER], clock) == 303
    case_page = client.get(f"/cases/{world.own_case}").text
    assert SLOT in case_page
    assert f'hx-get="/cases/{world.own_case}/registry-matches"' in case_page
    before = _panel_reads(db)
    panel = client.get(f"/cases/{world.own_case}/registry-matches")
    assert panel.status_code == 200
    assert '<a href="/registry/registrants/REG-OWN">REG-OWN</a>' in panel.text
    assert "name + dob" in panel.text
    assert "REG-OTHER" not in panel.text  # the other agency's case's match
    person_page = client.get(f"/persons/{world.own_person}").text
    assert f'hx-get="/persons/{world.own_person}/registry-matches"' in person_page
    person_panel = client.get(f"/persons/{world.own_person}/registry-matches").text
    assert "/registry/registrants/REG-OWN" in person_panel
    assert _panel_reads(db) == before + 2  # each panel shown, one audited read
    assert client.get(f"/cases/{world.other_case}/registry-matches").status_code == 404
    assert client.get(f"/persons/{world.other_person}/registry-matches").status_code == 404


def test_an_investigator_sees_the_match_and_looks_the_registrant_up_with_a_purpose(
    db: Database, world: World, client: TestClient, clock: Clock
) -> None:
    _matched(db, world)
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    assert SLOT in client.get(f"/cases/{world.own_case}").text
    panel = client.get(f"/cases/{world.own_case}/registry-matches").text
    assert '<a href="/registry/lookup?number=REG-OWN">REG-OWN</a>' in panel
    assert "/registry/registrants/" not in panel  # not a registry reader: the look-up asks the purpose
    form = client.get("/registry/lookup?number=REG-OWN").text
    assert 'name="number" value="REG-OWN"' in form


@pytest.mark.parametrize("role", [Role.ANALYST, Role.COORDINATOR, Role.EXAMINER])
def test_who_may_not_see_registry_data_sees_nothing_of_it(
    role: Role, *, db: Database, world: World, client: TestClient, clock: Clock
) -> None:
    _matched(db, world)
    assert log_in(client, world.users[role], clock) == 303
    before = _panel_reads(db)
    case_page = client.get(f"/cases/{world.own_case}")
    assert case_page.status_code == 200
    assert SLOT not in case_page.text
    assert "REG-OWN" not in case_page.text
    assert "registry" not in case_page.text.split("<main", 1)[1].casefold()
    if role is not Role.EXAMINER:  # an examiner reads no persons
        person_page = client.get(f"/persons/{world.own_person}")
        assert person_page.status_code == 200
        assert SLOT not in person_page.text
    assert client.get(f"/cases/{world.own_case}/registry-matches").status_code == 403
    assert client.get(f"/persons/{world.own_person}/registry-matches").status_code == 403
    assert _panel_reads(db) == before  # nothing read, nothing audited
