"""The contract every evidence source meets, and the address that lets a reviewer find the exact bytes.

Modelled as a chain, like a path spec: evidence item -> partition -> file system -> path and inode ->
archive member(s). Sources are opened read-only; nothing here ever writes to evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from functools import total_ordering
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol

from vigilant.errors import BadInputError


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
@dataclass(frozen=True)
class Address:
    """Where a file's bytes are, from the evidence item down; sorts in a stable, meaningful order.

    Fields compare in order, an absent field (None) before any value: a file's default stream (attribute
    None) before its named streams, a file before its archive members.
    """

    # The partition's number in the partition table as examiners give it (fdisk; mmls' "Slot" + 1): GPT and
    # DOS primaries 1…, DOS logical partitions 5…. None: no partition table.
    partition: int | None = None
    partition_offset: int | None = None  # byte offset of the partition in the image
    filesystem: str | None = None  # "ext4", "ntfs", "fat32", "exfat", "directory", …
    path: str = ""  # absolute inside the file system, "/" separated
    inode: int | None = None  # inode / MFT entry / directory entry address
    attribute: str | None = None  # NTFS alternate data stream name, when not the default stream
    members: tuple[str, ...] = ()  # archive member names, outermost first
    tsk_slot: int | None = None  # The Sleuth Kit's number for the partition (mmls' first column): a detail

    def __str__(self) -> str:
        parts = []
        if self.partition is not None:
            detail = "" if self.tsk_slot is None else f" (TSK slot {self.tsk_slot})"
            parts.append(f"partition {self.partition} @ {self.partition_offset}{detail}")
        if self.filesystem:
            parts.append(self.filesystem)
        where = self.path
        if self.inode is not None:
            where += f" (inode {self.inode})"
        if self.attribute:
            where += f":{self.attribute}"
        if where:  # an archive given as evidence: its members have no path before them
            parts.append(where)
        for member in self.members:
            parts.append(f"member {member}")
        return " > ".join(parts)

    def child(self, member: str) -> Address:
        return replace(self, members=(*self.members, member))

    def sort_key(self) -> tuple[Any, ...]:
        return tuple((value is not None, value) for value in (getattr(self, f.name) for f in fields(self)))

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
