"""Exact PDQ near-duplicate search: every library code within a Hamming distance of a query, nothing beyond.

Design: multi-index hashing with a per-query plan, in numpy, and a flat scan (faiss) for the queries the plan
cannot make cheap.

* The 256 bits are cut into 16 chunks of 16 bits. Each chunk has a bucket table: the library rows sorted by
  that chunk's value (``perm``) and where each of the 65,536 values starts (``offsets``); the arrays and
  their folder on disk are :mod:`vigilant.library.pdq_format`'s.
* Generalised pigeonhole: give chunk *i* a radius r_i in {skip, 0, 1, 2}. If the radii satisfy
  sum(r_i + 1) > threshold, any code within ``threshold`` of the query lies within r_i of it on some chunk i
  (otherwise the chunk distances alone would add up past the threshold). Probing, for each chunk, every
  bucket within r_i of the query's chunk value therefore finds every match. The usual plan for 31 is r_i = 1
  everywhere (17 buckets per chunk), as in python-threatexchange's faiss ``IndexBinaryMultiHash``.
* Real PDQ hashes cluster: near-flat images and families of near-duplicates make some buckets huge. The
  bucket sizes are known before any code is read, so each query gets the cheapest plan by a small dynamic
  program over the 16 chunks (skip a hot chunk, widen a quiet one to radius 2). A query whose best plan still
  costs more than scanning the whole library is answered by a flat scan instead, so work per query never
  exceeds about that of a flat scan. The plans are :mod:`vigilant.library.pdq_plan`'s.
* Candidates for a batch of queries are expanded, gathered and compared in a handful of vectorised numpy
  operations (XOR of four 64-bit words, ``np.bitwise_count``). A code within reach on several chunks is
  found once through each; after the distance filter only the copy found through the first such chunk is
  kept, which is exact and needs no sort.

This module builds an index from codes and carries the plans out.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import faiss
import numpy as np
import numpy.typing as npt

from vigilant.errors import BadInputError
from vigilant.library.pdq_format import (
    BUCKETS,
    CHUNKS,
    CODE_BYTES,
    load_arrays,
    no_offsets,
    save_arrays,
)
from vigilant.library.pdq_plan import BALL_SIZES, MASKS, MAX_PLANNED_THRESHOLD, Planner

DEFAULT_THRESHOLD: Final = 31

# Candidates compared per vectorised step: large enough to amortise numpy's per-call overhead, small enough
# for the working arrays (~40 bytes a candidate) to stay in cache.
_BATCH_CANDIDATES: Final = 1 << 17
_QUERY_BLOCK: Final = 1 << 14
# Below this many codes a flat scan (~1.4 ns a code) beats the plan's fixed costs, and the bucket tables
# (16 x 65,537 offsets and the plan's tables, ~21 MB whatever N is) would dwarf the codes: such an index
# keeps only codes and ids and always scans.
FLAT_BELOW: Final = 1 << 16

SearchMethod = Literal["auto", "mih", "flat"]

U8Array = npt.NDArray[np.uint8]
I64Array = npt.NDArray[np.int64]
# Matches in the making: (query row, id or library row, distance) as parallel arrays.
_Found = tuple[I64Array, I64Array, npt.NDArray[np.int16]]


@dataclass(frozen=True)
class PdqMatches:
    """Search results as parallel arrays, sorted by query, then distance (ties in a deterministic order)."""

    query: I64Array  # row of the query in the queries array
    id: I64Array  # id of the library code
    distance: npt.NDArray[np.int16]

    def __len__(self) -> int:
        return len(self.query)

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        return zip(self.query.tolist(), self.id.tolist(), self.distance.tolist(), strict=True)

    @classmethod
    def empty(cls) -> PdqMatches:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int16))


def as_codes(values: U8Array | Sequence[bytes]) -> U8Array:
    """An (N, 32) uint8 array from such an array or from a sequence of 32-byte PDQ hashes."""
    if isinstance(values, np.ndarray):
        array = values
    else:
        for position, value in enumerate(values):
            if len(value) != CODE_BYTES:
                raise BadInputError(f"PDQ hash {position} has {len(value)} bytes, expected {CODE_BYTES}")
        array = np.frombuffer(b"".join(values), np.uint8).reshape(-1, CODE_BYTES)
    if array.dtype != np.uint8 or array.ndim != 2 or array.shape[1] != CODE_BYTES:
        raise BadInputError(
            f"PDQ codes must be an (N, {CODE_BYTES}) uint8 array, got {array.dtype} {array.shape}"
        )
    return np.ascontiguousarray(array)


class PdqIndex:
    """An immutable index of N PDQ codes with integer ids; build it, search it, save and load it."""

    def __init__(
        self, codes: U8Array, ids: I64Array, perm: npt.NDArray[np.uint32], offsets: I64Array
    ) -> None:
        """Use :meth:`build` or :meth:`load`; this takes arrays already checked to be consistent."""
        self._codes = codes
        self._ids = ids
        self._perm = perm
        self._offsets = offsets
        count = len(codes)
        self._words = codes.view(np.uint64).reshape(count, CODE_BYTES // 8)
        self._flat_offsets = offsets.reshape(-1)
        self._flat_only = offsets.shape[0] == 0  # built without bucket tables: always scan
        self._planner = Planner(offsets, count)

    # --- building, saving, loading --------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        codes: U8Array | Sequence[bytes],
        ids: npt.ArrayLike | None = None,
        *,
        flat_below: int = FLAT_BELOW,
    ) -> PdqIndex:
        """Index ``codes`` ((N, 32) uint8); ``ids`` (N integers, default 0..N-1) is what searches return.

        An index of fewer than ``flat_below`` codes keeps no bucket tables and answers by flat scan.
        """
        array = as_codes(codes)
        count = len(array)
        if count >= 2**32 // CHUNKS:
            raise BadInputError(f"a PDQ index holds fewer than {2**32 // CHUNKS} codes, got {count}")
        id_array = np.arange(count, dtype=np.int64) if ids is None else np.asarray(ids)
        if id_array.shape != (count,) or not np.issubdtype(id_array.dtype, np.integer):
            raise BadInputError(f"ids must be {count} integers, got {id_array.dtype} {id_array.shape}")
        if id_array.dtype == np.uint64 and count and int(id_array.max()) > np.iinfo(np.int64).max:
            raise BadInputError("ids must fit in a signed 64-bit integer")
        # (16, N) native uint16, chunk i = bytes 2i, 2i+1: numpy's stable sort is a radix sort for 16-bit
        # keys (0.5 s for 16 x 10^6 here, against 3 s for the same keys as int64).
        if count < flat_below:
            flat = cls(array.copy(), id_array.astype(np.int64), np.empty(0, np.uint32), no_offsets())
            for part in flat._arrays().values():
                part.flags.writeable = False
            return flat
        chunk_values = np.ascontiguousarray(array.view(">u2").astype(np.uint16).T)
        perm = np.empty((CHUNKS, count), np.uint32)
        offsets = np.empty((CHUNKS, BUCKETS + 1), np.int64)
        offsets[:, 0] = 0
        for chunk in range(CHUNKS):
            column = chunk_values[chunk]
            # Stable: rows with the same chunk value stay in row order, so builds are reproducible.
            perm[chunk] = np.argsort(column, kind="stable")
            np.cumsum(np.bincount(column, minlength=BUCKETS), out=offsets[chunk, 1:])
            offsets[chunk] += chunk * count  # positions in the flattened perm
        # The index owns read-only copies: a caller changing its array later cannot corrupt the buckets.
        index = cls(array.copy(), id_array.astype(np.int64), perm.reshape(-1), offsets)
        for part in index._arrays().values():
            part.flags.writeable = False
        return index

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write the index as a folder at ``path``, atomically (a partial index is never visible there)."""
        save_arrays(self._arrays(), path, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, verify: bool = False) -> PdqIndex:
        """Open an index saved by :meth:`save`, memory-mapped; ``verify`` re-checks every file's SHA-256."""
        loaded = load_arrays(path, verify=verify)
        return cls(loaded["codes"], loaded["ids"], loaded["perm"], loaded["offsets"])

    def _arrays(self) -> dict[str, np.ndarray[Any, Any]]:
        return {"codes": self._codes, "ids": self._ids, "perm": self._perm, "offsets": self._offsets}

    # --- reading ------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._codes)

    @property
    def codes(self) -> U8Array:
        return self._codes

    @property
    def ids(self) -> I64Array:
        return self._ids

    @property
    def nbytes(self) -> int:
        """Bytes the index holds (arrays and the plan's bucket-count tables), mapped or in memory."""
        return sum(a.nbytes for a in self._arrays().values()) + self._planner.ball_counts.nbytes

    def search(
        self,
        queries: U8Array | Sequence[bytes],
        threshold: int = DEFAULT_THRESHOLD,
        *,
        method: SearchMethod = "auto",
    ) -> PdqMatches:
        """Every (query, library code) pair at Hamming distance <= ``threshold``, exactly.

        ``method`` is for tests and benchmarks: "mih" forces the multi-index plan wherever the threshold
        allows one, "flat" forces the flat scan; "auto" picks per query by estimated cost.
        """
        query_codes = as_codes(queries)
        try:
            threshold = operator.index(threshold)
        except TypeError:
            raise BadInputError(f"a PDQ threshold is a whole number, got {threshold!r}") from None
        if not 0 <= threshold <= CODE_BYTES * 8:
            raise BadInputError(f"a PDQ threshold is between 0 and 256, got {threshold}")
        if len(self) == 0 or len(query_codes) == 0:
            return PdqMatches.empty()
        parts: list[_Found] = []
        # Blocks of queries bound the planner's memory (~1.5 KB a query) however many come at once.
        for first in range(0, len(query_codes), _QUERY_BLOCK):
            block = query_codes[first : first + _QUERY_BLOCK]
            for query, ids, distance in self._search_block(block, threshold, method):
                parts.append((query + first, ids, distance))
        return self._finish(parts)

    # --- internals -----------------------------------------------------------------------------------------

    def _search_block(self, query_codes: U8Array, threshold: int, method: SearchMethod) -> list[_Found]:
        everyone = np.arange(len(query_codes), dtype=np.int64)
        if threshold > MAX_PLANNED_THRESHOLD or method == "flat" or self._flat_only:
            return [self._flat_search(query_codes, everyone, threshold)]
        chunk_values = query_codes.view(">u2").astype(np.int64)
        radius, cost = self._planner.plan(chunk_values, threshold)
        # "mih" forces the plan on every query: none goes to the flat scan.
        use_flat = self._planner.prefers_flat(cost) if method == "auto" else np.zeros(len(query_codes), bool)
        parts = [self._mih_search(query_codes, chunk_values, radius, everyone[~use_flat], threshold)]
        if use_flat.any():
            parts.append(self._flat_search(query_codes, everyone[use_flat], threshold))
        return parts

    def _mih_search(
        self,
        query_codes: U8Array,
        chunk_values: I64Array,
        radius: npt.NDArray[np.int8],
        selected: I64Array,
        threshold: int,
    ) -> _Found:
        """Probe the planned buckets for the ``selected`` queries, in batches of about equal work."""
        found: list[_Found] = []
        if len(selected) == 0:
            return _no_pairs()
        sel_radius = radius[selected]
        # Exact candidate count of each selected query's plan, to cut batches of similar work.
        ends = np.cumsum(self._planner.candidates(chunk_values[selected], sel_radius))
        start = 0
        while start < len(selected):
            # At least one query per batch, then as many as fit the candidate budget.
            base = ends[start - 1] if start else 0
            stop = max(start + 1, int(np.searchsorted(ends, base + _BATCH_CANDIDATES, side="right")))
            batch = selected[start:stop]
            found.append(
                self._probe_batch(
                    query_codes[batch], chunk_values[batch], sel_radius[start:stop], batch, threshold
                )
            )
            start = stop
        return _concat(found)

    def _probe_batch(
        self,
        query_codes: U8Array,
        chunk_values: I64Array,
        radius: npt.NDArray[np.int8],
        query_rows: I64Array,
        threshold: int,
    ) -> _Found:
        # Every (query, chunk) pair the plan probes, in query order (np.nonzero is row-major).
        pair_query, pair_chunk = np.nonzero(radius >= 0)
        pair_radius = radius[pair_query, pair_chunk]
        probes_per_pair = BALL_SIZES[pair_radius]
        pair_of_probe = np.repeat(np.arange(len(pair_query)), probes_per_pair)
        mask_index = _expand_positions(np.zeros(len(pair_query), np.int64), probes_per_pair)
        bucket = pair_chunk[pair_of_probe] * (BUCKETS + 1) + (
            chunk_values[pair_query, pair_chunk][pair_of_probe] ^ MASKS[mask_index]
        )
        starts = self._flat_offsets[bucket]
        lengths = self._flat_offsets[bucket + 1] - starts
        rows = self._perm[_expand_positions(starts, lengths)]
        # Candidates are grouped by query: repeat each query's words over its candidates.
        per_query = np.bincount(pair_query[pair_of_probe], weights=lengths, minlength=len(query_codes))
        query_words = np.repeat(query_codes.view(np.uint64), per_query.astype(np.int64), axis=0)
        differences = np.take(self._words, rows, axis=0)
        np.bitwise_xor(differences, query_words, out=differences)
        distance = _popcount_rows(differences)
        hits = np.flatnonzero(distance <= threshold)
        # Where each hit came from: its probe (from the cumulative bucket lengths), pair, query and chunk.
        hit_pair = pair_of_probe[np.searchsorted(np.cumsum(lengths), hits, side="right")]
        hit_query = pair_query[hit_pair]
        # A code within reach on several probed chunks was found once through each. Keep the copy found
        # through the first such chunk: exact, and no sort. The code lies in a probed bucket of chunk c
        # exactly when its distance on chunk c is within that chunk's planned radius.
        chunk_distance = np.bitwise_count(differences[hits].view(np.uint16))  # (hits, 16), any byte order
        reachable = chunk_distance <= radius[hit_query]
        first = np.argmax(reachable, axis=1) == pair_chunk[hit_pair]
        return self._sorted(
            query_rows[hit_query[first]], rows[hits[first]].astype(np.int64), distance[hits[first]]
        )

    def _flat_search(self, query_codes: U8Array, selected: I64Array, threshold: int) -> _Found:
        """Scan the whole library for the ``selected`` queries (faiss; its radius is exclusive, hence + 1)."""
        chosen = np.ascontiguousarray(query_codes[selected])
        result = faiss.RangeSearchResult(len(chosen))
        # faiss's bundled stubs omit this function; it works on our arrays in place (no copy of the codes).
        faiss.hamming_range_search(  # type: ignore[attr-defined]
            faiss.swig_ptr(chosen),
            faiss.swig_ptr(self._codes),
            len(chosen),
            len(self),
            threshold + 1,
            CODE_BYTES,
            result,
        )
        limits = faiss.rev_swig_ptr(result.lims, len(chosen) + 1).astype(np.int64)
        total = int(limits[-1])
        if total == 0:
            return _no_pairs()
        rows = faiss.rev_swig_ptr(result.labels, total).astype(np.int64)
        distance = faiss.rev_swig_ptr(result.distances, total).astype(np.int16)
        return self._sorted(np.repeat(selected, np.diff(limits)), rows, distance)

    def _sorted(self, query: I64Array, rows: I64Array, distance: npt.NDArray[np.integer]) -> _Found:
        """Matches of one batch as (query, id, distance), ordered by query then distance.

        Ties keep the batch's own order, which is deterministic for a given index, query and threshold.
        One stable sort on a combined key: a radix sort when the key fits 16 bits, as it does for the
        few queries of a batch (a three-key lexsort was a third of the search time on clustered data).
        """
        if len(query) == 0:
            return _no_pairs()
        first_query = int(query.min())
        key = (query - first_query) * (CODE_BYTES * 8 + 1) + distance
        if int(key.max()) < 1 << 16:
            key = key.astype(np.uint16)
        order = np.argsort(key, kind="stable")
        return query[order], self._ids[rows[order]], distance[order].astype(np.int16)

    def _finish(self, parts: list[_Found]) -> PdqMatches:
        query, ids, distance = _concat(parts)
        if len(parts) > 1:
            # Each part is in order and each query is in one part: a stable sort by query merges them.
            order = np.argsort(query, kind="stable")
            query, ids, distance = query[order], ids[order], distance[order]
        return PdqMatches(query, ids, distance)


def _expand_positions(starts: I64Array, lengths: npt.NDArray[np.integer]) -> I64Array:
    """Every position of the ranges [start, start + length), concatenated, without a Python loop."""
    total = int(lengths.sum())
    firsts = np.cumsum(lengths) - lengths  # where each range begins in the output
    positions: I64Array = np.arange(total, dtype=np.int64) + np.repeat(starts - firsts, lengths)
    return positions


def _popcount_rows(differences: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint16]:
    """Set bits in each row of an (M, 4) uint64 array: the Hamming distances when rows are XORs."""
    bits = np.bitwise_count(differences)  # (M, 4) uint8, each <= 64
    # Sum in 16 bits: four words can reach 256, which does not fit a byte.
    total = np.add(bits[:, 0], bits[:, 1], dtype=np.uint16)
    total += bits[:, 2]
    total += bits[:, 3]
    return total


def _no_pairs() -> _Found:
    return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int16)


def _concat(parts: list[_Found]) -> _Found:
    if not parts:
        return _no_pairs()
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )
