"""Archive members as file entries: nesting, detection by content, encryption, damage, limits."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.evidence import make_archives as ma
from tests.evidence import make_images as mk
from vigilant.evidence.archive_budget import ArchiveLimits, ArchiveProblem, ProblemKind
from vigilant.evidence.archive_formats import archive_kind
from vigilant.evidence.archives import expand
from vigilant.evidence.base import Address, EntryStatus, FileEntry
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import RawImage
from vigilant.evidence.sources import DirectorySource

PHOTO = mk.picture(1, "JPEG")
DRAWING = mk.picture(2, "PNG")
NOTES = mk.text(3, 20)


def _entry(folder: Path, name: str, data: bytes) -> Iterator[FileEntry]:
    """The file ``name`` (holding ``data``) as the directory source lists it."""
    (folder / name).write_bytes(data)
    for entry in DirectorySource().entries(folder):
        if entry.name == name:
            yield entry


Read = tuple[Address, bytes | None]


def _expanded(
    entry: FileEntry, max_depth: int = 3, limits: ArchiveLimits | None = None
) -> list[Read | ArchiveProblem]:
    """Each member with its content (read while it is held), and the problems, in order."""
    out: list[Read | ArchiveProblem] = []
    for item in expand(entry, max_depth, limits=limits):
        if isinstance(item, ArchiveProblem):
            out.append(item)
        elif item.status is EntryStatus.OK:
            with item.open() as fh:
                out.append((item.address, fh.read()))
        else:
            out.append((item.address, None))
    return out


def _reads(items: list[Read | ArchiveProblem]) -> list[Read]:
    return [item for item in items if not isinstance(item, ArchiveProblem)]


def test_nested_zip_in_tar_gz_in_a_folder(tmp_path: Path) -> None:
    photos = ma.zip_bytes({"holiday/a.jpg": PHOTO, "holiday/b.png": DRAWING})
    outer = ma.tar_bytes({"notes.txt": NOTES, "inner/photos.zip": photos})
    for entry in _entry(tmp_path, "outer.tar.gz", outer):
        items = _expanded(entry)
    base = Address(
        filesystem="directory", path="/outer.tar.gz", inode=(tmp_path / "outer.tar.gz").stat().st_ino
    )
    assert items == [
        (base.child("notes.txt"), NOTES),
        (base.child("inner/photos.zip"), photos),
        (base.child("inner/photos.zip").child("holiday/a.jpg"), PHOTO),
        (base.child("inner/photos.zip").child("holiday/b.png"), DRAWING),
    ]
    assert str(_reads(items)[2][0]).endswith("member inner/photos.zip > member holiday/a.jpg")


def test_members_keep_names_sizes_and_times(tmp_path: Path) -> None:
    for entry in _entry(tmp_path, "t.tar", ma.tar_bytes({"dir/x.txt": NOTES}, compression="")):
        members = [m for m in expand(entry) if isinstance(m, FileEntry)]
    assert [(m.name, m.size, m.modified and m.modified.timestamp()) for m in members] == [
        ("x.txt", len(NOTES), 1_700_000_000)
    ]


def test_detected_by_content_not_by_name(tmp_path: Path) -> None:
    disguised = ma.zip_bytes({"inside.jpg": PHOTO})
    for entry in _entry(tmp_path, "holiday.jpg", disguised):
        assert [a for a, _ in _reads(_expanded(entry))] == [entry.address.child("inside.jpg")]
    for entry in _entry(tmp_path, "fake.zip", NOTES):
        assert _expanded(entry) == []
    assert archive_kind(ma.tar_bytes({"a": b"x"}, compression="bz2")) == "tar+bzip2"
    assert archive_kind(ma.tar_bytes({"a": b"x"}, compression="xz")) == "tar+xz"
    assert archive_kind(PHOTO) is None


def test_single_compressed_files(tmp_path: Path) -> None:
    buffer = io.BytesIO()  # a gzip header that carries the original name and time
    with gzip.GzipFile(filename="report.txt", mode="wb", fileobj=buffer, mtime=1_600_000_000) as fh:
        fh.write(NOTES)
    named = buffer.getvalue()
    for entry in _entry(tmp_path, "whatever.gz", named):
        (member,) = list(expand(entry))
        assert isinstance(member, FileEntry)
        assert (member.name, member.size) == ("report.txt", len(NOTES))
        assert member.modified is not None
        assert member.modified.timestamp() == 1_600_000_000
    cases = {
        "plain.txt.gz": gzip.compress(NOTES, mtime=0),  # no name in the header: the file's, less .gz
        "plain.txt.bz2": bz2.compress(NOTES),
        "plain.txt.xz": lzma.compress(NOTES),
    }
    for name, data in cases.items():
        for entry in _entry(tmp_path, name, data):
            assert _expanded(entry) == [(entry.address.child("plain.txt"), NOTES)]


def test_encrypted_member_is_listed_not_read(tmp_path: Path) -> None:
    data = ma.encrypted_zip({"open.txt": (NOTES, False), "secret.jpg": (PHOTO, True)}, b"benign-password")
    with zipfile.ZipFile(io.BytesIO(data)) as check:  # a genuine encrypted zip: zipfile decrypts it
        assert check.read("secret.jpg", pwd=b"benign-password") == PHOTO
    for entry in _entry(tmp_path, "mixed.zip", data):
        members = [m for m in expand(entry) if isinstance(m, FileEntry)]
        assert [(m.name, m.status, m.size) for m in members] == [
            ("open.txt", EntryStatus.OK, len(NOTES)),
            ("secret.jpg", EntryStatus.ENCRYPTED, len(PHOTO)),
        ]
        assert members[1].opener is None
        assert members[1].error


def test_bad_crc_lists_members_before_it_then_stops(tmp_path: Path) -> None:
    members = {"one.txt": NOTES, "two.jpg": PHOTO, "three.png": DRAWING}
    data = bytearray(ma.zip_bytes(members, compression=zipfile.ZIP_STORED))
    at = data.find(PHOTO[100:120])
    data[at] ^= 0xFF  # one byte of two.jpg flipped: its CRC no longer matches
    for entry in _entry(tmp_path, "damaged.zip", bytes(data)):
        items = _expanded(entry)
    assert items[0] == (entry.address.child("one.txt"), NOTES)
    assert len(items) == 2
    problem = items[1]
    assert isinstance(problem, ArchiveProblem)
    assert problem.kind is ProblemKind.BROKEN
    assert problem.address == entry.address.child("two.jpg")
    assert "CRC" in problem.reason


def test_truncated_archives(tmp_path: Path) -> None:
    zipped = ma.zip_bytes({"a.txt": NOTES, "b.jpg": PHOTO})
    for entry in _entry(tmp_path, "cut.zip", zipped[: len(zipped) // 2]):
        (problem,) = _expanded(entry)
        assert isinstance(problem, ArchiveProblem)
        assert "not a readable zip" in problem.reason
    big = mk.random_bytes(9, 300_000)
    tarred = ma.tar_bytes({"first.txt": NOTES, "second.bin": big, "third.txt": NOTES})
    for entry in _entry(tmp_path, "cut.tar.gz", tarred[: len(tarred) * 2 // 3]):
        items = _expanded(entry)
        assert items[0] == (entry.address.child("first.txt"), NOTES)
        assert isinstance(items[-1], ArchiveProblem)
        assert items[-1].kind is ProblemKind.BROKEN
        assert len(items) == 2


def test_depth_limit(tmp_path: Path) -> None:
    level3 = ma.zip_bytes({"deepest.txt": NOTES})
    level2 = ma.zip_bytes({"level3.zip": level3})
    level1 = ma.zip_bytes({"level2.zip": level2})
    for entry in _entry(tmp_path, "level1.zip", level1):
        shallow = _expanded(entry, max_depth=2)
        deep = _expanded(entry, max_depth=3)
    top = entry.address.child("level2.zip")
    assert shallow[:2] == [(top, level2), (top.child("level3.zip"), level3)]
    assert isinstance(shallow[2], ArchiveProblem)
    assert shallow[2].kind is ProblemKind.DEPTH
    assert shallow[2].address == top.child("level3.zip")
    assert deep[-1] == (top.child("level3.zip").child("deepest.txt"), NOTES)


def test_zip_bomb_is_capped(tmp_path: Path) -> None:
    bomb = ma.zip_bytes({"zeros-1.bin": bytes(8 * mk.MiB), "zeros-2.bin": bytes(8 * mk.MiB)})
    assert len(bomb) < 100_000
    limits = ArchiveLimits(max_total_bytes=10 * mk.MiB)
    for entry in _entry(tmp_path, "bomb.zip", bomb):
        items = _expanded(entry, limits=limits)
    assert items[0] == (entry.address.child("zeros-1.bin"), bytes(8 * mk.MiB))
    assert isinstance(items[1], ArchiveProblem)
    assert items[1].kind is ProblemKind.CAP
    assert "10485760" in items[1].reason
    assert len(items) == 2
    many = ma.zip_bytes({f"f{i}.txt": b"x" for i in range(20)})
    for entry in _entry(tmp_path, "many.zip", many):
        items = _expanded(entry, limits=ArchiveLimits(max_members=5))
    assert len(items) == 6
    assert isinstance(items[-1], ArchiveProblem)
    assert "5 members" in items[-1].reason


def test_nested_bombs_share_one_budget(tmp_path: Path) -> None:
    inner = ma.zip_bytes({"zeros.bin": bytes(6 * mk.MiB)})
    outer = ma.zip_bytes({"a.zip": inner, "b.zip": inner})
    for entry in _entry(tmp_path, "nested.zip", outer):
        items = _expanded(entry, limits=ArchiveLimits(max_total_bytes=10 * mk.MiB))
    problems = [i for i in items if isinstance(i, ArchiveProblem)]
    assert len(problems) == 1
    assert problems[0].kind is ProblemKind.CAP
    assert items[-1] is problems[0]  # and nothing after it


def test_members_larger_than_the_memory_spool(tmp_path: Path) -> None:
    big = mk.random_bytes(11, 200_000)
    data = ma.tar_bytes({"big.bin": big})
    for entry in _entry(tmp_path, "big.tgz", data):
        assert _expanded(entry, limits=ArchiveLimits(spool_memory=4096)) == [
            (entry.address.child("big.bin"), big)
        ]


def test_member_content_is_released_when_the_caller_moves_on(tmp_path: Path) -> None:
    for entry in _entry(tmp_path, "two.zip", ma.zip_bytes({"a.txt": b"a", "b.txt": b"b"})):
        members = [m for m in expand(entry) if isinstance(m, FileEntry)]
    with pytest.raises(OSError, match="no longer held"):
        members[0].open()


def test_archive_inside_a_disk_image(tmp_path: Path) -> None:
    mk.require("mke2fs")
    src = tmp_path / "src"
    mk.write_tree(src, {"evidence/photos.zip": ma.zip_bytes({"a.jpg": PHOTO, "b.png": DRAWING})})
    image = tmp_path / "with-zip.img"
    mk.run("mke2fs", "-q", "-t", "ext4", "-d", src, "-F", image, "4M")
    with RawImage(image) as reader, FileSystemWalker(reader) as walker:
        (entry,) = list(walker)
        items = _expanded(entry)
    digests = [hashlib.sha256(content or b"").hexdigest() for _, content in _reads(items)]
    assert digests == [hashlib.sha256(PHOTO).hexdigest(), hashlib.sha256(DRAWING).hexdigest()]
    assert _reads(items)[0][0] == entry.address.child("a.jpg")


def test_entries_without_content_expand_to_nothing() -> None:
    entry = FileEntry(Address(path="/x.zip"), "x.zip", 10, status=EntryStatus.UNREADABLE, error="bad sector")
    assert list(expand(entry)) == []
