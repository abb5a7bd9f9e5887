"""MD5, SHA-1 and SHA-256 of a stream in a single read.

hashlib releases the GIL on buffers of more than 2 KiB, so several of these can run in threads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


@dataclass(frozen=True)
class FileDigests:
    size: int
    md5: bytes
    sha1: bytes
    sha256: bytes


def digest_stream(stream: BinaryIO, chunk_size: int = CHUNK) -> FileDigests:
    md5, sha1, sha256 = (
        hashlib.md5(usedforsecurity=False),
        hashlib.sha1(usedforsecurity=False),
        hashlib.sha256(),
    )
    size = 0
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    while n := stream.readinto(view):  # type: ignore[attr-defined]
        part = view[:n]
        md5.update(part)
        sha1.update(part)
        sha256.update(part)
        size += n
    return FileDigests(size, md5.digest(), sha1.digest(), sha256.digest())


def digest_file(path: Path) -> FileDigests:
    with path.open("rb", buffering=0) as fh:
        return digest_stream(fh)
