"""Building an exact index: gather the input digests, sort and de-duplicate them, write, swap in.

:meth:`ExactIndex.build <vigilant.library.exact_index.ExactIndex.build>` is the way in; this module is its
pipeline, kept apart from the look-ups because it shares nothing with them but the format
(:mod:`vigilant.library.exact_format`):

1. :func:`_gather_input` collects every input chunk into one key column and one rest column, in slabs
   that go back to the system as they are moved (the input is held once, not twice);
2. :func:`_sort_order` sorts them in place with the permutation packed into the keys' low bits, and
   settles ties and duplicates by their full bytes;
3. :func:`_build_into` writes the sorted, unique columns, the bucket table and the manifest into a hidden
   staging folder with plain sequential writes, fsynced;
4. :func:`_swap_in` renames the staging folder onto the target, setting an existing index aside first
   and putting it back if the rename fails.
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

from vigilant import __version__
from vigilant.errors import BadInputError, ConflictError
from vigilant.hashing.digests import DIGEST_KINDS, DigestKind
from vigilant.library.exact_format import (
    BUCKETS,
    BUILD_BLOCK,
    FORMAT,
    KEYS,
    MANIFEST,
    PREFIX,
    REST,
    VERSION,
    Bools,
    Bytes2D,
    DigestChunk,
    IndexFormatError,
    Int64s,
    UInt64s,
    add_bucket_counts,
    digest_array,
    join_columns,
    prefix_keys,
    read_manifest,
    take_rows,
)

SLAB_ROWS = 1 << 23  # input digests per slab while a build collects them (see _gather_input)


def build_index(
    kind: DigestKind, chunks: Iterable[DigestChunk], folder: str | os.PathLike[str], *, replace: bool
) -> Path:
    """Build the index of the digests in ``chunks`` into ``folder``; return the folder's path.

    See :meth:`ExactIndex.build <vigilant.library.exact_index.ExactIndex.build>` for the guarantees.
    """
    _check_kind(kind)
    target = Path(folder)
    if target.exists() and not replace:
        raise ConflictError(f"{target} already exists", hint="pass replace=True to rebuild it")
    if target.exists():
        try:  # never swap out (and so delete) a folder that is not an index
            read_manifest(target)
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
    return target


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
    padded[:, :width] = take_rows(rest_in, members)
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
            key_slabs[-1][filled : filled + step] = prefix_keys(part)
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
            keys, rest = keys_in.take(take), take_rows(rest_in, take)
            keys.astype("<u8").tofile(keys_fh)
            rest.tofile(rest_fh)
            digest.update(join_columns(keys, rest).data)
            add_bucket_counts(counts, keys, bits)
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
