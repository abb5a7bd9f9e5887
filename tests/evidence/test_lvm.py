"""Linux LVM: each logical volume's file system read through libvslvm agrees with fls/icat.

The physical volume is made by Debian's lvm2 on a loop device (``pvcreate``, ``vgcreate``, ``lvcreate``
without activation: the sandbox has no device mapper), and the file systems, made by mke2fs and
mkfs.fat, are written into each logical volume's extents at the offsets lvm2 itself reports (``pvs``
pe_start, ``lvs`` seg_pe_ranges). The oracle then reads each file system from the raw image at that
offset (``fls -o``), independently of libvslvm.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence import tsk_oracle as tsk
from tests.evidence.test_tsk_agreement import vigilant_listing
from vigilant.evidence.base import EntryStatus
from vigilant.evidence.images import RawImage
from vigilant.evidence.sources import sources

_NO_ACTIVATION = ["--config", "global { activation = 0 }"]


def make_lvm(work: Path, volumes: dict[str, mk.Built]) -> tuple[Path, dict[str, int]]:
    """A disk that is one LVM physical volume (group ``vigvg``), one logical volume per file system, each
    written into its extents; returns the disk and each logical volume's byte offset in it."""
    mk.require("losetup", "pvcreate", "vgcreate", "lvcreate", "pvs", "lvs")
    disk = work / "lvm.img"
    size = sum(b.path.stat().st_size for b in volumes.values()) + 8 * mk.MiB
    with disk.open("wb") as fh:
        fh.truncate(size)
    attach = subprocess.run(["losetup", "-f", "--show", str(disk)], capture_output=True, check=False)
    if attach.returncode != 0:
        pytest.skip(f"an LVM physical volume needs a loop device: {attach.stderr.decode().strip()}")
    loop = attach.stdout.decode().strip()
    try:
        mk.run("pvcreate", "-q", *_NO_ACTIVATION, loop)
        mk.run("vgcreate", "-q", *_NO_ACTIVATION, "vigvg", loop)
        for name, built in volumes.items():
            megabytes = str(built.path.stat().st_size // mk.MiB)
            mk.run(
                "lvcreate", "-q", "-an", "-Zn", *_NO_ACTIVATION, "-L", f"{megabytes}M", "-n", name, "vigvg"
            )
        pe_start = int(
            mk.run("pvs", "--noheadings", "--units", "b", "-o", "pe_start", loop).strip().rstrip("B")
        )
        ranges = mk.run(
            "lvs", "--noheadings", "--units", "b", "-o", "lv_name,seg_pe_ranges,vg_extent_size", "vigvg"
        )
        mk.run("vgchange", "-q", "-an", *_NO_ACTIVATION, "vigvg")
        mk.run("vgexport", "-q", *_NO_ACTIVATION, "vigvg")  # never taken for a group of this machine's
    finally:
        mk.run("losetup", "-d", loop)
    offsets = {}
    for line in ranges.splitlines():
        match = re.match(r"^\s*(\S+)\s+\S+:(\d+)-\d+\s+(\d+)B$", line)
        assert match is not None, line
        offsets[match[1]] = pe_start + int(match[2]) * int(match[3])
    with disk.open("r+b") as out:
        for name, built in volumes.items():
            out.seek(offsets[name])
            out.write(built.path.read_bytes())
    return disk, offsets


def test_lvm_logical_volumes_agree_with_tsk(
    ext4_image: mk.Built, fat16_image: mk.Built, tmp_path: Path
) -> None:
    mk.require("fls", "icat")
    disk, offsets = make_lvm(tmp_path, {"home": ext4_image, "usb": fat16_image})
    assert sources().detect(disk).name == "raw"
    listing = vigilant_listing(RawImage(disk))
    assert listing.problems == []
    systems = {e.address.filesystem for e in listing.entries}
    assert systems == {"lvm vigvg/home > ext4", "lvm vigvg/usb > fat16"}
    for name, built in (("home", ext4_image), ("usb", fat16_image)):
        ours = {
            (e.address.path.lstrip("/"), e.address.inode): (i, e)
            for i, e in enumerate(listing.entries)
            if e.address.filesystem == f"lvm vigvg/{name} > {built.kind}"
        }
        theirs = {(f.path, f.inode): f for f in tsk.fls(disk, offsets[name], fs_type=built.kind)}
        assert set(ours) == set(theirs), name
        for key, item in theirs.items():
            index, entry = ours[key]
            assert (entry.deleted, entry.size) == (item.deleted, item.size), key
            got = tsk.icat(disk, offsets[name], item)
            if got.complete and not item.realloc:
                assert entry.status is EntryStatus.OK, key
                assert listing.digests[index] == got.sha256, key
        assert len(ours) >= len(built.files)
