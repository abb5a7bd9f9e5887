"""Known videos through the service and the command line: a vPDQ export imports back to the same entries
and frames, other formats skip and count what they cannot hold, and the figures count videos and frames."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from tests.library.helpers import entry
from vigilant.cli import run
from vigilant.errors import ExitCode
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import HashSetInfo, KnownEntry, SetKind
from vigilant.library.samples import read_source, write_vics, write_vpdq
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.perceptual.vpdq import FrameHash
from vigilant.security.rights import Actor
from vigilant.store import Database


def video(seed: int, seconds: int, step: int = 1) -> tuple[FrameHash, ...]:
    rng = random.Random(seed)
    return tuple(
        FrameHash(i * step, round(i * 1.0004, 3), rng.randbytes(32), 100 - 9 * i) for i in range(seconds)
    )


VIDEOS = [
    KnownEntry(location="a", category="1", series="Series A", file_name="a.mp4", video_frames=video(1, 5)),
    KnownEntry(
        location="b", category="2", md5=bytes(range(16)), sha1=bytes(range(20)), video_frames=video(2, 3)
    ),
    KnownEntry(location="c", file_name="c ü.mp4", video_frames=video(3, 1)),
]


def _import(store: LibraryStore, path: Path, name: str) -> HashSetInfo:
    request = ImportRequest(
        path, actor=Actor.cli("ann"), name=name, version="1", kind=SetKind.KNOWN_BAD, profile="vic-us"
    )
    report = import_hash_set(store, request)
    assert report.hash_set is not None
    assert report.rows_refused == 0
    return report.hash_set


def _library(db: Database, tmp_path: Path) -> tuple[LibraryService, HashSetInfo]:
    store = LibraryStore(db)
    files = write_vics(tmp_path / "files.json", [entry(1), entry(2)], version="2.0", form="media")
    _import(store, files, "Files")
    videos = _import(store, write_vpdq(tmp_path / "videos.jsonl", VIDEOS), "Videos")
    return LibraryService(store, tmp_path / "indexes"), videos


def _essence(store: LibraryStore, info: HashSetInfo) -> list[tuple[object, ...]]:
    entries = list(store.iter_entries([info.id]))
    frames = store.video_frames(e.id for e in entries)
    return [(e.md5, e.sha1, e.sha256, e.category, e.series, e.file_name, frames[e.id]) for e in entries]


def test_vpdq_export_imports_back_to_the_same_entries_and_frames(db: Database, tmp_path: Path) -> None:
    service, videos = _library(db, tmp_path)
    out = io.BytesIO()
    result = service.export([], "vpdq", out)  # every set: the two files are skipped, not written
    assert (result.written, result.skipped) == (3, 2)
    path = tmp_path / "export.jsonl"
    path.write_bytes(out.getvalue())
    again = _import(service.store, path, "Videos again")
    assert again.format == "vpdq"
    assert _essence(service.store, again) == _essence(service.store, videos)
    assert [row[3] for row in _essence(service.store, again)] == ["1", "2", None]


def test_frame_numbers_are_positional_in_the_threatexchange_form(db: Database, tmp_path: Path) -> None:
    """Frame numbers from Meta's lines (here every 25th frame) come back as places in the list; the times,
    hashes and qualities are kept."""
    store = LibraryStore(db)
    sparse = [KnownEntry(location="a", video_frames=video(4, 4, step=25))]
    info = _import(store, write_vpdq(tmp_path / "meta.jsonl", sparse, "csv"), "Meta")
    out = io.BytesIO()
    LibraryService(store, tmp_path / "indexes").export([info.label.replace(" ", "@")], "vpdq", out)
    [line] = out.getvalue().splitlines()
    frames = json.loads(line)["vpdq"]
    assert [(f["timestamp"], f["hash"], f["quality"]) for f in frames] == [
        (f.seconds, f.hex, f.quality) for f in sparse[0].video_frames
    ]
    path = tmp_path / "export.jsonl"
    path.write_bytes(out.getvalue())
    [back], _ = read_source(path, "vpdq")
    assert [f.frame for f in back.video_frames] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("fmt", "written", "skipped"),
    [("vics", 3, 2), ("csv", 3, 2), ("md5sum", 3, 2), ("sha256sum", 2, 3), ("hashdeep", 2, 3)],
)
def test_other_formats_skip_videos_without_their_hash(
    db: Database, tmp_path: Path, fmt: str, written: int, skipped: int
) -> None:
    service, _ = _library(db, tmp_path)
    result = service.export([], fmt, io.BytesIO())
    assert (result.written, result.skipped) == (written, skipped)


def test_figures_count_known_videos_and_frames(db: Database, tmp_path: Path) -> None:
    service, _ = _library(db, tmp_path)
    figures = service.figures()
    by_name = {f.info.name: f for f in figures.sets}
    assert (by_name["Videos"].videos, by_name["Videos"].video_frames) == (3, 9)
    assert (by_name["Files"].videos, by_name["Files"].video_frames) == (0, 0)
    assert (figures.videos, figures.video_frames, figures.entries) == (3, 9, 5)


def test_cli_export_says_what_it_skipped_and_stats_count_videos(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _library(db, tmp_path)
    target = tmp_path / "out.md5"
    assert run(["library", "export", "--format", "md5sum", "-o", str(target)]) == ExitCode.OK
    err = _words(capsys.readouterr().err)
    assert f"wrote 3 entries to {target}" in err
    assert "skipped 2 entries with no hash the md5sum format can hold (known videos: --format vpdq)" in err
    assert len(target.read_text().splitlines()) == 3
    assert run(["library", "export", "--format", "vpdq", "-o", str(tmp_path / "v.jsonl")]) == ExitCode.OK
    err = _words(capsys.readouterr().err)
    assert "skipped 2 entries with no hash the vpdq format can hold" in err
    assert "known videos:" not in err
    assert run(["library", "stats", "--json"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert (data["entries"], data["known_videos"], data["video_frames"]) == (5, 3, 9)
    assert run(["library", "stats"]) == ExitCode.OK
    assert "known videos (vPDQ)" in _words(capsys.readouterr().out)


def _words(text: str) -> str:
    """Console output with rich's line wrapping undone."""
    return " ".join(text.split())
