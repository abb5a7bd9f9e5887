"""An evidence address as a chain of links, each holding its parent, as dfVFS's path specifications are.

Evidence item -> virtual disk -> partition -> snapshot -> encrypted volume -> logical volume -> file system ->
path -> stream -> archive member: a reader that descends one level adds one link below the one it was given,
so any nesting can be said (an archive member in a file of an ext4 in an LVM volume in a LUKS volume in
partition 2), not only the fixed set of levels flat fields allow. Records store the chain as rows, outermost
first (:func:`to_rows`, :func:`from_rows`; a list of structs in Parquet); the text examiners read
(``partition 2 @ 1048576 (TSK slot 3) > luks1 > ext4 > /a.jpg (inode 12)``) and the flat view older records
and reports use (:class:`FlatAddress`) are derived from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple


class LinkKind(StrEnum):
    """One level of the storage stack; the parameters each uses are those :class:`Link` names for it."""

    VIRTUAL_DISK = "virtual_disk"  # label: its format (vmdk, vhdx, qcow2)
    PARTITION = "partition"  # number: as examiners give it; offset: bytes into its parent; slot
    SNAPSHOT = "snapshot"  # number: the snapshot's (a volume shadow copy); time: when it was taken
    ENCRYPTED = "encrypted"  # encryption: luks1, luks2, bitlocker (an unlocked volume)
    LOGICAL_VOLUME = "logical_volume"  # label: "group/volume" (LVM)
    FILE_SYSTEM = "file_system"  # label: ext4, ntfs, directory, … or an archive given as evidence (zip)
    PATH = "path"  # path: absolute inside the file system, "/" separated; inode: its entry's number
    STREAM = "stream"  # label: a named stream (NTFS alternate data stream), not the default one
    MEMBER = "member"  # member: an archive member's name, as the archive lists it


_KINDS = {kind.value: kind for kind in LinkKind}  # (a dict look-up: several times faster than LinkKind(…))
# The kinds that hold a file system's files without being a file themselves: the flat ``filesystem`` text.
_LAYERS = frozenset({LinkKind.SNAPSHOT, LinkKind.ENCRYPTED, LinkKind.LOGICAL_VOLUME, LinkKind.FILE_SYSTEM})
_FILE_KINDS = frozenset({LinkKind.PATH, LinkKind.STREAM, LinkKind.MEMBER})
_ENCRYPTIONS = ("luks", "bitlocker")  # how older records' flat text names an unlocked volume's layer
_LVM = "lvm "


class Link(NamedTuple):
    """One level of an address and its parent (None: the evidence item itself); parameters unused by its
    kind stay None. (A named tuple: records read back make one per file, several times faster than a frozen
    dataclass.)"""

    kind: LinkKind
    parent: Link | None = None
    number: int | None = None
    offset: int | None = None
    # The Sleuth Kit's number for a partition (mmls' first column, which counts the table and the gaps too):
    # a detail examiners comparing with mmls need.
    slot: int | None = None
    label: str | None = None
    time: datetime | None = None  # UTC
    encryption: str | None = None
    path: str | None = None
    inode: int | None = None
    member: str | None = None

    def chain(self) -> tuple[Link, ...]:
        """This link and its ancestors, outermost first."""
        links: list[Link] = []
        link: Link | None = self
        while link is not None:
            links.append(link)
            link = link.parent
        return tuple(reversed(links))

    def piece(self) -> str:
        """This level as the address text shows it (a stream's is joined to its path by ``:``)."""
        match self.kind:
            case LinkKind.PARTITION:
                slot = "" if self.slot is None else f" (TSK slot {self.slot})"
                return f"partition {self.number} @ {self.offset}{slot}"
            case LinkKind.SNAPSHOT:
                taken = "" if self.time is None else f" ({self.time:%Y-%m-%d %H:%M:%S} UTC)"
                return f"snapshot {self.number}{taken}"
            case LinkKind.ENCRYPTED:
                return self.encryption or "encrypted"
            case LinkKind.LOGICAL_VOLUME:
                return f"{_LVM}{self.label}"
            case LinkKind.PATH:
                inode = "" if self.inode is None else f" (inode {self.inode})"
                return f"{self.path or ''}{inode}"
            case LinkKind.STREAM:
                return f":{self.label}" if self.label else ""
            case LinkKind.MEMBER:
                return f"member {self.member}"
            case _:  # a virtual disk, a file system: named by their label
                return self.label or self.kind.value


# The parameters a row holds, in this order (the Parquet struct's fields, see triage/records.py).
PARAMETERS = Link._fields[2:]


def text(tip: Link | None) -> str:
    """The address as examiners read it: the levels from the outermost, joined by `` > ``."""
    pieces: list[str] = []
    after_path = False
    for link in () if tip is None else tip.chain():
        piece = link.piece()
        if link.kind is LinkKind.STREAM and after_path:
            pieces[-1] += piece
        elif piece:  # a path-less file's empty path link shows nothing (an archive given as evidence)
            pieces.append(piece)
        after_path = link.kind is LinkKind.PATH and bool(piece)
    return " > ".join(pieces)


def values_of(link: Link) -> tuple[Any, ...]:
    """One link as a row of values: its kind (a str), then its parameters in :data:`PARAMETERS` order."""
    return (link[0], *link[2:])


def link_of(values: Sequence[Any], parent: Link | None) -> Link:
    """The link a row of :func:`values_of` holds, below ``parent``."""
    return Link(_KINDS[values[0]], parent, *values[1:])


def to_rows(tip: Link | None) -> list[dict[str, Any]]:
    """The chain as rows, outermost first: ``kind`` and every parameter (None where unused)."""
    if tip is None:
        return []
    return [{"kind": link.kind.value, **{p: getattr(link, p) for p in PARAMETERS}} for link in tip.chain()]


def from_rows(rows: Iterable[dict[str, Any]]) -> Link | None:
    """The chain :func:`to_rows` wrote (its innermost link), None for no rows; a parameter the rows lack
    (written by an older version) is None."""
    tip: Link | None = None
    for row in rows:
        tip = Link(LinkKind(row["kind"]), tip, **{p: row.get(p) for p in PARAMETERS})
    return tip


class FlatAddress(NamedTuple):
    """The fixed fields addresses had before they were chains (records keep them as columns for queries
    and reports): the first partition, the layers to the first file, that file and its archive members."""

    partition: int | None
    partition_offset: int | None
    filesystem: str | None  # its layers too: "luks1 > lvm vg/home > ext4"
    path: str
    inode: int | None
    attribute: str | None
    members: tuple[str, ...]
    tsk_slot: int | None


def flat(tip: Link | None) -> FlatAddress:
    """The flat view of a chain (a virtual disk, above its partitions, is not in it)."""
    partition: Link | None = None
    layers: list[str] = []
    path: Link | None = None
    attribute: str | None = None
    members: list[str] = []
    in_file = False  # past the first path, stream or member: later layers are inside a file
    for link in () if tip is None else tip.chain():
        if link.kind is LinkKind.PARTITION and partition is None:
            partition = link
        elif link.kind in _LAYERS and not in_file:
            layers.append(link.piece())
        elif link.kind is LinkKind.PATH and path is None:
            path = link
        elif link.kind is LinkKind.STREAM and attribute is None:
            attribute = link.label
        elif link.kind is LinkKind.MEMBER:
            members.append(link.member or "")
        in_file = in_file or link.kind in _FILE_KINDS
    return FlatAddress(
        partition=None if partition is None else partition.number,
        partition_offset=None if partition is None else partition.offset,
        filesystem=" > ".join(layers) or None,
        path=(path.path or "") if path is not None else "",
        inode=None if path is None else path.inode,
        attribute=attribute,
        members=tuple(members),
        tsk_slot=None if partition is None else partition.slot,
    )


def from_flat(address: FlatAddress) -> Link | None:
    """The chain of a flat address (an older record's columns, a test's fields): its ``filesystem`` text
    split into the layers readers name (``luks1``, ``bitlocker``, ``lvm group/volume``), the last one the
    file system."""
    tip: Link | None = None
    if address.partition is not None:
        tip = Link(
            LinkKind.PARTITION,
            tip,
            number=address.partition,
            offset=address.partition_offset,
            slot=address.tsk_slot,
        )
    layers = address.filesystem.split(" > ") if address.filesystem else []
    for i, layer in enumerate(layers):
        if i < len(layers) - 1 and layer.startswith(_ENCRYPTIONS):
            tip = Link(LinkKind.ENCRYPTED, tip, encryption=layer)
        elif i < len(layers) - 1 and layer.startswith(_LVM):
            tip = Link(LinkKind.LOGICAL_VOLUME, tip, label=layer.removeprefix(_LVM))
        else:
            tip = Link(LinkKind.FILE_SYSTEM, tip, label=layer)
    if address.path or address.inode is not None:
        tip = Link(LinkKind.PATH, tip, path=address.path, inode=address.inode)
    if address.attribute is not None:
        tip = Link(LinkKind.STREAM, tip, label=address.attribute)
    for member in address.members:
        tip = Link(LinkKind.MEMBER, tip, member=member)
    return tip
