"""The exact index's on-disk format, its errors, and the array helpers its build and look-ups share.

An exact index is a folder, written atomically (:mod:`vigilant.library.exact_build`), opened
memory-mapped (:mod:`vigilant.library.exact_index`; nothing is loaded at open)::

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

``content_sha256`` is the SHA-256 of the sorted unique digests' bytes, concatenated: ``verify``
recomputes it to detect a corrupted or stale index.

This module holds what both sides must agree on (names, layout, manifest checks) and the numpy helpers
both use, so that neither the build nor the look-ups import the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vigilant import __version__
from vigilant.errors import BadInputError
from vigilant.hashing.digests import DIGEST_KINDS, DigestKind, InvalidDigestError

FORMAT = "vigilant-exact-index"
VERSION = 1
MANIFEST = "manifest.json"
KEYS = "keys.npy"
REST = "rest.npy"
BUCKETS = "buckets.npy"

PREFIX = 8  # bytes of each digest held in the uint64 key column
BUILD_BLOCK = 1 << 20  # entries per step when writing and hashing; bounds the build's working buffers

DigestChunk = npt.NDArray[np.uint8] | bytes | bytearray | memoryview
Int64s = npt.NDArray[np.int64]
UInt64s = npt.NDArray[np.uint64]
Bools = npt.NDArray[np.bool_]
Bytes2D = npt.NDArray[np.uint8]


class IndexFormatError(BadInputError):
    """The folder is not a readable exact index of a version this Vigilant knows."""


class IndexCorruptError(IndexFormatError):
    """The index's content does not match its manifest: it was damaged or altered after its build."""


REBUILD = "rebuild the index from its hash sets"


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


def prefix_keys(digests: Bytes2D) -> UInt64s:
    """The first 8 bytes of each digest as a native uint64 of their big-endian value."""
    head = np.ascontiguousarray(digests[:, :PREFIX]).view(">u8").reshape(-1)
    return head.astype(np.uint64)


def rows_less(a: Bytes2D, b: Bytes2D) -> Bools:
    """Row-wise lexicographic ``a < b`` for two (m, w) byte arrays, w >= 1."""
    differ = a != b
    first = differ.argmax(axis=1)
    rows = np.arange(len(a))
    less: Bools = differ[rows, first] & (a[rows, first] < b[rows, first])
    return less


def take_rows(rows: Bytes2D, which: Int64s) -> Bytes2D:
    """``rows[which]`` for an (n, w) byte array, w >= 1, fast."""
    width = rows.shape[1]
    # Fancy indexing copies a row as w one-byte items; a 1-D view of w-byte void items is 6x faster.
    flat = np.ascontiguousarray(rows).view(f"V{width}").reshape(-1)
    taken: Bytes2D = flat.take(which).view(np.uint8).reshape(-1, width)
    return taken


def join_columns(keys: UInt64s, rest: Bytes2D) -> Bytes2D:
    """Digests as an (n, size) byte array from their two columns."""
    block = np.empty((len(keys), PREFIX + rest.shape[1]), dtype=np.uint8)
    block[:, :PREFIX] = keys.astype(">u8").view(np.uint8).reshape(-1, PREFIX)
    block[:, PREFIX:] = rest
    return block


def add_bucket_counts(counts: Int64s, keys: UInt64s, bits: int) -> None:
    """Add to ``counts`` how many of ``keys`` fall in each bucket."""
    if len(keys) == 0:
        return
    top = (keys >> np.uint64(64 - bits)).view(np.int64)
    # Count over the block's own range of buckets: a full-width bincount per block would cost a
    # 2**bits array (134 MB at 10^8 entries) each time.
    first, last = int(top.min()), int(top.max())
    counts[first : last + 1] += np.bincount(top - first, minlength=last - first + 1)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest, checked: a known format and version, fields of the right types and ranges."""
    path = folder / MANIFEST
    try:
        with path.open("rb") as fh:
            manifest = json.load(fh)
    except FileNotFoundError:
        raise IndexFormatError(f"{folder} is not an exact index: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"cannot read {path}: {exc}", hint=REBUILD) from exc
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
            raise IndexFormatError(f"{path}: {name!r} is missing or not a {expected.__name__}", hint=REBUILD)
    try:
        kind = DIGEST_KINDS[manifest["kind"]]
    except BadInputError as exc:
        raise IndexFormatError(f"{path}: {exc}", hint=REBUILD) from exc
    if manifest["digest_size"] != kind.size:
        raise IndexFormatError(
            f"{path}: digest_size {manifest['digest_size']} does not match {kind.label} ({kind.size} bytes)",
            hint=REBUILD,
        )
    if manifest["count"] < 0 or not 1 <= manifest["bucket_bits"] <= 32:
        raise IndexFormatError(f"{path}: count or bucket_bits out of range", hint=REBUILD)
    return manifest


def load_array(path: Path, dtype: np.dtype[Any], shape: tuple[int, ...]) -> Any:
    """The .npy file at ``path`` memory-mapped, refused unless it holds ``dtype`` in ``shape``."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise IndexFormatError(f"{path} is missing", hint=REBUILD) from None
    except (OSError, ValueError) as exc:
        # A truncated .npy fails here: numpy cannot map more bytes than the file has.
        raise IndexFormatError(f"cannot map {path}: {exc}", hint=REBUILD) from exc
    if array.dtype != dtype or array.shape != shape:
        raise IndexFormatError(
            f"{path} holds {array.dtype} {array.shape}, the manifest says {dtype} {shape}", hint=REBUILD
        )
    # A plain ndarray view of the map: memmap's subclass hooks cost time on every small operation.
    return array.view(np.ndarray)
