"""What expanding one archive may produce, and what it reports when it stops short.

:class:`ArchiveLimits` caps one call to :func:`~vigilant.evidence.archives.expand` (bytes expanded and
members listed, nested archives included); :class:`Budget` counts against those caps as the per-format
readers (:mod:`vigilant.evidence.archive_formats`) list members, and raises :class:`CapReached` at the cap.
Whatever stops an expansion (damage, depth, the cap) is reported as an :class:`ArchiveProblem`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vigilant.evidence.base import Address

MiB = 1 << 20
GiB = 1 << 30


class ProblemKind(StrEnum):
    BROKEN = "broken"  # damaged or truncated: members after the damage are not listed
    DEPTH = "depth"  # an archive nested deeper than max_depth: listed, not opened
    CAP = "cap"  # the expansion cap (bytes or members) was reached: the rest is not listed


@dataclass(frozen=True)
class ArchiveProblem:
    """Why (part of) an archive was not expanded; ``address`` is the archive or member concerned."""

    address: Address
    reason: str
    kind: ProblemKind = ProblemKind.BROKEN


@dataclass(frozen=True)
class ArchiveLimits:
    max_total_bytes: int = 4 * GiB  # all members expanded from one archive, nested ones included
    max_members: int = 100_000
    spool_memory: int = 64 * MiB  # kept in memory per spooled content; beyond, a temporary file


class CapReached(Exception):
    pass


class Budget:
    """What one call to expand may still produce, shared by nested archives."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.bytes = 0
        self.members = 0
        self.exhausted = False

    def take_member(self, declared_size: int) -> None:
        if self.members + 1 > self.limits.max_members:
            raise CapReached(f"more than {self.limits.max_members} members")
        if self.bytes + declared_size > self.limits.max_total_bytes:
            raise CapReached(
                f"members would expand past {self.limits.max_total_bytes} bytes "
                f"({self.bytes} expanded, next declares {declared_size})"
            )
        self.members += 1

    def take_bytes(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_total_bytes:
            raise CapReached(f"members expand past {self.limits.max_total_bytes} bytes")
