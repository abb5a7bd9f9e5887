"""Person resolution across cases and agencies: proposals, judgements honoured on re-runs, profiles, and
what a caller who may not see the other record is told. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from tests.cases.helpers import World, actor, world
from vigilant.cases.errors import InvalidRecordError, RecordNotFoundError
from vigilant.cases.links import link_identifier
from vigilant.cases.models import Distribution, PersonRole
from vigilant.cases.people import add_person
from vigilant.cases.service import open_case
from vigilant.links.judgements import Verdict, judge
from vigilant.links.xref import get_proposal, list_proposals, profile, run_xref
from vigilant.links.xref_model import PRIOR_WEIGHT
from vigilant.security.models import AuditEventRow
from vigilant.store import Database


@dataclass(frozen=True)
class Cases:
    pp: int  # Provincial Police, in the operation
    bps: int  # Barrie Police, in the operation
    hrp: int  # Halifax Police, outside it, agency only


def _cases(db: Database) -> tuple[Cases, World]:
    w = world(db)
    pp = open_case(db, actor(w.coordinator), number="PP-1", title="pp", operation=w.operation,
                   distribution=Distribution.OPERATION).id  # fmt: skip
    bps = open_case(db, actor(w.partner), number="BPS-1", title="bps", operation=w.operation,
                    distribution=Distribution.OPERATION).id  # fmt: skip
    hrp = open_case(db, actor(w.outsider), number="HRP-1", title="hrp").id
    return Cases(pp, bps, hrp), w


def _person(
    db: Database, where: tuple[int, int], given: str, surname: str, dob: date | None, **kw: str
) -> int:
    """An accused person, ``where`` = (agency, case)."""
    agency, case = where
    return add_person(db, actor(agency), case, given_names=given, surname=surname, role=PersonRole.ACCUSED,
                      date_of_birth=dob, **kw).id  # type: ignore[arg-type]  # fmt: skip


def test_nickname_and_accents_across_two_agencies_are_proposed_with_their_comparisons(db: Database) -> None:
    cases, w = _cases(db)
    robert = _person(
        db, (w.coordinator, cases.pp), "Robert James", "Tremblay", date(1980, 3, 4), gender="male"
    )
    bob = _person(db, (w.partner, cases.bps), "Bob", "Tremblay", date(1980, 3, 4), gender="m")
    helene = _person(db, (w.coordinator, cases.pp), "Hélène", "Côté-Roy", date(1991, 7, 9))
    helene2 = _person(db, (w.partner, cases.bps), "Helene", "Cote Roy", date(1991, 7, 9))
    _person(db, (w.partner, cases.bps), "Mary", "Smith", date(1970, 1, 1))

    summary = run_xref(db, actor(w.coordinator, "analyst"))

    assert summary.persons == 5
    assert summary.proposals == 2
    views = list_proposals(db, actor(w.coordinator, "analyst"))
    pairs = {frozenset((v.person.id, v.other.id)): v for v in views if v.other}
    assert set(pairs) == {frozenset((robert, bob)), frozenset((helene, helene2))}
    nick = pairs[frozenset((robert, bob))]
    assert nick.status == "open"
    assert nick.match_probability > 0.95
    levels = {c["comparison"]: c["level"] for c in nick.comparisons}
    assert levels["name"] == "nickname or variant of the given name, same surname"
    assert levels["date of birth"] == "same date of birth"
    # The score is the prior plus the comparisons' weights: the explanation adds up.

    assert nick.match_weight == pytest.approx(
        PRIOR_WEIGHT + sum(c["weight"] for c in nick.comparisons), abs=0.01
    )
    assert {c["level"] for c in pairs[frozenset((helene, helene2))].comparisons} >= {"same name"}


def test_runs_are_reproducible(db: Database) -> None:
    cases, w = _cases(db)
    _person(db, (w.coordinator, cases.pp), "Margaret", "Wilson", date(1966, 2, 1))
    _person(db, (w.partner, cases.bps), "Peggy", "Wilson", date(1966, 1, 2))
    analyst = actor(w.coordinator, "analyst")
    run_xref(db, analyst)
    first = [v.as_dict() for v in list_proposals(db, analyst, status="all")]
    run_xref(db, analyst)
    assert [v.as_dict() for v in list_proposals(db, analyst, status="all")] == first
    assert len(first) == 1
    assert first[0]["comparisons"][1]["level"] == "day and month swapped, or one digit off"


def test_a_rejected_pair_comes_back_only_when_its_evidence_changes(db: Database) -> None:
    cases, w = _cases(db)
    a = _person(db, (w.coordinator, cases.pp), "Daniel", "Roy", date(1985, 5, 5))
    _person(db, (w.partner, cases.bps), "Dan", "Roy", date(1985, 5, 5))
    analyst = actor(w.coordinator, "analyst")
    run_xref(db, analyst)
    (view,) = list_proposals(db, analyst)
    judge(db, analyst, view.id, Verdict.NOT_SAME, "different fathers' names in the warrant files")

    run_xref(db, analyst)
    assert list_proposals(db, analyst) == []
    (kept,) = list_proposals(db, analyst, status="all")
    assert kept.status == "not_same"
    assert kept.judgement
    assert kept.judgement["reason"].startswith("different")

    # New evidence on one side: the pair's fingerprint changes, and the pair is asked again.
    link_identifier(db, actor(w.coordinator), cases.pp, "email", "d.roy@example.com", person_id=a)
    run_xref(db, analyst)
    (back,) = list_proposals(db, analyst)
    assert back.status == "reopened"


def test_confirmed_pairs_make_one_profile_across_cases(db: Database) -> None:
    cases, w = _cases(db)
    a = _person(db, (w.coordinator, cases.pp), "William", "Gagnon", date(1979, 11, 30))
    b = _person(db, (w.partner, cases.bps), "Bill", "Gagnon", date(1979, 11, 30))
    c = _person(db, (w.partner, cases.bps), "Will", "Gagnon", date(1979, 11, 30), address="1 Main St")
    analyst = actor(w.coordinator, "analyst")
    run_xref(db, analyst)
    by_pair = {frozenset((v.person.id, v.other.id)): v for v in list_proposals(db, analyst) if v.other}
    judge(db, analyst, by_pair[frozenset((a, b))].id, Verdict.SAME, "same fingerprints on arrest")
    judge(db, analyst, by_pair[frozenset((b, c))].id, Verdict.SAME, "same phone seized")

    assert [p.id for p in profile(db, analyst, a).persons] == [a, b, c]
    # a and c were never judged together, but the profile already joins them: not asked again.
    assert get_proposal(db, analyst, by_pair[frozenset((a, c))].id).status == "same_profile"
    assert list_proposals(db, analyst) == []

    # A confirmation stands when a record later gains evidence, unlike a rejection; the ids stay.
    link_identifier(db, actor(w.partner), cases.bps, "phone", "+1 705 555 0199", person_id=b)
    run_xref(db, analyst)
    assert get_proposal(db, analyst, by_pair[frozenset((a, b))].id).status == "same"
    assert list_proposals(db, analyst) == []


def test_another_agencys_record_shows_only_who_holds_it(db: Database) -> None:
    cases, w = _cases(db)
    mine = _person(
        db, (w.coordinator, cases.pp), "Jean-Luc", "Bouchard", date(1972, 8, 14), municipality="Orillia"
    )
    theirs = _person(db, (w.outsider, cases.hrp), "Jean Luc", "Bouchard", date(1972, 8, 14),
                     municipality="Dartmouth", address="77 Quinpool Road", gender="male")  # fmt: skip
    link_identifier(db, actor(w.outsider), cases.hrp, "phone", "+1 902 555 0142", person_id=theirs)
    run_xref(db, actor(w.coordinator, "analyst"))

    analyst = actor(w.coordinator, "analyst")
    (view,) = list_proposals(db, analyst, status="all")
    assert view.person.id == mine
    assert view.other is None
    assert view.status == "withheld"
    assert view.withheld == "a possible match is held by Halifax Police — contact its coordinator"
    text = json.dumps(view.as_dict())
    for leak in (
        f'"id": {theirs}',
        "Dartmouth",
        "Quinpool",
        "902",
        "Jean Luc",
        "HRP",
        "male",
        'comparisons": [{',
    ):
        assert leak not in text
    with pytest.raises(RecordNotFoundError):
        judge(db, analyst, view.id, Verdict.SAME, "looks like him")
    assert profile(db, analyst, mine).withheld == ()

    # Halifax sees its own person, and of ours only that Provincial Police holds a possible match.
    (seen,) = list_proposals(db, actor(w.outsider, "analyst"), status="all")
    assert seen.person.id == theirs
    assert seen.withheld
    assert "Provincial Police" in seen.withheld
    assert "Orillia" not in json.dumps(seen.as_dict())


def test_judgements_are_audited_and_need_a_reason(db: Database) -> None:
    cases, w = _cases(db)
    _person(db, (w.coordinator, cases.pp), "Catherine", "Lavoie", date(1990, 4, 4))
    _person(db, (w.partner, cases.bps), "Kathy", "Lavoie", date(1990, 4, 4))
    analyst = actor(w.coordinator, "analyst")
    run_xref(db, analyst)
    (view,) = list_proposals(db, analyst)

    with pytest.raises(InvalidRecordError):
        judge(db, analyst, view.id, Verdict.UNSURE, "  ")
    row = judge(db, analyst, view.id, Verdict.UNSURE, "photo too old to tell")
    assert list_proposals(db, analyst)[0].status == "unsure"
    with db.session() as s:
        events = list(s.scalars(select(AuditEventRow).where(AuditEventRow.object_type.like("xref%"))))
    kinds = {(e.action, e.object_type, e.object_id) for e in events}
    assert ("record.changed", "xref_judgement", str(row.id)) in kinds
    assert any(e.object_type == "xref_run" for e in events)
    assert any(e.action == "record.read" and e.object_type == "xref_proposal" for e in events)
