"""Exact-match index: which of a batch of digests are in a large set of digests of one kind.

:class:`ExactIndex` opens a built index memory-mapped and answers look-ups; the folder's layout and
manifest are in :mod:`vigilant.library.exact_format`, the build pipeline in
:mod:`vigilant.library.exact_build`.

Why this layout (measured on the 2-core build machine, 10^6 queries, 1% hits, one thread):
``np.searchsorted`` costs 1.5 µs per query over 10^7 unsorted keys; sorting the queries first brings it to
0.2 µs at 10^7 and 0.4 µs at 10^8, sort included. The bucket table turns a look-up into one table read and
a 3–5 step branchless search inside a bucket of ~6 keys (one or two cache lines), with no query sort:
0.1–0.15 µs per query at 10^7, 0.15–0.2 µs at 10^8 (``bench/exact_bench.py``). Queries go through in
blocks of 32 Ki so the cache lines a block touches stay cached across the search steps. Look-ups only
read the index: one open index may serve several threads.

:meth:`ExactIndex.verify` recomputes the manifest's ``content_sha256`` to detect a corrupted or stale
index.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from vigilant.errors import NotFoundError
from vigilant.hashing.digests import DIGEST_KINDS, DigestKind
from vigilant.library.exact_build import build_index
from vigilant.library.exact_format import (
    BUCKETS,
    BUILD_BLOCK,
    KEYS,
    PREFIX,
    REBUILD,
    REST,
    Bools,
    Bytes2D,
    DigestChunk,
    IndexCorruptError,
    IndexFormatError,
    Int64s,
    UInt64s,
    add_bucket_counts,
    digest_array,
    join_columns,
    load_array,
    prefix_keys,
    read_manifest,
    rows_less,
    take_rows,
)

# Queries per block: 32 Ki keeps the ~2 MB of key cache lines a block touches in L2 across the search
# steps (16 Ki–64 Ki measured best; 10^6 at once is 40% slower).
LOOKUP_BLOCK = 1 << 15


class ExactIndex:
    """Membership of digests of one kind in a sorted, memory-mapped set.

    See :mod:`vigilant.library.exact_format` for the folder's layout, and this module's docstring for why.
    """

    def __init__(
        self, folder: Path, manifest: dict[str, Any], keys: UInt64s, rest: Bytes2D, buckets: Int64s
    ) -> None:
        self.folder = folder
        self.kind: DigestKind = DIGEST_KINDS[manifest["kind"]]
        self.content_sha256: str = manifest["content_sha256"]
        self.created_with: str = manifest["created_with"]
        self._keys = keys
        self._rest = rest
        self._buckets = buckets
        self._bits = int(manifest["bucket_bits"])
        self._steps = _search_steps(buckets)

    # -- building ---------------------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        kind: DigestKind,
        chunks: Iterable[DigestChunk],
        folder: str | os.PathLike[str],
        *,
        replace: bool = False,
    ) -> ExactIndex:
        """Build the index of the digests in ``chunks`` into ``folder`` and open it.

        Each chunk is an (n, kind.size) uint8 array or bytes holding n packed digests; duplicates are
        dropped. The folder appears complete or not at all: the build runs in a hidden folder beside it
        (``.NAME.building-*``) that is removed on any failure, and is renamed into place once every file is
        on disk. A build killed outright (SIGKILL, power loss) can leave only that hidden folder, which is
        safe to delete. An existing folder is refused unless ``replace`` is true (and then it must be an
        index); readers that opened the old index keep reading it.

        Memory: the whole input is held in RAM once, plus 8 bytes per digest for the sort: the peak is
        about (size + 8) bytes per input digest plus ~50 MB of working buffers (measured: 2.5 GB for
        10^8 MD5; 10^8 SHA-256 would take ~4 GB), plus 1 byte per digest when the input holds
        duplicates. Output is written sequentially, never held twice. The pipeline is
        :mod:`vigilant.library.exact_build`.
        """
        return cls.open(build_index(kind, chunks, folder, replace=replace))

    # -- opening ----------------------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> ExactIndex:
        """Open a built index memory-mapped; refuse a folder of an unknown format or version, or damaged."""
        path = Path(folder)
        if not path.is_dir():
            raise NotFoundError(f"no exact index at {path}")
        manifest = read_manifest(path)
        count: int = manifest["count"]
        size: int = manifest["digest_size"]
        keys = load_array(path / KEYS, np.dtype("<u8"), (count,))
        rest = load_array(path / REST, np.dtype(np.uint8), (count, size - PREFIX))
        buckets = load_array(path / BUCKETS, np.dtype("<i8"), ((1 << manifest["bucket_bits"]) + 1,))
        if buckets[0] != 0 or buckets[-1] != count:
            raise IndexFormatError(f"{path / BUCKETS} does not match the manifest's count", hint=REBUILD)
        return cls(path, manifest, keys, rest, buckets)

    # -- querying ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"ExactIndex({str(self.folder)!r}, kind={self.kind.name}, count={len(self)})"

    @property
    def nbytes(self) -> int:
        """Bytes of the index's arrays (what memory maps when it is all read): compare with len × size."""
        return int(self._keys.nbytes + self._rest.nbytes + self._buckets.nbytes)

    def contains(self, queries: DigestChunk) -> Bools:
        """For each of ``queries`` ((Q, size) uint8 array or packed bytes), whether it is in the set."""
        found: Bools = self.find(queries) >= 0
        return found

    def contains_one(self, digest: bytes) -> bool:
        return bool(self.find(self.kind.validate(digest))[0] >= 0)

    def digest_at(self, position: int) -> bytes:
        """The digest at ``position`` of the sorted set (a position :meth:`find` returned)."""
        if not 0 <= position < len(self):  # numpy would take -1 as the last entry
            raise IndexError(f"position {position} is outside the index (0..{len(self) - 1})")
        head = int(self._keys[position]).to_bytes(PREFIX, "big")
        tail: bytes = self._rest[position].tobytes()
        return head + tail

    def find(self, queries: DigestChunk) -> Int64s:
        """For each query, its position in the sorted set, or -1 when absent."""
        digests = digest_array(queries, self.kind)
        out = np.full(len(digests), -1, dtype=np.int64)
        if len(digests) == 0 or len(self) == 0:
            return out
        qkeys = prefix_keys(digests)
        pos, candidate = self._lower_bounds(qkeys)
        # Only queries whose first 8 bytes are in the set get here: the hits, and (practically never for
        # real digests) misses sharing a prefix. Their few rest bytes are compared in one go.
        which = np.flatnonzero(candidate)
        if len(which) == 0:
            return out
        at = pos[which]
        same = (take_rows(self._rest, at) == digests[which, PREFIX:]).all(axis=1)
        out[which[same]] = at[same]
        # A mismatch may still be a hit further on in a run of equal prefixes (adversarial input).
        slow = which[~same]
        if len(slow):
            out[slow] = self._find_in_runs(qkeys[slow], np.ascontiguousarray(digests[slow, PREFIX:]))
        return out

    def _lower_bounds(self, qkeys: UInt64s) -> tuple[Int64s, Bools]:
        """First position whose key is >= each query key, and whether the key there equals it."""
        total = len(qkeys)
        pos = np.empty(total, dtype=np.int64)
        candidate = np.empty(total, dtype=np.bool_)
        width = min(LOOKUP_BLOCK, total)
        bucket = np.empty(width, dtype=np.uint64)
        end = np.empty(width, dtype=np.int64)
        n = np.empty(width, dtype=np.int64)
        half = np.empty(width, dtype=np.int64)
        mid = np.empty(width, dtype=np.int64)
        key = np.empty(width, dtype=np.uint64)
        less = np.empty(width, dtype=np.bool_)
        shift = np.uint64(64 - self._bits)
        keys, buckets = self._keys, self._buckets
        for start in range(0, total, LOOKUP_BLOCK):
            m = min(LOOKUP_BLOCK, total - start)
            qk = qkeys[start : start + m]
            base = pos[start : start + m]
            b, e, nn, h, md, k, lt = bucket[:m], end[:m], n[:m], half[:m], mid[:m], key[:m], less[:m]
            np.right_shift(qk, shift, out=b)
            bi = b.view(np.int64)
            buckets.take(bi, out=base, mode="clip")
            np.add(bi, 1, out=bi)
            buckets.take(bi, out=e, mode="clip")
            np.subtract(e, base, out=nn)
            # Branchless lower bound inside [base, base + n): the range halves each step whatever the
            # outcome, so every query of the block takes the same number of steps.
            for _ in range(self._steps):
                np.right_shift(nn, 1, out=h)
                np.add(base, h, out=md)
                keys.take(md, out=k, mode="clip")
                np.less(k, qk, out=lt)
                np.copyto(base, md, where=lt)
                np.subtract(nn, h, out=nn)
            # One key is left in a non-empty bucket: step past it when it is smaller than the query.
            keys.take(base, out=k, mode="clip")
            np.less(k, qk, out=lt)
            np.add(base, lt, out=base)
            keys.take(base, out=k, mode="clip")  # clip: base may be len(keys); the test below masks it
            np.equal(k, qk, out=candidate[start : start + m])
            np.less(base, e, out=lt)
            candidate[start : start + m] &= lt
        return pos, candidate

    def _find_in_runs(self, qkeys: UInt64s, qrest: Bytes2D) -> Int64s:
        """Slow path: search each query's whole run of equal keys, which the build sorted by rest bytes."""
        lo = np.searchsorted(self._keys, qkeys, side="left").astype(np.int64)
        hi = np.searchsorted(self._keys, qkeys, side="right").astype(np.int64)
        n = hi - lo
        base = lo.copy()
        last = len(self) - 1
        for _ in range(int(n.max() - 1).bit_length()):
            half = n >> 1
            mid = base + half
            np.copyto(base, mid, where=rows_less(take_rows(self._rest, np.minimum(mid, last)), qrest))
            n -= half
        base += rows_less(take_rows(self._rest, np.minimum(base, last)), qrest)
        at = np.minimum(base, last)
        hit = (base < hi) & (take_rows(self._rest, at) == qrest).all(axis=1)
        result: Int64s = np.where(hit, base, -1)
        return result

    # -- maintenance ------------------------------------------------------------------------------------

    def warm(self) -> None:
        """Read every page of the index once so the first look-ups do not pay for page faults."""
        for array in (self._buckets, self._keys, self._rest):
            flat = array.reshape(-1).view(np.uint8)
            for start in range(0, len(flat), 1 << 26):
                # One byte per 4 KiB page is enough to fault the page in.
                int(flat[start : start + (1 << 26) : 4096].sum())

    def verify(self) -> None:
        """Recompute the content hash, the order and the bucket table; raise IndexCorruptError on mismatch."""
        digest = hashlib.sha256()
        counts = np.zeros(1 << self._bits, dtype=np.int64)
        previous: bytes | None = None
        for start in range(0, len(self), BUILD_BLOCK):
            keys = np.asarray(self._keys[start : start + BUILD_BLOCK])
            rest = np.asarray(self._rest[start : start + BUILD_BLOCK])
            block = join_columns(keys, rest)
            digest.update(block.data)
            add_bucket_counts(counts, keys, self._bits)
            # Sorted and unique: keys never decrease, and where two keys are equal the rest bytes increase.
            tie = np.flatnonzero(keys[1:] == keys[:-1])
            ordered = not bool((keys[1:] < keys[:-1]).any()) and bool(
                rows_less(rest[tie], rest[tie + 1]).all()
            )
            if not ordered or (previous is not None and previous >= block[0].tobytes()):
                raise IndexCorruptError(f"{self.folder} is not in sorted, unique order", hint=REBUILD)
            previous = block[-1].tobytes()
        if digest.hexdigest() != self.content_sha256:
            raise IndexCorruptError(
                f"{self.folder}: content does not match its manifest's hash", hint=REBUILD
            )
        expected = np.concatenate(([0], np.cumsum(counts)))
        if not np.array_equal(expected, self._buckets):
            raise IndexCorruptError(f"{self.folder}: bucket table does not match the keys", hint=REBUILD)


# -- helpers --------------------------------------------------------------------------------------------


def _search_steps(buckets: Int64s) -> int:
    """Halving steps that narrow the largest bucket to one key."""
    largest = 0
    for start in range(0, len(buckets) - 1, BUILD_BLOCK):
        part = np.asarray(buckets[start : start + BUILD_BLOCK + 1])
        largest = max(largest, int(np.diff(part).max()))
    return max(largest - 1, 0).bit_length()
