"""Files read straight from the image (along the file system's runs) read exactly as TSK reads them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from vigilant.evidence import filesystems
from vigilant.evidence.sources import sources
from vigilant.evidence.tsk_reader import TskFileReader

Contents = dict[str, tuple[bytes, bool]]  # address -> (content, read directly)


def _contents(path: Path) -> Contents:
    """Every readable entry's content, read whole, in odd-sized pieces and across a seek."""
    found: Contents = {}
    with sources().detect(path).walk(path) as walk:
        for entry in walk:
            if entry.opener is None:
                continue
            with entry.open() as fh:
                whole = fh.read()
                fh.seek(0)
                buffer = bytearray(70_001)  # not a multiple of any block size
                pieces = []
                while n := fh.readinto(buffer):  # type: ignore[attr-defined] # BinaryIO lacks it
                    pieces.append(bytes(buffer[:n]))
                assert b"".join(pieces) == whole
                if len(whole) > 5000:
                    fh.seek(4093)
                    assert fh.read(1000) == whole[4093:5093]
                    fh.seek(-7, io.SEEK_END)
                    assert fh.read() == whole[-7:]
                direct = isinstance(fh, TskFileReader) and fh.direct
            found[str(entry.address)] = (whole, direct)
    return found


def _through_tsk(path: Path, monkeypatch: pytest.MonkeyPatch) -> Contents:
    with monkeypatch.context() as patch:
        patch.setattr(filesystems, "plain_extents", lambda *args, **kwargs: None)
        return _contents(path)


@pytest.mark.parametrize(
    "image", ["ext4_image", "fat16_image", "ntfs_image", "mbr_disk", "gpt_disk", "split_disk", "e01_disk"]
)
def test_direct_reads_give_what_tsk_reads(
    image: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = request.getfixturevalue(image)
    path = built if isinstance(built, Path) else built.path
    direct = _contents(path)
    tsk = _through_tsk(path, monkeypatch)
    assert {a: c for a, (c, _) in direct.items()} == {a: c for a, (c, _) in tsk.items()}
    assert not any(d for _, d in tsk.values())


def test_only_live_files_are_read_directly(mbr_disk: mk.Disk) -> None:
    # ext4 in the disk's first partition (at an offset), FAT16 in its second
    seen: dict[tuple[str | None, bool], int] = {}
    with sources().detect(mbr_disk.path).walk(mbr_disk.path) as walk:
        for entry in walk:
            if entry.opener is None or not entry.size:
                continue
            with entry.open() as fh:
                direct = isinstance(fh, TskFileReader) and fh.direct
            if direct:  # the inode is live: a deleted name on a reused inode reads it, as TSK does
                assert not entry.deleted or entry.reallocated
            key = (entry.address.filesystem, direct)
            seen[key] = seen.get(key, 0) + 1
    assert seen.get(("ext4", True), 0) >= 5  # mke2fs writes plain extents: the live files qualify
    assert seen.get(("fat16", True), 0) >= 5  # and FAT's cluster chains (tests/evidence/test_runs_*.py)
    assert seen.get(("fat16", False), 0) > 0  # its deleted files: TSK's recovery rules
