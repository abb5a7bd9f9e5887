"""Virtual disks (VMDK, VHD, VHDX, QCOW2) agree with The Sleuth Kit and with QEMU's own reader.

Each disk is made by ``qemu-img convert`` from a raw disk the tests build with Debian's tools (an MBR disk
holding ext4 and FAT16, see make_images), then read by Vigilant through libvmdk/libvhdi/libqcow. The oracle
is independent of those libraries: ``qemu-img convert -O raw`` turns the virtual disk back into a raw one,
and The Sleuth Kit's ``fls``/``icat`` list and read that. File list, deleted marks, sizes, times and every
digest must agree, and the disk's acquisition MD5/SHA-256 must be those of QEMU's raw copy.

Differencing disks are made by ``qemu-img convert -B parent``: the child holds only the clusters where a
changed copy of the file system differs from its parent. The dfVFS test images (VMDK, VHD, differential VHD,
QCOW2 holding ext2 and NTFS) are compared with ``fls``/``icat`` too.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence.cli_triage import triage_cli
from tests.evidence.dfvfs_data import dfvfs_file
from tests.evidence.test_tsk_agreement import _summary, compare, vigilant_listing
from tests.evidence.tsk_oracle import fls, icat
from vigilant.errors import ExitCode
from vigilant.evidence.base import EvidenceError
from vigilant.evidence.images import RawImage
from vigilant.evidence.sources import sources
from vigilant.evidence.virtual_disks import DMG, QCOW, VHD, VMDK, DiskFormat, VirtualDisk
from vigilant.store import Database

# qemu-img's format name and options -> the source type that must detect it
QEMU_FORMATS: dict[str, tuple[list[str], DiskFormat]] = {
    "vmdk": ([], VMDK),
    "vmdk-stream": (["-o", "subformat=streamOptimized"], VMDK),
    "vpc": ([], VHD),  # VHD, dynamic
    "vpc-fixed": (["-o", "subformat=fixed"], VHD),
    "vhdx": ([], VHD),
    "qcow2": ([], QCOW),
}


def qemu_convert(
    source: Path, target: Path, fmt: str, *options: str, backing: Path | None = None, source_fmt: str = "raw"
) -> Path:
    mk.require("qemu-img")
    # The input's format is named: QEMU would take a fixed VHD (a raw disk with a footer) for raw.
    out_fmt = fmt.split("-", maxsplit=1)[0]
    command: list[str | Path] = ["qemu-img", "convert", "-f", source_fmt, "-O", out_fmt, *options]
    if backing is not None:
        command += ["-B", backing.name, "-F", fmt]
    mk.run(*command, source, target, cwd=target.parent)
    return target


def qemu_raw(disk: Path, work: Path, fmt: str) -> Path:
    """The virtual disk's media as QEMU reads it, written out raw: the independent reader's view."""
    return qemu_convert(disk, work / f"{disk.name}.qemu.raw", "raw", source_fmt=fmt.split("-", maxsplit=1)[0])


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


@pytest.mark.parametrize("fmt", list(QEMU_FORMATS))
def test_virtual_disk_agrees_with_tsk_and_qemu(fmt: str, mbr_disk: mk.Disk, tmp_path: Path) -> None:
    mk.require("fls", "icat", "mmls")
    options, disk_format = QEMU_FORMATS[fmt]
    disk = qemu_convert(mbr_disk.path, tmp_path / f"disk.{fmt}", fmt, *options)
    assert sources().detect(disk).name == disk_format.name
    oracle = qemu_raw(disk, tmp_path, fmt)
    listing = vigilant_listing(VirtualDisk(disk, disk_format))
    tally = compare(oracle, listing)  # fls/icat on QEMU's raw copy
    assert tally.allocated > 20
    assert tally.deleted >= 4
    # The same files, bytes and addresses as the raw disk the virtual one was made from.
    assert _summary(listing) == _summary(vigilant_listing(RawImage(mbr_disk.path)))
    hashes = sources()[disk_format.name].acquisition_hashes(disk)
    assert hashes["md5"] == md5(oracle)
    assert hashes["sha256"] == hashlib.sha256(oracle.read_bytes()).hexdigest()
    assert hashes["bytes"] == str(oracle.stat().st_size)
    assert hashes["chain"] == disk.name


def _changed_copy(base: Path, work: Path) -> Path:
    """The ext4 file system with one file deleted and one added (debugfs): what a snapshot would hold."""
    changed = work / "changed.img"
    shutil.copyfile(base, changed)
    added = work / "added.bin"
    added.write_bytes(mk.random_bytes(77, 70_000))
    mk.run("debugfs", "-w", "-R", "rm /readme.txt", changed)
    mk.run("debugfs", "-w", "-R", f"write {added} snapshot-added.bin", changed)
    return changed


@pytest.mark.parametrize("fmt", ["qcow2", "vmdk"])
def test_differencing_disk_reads_through_its_parent(fmt: str, ext4_image: mk.Built, tmp_path: Path) -> None:
    mk.require("fls", "icat", "debugfs")
    disk_format = QCOW if fmt == "qcow2" else VMDK
    parent = qemu_convert(ext4_image.path, tmp_path / f"parent.{fmt}", fmt)
    changed = _changed_copy(ext4_image.path, tmp_path)
    child = qemu_convert(changed, tmp_path / f"child.{fmt}", fmt, backing=parent)

    listing = vigilant_listing(VirtualDisk(child, disk_format))
    compare(qemu_raw(child, tmp_path, fmt), listing)
    paths = {e.address.path for e in listing.entries if e.allocated}
    assert "/snapshot-added.bin" in paths
    assert "/readme.txt" not in paths
    hashes = sources()[disk_format.name].acquisition_hashes(child)
    assert hashes["md5"] == md5(changed)  # the snapshot's disk, parent and child together
    assert hashes["chain"] == f"{child.name} < {parent.name}"

    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copyfile(child, alone / child.name)
    with pytest.raises(EvidenceError, match=f"parent {parent.name} is missing"):
        VirtualDisk(alone / child.name, disk_format)


def test_differencing_vmdk_refuses_a_wrong_parent(ext4_image: mk.Built, tmp_path: Path) -> None:
    parent = qemu_convert(ext4_image.path, tmp_path / "parent.vmdk", "vmdk")
    child = qemu_convert(
        _changed_copy(ext4_image.path, tmp_path), tmp_path / "child.vmdk", "vmdk", backing=parent
    )
    other = tmp_path / "other"
    other.mkdir()
    shutil.copyfile(child, other / child.name)
    qemu_convert(ext4_image.path, other / parent.name, "vmdk")  # same name, another disk
    with pytest.raises(EvidenceError, match="not the parent"):
        VirtualDisk(other / child.name, VMDK)


def test_damaged_virtual_disk_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "broken.qcow2"
    fake.write_bytes(b"QFI\xfb" + bytes(508))  # the signature, then nothing a reader can use
    with pytest.raises(EvidenceError, match="cannot open QCOW image"):
        VirtualDisk(fake, QCOW)


def test_triage_of_a_differencing_disk_end_to_end(
    db: Database, ext4_image: mk.Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``evidence add`` detects the QCOW2 and records the media's hashes; the run hashes the snapshot's files
    as TSK reads them from QEMU's raw copy, and verifies the disk again afterwards."""
    mk.require("fls", "icat", "debugfs")
    parent = qemu_convert(ext4_image.path, tmp_path / "base.qcow2", "qcow2")
    changed = _changed_copy(ext4_image.path, tmp_path)
    child = qemu_convert(changed, tmp_path / "snapshot.qcow2", "qcow2", backing=parent)
    done = triage_cli(child, "vm-snapshot", capsys, tmp_path)
    assert done.code == ExitCode.OK
    assert done.item["type"] == "qcow"
    assert done.item["hashes"]["md5"] == md5(changed)
    expected = {}
    for item in fls(changed, 0, fs_type="ext4"):
        got = icat(changed, 0, item)
        if got.complete and not item.realloc:
            expected[f"ext4 > /{item.path} (inode {item.inode})"] = got.sha256
    assert done.sha256 == expected
    assert done.status["verification"]["ok"]
    assert "chain" in done.status["verification"]["compared"]


# --- dfVFS test images ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "disk_format"),
    [("ext2.vmdk", VMDK), ("ext2.vhd", VHD), ("ext2.qcow2", QCOW), ("windows_volume.qcow2", QCOW)],
)
def test_dfvfs_virtual_disks_agree_with_tsk(name: str, disk_format: DiskFormat, tmp_path: Path) -> None:
    mk.require("fls", "icat", "mmls")
    disk = dfvfs_file(name)
    assert sources().detect(disk).name == disk_format.name
    listing = vigilant_listing(VirtualDisk(disk, disk_format))
    # Debian's TSK reads VMDK and VHD itself (libvmdk, libvhdi); QCOW through QEMU's raw copy.
    oracle = disk if disk_format is not QCOW else qemu_raw(disk, tmp_path, "qcow2")
    tally = compare(oracle, listing)
    assert tally.allocated >= 3
    assert listing.problems == []


def test_dfvfs_differential_vhd_reads_through_its_parent(tmp_path: Path) -> None:
    """No reader here but libvhdi opens this pair (QEMU refuses its header checksum, fls does not attach the
    parent): the differential disk must list what TSK lists in its parent, whose data it shares."""
    mk.require("fls", "icat", "mmls")
    child, parent = dfvfs_file("image-differential.vhd"), dfvfs_file("image.vhd")
    assert sources().detect(child).name == "vhd"
    with VirtualDisk(child, VHD) as disk:
        assert [p.name for p in disk.chain] == [child.name, parent.name]
    listing = vigilant_listing(VirtualDisk(child, VHD))
    tally = compare(parent, listing)
    assert tally.allocated == 3
    assert sources()["vhd"].acquisition_hashes(child)["chain"] == f"{child.name} < {parent.name}"
    shutil.copyfile(child, tmp_path / child.name)
    with pytest.raises(EvidenceError, match=r"parent .*image\.vhd is missing"):
        VirtualDisk(tmp_path / child.name, VHD)


def test_dfvfs_dmg_holds_the_files_tsk_reads_in_the_same_hfs_volume(tmp_path: Path) -> None:
    """No independent reader of DMG is packaged here (Debian's dmg2img 1.6.7 writes a damaged GPT from this
    image): the zlib-compressed DMG must hold, in its HFS+ partition, the user files that fls/icat read in
    the dfVFS HFS+ image made from the same folder, with the same content."""
    mk.require("fls", "icat")
    dmg, raw = dfvfs_file("hfsplus_zlib.dmg"), dfvfs_file("hfsplus.raw")
    assert sources().detect(dmg).name == "dmg"
    listing = vigilant_listing(VirtualDisk(dmg, DMG))
    assert listing.problems == []
    ours = {
        e.address.path.lstrip("/"): listing.digests[i]
        for i, e in enumerate(listing.entries)
        if e.address.filesystem == "hfs" and not e.address.path.startswith(("/$", "/.fseventsd"))
    }
    theirs = {
        f.path: icat(raw, 0, f).sha256
        for f in fls(raw, 0, fs_type="hfs")
        if not f.path.startswith(("$", ".fseventsd"))
    }
    assert ours == theirs
    assert len(ours) >= 3
    hashes = sources()["dmg"].acquisition_hashes(dmg)
    assert int(hashes["bytes"]) == VirtualDisk(dmg, DMG).size
