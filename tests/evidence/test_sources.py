"""Source types: the registry and detection, the folder source, acquisition hashes."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from vigilant.errors import BadInputError, ConflictError
from vigilant.evidence import directory
from vigilant.evidence.base import Address, EntryStatus, EvidenceError
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import RawImage
from vigilant.evidence.sources import DirectorySource, E01Source, RawSource, SourceRegistry, sources


# --- registry ------------------------------------------------------------------------------------------
def test_registry_lists_the_builtin_types_once() -> None:
    assert sources().names() == ["directory", "e01", "archive", "vmdk", "vhd", "qcow", "dmg", "raw"]
    assert sources()["e01"].name == "e01"
    known = "known types: directory, e01, archive, vmdk, vhd, qcow, dmg, raw"
    with pytest.raises(BadInputError, match=known):
        sources()["apfs"]
    with pytest.raises(ConflictError, match="'raw' registered twice"):
        SourceRegistry([RawSource(), RawSource()])


def test_detection(tmp_path: Path, e01_disk: Path, split_disk: Path, mbr_disk: mk.Disk) -> None:
    assert sources().detect(tmp_path).name == "directory"
    assert sources().detect(e01_disk).name == "e01"
    assert sources().detect(mbr_disk.path).name == "raw"
    assert sources().detect(split_disk).name == "raw"
    renamed = tmp_path / "evidence.bin"  # an E01 is known by its signature, whatever its name
    shutil.copy(e01_disk, renamed)
    assert sources().detect(renamed).name == "e01"
    with pytest.raises(EvidenceError, match="no evidence at"):
        sources().detect(tmp_path / "missing.dd")


def test_image_sources_walk_like_the_walker(mbr_disk: mk.Disk, e01_disk: Path, split_disk: Path) -> None:
    with RawImage(mbr_disk.path) as reader, FileSystemWalker(reader) as walker:
        expected = [(e.address, e.size, e.allocated) for e in walker]
    for source, path in [("raw", mbr_disk.path), ("raw", split_disk), ("e01", e01_disk)]:
        got = [(e.address, e.size, e.allocated) for e in sources()[source].entries(path)]
        assert got == expected, source
    with sources()["raw"].walk(mbr_disk.path) as walk:
        list(walk)
        assert len(walk.problems) == 1  # the empty third partition


def test_image_acquisition_hashes(mbr_disk: mk.Disk, split_disk: Path, e01_disk: Path) -> None:
    data = mbr_disk.path.read_bytes()
    expected = {"md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}
    raw = RawSource().acquisition_hashes(mbr_disk.path)
    assert raw == expected | {"bytes": str(len(data))}
    assert RawSource().acquisition_hashes(split_disk) == raw  # the segments, concatenated
    stored = E01Source().acquisition_hashes(e01_disk)
    assert stored == {"md5": expected["md5"], "sha1": hashlib.sha1(data).hexdigest(), "verify": "available"}
    assert E01Source().verify(e01_disk).ok


# --- folders ----------------------------------------------------------------------------------------------
@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "seized"
    mk.write_tree(root, mk.tree(50))
    return root


def test_folder_entries_in_address_order(folder: Path) -> None:
    entries = list(DirectorySource().entries(folder))
    files = mk.tree(50)
    assert [e.address.path for e in entries] == sorted("/" + rel for rel in files)
    assert [e.address for e in entries] == sorted(e.address for e in entries)
    first = entries[0]
    assert first.address == Address(
        filesystem="directory", path=first.address.path, inode=first.address.inode
    )
    for entry in entries:
        rel = entry.address.path[1:]
        assert entry.address.inode == (folder / rel).stat().st_ino
        assert entry.size == len(files[rel])
        assert entry.modified is not None
        with entry.open() as fh:
            assert fh.read() == files[rel]


def test_folder_links_and_special_files_are_skipped_and_recorded(folder: Path) -> None:
    (folder / "link-to-readme").symlink_to("readme.txt")
    (folder / "outside").symlink_to("/etc")
    os.mkfifo(folder / "pipe")
    with DirectorySource().walk(folder) as walk:
        paths = [e.address.path for e in walk]
    assert "/link-to-readme" not in paths
    assert "/pipe" not in paths
    assert not any(p.startswith("/outside") for p in paths)
    reasons = dict(walk.problems)
    assert "symbolic link" in reasons["/link-to-readme"]
    assert "not followed" in reasons["/outside"]
    assert "FIFO" in reasons["/pipe"]


def test_unreadable_file_is_listed_with_the_system_reason(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = folder / "pictures" / "photo.jpg"
    if os.geteuid() != 0:
        target.chmod(0)
    else:  # root reads anything: make the system refuse this one file
        real = directory.open_readonly

        def refuse(path: bytes, extra: int = 0) -> int:
            if path == os.fsencode(target):
                raise PermissionError(13, "Permission denied")
            return real(path, extra)

        monkeypatch.setattr(directory, "open_readonly", refuse)
    entry = next(e for e in DirectorySource().entries(folder) if e.address.path == "/pictures/photo.jpg")
    assert entry.status is EntryStatus.UNREADABLE
    assert entry.opener is None
    assert entry.error == "cannot open: Permission denied"


def _snapshot(paths: list[Path]) -> list[tuple[str, int, int, int, int]]:
    # lstat only: listing the folders here would itself change their access times.
    rows = []
    for path in paths:
        info = path.lstat()
        rows.append((str(path), info.st_size, info.st_mtime_ns, info.st_atime_ns, info.st_mode))
    return rows


def test_folder_source_writes_nothing(folder: Path) -> None:
    files = [folder / rel for rel in mk.tree(50)]
    paths = sorted({*files, *(p.parent for p in files)})
    # Access times older than the modification times: a plain read or listing would update them
    # (relatime); the folder source opens files and folders with O_NOATIME.
    for path in paths:
        info = path.stat()
        os.utime(path, ns=(info.st_mtime_ns - 10**12, info.st_mtime_ns))
    before = _snapshot(paths)
    source = DirectorySource()
    for entry in source.entries(folder):
        with entry.open() as fh:
            fh.read()
    source.acquisition_hashes(folder)
    after = _snapshot(paths)
    assert [row[:3] + row[4:] for row in after] == [row[:3] + row[4:] for row in before]
    if os.geteuid() == 0 or all(p.stat().st_uid == os.geteuid() for p in paths):
        assert after == before, "reading with O_NOATIME must leave access times alone"


def test_folder_acquisition_hash_is_the_documented_manifest(folder: Path) -> None:
    files = mk.tree(50)
    manifest = "".join(
        f"/{rel}\t{len(data)}\t{hashlib.sha256(data).hexdigest()}\n"
        for rel, data in sorted(files.items(), key=lambda kv: "/" + kv[0])
    )
    hashes = DirectorySource().acquisition_hashes(folder)
    assert hashes == {
        "manifest-sha256": hashlib.sha256(manifest.encode()).hexdigest(),
        "files": str(len(files)),
        "bytes": str(sum(len(d) for d in files.values())),
    }
    (folder / "readme.txt").write_bytes(b"changed")
    assert DirectorySource().acquisition_hashes(folder)["manifest-sha256"] != hashes["manifest-sha256"]


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="is not a folder"):
        list(DirectorySource().entries(tmp_path / "nothing"))
