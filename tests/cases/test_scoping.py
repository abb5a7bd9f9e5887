"""Agency scoping and distribution levels, enforced in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.cases.helpers import ADMIN, actor, world
from vigilant.cases.agencies import add_sharing_group
from vigilant.cases.errors import (
    DuplicateRecordError,
    InvalidRecordError,
    RecordNotFoundError,
)
from vigilant.cases.links import link_identifier, where_seen
from vigilant.cases.models import CaseStatus, Distribution, PersonRole
from vigilant.cases.operations import get_operation, list_operations
from vigilant.cases.people import add_person, get_person
from vigilant.cases.service import find_case, get_case, list_cases, open_case, update_case
from vigilant.security.errors import PermissionDenied
from vigilant.store import Database

# Which of the three agencies sees a case of the coordinator's, per distribution level.
EXPECTED = {
    Distribution.AGENCY_ONLY: {"coordinator"},
    Distribution.OPERATION: {"coordinator", "partner"},
    Distribution.SHARING_GROUP: {"coordinator", "outsider"},
    Distribution.ALL_AGENCIES: {"coordinator", "partner", "outsider"},
}


@pytest.mark.parametrize("level", list(Distribution))
def test_who_sees_a_case(db: Database, level: Distribution) -> None:
    w = world(db)
    group = add_sharing_group(db, ADMIN, name="Atlantic", agencies=["PP", "HRP"])
    case = open_case(
        db,
        actor(w.coordinator),
        number="24-001",
        title="t",
        operation=w.operation,
        distribution=level,
        sharing_group_id=group if level is Distribution.SHARING_GROUP else None,
    )
    person = add_person(
        db, actor(w.coordinator), case.id, given_names="Alex", surname="Doe", role=PersonRole.SUSPECT
    )
    link_identifier(db, actor(w.coordinator), case.id, "ip", "203.0.113.9")
    agencies = {"coordinator": w.coordinator, "partner": w.partner, "outsider": w.outsider}
    for who, agency in agencies.items():
        caller = actor(agency, "investigator")
        sees = who in EXPECTED[level]
        assert ([c.id for c in list_cases(db, caller)] == [case.id]) is sees, who
        assert bool(where_seen(db, caller, "ip", "203.0.113.9")) is sees, who
        if sees:
            assert get_case(db, caller, case.id).number == "24-001"
            assert get_person(db, caller, person.id).surname == "Doe"
        else:
            with pytest.raises(RecordNotFoundError):
                get_case(db, caller, case.id)
            with pytest.raises(RecordNotFoundError):
                get_person(db, caller, person.id)


def test_only_the_owner_changes_a_shared_case(db: Database) -> None:
    w = world(db)
    case = open_case(
        db, actor(w.coordinator), number="24-002", title="t", distribution=Distribution.ALL_AGENCIES
    )
    with pytest.raises(RecordNotFoundError, match="another agency"):
        update_case(db, actor(w.partner), case.id, title="mine now")
    with pytest.raises(RecordNotFoundError, match="another agency"):
        add_person(db, actor(w.partner), case.id, given_names="A", surname="B", role=PersonRole.WITNESS)
    closed = update_case(db, actor(w.coordinator), case.id, status=CaseStatus.CLOSED)
    assert closed.status == "closed"
    assert closed.closed_at is not None


def test_case_numbers_are_unique_per_agency(db: Database) -> None:
    w = world(db)
    open_case(db, actor(w.coordinator), number="24-003", title="t")
    open_case(db, actor(w.partner), number="24-003", title="same number, other agency")
    with pytest.raises(DuplicateRecordError):
        open_case(db, actor(w.coordinator), number="24-003", title="again")
    assert find_case(db, actor(w.partner), "24-003").agency_id == w.partner


def test_distribution_needs_its_operation_or_group(db: Database) -> None:
    w = world(db)
    with pytest.raises(InvalidRecordError, match="operation"):
        open_case(db, actor(w.coordinator), number="x", title="t", distribution=Distribution.OPERATION)
    group = add_sharing_group(db, ADMIN, name="Others", agencies=["HRP"])
    with pytest.raises(InvalidRecordError, match="not in sharing group"):
        open_case(
            db,
            actor(w.coordinator),
            number="y",
            title="t",
            distribution=Distribution.SHARING_GROUP,
            sharing_group_id=group,
        )


def test_operations_are_seen_by_participants_only(db: Database) -> None:
    w = world(db)
    assert [o.code for o in list_operations(db, actor(w.partner, "analyst"))] == ["OP-1"]
    assert list_operations(db, actor(w.outsider, "analyst")) == []
    with pytest.raises(RecordNotFoundError):
        get_operation(db, actor(w.outsider), "OP-1")
    with pytest.raises(RecordNotFoundError):  # an outsider cannot file a case under it either
        open_case(db, actor(w.outsider), number="z", title="t", operation="OP-1")


def test_roles_gate_writes(db: Database) -> None:
    w = world(db)
    with pytest.raises(PermissionDenied, match=r"cases\.write"):
        open_case(db, actor(w.coordinator, "analyst"), number="n", title="t")
    with pytest.raises(PermissionDenied, match=r"cases\.read"):
        list_cases(db, actor(w.coordinator, "auditor"))  # a role without cases.read
