"""The contract every evidence source meets, and the address that lets a reviewer find the exact bytes.

Modelled as a chain, like a path spec: evidence item -> partition -> file system -> path and inode ->
archive member(s). Sources are opened read-only; nothing here ever writes to evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol

from vigilant.errors import BadInputError


class EvidenceError(BadInputError):
    """An evidence source as a whole cannot be opened (missing segment, not an image, bad E01)."""


class EntryStatus(StrEnum):
    OK = "ok"
    ENCRYPTED = "encrypted"  # an encrypted archive member: listed, not read
    UNREADABLE = "unreadable"  # content could not be read (bad sectors, broken archive, …): reason in error


@dataclass(frozen=True, order=True)
class Address:
    """Where a file's bytes are, from the evidence item down; sorts in a stable, meaningful order."""

    partition: int | None = None  # slot number in the partition table (None: no partition table)
    partition_offset: int | None = None  # byte offset of the partition in the image
    filesystem: str | None = None  # "ext4", "ntfs", "fat32", "exfat", "directory", …
    path: str = ""  # absolute inside the file system, "/" separated
    inode: int | None = None  # inode / MFT entry / directory entry address
    attribute: str | None = None  # NTFS alternate data stream name, when not the default stream
    members: tuple[str, ...] = ()  # archive member names, outermost first

    def __str__(self) -> str:
        parts = []
        if self.partition is not None:
            parts.append(f"partition {self.partition} @ {self.partition_offset}")
        if self.filesystem:
            parts.append(self.filesystem)
        where = self.path
        if self.inode is not None:
            where += f" (inode {self.inode})"
        if self.attribute:
            where += f":{self.attribute}"
        parts.append(where)
        for member in self.members:
            parts.append(f"member {member}")
        return " > ".join(parts)

    def child(self, member: str) -> Address:
        return replace(self, members=(*self.members, member))


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
