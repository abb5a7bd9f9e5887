"""Disks with an Apple Partition Map: each partition's file system read as fls/icat read it at its offset,
and the map's own entry (TSK lists it as a partition) not taken for an unreadable volume. The disks are
written by make_apm (no Debian 12 tool writes this map); mmls is the oracle for the partitions."""

from __future__ import annotations

from pathlib import Path

from tests.evidence import make_images as mk
from tests.evidence import tsk_oracle as tsk
from tests.evidence.make_apm import make_apm_disk
from tests.evidence.test_tsk_agreement import vigilant_listing
from vigilant.evidence.base import EntryStatus
from vigilant.evidence.images import RawImage


def test_apple_partition_map_agrees_with_mmls_fls_and_icat(ext4_image: mk.Built, tmp_path: Path) -> None:
    mk.require("fls", "icat", "mmls")
    disk = tmp_path / "mac.img"
    offsets = make_apm_disk(disk, [("linux", ext4_image.path.read_bytes()), ("empty", bytes(1 << 20))])
    rows = tsk.mmls_rows(disk)
    assert [row.description for row in rows] == ["Apple_partition_map", "Apple_UNIX_SVR2", "Apple_UNIX_SVR2"]
    assert [row.offset for row in rows[1:]] == offsets
    listing = vigilant_listing(RawImage(disk))
    assert sorted(listing.volumes) == [(row.index, row.offset) for row in rows[1:]]  # not the map itself
    [problem] = listing.problems  # the empty partition, and only it
    assert str(offsets[1]) in problem.where
    ours = {
        (e.address.path.lstrip("/"), e.address.inode): (i, e)
        for i, e in enumerate(listing.entries)
        if e.address.partition_offset == offsets[0]
    }
    theirs = {(f.path, f.inode): f for f in tsk.fls(disk, offsets[0], fs_type="ext4")}
    assert set(ours) == set(theirs)
    for key, item in theirs.items():
        index, entry = ours[key]
        assert (entry.deleted, entry.size) == (item.deleted, item.size), key
        got = tsk.icat(disk, offsets[0], item)
        if got.complete and not item.realloc:
            assert entry.status is EntryStatus.OK
            assert listing.digests[index] == got.sha256, key
    assert {e.address.partition for e in listing.entries} == {rows[1].index}
