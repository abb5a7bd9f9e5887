"""The optional classifier: a score per picture that only ORDERS the review queue, never a category.

The model is NudeNet's detector (its ``320n`` ONNX model ships inside the ``nudenet`` wheel; onnxruntime
runs it). NudeNet's licence file is the GNU AGPL-3.0 (its package metadata says MIT, the file it ships says
AGPL-3.0, and the model is a YOLOv8 network, AGPL-3.0 as well), which an Apache-2.0 project cannot take as
a dependency. So it is the optional extra ``pip install 'vigilant[classifier]'``, imported only in
:class:`NudeNetScorer`, at run time, where it is installed; nothing else in Vigilant imports it. Without
it, the queue is ordered as before and the pages say the classifier is not installed.

A picture's score is the detector's highest confidence for an exposed body part (0 when it finds none);
it adds at most :data:`POINTS_MAX` points to the item's priority, so it orders unknown pictures among
themselves and never lifts one above a near copy of known material or a seized camera's picture. The
labels the detector reports are not kept: only the number, with the model's name, version and SHA-256,
so the queue records which model ordered it. Pictures are scored from the clear thumbnail in memory;
nothing is written or logged.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from vigilant.review.models import ReviewItemRow

FACTOR = "classifier"
POINTS_MAX = 15
INPUT_SIDE = 320  # the bundled 320n model's input
DETECTION_THRESHOLD = 0.25  # NudeNet's detect keeps no box below this confidence
EXTRA = "pip install 'vigilant[classifier]'"
# The detector's classes that count toward the score; faces, feet, covered parts do not.
EXPOSED = frozenset(
    {
        "FEMALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)


@dataclass(frozen=True)
class ClassifierInfo:
    name: str
    version: str
    model_sha256: str

    def describe(self) -> str:
        return f"{self.name} {self.version} (model sha256 {self.model_sha256[:16]}…)"


class Scorer(Protocol):
    """What the queue needs of a classifier: who it is, and a score in [0, 1] per picture."""

    @property
    def info(self) -> ClassifierInfo: ...

    def score(self, picture: Image.Image) -> float: ...


class NudeNetScorer:
    """NudeNet's bundled model (the ``classifier`` extra), run on one thread per scorer.

    NudeNet's own ``detect`` prepares the picture (its ``_read_image``: padded to a square, 320 px, its
    channel order) and then walks the model's 2,100 candidate boxes in Python to draw boxes; a score needs
    none of that, only the highest class confidence among the candidates, read here in one numpy pass
    (candidates below NudeNet's own detection threshold count as nothing, as in ``detect``; its overlap
    suppression, which only thins out boxes, is not needed for a maximum). The tests hold
    :meth:`class_scores` to ``detect``'s output. One thread: the queue is filled alongside triage, and the
    default (every core) only contends with it.
    """

    def __init__(self, threads: int = 1) -> None:
        # AGPL-3.0: imported here only, never when Vigilant loads.
        module: Any = importlib.import_module("nudenet.nudenet")
        runtime: Any = importlib.import_module("onnxruntime")
        model = Path(module.__file__).parent / "320n.onnx"
        options = runtime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = runtime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._prepare = module._read_image
        self._labels: list[str] = list(vars(module)["__labels"])
        digest = hashlib.sha256(model.read_bytes()).hexdigest()
        self._info = ClassifierInfo("nudenet", importlib.metadata.version("nudenet"), digest)

    @property
    def info(self) -> ClassifierInfo:
        return self._info

    def class_scores(self, picture: Image.Image) -> dict[str, float]:
        """The highest confidence of each class the model detects in ``picture`` (at least the threshold)."""
        bgr = np.ascontiguousarray(np.asarray(picture.convert("RGB"))[:, :, ::-1])  # OpenCV's order
        blob = self._prepare(bgr, INPUT_SIDE)[0]
        output = self._session.run(None, {self._input: blob})[0]  # (1, 4 box values + classes, candidates)
        classes = np.asarray(output[0, 4:, :])
        best, which = classes.max(axis=0), classes.argmax(axis=0)
        kept = best >= DETECTION_THRESHOLD
        return {self._labels[int(c)]: float(best[kept & (which == c)].max()) for c in np.unique(which[kept])}

    def score(self, picture: Image.Image) -> float:
        found = self.class_scores(picture)
        return max((v for k, v in found.items() if k in EXPOSED), default=0.0)


@dataclass(frozen=True)
class ClassifierState:
    scorer: Scorer | None
    note: str  # what the pages say: which model orders the queue, or why none does


@functools.cache
def installed_classifier() -> ClassifierState:
    """The classifier when the extra is installed (loaded once per process), else why there is none."""
    if importlib.util.find_spec("nudenet") is None:
        return ClassifierState(None, f"classifier not installed ({EXTRA}): ordered by the factors shown")
    try:
        scorer = NudeNetScorer()
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        return ClassifierState(None, f"classifier installed but not loaded ({exc}): ordered without it")
    return ClassifierState(scorer, f"ordered with the classifier {scorer.info.describe()}: it never decides")


def points_of(score: float) -> int:
    return round(min(1.0, max(0.0, score)) * POINTS_MAX)


def reason_of(info: ClassifierInfo, score: float) -> dict[str, Any]:
    """The priority factor a score earns, with the model that gave it (recorded with the item)."""
    return {
        "factor": FACTOR,
        "points": points_of(score),
        "detail": f"classifier {info.name} {info.version} score {score:.2f} (orders only, never decides)",
        "score": round(score, 4),
        "model": info.name,
        "version": info.version,
        "model_sha256": info.model_sha256,
    }


def scored_by(item: ReviewItemRow, info: ClassifierInfo) -> bool:
    """Whether ``item`` already holds a score of this very model."""
    return any(r.get("factor") == FACTOR and r.get("model_sha256") == info.model_sha256 for r in item.reasons)


def score_item(scorer: Scorer, item: ReviewItemRow, clear_jpeg: bytes) -> str | None:
    """Score the item's clear thumbnail (in memory) and put the factor in its priority, replacing an
    earlier classifier's; returns why it could not be scored (the item then earns no classifier points and
    says so among its factors, without the model's digest, so that ``classify_run`` tries it again)."""
    why: str | None = None
    try:
        with Image.open(io.BytesIO(clear_jpeg)) as picture:
            reason = reason_of(scorer.info, scorer.score(picture))
    except Exception as exc:  # a model's failure on one picture must not stop the queue
        why = f"{type(exc).__name__}: {exc}"
        reason = {
            "factor": FACTOR,
            "points": 0,
            "detail": f"classifier {scorer.info.name}: not scored ({why})",
        }
    earlier = sum(int(r["points"]) for r in item.reasons if r.get("factor") == FACTOR)
    delta = int(reason["points"]) - earlier
    item.reasons = [r for r in item.reasons if r.get("factor") != FACTOR] + [reason]
    item.base_priority += delta
    item.priority += delta
    return why
