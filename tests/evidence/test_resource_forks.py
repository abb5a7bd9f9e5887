"""Resource forks (HFS+, APFS) are streams of their files: ``path:rsrc``, read as TSK reads them.

No Debian 12 tool writes HFS+ (hfsprogs left the archive, and this machine's kernel has no hfsplus driver to
write a fork through ``file/..namedfork/rsrc``), so the test image is dfVFS's ``hfsplus.raw``, whose
``a_directory/a_resourcefork`` has an empty data fork and a 17-byte resource fork. The whole listing's
agreement with ``fls``/``istat``/``icat`` (forks included) is in ``test_filesystems_iso_hfs``; here, the fork
itself: its address, its bytes (``icat INODE-4353-ID``), and that a file without one gets no empty stream.
dfVFS's ``apfs.raw`` holds the same files: there the fork is an extended attribute, read through libfsapfs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence import tsk_oracle as tsk
from tests.evidence.cli_triage import triage_cli
from tests.evidence.dfvfs_data import dfvfs_file
from vigilant.cli import run
from vigilant.evidence.base import EntryStatus
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import RawImage
from vigilant.store import Database

FORK = b"My resource fork\n"  # what dfVFS's image holds in the fork (its own tests read it)


def _read(image: Path) -> dict[tuple[str, str | None], tuple[str, bytes]]:
    """(path, stream) -> (address as text, content) of every file the walker lists."""
    found = {}
    with FileSystemWalker(RawImage(image), owns_reader=True) as walker:
        for entry in walker:
            assert entry.status is EntryStatus.OK, (str(entry.address), entry.error)
            with entry.open() as fh:
                found[entry.address.path, entry.address.attribute] = (str(entry.address), fh.read())
    return found


def test_an_hfs_resource_fork_is_a_stream_of_its_file() -> None:
    mk.require("istat", "icat")
    image = dfvfs_file("hfsplus.raw")
    found = _read(image)
    address, content = found["/a_directory/a_resourcefork", "rsrc"]
    assert content == FORK
    assert address.endswith("/a_directory/a_resourcefork (inode 25):rsrc"), address
    assert found["/a_directory/a_resourcefork", None][1] == b""  # its data fork: empty
    # the independent reading: istat names the fork, icat reads it
    forks = [f for f in tsk.fls(image, 0, fs_type="hfs") if f.attribute == "rsrc"]
    assert [(f.path, f.inode_spec) for f in forks] == [("a_directory/a_resourcefork", "25-4353-1")]
    assert tsk.icat(image, 0, forks[0]).sha256 == hashlib.sha256(FORK).hexdigest()
    # files without a fork have no rsrc stream
    assert [key for key in found if key[1] == "rsrc"] == [("/a_directory/a_resourcefork", "rsrc")]


def test_an_apfs_resource_fork_is_a_stream_of_its_file() -> None:
    # dfVFS made apfs.raw from the same files as hfsplus.raw: the same fork, kept as the extended attribute
    # com.apple.ResourceFork; istat/icat -P apfs read it too (test_filesystems_xfs_apfs compares them all)
    found = _read(dfvfs_file("apfs.raw"))
    address, content = found["/a_directory/a_resourcefork", "rsrc"]
    assert content == FORK
    assert address.endswith("/a_directory/a_resourcefork (inode 23):rsrc"), address
    assert found["/a_directory/a_resourcefork", None][1] == b""
    assert [key for key in found if key[1] == "rsrc"] == [("/a_directory/a_resourcefork", "rsrc")]
    # an extended attribute that is not the fork stays out: a_file has "myxattr"
    assert ("/a_directory/a_file", "myxattr") not in found


def test_a_fork_is_hashed_and_matched_as_a_file(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a known-bad list holding only the fork's SHA-256: the run's one hit is the fork
    known = tmp_path / "known.sha256"
    known.write_text(f"{hashlib.sha256(FORK).hexdigest()}  fork.bin\n")
    assert run(["library", "import", str(known), "--name", "forks", "--kind", "known-bad"]) == 0
    capsys.readouterr()
    done = triage_cli(dfvfs_file("hfsplus.raw"), "mac", capsys, tmp_path)
    forks = {a: d for a, d in done.sha256.items() if a.endswith(":rsrc")}
    assert list(forks.values()) == [hashlib.sha256(FORK).hexdigest()], done.sha256
    assert done.status["summary"]["known_bad"] == 1, done.status
