"""Exact-match index: which of a batch of digests are in a large set of digests of one kind.

The index is a folder, written atomically, opened memory-mapped (nothing is loaded at open)::

    manifest.json  {"format": "vigilant-exact-index", "version": 1, "kind": "md5", "count": N,
                    "digest_size": 16, "bucket_bits": B, "content_sha256": "…", "created_with": "0.1.0"}
    keys.npy       (N,) '<u8'  first 8 bytes of each digest read big-endian, so numeric order = byte order
    rest.npy       (N, size-8) uint8  the remaining bytes of each digest
    buckets.npy    (2**B + 1,) '<i8'  buckets[b] = first position whose key's top B bits are >= b

Digests are sorted (by their bytes) and unique. ``keys`` + ``rest`` hold exactly the raw digest bytes; the
bucket table adds 1–2 bytes per entry (2**B lies between N/8 and N/4), so the folder is 1.06–1.13× the raw
bytes for MD5 and less for longer digests. There is no row-id column: a hit is rare and its details are
fetched from the database by digest; :meth:`ExactIndex.find` gives the position for whoever wants
:meth:`ExactIndex.digest_at`.

Why this layout (measured on the 2-core build machine, 10^6 queries, 1% hits, one thread):
``np.searchsorted`` costs 1.5 µs per query over 10^7 unsorted keys; sorting the queries first brings it to
0.2 µs at 10^7 and 0.4 µs at 10^8, sort included. The bucket table turns a look-up into one table read and
a 3–5 step branchless search inside a bucket of ~6 keys (one or two cache lines), with no query sort:
0.1–0.15 µs per query at 10^7, 0.15–0.2 µs at 10^8 (``bench/exact_bench.py``). Queries go through in
blocks of 32 Ki so the cache lines a block touches stay cached across the search steps. Look-ups only
read the index: one open index may serve several threads.

``content_sha256`` is the SHA-256 of the sorted unique digests' bytes, concatenated: :meth:`verify`
recomputes it to detect a corrupted or stale index.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from vigilant import __version__
from vigilant.digests import DIGEST_KINDS, DigestKind, InvalidDigestError
from vigilant.errors import BadInputError, ConflictError, NotFoundError

FORMAT = "vigilant-exact-index"
VERSION = 1
MANIFEST = "manifest.json"
KEYS = "keys.npy"
REST = "rest.npy"
BUCKETS = "buckets.npy"

PREFIX = 8  # bytes of each digest held in the uint64 key column
# Queries per block: 32 Ki keeps the ~2 MB of key cache lines a block touches in L2 across the search
# steps (16 Ki–64 Ki measured best; 10^6 at once is 40% slower).
LOOKUP_BLOCK = 1 << 15
BUILD_BLOCK = 1 << 20  # entries per step when writing and hashing; bounds the build's working buffers
SLAB_ROWS = 1 << 23  # input digests per slab while a build collects them (see _gather_input)

DigestChunk = npt.NDArray[np.uint8] | bytes | bytearray | memoryview
Int64s = npt.NDArray[np.int64]
UInt64s = npt.NDArray[np.uint64]
Bools = npt.NDArray[np.bool_]
Bytes2D = npt.NDArray[np.uint8]


class IndexFormatError(BadInputError):
    """The folder is not a readable exact index of a version this Vigilant knows."""


class IndexCorruptError(IndexFormatError):
    """The index's content does not match its manifest: it was damaged or altered after its build."""


_REBUILD = "rebuild the index from its hash sets"


def digest_array(data: DigestChunk, kind: DigestKind) -> Bytes2D:
    """``data`` as an (n, kind.size) uint8 array: an array of that shape, or packed bytes of n digests."""
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != kind.size:
            raise InvalidDigestError(
                f"expected an (n, {kind.size}) uint8 array of {kind.label} digests,"
                f" got shape {data.shape} dtype {data.dtype}"
            )
        return data
    raw = memoryview(data).cast("B")
    if len(raw) % kind.size:
        raise InvalidDigestError(
            f"expected packed {kind.label} digests ({kind.size} bytes each), got {len(raw)} bytes"
        )
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, kind.size)


def _prefix_keys(digests: Bytes2D) -> UInt64s:
    """The first 8 bytes of each digest as a native uint64 of their big-endian value."""
    head = np.ascontiguousarray(digests[:, :PREFIX]).view(">u8").reshape(-1)
    return head.astype(np.uint64)


def _rows_less(a: Bytes2D, b: Bytes2D) -> Bools:
    """Row-wise lexicographic ``a < b`` for two (m, w) byte arrays, w >= 1."""
    differ = a != b
    first = differ.argmax(axis=1)
    rows = np.arange(len(a))
    less: Bools = differ[rows, first] & (a[rows, first] < b[rows, first])
    return less


def _bucket_bits(count: int) -> int:
    # 2**bits between count/8 and count/4: buckets of ~4–8 keys, a table of 1–2 bytes per entry.
    return min(max(count.bit_length() - 3, 1), 32)


def _check_kind(kind: DigestKind) -> None:
    if kind.perceptual:
        raise BadInputError(
            f"an exact index cannot hold {kind.label}s: they match by distance", hint="use the PDQ index"
        )
    if kind.size <= PREFIX:
        raise BadInputError(
            f"an exact index needs digests longer than {PREFIX} bytes, {kind.label} has {kind.size}"
        )
    if kind.name not in DIGEST_KINDS.names() or DIGEST_KINDS[kind.name] != kind:
        # open() finds the kind by name: an index of an unregistered kind could never be opened.
        raise BadInputError(f"{kind.label} is not a registered digest kind", hint="add it to DIGEST_KINDS")


class ExactIndex:
    """Membership of digests of one kind in a sorted, memory-mapped set (see the module's docstring)."""

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
        duplicates. Output is written sequentially, never held twice.
        """
        _check_kind(kind)
        target = Path(folder)
        if target.exists() and not replace:
            raise ConflictError(f"{target} already exists", hint="pass replace=True to rebuild it")
        if target.exists():
            try:  # never swap out (and so delete) a folder that is not an index
                _read_manifest(target)
            except IndexFormatError as exc:
                raise ConflictError(f"refusing to replace {target}: {exc.message}") from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
        try:
            _build_into(staging, kind, chunks)
            _swap_in(staging, target)
        except BaseException:
            # Interrupted or failed: no half index may be left for a later open to trip on.
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls.open(target)

    # -- opening ----------------------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> ExactIndex:
        """Open a built index memory-mapped; refuse a folder of an unknown format or version, or damaged."""
        path = Path(folder)
        if not path.is_dir():
            raise NotFoundError(f"no exact index at {path}")
        manifest = _read_manifest(path)
        count: int = manifest["count"]
        size: int = manifest["digest_size"]
        keys = _load(path / KEYS, np.dtype("<u8"), (count,))
        rest = _load(path / REST, np.dtype(np.uint8), (count, size - PREFIX))
        buckets = _load(path / BUCKETS, np.dtype("<i8"), ((1 << manifest["bucket_bits"]) + 1,))
        if buckets[0] != 0 or buckets[-1] != count:
            raise IndexFormatError(f"{path / BUCKETS} does not match the manifest's count", hint=_REBUILD)
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
        qkeys = _prefix_keys(digests)
        pos, candidate = self._lower_bounds(qkeys)
        # Only queries whose first 8 bytes are in the set get here: the hits, and (practically never for
        # real digests) misses sharing a prefix. Their few rest bytes are compared in one go.
        which = np.flatnonzero(candidate)
        if len(which) == 0:
            return out
        at = pos[which]
        same = (_take_rows(self._rest, at) == digests[which, PREFIX:]).all(axis=1)
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
            np.copyto(base, mid, where=_rows_less(_take_rows(self._rest, np.minimum(mid, last)), qrest))
            n -= half
        base += _rows_less(_take_rows(self._rest, np.minimum(base, last)), qrest)
        at = np.minimum(base, last)
        hit = (base < hi) & (_take_rows(self._rest, at) == qrest).all(axis=1)
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
            block = _join(keys, rest)
            digest.update(block.data)
            _add_bucket_counts(counts, keys, self._bits)
            # Sorted and unique: keys never decrease, and where two keys are equal the rest bytes increase.
            tie = np.flatnonzero(keys[1:] == keys[:-1])
            ordered = not bool((keys[1:] < keys[:-1]).any()) and bool(
                _rows_less(rest[tie], rest[tie + 1]).all()
            )
            if not ordered or (previous is not None and previous >= block[0].tobytes()):
                raise IndexCorruptError(f"{self.folder} is not in sorted, unique order", hint=_REBUILD)
            previous = block[-1].tobytes()
        if digest.hexdigest() != self.content_sha256:
            raise IndexCorruptError(
                f"{self.folder}: content does not match its manifest's hash", hint=_REBUILD
            )
        expected = np.concatenate(([0], np.cumsum(counts)))
        if not np.array_equal(expected, self._buckets):
            raise IndexCorruptError(f"{self.folder}: bucket table does not match the keys", hint=_REBUILD)


# -- helpers --------------------------------------------------------------------------------------------


def _search_steps(buckets: Int64s) -> int:
    """Halving steps that narrow the largest bucket to one key."""
    largest = 0
    for start in range(0, len(buckets) - 1, BUILD_BLOCK):
        part = np.asarray(buckets[start : start + BUILD_BLOCK + 1])
        largest = max(largest, int(np.diff(part).max()))
    return max(largest - 1, 0).bit_length()


def _join(keys: UInt64s, rest: Bytes2D) -> Bytes2D:
    """Digests as an (n, size) byte array from their two columns."""
    block = np.empty((len(keys), PREFIX + rest.shape[1]), dtype=np.uint8)
    block[:, :PREFIX] = keys.astype(">u8").view(np.uint8).reshape(-1, PREFIX)
    block[:, PREFIX:] = rest
    return block


def _add_bucket_counts(counts: Int64s, keys: UInt64s, bits: int) -> None:
    """Add to ``counts`` how many of ``keys`` fall in each bucket."""
    if len(keys) == 0:
        return
    top = (keys >> np.uint64(64 - bits)).view(np.int64)
    # Count over the block's own range of buckets: a full-width bincount per block would cost a
    # 2**bits array (134 MB at 10^8 entries) each time.
    first, last = int(top.min()), int(top.max())
    counts[first : last + 1] += np.bincount(top - first, minlength=last - first + 1)


def _sort_order(keys_in: UInt64s, rest_in: Bytes2D) -> tuple[Int64s, Bools | None]:
    """The permutation that sorts the digests, and which sorted positions to keep (None: all).

    ``argsort`` of 10^8 uint64 takes ~30 s here; an in-place ``sort`` ~9 s. So each key's low bits are
    replaced by its input position and the packed values are sorted in place: that orders the digests by
    their top (64 - position bits) bits and carries the permutation in the low bits. Digests whose top
    bits tie with a neighbour (about N²/2**(65-position bits): ~40,000 of 10^8 random digests; all of them
    for adversarial input) are then ordered by their full bytes with a lexsort over just those.
    """
    count, width = rest_in.shape
    index_bits = max((count - 1).bit_length(), 1)
    low = np.uint64((1 << index_bits) - 1)
    high = ~low
    packed = np.empty(count, dtype=np.uint64)
    for start in range(0, count, BUILD_BLOCK):
        part = packed[start : start + BUILD_BLOCK]
        np.bitwise_and(keys_in[start : start + BUILD_BLOCK], high, out=part)
        part |= np.arange(start, start + len(part), dtype=np.uint64)
    packed.sort()
    tied = np.zeros(count, dtype=np.bool_)
    for start in range(0, count - 1, BUILD_BLOCK):
        a = packed[start : start + BUILD_BLOCK + 1]
        same = ((a[1:] ^ a[:-1]) & high) == 0
        tied[start : start + len(same)] |= same
        tied[start + 1 : start + 1 + len(same)] |= same
    for start in range(0, count, BUILD_BLOCK):
        packed[start : start + BUILD_BLOCK] &= low
    perm = packed.view(np.int64)
    group = np.flatnonzero(tied)
    del tied
    if len(group) == 0:
        return perm, None
    members = perm[group]
    keys = keys_in[members]
    # Zero padding to whole uint64 columns keeps lexicographic order (all rows have the same length).
    columns = (width + 7) // 8
    padded = np.zeros((len(members), columns * 8), dtype=np.uint8)
    padded[:, :width] = _take_rows(rest_in, members)
    words = padded.view(">u8").astype(np.uint64)
    order = np.lexsort((*[words[:, j] for j in reversed(range(columns))], keys))  # last key is primary
    perm[group] = members[order]
    keys, words = keys[order], words[order]
    duplicate = (keys[1:] == keys[:-1]) & (words[1:] == words[:-1]).all(axis=1)
    if not duplicate.any():
        return perm, None
    keep = np.ones(count, dtype=np.bool_)
    # Equal digests sit next to each other in the group, and the group's entries are in position order.
    keep[group[1:][duplicate]] = False
    return perm, keep


def _gather_input(chunks: Iterable[DigestChunk], kind: DigestKind) -> tuple[UInt64s, Bytes2D]:
    """All the input digests as a key column and a rest column, in input order.

    The columns grow in slabs of 8 Mi rows (64 MiB of keys): above glibc's largest mmap threshold
    (32 MiB), so each slab is its own mapping and goes back to the system when freed. Moving them into
    one array at the end then holds the input once, not twice (as a concatenate would, or per-chunk parts
    the allocator keeps after they are freed). A slab's untouched tail is never committed.
    """
    width = kind.size - PREFIX
    key_slabs: list[UInt64s] = []
    rest_slabs: list[Bytes2D] = []
    filled = count = 0
    for chunk in chunks:
        digests = digest_array(chunk, kind)
        done = 0
        while done < len(digests):
            if not key_slabs or filled == SLAB_ROWS:
                key_slabs.append(np.empty(SLAB_ROWS, dtype=np.uint64))
                rest_slabs.append(np.empty((SLAB_ROWS, width), dtype=np.uint8))
                filled = 0
            step = min(SLAB_ROWS - filled, len(digests) - done)
            part = digests[done : done + step]
            key_slabs[-1][filled : filled + step] = _prefix_keys(part)
            rest_slabs[-1][filled : filled + step] = part[:, PREFIX:]
            filled += step
            done += step
            count += step
    if len(key_slabs) <= 1:  # up to 8 Mi digests: the slab itself
        if not key_slabs:
            return np.empty(0, dtype=np.uint64), np.empty((0, width), dtype=np.uint8)
        return key_slabs[0][:count], rest_slabs[0][:count]
    keys = np.empty(count, dtype=np.uint64)
    rest = np.empty((count, width), dtype=np.uint8)
    key_slabs.reverse()
    rest_slabs.reverse()
    done = 0
    while key_slabs:
        key_slab, rest_slab = key_slabs.pop(), rest_slabs.pop()
        step = min(SLAB_ROWS, count - done)
        keys[done : done + step] = key_slab[:step]
        rest[done : done + step] = rest_slab[:step]
        done += step
        del key_slab, rest_slab  # unmapped now, before the next slab is copied
    return keys, rest


def _build_into(folder: Path, kind: DigestKind, chunks: Iterable[DigestChunk]) -> None:
    keys_in, rest_in = _gather_input(chunks, kind)
    count, width = rest_in.shape
    if count:
        perm, keep = _sort_order(keys_in, rest_in)
        unique = count if keep is None else int(keep.sum())
    else:
        perm, keep, unique = np.empty(0, dtype=np.int64), None, 0
    bits = _bucket_bits(unique)
    digest = hashlib.sha256()
    counts = np.zeros(1 << bits, dtype=np.int64)
    # Written with plain sequential writes: filling a write-mode memory map faults in every page first.
    with (
        _npy_writer(folder / KEYS, np.dtype("<u8"), (unique,)) as keys_fh,
        _npy_writer(folder / REST, np.dtype(np.uint8), (unique, width)) as rest_fh,
    ):
        for start in range(0, count, BUILD_BLOCK):
            take = perm[start : start + BUILD_BLOCK]
            if keep is not None:
                take = take[keep[start : start + BUILD_BLOCK]]
            keys, rest = keys_in.take(take), _take_rows(rest_in, take)
            keys.astype("<u8").tofile(keys_fh)
            rest.tofile(rest_fh)
            digest.update(_join(keys, rest).data)
            _add_bucket_counts(counts, keys, bits)
    del keys_in, rest_in, perm, keep
    with (folder / BUCKETS).open("wb") as fh:
        np.save(fh, np.concatenate(([0], np.cumsum(counts))).astype("<i8"), allow_pickle=False)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind.name,
        "count": unique,
        "digest_size": kind.size,
        "bucket_bits": bits,
        "content_sha256": digest.hexdigest(),
        "created_with": __version__,
    }
    with (folder / MANIFEST).open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    for name in (KEYS, REST, BUCKETS, MANIFEST):
        _fsync(folder / name)
    _fsync(folder)


@contextmanager
def _npy_writer(path: Path, dtype: np.dtype[Any], shape: tuple[int, ...]) -> Iterator[BinaryIO]:
    """A file open for the raw data of an .npy array, its header written; checks the length at the end."""
    with path.open("wb") as fh:
        header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(fh, header)
        start = fh.tell()
        yield fh
        written = fh.tell() - start
    expected = dtype.itemsize * math.prod(shape)
    if written != expected:  # a bug in the build, never the input: the header would lie
        raise AssertionError(f"{path}: wrote {written} bytes of data, expected {expected}")


def _take_rows(rows: Bytes2D, which: Int64s) -> Bytes2D:
    """``rows[which]`` for an (n, w) byte array, w >= 1, fast."""
    width = rows.shape[1]
    # Fancy indexing copies a row as w one-byte items; a 1-D view of w-byte void items is 6x faster.
    flat = np.ascontiguousarray(rows).view(f"V{width}").reshape(-1)
    taken: Bytes2D = flat.take(which).view(np.uint8).reshape(-1, width)
    return taken


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_in(staging: Path, target: Path) -> None:
    """Rename the finished build onto ``target``; an existing index there is set aside, then deleted."""
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old)  # onto the empty placeholder, which rename may replace
    try:
        os.rename(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    _fsync(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        with path.open("rb") as fh:
            manifest = json.load(fh)
    except FileNotFoundError:
        raise IndexFormatError(f"{folder} is not an exact index: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"cannot read {path}: {exc}", hint=_REBUILD) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{path} is not the manifest of a {FORMAT}")
    version = manifest.get("version")
    if version != VERSION or isinstance(version, bool):
        raise IndexFormatError(
            f"{folder} is a {FORMAT} of version {version!r};"
            f" this Vigilant ({__version__}) reads version {VERSION}",
            hint="rebuild it with this version, or open it with the version that built it",
        )
    fields: dict[str, type] = {
        "kind": str,
        "count": int,
        "digest_size": int,
        "bucket_bits": int,
        "content_sha256": str,
        "created_with": str,
    }
    for name, expected in fields.items():
        value = manifest.get(name)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise IndexFormatError(f"{path}: {name!r} is missing or not a {expected.__name__}", hint=_REBUILD)
    try:
        kind = DIGEST_KINDS[manifest["kind"]]
    except BadInputError as exc:
        raise IndexFormatError(f"{path}: {exc}", hint=_REBUILD) from exc
    if manifest["digest_size"] != kind.size:
        raise IndexFormatError(
            f"{path}: digest_size {manifest['digest_size']} does not match {kind.label} ({kind.size} bytes)",
            hint=_REBUILD,
        )
    if manifest["count"] < 0 or not 1 <= manifest["bucket_bits"] <= 32:
        raise IndexFormatError(f"{path}: count or bucket_bits out of range", hint=_REBUILD)
    return manifest


def _load(path: Path, dtype: np.dtype[Any], shape: tuple[int, ...]) -> Any:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise IndexFormatError(f"{path} is missing", hint=_REBUILD) from None
    except (OSError, ValueError) as exc:
        # A truncated .npy fails here: numpy cannot map more bytes than the file has.
        raise IndexFormatError(f"cannot map {path}: {exc}", hint=_REBUILD) from exc
    if array.dtype != dtype or array.shape != shape:
        raise IndexFormatError(
            f"{path} holds {array.dtype} {array.shape}, the manifest says {dtype} {shape}", hint=_REBUILD
        )
    # A plain ndarray view of the map: memmap's subclass hooks cost time on every small operation.
    return array.view(np.ndarray)
