"""ISO 9660 and HFS+ read through The Sleuth Kit agree with its own ``fls``/``icat``; UDF is named.

ISO 9660 images are made by ``genisoimage`` from a folder (plain ISO 9660 level 1 names, and with Rock
Ridge and Joliet, as discs are burnt); HFS+ comes from the dfVFS test images (``hfsplus.raw``), since
Debian 12 has no ``mkfs.hfsplus`` (hfsprogs left the archive), as does a dfVFS ISO 9660 image. A UDF
bridge disc (``genisoimage -udf``) is read through its ISO 9660 side; a pure UDF volume (``mkudffs``), which
no reader here can read, is an unreadable volume that says it is UDF.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence.dfvfs_data import dfvfs_file
from tests.evidence.test_tsk_agreement import compare, vigilant_listing
from vigilant.evidence.images import RawImage
from vigilant.evidence.sources import sources

TREE = {
    "readme.txt": mk.text(21, 5),
    "pictures/photo.jpg": mk.picture(22, "JPEG"),
    "pictures/holiday/noise.bin": mk.random_bytes(23, 300_000),
    "big.bin": mk.random_bytes(24, 3 << 20),
    "empty.txt": b"",
}


def make_iso(work: Path, *options: str) -> Path:
    mk.require("genisoimage")
    src = work / "iso-src"
    mk.write_tree(src, TREE)
    image = work / "disc.iso"
    mk.run("genisoimage", "-quiet", "-V", "VIGDISC", *options, "-o", image, src)
    return image


@pytest.mark.parametrize("options", [("-R", "-J"), ()], ids=["rock-ridge-joliet", "plain"])
def test_iso9660_agrees_with_tsk(options: tuple[str, ...], tmp_path: Path) -> None:
    mk.require("fls", "icat", "mmls")
    image = make_iso(tmp_path, *options)
    assert sources().detect(image).name == "raw"
    listing = vigilant_listing(RawImage(image))
    tally = compare(image, listing)
    assert listing.problems == []
    assert tally.allocated == len(TREE)
    assert {e.address.filesystem for e in listing.entries} == {"iso9660"}
    digests = sorted(listing.digests.values())
    assert digests == sorted(hashlib.sha256(d).hexdigest() for d in TREE.values())
    if options:  # Rock Ridge keeps the names as they were
        assert {e.address.path for e in listing.entries} == {f"/{p}" for p in TREE}


@pytest.mark.parametrize("name", ["hfsplus.raw", "iso9660.raw"])
def test_dfvfs_file_systems_agree_with_tsk(name: str) -> None:
    mk.require("fls", "icat", "mmls")
    image = dfvfs_file(name)
    listing = vigilant_listing(RawImage(image))
    tally = compare(image, listing)
    assert listing.problems == []
    assert tally.allocated >= 3
    known = hashlib.sha256(dfvfs_file("password.txt").read_bytes()).hexdigest()
    assert known in listing.digests.values()  # the known file inside every dfVFS image


def test_udf_bridge_disc_is_read_through_its_iso9660_side(tmp_path: Path) -> None:
    mk.require("fls", "icat", "mmls")
    image = make_iso(tmp_path, "-udf", "-R", "-J")
    listing = vigilant_listing(RawImage(image))
    assert compare(image, listing).allocated == len(TREE)
    assert listing.problems == []


def test_pure_udf_is_an_unreadable_volume_named_udf(tmp_path: Path) -> None:
    mk.require("mkudffs")
    image = tmp_path / "packet-written.udf"
    with image.open("wb") as fh:
        fh.truncate(8 * mk.MiB)
    mk.run("mkudffs", "--media-type=hd", "--label=VIGUDF", image)
    assert sources().detect(image).name == "raw"  # added, so that its run says what it is
    listing = vigilant_listing(RawImage(image))
    assert listing.entries == []
    [problem] = listing.problems
    assert problem.reason.startswith("UDF file system with no ISO 9660 beside it: not read")
