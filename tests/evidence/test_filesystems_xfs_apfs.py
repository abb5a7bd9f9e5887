"""XFS and APFS, which The Sleuth Kit of pytsk3 cannot read, read through libfsxfs and libfsapfs.

XFS images are made by ``mkfs.xfs -p protofile`` (files copied in without mounting); the oracle is
``xfs_db`` (the XFS debugger: each folder's names and inode numbers) and the files put in. APFS is the dfVFS
test image; the oracle is Debian's fls/icat with its APFS pool support (``-P apfs -B`` the volume's block,
as ``pstat`` gives it). Neither library lists deleted entries, so neither listing has them.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence.cli_triage import triage_cli
from tests.evidence.dfvfs_data import dfvfs_file
from tests.evidence.test_tsk_agreement import vigilant_listing
from vigilant.errors import ExitCode
from vigilant.evidence.images import RawImage
from vigilant.evidence.sources import sources
from vigilant.store import Database

TREE = {
    "readme.txt": mk.text(31, 5),
    "empty.txt": b"",
    "big.bin": mk.random_bytes(32, 3 << 20),
    "pictures/photo.jpg": mk.picture(33, "JPEG"),
    "pictures/holiday/noise.bin": mk.random_bytes(34, 200_000),
    "sort/a.txt": mk.text(35, 2),
    "sort/a/inner.txt": mk.text(36, 3),
    "sort/a0.bin": mk.random_bytes(37, 4096),
}


def _proto_lines(folder: Path, depth: int) -> list[str]:
    lines = []
    for child in sorted(folder.iterdir()):
        pad = " " * depth
        if child.is_dir():
            lines += [f"{pad}{child.name} d--755 0 0", *_proto_lines(child, depth + 1), f"{pad}$"]
        else:
            lines.append(f"{pad}{child.name} ---644 0 0 {child}")
    return lines


def make_xfs(work: Path) -> Path:
    """A 300 MiB XFS (the least mkfs.xfs makes; sparse on disk) holding TREE, from a protofile."""
    mk.require("mkfs.xfs", "xfs_db")
    src = work / "xfs-src"
    mk.write_tree(src, TREE)
    proto = work / "xfs.proto"
    proto.write_text("\n".join(["/dev/null", "0 0", "d--755 0 0", *_proto_lines(src, 1), "$", ""]))
    image = work / "xfs.img"
    with image.open("wb") as fh:
        fh.truncate(300 * mk.MiB)
    mk.run("mkfs.xfs", "-q", "-p", proto, image)
    return image


def xfs_db_files(image: Path, folder: str = "/") -> dict[str, int]:
    """Path -> inode number of each regular file, from xfs_db's own directory listings."""
    found: dict[str, int] = {}
    for line in mk.run("xfs_db", "-r", "-c", f"ls {folder}", image).splitlines()[1:]:
        match = re.match(r"^\s*\d+\s+(\d+)\s+(\w+)\s+0x[0-9a-f]+\s+\d+\s+(.*) \(\w+\)$", line)
        assert match is not None, line
        inode, kind, name = int(match[1]), match[2], match[3]
        path = f"{folder.rstrip('/')}/{name}"
        if kind == "regular":
            found[path] = inode
        elif kind == "directory" and name not in {".", ".."}:
            found |= xfs_db_files(image, path)
    return found


def test_xfs_agrees_with_xfs_db_and_its_files(tmp_path: Path) -> None:
    image = make_xfs(tmp_path)
    assert sources().detect(image).name == "raw"  # told by its superblock, though TSK cannot read it
    listing = vigilant_listing(RawImage(image))
    assert listing.problems == []
    ours = {e.address.path: e.address.inode for e in listing.entries}
    assert ours == xfs_db_files(image)
    assert {e.address.filesystem for e in listing.entries} == {"xfs"}
    paths = [e.address.path for e in listing.entries]
    assert paths.index("/sort/a.txt") < paths.index("/sort/a/inner.txt") < paths.index("/sort/a0.bin")
    digests = {e.address.path: listing.digests[i] for i, e in enumerate(listing.entries)}
    assert digests == {f"/{p}": hashlib.sha256(d).hexdigest() for p, d in TREE.items()}
    assert all(e.modified is not None for e in listing.entries)


def test_damaged_xfs_is_an_unreadable_volume(tmp_path: Path) -> None:
    image = make_xfs(tmp_path)
    with image.open("r+b") as fh:  # the superblock's signature kept, the rest of its sector zeroed
        fh.seek(4)
        fh.write(bytes(508))
    listing = vigilant_listing(RawImage(image))
    assert listing.entries == []
    [problem] = listing.problems
    assert "XFS that libfsxfs cannot read" in problem.reason


def test_triage_of_an_xfs_image(db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = make_xfs(tmp_path)
    done = triage_cli(image, "server-disk", capsys, tmp_path)
    assert done.code == ExitCode.OK
    inodes = xfs_db_files(image)
    expected = {
        f"xfs > /{p} (inode {inodes['/' + p]})": hashlib.sha256(d).hexdigest() for p, d in TREE.items()
    }
    assert done.sha256 == expected
    assert done.status["verification"]["ok"]


# --- APFS -----------------------------------------------------------------------------------------------
def _apfs_volume_block(image: Path) -> int:
    out = subprocess.run(["pstat", str(image)], capture_output=True, check=True).stdout.decode()
    match = re.search(r"APSB Block Number: (\d+)", out)
    assert match is not None, out
    return int(match[1])


def test_dfvfs_apfs_agrees_with_tsk_pool_reader() -> None:
    mk.require("fls", "icat", "pstat")
    image = dfvfs_file("apfs.raw")
    assert sources().detect(image).name == "raw"
    block = str(_apfs_volume_block(image))
    out = mk.run("fls", "-P", "apfs", "-B", block, "-r", "-p", image)
    theirs: dict[tuple[str, int, str | None], tuple[int, str]] = {}
    for line in out.splitlines():
        match = re.match(r"^r/r (\*?\s*)(\d+):\t(.*)$", line)
        if match and not match[1].strip():
            # (icat fails on a file with no data stream at all, as a_resourcefork: that is empty content)
            data = subprocess.run(
                ["icat", "-P", "apfs", "-B", block, str(image), match[2]], capture_output=True, check=False
            ).stdout
            theirs[(f"/{match[3]}", int(match[2]), None)] = (len(data), hashlib.sha256(data).hexdigest())
            # a resource fork, as istat lists it (fls does not): the file's stream "rsrc"
            attributes = mk.run("istat", "-P", "apfs", "-B", block, image, match[2])
            fork = re.search(r"^Type: RSRC \((4353-\d+)\)", attributes, re.MULTILINE)
            if fork is not None:
                spec = f"{match[2]}-{fork[1]}"
                command = ["icat", "-P", "apfs", "-B", block, str(image), spec]
                data = subprocess.run(command, capture_output=True, check=True).stdout
                theirs[(f"/{match[3]}", int(match[2]), "rsrc")] = (
                    len(data),
                    hashlib.sha256(data).hexdigest(),
                )
    listing = vigilant_listing(RawImage(image))
    assert listing.problems == []
    ours = {
        (e.address.path, e.address.inode, e.address.attribute): (e.size, listing.digests[i])
        for i, e in enumerate(listing.entries)
    }
    assert ours == theirs
    assert ("/a_directory/a_resourcefork", 23, "rsrc") in ours  # dfVFS's file with a 17-byte fork
    assert {e.address.filesystem for e in listing.entries} == {"apfs volume 1 (apfs_test)"}
