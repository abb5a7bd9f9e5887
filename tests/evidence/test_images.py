"""Image readers: raw, split raw and E01, on images made by split and ewfacquire."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from vigilant.evidence.base import EvidenceError
from vigilant.evidence.images import (
    EwfImage,
    RawImage,
    SplitRawImage,
    TskImage,
    ewf_extension,
    is_ewf,
    open_raw,
    split_segments,
)


@pytest.fixture(scope="module")
def small_raw(workdir: Path) -> Path:
    """3 MiB of random bytes: small enough to split and acquire in many ways."""
    path = workdir / "small.raw"
    path.write_bytes(mk.random_bytes(7, 3 * mk.MiB + 1536))  # whole sectors: ewfacquire drops a partial one
    return path


@pytest.fixture(scope="module")
def segmented_e01(workdir: Path, small_raw: Path) -> Path:
    """Uncompressed, 1 MiB segments: small.E01 … small.E04."""
    folder = workdir / "segmented"
    folder.mkdir()
    return mk.make_e01(small_raw, folder / "small", compression="none", segment_bytes=mk.MiB)


def _copy_set(first: Path, to: Path) -> Path:
    to.mkdir()
    for path in first.parent.glob(first.stem + ".*"):
        shutil.copy(path, to / path.name)
    return to / first.name


# --- raw -------------------------------------------------------------------------------------------------
def test_raw_reads_any_range_and_stops_at_the_end(small_raw: Path) -> None:
    data = small_raw.read_bytes()
    with RawImage(small_raw) as image:
        assert image.size == len(data)
        assert image.read(0, 10) == data[:10]
        assert image.read(mk.MiB - 3, 7) == data[mk.MiB - 3 : mk.MiB + 4]
        assert image.read(len(data) - 5, 100) == data[-5:]
        assert image.read(len(data) + 10, 5) == b""
        with pytest.raises(ValueError, match="negative"):
            image.read(-1, 5)
    with pytest.raises(EvidenceError, match="closed"):
        image.read(0, 1)


def test_raw_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="cannot open image"):
        RawImage(tmp_path / "nope.dd")


def test_tsk_reads_through_the_adaptor(ext4_image: mk.Built) -> None:
    import pytsk3  # noqa: PLC0415 - only this test talks to pytsk3 directly

    with RawImage(ext4_image.path) as reader:
        fs = pytsk3.FS_Info(TskImage(reader))
        assert fs.info.ftype == pytsk3.TSK_FS_TYPE_EXT4


# --- split raw -------------------------------------------------------------------------------------------
def test_split_reads_across_segments_like_the_whole(workdir: Path, small_raw: Path) -> None:
    folder = workdir / "split-ok"
    folder.mkdir()
    first = mk.make_split(small_raw, folder, mk.MiB)
    assert [p.name for p in split_segments(first)] == [f"small.{n:03d}" for n in range(1, 5)]
    data = small_raw.read_bytes()
    with open_raw(first) as image:
        assert isinstance(image, SplitRawImage)
        assert image.size == len(data)
        for offset, size in [(0, 100), (mk.MiB - 10, 20), (mk.MiB - 1, 2 * mk.MiB + 2), (3 * mk.MiB, 5000)]:
            assert image.read(offset, size) == data[offset : offset + size]
    with open_raw(small_raw) as single:
        assert isinstance(single, RawImage)


def test_split_missing_segment_is_named(workdir: Path, small_raw: Path) -> None:
    folder = workdir / "split-gap"
    folder.mkdir()
    first = mk.make_split(small_raw, folder, mk.MiB)
    (folder / "small.003").unlink()
    with pytest.raises(EvidenceError, match=r"segment small\.003 of small\.001 is missing") as caught:
        SplitRawImage(first)
    assert "small.004 exists" in str(caught.value)


def test_split_must_start_at_the_first_segment(workdir: Path, small_raw: Path) -> None:
    folder = workdir / "split-second"
    folder.mkdir()
    mk.make_split(small_raw, folder, mk.MiB)
    with pytest.raises(EvidenceError, match=r"small\.002 is not the first segment") as caught:
        SplitRawImage(folder / "small.002")
    assert "small.001" in str(caught.value)


def test_split_short_middle_segment_is_refused(workdir: Path, small_raw: Path) -> None:
    folder = workdir / "split-short"
    folder.mkdir()
    first = mk.make_split(small_raw, folder, mk.MiB)
    with (folder / "small.002").open("r+b") as fh:
        fh.truncate(mk.MiB - 512)
    with pytest.raises(EvidenceError, match=r"segment small\.002 is \d+ bytes"):
        SplitRawImage(first)


# --- E01 -------------------------------------------------------------------------------------------------
def test_e01_stored_hashes_and_verify(segmented_e01: Path, small_raw: Path) -> None:
    data = small_raw.read_bytes()
    assert is_ewf(segmented_e01)
    assert not is_ewf(small_raw)
    with EwfImage(segmented_e01) as image:
        assert [p.name for p in image.paths] == [f"small.{ewf_extension(n)}" for n in range(1, 5)]
        assert image.size == len(data)
        assert image.read(mk.MiB - 7, 20) == data[mk.MiB - 7 : mk.MiB + 13]
        assert image.stored_hashes() == {
            "md5": hashlib.md5(data).hexdigest(),
            "sha1": hashlib.sha1(data).hexdigest(),
        }
        result = image.verify()
    assert result.ok
    assert result.error is None
    assert result.computed_md5 == result.stored_md5
    assert result.bytes_read == len(data)


def test_e01_corrupted_segment_fails_verification(segmented_e01: Path, workdir: Path) -> None:
    first = _copy_set(segmented_e01, workdir / "e01-corrupt")
    second = first.with_suffix(".E02")
    damaged = bytearray(second.read_bytes())
    middle = len(damaged) // 2
    damaged[middle : middle + 4096] = bytes(4096)  # a run of media data wiped
    second.write_bytes(damaged)
    with EwfImage(first) as image:
        result = image.verify()
    assert not result.ok
    assert result.error is not None or result.computed_md5 != result.stored_md5


def test_e01_missing_segment_is_named(segmented_e01: Path, workdir: Path) -> None:
    first = _copy_set(segmented_e01, workdir / "e01-gap")
    first.with_suffix(".E03").unlink()
    with pytest.raises(EvidenceError, match=r"segment small\.E03 of E01 image small\.E01 is missing"):
        EwfImage(first)


def test_e01_not_an_image_is_a_clear_error(small_raw: Path, workdir: Path) -> None:
    fake = workdir / "fake.E01"
    shutil.copy(small_raw, fake)
    with pytest.raises(EvidenceError, match="E01"):
        EwfImage(fake)


def test_ewf_segment_names_follow_libewf() -> None:
    names = [ewf_extension(n) for n in (1, 9, 99, 100, 101, 126, 775, 776)]
    assert names == ["E01", "E09", "E99", "EAA", "EAB", "EBA", "EZZ", "FAA"]
