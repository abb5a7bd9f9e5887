"""The contract every evidence source meets, and the address that lets a reviewer find the exact bytes.

Modelled as a chain, like a path spec (:mod:`vigilant.evidence.address`): evidence item -> partition ->
encrypted or logical volume -> file system -> path and inode -> stream -> archive member(s). Sources are
opened read-only; nothing here ever writes to evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import total_ordering
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol

from vigilant.errors import BadInputError
from vigilant.evidence.address import FlatAddress, Link, LinkKind, flat, from_flat
from vigilant.evidence.address import text as address_text


class EvidenceError(BadInputError):
    """An evidence source as a whole cannot be opened (missing segment, not an image, bad E01)."""


class EntryStatus(StrEnum):
    OK = "ok"
    ENCRYPTED = "encrypted"  # an encrypted archive member: listed, not read
    UNREADABLE = "unreadable"  # content could not be read (bad sectors, broken archive, …): reason in error


class Problem(NamedTuple):
    """A part of the evidence that could not be read, and why; the walk went on without it."""

    where: str  # partition, file system, path: enough to find it again
    reason: str


@total_ordering
class Address:
    """Where a file's bytes are, from the evidence item down: a chain of links
    (:mod:`~vigilant.evidence.address`) that readers build as they descend, and its flat view; sorts in a
    stable, meaningful order.

    ``Address(partition=…, filesystem=…, path=…)`` builds the chain of a flat address (an older record's, a
    test's); readers that descend through layers give their chain: ``Address.of(link)``. Flat fields compare
    in order, an absent field (None) before any value: a file's default stream (attribute None) before its
    named streams, a file before its archive members.
    """

    __slots__ = ("_flat_view", "link")
    link: Link | None  # the innermost level; its parents are the rest of the chain (None: no level at all)
    _flat_view: FlatAddress | None  # made when first asked for (records read back rarely need it)

    def __init__(  # noqa: PLR0917 - the flat fields addresses had, in their old order
        self,
        partition: int | None = None,
        partition_offset: int | None = None,
        filesystem: str | None = None,
        path: str = "",
        inode: int | None = None,
        attribute: str | None = None,
        members: tuple[str, ...] = (),
        tsk_slot: int | None = None,
    ) -> None:
        flat_fields = FlatAddress(
            partition, partition_offset, filesystem, path, inode, attribute, tuple(members), tsk_slot
        )
        self._set(from_flat(flat_fields))

    @classmethod
    def of(cls, link: Link | None) -> Address:
        """The address whose innermost level is ``link``."""
        address = cls.__new__(cls)
        address._set(link)
        return address

    def _set(self, link: Link | None) -> None:
        object.__setattr__(self, "link", link)
        object.__setattr__(self, "_flat_view", None)

    @property
    def _flat(self) -> FlatAddress:
        if self._flat_view is None:
            object.__setattr__(self, "_flat_view", flat(self.link))  # kept: sorting asks for it many times
        assert self._flat_view is not None
        return self._flat_view

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"an Address cannot be changed ({name}): build another")

    @property
    def chain(self) -> tuple[Link, ...]:
        """Every level, outermost first."""
        return () if self.link is None else self.link.chain()

    @property
    def partition(self) -> int | None:
        """The partition's number as examiners give it (fdisk; mmls' "Slot" + 1): GPT and DOS primaries
        1…, DOS logical partitions 5…. None: no partition table."""
        return self._flat.partition

    @property
    def partition_offset(self) -> int | None:
        return self._flat.partition_offset  # byte offset of the partition in the image

    @property
    def filesystem(self) -> str | None:
        return self._flat.filesystem  # "ext4", "ntfs", "directory", after its layers: "luks1 > ext4"

    @property
    def path(self) -> str:
        return self._flat.path  # absolute inside the file system, "/" separated

    @property
    def inode(self) -> int | None:
        return self._flat.inode  # inode / MFT entry / directory entry address

    @property
    def attribute(self) -> str | None:
        return self._flat.attribute  # NTFS alternate data stream name, when not the default stream

    @property
    def members(self) -> tuple[str, ...]:
        return self._flat.members  # archive member names, outermost first

    @property
    def tsk_slot(self) -> int | None:
        return self._flat.tsk_slot  # The Sleuth Kit's number for the partition (mmls' first column)

    def __str__(self) -> str:
        return address_text(self.link)

    def __repr__(self) -> str:
        return f"Address({address_text(self.link)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Address):
            return NotImplemented
        return self.link == other.link

    def __hash__(self) -> int:
        return hash(self.link)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Address.of, (self.link,))  # (slots and a blocked __setattr__: pickle needs telling)

    def child(self, member: str) -> Address:
        return Address.of(Link(LinkKind.MEMBER, self.link, member=member))

    def sort_key(self) -> tuple[Any, ...]:
        # The flat fields first, as before addresses were chains (walks keep their order); then the whole
        # text, so that two chains with one flat view (one in a virtual disk, say) still sort apart.
        return (*((value is not None, value) for value in self._flat), str(self))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Address):
            return NotImplemented
        return self.sort_key() < other.sort_key()


@dataclass(frozen=True)
class FileEntry:
    """One file found in evidence, with a way to read its content (once, as a stream)."""

    address: Address
    name: str
    size: int
    allocated: bool = True  # False: a deleted file whose entry survives
    modified: datetime | None = None  # all times UTC
    accessed: datetime | None = None
    changed: datetime | None = None  # metadata change
    created: datetime | None = None
    status: EntryStatus = EntryStatus.OK
    error: str | None = None
    # A deleted name whose metadata (inode, MFT entry) now belongs to a live file: size, times and content
    # are that file's, not the deleted one's (TSK's "(realloc)").
    reallocated: bool = False
    opener: Callable[[], BinaryIO] | None = field(default=None, compare=False, repr=False)

    @property
    def deleted(self) -> bool:
        return not self.allocated

    def open(self) -> BinaryIO:
        if self.opener is None:
            raise EvidenceError(f"{self.address}: no content to read ({self.status.value})")
        return self.opener()


class EvidenceSource(Protocol):
    """One kind of evidence source (folder, raw image, E01, …)."""

    name: str  # "directory", "raw", "e01"
    title: str

    def accepts(self, path: Path) -> bool:
        """True when ``path`` is this kind of source (by name and first bytes)."""
        ...

    def entries(self, path: Path) -> Iterator[FileEntry]:
        """Every regular file, allocated and deleted, in a stable order (sorted by address)."""
        ...
