"""Shared builders for library tests: synthetic entries with known digests."""

from __future__ import annotations

import hashlib

from vigilant.library.records import KnownEntry


def entry(
    i: int,
    *,
    category: str | None = "1",
    pdq: bytes | None = None,
    quality: int | None = None,
    series: str | None = None,
) -> KnownEntry:
    """A synthetic entry whose digests are those of the bytes b'synthetic-<i>'."""
    data = f"synthetic-{i}".encode()
    return KnownEntry(
        location=f"entry {i}",
        md5=hashlib.md5(data).digest(),
        sha1=hashlib.sha1(data).digest(),
        sha256=hashlib.sha256(data).digest(),
        pdq=pdq,
        pdq_quality=quality,
        size=len(data),
        category=category,
        series=series,
        file_name=f"file-{i}.jpg",
    )


def md5_of(i: int) -> str:
    return hashlib.md5(f"synthetic-{i}".encode()).hexdigest()


def sha1_of(i: int) -> str:
    return hashlib.sha1(f"synthetic-{i}".encode()).hexdigest()
