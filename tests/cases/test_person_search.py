"""Searching persons: only through visible cases, wildcards taken literally, roles filtered, every search
audited; and an operation's detail lists only the cases the caller may open."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from tests.cases.helpers import actor, world
from vigilant.cases.errors import RecordNotFoundError
from vigilant.cases.models import Distribution, PersonRole
from vigilant.cases.operation_view import operation_detail, operation_summaries
from vigilant.cases.people import add_person, add_role
from vigilant.cases.person_search import like_pattern, search_persons
from vigilant.cases.service import open_case
from vigilant.security.errors import PermissionDenied
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor
from vigilant.store import Database


def _names(db: Database, who: Actor, **kw: Any) -> list[str]:
    return [h.person.surname for h in search_persons(db, who, **kw)]


def test_search_sees_only_visible_cases_and_their_roles(db: Database) -> None:
    w = world(db)
    mine, partner, outsider = actor(w.coordinator), actor(w.partner), actor(w.outsider)
    own = open_case(db, mine, number="A-1", title="t", operation=w.operation)
    shared = open_case(db, partner, number="B-1", title="t", operation=w.operation,
                       distribution=Distribution.OPERATION)  # fmt: skip
    secret = open_case(db, partner, number="B-2", title="t")
    alex = add_person(db, mine, own.id, given_names="Alex", surname="Doe", role=PersonRole.SUSPECT)
    sam = add_person(db, partner, shared.id, given_names="Sam", surname="Roe", role=PersonRole.VICTIM,
                     date_of_birth=date(2012, 1, 1), depicted=True)  # fmt: skip
    add_role(db, partner, secret.id, sam.id, PersonRole.WITNESS)
    add_person(db, partner, secret.id, given_names="Kim", surname="Hidden", role=PersonRole.ACCUSED)
    assert _names(db, mine) == ["Doe", "Roe"]
    assert _names(db, partner) == ["Hidden", "Roe"]  # A-1 is agency_only
    assert _names(db, outsider) == []
    found = {h.person.id: h.roles for h in search_persons(db, mine)}
    assert [(r.number, r.role) for r in found[sam.id]] == [("B-1", "victim")]  # not the witness in B-2
    assert [(r.number, r.role) for r in found[alex.id]] == [("A-1", "suspect")]
    assert _names(db, mine, role=PersonRole.VICTIM) == ["Roe"]
    assert _names(db, mine, search="  sAM  roe ") == ["Roe"]
    assert _names(db, mine, search="sam doe") == []


def test_search_takes_like_wildcards_literally(db: Database) -> None:
    w = world(db)
    me = actor(w.coordinator)
    case = open_case(db, me, number="A-1", title="t")
    for surname in ("Under_score", "Underxscore", "Fifty%", "Fiftyish", "Back\\slash", "Backxslash"):
        add_person(db, me, case.id, given_names="P", surname=surname, role=PersonRole.WITNESS)
    assert _names(db, me, search="r_s") == ["Under_score"]
    assert _names(db, me, search="y%") == ["Fifty%"]
    assert _names(db, me, search="k\\s") == ["Back\\slash"]
    assert _names(db, me, search="%") == ["Fifty%"]
    assert like_pattern("a_b%") == "%a\\_b\\%%"


def test_search_needs_persons_read_and_is_audited(db: Database) -> None:
    w = world(db)
    me = actor(w.coordinator)
    case = open_case(db, me, number="A-1", title="t")
    add_person(db, me, case.id, given_names="Alex", surname="Doe", role=PersonRole.SUSPECT)
    with pytest.raises(PermissionDenied):
        search_persons(db, actor(w.coordinator, "examiner"))
    search_persons(db, me, search="doe", role=PersonRole.SUSPECT)
    with db.session() as s:
        last = s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(1)).one()
        assert (last.action, last.object_type) == ("record.read", "person")
        assert (last.detail["query"], last.detail["records"]) == ("doe role:suspect", 1)


def test_search_pages_in_name_order(db: Database) -> None:
    w = world(db)
    me = actor(w.coordinator)
    case = open_case(db, me, number="A-1", title="t")
    for n in range(30):
        add_person(db, me, case.id, given_names="P", surname=f"Name{n:02d}", role=PersonRole.WITNESS)
    first = _names(db, me, limit=25)
    rest = _names(db, me, limit=25, offset=25)
    assert first + rest == [f"Name{n:02d}" for n in range(30)]


def test_operation_detail_lists_visible_cases_only(db: Database) -> None:
    w = world(db)
    mine, partner = actor(w.coordinator), actor(w.partner)
    own = open_case(db, mine, number="A-1", title="t", operation=w.operation)
    open_case(db, partner, number="B-1", title="secret", operation=w.operation)
    detail = operation_detail(db, mine, w.operation)
    assert detail.cases is not None
    assert [c.id for c in detail.cases] == [own.id]
    assert [a.short_name for a in detail.agencies] == ["BPS", "PP"]
    assert detail.coordinator.short_name == "PP"
    assert [(o.operation.code, o.participants) for o in operation_summaries(db, mine)] == [("OP-1", 2)]
    assert operation_summaries(db, actor(w.outsider)) == []
    with pytest.raises(RecordNotFoundError):
        operation_detail(db, actor(w.outsider), w.operation)
