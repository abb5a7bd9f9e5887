"""Seized videos matched against known videos by vPDQ: candidates from the frame index, checked against a
brute-force comparison with every known video; a re-encoded copy and a clip found end to end; the figures in
the Parquet results (old files still read), the reports and the API."""

from __future__ import annotations

import hashlib
import io
import random
import re
from pathlib import Path

import pyarrow as pa
import pytest

from tests.perceptual.videos import frames_of, write_video
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.indexes import LibraryIndexes
from vigilant.library.records import KnownEntry, SetKind
from vigilant.library.samples import write_vpdq
from vigilant.library.store import LibraryStore
from vigilant.perceptual.vpdq import FrameHash, vpdq_match, vpdq_of_video
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage import matcher as matcher_module
from vigilant.triage.matcher import Matcher
from vigilant.triage.records import SCHEMA, SCHEMA_VERSION, FileRecord, Hit, records_of, to_table
from vigilant.triage.results import iter_records
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings
from vigilant.web.api_triage import HitOut

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
EXAMINER = Actor.cli("examiner")
ME = Actor.cli("test")

SIZE = (320, 240)


def _record(position: int, frames: list[FrameHash]) -> FileRecord:
    name = f"v{position}.mp4"
    return FileRecord(
        evidence_id=1,
        position=position,
        member=0,
        address=f"/{name}",
        partition=None,
        partition_offset=None,
        filesystem="directory",
        path=f"/{name}",
        inode=None,
        attribute=None,
        members=[],
        name=name,
        extension=".mp4",
        size=1,
        allocated=True,
        video_frames=frames,
    )


def _video(rng: random.Random, seconds: int, quality: int = 100) -> list[FrameHash]:
    return [FrameHash(i * 25, float(i), rng.randbytes(32), quality) for i in range(seconds)]


def _near(frames: list[FrameHash], rng: random.Random, bits: int = 12, quality: int = 100) -> list[FrameHash]:
    """The frames with ``bits`` random bits flipped in each: what re-encoding does to PDQ hashes."""
    out = []
    for f in frames:
        code = int.from_bytes(f.pdq, "big")
        for bit in rng.sample(range(256), bits):
            code ^= 1 << bit
        out.append(FrameHash(f.frame, f.seconds, code.to_bytes(32, "big"), quality))
    return out


def _import(store: LibraryStore, path: Path, name: str, kind: SetKind = SetKind.KNOWN_BAD) -> None:
    request = ImportRequest(path, actor=Actor.cli("t"), name=name, version="1", kind=kind, profile="vic-us")
    report = import_hash_set(store, request)
    assert report.rows_refused == 0


def test_candidates_from_the_frame_index_give_what_comparing_every_known_video_gives(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7)
    known = [_video(rng, rng.randint(6, 14)) for _ in range(40)]
    known[5] = known[5][:3] + _video(rng, 7, quality=20)  # mostly frames too poor to compare
    write_vpdq(
        tmp_path / "bad.jsonl",
        [
            KnownEntry("x", video_frames=tuple(v), category="1", file_name=f"k{i}.mp4")
            for i, v in enumerate(known)
        ],
    )
    write_vpdq(tmp_path / "alert.jsonl", [KnownEntry("x", video_frames=tuple(known[0]))])
    store = LibraryStore(db)
    _import(store, tmp_path / "bad.jsonl", "Bad")
    _import(store, tmp_path / "alert.jsonl", "Watch", SetKind.ALERT)
    seized = [
        _near(known[0], rng),  # a re-encoded copy: in both sets
        _near(known[1][2:6], rng),  # a clip: all of it found, part of the known video
        _near(known[2][:5], rng) + _video(rng, 5),  # half of it known: below 80 %
        _video(rng, 9),  # unrelated
        _near(known[3], rng, quality=30),  # a copy, but every frame too poor to compare
        _near(known[5][:3], rng),  # the known video's 3 usable frames of 10: 100 % both ways
        [],  # not a video
    ]
    records = [_record(i, frames) for i, frames in enumerate(seized)]
    compared: list[int] = []

    def counting(query: list[FrameHash], other: list[FrameHash]) -> object:
        compared.append(1)
        return vpdq_match(query, other)

    monkeypatch.setattr(matcher_module, "vpdq_match", counting)
    sets = store.list_sets()
    Matcher(LibraryIndexes(store, tmp_path / "idx"), sets).match(records)

    got = {
        (r.position, h.set_name, h.query_match_percent, h.compared_match_percent)
        for r in records
        for h in r.hits
        if h.matched_on == "vpdq"
    }
    # The oracle: every seized video against every known video of every set.
    expected = set()
    for info in sets:
        entries = list(store.iter_entries([info.id]))
        frames = store.video_frames(e.id for e in entries)
        for r in records:
            for e in entries:
                result = vpdq_match(r.video_frames, frames[e.id])
                if result.matches():
                    expected.add(
                        (r.position, info.name, result.query_match_percent, result.compared_match_percent)
                    )
    assert got == expected
    assert {(position, name) for position, name, _, _ in got} == {
        (0, "Bad"),
        (0, "Watch"),
        (1, "Bad"),
        (5, "Bad"),
    }
    [clip] = records[1].hits
    assert clip.query_match_percent == 100.0
    assert clip.compared_match_percent == pytest.approx(400 / len(known[1]))
    assert (clip.set_kind, clip.category_class, clip.distance) == ("known-bad", "abuse", None)
    [poor] = records[5].hits
    assert (poor.query_match_percent, poor.compared_match_percent) == (100.0, 100.0)
    assert records[0].known_bad
    assert records[0].alert
    assert records[1].top_class == "abuse"
    assert not any(r.hits for r in records[2:5])
    # Only the known videos sharing a usable frame with a seized video were compared, not 7 x 41: the copy
    # with each set's known video, the clip, the half-known video, and the last one.
    assert len(compared) == 5


def _triage(db: Database, tmp_path: Path, seized: Path) -> tuple[TriageService, int, dict[str, FileRecord]]:
    service = TriageService(db, tmp_path / "data")
    evidence = service.evidence.add(
        seized, actor=EXAMINER, label="phone", case_number="2026-0091", case_pending=True
    )
    run_id = service.start(evidence.id, TriageSettings(batch_files=2, processes=1), EXAMINER, Progress())
    records = {r.path: r for r in iter_records(Path(service.status(run_id, ME).results_dir))}
    return service, run_id, records


def test_a_re_encoded_copy_and_a_clip_of_a_known_video_are_found(db: Database, tmp_path: Path) -> None:
    # The known video: ten scenes of a second each. The library has only its vPDQ hash and its MD5.
    original = write_video(tmp_path / "known.mp4", frames_of(range(1, 11), 10, SIZE), fps=10)
    hashed = vpdq_of_video(original)
    assert len(hashed.frames) == 10
    md5 = hashlib.md5(original.read_bytes()).digest()
    entry = KnownEntry("x", md5=md5, video_frames=hashed.frames, category="1", file_name="known.mp4")
    _import(LibraryStore(db), write_vpdq(tmp_path / "known.jsonl", [entry]), "Known videos")

    seized = tmp_path / "seized"
    seized.mkdir()
    # Another codec, frame rate, size, bit rate and container: other bytes, the same pictures.
    write_video(
        seized / "copy.mkv",
        frames_of(range(1, 11), 25, SIZE),
        fps=25,
        codec="mpeg4",
        size=(480, 360),
        bit_rate=300_000,
    )
    write_video(seized / "clip.mp4", frames_of(range(4, 10), 10, SIZE), fps=10)  # 6 of the 10 seconds
    write_video(seized / "unrelated.mp4", frames_of(range(101, 107), 10, SIZE), fps=10)
    (seized / "original.mp4").write_bytes(original.read_bytes())
    service, run_id, records = _triage(db, tmp_path, seized)

    copy = records["/copy.mkv"]
    assert copy.md5 != md5
    assert len(copy.video_frames) == 10
    [hit] = copy.hits
    assert (hit.matched_on, hit.set_name, hit.category_class) == ("vpdq", "Known videos", "abuse")
    assert hit.query_match_percent is not None
    assert hit.compared_match_percent is not None
    assert hit.query_match_percent >= 80.0
    assert hit.compared_match_percent >= 80.0
    assert copy.known_bad

    [hit] = records["/clip.mp4"].hits
    assert hit.matched_on == "vpdq"
    assert hit.query_match_percent is not None
    assert hit.query_match_percent >= 80.0
    assert hit.compared_match_percent == pytest.approx(60.0, abs=10.0)  # 6 of the known video's 10 seconds

    assert not records["/unrelated.mp4"].hits
    assert not records["/unrelated.mp4"].known_bad
    exact = records["/original.mp4"]
    assert {(h.matched_on, h.query_match_percent) for h in exact.hits} == {("md5", None), ("vpdq", 100.0)}

    reports = {}
    for fmt in ("csv", "html", "case"):
        out = io.BytesIO()
        service.report(run_id, fmt, out, EXAMINER)
        reports[fmt] = out.getvalue().decode("utf-8-sig")
    assert re.search(r"Known videos@1:vpdq:\d+\.\d%/\d+\.\d%:1", reports["csv"])
    assert "Known videos@1:vpdq:100.0%/100.0%:1" in reports["csv"]  # the original itself
    assert (
        "vPDQ 100.0 % of the video found in the known video, 100.0 % of the known video found"
        in (reports["html"])
    )
    assert "% of the video found in the known video" in reports["case"]
    shown = HitOut.of(hit).model_dump()
    assert (shown["query_match_percent"], shown["compared_match_percent"]) == (
        hit.query_match_percent,
        hit.compared_match_percent,
    )


def _vpdq_hit() -> Hit:
    return Hit(
        1,
        "Known videos",
        "1",
        "known-bad",
        "vpdq",
        None,
        9,
        "1",
        "label",
        "abuse",
        3,
        None,
        query_match_percent=92.0,
        compared_match_percent=88.0,
    )


def test_the_figures_survive_parquet_and_version_2_files_still_read(tmp_path: Path) -> None:
    record = _record(0, [FrameHash(0, 0.0, bytes(32), 100)])
    record.hits = [_vpdq_hit()]
    table = to_table([record])
    assert table.schema.metadata[b"vigilant.schema"] == f"triage-records/{SCHEMA_VERSION}".encode()
    [back] = records_of(pa.Table.from_batches(table.to_batches()))
    assert back == record
    assert back.hits[0].query_match_percent == 92.0

    # Version 2 hits had no percentages: they read as None.
    new = ("query_match_percent", "compared_match_percent")
    old_hit = pa.struct([f for f in SCHEMA.field("hits").type.value_type if f.name not in new])
    hits = pa.array(
        [
            [{k: v for k, v in h.items() if k not in new} for h in row]
            for row in table.column("hits").to_pylist()
        ],
        pa.list_(old_hit),
    )
    old = table.set_column(table.schema.get_field_index("hits"), "hits", hits)
    [back] = records_of(old)
    assert back.hits[0].query_match_percent is None
    assert back.hits[0].compared_match_percent is None
    assert back.hits[0].matched_on == "vpdq"
