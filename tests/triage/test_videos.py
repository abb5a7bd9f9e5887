"""Videos in triage: vPDQ frame hashes in the records, a known picture found as a frame, broken videos."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest

from tests.perceptual.videos import (
    damage_inter_frames,
    frames_of,
    scene,
    scramble_inter_frames,
    scramble_matroska_clusters,
    write_video,
)
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import KnownEntry
from vigilant.library.samples import write_vics
from vigilant.library.store import LibraryStore
from vigilant.perceptual import vpdq
from vigilant.perceptual.pdq import pdq_of_pil
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.records import FileRecord, Hit, records_of, to_table
from vigilant.triage.results import iter_records
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

SIZE = (640, 480)
SETTINGS = TriageSettings(batch_files=2, processes=1)


def _seized(root: Path) -> Path:
    seized = root / "seized"
    seized.mkdir()
    # Scene 23 is on screen from 2 s to 3 s of the clip; the library knows it as a picture.
    write_video(seized / "clip.mp4", frames_of(range(21, 27), 10, SIZE), fps=10)
    write_video(seized / "other.mp4", frames_of(range(31, 35), 10, SIZE), fps=10)
    data = (seized / "clip.mp4").read_bytes()
    (seized / "broken.mp4").write_bytes(data[: len(data) // 2])
    scene(40, SIZE).save(seized / "picture.png")
    return seized


def _library(db: Database, root: Path) -> None:
    known = pdq_of_pil(scene(23, SIZE))
    assert known.quality == 100
    entry = KnownEntry(
        location="known.png", pdq=known.hash, pdq_quality=known.quality, category="1", file_name="known.png"
    )
    write_vics(root / "bad.json", [entry], version="2.0", form="media")
    import_hash_set(
        LibraryStore(db), ImportRequest(root / "bad.json", actor=Actor.cli("t"), name="Bad", version="1")
    )


def _run(db: Database, root: Path, seized: Path) -> tuple[TriageService, int]:
    service = TriageService(db, root / "data")
    evidence = service.evidence.add(
        seized, actor=Actor.cli("examiner"), label="phone", case_number="2026-0077", case_pending=True
    )
    return service, service.start(evidence.id, SETTINGS, Actor.cli("examiner"), Progress())


def _records(service: TriageService, run_id: int) -> dict[str, FileRecord]:
    return {r.path: r for r in iter_records(Path(service.status(run_id, Actor.cli("test")).results_dir))}


def test_a_known_picture_is_found_as_a_frame_of_a_video(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    seized = _seized(tmp_path)
    _library(db, tmp_path)
    service, run_id = _run(db, tmp_path, seized)
    records = _records(service, run_id)

    clip = records["/clip.mp4"]
    assert clip.mime == "video/mp4"
    assert clip.pdq is None
    assert clip.pdq_note is None
    assert [(f.frame, f.seconds) for f in clip.video_frames] == [(i * 10, float(i)) for i in range(6)]
    assert clip.known_bad
    [hit] = clip.hits
    assert (hit.matched_on, hit.frame, hit.frame_seconds) == ("pdq", 20, 2.0)
    assert hit.distance is not None
    assert hit.distance <= 31

    other = records["/other.mp4"]
    assert len(other.video_frames) == 4
    assert not other.hits

    # A broken video is recorded with the reason, its digests stand, and the run carries on.
    broken = records["/broken.mp4"]
    assert broken.status == "ok"
    assert broken.md5 is not None
    assert not broken.video_frames
    assert broken.pdq_note is not None
    assert "vPDQ: cannot decode video the video: Invalid data" in broken.pdq_note
    assert records["/picture.png"].pdq is not None
    assert list(spool.glob("vigilant-video-*")) == []  # the temporary copies are gone

    reports = {}
    for fmt in ("csv", "html", "vics", "case", "dfxml", "hashdeep"):  # every report takes videos
        out = io.BytesIO()
        service.report(run_id, fmt, out, Actor.cli("examiner"))
        reports[fmt] = out.getvalue().decode("utf-8-sig")
    assert "Bad@1:pdq:" in reports["csv"]
    assert "@2.000s:" in reports["csv"]
    assert f"20@2.000s:{clip.video_frames[2].hex}:" in reports["csv"]
    assert "at frame 20, 2.000 s" in reports["html"]
    assert "at frame 20, 2.000 s" in reports["case"]


def test_damaged_videos_are_hashed_and_say_what_was_not_decoded(db: Database, tmp_path: Path) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    # One encoder thread: the same bytes on every machine, so the same frames are damaged.
    clip = write_video(
        seized / "clip.mp4", frames_of(range(1, 7), 10, (320, 240)), fps=10, options={"threads": "1"}
    )
    damage_inter_frames(clip, 2)
    # Packets the decoder rejects are skipped; a stretch the demuxer skips is a gap, with its times.
    rejected = write_video(
        seized / "rejected.mp4", frames_of(range(1, 7), 10, (320, 240)), fps=10, options={"threads": "1"}
    )
    scramble_inter_frames(rejected, [19])
    gap = write_video(seized / "gap.mkv", frames_of(range(1, 9), 10, (320, 240)), fps=10, codec="mpeg4")
    scramble_matroska_clusters(gap, 2, 2, seed=7)
    service, run_id = _run(db, tmp_path, seized)  # decoded in a worker process, as triage does
    records = _records(service, run_id)
    record = records["/clip.mp4"]
    assert record.status == "ok"
    assert record.error is None
    assert [f.seconds for f in record.video_frames] == [float(i) for i in range(6)]  # every second hashed
    assert record.pdq_note == "vPDQ: 2 frames decoded with errors (concealed by the decoder)"
    assert [f.seconds for f in records["/rejected.mp4"].video_frames] == [0.0, 1.0, 2.1, 3.0, 4.0, 5.0]
    assert records["/rejected.mp4"].pdq_note == "vPDQ: 1 packet rejected by the decoder (skipped)"
    assert records["/gap.mkv"].pdq_note == (
        "vPDQ: video missing from 2.400 s to 4.800 s (not decoded: gap in the stream)"
    )


def test_videos_say_so_when_pyav_is_missing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vpdq, "VPDQ_AVAILABLE", False)
    seized = tmp_path / "seized"
    seized.mkdir()
    write_video(seized / "clip.mp4", frames_of([1, 2], 5, (160, 120)), fps=5)
    service, run_id = _run(db, tmp_path, seized)
    [record] = _records(service, run_id).values()
    assert record.mime == "video/mp4"
    assert record.pdq_note == vpdq.VPDQ_MISSING
    assert not record.video_frames
    assert record.sha256 is not None


def test_a_video_over_the_size_limit_is_hashed_but_not_decoded(db: Database, tmp_path: Path) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    write_video(seized / "clip.mp4", frames_of([1, 2], 5, (160, 120)), fps=5)
    service = TriageService(db, tmp_path / "data")
    evidence = service.evidence.add(
        seized, actor=Actor.cli("examiner"), label="phone", case_number="2026-0078", case_pending=True
    )
    settings = TriageSettings(batch_files=2, processes=0, max_video_bytes=100)
    run_id = service.start(evidence.id, settings, Actor.cli("examiner"), Progress())
    [record] = _records(service, run_id).values()
    assert record.pdq_note is not None
    assert "too large" in record.pdq_note
    assert not record.video_frames


def test_results_of_schema_version_1_still_read() -> None:
    hit = Hit(
        1, "Bad", "1", "known-bad", "pdq", 3, 9, "1", "label", "abuse", 3, None, frame=20, frame_seconds=2.0
    )
    record = FileRecord(
        evidence_id=1,
        position=0,
        member=0,
        address="/a.jpg",
        partition=None,
        partition_offset=None,
        filesystem="directory",
        path="/a.jpg",
        inode=None,
        attribute=None,
        members=[],
        name="a.jpg",
        extension=".jpg",
        size=1,
        allocated=True,
        hits=[hit],
    )
    table = to_table([record])
    # Version 1 had no video frames and no frame (nor, before version 4, PDQ method) on hits.
    later = ("frame", "frame_seconds", "pdq_method")
    old_hit = pa.struct([f for f in table.schema.field("hits").type.value_type if f.name not in later])
    old = table.drop_columns(["video_frames"])
    hits = pa.array(
        [
            [{k: v for k, v in h.items() if k not in later} for h in row]
            for row in old.column("hits").to_pylist()
        ],
        pa.list_(old_hit),
    )
    old = old.set_column(old.schema.get_field_index("hits"), "hits", hits)
    [back] = records_of(old)
    assert back.video_frames == []
    # … and, like every PDQ hit before version 4, compared hashes made at 512 px.
    legacy = Hit(1, "Bad", "1", "known-bad", "pdq", 3, 9, "1", "label", "abuse", 3, None, pdq_method="512")
    assert back.hits == [legacy]
    [same] = records_of(table)
    assert same == record
