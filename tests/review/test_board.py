"""The victim identification board: series with unidentified victims, their clues and the cases holding
them; marking a victim identified updates the case's Victim record and takes the series off the board."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.review.scenario import SERIAL, build
from vigilant.cases.models import PersonRole, VictimRow
from vigilant.cases.people import add_person
from vigilant.errors import NotFoundError
from vigilant.review.board import board, mark_identified
from vigilant.review.decisions import Decision, Victim, decide
from vigilant.review.queue import QueueFilter, queue, sync
from vigilant.review.scope import Scope
from vigilant.security.rights import Actor, Role
from vigilant.store import Database


def test_the_board_lists_unidentified_victims_with_clues_and_takes_identified_ones_off(
    db: Database, tmp_path: Path
) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    rows = queue(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), QueueFilter(stacks_only=False)).rows
    ids = {r.item.name: r.item.id for r in rows}
    girl = Victim("under-12", "female")
    decide(
        sc.ctx, sc.examiner, ids["a.jpg"], Decision("1", series="New Q", victims=(girl,)), whole_stack=True
    )
    decide(sc.ctx, sc.examiner, ids["b.jpg"], Decision("1", victims=(Victim("12-17", "male"),),
           location_notes="school uniform crest"))  # fmt: skip
    decide(
        sc.ctx, sc.examiner, ids["c.png"], Decision("0", victims=(girl,))
    )  # not abuse material: not listed

    listed = {c.series: c for c in board(sc.ctx, sc.examiner)}
    assert set(listed) == {"New Q", f"stack {ids['b.jpg']}"}
    assert listed["New Q"].items == 2
    assert listed["New Q"].cases == {"OP-OWN-1"}
    clues = listed[f"stack {ids['b.jpg']}"]
    assert any(SERIAL in camera for camera in clues.cameras)
    assert clues.notes == {"school uniform crest"}
    assert clues.possible_production
    assert board(sc.ctx, sc.stranger) == []

    investigator = Actor(None, "inv", frozenset({Role.INVESTIGATOR}), sc.world.own_agency)
    person = add_person(db, investigator, sc.world.own_case, given_names="Generated", surname="Child",
                        role=PersonRole.VICTIM, date_of_birth=date(2015, 1, 1))  # fmt: skip
    with pytest.raises(NotFoundError):
        mark_identified(sc.ctx, investigator, "No such series", case_id=sc.world.own_case,
                        person_id=person.id, identified_on=date(2026, 3, 3))  # fmt: skip
    marked = mark_identified(
        sc.ctx, investigator, "New Q", case_id=sc.world.own_case, person_id=person.id,
        identified_on=date(2026, 3, 3), safeguarded_on=date(2026, 3, 4),
    )  # fmt: skip
    assert marked == 2
    with db.session() as s:
        victim = s.scalars(select(VictimRow).where(VictimRow.person_id == person.id)).one()
    assert (victim.identified_on, victim.safeguarded_on) == (date(2026, 3, 3), date(2026, 3, 4))
    assert [c.series for c in board(sc.ctx, sc.examiner)] == [f"stack {ids['b.jpg']}"]
