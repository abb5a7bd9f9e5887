"""Categorising (per item, per stack, undo), the VICS export read back by Vigilant's importer, promoting to
the library so the next triage matches, and the material figures."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.review.scenario import LAB, Scenario, build
from vigilant.errors import BadInputError, NotFoundError
from vigilant.library.formats import formats
from vigilant.library.formats.base import ReaderOptions
from vigilant.library.records import KnownEntry
from vigilant.review.decisions import Decision, Victim, decide, undo
from vigilant.review.outputs import export_vics, figures, promote
from vigilant.review.queue import QueueFilter, progress, queue, sync
from vigilant.review.scope import Scope
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.settings import TriageSettings


def _item(sc: Scenario, name: str) -> int:
    page = queue(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), QueueFilter(stacks_only=False, status="all"))
    return next(r.item.id for r in page.rows if r.item.name == name)


def _categorise(sc: Scenario) -> None:
    girl = Victim(age_band="under-12", sex="female")
    decide(sc.ctx, sc.examiner, _item(sc, "a.jpg"), Decision("1", series="New Q", new_series=True,
           victims=(girl,), sexual_assault=True), whole_stack=True)  # fmt: skip
    decide(sc.ctx, sc.examiner, _item(sc, "b.jpg"), Decision("1", victims=(Victim("12-17", "male"),)))
    decide(sc.ctx, sc.examiner, _item(sc, "c.png"), Decision("0"))


def test_one_decision_settles_a_stack_and_undo_takes_it_back(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    scope = Scope(run_id=sc.run_id)
    decided = decide(sc.ctx, sc.examiner, _item(sc, "a-rotated.jpg"), Decision("1"), whole_stack=True)
    assert len(decided.items) == 2
    assert queue(sc.ctx, sc.examiner, scope).total == 3  # the stack left the open queue
    assert progress(sc.ctx, sc.examiner, scope).by_examiner[0].decided == 2
    assert undo(sc.ctx, sc.examiner).items == decided.items
    assert queue(sc.ctx, sc.examiner, scope).total == 4
    with pytest.raises(NotFoundError):
        undo(sc.ctx, sc.examiner)
    with pytest.raises(BadInputError, match="not defined"):
        decide(sc.ctx, sc.examiner, decided.items[0], Decision("9"))
    with pytest.raises(BadInputError, match="age band"):
        decide(sc.ctx, sc.examiner, decided.items[0], Decision("1", victims=(Victim("toddler"),)))
    uk = decide(sc.ctx, sc.examiner, decided.items[0], Decision("b", profile="caid-uk"))
    assert uk.category == "B"
    undo(sc.ctx, sc.examiner)  # the run has no decision left: its profile may be chosen again
    # The seized camera's picture is flagged "possible production" whatever the examiner ticked.
    decide(sc.ctx, sc.examiner, _item(sc, "b.jpg"), Decision("1"))
    with pytest.raises(NotFoundError):
        decide(sc.ctx, sc.stranger, decided.items[0], Decision("1"))


def test_the_vics_export_reads_back_through_the_importer(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    _categorise(sc)
    out = io.BytesIO()
    written = export_vics(sc.ctx, sc.examiner, Scope(case_number="OP-OWN-1"), out)
    assert written == 4  # a.jpg, a-rotated.jpg, b.jpg, c.png (holiday.jpg is not decided)
    path = tmp_path / "review.json"
    path.write_bytes(out.getvalue())
    reader = formats().detect(path)
    assert reader.name == "vics"
    entries = [e for e in reader.read(path, ReaderOptions()) if isinstance(e, KnownEntry)]
    by_series = {e.series: e for e in entries if e.series}
    assert by_series["New Q"].category == "1"
    assert "new-series" in by_series["New Q"].tags
    assert "sexual-assault" in by_series["New Q"].tags
    assert by_series["New Q"].pdq is not None
    assert sorted(e.category or "" for e in entries) == ["0", "1", "1", "1"]
    production = [e for e in entries if "possible-production" in e.tags]
    assert len(production) == 1  # b.jpg: its camera was seized
    assert b"seized" not in out.getvalue()  # no paths or names of the seized files


def test_promoted_material_is_matched_by_the_next_triage(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    _categorise(sc)
    report = promote(sc.ctx, sc.examiner, Scope(case_number="OP-OWN-1"), name="Review OPS")
    assert report.hash_set is not None
    assert (report.hash_set.version, report.hash_set.kind.value) == ("1", "known-bad")
    assert report.rows_taken == 3  # category 1 only: c.png (0, non-pertinent) stays out
    assert "examiner-ops" in (report.hash_set.source or "")
    again = promote(sc.ctx, sc.examiner, Scope(case_number="OP-OWN-1"), name="Review OPS")
    assert again.hash_set is not None
    assert again.hash_set.version == "2" or again.already_imported

    rerun = sc.triage.start(sc.evidence_id, TriageSettings(processes=0, threads=1), LAB, Progress())
    result = sync(sc.ctx, sc.examiner, rerun)
    names = sorted(r.item.name for r in queue(sc.ctx, sc.examiner, Scope(run_id=rerun),
                                               QueueFilter(stacks_only=False)).rows)  # fmt: skip
    assert names == ["c.png", "holiday.jpg"]  # the promoted pictures are now settled by their digests
    assert result.items_added == 2


def test_figures_count_series_and_victims_without_naming_anyone(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    _categorise(sc)
    found = figures(sc.ctx, sc.examiner, Scope(operation_id=sc.world.own_operation))
    assert (found.series, found.victims, found.items) == (2, 2, 3)
    assert (found.under_12.count, found.under_12.of, found.under_12.percent) == (1, 2, 50.0)
    assert (found.girls.count, found.boys.count) == (1, 1)
    assert (found.sexual_assault.count, found.sexual_assault.of) == (1, 2)
    text = "\n".join(found.lines())
    assert "under 12: 50 per cent (1 of 2)" in text
    assert figures(sc.ctx, sc.stranger, Scope(operation_id=sc.world.own_operation)).series == 0


def test_a_stack_decided_one_item_at_a_time_still_shows_what_is_left(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    scope = Scope(run_id=sc.run_id)
    [head] = [r for r in queue(sc.ctx, sc.examiner, scope).rows if r.stack_size == 2]
    decide(sc.ctx, sc.examiner, head.item.id, Decision("1"))  # the item alone, not its stack
    rows = queue(sc.ctx, sc.examiner, scope).rows
    assert len(rows) == 4  # the stack's other item now stands for it
    [rest] = [r for r in rows if r.item.stack_id == head.item.stack_id]
    assert rest.item.id != head.item.id
    decide(sc.ctx, sc.examiner, rest.item.id, Decision("1"))
    assert len(queue(sc.ctx, sc.examiner, scope).rows) == 3
    undo(sc.ctx, sc.examiner)
    assert [r.item.id for r in queue(sc.ctx, sc.examiner, scope).rows if r.stack_size == 2] == [rest.item.id]
