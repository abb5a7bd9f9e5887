"""Files read along the file system's own runs (FAT12/16/32, exFAT, NTFS) read exactly as TSK reads them.

Every stream's SHA-256 is compared with what ``icat`` gives, on images made by the Debian tools: the
session's FAT, exFAT and NTFS images, a FAT12 one, and images made for the cases runs get wrong: a file
fragmented into the holes of deleted ones (FAT16, NTFS), and NTFS streams whose end was never written
(initialised size short of the data size, with and without sparse runs), over clusters that still hold
old bytes. The walker's count of streams read along runs shows the runs were used, so none of these can
pass by handing everything to TSK.

Run as ``python -m tests.evidence.test_runs_agree IMAGE PATH SIZE`` it grows an NTFS file's unnamed
$DATA to SIZE through libntfs-3g (``ntfs_attr_truncate``, as the ntfs-3g driver does on a truncate),
which leaves the new part uninitialised; in its own process, as ``ntfs_tool`` does, so that a fault in
native code fails one test, not the run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytsk3

from tests.evidence import make_images as mk
from tests.evidence import tsk_oracle as tsk
from tests.evidence.dfvfs_data import dfvfs_file
from vigilant.evidence.base import EntryStatus
from vigilant.evidence.extents import run_plan
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import RawImage
from vigilant.evidence.runs import Extent, NotCertain, along_runs, zeros_from
from vigilant.evidence.tsk_reader import TskFileReader

Key = tuple[str, int | None, str | None]  # path without the leading "/", inode, stream
_NTFS_DATA = 128
_FAT_ENV = {"MTOOLS_SKIP_CHECK": "1"}


@dataclass
class Read:
    digests: dict[Key, str]  # sha256 of every readable stream
    direct: dict[Key, bool]  # read along its runs (not through TSK)
    deleted: set[Key]
    reads: Counter[tuple[str, str]]  # the walker's own count


def read_all(image: Path) -> Read:
    found = Read({}, {}, set(), Counter())
    with FileSystemWalker(RawImage(image), owns_reader=True) as walker:
        for entry in walker:
            key = (entry.address.path.lstrip("/"), entry.address.inode, entry.address.attribute)
            if entry.deleted:
                found.deleted.add(key)
            if entry.status is not EntryStatus.OK:
                continue
            with entry.open() as fh:
                found.digests[key] = hashlib.sha256(fh.read()).hexdigest()
                found.direct[key] = isinstance(fh, TskFileReader) and fh.direct
        found.reads = walker.reads
    return found


def agree(image: Path, fs_type: str) -> Read:
    """Assert every stream fls lists reads as icat gives it; returns what was read, and how."""
    mk.require("fls", "icat")
    ours = read_all(image)
    theirs = {(f.path, f.inode, f.attribute): f for f in tsk.fls(image, 0, fs_type=fs_type)}
    assert set(theirs) <= set(ours.digests) | ours.deleted, sorted(set(theirs) - set(ours.digests), key=str)
    for key, item in theirs.items():
        cat = tsk.icat(image, 0, item)
        if key in ours.digests and (cat.complete or not item.deleted):
            assert ours.digests[key] == cat.sha256, f"{key}: not what icat reads"
    assert not any(ours.direct.get(key) for key in ours.deleted), "a deleted file must keep TSK's reading"
    return ours


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _live_non_empty(built: mk.Built) -> int:
    return sum(1 for data in built.files.values() if data)


# --- FAT and exFAT --------------------------------------------------------------------------------------
def make_fat12(work: Path) -> mk.Built:
    mk.require("mkfs.fat", "mcopy", "mmd")
    image = work / "runs-fat12.img"
    mk.run("mkfs.fat", "-C", "-F", "12", "-n", "VIG12", image, "4096")
    files = {k: v for k, v in mk.tree(500, unicode_names=False).items() if not k.startswith("sort/")}
    src = work / "runs-fat12-src"
    mk.write_tree(src, files)
    for folder in sorted({str(Path(p).parent) for p in files if "/" in p}, key=len):
        mk.run("mmd", "-i", image, f"::/{folder}", env=_FAT_ENV)
    for rel in sorted(files):
        mk.run("mcopy", "-i", image, src / rel, f"::/{rel}", env=_FAT_ENV)
    return mk.Built(image, "fat12", files)


@pytest.fixture(scope="module")
def fat12_image(workdir: Path) -> mk.Built:
    return make_fat12(workdir)


@pytest.mark.parametrize("kind", ["fat12", "fat16", "fat32", "exfat"])
def test_fat_and_exfat_files_are_read_along_their_cluster_runs(
    kind: str, request: pytest.FixtureRequest
) -> None:
    built: mk.Built = request.getfixturevalue(f"{kind}_image")
    read = agree(built.path, kind)
    # every live file with content is read along its clusters (exFAT's bitmap and up-case table too)
    assert read.reads[(kind, "runs")] >= _live_non_empty(built)
    for rel, data in built.files.items():
        key = next(k for k in read.digests if k[0] == rel and k[2] is None)
        assert read.digests[key] == _sha(data), rel
        assert read.direct[key] == bool(data), rel


def make_fragmented_fat(work: Path) -> tuple[Path, bytes]:
    """FAT16 with 1 KiB clusters: 31 files of 3 KB, every other one deleted, then a 60 KB file that mtools
    lays into the 3-cluster holes they left."""
    mk.require("mkfs.fat", "mcopy", "mdel")
    image = work / "runs-fat-fragmented.img"
    mk.run("mkfs.fat", "-C", "-F", "16", "-s", "2", "-n", "FRAG", image, "8192")
    small = work / "runs-fat-small.bin"
    for i in range(10, 41):
        small.write_bytes(mk.random_bytes(600 + i, 3000))
        mk.run("mcopy", "-i", image, small, f"::/s{i}.bin", env=_FAT_ENV)
    mk.run("mdel", "-i", image, *(f"::/s{i}.bin" for i in range(10, 41, 2)), env=_FAT_ENV)
    big = mk.random_bytes(700, 60_000)
    local = work / "runs-fat-big.bin"
    local.write_bytes(big)
    mk.run("mcopy", "-i", image, local, "::/big.bin", env=_FAT_ENV)
    return image, big


def _plan(image: Path, path: str, attr_type: int = 1, attr_id: int = -1) -> list[Extent] | str:
    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(image)))
    fs_file = fs.open(path)
    size = next(
        int(a.info.size) for a in fs_file if int(a.info.type) == attr_type and attr_id in (-1, int(a.info.id))
    )
    type_name = {1: "ntfs", 2: "fat12", 4: "fat16", 8: "fat32", 10: "exfat"}[int(fs.info.ftype)]
    plan = run_plan(
        fs,
        type_name,
        fs_file,
        attr_type=attr_type,
        attr_id=attr_id,
        size=size,
        fs_offset=0,
        image_size=image.stat().st_size,
        mft=None,
    )
    return plan.extents if plan.extents is not None else str(plan.why_tsk)


def test_a_fragmented_fat_file_reads_across_its_fragments(workdir: Path) -> None:
    image, big = make_fragmented_fat(workdir)
    extents = _plan(image, "/big.bin")
    assert isinstance(extents, list), extents
    assert len(extents) >= 10, extents  # the holes, in FAT chain order
    read = agree(image, "fat16")
    key = next(k for k in read.digests if k[0] == "big.bin")
    assert read.digests[key] == _sha(big)
    assert read.direct[key]


# --- NTFS -----------------------------------------------------------------------------------------------
def test_ntfs_streams_are_read_along_their_runs(ntfs_image: mk.Built) -> None:
    read = agree(ntfs_image.path, "ntfs")
    for rel, data in ntfs_image.files.items():
        path, _, stream = rel.partition(":")
        key = next(k for k in read.digests if k[0] == path and k[2] == (stream or None))
        assert read.digests[key] == _sha(data), rel
        # NTFS keeps small streams inside the MFT record (resident): TSK reads those; past 1 KiB, never
        assert read.direct[key] or len(data) <= 1024, rel
        assert not read.direct[key] or len(data) > 600, rel
    assert read.direct[
        ("docs", next(k[1] for k in read.digests if k[0] == "docs"), "hidden")
    ]  # a named stream
    assert read.reads[("ntfs", "runs")] >= 4


def _grow(image: Path, path: str, size: int) -> None:
    mk.run(sys.executable, "-m", "tests.evidence.test_runs_agree", image, path, str(size), cwd=mk.REPO)


def _clusters(image: Path, path: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The cluster size and the (offset, address, length) runs TSK gives a file's unnamed $DATA."""
    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(image)))
    attribute = next(a for a in fs.open(path) if int(a.info.type) == _NTFS_DATA and not a.info.name)
    return int(fs.info.block_size), [
        (int(r.offset), int(r.addr), int(r.len)) for r in attribute if not r.flags
    ]


def _stale(image: Path, path: str, written: int) -> None:
    """Fill the clusters of ``path`` past its first ``written`` bytes with stale bytes (0xA5), as a reused
    cluster holds: ntfs-3g zeroes them, Windows does not."""
    block, runs = _clusters(image, path)
    with image.open("r+b") as fh:
        for offset, addr, length in runs:
            start, end = offset * block, (offset + length) * block
            if end > written:
                first = max(start, written)
                fh.seek(addr * block + first - start)
                fh.write(b"\xa5" * (end - first))


@dataclass
class NtfsCase:
    image: Path
    expected: dict[str, bytes]  # path -> what TSK must read


@pytest.fixture(scope="module")
def ntfs_runs_image(workdir: Path) -> NtfsCase:
    """A fragmented file, a sparse file written only part way, and a file grown inside its last cluster."""
    mk.require("mkntfs", "ntfscp")
    image = workdir / "runs-ntfs.img"
    with image.open("wb") as fh:
        fh.truncate(8 * mk.MiB)
    mk.run("mkntfs", "-F", "-f", "-q", image)
    local = workdir / "runs-ntfs-file.bin"
    head = mk.random_bytes(800, 10_000)
    local.write_bytes(head)
    mk.run("ntfscp", "-q", image, local, "/sparse.bin")
    mk.run("ntfscp", "-q", image, local, "/grown.bin")
    _grow(image, "/sparse.bin", 100_000)  # past its clusters: sparse runs, initialised to 10,000
    _grow(image, "/grown.bin", 12_000)  # inside its last cluster: initialised to 10,000
    _stale(image, "/sparse.bin", 10_000)
    _stale(image, "/grown.bin", 10_000)
    expected = {"sparse.bin": head + bytes(90_000), "grown.bin": head + bytes(2_000)}
    # Fill the volume with 100 KB files, delete every other one, then fill it again with 300 KB files:
    # once the free space left in one piece is used up, they land in the 100 KB holes, in pieces.
    small = _fill(image, local, "s", 100_000, seed=900)
    mk.ntfs_tool(image, *(f"rm:/s{i}" for i in range(0, small, 2)))
    large = _fill(image, local, "big", 300_000, seed=1900)
    expected.update({f"s{i}": mk.random_bytes(900 + i, 100_000) for i in range(1, small, 2)})
    expected.update({f"big{i}": mk.random_bytes(1900 + i, 300_000) for i in range(large)})
    return NtfsCase(image, expected)


def _fill(image: Path, local: Path, name: str, size: int, *, seed: int) -> int:
    """Copy files of ``size`` bytes in (``name``0, ``name``1, …) until the volume is full; returns how many
    went in whole (the one that did not fit is deleted)."""
    count = 0
    while True:
        local.write_bytes(mk.random_bytes(seed + count, size))
        target = f"/{name}{count}"
        done = subprocess.run(
            ["ntfscp", "-q", str(image), str(local), target], check=False, capture_output=True
        )
        if done.returncode != 0:
            if target.lstrip("/") in mk.ntfs_inodes(image, "/"):
                mk.ntfs_tool(image, f"rm:{target}")
            return count
        count += 1


def test_ntfs_sparse_uninitialised_and_fragmented_files_read_as_tsk_reads_them(
    ntfs_runs_image: NtfsCase,
) -> None:
    image = ntfs_runs_image.image
    read = agree(image, "ntfs")
    for path, data in ntfs_runs_image.expected.items():
        key = next(k for k in read.digests if k[0] == path and k[2] is None)
        assert read.digests[key] == _sha(data), path
        assert read.direct[key], f"{path} went to TSK"
    pieces = [
        len(_plan_ntfs(image, f"/{path}")) for path in ntfs_runs_image.expected if path.startswith("big")
    ]
    assert max(pieces) >= 3, pieces  # a 300 KB file over 100 KB holes
    sparse = _plan_ntfs(image, "/sparse.bin")
    assert sparse[0] == Extent(0, sparse[0].image_offset, 10_000)
    assert sparse[0].image_offset is not None
    assert all(e.image_offset is None for e in sparse[1:])  # past the initialised size, and the holes
    grown = _plan_ntfs(image, "/grown.bin")
    assert [e.image_offset is None for e in grown] == [False, True]


def _plan_ntfs(image: Path, path: str) -> list[Extent]:
    from vigilant.evidence.runs_ntfs import MftRecords  # noqa: PLC0415 - only the NTFS tests use it

    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(image)))
    fs_file = fs.open(path)
    attribute = next(a for a in fs_file if int(a.info.type) == _NTFS_DATA and not a.info.name)
    reader = RawImage(image)
    try:
        records = MftRecords.open(fs, reader, 0)
        plan = run_plan(
            fs,
            "ntfs",
            fs_file,
            attr_type=_NTFS_DATA,
            attr_id=int(attribute.info.id),
            size=int(attribute.info.size),
            fs_offset=0,
            image_size=reader.size,
            mft=lambda: records,
        )
        assert plan.extents is not None, plan.why_tsk
        return plan.extents
    finally:
        reader.close()


def test_mft_records_say_each_stream_s_initialised_size(ntfs_runs_image: NtfsCase) -> None:
    from vigilant.evidence.runs_ntfs import MftRecords  # noqa: PLC0415 - only the NTFS tests use it

    image = ntfs_runs_image.image
    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(image)))
    with RawImage(image) as reader:
        records = MftRecords.open(fs, reader, 0)
        for path, initialised in {"/grown.bin": 10_000, "/sparse.bin": 10_000, "/big0": 300_000}.items():
            fs_file = fs.open(path)
            data = next(a for a in fs_file if int(a.info.type) == _NTFS_DATA and not a.info.name)
            entry, attr_id, size = int(fs_file.info.meta.addr), int(data.info.id), int(data.info.size)
            assert records.initialised(entry, attr_id, size) == initialised, path
            with pytest.raises(NotCertain, match="sizes"):  # a size other than TSK's: never trusted
                records.initialised(entry, attr_id, size + 1)
            with pytest.raises(NotCertain, match="0 \\$DATA attributes"):
                records.initialised(entry, attr_id + 100, size)
        with pytest.raises(NotCertain, match="past"):
            records.record(10**6)


def test_ntfs_without_its_mft_records_goes_to_tsk(ntfs_runs_image: NtfsCase) -> None:
    # The initialised size cannot be known without the MFT record: never guess it.
    extents = _plan(ntfs_runs_image.image, "/big0", _NTFS_DATA)
    assert extents == "its initialised size is unknown"


def make_compressed_ntfs(work: Path) -> tuple[Path, bytes]:
    """An NTFS volume with a compressed file: a folder marked compressed (FILE_ATTRIBUTE_COMPRESSED through
    ntfs-3g's ``system.ntfs_attrib_be``), written through the ntfs-3g driver mounted with ``compression``
    on a loop device. Skipped where the machine refuses loop devices or FUSE (a locked-down container)."""
    mk.require("mkntfs", "losetup")
    if shutil.which("ntfs-3g") is None:
        mk.require("ntfs-3g")
    image = work / "runs-ntfs-compressed.img"
    with image.open("wb") as fh:
        fh.truncate(16 * mk.MiB)
    mk.run("mkntfs", "-F", "-f", "-q", image)
    attach = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, check=False)
    if attach.returncode != 0:
        pytest.skip(f"a compressed NTFS file needs a loop device: {attach.stderr.decode(errors='replace')}")
    loop, mount = attach.stdout.decode().strip(), work / "runs-ntfs-compressed-mnt"
    mount.mkdir()
    # compressible text, then random bytes: compression units stored compressed, and stored as they are
    data = mk.text(1000, 20_000) + mk.random_bytes(1001, 100_000)
    try:
        fuse = subprocess.run(
            ["ntfs-3g", "-o", "compression", loop, str(mount)], capture_output=True, check=False
        )
        if fuse.returncode != 0:
            pytest.skip(f"a compressed NTFS file needs FUSE: {fuse.stderr.decode(errors='replace').strip()}")
        try:
            (mount / "packed").mkdir()
            os.setxattr(mount / "packed", "system.ntfs_attrib_be", (0x800).to_bytes(4, "big"))
            (mount / "packed" / "notes.txt").write_bytes(data)
        finally:
            mk.run("umount", mount)
    finally:
        mk.run("losetup", "-d", loop)
    return image, data


def test_a_compressed_ntfs_file_is_read_by_tsk(workdir: Path) -> None:
    image, data = make_compressed_ntfs(workdir)
    assert "compressed" in str(_plan(image, "/packed/notes.txt", _NTFS_DATA))
    read = agree(image, "ntfs")
    key = next(k for k in read.digests if k[0] == "packed/notes.txt")
    assert read.digests[key] == _sha(data)
    assert not read.direct[key]
    assert read.reads[("ntfs", "tsk")] >= 1


def test_a_volume_windows_made_reads_as_tsk_reads_it(workdir: Path) -> None:
    # dfVFS's windows_volume: NTFS as Windows wrote it, its metadata files and a file in System32
    qcow2 = dfvfs_file("windows_volume.qcow2")
    mk.require("qemu-img")
    image = workdir / "runs-windows-volume.raw"
    mk.run("qemu-img", "convert", "-O", "raw", qcow2, image)
    read = agree(image, "ntfs")
    syslog = next(k for k in read.digests if k[0] == "Windows/System32/config/syslog")
    assert read.direct[syslog]
    assert read.direct[("$MFT", 0, None)]
    assert read.direct[("$LogFile", 2, None)]


# --- the run arithmetic ---------------------------------------------------------------------------------
@dataclass
class _Run:
    offset: int
    addr: int
    len: int
    flags: int = 0


def test_runs_must_follow_one_another_and_cover_the_content() -> None:
    plain = [_Run(0, 10, 2), _Run(2, 50, 1, int(pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE)), _Run(3, 20, 4)]
    assert along_runs(plain, block=512, last_block=99, size=3000, fs_offset=1 << 20) == [
        Extent(0, (1 << 20) + 10 * 512, 1024),
        Extent(1024, None, 512),
        Extent(1536, (1 << 20) + 20 * 512, 1464),
    ]
    for runs, why in [
        ([_Run(0, 10, 2), _Run(3, 20, 4)], "gap"),
        ([_Run(0, 10, 2, int(pytsk3.TSK_FS_ATTR_RUN_FLAG_FILLER))], "could not place"),
        ([_Run(0, 10, 2)], "do not cover"),
        ([_Run(0, 98, 4)], "last block"),
    ]:
        with pytest.raises(NotCertain, match=why):
            along_runs(runs, block=512, last_block=99, size=1500, fs_offset=0)


def test_bytes_past_the_initialised_size_read_as_zeros() -> None:
    extents = [Extent(0, 4096, 4096), Extent(4096, None, 4096), Extent(8192, 65536, 4096)]
    assert zeros_from(extents, 1000) == [
        Extent(0, 4096, 1000),
        Extent(1000, None, 3096),
        Extent(4096, None, 4096),
        Extent(8192, None, 4096),
    ]
    assert zeros_from(extents, 12288) == extents


def _grow_with_libntfs(image: str, path: str, size: int) -> None:
    lib = ctypes.CDLL(ctypes.util.find_library("ntfs-3g") or "libntfs-3g.so.89", use_errno=True)
    ptr = ctypes.c_void_p
    lib.ntfs_mount.restype = ptr
    lib.ntfs_mount.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.ntfs_umount.argtypes = [ptr, ctypes.c_int]
    lib.ntfs_pathname_to_inode.restype = ptr
    lib.ntfs_pathname_to_inode.argtypes = [ptr, ptr, ctypes.c_char_p]
    lib.ntfs_attr_open.restype = ptr
    lib.ntfs_attr_open.argtypes = [ptr, ctypes.c_uint32, ptr, ctypes.c_uint32]
    lib.ntfs_attr_truncate.argtypes = [ptr, ctypes.c_int64]
    lib.ntfs_attr_close.argtypes = [ptr]
    lib.ntfs_inode_close.argtypes = [ptr]
    unnamed = ctypes.addressof(ctypes.c_uint16.in_dll(lib, "AT_UNNAMED"))
    volume = lib.ntfs_mount(image.encode(), 0)  # 0: read-write
    if not volume:
        raise SystemExit(f"mount {image} failed")
    try:
        inode = lib.ntfs_pathname_to_inode(volume, None, path.encode())
        if not inode:
            raise SystemExit(f"no {path}")
        attribute = lib.ntfs_attr_open(inode, _NTFS_DATA, unnamed, 0)
        if not attribute or lib.ntfs_attr_truncate(attribute, size):
            raise SystemExit(f"cannot grow {path} to {size}")
        lib.ntfs_attr_close(attribute)
        lib.ntfs_inode_close(inode)
    finally:
        if lib.ntfs_umount(volume, 0):
            raise SystemExit("unmount failed")


if __name__ == "__main__":
    _grow_with_libntfs(sys.argv[1], sys.argv[2], int(sys.argv[3]))
