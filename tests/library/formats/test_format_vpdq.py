"""Known videos by vPDQ hash: both frame forms read back, bad rows are refused at their line, imports keep
the frames and a removed set takes them along."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from vigilant.library import importer
from vigilant.library.formats import ReaderOptions, formats
from vigilant.library.formats.base import read_head
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import KnownEntry, SetKind
from vigilant.library.samples import Raw, SampleItem, read_source, write_vpdq
from vigilant.library.store import LibraryStore
from vigilant.perceptual.vpdq import FrameHash
from vigilant.security.rights import Actor
from vigilant.store import Database


def video(seed: int, seconds: int = 5) -> tuple[FrameHash, ...]:
    rng = random.Random(seed)
    return tuple(FrameHash(i * 25, float(i), rng.randbytes(32), 100 - i) for i in range(seconds))


def known(seed: int, **fields: object) -> KnownEntry:
    return KnownEntry(location="x", video_frames=video(seed), **fields)  # type: ignore[arg-type]


GOOD = [
    known(1, category="1", series="Series A", file_name="a.mp4"),
    known(2, md5=bytes(range(16)), sha256=bytes(range(32))),
    known(3),
]
FRAME = {"quality": 100, "hash": "ab" * 32, "timestamp": 0.0}


@pytest.mark.parametrize("form", ["json", "csv"])
def test_both_frame_forms_read_back(tmp_path: Path, form: str) -> None:
    path = write_vpdq(tmp_path / "known.jsonl", GOOD, form)
    assert formats().detect(path).name == "vpdq"
    entries, problems = read_source(path)
    assert problems == []
    assert [e.location for e in entries] == ["line 1", "line 2", "line 3"]
    for read, written in zip(entries, GOOD, strict=True):
        # The JSON form has no frame numbers: a frame is numbered by its place in the list.
        numbers = [f.frame for f in written.video_frames] if form == "csv" else list(range(5))
        assert [f.frame for f in read.video_frames] == numbers
        assert [(f.seconds, f.pdq, f.quality) for f in read.video_frames] == [
            (f.seconds, f.pdq, f.quality) for f in written.video_frames
        ]
        assert (read.md5, read.sha256, read.category, read.series, read.file_name) == (
            written.md5,
            written.sha256,
            written.category,
            written.series,
            written.file_name,
        )


def test_threatexchange_text_is_taken_too(tmp_path: Path) -> None:
    """python-threatexchange serializes a vPDQ hash as JSON text: a string holding the list is read."""
    path = tmp_path / "te.jsonl"
    path.write_text(json.dumps({"vpdq": json.dumps([FRAME, FRAME | {"timestamp": 1.0004}])}) + "\n")
    [entry], problems = read_source(path, "vpdq")
    assert problems == []
    assert [(f.frame, f.seconds) for f in entry.video_frames] == [(0, 0.0), (1, 1.0)]


def test_bad_rows_are_refused_at_their_line_and_the_rest_is_read(tmp_path: Path) -> None:
    bad: list[SampleItem] = [
        GOOD[0],
        Raw("{not json"),
        Raw("[1, 2]"),
        Raw(json.dumps({"md5": "00" * 16})),
        Raw(json.dumps({"vpdq": []})),
        Raw(json.dumps({"vpdq": [FRAME | {"hash": "zz"}]})),
        Raw(json.dumps({"vpdq": [FRAME | {"quality": 101}]})),
        Raw(json.dumps({"vpdq": [FRAME | {"timestamp": "soon"}]})),
        Raw(json.dumps({"vpdq": [FRAME, {"quality": 100, "hash": "ab" * 32}]})),
        Raw(json.dumps({"vpdq": ["0," + "ab" * 32 + ",100"]})),
        Raw(json.dumps({"vpdq": [FRAME], "md5": "123"})),
        Raw(""),
        GOOD[1],
    ]
    path = write_vpdq(tmp_path / "known.jsonl", bad)
    entries, problems = read_source(path, "vpdq")
    assert [e.location for e in entries] == ["line 1", "line 13"]
    assert [(p.location, p.reason) for p in problems] == [
        ("line 2", "bad-json"),
        ("line 3", "bad-line"),
        ("line 4", "no-vpdq"),
        ("line 5", "bad-vpdq"),
        ("line 6", "bad-vpdq"),
        ("line 7", "bad-vpdq"),
        ("line 8", "bad-vpdq"),
        ("line 9", "bad-vpdq"),
        ("line 10", "bad-vpdq"),
        ("line 11", "bad-md5"),
    ]
    assert "frame 1 has no timestamp" in problems[7].detail
    assert "quality 101" in problems[5].detail


def test_no_other_reader_claims_a_vpdq_file(tmp_path: Path) -> None:
    path = write_vpdq(tmp_path / "known.json", GOOD)
    head = read_head(path)
    assert {reader.name for reader in formats() if reader.sniff(path, head)} == {"vpdq"}
    assert all(isinstance(item, KnownEntry) for item in formats()["vpdq"].read(path, ReaderOptions()))


def test_import_keeps_the_frames_and_a_removed_set_takes_them_along(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH_FRAMES", 6)  # written in two batches: ids stay with their frames
    store = LibraryStore(db)
    path = write_vpdq(tmp_path / "known.jsonl", [*GOOD, Raw(json.dumps({"vpdq": "nope"}))], "csv")
    report = import_hash_set(
        store,
        ImportRequest(
            path, actor=Actor.cli("ann"), name="Videos", version="1", kind=SetKind.KNOWN_BAD, profile="vic-us"
        ),
    )
    assert (report.format, report.rows_taken, report.refused) == ("vpdq", 3, {"bad-vpdq": 1})
    assert [p.location for p in report.problems] == ["line 4"]
    assert report.hash_set is not None
    entries = list(store.iter_entries([report.hash_set.id]))
    frames = store.video_frames(e.id for e in entries)
    assert [frames[e.id] for e in entries] == [list(g.video_frames) for g in GOOD]
    assert entries[1].md5 == GOOD[1].md5
    # The index of a set's video frames holds the frames of usable quality, by entry id.
    ids, codes = store.video_frame_codes(report.hash_set.id, 50)
    assert len(ids) == len(codes) == 15
    assert sorted(set(ids)) == [e.id for e in entries]

    store.remove_set(report.hash_set.id)
    assert store.video_frames(e.id for e in entries) == {}
