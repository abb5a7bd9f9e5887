"""Review benchmarks, each side by side with its peer in the same run.

1. Thumbnails per core: Vigilant's review stills (decode through Pillow's thumbnail, a 512 px clear JPEG, a
   320 px greyscale blurred JPEG made from it, both sealed with AES-256-GCM) against a plain Pillow loop
   (open, thumbnail to 320 px, save as JPEG) on the same generated, benign 1024x768 JPEGs, one thread each.
   Target: >= 0.8x the plain loop's pictures per second.
2. Stacking: :func:`vigilant.review.stacks.stack_ids` (every picture's 8 dihedral hashes in the exact PDQ
   index, searched with each picture's own hash) on clustered codes (families of near copies), against
   naive pairwise comparison (numpy: every picture's 8 hashes against every code, XOR and popcount) at
   10^4; Vigilant alone at 10^5.
   Both must give the same stacks at 10^4. Target: 10^5 pictures in < 30 s.
   With the optional classifier installed (``vigilant[classifier]``): the same stills plus NudeNet's score
   of the clear one (what a sync does per picture), against NudeNet's own ``detect`` on each original
   JPEG (its decode included): the cost of ordering, per core. No target: the classifier is optional.
3. The queue page's query: :func:`vigilant.review.queue.queue` (one row per stack, undecided only, scoped to
   what an examiner of the agency may see, with the count) over 10^5 items in SQLite, 200 calls at random
   offsets; peer: the bare ``SELECT … ORDER BY priority DESC LIMIT 50`` on the same table.
   Target: p99 < 200 ms.

Run alone: ``.venv/bin/python bench/review_bench.py [--quick]``. Data is generated in a temporary folder.
"""

from __future__ import annotations

import importlib
import io
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import insert

from vigilant.cases.models import AgencyRow, CaseRow
from vigilant.demo.pictures import draw_image
from vigilant.evidence.models import EvidenceItemRow
from vigilant.review.classifier import NudeNetScorer, Scorer, installed_classifier
from vigilant.review.context import ReviewContext
from vigilant.review.media import seal, stills_of_picture
from vigilant.review.models import ReviewItemRow
from vigilant.review.queue import QueueFilter, queue
from vigilant.review.scope import Scope
from vigilant.review.stacks import stack_ids
from vigilant.security.rights import Actor, Role
from vigilant.security.secretbox import SecretBox
from vigilant.store import Database
from vigilant.triage.models import TriageRunRow

Row = dict[str, object]
SCALES = {
    "quick": {"pictures": 60, "stack": 20_000, "pairwise": 2_000, "items": 20_000, "calls": 50},
    "full": {"pictures": 300, "stack": 100_000, "pairwise": 10_000, "items": 100_000, "calls": 200},
}


# --- 1. thumbnails ----------------------------------------------------------------------------------------
def _pictures(count: int) -> list[bytes]:
    made = []
    for seed in range(count):
        out = io.BytesIO()
        draw_image(seed, (1024, 768)).save(out, "JPEG", quality=90)
        made.append(out.getvalue())
    return made


def _ours(pictures: list[bytes], box: SecretBox, scorer: Scorer | None = None) -> float:
    """Pictures per second made into sealed stills (and, given a ``scorer``, scored as a sync does)."""
    started = time.perf_counter()
    for n, data in enumerate(pictures):
        media = stills_of_picture(data, "full", dihedral=False)
        for still in media.stills:
            seal(box, still.clear, item_id=n, variant="clear", frame=0)
            seal(box, still.blurred, item_id=n, variant="blurred", frame=0)
        if scorer is not None:
            with Image.open(io.BytesIO(media.stills[0].clear)) as clear:
                scorer.score(clear)
    return len(pictures) / (time.perf_counter() - started)


def _medians(ours: Callable[[], float], peer: Callable[[], float], rounds: int = 3) -> tuple[float, float]:
    """Both rates, alternated ``rounds`` times: the medians."""
    mine, theirs = [], []
    for _ in range(rounds):
        mine.append(ours())
        theirs.append(peer())
    return float(np.median(mine)), float(np.median(theirs))


def _plain(pictures: list[bytes]) -> float:
    started = time.perf_counter()
    for data in pictures:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((320, 320))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
    return len(pictures) / (time.perf_counter() - started)


def bench_thumbnails(count: int) -> list[Row]:
    pictures = _pictures(count)
    box = SecretBox.generate()
    _ours(pictures[:5], box), _plain(pictures[:5])  # warm-up
    mine, peer = _medians(lambda: _ours(pictures, box), lambda: _plain(pictures))
    data = f"{count} JPEG 1024x768"
    return [
        {
            "benchmark": "review thumbnails",
            "subject": "vigilant (clear + grey blurred + sealed)",
            "metric": "pictures/s (one core)",
            "value": round(mine, 1),
            "unit": "/s",
            "data": data,
            "target": ">= 0.8x plain Pillow",
            "met": mine >= 0.8 * peer,
        },
        {
            "benchmark": "review thumbnails",
            "subject": "plain Pillow thumbnail loop",
            "metric": "pictures/s (one core)",
            "value": round(peer, 1),
            "unit": "/s",
            "data": data,
            "ratio": round(mine / peer, 2),
        },
    ]


def _detect(pictures: list[bytes], detector: Any) -> float:
    started = time.perf_counter()
    for data in pictures:
        detector.detect(data)
    return len(pictures) / (time.perf_counter() - started)


def bench_classifier(count: int) -> list[Row]:
    state = installed_classifier()
    if not isinstance(state.scorer, NudeNetScorer):
        return [{"benchmark": "review thumbnails + classifier", "subject": "vigilant", "note": state.note}]
    scorer = state.scorer
    detector = importlib.import_module("nudenet").NudeDetector()  # the peer: NudeNet's own, same model
    pictures = _pictures(count)
    box = SecretBox.generate()
    _ours(pictures[:5], box, scorer), _detect(pictures[:5], detector)  # warm-up
    mine, peer = _medians(lambda: _ours(pictures, box, scorer), lambda: _detect(pictures, detector))
    data = f"{count} JPEG 1024x768, {scorer.info.name} {scorer.info.version}"
    return [
        {
            "benchmark": "review thumbnails + classifier",
            "subject": "vigilant (stills sealed + score of the clear one, one thread)",
            "metric": "pictures/s",
            "value": round(mine, 1),
            "unit": "/s",
            "data": data,
        },
        {
            "benchmark": "review thumbnails + classifier",
            "subject": "NudeNet detect on the original JPEG (its default threads)",
            "metric": "pictures/s",
            "value": round(peer, 1),
            "unit": "/s",
            "data": data,
            "ratio": round(mine / peer, 2),
        },
    ]


# --- 2. stacking -------------------------------------------------------------------------------------------
def _codes(count: int, seed: int = 14) -> tuple[list[bytes], list[bytes]]:
    """Families of near copies (1-8 members within ~20 bits of their seed), and each code's 8 "dihedral"
    hashes (the code itself and 7 unrelated codes, as a picture's rotations are)."""
    rng = np.random.default_rng(seed)
    codes = np.empty((count, 32), np.uint8)
    at = 0
    while at < count:
        base = rng.integers(0, 256, 32, dtype=np.uint8)
        for _ in range(int(rng.integers(1, 9))):
            if at == count:
                break
            flips = rng.choice(256, int(rng.integers(0, 20)), replace=False)
            code = np.unpackbits(base)
            code[flips] ^= 1
            codes[at] = np.packbits(code)
            at += 1
    others = rng.integers(0, 256, (count, 7, 32), dtype=np.uint8)
    dihedral = [codes[i].tobytes() + others[i].tobytes() for i in range(count)]
    return [c.tobytes() for c in codes], dihedral


def _naive(codes: list[bytes], dihedral: list[bytes], threshold: int = 31) -> dict[int, int]:
    count = len(codes)
    words = np.frombuffer(b"".join(codes), np.uint64).reshape(count, 4)
    probes = np.frombuffer(b"".join(dihedral), np.uint64).reshape(count, 8, 4)
    parent = np.arange(count)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for i in range(count):
        distance = np.bitwise_count(probes[i][:, None, :] ^ words[None, :, :]).sum(axis=2).min(axis=0)
        for j in np.flatnonzero(distance <= threshold).tolist():
            parent[root(i)] = root(j)
    return _labels(parent, root)


def _labels(parent: np.ndarray[Any, Any], root: Any) -> dict[int, int]:
    roots = [root(i) for i in range(len(parent))]
    smallest: dict[int, int] = {}
    for i, r in enumerate(roots):
        smallest[r] = min(smallest.get(r, i), i)
    return {i: smallest[r] for i, r in enumerate(roots)}


def bench_stacks(count: int, pairwise: int) -> list[Row]:
    rows: list[Row] = []
    codes, dihedral = _codes(pairwise)
    ids = list(range(pairwise))
    started = time.perf_counter()
    ours = stack_ids(ids, list(codes), list(dihedral))
    small = time.perf_counter() - started
    started = time.perf_counter()
    oracle = _naive(codes, dihedral)
    naive = time.perf_counter() - started
    if ours != oracle:
        raise AssertionError("stacks differ from the pairwise oracle")
    codes, dihedral = _codes(count, seed=15)
    started = time.perf_counter()
    found = stack_ids(list(range(count)), list(codes), list(dihedral))
    big = time.perf_counter() - started
    rows.append(
        {
            "benchmark": "stacking",
            "subject": "vigilant (PDQ index of the 8 dihedral hashes)",
            "metric": "time",
            "value": round(big, 2),
            "unit": "s",
            "data": f"{count:,} pictures, {len(set(found.values())):,} stacks",
            "target": "< 30 s",
            "met": big < 30,
        }
    )
    rows.append(
        {
            "benchmark": "stacking",
            "subject": "vigilant (PDQ index of the 8 dihedral hashes)",
            "metric": "time",
            "value": round(small, 2),
            "unit": "s",
            "data": f"{pairwise:,} pictures",
        }
    )
    rows.append(
        {
            "benchmark": "stacking",
            "subject": "naive pairwise (numpy XOR + popcount)",
            "metric": "time",
            "value": round(naive, 2),
            "unit": "s",
            "data": f"{pairwise:,} pictures",
            "ratio": round(naive / small, 1),
            "note": "same stacks as Vigilant's",
        }
    )
    return rows


# --- 3. the queue page -------------------------------------------------------------------------------------
def _queue_db(folder: Path, items: int) -> tuple[Database, Actor, int]:
    db = Database(f"sqlite:///{folder / 'review.db'}")
    db.upgrade()
    now = datetime.now(UTC)
    rng = random.Random(3)
    with db.session() as s:
        agency = AgencyRow(
            name="Bench Police", short_name="BP", province="ON", municipalities=[], created_at=now
        )
        s.add(agency)
        s.flush()
        s.add(
            CaseRow(
                agency_id=agency.id,
                number="B-1",
                title="bench",
                distribution="agency_only",
                status="open",
                opened_at=now,
                created_by="bench",
            )
        )
        item = EvidenceItemRow(
            label="bench",
            case_number="B-1",
            agency_id=agency.id,
            source_type="directory",
            path=str(folder),
            size=0,
            hashes={},
            added_at=now,
            added_by="bench",
        )
        s.add(item)
        s.flush()
        run = TriageRunRow(
            evidence_id=item.id,
            status="finished",
            settings={},
            settings_digest="",
            tool="bench",
            library=[],
            results_dir="",
            actor="bench",
            created_at=now,
            summary={},
        )
        s.add(run)
        s.flush()
        run_id, evidence_id, agency_id = run.id, item.id, agency.id
    rows = []
    for n in range(items):
        priority = rng.randrange(0, 120)
        rows.append(
            {
                "run_id": run_id,
                "evidence_id": evidence_id,
                "position": n,
                "member": 0,
                "address": f"/f{n // 100}/p{n}.jpg",
                "folder": f"/f{n // 100}",
                "name": f"p{n}.jpg",
                "kind": "picture",
                "size": 1000,
                "seized_device": False,
                "reasons": [{"factor": "unknown", "points": priority, "detail": "bench"}],
                "base_priority": priority,
                "folder_hits": 0,
                "priority": priority,
                "stack_id": (n // 3) * 3 + 1,
                "stack_head": n % 3 == 0,
                "created_at": now,
            }
        )
    with db.session() as s:
        for first in range(0, items, 10_000):
            s.execute(insert(ReviewItemRow), rows[first : first + 10_000])
    examiner = Actor(1, "bench-examiner", frozenset({Role.EXAMINER}), agency_id)
    return db, examiner, run_id


def bench_queue(items: int, calls: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="vigilant-review-bench-") as tmp:
        db, examiner, run_id = _queue_db(Path(tmp), items)
        ctx = ReviewContext(db, SecretBox.generate())
        rng = random.Random(5)
        ours: list[float] = []
        for _ in range(calls):
            offset = rng.choice([0, 0, 50, 500, 5_000])
            started = time.perf_counter()
            page = queue(ctx, examiner, Scope(run_id=run_id), QueueFilter(), limit=50, offset=offset)
            ours.append(time.perf_counter() - started)
            assert len(page.rows) == 50
        plain: list[float] = []
        with sqlite3.connect(Path(tmp) / "review.db") as conn:
            for _ in range(calls):
                offset = rng.choice([0, 0, 50, 500, 5_000])
                started = time.perf_counter()
                conn.execute(
                    "SELECT * FROM review_item WHERE run_id = ? ORDER BY priority DESC, id LIMIT 50 OFFSET ?",
                    (run_id, offset),
                ).fetchall()
                plain.append(time.perf_counter() - started)
        db.dispose()
    p99, peer = float(np.percentile(ours, 99)) * 1000, float(np.percentile(plain, 99)) * 1000
    data = f"{items:,} items, {calls} calls"
    return [
        {
            "benchmark": "queue page query",
            "subject": "vigilant (scoped, one per stack, undecided, counted, audited)",
            "metric": "p99",
            "value": round(p99, 1),
            "unit": "ms",
            "data": data,
            "target": "< 200 ms",
            "met": p99 < 200,
            "note": f"median {np.median(ours) * 1000:.1f} ms",
        },
        {
            "benchmark": "queue page query",
            "subject": "bare SELECT ORDER BY priority LIMIT 50",
            "metric": "p99",
            "value": round(peer, 1),
            "unit": "ms",
            "data": data,
            "ratio": round(peer / p99, 3),
        },
    ]


def run(scale: str) -> list[Row]:
    plan = SCALES[scale]
    return [
        *bench_thumbnails(plan["pictures"]),
        *bench_classifier(plan["pictures"] // 5),  # a model per picture: a fifth of the pictures is plenty
        *bench_stacks(plan["stack"], plan["pairwise"]),
        *bench_queue(plan["items"], plan["calls"]),
    ]


if __name__ == "__main__":
    from run import main

    sys.exit(main(["--only", "review_bench", *sys.argv[1:]]))
