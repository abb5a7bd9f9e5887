"""The file-system walker beyond its agreement with TSK: readers, order, problems, loops, threads."""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from vigilant.evidence.base import Address, EntryStatus, FileEntry
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import RawImage
from vigilant.evidence.tsk_reader import CHUNK


def _walk(path: Path) -> list[FileEntry]:
    with RawImage(path) as reader, FileSystemWalker(reader) as walker:
        return list(walker)


def _by_path(entries: list[FileEntry]) -> dict[tuple[str, str | None], FileEntry]:
    return {(e.address.path, e.address.attribute): e for e in entries if e.allocated}


def test_reader_reads_seeks_and_reads_into(ext4_image: mk.Built) -> None:
    data = ext4_image.files["big.bin"]
    assert len(data) > CHUNK
    with RawImage(ext4_image.path) as reader, FileSystemWalker(reader) as walker:
        entry = next(e for e in walker if e.address.path == "/big.bin")
        with entry.open() as fh:
            assert fh.read(10) == data[:10]
            assert fh.tell() == 10
            fh.seek(CHUNK - 5)
            assert fh.read(10) == data[CHUNK - 5 : CHUNK + 5]  # across two TSK reads
            fh.seek(-3, io.SEEK_END)
            assert fh.read() == data[-3:]
            assert fh.read(5) == b""
            fh.seek(0)
            buffer = bytearray(CHUNK + 100)
            assert fh.readinto(buffer) == CHUNK + 100  # type: ignore[attr-defined] # BinaryIO lacks it
            assert bytes(buffer) == data[: CHUNK + 100]
            fh.seek(0)
            assert fh.read() == data
        with pytest.raises(ValueError, match="closed"):
            fh.read(1)


def test_entries_carry_times_and_a_followable_address(ext4_image: mk.Built) -> None:
    entries = _walk(ext4_image.path)
    readme = _by_path(entries)[("/readme.txt", None)]
    assert readme.address == Address(None, None, "ext4", "/readme.txt", readme.address.inode, None)
    assert str(readme.address) == f"ext4 > /readme.txt (inode {readme.address.inode})"
    assert readme.modified is not None
    assert readme.modified.tzinfo is UTC
    assert readme.name == "readme.txt"
    assert readme.size == len(ext4_image.files["readme.txt"])


def test_deleted_and_reallocated_entries(ext4_image: mk.Built, fat16_image: mk.Built) -> None:
    ext4 = _walk(ext4_image.path)
    realloc = [e for e in ext4 if e.reallocated]
    assert [e.address.path for e in realloc] == ["/docs/draft.txt"]
    assert realloc[0].deleted  # its inode now holds reused2.txt
    fat = _walk(fat16_image.path)
    gone = [e for e in fat if e.status is EntryStatus.UNREADABLE]
    assert gone, "a deleted FAT file whose clusters were reused cannot be recovered"
    for entry in gone:
        assert entry.deleted
        assert entry.opener is None
        assert entry.error
        assert "reused" in entry.error or "recovered" in entry.error


def test_ntfs_streams_are_entries_of_their_own(ntfs_image: mk.Built) -> None:
    with RawImage(ntfs_image.path) as reader, FileSystemWalker(reader) as walker:
        entries = _by_path(list(walker))
        photo, summary = entries[("/pictures/photo.jpg", None)], entries[("/pictures/photo.jpg", "summary")]
        assert photo.address.inode == summary.address.inode
        assert str(summary.address).endswith(":summary")
        with summary.open() as fh:
            assert fh.read() == ntfs_image.files["pictures/photo.jpg:summary"]
        folder = entries[("/docs", "hidden")]
        with folder.open() as fh:
            assert fh.read() == ntfs_image.files["docs:hidden"]
    assert not any(path == "/$BadClus" and attribute == "$Bad" for path, attribute in entries)


def test_walk_is_reproducible(ntfs_image: mk.Built) -> None:
    first, second = _walk(ntfs_image.path), _walk(ntfs_image.path)
    assert [(e.address, e.size, e.allocated) for e in first] == [
        (e.address, e.size, e.allocated) for e in second
    ]


def test_not_a_file_system_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    junk = tmp_path / "junk.img"
    junk.write_bytes(mk.random_bytes(1, 2 * mk.MiB))
    with RawImage(junk) as reader, FileSystemWalker(reader) as walker:
        assert list(walker) == []
        assert len(walker.problems) == 1
        where, reason = walker.problems[0]
        assert "offset 0" in where
        assert "file system" in reason


def test_directory_loop_is_walked_once(tmp_path: Path) -> None:
    mk.require("mke2fs", "debugfs")
    src = tmp_path / "src"
    mk.write_tree(src, {"sub/inside.txt": b"inside\n", "top.txt": b"top\n"})
    image = tmp_path / "loop.img"
    mk.run("mke2fs", "-q", "-t", "ext4", "-d", src, "-F", image, "4M")
    mk.run("debugfs", "-w", "-R", "link /sub /sub/again", image)  # a directory hard link: a cycle
    paths = [e.address.path for e in _walk(image)]
    assert paths == ["/sub/inside.txt", "/top.txt"]


def test_readers_may_run_in_threads(mbr_disk: mk.Disk) -> None:
    with RawImage(mbr_disk.path) as reader, FileSystemWalker(reader) as walker:
        entries = [e for e in walker if e.status is EntryStatus.OK]

        def digest(entry: FileEntry) -> str:
            with entry.open() as fh:
                return hashlib.sha256(fh.read()).hexdigest()

        serial = [digest(e) for e in entries]
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(digest, entries)) == serial


def test_entries_cannot_be_read_after_the_walk_is_closed(ext4_image: mk.Built) -> None:
    entries = _walk(ext4_image.path)
    with pytest.raises(OSError, match="closed"):
        entries[0].open()
