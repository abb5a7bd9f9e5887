"""The key test: Vigilant's listing of every image agrees with The Sleuth Kit's own tools.

For each image kind, every regular file and data stream, allocated and deleted, is compared with
``fls -r -p -l`` (path, inode, stream, deleted mark, reallocated mark, size, times) and its content with
``icat`` (SHA-256). Where icat recovers a deleted file in full, the digests must match; where icat cannot,
Vigilant must say the entry is unreadable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence import tsk_oracle as tsk
from vigilant.evidence.base import EntryStatus, FileEntry, Problem
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import EwfImage, ImageReader, RawImage, SplitRawImage


@dataclass
class Listing:
    entries: list[FileEntry]
    digests: dict[int, str]  # index in entries -> sha256 of the content read
    problems: list[Problem]
    volumes: list[tuple[int | None, int]]


def vigilant_listing(reader: ImageReader) -> Listing:
    with reader, FileSystemWalker(reader) as walker:
        volumes = [(v.partition, v.offset) for v in walker.volumes()]
        entries: list[FileEntry] = []
        digests: dict[int, str] = {}
        for entry in walker:
            if entry.status is EntryStatus.OK:
                with entry.open() as fh:
                    digests[len(entries)] = hashlib.sha256(fh.read()).hexdigest()
            entries.append(entry)
        return Listing(entries, digests, list(walker.problems), volumes)


@dataclass
class Agreement:
    allocated: int = 0
    deleted: int = 0
    deleted_recovered: int = 0
    deleted_unreadable: int = 0


def compare(image: Path, listing: Listing) -> Agreement:
    """Assert the listing agrees with fls/icat on ``image`` (which TSK's tools open themselves)."""
    tally = Agreement()
    table = tsk.mmls(image)
    expected_volumes: list[tuple[int | None, int]] = [*table] or [(None, 0)]
    offsets = [offset for _, offset in expected_volumes]
    assert sorted(listing.volumes) == sorted(expected_volumes, key=lambda v: (v[0] or 0, v[1]))
    for partition, offset in expected_volumes:
        ours = {
            (e.address.path.lstrip("/"), e.address.inode, e.address.attribute): (i, e)
            for i, e in enumerate(listing.entries)
            if e.address.partition == partition
            and (partition is None or e.address.partition_offset == offset)
        }
        if not ours:
            assert partition is not None, "no file system at offset 0"
            assert any(str(offset) in where for where, _ in listing.problems), listing.problems
            continue
        fs_type = next(iter(ours.values()))[1].address.filesystem
        assert fs_type is not None
        theirs = {(f.path, f.inode, f.attribute): f for f in tsk.fls(image, offset, fs_type=fs_type)}
        assert set(ours) == set(theirs), (
            f"only Vigilant: {sorted(set(ours) - set(theirs), key=str)}; "
            f"only fls: {sorted(set(theirs) - set(ours), key=str)}"
        )
        for key, item in theirs.items():
            index, entry = ours[key]
            where = f"{image.name} @ {offset}: {key}"
            assert entry.deleted == item.deleted, where
            assert entry.reallocated == item.realloc, where
            assert entry.size == item.size, where
            ours_times = tuple(
                _seconds(t) for t in (entry.modified, entry.accessed, entry.changed, entry.created)
            )
            if fs_type == "exfat":
                _same_exfat_times(ours_times, item.times, where)
            elif not (fs_type == "ntfs" and key == ("$MFT", 0, None)):
                # mkntfs gives $MFT an out-of-range stamp: fls (TSK 4.11) prints it as 2076, pytsk3
                # (TSK 4.15) refuses it (0), and Vigilant reports 0 as unknown (None).
                assert ours_times == item.times, where
            got = tsk.icat(image, offset, item)
            if got.complete:
                assert entry.status is EntryStatus.OK, f"{where}: icat reads it, Vigilant says {entry.error}"
                assert listing.digests[index] == got.sha256, where
            else:
                assert entry.deleted, f"{where}: icat cannot read a live file ({got.length} bytes)"
                assert entry.status is EntryStatus.UNREADABLE, f"{where}: icat gives {got.length} bytes"
                assert entry.error
            if entry.deleted:
                tally.deleted += 1
                tally.deleted_recovered += got.complete
                tally.deleted_unreadable += not got.complete
            else:
                tally.allocated += 1
    assert offsets  # the listing was compared partition by partition
    return tally


def _same_exfat_times(ours: tuple[object, ...], theirs: tuple[object, ...], where: str) -> None:
    """exFAT stamps count 2-second steps plus a 10 ms increment (0-1.99 s) that TSK 4.15 (pytsk3) adds and
    TSK 4.11 (Debian's fls) leaves out, and 4.11 reads only the date of the access stamp. So: the same
    instant within 2 s for modified/changed/created, the same day for accessed."""
    for name, a, b in zip(("modified", "accessed", "changed", "created"), ours, theirs, strict=True):
        if a is None or b is None:
            assert a == b, f"{where}: {name} {a} vs {b}"
        elif name == "accessed":
            assert a.date() == b.date(), f"{where}: accessed {a} vs {b}"  # type: ignore[attr-defined]
        else:
            assert abs((a - b).total_seconds()) < 2, f"{where}: {name} {a} vs {b}"  # type: ignore[operator]


def _seconds(value: object) -> object:
    from datetime import datetime  # noqa: PLC0415 - local helper

    return value.replace(microsecond=0) if isinstance(value, datetime) else value


def _recovered(listing: Listing, built: mk.Built) -> int:
    """How many deleted files came back with exactly the content that was written before deletion."""
    wanted = {hashlib.sha256(data).hexdigest() for data in built.deleted.values()}
    return sum(1 for i, e in enumerate(listing.entries) if e.deleted and listing.digests.get(i) in wanted)


def _in_order(listing: Listing) -> None:
    addresses = [e.address for e in listing.entries]
    assert addresses == sorted(addresses), "the walk must come out sorted by address"
    assert len(set(addresses)) == len(addresses)


Opener = Callable[[Path], ImageReader]


@pytest.mark.parametrize("kind", ["ext4", "fat16", "fat32", "exfat", "ntfs"])
def test_file_systems_agree_with_tsk(kind: str, request: pytest.FixtureRequest) -> None:
    mk.require("fls", "icat", "mmls")
    built: mk.Built = request.getfixturevalue(f"{kind}_image")
    listing = vigilant_listing(RawImage(built.path))
    tally = compare(built.path, listing)
    _in_order(listing)
    assert listing.problems == []
    assert {e.address.filesystem for e in listing.entries} == {kind}
    assert tally.allocated >= len(built.files) - (1 if kind == "ntfs" else 0)  # the folder stream
    assert tally.deleted >= 2
    assert _recovered(listing, built) >= 1, "deleted files whose content survives must come back intact"
    live = {
        e.address.path.lstrip("/") + (f":{e.address.attribute}" if e.address.attribute else ""): i
        for i, e in enumerate(listing.entries)
        if e.allocated
    }
    for rel, data in built.files.items():  # every file put in is there, with its content
        assert listing.digests[live[rel]] == hashlib.sha256(data).hexdigest(), rel


@pytest.mark.parametrize("label", ["mbr", "gpt"])
def test_partitioned_disks_agree_with_tsk(label: str, request: pytest.FixtureRequest) -> None:
    mk.require("fls", "icat", "mmls")
    disk: mk.Disk = request.getfixturevalue(f"{label}_disk")
    listing = vigilant_listing(RawImage(disk.path))
    tally = compare(disk.path, listing)
    _in_order(listing)
    # Two partitions with file systems, one empty: recorded as a problem, the others still walked.
    systems = {(e.address.partition_offset, e.address.filesystem) for e in listing.entries}
    assert systems == {(offset, built.kind) for offset, built in disk.partitions if built is not None}
    empty = next(offset for offset, built in disk.partitions if built is None)
    assert len(listing.problems) == 1
    assert str(empty) in listing.problems[0].where
    assert tally.allocated > 20
    assert tally.deleted >= 4


def test_split_raw_agrees_with_tsk_and_with_the_whole(split_disk: Path, mbr_disk: mk.Disk) -> None:
    mk.require("fls", "icat", "mmls")
    split = vigilant_listing(SplitRawImage(split_disk))
    compare(split_disk, split)  # TSK reads the segments itself, given the first
    whole = vigilant_listing(RawImage(mbr_disk.path))
    assert _summary(split) == _summary(whole)


def test_e01_agrees_with_tsk_and_with_its_raw(e01_disk: Path, mbr_disk: mk.Disk) -> None:
    mk.require("fls", "icat", "mmls")
    ewf = vigilant_listing(EwfImage(e01_disk))
    compare(e01_disk, ewf)  # TSK reads the E01 through libewf
    raw = vigilant_listing(RawImage(mbr_disk.path))
    assert _summary(ewf) == _summary(raw)


def _summary(listing: Listing) -> list[tuple[object, ...]]:
    return [
        (e.address, e.size, e.allocated, e.status, e.modified, listing.digests.get(i))
        for i, e in enumerate(listing.entries)
    ]
