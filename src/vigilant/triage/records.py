"""One triage record per file, and its columnar (Parquet) form.

A record keeps the address chain of its file (evidence item -> partition -> file system -> path and inode
-> archive members), so any hit can be traced to the exact bytes. Records sort by (position, member):
``position`` is the file's place in the evidence walk, ``member`` its place among the archive members
found inside that file (0 for the file itself).

Schema versions (``vigilant.schema`` in each file's metadata): 1 had no video frames; 2 adds
``video_frames`` (a video's vPDQ frame hashes) and, on hits, the ``frame`` and ``frame_seconds`` of the
video frame that matched. 3 adds, on hits, ``query_match_percent`` and ``compared_match_percent``: a video
that matched a known video as a whole (``matched_on`` ``vpdq``), with vPDQ's two figures. 4 adds
``pdq_method`` (how ``pdq`` was made: ``full`` picture or ``512`` px, see
:class:`~vigilant.perceptual.pdq.PdqMethod`), ``pdq_second`` and ``pdq_second_quality`` (the hash by the other
method, where the run's sets need both) and, on hits, ``pdq_method`` (the method of the hashes compared).
Files of versions 1 to 3 still read: the missing values are empty, and their ``pdq`` was made at ``512`` px
(:meth:`FileRecord.pdq_by` says so). 5 adds, on hits, what the library holds of the matched entry:
``entry_name``, ``entry_md5``, ``entry_sha1``, ``entry_sha256``, ``entry_pdq`` and ``publisher_label`` (the
list's own label for the category), so that a perceptual hit says which known picture it is. 6 adds
``chain``: the file's address as the readers built it, a chain of links (a list of structs, outermost first:
each link's ``kind`` and its parameters, see :mod:`vigilant.evidence.address`), the source of truth from which
``address`` (the text) and the flat address columns (``partition`` … ``members``, kept for queries and
reports) are derived. Files of versions 1 to 5 get the chain rebuilt from those flat columns (the partition's
TSK slot from the address text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from itertools import accumulate
from typing import Any

import pyarrow as pa

from vigilant.evidence.address import PARAMETERS, Link, link_of, values_of
from vigilant.evidence.base import Address
from vigilant.perceptual.vpdq import FrameHash

SCHEMA_VERSION = 6
LEGACY_PDQ_METHOD = "512"  # how every picture was PDQ-hashed before version 4


@dataclass(frozen=True)
class Hit:
    """A library entry that matched a file."""

    set_id: int
    set_name: str
    set_version: str
    set_kind: str  # known-bad | known-good | alert
    matched_on: str  # md5 | sha1 | sha256 | pdq | vpdq
    distance: int | None  # PDQ Hamming distance
    entry_id: int
    category: str | None  # code in the set's profile
    category_label: str | None
    category_class: str | None  # profile-independent class slug
    severity: int  # the class's severity rank (0 when uncategorised)
    series: str | None
    frame: int | None = None  # a video's frame that matched by PDQ: its number among the decoded frames …
    frame_seconds: float | None = None  # … and its presentation time, in seconds from the start
    # A video matched against a known video (vpdq): the share of its frames found in the known video …
    query_match_percent: float | None = None
    compared_match_percent: float | None = None  # … and the share of the known video's found in it
    pdq_method: str | None = None  # pdq: how both hashes compared were made (full | 512)
    # The matched entry as the library holds it (a perceptual hit matched no digest of the file's own):
    entry_name: str | None = None  # its file name, where the list gives one
    entry_md5: bytes | None = None
    entry_sha1: bytes | None = None
    entry_sha256: bytes | None = None
    entry_pdq: bytes | None = None
    publisher_label: str | None = None  # the list's own label for the category, where it had one


@dataclass
class FileRecord:
    evidence_id: int
    position: int
    member: int
    address: str  # the human-readable chain
    partition: int | None
    partition_offset: int | None
    filesystem: str | None
    path: str
    inode: int | None
    attribute: str | None
    members: list[str]
    name: str
    extension: str | None
    size: int
    allocated: bool
    modified: datetime | None = None
    accessed: datetime | None = None
    changed: datetime | None = None
    created: datetime | None = None
    status: str = "ok"  # ok | encrypted | unreadable | reallocated | error
    error: str | None = None
    md5: bytes | None = None
    sha1: bytes | None = None
    sha256: bytes | None = None
    mime: str | None = None
    magic: str | None = None
    extension_mismatch: bool = False
    is_image: bool = False
    pdq: bytes | None = None
    pdq_quality: int | None = None
    pdq_note: str | None = None
    pdq_method: str | None = None  # how ``pdq`` was made (full | 512); None in files before version 4: 512
    pdq_second: bytes | None = None  # the hash by the other method, where the run's sets need both
    pdq_second_quality: int | None = None
    video_frames: list[FrameHash] = field(default_factory=list)  # vPDQ: one PDQ per second of video
    exif_make: str | None = None
    exif_model: str | None = None
    exif_serial: str | None = None
    exif_datetime_original: str | None = None
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    archive_members: int | None = None  # members listed, when the file is an archive
    known_bad: bool = False
    known_good: bool = False
    alert: bool = False
    top_class: str | None = None
    top_severity: int | None = None
    hits: list[Hit] = field(default_factory=list)
    # The address as the readers built it (the source of truth: ``address`` and the flat fields above are
    # derived from it). A record made without one (read from a file before version 6, or made by hand) gets
    # the chain of its flat fields.
    chain: Address = field(default_factory=Address)

    def __post_init__(self) -> None:
        if self.chain.link is None:
            slot = _TSK_SLOT.match(self.address)
            self.chain = Address(
                self.partition,
                self.partition_offset,
                self.filesystem,
                self.path,
                self.inode,
                self.attribute,
                tuple(self.members),
                int(slot.group(1)) if slot else None,
            )

    @property
    def deleted(self) -> bool:
        return not self.allocated

    def pdq_by(self, method: str) -> tuple[bytes, int] | None:
        """The picture's PDQ hash and quality made by ``method`` (full | 512), None when not made so."""
        if self.pdq is not None and (self.pdq_method or LEGACY_PDQ_METHOD) == method:
            return self.pdq, self.pdq_quality or 0
        if self.pdq_second is not None and self.pdq_method is not None and self.pdq_method != method:
            return self.pdq_second, self.pdq_second_quality or 0
        return None


# The one part of a chain the flat columns lack: the partition's TSK slot, in the address text.
_TSK_SLOT = re.compile(r"partition \S+ @ \S+ \(TSK slot (\d+)\)")
_TS = pa.timestamp("us", tz="UTC")
HIT_TYPE = pa.struct(
    [
        ("set_id", pa.int32()),
        ("set_name", pa.string()),
        ("set_version", pa.string()),
        ("set_kind", pa.string()),
        ("matched_on", pa.string()),
        ("distance", pa.int16()),
        ("entry_id", pa.int64()),
        ("category", pa.string()),
        ("category_label", pa.string()),
        ("category_class", pa.string()),
        ("severity", pa.int8()),
        ("series", pa.string()),
        ("frame", pa.int32()),
        ("frame_seconds", pa.float64()),
        ("query_match_percent", pa.float64()),
        ("compared_match_percent", pa.float64()),
        ("pdq_method", pa.string()),
        ("entry_name", pa.string()),
        ("entry_md5", pa.binary(16)),
        ("entry_sha1", pa.binary(20)),
        ("entry_sha256", pa.binary(32)),
        ("entry_pdq", pa.binary(32)),
        ("publisher_label", pa.string()),
    ]
)
FRAME_TYPE = pa.struct(
    [("frame", pa.int32()), ("seconds", pa.float64()), ("pdq", pa.binary(32)), ("quality", pa.int16())]
)
# One link of an address chain (rows outermost first): its kind and every parameter, None where unused.
LINK_TYPE = pa.struct(
    [
        ("kind", pa.string()),
        ("number", pa.int32()),
        ("offset", pa.int64()),
        ("slot", pa.int32()),
        ("label", pa.string()),
        ("time", _TS),
        ("encryption", pa.string()),
        ("path", pa.string()),
        ("inode", pa.int64()),
        ("member", pa.string()),
    ]
)
assert tuple(f.name for f in LINK_TYPE) == ("kind", *PARAMETERS), "LINK_TYPE must hold every Link parameter"
_CHAIN = pa.list_(LINK_TYPE)
SCHEMA = pa.schema(
    [
        ("evidence_id", pa.int64()),
        ("position", pa.int64()),
        ("member", pa.int32()),
        ("address", pa.string()),
        ("partition", pa.int32()),
        ("partition_offset", pa.int64()),
        ("filesystem", pa.string()),
        ("path", pa.string()),
        ("inode", pa.int64()),
        ("attribute", pa.string()),
        ("members", pa.list_(pa.string())),
        ("name", pa.string()),
        ("extension", pa.string()),
        ("size", pa.int64()),
        ("allocated", pa.bool_()),
        ("modified", _TS),
        ("accessed", _TS),
        ("changed", _TS),
        ("created", _TS),
        ("status", pa.string()),
        ("error", pa.string()),
        ("md5", pa.binary(16)),
        ("sha1", pa.binary(20)),
        ("sha256", pa.binary(32)),
        ("mime", pa.string()),
        ("magic", pa.string()),
        ("extension_mismatch", pa.bool_()),
        ("is_image", pa.bool_()),
        ("pdq", pa.binary(32)),
        ("pdq_quality", pa.int16()),
        ("pdq_note", pa.string()),
        ("pdq_method", pa.string()),
        ("pdq_second", pa.binary(32)),
        ("pdq_second_quality", pa.int16()),
        ("video_frames", pa.list_(FRAME_TYPE)),
        ("exif_make", pa.string()),
        ("exif_model", pa.string()),
        ("exif_serial", pa.string()),
        ("exif_datetime_original", pa.string()),
        ("gps_latitude", pa.float64()),
        ("gps_longitude", pa.float64()),
        ("archive_members", pa.int32()),
        ("known_bad", pa.bool_()),
        ("known_good", pa.bool_()),
        ("alert", pa.bool_()),
        ("top_class", pa.string()),
        ("top_severity", pa.int8()),
        ("hits", pa.list_(HIT_TYPE)),
        ("chain", _CHAIN),
    ],
    metadata={"vigilant.schema": f"triage-records/{SCHEMA_VERSION}"},
)
_NAMES = [f.name for f in fields(FileRecord)]
assert SCHEMA.names == _NAMES, "FileRecord and SCHEMA must list the same columns in the same order"
_HIT_NAMES = [f.name for f in fields(Hit)]
_NO_CHAIN = Address()
_FRAME_NAMES = [f.name for f in fields(FrameHash)]


def to_table(records: list[FileRecord]) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in _NAMES}
    for record in records:
        for name in _NAMES:
            value = getattr(record, name)
            if name == "hits":
                value = [{n: getattr(h, n) for n in _HIT_NAMES} for h in value]
            elif name == "video_frames":
                value = [{n: getattr(f, n) for n in _FRAME_NAMES} for f in value]
            elif name == "chain":
                continue  # column by column, below
            columns[name].append(value)
    columns["chain"] = chain_column([record.chain for record in records])
    return pa.table(columns, schema=SCHEMA)


def chain_column(addresses: list[Address]) -> pa.Array:
    """The addresses' chains as one list-of-structs array. Each distinct link becomes values once and the
    rows are taken from those (the levels files share, a partition or a file system, are not redone per
    file)."""
    distinct: list[tuple[Any, ...]] = []  # the values of each distinct link, in the order first met
    rows_of: dict[int, tuple[int, ...]] = {}  # id of a link -> its chain's rows in ``distinct``
    kept: list[Link] = []  # the links whose ids are keys above, kept alive while the ids mean them

    def rows(link: Link) -> tuple[int, ...]:
        known = rows_of.get(id(link))
        if known is None:
            above = () if link.parent is None else rows(link.parent)
            distinct.append(values_of(link))
            known = rows_of[id(link)] = (*above, len(distinct) - 1)
            kept.append(link)
        return known

    taken: list[int] = []
    lengths: list[int] = []
    for address in addresses:
        chain = () if address.link is None else rows(address.link)
        taken.extend(chain)
        lengths.append(len(chain))
    columns = zip(*distinct, strict=True) if distinct else ([] for _ in LINK_TYPE)
    links = pa.StructArray.from_arrays(
        [pa.array(list(values), f.type) for values, f in zip(columns, LINK_TYPE, strict=True)],
        fields=list(LINK_TYPE),
    )
    offsets = pa.array([0, *accumulate(lengths)], pa.int32())
    return pa.ListArray.from_arrays(offsets, links.take(pa.array(taken, pa.int64())), type=_CHAIN)


def addresses_of(column: pa.ChunkedArray) -> list[Address]:
    """The addresses of a chain column (:func:`chain_column`); a null chain (none written) is an address
    with no level. A level equal to the previous row's at that depth, below the same parent, is that link
    again: files of one file system share its links (and the time a link takes to make)."""
    combined = column.combine_chunks()
    lengths = combined.value_lengths().fill_null(0).to_pylist()
    links = combined.flatten()
    rows = zip(*(links.field(f.name).to_pylist() for f in LINK_TYPE), strict=True) if len(links) else iter(())
    previous: list[tuple[tuple[Any, ...], Link]] = []  # the last chain made: each level's values and link
    addresses = []
    for length in lengths:
        tip: Link | None = None
        for depth in range(length):
            values = next(rows)
            if depth < len(previous) and previous[depth][0] == values:
                tip = previous[depth][1]  # (its parent is ``tip``: the levels above were reused too)
                continue
            tip = link_of(values, tip)
            del previous[depth:]  # what was below the level replaced is below another parent now
            previous.append((values, tip))
        addresses.append(Address.of(tip))
    return addresses


def records_of(table: pa.Table) -> Iterator[FileRecord]:
    """The records of a table, column by column (several times faster than one dict per row).

    A column an older schema version lacks reads as empty (see the module's notes on versions); a chain
    too, which the record then rebuilds from its flat address columns.
    """
    present = set(table.column_names)
    columns = [
        table.column(name).to_pylist() if name in present and name != "chain" else [None] * table.num_rows
        for name in _NAMES
    ]
    if "chain" in present:
        columns[_NAMES.index("chain")] = addresses_of(table.column("chain"))
    hit_fields = {f.name for f in table.schema.field("hits").type.value_type} if "hits" in present else set()
    legacy = "pdq_method" not in hit_fields  # before version 4: every picture was hashed at 512 px
    hits_at = _NAMES.index("hits")
    members_at = _NAMES.index("members")
    frames_at = _NAMES.index("video_frames")
    chain_at = _NAMES.index("chain")
    for values in zip(*columns, strict=True):
        row = list(values)
        row[hits_at] = [_hit_of(h, legacy) for h in row[hits_at] or []]
        row[members_at] = list(row[members_at] or [])
        row[frames_at] = [FrameHash(**f) for f in row[frames_at] or []]
        row[chain_at] = row[chain_at] or _NO_CHAIN  # a file before version 6: rebuilt from the flat fields
        yield FileRecord(*row)


def _hit_of(values: dict[str, Any], legacy: bool) -> Hit:
    hit = Hit(**values)
    if legacy and hit.matched_on == "pdq":
        return replace(hit, pdq_method=LEGACY_PDQ_METHOD)
    return hit
