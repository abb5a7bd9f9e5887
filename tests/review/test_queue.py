"""The review queue from a finished run: what enters it, in which order and why, stacks, scoping."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.scenario import LAB, SERIAL, build
from vigilant.errors import NotFoundError
from vigilant.review.queue import QueueFilter, progress, queue, stack_members, stacks, sync, visible_item
from vigilant.review.scope import Scope
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import Actor, Role
from vigilant.store import Database


def test_unsettled_pictures_enter_the_queue_ordered_by_explained_priority(
    db: Database, tmp_path: Path
) -> None:
    sc = build(db, tmp_path)
    result = sync(sc.ctx, sc.examiner, sc.run_id)
    assert (result.batches_read, result.items_added, result.items_total) == (1, 5, 5)
    again = sync(sc.ctx, sc.examiner, sc.run_id)  # nothing new: nothing added
    assert (again.batches_read, again.items_added) == (0, 0)

    page = queue(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), QueueFilter(stacks_only=False))
    names = [r.item.name for r in page.rows]
    assert sorted(names) == ["a-rotated.jpg", "a.jpg", "b.jpg", "c.png", "holiday.jpg"]  # known.jpg: settled
    # Near known material and a seized camera's picture (possible production) come before the unknown ones.
    assert set(names[:2]) == {"holiday.jpg", "b.jpg"}
    factors = {r.item.name: {x["factor"]: x for x in r.reasons} for r in page.rows}
    assert SERIAL in factors["b.jpg"]["seized-camera"]["detail"]
    near = factors["holiday.jpg"]["near-known"]
    assert "pdq distance" in near["detail"]
    assert "Series Q" in near["detail"]
    # known.jpg (an exact hit) sits in new/: its neighbours earn the folder's hit density.
    assert factors["c.png"]["folder-density"]["detail"] == "1 known-bad file in the same folder"
    assert "folder-density" not in factors["holiday.jpg"]
    assert [r.item.priority for r in page.rows] == sorted((r.item.priority for r in page.rows), reverse=True)
    for row in page.rows:
        assert row.item.priority == sum(x["points"] for x in row.reasons)


def test_a_rotated_copy_joins_its_original_in_one_stack(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    result = sync(sc.ctx, sc.examiner, sc.run_id)
    assert result.stacks == 4
    page = queue(sc.ctx, sc.examiner, Scope(run_id=sc.run_id))  # one row per stack by default
    assert page.total == 4
    [head] = [r for r in page.rows if r.item.name in ("a.jpg", "a-rotated.jpg")]
    assert head.stack_size == 2
    members = stack_members(sc.ctx, sc.examiner, head.item.id)
    assert sorted(m.name for m in members) == ["a-rotated.jpg", "a.jpg"]
    listed = stacks(sc.ctx, sc.examiner, Scope(case_number="OP-OWN-1"))
    assert sorted(s.size for s in listed) == [1, 1, 1, 2]


def test_filters_narrow_the_queue(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    scope = Scope(evidence_id=sc.evidence_id)
    near = queue(sc.ctx, sc.examiner, scope, QueueFilter(near_only=True))
    assert [r.item.name for r in near.rows] == ["holiday.jpg"]
    seized = queue(sc.ctx, sc.examiner, scope, QueueFilter(seized_only=True))
    assert [r.item.name for r in seized.rows] == ["b.jpg"]
    folder = queue(sc.ctx, sc.examiner, scope, QueueFilter(folder="/near", stacks_only=False))
    assert [r.item.name for r in folder.rows] == ["holiday.jpg"]
    assert queue(sc.ctx, sc.examiner, scope, QueueFilter(status="decided")).total == 0
    assert progress(sc.ctx, sc.examiner, scope).items == 5


def test_another_agency_sees_nothing(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    with pytest.raises(NotFoundError):
        sync(sc.ctx, sc.stranger, sc.run_id)
    assert queue(sc.ctx, sc.stranger, Scope()).total == 0
    first = queue(sc.ctx, sc.examiner, Scope()).rows[0].item.id
    with pytest.raises(NotFoundError):
        visible_item(sc.ctx, sc.stranger, first)
    auditor = Actor(None, "aud", frozenset({Role.AUDITOR}), sc.world.own_agency)
    with pytest.raises(PermissionDenied):
        queue(sc.ctx, auditor, Scope())


def test_items_enter_the_queue_with_a_note_when_the_evidence_cannot_be_read(
    db: Database, tmp_path: Path
) -> None:
    sc = build(db, tmp_path)
    sc.folder.rename(tmp_path / "unplugged")  # the seized folder is no longer where it was added
    result = sync(sc.ctx, sc.examiner, sc.run_id)
    assert result.items_added == 5
    rows = queue(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), QueueFilter(stacks_only=False)).rows
    for row in rows:
        assert row.item.media_note is not None
        assert str(sc.folder) in row.item.media_note


def test_review_starts_while_triage_runs_batch_by_batch(db: Database, tmp_path: Path) -> None:
    """Triage writes a batch file as each batch finishes: the queue takes what is there and, called again,
    what came since, ending as it would have from the finished run (folder density included)."""
    sc = build(db, tmp_path, batch_files=2)
    results = Path(sc.triage.status(sc.run_id, LAB).results_dir)
    batches = sorted(results.glob("batch-*.parquet"))
    assert len(batches) == 3
    for later in batches[1:]:  # not written yet
        later.rename(later.with_name("pending-" + later.name))
    first = sync(sc.ctx, sc.examiner, sc.run_id)
    assert first.batches_read == 1
    for pending in results.glob("pending-*"):
        pending.rename(pending.with_name(pending.name.removeprefix("pending-")))
    rest = sync(sc.ctx, sc.examiner, sc.run_id)
    assert (rest.batches_read, first.items_added + rest.items_added, rest.items_total) == (2, 5, 5)
    assert rest.stacks == 4
    rows = queue(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), QueueFilter(stacks_only=False)).rows
    density = {r.item.name: r.item.folder_hits for r in rows}
    assert density == {"holiday.jpg": 0, "a.jpg": 1, "a-rotated.jpg": 1, "b.jpg": 1, "c.png": 1}
