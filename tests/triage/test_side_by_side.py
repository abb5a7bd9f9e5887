"""Large files of a group are read side by side (MD5 in lanes): same records, same order, none left open."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import random
import zipfile
from typing import Any

import pytest

from vigilant.evidence.base import Address, FileEntry
from vigilant.hashing import md5_lanes
from vigilant.triage import process
from vigilant.triage.process import EntryProcessor
from vigilant.triage.records import FileRecord
from vigilant.triage.settings import TriageSettings

pytestmark = pytest.mark.skipif(not md5_lanes.AVAILABLE, reason=md5_lanes.NOTE)

CHUNK = process.CHUNK


class _Stream(io.RawIOBase):
    """A file's bytes in pieces of random size; counts closes; may fail after some reads."""

    def __init__(self, data: bytes, seed: int, opened: list[_Stream], fail_after: int | None) -> None:
        self._data, self._at, self._rng = data, 0, random.Random(seed)
        self.open_now = 0
        self._reads, self._fail_after = 0, fail_after
        self._opened = opened
        opened.append(self)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._at, 2: len(self._data)}[whence]
        self._at = base + offset
        return self._at

    def tell(self) -> int:
        return self._at

    def readinto(self, buffer: Any) -> int:
        self._reads += 1
        self.open_now = sum(not s.closed for s in self._opened)  # files open while this one reads
        if self._fail_after is not None and self._reads > self._fail_after:
            raise KeyboardInterrupt  # not an error triage records per file: it must stop the group
        n = min(len(buffer), self._rng.randrange(CHUNK // 3, 2 * CHUNK), len(self._data) - self._at)
        buffer[:n] = self._data[self._at : self._at + n]
        self._at += n
        return n


def _entry(
    name: str, data: bytes, seed: int, opened: list[_Stream], fail_after: int | None = None
) -> FileEntry:
    return FileEntry(
        address=Address(filesystem="directory", path=f"/{name}"),
        name=name,
        size=len(data),
        opener=lambda: _Stream(data, seed, opened, fail_after),  # type: ignore[arg-type,return-value]
    )


def _zip(rng: random.Random) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("small.txt", rng.randbytes(3_000))
        archive.writestr("large.bin", rng.randbytes(CHUNK + 12_345))
        archive.writestr("inner/medium.bin", rng.randbytes(700_000))
    return out.getvalue()


def _group(opened: list[_Stream]) -> tuple[list[tuple[int, FileEntry]], list[bytes]]:
    rng = random.Random(4)
    datas = [
        rng.randbytes(CHUNK + 1),
        rng.randbytes(2_000),
        _zip(rng),
        rng.randbytes(3 * CHUNK + 17),
        rng.randbytes(CHUNK - 1),
        rng.randbytes(CHUNK),
        rng.randbytes(0),
    ]
    datas += [rng.randbytes(CHUNK + rng.randrange(0, CHUNK)) for _ in range(9)]  # more than the lanes
    group = [(i, _entry(f"f{i}.zip" if i == 2 else f"f{i}.bin", d, i, opened)) for i, d in enumerate(datas)]
    return group, datas


def _rows(records: list[FileRecord]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(r) for r in records]


def test_side_by_side_gives_the_records_of_one_file_after_another(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = TriageSettings(pdq=False, exif=False)
    opened: list[_Stream] = []
    group, datas = _group(opened)
    together = EntryProcessor(1, settings, None).process_group(group)
    monkeypatch.setattr(md5_lanes, "AVAILABLE", False)  # hashlib, one file after another
    one_by_one = EntryProcessor(1, settings, None).process_group(group)

    assert _rows(together) == _rows(one_by_one)
    files = [r for r in together if r.member == 0]
    assert [r.md5 for r in files] == [hashlib.md5(d, usedforsecurity=False).digest() for d in datas]
    members = {r.members[-1]: r for r in together if r.member}
    assert set(members) == {"small.txt", "large.bin", "inner/medium.bin"}
    assert all(r.md5 is not None for r in members.values())
    assert all(s.closed for s in opened)
    # Read side by side indeed: eight large files at once (one per lane), the zip's members among them.
    assert max(s.open_now for s in opened) >= 8


def test_a_failure_while_side_by_side_closes_every_file() -> None:
    opened: list[_Stream] = []
    group, _ = _group(opened)
    position = group[3][0]
    group[3] = (position, _entry("fails.bin", b"x" * (3 * CHUNK), 3, opened, fail_after=1))
    processor = EntryProcessor(1, TriageSettings(pdq=False, exif=False), None)
    with pytest.raises(KeyboardInterrupt):
        processor.process_group(group)
    assert opened
    assert all(s.closed for s in opened)
    # The thread's arena is clean for its next group.
    rng = random.Random(9)
    again = [rng.randbytes(CHUNK + 5), rng.randbytes(CHUNK + 6)]
    records = processor.process_group([(i, _entry(f"g{i}", d, i, [])) for i, d in enumerate(again)])
    assert [r.md5 for r in records] == [hashlib.md5(d, usedforsecurity=False).digest() for d in again]
