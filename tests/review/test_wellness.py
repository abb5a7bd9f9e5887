"""Wellness by default: blurred grey thumbnails, sealed at rest, reveals one at a time, audited, counted."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from tests.review.scenario import Scenario, build
from tests.web.conftest import Clock
from vigilant.errors import BadInputError, ConflictError, NotFoundError
from vigilant.review.cleanup import delete_case_review
from vigilant.review.models import ReviewItemRow, ReviewMediaRow
from vigilant.review.queue import QueueFilter, queue, sync
from vigilant.review.scope import Scope
from vigilant.review.wellness import (
    Limits,
    blurred,
    clear,
    my_exposure,
    reveal,
    set_limits,
    touch,
    unit_exposure,
)
from vigilant.security.audit import AuditLog
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import Actor, Role
from vigilant.store import Database


def _first(sc: Scenario, name: str) -> int:
    page = queue(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), QueueFilter(stacks_only=False))
    return next(r.item.id for r in page.rows if r.item.name == name)


def test_the_default_thumbnail_is_blurred_and_grey_and_sealed_at_rest(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    item = _first(sc, "b.jpg")
    shown = Image.open(io.BytesIO(blurred(sc.ctx, sc.examiner, item)))
    assert shown.mode == "L"  # greyscale, made on the server
    assert max(shown.size) <= 320
    # Blurred: far less detail than the clear thumbnail of the same picture at the same size.
    reveal(sc.ctx, sc.examiner, item, "categorise")
    sharp = Image.open(io.BytesIO(clear(sc.ctx, sc.examiner, item))).convert("L").resize(shown.size)
    assert _detail(shown) < _detail(sharp) / 2
    with db.session() as s:
        stored = s.scalars(select(ReviewMediaRow.sealed).where(ReviewMediaRow.item_id == item)).all()
    assert stored
    for sealed in stored:  # no JPEG at rest: only sealed text
        assert b"\xff\xd8" not in sealed
        assert sealed.startswith(b"v1:")


def _detail(image: Image.Image) -> float:
    """Mean absolute difference between horizontal neighbours: what a blur takes away."""
    pixels = np.asarray(image, dtype=np.int16)
    return float(np.abs(np.diff(pixels, axis=1)).mean())


def test_a_reveal_is_one_item_for_a_limited_time_and_audited(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    clock = sc.ctx.clock
    assert isinstance(clock, Clock)
    first, second = _first(sc, "a.jpg"), _first(sc, "c.png")
    with pytest.raises(PermissionDenied):
        clear(sc.ctx, sc.examiner, first)  # nothing revealed yet
    with pytest.raises(BadInputError, match="reason"):
        reveal(sc.ctx, sc.examiner, first, "  ")
    reveal(sc.ctx, sc.examiner, first, "check the category")
    assert clear(sc.ctx, sc.examiner, first)[:2] == b"\xff\xd8"
    reveal(sc.ctx, sc.examiner, second, "compare")  # one at a time: the first closes
    with pytest.raises(PermissionDenied):
        clear(sc.ctx, sc.examiner, first)
    clock.advance(seconds=31)  # the default reveal lasts 30 s
    with pytest.raises(PermissionDenied):
        clear(sc.ctx, sc.examiner, second)
    events = AuditLog(db).search(Actor.cli("root"), now=clock(), action="review.reveal")
    who = str(sc.examiner.user_id)  # the audit log names a user by id
    assert [(e.actor, e.object_id, e.detail["reason"]) for e in events] == [
        (who, str(second), "compare"),
        (who, str(first), "check the category"),
    ]
    assert my_exposure(sc.ctx, sc.examiner).revealed == 2


def test_exposure_counts_time_and_the_unit_limits_reveals(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    clock = sc.ctx.clock
    assert isinstance(clock, Clock)
    coordinator = Actor(None, "coord", frozenset({Role.COORDINATOR}), sc.world.own_agency)
    with pytest.raises(PermissionDenied):
        set_limits(sc.ctx, sc.examiner, sc.world.own_agency, Limits(reveals_per_day=1))
    set_limits(sc.ctx, coordinator, sc.world.own_agency, Limits(reveals_per_day=1, break_every_minutes=2))
    item = _first(sc, "a.jpg")
    for _ in range(4):  # four minutes of work, a minute apart
        blurred(sc.ctx, sc.examiner, item)
        clock.advance(seconds=60)
    exposure = my_exposure(sc.ctx, sc.examiner)
    assert exposure.minutes == 4
    assert exposure.break_due  # two minutes is this unit's stretch
    reveal(sc.ctx, sc.examiner, item, "categorise")
    with pytest.raises(ConflictError, match="limit"):
        reveal(sc.ctx, sc.examiner, item, "again")
    clock.advance(minutes=10)  # a break
    assert not my_exposure(sc.ctx, sc.examiner).break_due
    # The supervisor sees numbers, never the material.
    assert unit_exposure(sc.ctx, coordinator) == [(sc.examiner.username, clock().date().isoformat(), 1, 4)]
    with pytest.raises(PermissionDenied):
        blurred(sc.ctx, coordinator, item)


def test_deleting_review_rows_removes_their_media(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sync(sc.ctx, sc.examiner, sc.run_id)
    removed = delete_case_review(sc.ctx, Actor.cli("root"), "OP-OWN-1")
    assert removed == 5
    with db.session() as s:
        assert s.scalars(select(ReviewMediaRow)).all() == []
        assert s.scalars(select(ReviewItemRow)).all() == []
    with pytest.raises(NotFoundError):
        blurred(sc.ctx, sc.examiner, 1)


def test_concurrent_requests_count_exposure_without_failing(db: Database, tmp_path: Path) -> None:
    """A page asks for its thumbnails at once: the first day's exposure row must not be made twice (the
    browser test found the unique key refused to the slower request), and no reveal may be lost."""
    sc = build(db, tmp_path)
    failures: list[BaseException] = []

    def count() -> None:
        try:
            touch(sc.ctx, sc.examiner, revealed=1)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert my_exposure(sc.ctx, sc.examiner).revealed == 8
