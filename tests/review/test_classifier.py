"""The optional classifier only orders the queue: its score becomes a bounded priority factor recorded with
the model that gave it, on new pictures at sync and on earlier ones by ``classify_run``; without the extra
the queue is ordered as before and says so. The plumbing is tested with a fake scorer; the real model
(NudeNet, the ``classifier`` extra) is loaded and scores benign pictures where it is installed."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import io
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples

from tests.review.scenario import Scenario, build
from tests.web.conftest import Clock, client, clock, log_in
from vigilant.demo.pictures import draw_image
from vigilant.errors import BadInputError
from vigilant.review import classifier as classifier_module
from vigilant.review.classifier import (
    EXTRA,
    FACTOR,
    POINTS_MAX,
    ClassifierInfo,
    ClassifierState,
    NudeNetScorer,
    installed_classifier,
)
from vigilant.review.classify import classify_run
from vigilant.review.media import unseal
from vigilant.review.models import ReviewMediaRow
from vigilant.review.queue import QueueFilter, queue, sync
from vigilant.review.scope import Scope
from vigilant.security.rights import Role
from vigilant.store import Database

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = ["client", "clock"]  # the fixtures this module borrows from the web tests
FAKE = ClassifierInfo("fake", "1.0", "ab" * 32)


def _key(picture: Image.Image) -> str:
    return hashlib.sha256(picture.convert("RGB").tobytes()).hexdigest()


class FakeScorer:
    """Scores pictures by their pixels from a table the test fills; 0 for a picture not in it."""

    def __init__(self, info: ClassifierInfo = FAKE, default: float = 0.0) -> None:
        self.info = info
        self.table: dict[str, float] = {}
        self.default = default
        self.calls = 0

    def score(self, picture: Image.Image) -> float:
        self.calls += 1
        return self.table.get(_key(picture), self.default)


def _rows(sc: Scenario) -> dict[str, tuple[int, int, list[dict[str, object]]]]:
    """name -> (item id, priority, reasons) of every item of the run."""
    page = queue(sc.ctx, sc.examiner, Scope(run_id=sc.run_id), QueueFilter(stacks_only=False, status="all"))
    return {r.item.name: (r.item.id, r.item.priority, r.reasons) for r in page.rows}


def _heads(sc: Scenario) -> list[str]:
    return [r.item.name for r in queue(sc.ctx, sc.examiner, Scope(run_id=sc.run_id)).rows]


def test_new_pictures_are_scored_at_sync_and_the_model_is_recorded(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    scorer = FakeScorer(default=0.5)
    sc = replace(sc, ctx=replace(sc.ctx, classifier=scorer))
    sync(sc.ctx, sc.examiner, sc.run_id)
    assert scorer.calls == 5  # every queued picture, once
    for name, (_, priority, reasons) in _rows(sc).items():
        [found] = [r for r in reasons if r["factor"] == FACTOR]
        assert (found["model"], found["version"], found["model_sha256"]) == (
            FAKE.name,
            FAKE.version,
            FAKE.model_sha256,
        )
        assert (found["score"], found["points"]) == (0.5, round(0.5 * POINTS_MAX)), name
        assert "never decides" in str(found["detail"])
        assert priority == sum(int(str(r["points"])) for r in reasons)


def test_a_score_orders_unknown_pictures_but_never_above_known_material(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)  # no classifier at sync: the queue is ordered as it always was
    sync(sc.ctx, sc.examiner, sc.run_id)
    before = _rows(sc)
    assert all(r["factor"] != FACTOR for _, _, reasons in before.values() for r in reasons)
    order = _heads(sc)
    assert set(order[:2]) == {"holiday.jpg", "b.jpg"}  # near known material, a seized camera
    assert order.index("c.png") > 2  # c.png ties with the a.jpg stack and comes after it
    with pytest.raises(BadInputError, match="no classifier"):
        classify_run(sc.ctx, sc.examiner, sc.run_id)

    # The model finds c.png most likely: scored after the fact, from its sealed thumbnail, it moves up.
    scorer = FakeScorer()
    c_id = before["c.png"][0]
    with db.session() as s:
        media = s.get(ReviewMediaRow, (c_id, "clear", 0))
        assert media is not None
        clear = unseal(sc.ctx.box, media.sealed, item_id=c_id, variant="clear", frame=0)
    with Image.open(io.BytesIO(clear)) as picture:
        scorer.table[_key(picture)] = 1.0
    scored = replace(sc, ctx=replace(sc.ctx, classifier=scorer))
    done = classify_run(scored.ctx, scored.examiner, scored.run_id)
    assert (done.scored, done.already, done.failed) == (5, 0, [])
    after = _rows(scored)
    assert after["c.png"][1] == before["c.png"][1] + POINTS_MAX
    assert all(after[n][1] == before[n][1] for n in before if n != "c.png")
    order = _heads(scored)
    assert order[2] == "c.png"  # first of the unknown pictures ...
    assert set(order[:2]) == {"holiday.jpg", "b.jpg"}  # ... and still after the library's and camera's
    again = classify_run(scored.ctx, scored.examiner, scored.run_id)
    assert (again.scored, again.already) == (0, 5)  # the same model does not score twice


def test_without_the_extra_the_queue_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    state = installed_classifier.__wrapped__()
    assert state.scorer is None
    assert "not installed" in state.note
    assert EXTRA in state.note


def test_the_page_says_the_classifier_is_not_installed(
    client: TestClient, db: Database, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = ClassifierState(None, f"classifier not installed ({EXTRA}): ordered by the factors shown")
    monkeypatch.setattr("vigilant.web.pages_review.installed_classifier", lambda: absent)
    monkeypatch.setattr("vigilant.web.api_review.installed_classifier", lambda: absent)
    sc = build(db, tmp_path / "scenario")
    assert log_in(client, sc.world.users[Role.EXAMINER], clock) == 303
    page = client.get(f"/review/runs/{sc.run_id}")
    assert page.status_code == 200
    assert "classifier not installed" in page.text
    queue_out = client.get(f"/api/v1/review/runs/{sc.run_id}/queue").json()
    assert queue_out["classifier"] == absent.note
    assert all(r["factor"] != FACTOR for i in queue_out["items"] for r in i["reasons"])


def test_the_real_model_loads_and_scores_benign_pictures() -> None:
    if importlib.util.find_spec("nudenet") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI installs the classifier extra ({EXTRA}), but nudenet is missing")
        pytest.skip(f"the classifier extra is not installed ({EXTRA}): the real model is not tested")
    state = installed_classifier()
    assert state.scorer is not None, state.note
    info = state.scorer.info
    model = Path(str(importlib.util.find_spec("nudenet").origin)).parent / "320n.onnx"  # type: ignore[union-attr]
    assert (info.name, info.version) == ("nudenet", importlib.metadata.version("nudenet"))
    assert info.model_sha256 == hashlib.sha256(model.read_bytes()).hexdigest()
    assert info.model_sha256[:16] in state.note
    # NudeNet's own detect is the oracle of the one-pass scores (a face is what benign pictures offer).
    detector = importlib.import_module("nudenet").NudeDetector()
    astronaut = Image.fromarray(np.asarray(samples.astronaut(), np.uint8))  # type: ignore[no-untyped-call]
    bgr = np.ascontiguousarray(np.asarray(astronaut)[:, :, ::-1])
    expected: dict[str, float] = {}
    for found in detector.detect(bgr):
        expected[found["class"]] = max(expected.get(found["class"], 0.0), found["score"])
    assert expected  # the astronaut's face
    assert isinstance(state.scorer, NudeNetScorer)
    scores = state.scorer.class_scores(astronaut)
    assert {k: round(v, 4) for k, v in scores.items() if k in expected} == {
        k: round(v, 4) for k, v in expected.items()
    }
    assert min(scores.values()) >= 0.25  # nothing below NudeNet's detection threshold
    photos = [
        Image.fromarray(np.asarray(getattr(samples, name)(), np.uint8)) for name in ("coffee", "camera")
    ]
    for picture in (*photos, draw_image(7)):  # a colour photo, a grey one, a generated picture
        score = state.scorer.score(picture)
        assert 0.0 <= score <= 1.0
        assert classifier_module.points_of(score) <= POINTS_MAX


class FailingScorer(FakeScorer):
    """Fails on the first picture it is given (a model error), scores the others 0.2."""

    def score(self, picture: Image.Image) -> float:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("model failed")
        return 0.2


def test_a_picture_the_model_fails_on_is_noted_and_scored_later(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    sc = replace(sc, ctx=replace(sc.ctx, classifier=FailingScorer()))
    assert sync(sc.ctx, sc.examiner, sc.run_id).items_added == 5  # the queue is filled all the same
    notes = [r for _, _, reasons in _rows(sc).values() for r in reasons if r["factor"] == FACTOR]
    [failed] = [r for r in notes if "not scored" in str(r["detail"])]
    assert "RuntimeError: model failed" in str(failed["detail"])
    assert (failed["points"], "model_sha256" in failed) == (0, False)
    assert sorted(int(str(r["points"])) for r in notes) == [0, 3, 3, 3, 3]
    done = classify_run(replace(sc.ctx, classifier=FakeScorer(default=1.0)), sc.examiner, sc.run_id)
    assert (done.scored, done.already, done.failed) == (1, 4, [])
    points = sorted(
        int(str(r["points"])) for _, _, rs in _rows(sc).values() for r in rs if r["factor"] == FACTOR
    )
    assert points == [3, 3, 3, 3, POINTS_MAX]
