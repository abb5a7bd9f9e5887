"""The vPDQ exporter without a database: threatexchange-form lines the vpdq reader takes back, only known
videos written, frames read a batch of entries at a time."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from vigilant.library.exporters import exporters
from vigilant.library.exporters.vpdq import VpdqWriter
from vigilant.library.records import KnownEntry, StoredEntry
from vigilant.library.samples import read_source, sample_set, stored_entries, synthetic_entries
from vigilant.perceptual.vpdq import FrameHash

SET = sample_set(name="Videos")
FILES = synthetic_entries(6, seed=3)


def video(seed: int, seconds: int = 4) -> tuple[FrameHash, ...]:
    rng = random.Random(seed)
    return tuple(FrameHash(i, i + 0.5 * (seed % 2), rng.randbytes(32), 100 - 7 * i) for i in range(seconds))


VIDEOS = [
    KnownEntry(location="a", category="1", series="Series A", file_name="a.mp4", video_frames=video(1)),
    KnownEntry(location="b", md5=bytes(range(16)), sha256=bytes(range(32)), video_frames=video(2, 9)),
    KnownEntry(location="c", video_frames=video(3, 1)),
]


class Frames:
    """``LibraryStore.video_frames`` over the entries given, recording each call's ids."""

    def __init__(self, entries: Sequence[KnownEntry]) -> None:
        self.by_id = {i: list(e.video_frames) for i, e in enumerate(entries, 1) if e.video_frames}
        self.calls: list[list[int]] = []

    def __call__(self, ids: Iterable[int]) -> Mapping[int, Sequence[FrameHash]]:
        wanted = list(ids)
        self.calls.append(wanted)
        return {i: self.by_id[i] for i in wanted if i in self.by_id}


def test_lines_are_threatexchange_form_and_read_back(tmp_path: Path) -> None:
    mixed = [FILES[0], *VIDEOS, FILES[1]]
    out = io.BytesIO()
    count = exporters()["vpdq"].write([SET], stored_entries(mixed, SET), out, Frames(mixed))
    assert count == 3  # the two files are left out
    lines = out.getvalue().decode("ascii").splitlines()
    first = json.loads(lines[0])
    assert list(first) == ["vpdq", "category", "series", "name"]
    assert first["vpdq"][1] == {
        "quality": VIDEOS[0].video_frames[1].quality,
        "hash": VIDEOS[0].video_frames[1].pdq.hex(),
        "timestamp": VIDEOS[0].video_frames[1].seconds,
    }
    assert list(json.loads(lines[1])) == ["vpdq", "md5", "sha256"]
    path = tmp_path / "videos.jsonl"
    path.write_bytes(out.getvalue())
    entries, problems = read_source(path)  # detected as vpdq
    assert problems == []
    assert [(e.md5, e.sha256, e.category, e.series, e.file_name, e.video_frames) for e in entries] == [
        (v.md5, v.sha256, v.category, v.series, v.file_name, v.video_frames) for v in VIDEOS
    ]


def test_without_frames_nothing_is_written() -> None:
    out = io.BytesIO()
    assert exporters()["vpdq"].write([SET], stored_entries(VIDEOS, SET), out) == 0
    assert out.getvalue() == b""


def test_frames_are_read_a_batch_at_a_time_while_writing() -> None:
    many = [*VIDEOS, FILES[2], *VIDEOS, FILES[3], *VIDEOS]
    frames = Frames(many)
    out = io.BytesIO()
    sizes: list[int] = []

    def produced() -> Iterator[StoredEntry]:
        for entry in stored_entries(many, SET):
            sizes.append(out.tell())
            yield entry

    assert VpdqWriter(batch=4).write([SET], produced(), out, frames) == 9
    assert [len(ids) for ids in frames.calls] == [4, 4, 3]
    assert sizes[-1] > sizes[4] > 0  # output grows while entries are still being produced


def test_other_formats_leave_out_entries_with_no_hash_they_hold() -> None:
    """A known video with no file digest is no empty row: VICS and CSV skip it, like hashdeep and sums."""
    mixed = [FILES[0], VIDEOS[0], VIDEOS[1], FILES[1]]
    written = {}
    for name in ("vics", "csv", "hashdeep", "md5sum", "sha1sum", "sha256sum"):
        out = io.BytesIO()
        written[name] = exporters()[name].write([SET], stored_entries(mixed, SET), out, Frames(mixed))
    # VIDEOS[1] has an MD5 and a SHA-256 but no SHA-1 or size.
    assert written == {"vics": 3, "csv": 3, "hashdeep": 2, "md5sum": 3, "sha1sum": 2, "sha256sum": 3}
