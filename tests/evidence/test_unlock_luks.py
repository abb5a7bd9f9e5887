"""LUKS volumes unlocked with the examiner's key (libluksde): their files agree with The Sleuth Kit's reading
of the plain image they were made from; a wrong key, no key or LUKS2 is a clear problem, never "0 files".

The volumes are made at test time by Debian's cryptsetup around the session's ext4 image (see make_luks).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence import tsk_oracle as tsk
from tests.evidence.make_luks import PASSPHRASE, make_luks
from tests.evidence.test_lvm import make_lvm
from tests.evidence.test_tsk_agreement import Listing, vigilant_listing
from vigilant.evidence.base import EntryStatus
from vigilant.evidence.images import RawImage
from vigilant.evidence.keys import KeyKind, KeyRing, UnlockEvent, VolumeKey, holding


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    key = tmp_path / "luks.key"
    key.write_text(PASSPHRASE)
    return key


@pytest.fixture
def luks1(ext4_image: mk.Built, key_file: Path, tmp_path: Path) -> Path:
    return make_luks(ext4_image.path, tmp_path / "luks1.img", key_file)


def listing_with(image: Path, *keys: VolumeKey) -> tuple[Listing, list[UnlockEvent]]:
    ring = KeyRing(list(keys))
    with holding(ring):
        listing = vigilant_listing(RawImage(image))
    return listing, ring.events


def assert_agrees_with_plain(listing: Listing, plain: Path, layer: str) -> None:
    """Every file of the unlocked volume is the plain image's, as fls/icat read it: name, inode, deleted,
    size and SHA-256; deleted files too."""
    ours = {(e.address.path.lstrip("/"), e.address.inode): (i, e) for i, e in enumerate(listing.entries)}
    theirs = {(f.path, f.inode): f for f in tsk.fls(plain, 0, fs_type="ext4")}
    assert set(ours) == set(theirs)
    deleted = 0
    for key, item in theirs.items():
        index, entry = ours[key]
        assert entry.address.filesystem == f"{layer} > ext4", entry.address
        assert (entry.deleted, entry.size) == (item.deleted, item.size), key
        got = tsk.icat(plain, 0, item)
        if got.complete:
            assert listing.digests[index] == got.sha256, key
        else:
            assert entry.status is EntryStatus.UNREADABLE, key
        deleted += entry.deleted
    assert deleted  # the comparison covered deleted files, and many live ones
    assert len(theirs) > 10


def test_a_luks1_image_unlocked_lists_the_plain_images_files(ext4_image: mk.Built, luks1: Path) -> None:
    listing, events = listing_with(luks1, VolumeKey(KeyKind.PASSPHRASE, PASSPHRASE))
    assert listing.problems == []
    assert_agrees_with_plain(listing, ext4_image.path, "luks1")
    assert events == [UnlockEvent("file system at offset 0", "LUKS1", KeyKind.PASSPHRASE)]


def test_a_luks1_partition_is_unlocked_beside_a_plain_one(
    ext4_image: mk.Built, fat16_image: mk.Built, luks1: Path, tmp_path: Path
) -> None:
    disk = mk.make_disk(tmp_path, "dos", fat16_image, mk.Built(luks1, "luks1"))
    wrong = VolumeKey(KeyKind.PASSPHRASE, "not it")  # tried first, refused, then the key file
    listing, events = listing_with(disk.path, wrong, VolumeKey(KeyKind.KEY_FILE, PASSPHRASE))
    assert [p.where.split(" @ ")[0] for p in listing.problems] == ["partition 3"]  # make_disk's empty one
    offset = disk.partitions[1][0]
    inside = [e for e in listing.entries if e.address.partition == 2]
    assert {e.address.partition_offset for e in inside} == {offset}
    assert str(inside[0].address).startswith(f"partition 2 @ {offset} (TSK slot 3) > luks1 > ext4 > /")
    plain = Listing(
        inside,
        {i: listing.digests[j] for i, j in enumerate(listing.entries.index(e) for e in inside)},
        [],
        [],
    )
    assert_agrees_with_plain(plain, ext4_image.path, "luks1")
    assert {e.address.partition for e in listing.entries} == {1, 2}  # the FAT beside it is read too
    [event] = events
    assert (event.encryption, event.key) == ("LUKS1", KeyKind.KEY_FILE)
    assert event.where.startswith(f"partition 2 @ {offset}")


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        ((), "LUKS1-encrypted volume: not unlocked: no key given"),
        ((VolumeKey(KeyKind.PASSPHRASE, "wrong"),), "LUKS1-encrypted volume: not unlocked: wrong passphrase"),
        (
            (VolumeKey(KeyKind.RECOVERY_PASSWORD, "1" * 48),),
            "LUKS1-encrypted volume: not unlocked: no key of a kind LUKS1 takes (given: recovery-password)",
        ),
    ],
    ids=["no-key", "wrong-passphrase", "wrong-kind"],
)
def test_a_luks1_volume_not_unlocked_is_a_problem_never_zero_files(
    keys: tuple[VolumeKey, ...], reason: str, luks1: Path
) -> None:
    listing, events = listing_with(luks1, *keys)
    assert listing.entries == []
    [problem] = listing.problems
    assert problem.where == "file system at offset 0"
    assert problem.reason.startswith(reason), problem.reason
    assert [e.unlocked for e in events] == ([False] if keys else [])  # nothing tried: nothing to record


def test_luks2_is_named_as_beyond_libluksde(ext4_image: mk.Built, key_file: Path, tmp_path: Path) -> None:
    luks2 = make_luks(ext4_image.path, tmp_path / "luks2.img", key_file, version=2)
    listing, events = listing_with(luks2, VolumeKey(KeyKind.PASSPHRASE, PASSPHRASE))
    [problem] = listing.problems
    assert problem.reason.startswith(
        "LUKS2-encrypted volume: not unlocked: LUKS2 is not supported by libluksde"
    )
    assert [(e.encryption, e.key) for e in events] == [("LUKS2", None)]


def test_a_bitlocker_volume_libbde_cannot_read_says_so(tmp_path: Path) -> None:
    # No Linux tool makes BitLocker volumes: a boot sector with its signature and nothing behind it.
    image = tmp_path / "bitlocker.img"
    sector = bytearray(512)
    sector[:11] = b"\xebR\x90-FVE-FS-"
    sector[510:] = b"\x55\xaa"
    image.write_bytes(bytes(sector) + bytes(4 * mk.MiB))
    listing, events = listing_with(image, VolumeKey(KeyKind.RECOVERY_PASSWORD, "1" * 48))
    [problem] = listing.problems
    assert problem.reason.startswith("BitLocker-encrypted volume: not unlocked: libbde cannot read it:")
    assert [(e.encryption, e.key) for e in events] == [("BitLocker", None)]


def test_lvm_inside_luks1_is_read_through_both_layers(
    ext4_image: mk.Built, fat16_image: mk.Built, key_file: Path, tmp_path: Path
) -> None:
    # A Linux laptop's usual layout: LUKS around an LVM physical volume holding the file systems. The
    # physical volume is test_lvm's; the oracle reads each file system in the plain disk at lvm2's offsets.
    mk.require("fls", "icat")
    plain, offsets = make_lvm(tmp_path, {"home": ext4_image, "usb": fat16_image})
    laptop = make_luks(plain, tmp_path / "laptop.img", key_file)
    listing, events = listing_with(laptop, VolumeKey(KeyKind.PASSPHRASE, PASSPHRASE))
    assert listing.problems == []
    systems = {e.address.filesystem for e in listing.entries}
    assert systems == {"luks1 > lvm vigvg/home > ext4", "luks1 > lvm vigvg/usb > fat16"}
    for name, built in (("home", ext4_image), ("usb", fat16_image)):
        ours = {
            (e.address.path.lstrip("/"), e.address.inode): listing.digests.get(i)
            for i, e in enumerate(listing.entries)
            if e.address.filesystem == f"luks1 > lvm vigvg/{name} > {built.kind}"
        }
        theirs = {(f.path, f.inode): f for f in tsk.fls(plain, offsets[name], fs_type=built.kind)}
        assert set(ours) == set(theirs), name
        for key, item in theirs.items():
            got = tsk.icat(plain, offsets[name], item)
            if got.complete and not item.realloc:
                assert ours[key] == got.sha256, key
    assert [e.key for e in events] == [KeyKind.PASSPHRASE]
