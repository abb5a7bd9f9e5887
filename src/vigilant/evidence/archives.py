"""Archive members as file entries: zip, 7z, RAR, tar (plain or compressed) and single compressed files.

:func:`expand` takes a file entry whose content is an archive, found by its first bytes (never by its
name), and yields its members as file entries whose address is the archive's plus the member name, nested
archives inside them down to ``max_depth``. Whatever stops it is yielded as an :class:`ArchiveProblem`
that the caller records against the archive: a broken archive (bad CRC, truncated) yields the members
read before the damage, then the problem, then nothing more.

Bounded memory: each member's content goes through a spooled temporary file (kept in memory up to
``spool_memory``, on disk beyond). A zip, which must be read from its end, is read in place when its
content can seek (files in folders and images, members already spooled) and is spooled whole first
otherwise; tar and compressed files are read as a stream. Zip bombs: the total bytes expanded and the
number of members are capped for each archive handed to :func:`expand`, nested archives included.

Members are yielded in the order the archive stores them, the same order on every run. Each member's
content is kept only while the caller handles it: read it (``entry.open()``, as many times as needed)
before asking for the next item.

This module is the expansion itself: it opens each archive, hands its content to the reader for its
format (:mod:`vigilant.evidence.archive_formats`) and opens the archives among the members, all under one
budget (:mod:`vigilant.evidence.archive_budget`, where the limits and problems are too).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack, closing
from typing import IO, BinaryIO, cast

from vigilant.evidence._spool import COPY_CHUNK, HEAD_BYTES, Rejoined
from vigilant.evidence.archive_budget import ArchiveLimits, ArchiveProblem, Budget, CapReached, ProblemKind
from vigilant.evidence.archive_formats import (
    Member,
    archive_kind,
    compressed_member,
    tar_members,
    zip_members,
)
from vigilant.evidence.archive_libarchive import KINDS as LIBARCHIVE_KINDS
from vigilant.evidence.archive_libarchive import libarchive_members
from vigilant.evidence.base import EntryStatus, FileEntry

# --- expansion ------------------------------------------------------------------------------------------
Item = FileEntry | ArchiveProblem


def expand(entry: FileEntry, max_depth: int = 3, *, limits: ArchiveLimits | None = None) -> Iterator[Item]:
    """The members of the archive in ``entry`` (nothing when it is not an archive), nested ones too.

    ``max_depth`` 1 lists the archive's own members; 2 also the members of archives among them; ….
    """
    budget = Budget(limits or ArchiveLimits())
    if entry.status is not EntryStatus.OK or entry.opener is None or max_depth < 1:
        return
    yield from _expand(entry, 1, max_depth, budget)


def _expand(entry: FileEntry, depth: int, max_depth: int, budget: Budget) -> Iterator[Item]:
    try:
        stream = entry.open()
    except (OSError, ValueError) as exc:
        yield ArchiveProblem(entry.address, f"cannot read the archive: {exc}")
        return
    with stream, ExitStack() as held:
        try:
            head = stream.read(HEAD_BYTES)
        except (OSError, ValueError) as exc:
            yield ArchiveProblem(entry.address, f"cannot read the archive: {exc}")
            return
        kind = archive_kind(head)
        if kind is None:
            return
        # Wrappers are closed explicitly (a buffered file left to the garbage collector warns).
        if kind == "zip":
            direct = _seekable(stream)
            source = held.enter_context(direct or _rejoined(head, stream))
            members = zip_members(entry, source, budget)
        elif kind in LIBARCHIVE_KINDS:  # 7z, RAR
            direct = _seekable(stream)
            source = held.enter_context(direct or _rejoined(head, stream))
            members = libarchive_members(entry, source, head, budget)
        elif kind.startswith("tar"):
            members = tar_members(entry, held.enter_context(_rejoined(head, stream)), budget)
        else:
            members = compressed_member(entry, held.enter_context(_rejoined(head, stream)), kind, budget)
        with closing(members):
            yield from _with_nested(entry, members, depth, max_depth, budget)


def _with_nested(
    entry: FileEntry, members: Iterator[Member], depth: int, max_depth: int, budget: Budget
) -> Iterator[Item]:
    """Each member, followed by the members of the archive it is (if it is one and depth allows)."""
    try:
        for item in members:
            if isinstance(item, ArchiveProblem):
                yield item
                continue
            child, spool = item
            try:
                yield child
                if spool is not None and archive_kind(spool.head()) is not None:
                    if depth < max_depth:
                        yield from _expand(child, depth + 1, max_depth, budget)
                    else:
                        yield ArchiveProblem(
                            child.address,
                            f"an archive nested {depth + 1} deep: not opened (limit {max_depth})",
                            ProblemKind.DEPTH,
                        )
            finally:
                if spool is not None:
                    spool.close()  # the caller has had its turn with this member
            if budget.exhausted:
                return
    except CapReached as exc:
        budget.exhausted = True
        yield ArchiveProblem(entry.address, f"expansion stopped: {exc}", ProblemKind.CAP)


def _rejoined(head: bytes, rest: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], io.BufferedReader(Rejoined(head, rest), COPY_CHUNK))


def _seekable(stream: BinaryIO) -> IO[bytes] | None:
    """The entry's own stream rewound, when it can seek (files in folders and images): no spool needed."""
    try:
        if not stream.seekable():
            return None
        stream.seek(0)
    except (OSError, ValueError):
        return None
    if isinstance(stream, io.RawIOBase):  # zipfile makes many small reads: buffer them
        return cast(IO[bytes], io.BufferedReader(stream, COPY_CHUNK))
    return stream
