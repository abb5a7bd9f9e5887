"""The PDQ index's code layout and on-disk format: the arrays it is made of, saved and loaded as a folder.

A PDQ code is 32 bytes, cut into 16 chunks of 16 bits; each chunk value picks one of 65,536 buckets. An
index is four arrays: ``codes`` (N, 32) uint8, ``ids`` (N,) int64, and the bucket tables ``perm`` (16·N,)
uint32 (the rows sorted by each chunk's value, chunk after chunk) and ``offsets`` (16, 65,537) int64 (where
each value's bucket starts in ``perm``). An index small enough to be answered by flat scan has no bucket
tables: ``perm`` and ``offsets`` are empty and the manifest says ``"tables": false``.

On disk an index is a folder: ``manifest.json`` (format name, version, sizes, SHA-256 of each array) and one
``.npy`` file per array, opened memory-mapped. No pickle, nothing that runs code on load. A folder is
written beside its target and renamed into place, so a partial index is never visible.

How the arrays are searched is :mod:`vigilant.library.pdq_index`'s business, and the per-query plans
:mod:`vigilant.library.pdq_plan`'s.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Final

import numpy as np

from vigilant.errors import BadInputError, ConflictError, NotFoundError

FORMAT_NAME: Final = "vigilant-pdq-index"
FORMAT_VERSION: Final = 1

CODE_BYTES: Final = 32
CHUNKS: Final = 16
CHUNK_BITS: Final = 16
BUCKETS: Final = 1 << CHUNK_BITS

Arrays = dict[str, np.ndarray[Any, Any]]


class PdqIndexFormatError(BadInputError):
    """A folder is not a readable Vigilant PDQ index (wrong format, newer version, damaged files)."""


def no_offsets() -> np.ndarray[Any, np.dtype[np.int64]]:
    """The ``offsets`` of an index without bucket tables."""
    return np.empty((0, BUCKETS + 1), np.int64)


def save_arrays(arrays: Arrays, path: str | os.PathLike[str], *, overwrite: bool) -> None:
    """Write an index's arrays as a folder at ``path``, atomically (a partial one is never visible there)."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise ConflictError(f"{target} already exists", hint="pass overwrite=True to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        described: dict[str, dict[str, Any]] = {}
        for name, array in arrays.items():
            file_name = f"{name}.npy"
            np.save(staging / file_name, np.ascontiguousarray(array), allow_pickle=False)
            described[name] = {
                "file": file_name,
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "sha256": _file_sha256(staging / file_name),
            }
        manifest = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "count": len(arrays["codes"]),
            "code_bytes": CODE_BYTES,
            "chunks": CHUNKS,
            "chunk_bits": CHUNK_BITS,
            "tables": arrays["offsets"].shape[0] != 0,
            "arrays": described,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load_arrays(path: str | os.PathLike[str], *, verify: bool = False) -> Arrays:
    """The arrays of an index saved by :func:`save_arrays`, memory-mapped and checked against the manifest;
    ``verify`` re-checks every file's SHA-256."""
    folder = Path(path)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise NotFoundError(f"no PDQ index at {folder}: {manifest_path.name} is missing")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PdqIndexFormatError(f"{manifest_path} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise PdqIndexFormatError(f"{folder} is not a Vigilant PDQ index (format is not {FORMAT_NAME!r})")
    version = manifest.get("version")
    if version != FORMAT_VERSION:
        raise PdqIndexFormatError(
            f"{folder} is a PDQ index of format version {version!r}; this Vigilant reads version"
            f" {FORMAT_VERSION}",
            hint="rebuild the index, or use the Vigilant release that wrote it",
        )
    count = manifest.get("count")
    if (
        not isinstance(count, int)
        or manifest.get("code_bytes") != CODE_BYTES
        or manifest.get("chunks") != CHUNKS
        or manifest.get("chunk_bits") != CHUNK_BITS
    ):
        raise PdqIndexFormatError(f"{manifest_path} has unexpected sizes")
    tables = manifest.get("tables", True)
    if not isinstance(tables, bool):
        raise PdqIndexFormatError(f"{manifest_path}: 'tables' must be true or false")
    expected = {
        "codes": ("|u1", (count, CODE_BYTES)),
        "ids": ("<i8", (count,)),
        "perm": ("<u4", (CHUNKS * count,) if tables else (0,)),
        "offsets": ("<i8", (CHUNKS if tables else 0, BUCKETS + 1)),
    }
    described = manifest.get("arrays")
    if not isinstance(described, dict):
        raise PdqIndexFormatError(f"{manifest_path} lists no arrays")
    loaded: Arrays = {}
    for name, (dtype, shape) in expected.items():
        entry = described.get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise PdqIndexFormatError(f"{manifest_path} does not describe the {name!r} array")
        file_path = folder / Path(entry["file"]).name  # never outside the folder
        if verify and _file_sha256(file_path) != entry.get("sha256"):
            raise PdqIndexFormatError(f"{file_path} does not match its SHA-256 in the manifest")
        try:
            # Memory-mapping an empty array fails on some platforms, and saves nothing.
            array = np.load(file_path, mmap_mode="r" if count else None, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise PdqIndexFormatError(f"cannot read {file_path}: {exc}") from exc
        if array.dtype.str != dtype or array.shape != shape:
            raise PdqIndexFormatError(
                f"{file_path} holds {array.dtype.str} {array.shape}, expected {dtype} {shape}"
            )
        loaded[name] = np.asarray(array)  # a plain ndarray view of the map: no memmap overhead per op
    offsets = loaded["offsets"]
    starts = np.arange(CHUNKS, dtype=np.int64) * count
    if (
        tables
        and count
        and (not np.array_equal(offsets[:, 0], starts) or not np.array_equal(offsets[:, -1], starts + count))
    ):
        raise PdqIndexFormatError(f"{folder}: the bucket offsets do not match the number of codes")
    return loaded


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _replace_folder(staging: Path, target: Path) -> None:
    """Move the finished ``staging`` folder to ``target``, replacing an older index there if any."""
    if not target.exists():
        staging.rename(target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    retired.rmdir()
    target.rename(retired)
    try:
        staging.rename(target)
    except BaseException:
        retired.rename(target)
        raise
    shutil.rmtree(retired, ignore_errors=True)
