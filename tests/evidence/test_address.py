"""The evidence address as a chain of links: its text, its flat view, its rows, its order."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from vigilant.evidence.address import (
    FlatAddress,
    Link,
    LinkKind,
    flat,
    from_flat,
    from_rows,
    link_of,
    text,
    to_rows,
    values_of,
)
from vigilant.evidence.base import Address

PARTITION = Link(LinkKind.PARTITION, number=2, offset=1_048_576, slot=3)
LUKS = Link(LinkKind.ENCRYPTED, PARTITION, encryption="luks1")
LVM = Link(LinkKind.LOGICAL_VOLUME, LUKS, label="vigvg/home")
EXT4 = Link(LinkKind.FILE_SYSTEM, LVM, label="ext4")
FILE = Link(LinkKind.PATH, EXT4, path="/home/a/photos.zip", inode=12)
MEMBER = Link(LinkKind.MEMBER, Link(LinkKind.MEMBER, FILE, member="inner.zip"), member="deep/a.jpg")
TAKEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
# Deeper levels: a virtual disk above the partition (no reader adds one yet), a shadow copy below it.
SNAPSHOT_FILE = Link(
    LinkKind.STREAM,
    Link(
        LinkKind.PATH,
        Link(
            LinkKind.FILE_SYSTEM,
            Link(
                LinkKind.SNAPSHOT,
                Link(LinkKind.PARTITION, Link(LinkKind.VIRTUAL_DISK, label="vmdk"), number=1, offset=65536),
                number=2,
                time=TAKEN,
            ),
            label="ntfs",
        ),
        path="/Users/b/notes.txt",
        inode=41,
    ),
    label="Zone.Identifier",
)


@pytest.mark.parametrize(
    ("tip", "expected"),
    [
        (
            MEMBER,
            "partition 2 @ 1048576 (TSK slot 3) > luks1 > lvm vigvg/home > ext4"
            " > /home/a/photos.zip (inode 12) > member inner.zip > member deep/a.jpg",
        ),
        (
            SNAPSHOT_FILE,
            "vmdk > partition 1 @ 65536 > snapshot 2 (2026-03-04 05:06:07 UTC) > ntfs"
            " > /Users/b/notes.txt (inode 41):Zone.Identifier",
        ),
        (  # an archive given as evidence: its members have no path before them
            Link(LinkKind.MEMBER, Link(LinkKind.FILE_SYSTEM, label="zip"), member="DCIM/1.jpg"),
            "zip > member DCIM/1.jpg",
        ),
        (Link(LinkKind.PATH, Link(LinkKind.FILE_SYSTEM, label="directory"), path="/a"), "directory > /a"),
        (None, ""),
    ],
)
def test_text_joins_the_levels_from_the_outermost(tip: Link | None, expected: str) -> None:
    assert text(tip) == expected
    assert str(Address.of(tip)) == expected


# Flat addresses as readers made them before chains, with the text the flat Address printed then: the chain
# built from each must print the same (reports stay byte-identical) and give the same flat fields back.
FLAT_TEXTS = [
    (FlatAddress(None, None, "directory", "/a/b.jpg", 7, None, (), None), "directory > /a/b.jpg (inode 7)"),
    (
        FlatAddress(2, 1048576, "luks1 > lvm vigvg/home > ext4", "/x", 12, None, (), 3),
        "partition 2 @ 1048576 (TSK slot 3) > luks1 > lvm vigvg/home > ext4 > /x (inode 12)",
    ),
    (
        FlatAddress(1, 32256, "ntfs", "/doc.txt", 64, "secret", ("a.zip", "b.txt"), 2),
        "partition 1 @ 32256 (TSK slot 2) > ntfs > /doc.txt (inode 64):secret > member a.zip > member b.txt",
    ),
    (
        FlatAddress(5, 2097152, "bitlocker > ntfs", "/", 5, None, (), None),
        "partition 5 @ 2097152 > bitlocker > ntfs > / (inode 5)",
    ),
    (FlatAddress(None, None, "7z", "", None, None, ("m/1.jpg",), None), "7z > member m/1.jpg"),
    (FlatAddress(None, None, None, "/boom", None, None, (), None), "/boom"),
    (FlatAddress(None, None, "ext4", "", 11, None, (), None), "ext4 >  (inode 11)"),
]


@pytest.mark.parametrize(("fields", "expected"), FLAT_TEXTS)
def test_flat_fields_make_the_chain_that_prints_as_before(fields: FlatAddress, expected: str) -> None:
    address = Address(*fields)
    assert str(address) == expected
    assert flat(address.link) == fields
    assert (address.partition, address.filesystem, address.path, address.members) == (
        fields.partition,
        fields.filesystem,
        fields.path,
        fields.members,
    )


def test_the_flat_layers_are_parsed_into_their_kinds() -> None:
    """What an older record's ``filesystem`` text said becomes the links a reader would build today."""
    built = Address.of(Link(LinkKind.PATH, EXT4, path="/x", inode=12))
    assert Address(2, 1048576, "luks1 > lvm vigvg/home > ext4", "/x", 12, tsk_slot=3) == built
    kinds = [link.kind for link in built.chain]
    assert kinds == [
        LinkKind.PARTITION,
        LinkKind.ENCRYPTED,
        LinkKind.LOGICAL_VOLUME,
        LinkKind.FILE_SYSTEM,
        LinkKind.PATH,
    ]


def test_the_flat_view_of_deeper_chains() -> None:
    view = flat(SNAPSHOT_FILE)
    # The virtual disk is above the partition: not among the file system's layers.
    assert view == FlatAddress(
        1,
        65536,
        "snapshot 2 (2026-03-04 05:06:07 UTC) > ntfs",
        "/Users/b/notes.txt",
        41,
        "Zone.Identifier",
        (),
        None,
    )
    assert flat(MEMBER).members == ("inner.zip", "deep/a.jpg")
    assert flat(MEMBER).filesystem == "luks1 > lvm vigvg/home > ext4"
    assert from_flat(flat(MEMBER)) == MEMBER


@pytest.mark.parametrize("tip", [MEMBER, SNAPSHOT_FILE, PARTITION, None])
def test_rows_round_trip(tip: Link | None) -> None:
    rows = to_rows(tip)
    assert [row["kind"] for row in rows] == [link.kind.value for link in (tip.chain() if tip else ())]
    assert from_rows(rows) == tip
    # A row written before a parameter existed reads it as None.
    assert from_rows([{"kind": "file_system", "label": "ext4"}]) == Link(LinkKind.FILE_SYSTEM, label="ext4")


def test_values_round_trip_below_a_given_parent() -> None:
    assert link_of(values_of(SNAPSHOT_FILE), SNAPSHOT_FILE.parent) == SNAPSHOT_FILE
    assert values_of(PARTITION)[0] == "partition"


def test_child_adds_a_member_below() -> None:
    zip_file = Address.of(FILE)
    inner = zip_file.child("inner.zip").child("deep/a.jpg")
    assert inner.link == MEMBER
    assert inner.chain[:-2] == zip_file.chain
    assert inner.path == "/home/a/photos.zip"


def test_order_is_the_flat_fields_order() -> None:
    """A file before its named streams, a file before its archive members, no partition before a partition."""
    in_image = Address(None, None, "ext4", "/a", 5)
    stream = Address(None, None, "ext4", "/a", 5, "ads")
    member = Address(None, None, "ext4", "/a", 5, members=("m",))
    in_partition = Address(1, 512, "ext4", "/a", 5)
    assert sorted([in_partition, member, stream, in_image]) == [in_image, member, stream, in_partition]
    # Two chains with one flat view (one inside a virtual disk) are not equal, and still sort apart.
    plain = Address.of(Link(LinkKind.PATH, Link(LinkKind.FILE_SYSTEM, label="ext4"), path="/a", inode=5))
    in_disk = Address.of(
        Link(
            LinkKind.PATH,
            Link(LinkKind.FILE_SYSTEM, Link(LinkKind.VIRTUAL_DISK, label="qcow2"), label="ext4"),
            path="/a",
            inode=5,
        )
    )
    assert plain == in_image
    assert plain != in_disk
    assert sorted([in_disk, plain]) == [plain, in_disk]


def test_addresses_are_values() -> None:
    address = Address.of(MEMBER)
    assert hash(address) == hash(Address.of(from_rows(to_rows(MEMBER))))
    assert pickle.loads(pickle.dumps(address)) == address  # Dask workers send records back
    with pytest.raises(AttributeError):
        address.link = None
