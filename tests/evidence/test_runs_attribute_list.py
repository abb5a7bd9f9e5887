"""NTFS files whose attributes spread over several MFT records (an $ATTRIBUTE_LIST) read along their runs too.

Files that outgrow their base record, made by ntfs-3g on a volume of 1 KiB clusters: a 2 MB sparse file
written in 2 KiB pieces with holes between them (977 runs: its $DATA is split by cluster ranges over the base
record and three extension records); a 1 MB one made the same way, then grown inside its last cluster (its
initialised size, short of its size, is in its first piece; the cluster past it holds stale bytes, which
must read as zeros); and a file with 30 named streams of 3,000 bytes (most of them wholly in extension
records, where TSK renumbers their ids). Every stream reads as ``icat`` reads it, and along its
runs (the walker's count and each reader say so), where before this all of them went to TSK.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytsk3

from tests.evidence import make_images as mk
from tests.evidence.ntfs_scatter import written
from tests.evidence.test_runs_agree import _grow, _stale, agree
from vigilant.evidence.images import RawImage
from vigilant.evidence.runs import NotCertain
from vigilant.evidence.runs_ntfs import MftRecords

_DATA = 0x80
_ATTRIBUTE_LIST = 0x20
_STREAMS = 30
_PIECE = 2048
_GROWN = 1_000_000  # grown.bin's bytes written (its last piece among them), before it grows by 500


def _scatter(image: Path, path: str, content: Path) -> None:
    mk.run(
        sys.executable, "-m", "tests.evidence.ntfs_scatter", image, path, content, str(_PIECE), cwd=mk.REPO
    )


@dataclass
class Spread:
    image: Path
    expected: dict[tuple[str, str | None], bytes]  # (path, stream) -> content


@pytest.fixture(scope="module")
def spread_image(workdir: Path) -> Spread:
    mk.require("mkntfs", "ntfscp")
    image = workdir / "runs-ntfs-attribute-list.img"
    with image.open("wb") as fh:
        fh.truncate(16 * mk.MiB)
    mk.run("mkntfs", "-F", "-f", "-q", "-c", "1024", image)
    empty, content = workdir / "attribute-list-empty.bin", workdir / "attribute-list-content.bin"
    empty.write_bytes(b"")
    big = mk.random_bytes(2100, 2_000_000)
    content.write_bytes(big)
    mk.run("ntfscp", "-q", image, empty, "/scattered.bin")
    _scatter(image, "/scattered.bin", content)
    expected: dict[tuple[str, str | None], bytes] = {("scattered.bin", None): written(big, _PIECE)}
    # the same over 1 MB, then grown inside its last cluster: its end never written (initialised size
    # short of its size, recorded in its first piece), over a cluster that still holds old bytes
    content.write_bytes(big[:_GROWN])
    mk.run("ntfscp", "-q", image, empty, "/grown.bin")
    _scatter(image, "/grown.bin", content)
    _grow(image, "/grown.bin", _GROWN + 500)
    _stale(image, "/grown.bin", _GROWN)
    expected["grown.bin", None] = written(big[:_GROWN], _PIECE) + bytes(500)
    head = mk.random_bytes(2101, 3000)
    content.write_bytes(head)
    mk.run("ntfscp", "-q", image, content, "/streams.bin")
    expected["streams.bin", None] = head
    for i in range(_STREAMS):
        data = mk.random_bytes(2200 + i, 3000)
        content.write_bytes(data)
        mk.run("ntfscp", "-q", "-N", f"s{i}", image, content, "/streams.bin")
        expected["streams.bin", f"s{i}"] = data
    return Spread(image, expected)


def _listed_records(image: Path, path: str) -> tuple[bool, int]:
    """Whether TSK sees an attribute list on ``path``, and how many $DATA attributes of the file the
    ``istat`` listing places in extension records (another entry than the file's own)."""
    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(image)))
    fs_file = fs.open(path)
    entry = int(fs_file.info.meta.addr)
    has_list = any(int(a.info.type) == _ATTRIBUTE_LIST for a in fs_file)
    listing = mk.run("istat", image, str(entry))
    elsewhere = 0
    for line in listing.split("$ATTRIBUTE_LIST Attribute Values:")[1].split("\n\n")[0].splitlines():
        if line.startswith(f"Type: {_DATA}-") and f"MFT Entry: {entry} " not in line:
            elsewhere += 1
    return has_list, elsewhere


def test_files_over_several_mft_records_read_along_their_runs_as_icat_reads_them(
    spread_image: Spread,
) -> None:
    mk.require("istat")
    image = spread_image.image
    # the files are what this test is about: attribute lists, streams in extension records
    scattered, streams = _listed_records(image, "/scattered.bin"), _listed_records(image, "/streams.bin")
    assert scattered[0]
    assert scattered[1] >= 2, scattered  # $DATA split over extension records
    grown = _listed_records(image, "/grown.bin")
    assert grown[0]
    assert grown[1] >= 1, grown
    assert streams[0]
    assert streams[1] >= 10, streams  # named streams wholly in extension records
    read = agree(image, "ntfs")
    for (path, stream), data in spread_image.expected.items():
        key = next(k for k in read.digests if k[0] == path and k[2] == stream)
        assert read.digests[key] == hashlib.sha256(data).hexdigest(), (path, stream)
        assert read.direct[key], f"{path}:{stream} went to TSK"
    assert read.reads[("ntfs", "runs")] >= len(spread_image.expected)


def test_a_stream_asked_for_under_another_stream_s_id_is_not_trusted(spread_image: Spread) -> None:
    image = spread_image.image
    fs = pytsk3.FS_Info(pytsk3.Img_Info(str(image)))
    fs_file = fs.open("/streams.bin")
    ids = {a.info.name: int(a.info.id) for a in fs_file if int(a.info.type) == _DATA}
    entry = int(fs_file.info.meta.addr)
    with RawImage(image) as reader:
        records = MftRecords.open(fs, reader, 0)
        assert records.initialised(entry, ids[b"s20"], 3000, b"s20") == 3000
        grown = fs.open("/grown.bin")
        data = next(a for a in grown if int(a.info.type) == _DATA)
        assert int(data.info.size) == _GROWN + 500
        assert records.initialised(int(grown.info.meta.addr), int(data.info.id), _GROWN + 500) == _GROWN
        # TSK's id and the name must name the same stream: the sizes (all 3,000 bytes) would not tell
        with pytest.raises(NotCertain, match="does not have TSK's id"):
            records.initialised(entry, ids[b"s21"], 3000, b"s20")
        with pytest.raises(NotCertain, match="does not have TSK's id"):
            records.initialised(entry, ids[b"s20"], 3000, b"nothing")
