"""Triage records keep each file's address chain as a nested Parquet column, and rebuild it on read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from vigilant.evidence.address import Link, LinkKind, flat
from vigilant.evidence.base import Address
from vigilant.triage.records import (
    LINK_TYPE,
    SCHEMA,
    SCHEMA_VERSION,
    FileRecord,
    addresses_of,
    chain_column,
    records_of,
    to_table,
)

PARTITION = Link(LinkKind.PARTITION, number=2, offset=1_048_576, slot=3)
HOME = Link(
    LinkKind.FILE_SYSTEM,
    Link(
        LinkKind.LOGICAL_VOLUME, Link(LinkKind.ENCRYPTED, PARTITION, encryption="luks1"), label="vigvg/home"
    ),
    label="ext4",
)
SHADOW = Link(
    LinkKind.FILE_SYSTEM,
    Link(
        LinkKind.SNAPSHOT,
        Link(LinkKind.PARTITION, Link(LinkKind.VIRTUAL_DISK, label="vhdx"), number=1, offset=65536, slot=2),
        number=1,
        time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    ),
    label="ntfs",
)


def _record(position: int, address: Address, member: int = 0) -> FileRecord:
    """A record as triage's base_record makes one: the flat fields derived from the chain."""
    return FileRecord(
        evidence_id=9,
        position=position,
        member=member,
        address=str(address),
        partition=address.partition,
        partition_offset=address.partition_offset,
        filesystem=address.filesystem,
        path=address.path,
        inode=address.inode,
        attribute=address.attribute,
        members=list(address.members),
        name=(address.members or (address.path,))[-1].rsplit("/", 1)[-1],
        extension=None,
        size=position,
        allocated=True,
        chain=address,
    )


def _nested_records() -> list[FileRecord]:
    photos = Address.of(Link(LinkKind.PATH, HOME, path="/a/photos.zip", inode=12))
    return [
        _record(0, photos),
        _record(0, photos.child("inner.zip"), member=1),
        _record(0, photos.child("inner.zip").child("deep/a.jpg"), member=2),
        _record(
            1,
            Address.of(
                Link(LinkKind.STREAM, Link(LinkKind.PATH, SHADOW, path="/n.txt", inode=40), label="ads")
            ),
        ),
        _record(2, Address.of(Link(LinkKind.PATH, HOME, path="/a/b.jpg", inode=13))),
        _record(3, Address(filesystem="directory", path="/c.jpg", inode=77)),
    ]


def test_the_chain_is_a_list_of_structs_that_round_trips_through_a_file(tmp_path: Path) -> None:
    records = _nested_records()
    pq.write_table(to_table(records), tmp_path / "batch.parquet")
    table = pq.read_table(tmp_path / "batch.parquet")
    assert table.schema.field("chain").type == pa.list_(LINK_TYPE)
    assert table.schema.metadata[b"vigilant.schema"] == f"triage-records/{SCHEMA_VERSION}".encode()
    assert SCHEMA_VERSION == 6
    back = list(records_of(table))
    assert back == records
    assert [str(r.chain) for r in back] == [r.address for r in records]
    nested = back[2].chain
    assert [link.kind for link in nested.chain] == [
        LinkKind.PARTITION,
        LinkKind.ENCRYPTED,
        LinkKind.LOGICAL_VOLUME,
        LinkKind.FILE_SYSTEM,
        LinkKind.PATH,
        LinkKind.MEMBER,
        LinkKind.MEMBER,
    ]
    assert nested.chain[-1].member == "deep/a.jpg"
    assert back[3].chain.chain[2].time == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    # Consecutive rows share the levels they have in common when read back (one link, not one per file).
    assert back[1].chain.link is not None
    assert back[1].chain.link.parent is back[0].chain.link


def test_the_column_holds_one_row_per_level_outermost_first() -> None:
    column = to_table(_nested_records()).column("chain").to_pylist()
    assert [row["kind"] for row in column[2]] == [
        "partition",
        "encrypted",
        "logical_volume",
        "file_system",
        "path",
        "member",
        "member",
    ]
    assert column[2][0] == {
        "kind": "partition",
        "number": 2,
        "offset": 1_048_576,
        "slot": 3,
        "label": None,
        "time": None,
        "encryption": None,
        "path": None,
        "inode": None,
        "member": None,
    }
    assert [row["label"] for row in column[3][:2]] == ["vhdx", None]


def test_a_file_before_version_6_gets_its_chain_from_the_flat_columns(tmp_path: Path) -> None:
    """A batch written by version 5 (no chain column): the chain is rebuilt, TSK slot from the text."""
    records = _nested_records()
    old_schema = pa.schema(
        [f for f in SCHEMA if f.name != "chain"], metadata={"vigilant.schema": "triage-records/5"}
    )
    table = to_table(records).drop_columns(["chain"]).cast(old_schema)
    pq.write_table(table, tmp_path / "v5.parquet")
    back = list(records_of(pq.read_table(tmp_path / "v5.parquet")))
    luks = back[2]
    assert str(luks.chain) == luks.address
    assert luks.chain == records[2].chain  # every level a v5 file can say comes back as the reader made it
    assert luks.chain.tsk_slot == 3
    # What no flat column held (a virtual disk, a snapshot's time) cannot come back; the text still agrees
    # on what the flat columns say.
    assert flat(back[3].chain.link).path == "/n.txt"


def test_a_record_made_without_a_chain_gets_the_chain_of_its_flat_fields() -> None:
    address = Address(2, 1_048_576, "luks1 > lvm vigvg/home > ext4", "/a/b.jpg", 13, tsk_slot=3)
    made = _record(2, address)
    by_hand = FileRecord(**{**made.__dict__, "chain": Address()})
    assert by_hand.chain == Address.of(Link(LinkKind.PATH, HOME, path="/a/b.jpg", inode=13))


def test_an_empty_batch_and_a_null_chain() -> None:
    assert to_table([]).num_rows == 0
    column = pa.chunked_array(
        [pa.array([None, [{"kind": "file_system", "label": "ext4"}]], pa.list_(LINK_TYPE))]
    )
    assert addresses_of(column) == [Address(), Address(filesystem="ext4")]


_LEVEL = st.sampled_from(
    [
        Link(LinkKind.VIRTUAL_DISK, label="vmdk"),
        Link(LinkKind.PARTITION, number=1, offset=512, slot=2),
        Link(LinkKind.PARTITION, number=5, offset=1 << 40),
        Link(LinkKind.SNAPSHOT, number=3, time=datetime(2025, 5, 6, tzinfo=UTC)),
        Link(LinkKind.ENCRYPTED, encryption="bitlocker"),
        Link(LinkKind.LOGICAL_VOLUME, label="vg/lv"),
        Link(LinkKind.FILE_SYSTEM, label="ext4"),
        Link(LinkKind.FILE_SYSTEM, label="ntfs"),
        Link(LinkKind.PATH, path="/a", inode=1),
        Link(LinkKind.PATH, path="/b", inode=None),
        Link(LinkKind.STREAM, label="s"),
        Link(LinkKind.MEMBER, member="m/1"),
    ]
)


def _chain(levels: list[Link]) -> Address:
    tip: Link | None = None
    for level in levels:
        tip = level._replace(parent=tip)
    return Address.of(tip)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_LEVEL, max_size=6), max_size=12))
def test_any_chains_round_trip_through_the_column(levels: list[list[Link]]) -> None:
    """The oracle: each chain's own rows; the column shares links between rows, which must not mix them."""
    addresses = [_chain(chain) for chain in levels]
    column = chain_column(addresses)
    assert addresses_of(pa.chunked_array([column])) == addresses
    assert addresses_of(pa.chunked_array([column.slice(1)])) == addresses[1:]
