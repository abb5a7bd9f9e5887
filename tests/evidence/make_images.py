"""Disk images made by the real tools, in temporary folders: nothing here is committed.

ext4 (``mke2fs -d``, deletions with ``debugfs``), FAT16/FAT32 (``mkfs.fat`` + mtools), NTFS (``mkntfs`` +
``ntfscp``, folders and deletions through libntfs-3g, see ``ntfs_tool``), partitioned disks (``sfdisk``, MBR
and GPT, file systems written in with ``dd``), split raw (``split``) and E01 (``ewfacquire``). The files
inside are small and synthetic: random bytes, pictures drawn with Pillow, text.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
MiB = 1 << 20
SECTOR = 512

# Debian package of each tool, for the skip message (CI installs them all: see .ci/run).
PACKAGES = {
    "mke2fs": "e2fsprogs",
    "debugfs": "e2fsprogs",
    "mkfs.fat": "dosfstools",
    "mcopy": "mtools",
    "mmd": "mtools",
    "mdel": "mtools",
    "mdeltree": "mtools",
    "mkfs.exfat": "exfatprogs",
    "mount.exfat-fuse": "exfat-fuse",
    "losetup": "mount",
    "mkntfs": "ntfs-3g",
    "ntfscp": "ntfs-3g",
    "ntfsls": "ntfs-3g",
    "sfdisk": "fdisk",
    "fls": "sleuthkit",
    "icat": "sleuthkit",
    "mmls": "sleuthkit",
    "ewfacquire": "ewf-tools",
    "split": "coreutils",
    "qemu-img": "qemu-utils",
    "7z": "p7zip-full",
    "genisoimage": "genisoimage",
    "xorriso": "xorriso",
    "mkfs.xfs": "xfsprogs",
    "xfs_db": "xfsprogs",
    "pstat": "sleuthkit",
    "cryptsetup": "cryptsetup-bin",
    "mkudffs": "udftools",
    "pvcreate": "lvm2",
    "vgcreate": "lvm2",
    "lvcreate": "lvm2",
    "pvs": "lvm2",
    "lvs": "lvm2",
}


def require(*tools: str) -> None:
    """Skip the test when a tool is missing, naming it; in CI (CI=true) a missing tool is a failure."""
    missing = [t for t in tools if shutil.which(t) is None]
    if not missing:
        return
    named = ", ".join(f"{t} (Debian package {PACKAGES.get(t, '?')})" for t in missing)
    if IN_CI:
        pytest.fail(f"CI=true but {named} is not installed: .ci/run must install it")
    pytest.skip(f"needs {named}")


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, command))} failed ({done.returncode}):\n"
            f"{done.stdout.decode(errors='replace')}{done.stderr.decode(errors='replace')}"
        )
    return done.stdout.decode(errors="replace")


# --- synthetic content ----------------------------------------------------------------------------------
def random_bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def picture(seed: int, kind: str, size: tuple[int, int] = (96, 64)) -> bytes:
    """A benign generated picture: a gradient with a few shapes."""
    rng = random.Random(seed)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for x in range(size[0]):
        draw.line([(x, 0), (x, size[1])], fill=(x * 255 // size[0], rng.randrange(256), 128))
    for _ in range(3):
        x, y = rng.randrange(size[0] - 10), rng.randrange(size[1] - 10)
        draw.ellipse([x, y, x + 10, y + 10], fill=(rng.randrange(256), 0, rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, format=kind)
    return out.getvalue()


def text(seed: int, lines: int) -> bytes:
    return "".join(f"synthetic test line {seed}-{i}\n" for i in range(lines)).encode()


def tree(seed: int, *, unicode_names: bool = True) -> dict[str, bytes]:
    """Relative path -> content of a small tree that exercises order, sizes and nesting."""
    files = {
        "readme.txt": text(seed, 5),
        "empty.txt": b"",
        "big.bin": random_bytes(seed + 1, MiB + MiB // 2 + 123),  # more than one 1 MiB read
        "pictures/gradient.png": picture(seed + 2, "PNG"),
        "pictures/photo.jpg": picture(seed + 3, "JPEG"),
        "pictures/holiday/noise.bin": random_bytes(seed + 4, 200_000),
        # "a.txt" < "a/inner.txt" < "a0.bin" as paths: the walk must interleave them in that order
        "sort/a.txt": text(seed + 5, 2),
        "sort/a/inner.txt": text(seed + 6, 3),
        "sort/a0.bin": random_bytes(seed + 7, 4096),
        "sort/B.txt": text(seed + 8, 1),
    }
    if unicode_names:
        files["sort/café notes.txt"] = text(seed + 9, 4)
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@dataclass
class Built:
    """An image and what went into it."""

    path: Path
    kind: str
    files: dict[str, bytes] = field(default_factory=dict)  # live files: relative path -> content
    deleted: dict[str, bytes] = field(default_factory=dict)  # deleted files: what they held


# --- file systems ---------------------------------------------------------------------------------------
def make_ext4(work: Path, seed: int = 100) -> Built:
    require("mke2fs", "debugfs")
    files = tree(seed)
    deleted = {
        "trash/old-notes.txt": text(seed + 20, 40),
        "trash/old-photo.jpg": picture(seed + 21, "JPEG"),
        "deleted-noise.bin": random_bytes(seed + 22, 30_000),
        "docs/draft.txt": text(seed + 23, 10),
    }
    src = work / "ext4-src"
    write_tree(src, files | deleted)
    image = work / "ext4.img"
    run("mke2fs", "-q", "-t", "ext4", "-E", "root_owner=0:0", "-d", src, "-F", image, "16M")
    script = work / "ext4-delete.cmd"
    script.write_text(
        "rm /trash/old-notes.txt\nrm /trash/old-photo.jpg\nrmdir /trash\nrm /deleted-noise.bin\n"
        "rm /docs/draft.txt\n"
    )
    run("debugfs", "-w", "-f", script, image)
    # A new file after the deletions takes the lowest free inode and blocks: a deleted name then points
    # at an inode that is live again ("realloc"), and deleted content may be overwritten.
    for name, data in {
        "reused.bin": random_bytes(seed + 24, 20_000),
        "reused2.txt": text(seed + 25, 30),
    }.items():
        local = work / f"ext4-{name}"
        local.write_bytes(data)
        run("debugfs", "-w", "-R", f"write {local} {name}", image)
        files[name] = data
    return Built(image, "ext4", files, deleted)


def make_fat(work: Path, bits: int, seed: int = 200) -> Built:
    require("mkfs.fat", "mcopy", "mmd", "mdel", "mdeltree")
    files = tree(seed, unicode_names=False)
    image = work / f"fat{bits}.img"
    # FAT32 needs at least 65525 clusters: one-sector clusters on a 34 MiB volume.
    size_kib = 16 * 1024 if bits == 16 else 34 * 1024
    cluster = ["-s", "4"] if bits == 16 else ["-s", "1"]
    run("mkfs.fat", "-C", "-F", str(bits), *cluster, "-n", f"VIG{bits}", image, str(size_kib))
    env = {"MTOOLS_SKIP_CHECK": "1"}
    src = work / f"fat{bits}-src"
    deleted = {
        "trash/old-notes.txt": text(seed + 20, 40),
        "trash/old-photo.jpg": picture(seed + 21, "JPEG"),
        "docs/draft.txt": text(seed + 23, 10),
        "deleted-noise.bin": random_bytes(seed + 22, 30_000),
    }
    write_tree(src, files | deleted)
    folders = sorted({str(Path(p).parent) for p in files | deleted if "/" in p}, key=len)
    for folder in folders:
        run("mmd", "-i", image, f"::/{folder}", env=env)
    for rel in sorted(files | deleted):
        run("mcopy", "-i", image, src / rel, f"::/{rel}", env=env)
    run("mdel", "-i", image, "::/docs/draft.txt", "::/deleted-noise.bin", env=env)
    run("mdeltree", "-i", image, "::/trash", env=env)
    # Written after the deletions: takes freed clusters, so some deleted content is gone for good.
    reused = work / f"fat{bits}-reused.bin"
    reused.write_bytes(random_bytes(seed + 24, 20_000))
    run("mcopy", "-i", image, reused, "::/reused.bin", env=env)
    files["reused.bin"] = reused.read_bytes()
    return Built(image, f"fat{bits}", files, deleted)


def make_exfat(work: Path, seed: int = 400) -> Built:
    """exFAT through the only writer Debian has: mkfs.exfat, then the FUSE driver on a loop device.

    The kernel here has no exFAT driver and exfatprogs cannot add files, so the volume is mounted with
    exfat-fuse, filled, some files deleted, and unmounted. Where the machine refuses loop devices or FUSE
    (a locked-down container), the test is skipped with the reason: that is the sandbox, not a missing
    package.
    """
    require("mkfs.exfat", "mount.exfat-fuse", "losetup")
    files = tree(seed)
    deleted = {
        "trash/old-notes.txt": text(seed + 20, 40),
        "trash/old-photo.jpg": picture(seed + 21, "JPEG"),
        "docs/draft.txt": text(seed + 23, 10),
        "deleted-noise.bin": random_bytes(seed + 22, 30_000),
    }
    image = work / "exfat.img"
    with image.open("wb") as fh:
        fh.truncate(16 * MiB)
    run("mkfs.exfat", "-L", "VIGEX", image)
    mount = work / "exfat-mnt"
    mount.mkdir()
    attach = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, check=False)
    if attach.returncode != 0:
        pytest.skip(f"exFAT image needs a loop device: {attach.stderr.decode(errors='replace').strip()}")
    loop = attach.stdout.decode().strip()
    try:
        fuse = subprocess.run(["mount.exfat-fuse", loop, str(mount)], capture_output=True, check=False)
        if fuse.returncode != 0:
            pytest.skip(f"exFAT image needs FUSE: {fuse.stderr.decode(errors='replace').strip()}")
        try:
            files["reused.bin"] = random_bytes(seed + 24, 20_000)
            write_tree(mount, files | deleted)
            # exfat-fuse gives freed clusters straight back to the next write, so nothing is written
            # after the deletions: the deleted contents stay on the volume for TSK to recover.
            for rel in deleted:
                (mount / rel).unlink()
            (mount / "trash").rmdir()
        finally:
            run("umount", mount)
    finally:
        run("losetup", "-d", loop)
    return Built(image, "exfat", files, deleted)


def ntfs_tool(image: Path, *operations: str) -> None:
    run(sys.executable, "-m", "tests.evidence.ntfs_tool", image, *operations, cwd=REPO)


def ntfs_inodes(image: Path, folder: str) -> dict[str, int]:
    """Name -> MFT entry of each name in an NTFS folder (``ntfsls -i``)."""
    listing = run("ntfsls", "-i", "-p", folder, image)
    return {name: int(number) for number, name in (line.split(None, 1) for line in listing.splitlines())}


def make_ntfs(work: Path, seed: int = 300) -> Built:
    require("mkntfs", "ntfscp", "ntfsls")
    files = tree(seed, unicode_names=False)
    deleted = {
        "trash/old-notes.txt": text(seed + 20, 40),
        "trash/old-photo.jpg": picture(seed + 21, "JPEG"),
        "docs/draft.txt": text(seed + 23, 10),
        "deleted-noise.bin": random_bytes(seed + 22, 30_000),
    }
    image = work / "ntfs.img"
    with image.open("wb") as fh:
        fh.truncate(16 * MiB)
    run("mkntfs", "-F", "-f", "-q", image)
    src = work / "ntfs-src"
    write_tree(src, files | deleted)
    folders = sorted({str(Path(p).parent) for p in files | deleted if "/" in p}, key=len)
    ntfs_tool(image, *(f"mkdir:/{folder}" for folder in folders))
    for rel in sorted(files | deleted):
        run("ntfscp", "-q", image, src / rel, f"/{rel}")
    # Alternate data streams: one on a file, one on a folder (ntfscp reaches a folder by its inode).
    streams = {"pictures/photo.jpg:summary": text(seed + 30, 3), "docs:hidden": random_bytes(seed + 31, 5000)}
    inodes = ntfs_inodes(image, "/")
    for name, data in streams.items():
        rel, stream = name.split(":")
        local = work / f"ntfs-stream-{stream}"
        local.write_bytes(data)
        if rel in inodes:
            run("ntfscp", "-q", "-i", "-N", stream, image, local, str(inodes[rel]))
        else:
            run("ntfscp", "-q", "-N", stream, image, local, f"/{rel}")
    files.update(streams)
    ntfs_tool(image, "rm:/docs/draft.txt", "rm:/deleted-noise.bin", "rm:/trash/old-notes.txt")
    ntfs_tool(image, "rm:/trash/old-photo.jpg", "rm:/trash")
    return Built(image, "ntfs", files, deleted)


# --- disks and containers -------------------------------------------------------------------------------
@dataclass
class Disk:
    path: Path
    label: str  # "dos" or "gpt"
    partitions: list[tuple[int, Built | None]]  # (byte offset, file system written there, or None)


def make_disk(work: Path, label: str, first: Built, second: Built) -> Disk:
    """Three partitions: ``first`` and ``second`` written in with dd, and a third left empty."""
    require("sfdisk")
    sizes = [first.path.stat().st_size // SECTOR, second.path.stat().st_size // SECTOR, 4 * MiB // SECTOR]
    starts = [2048]
    for size in sizes[:-1]:
        starts.append(starts[-1] + size)
    total = (starts[-1] + sizes[-1] + 2048) * SECTOR
    disk = work / f"disk-{label}.img"
    with disk.open("wb") as fh:
        fh.truncate(total)
    table = f"label: {label}\n" + "".join(
        f"start={start}, size={size}\n" for start, size in zip(starts, sizes, strict=True)
    )
    subprocess.run(["sfdisk", "-q", str(disk)], input=table.encode(), check=True, capture_output=True)
    with disk.open("r+b") as out:
        for start, built in zip(starts, (first, second), strict=False):
            out.seek(start * SECTOR)
            out.write(built.path.read_bytes())
    return Disk(
        disk, label, [(starts[0] * SECTOR, first), (starts[1] * SECTOR, second), (starts[2] * SECTOR, None)]
    )


def make_split(image: Path, work: Path, segment_bytes: int) -> Path:
    """``split`` the image into ``name.001``, ``name.002``, …; returns the first segment."""
    require("split")
    prefix = work / (image.stem + ".")
    run("split", "-b", str(segment_bytes), "-d", "-a", "3", "--numeric-suffixes=1", image, prefix)
    return Path(f"{prefix}001")


def make_e01(image: Path, target: Path, *, compression: str = "deflate:fast", segment_bytes: int = 0) -> Path:
    """Acquire ``image`` unattended into ``target.E01`` (``.E02``… given a segment size), hashes stored."""
    require("ewfacquire")
    command: list[str | Path] = ["ewfacquire", "-u", "-q", "-t", target, "-f", "encase6", "-c", compression]
    command += ["-d", "sha1", "-C", "case-0001", "-E", "item-1", "-e", "test examiner", "-D", "synthetic"]
    if segment_bytes:
        command += ["-S", str(segment_bytes)]
    run(*command, image)
    return target.with_name(target.name + ".E01")
