"""PDQ benchmarks, each side by side with its peer in the same run.

1. Near-duplicate search: Vigilant's :class:`~vigilant.library.pdq_index.PdqIndex` against
   python-threatexchange's ``PDQIndex`` (faiss ``IndexBinaryMultiHash``, 16 x 16 bits), one thread each, on
   a library of random codes and on a clustered, real-like one (families of near-duplicates around a few
   thousand seeds, some of them low-entropy like near-flat images, which make hot buckets). Queries are half
   planted near-duplicates of known library codes at distances 0..31, half fresh codes from the same
   distribution. Both tools must find every planted pair (recall 100%) for the speed to count; their full
   result sets are also compared.
   Memory: "index MB" is the bytes of our index's arrays; "RSS MB" is the resident memory that holding each
   tool's index costs, measured for each in a fresh process (in one long process freed memory is reused).
2. Decode + PDQ, by both methods (:class:`~vigilant.perceptual.pdq.PdqMethod`), on JPEGs (1024x768) and PNGs
   (600x400) made from scikit-image's shipped sample photos: the full-picture method against a plain loop of
   Pillow full decode + ``pdqhash.compute`` (what python-threatexchange does: the hashes must be equal), and
   the 512 px method against a plain loop of Pillow draft decode + ``pdqhash.compute``. One process, one
   thread each: triage spreads pictures over worker processes, which would only multiply both sides.
   Where the full-picture time goes on a 600x400 PNG (one core): decode ~3.6 ms with libspng (Pillow ~6.7
   ms, of which zlib ~2.9 ms), PDQ's downsampling ~0.6 ms (pdqhash ~2.4 ms): about 2.2x is the ceiling
   while the decode is zlib's.

Run: ``.venv/bin/python bench/pdq_bench.py`` (10^6 codes, about 2-3 minutes on two cores) or ``--quick``
(10^5 codes). Generated data goes to a temporary folder, never into the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import faiss
import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from vigilant.library.pdq_index import PdqIndex
from vigilant.perceptual.pdq import PDQ_MAX_SIDE, PdqMethod, pdq_of_image

U8Array = npt.NDArray[np.uint8]
I64Array = npt.NDArray[np.int64]
Row = dict[str, Any]
_T = TypeVar("_T")

THRESHOLD = 31


@dataclass(frozen=True)
class Scale:
    codes: int
    queries: int
    images: int
    seeds: int


SCALES = {
    "full": Scale(codes=1_000_000, queries=2_000, images=200, seeds=3_000),
    "quick": Scale(codes=100_000, queries=1_000, images=40, seeds=300),
}


# --- synthetic PDQ codes --------------------------------------------------------------------------------


def flip_exact(codes: U8Array, distances: I64Array, rng: np.random.Generator) -> U8Array:
    """Copy of ``codes`` with exactly ``distances[i]`` distinct bits of row i flipped (small inputs)."""
    order = np.argsort(rng.random((len(codes), 256)), axis=1)
    flips = np.zeros((len(codes), 256), bool)
    np.put_along_axis(flips, order, np.arange(256)[np.newaxis, :] < distances[:, np.newaxis], axis=1)
    return codes ^ np.packbits(flips, axis=1)


def flip_some(codes: U8Array, counts: I64Array, rng: np.random.Generator) -> U8Array:
    """Copy of ``codes`` with about ``counts[i]`` random bits of row i flipped (fast; repeats may collide)."""
    width = int(counts.max(initial=0))
    flips = np.zeros((len(codes), 256), bool)
    if width:
        positions = rng.integers(0, 256, (len(codes), width))
        use = np.arange(width)[np.newaxis, :] < counts[:, np.newaxis]
        rows = np.broadcast_to(np.arange(len(codes))[:, np.newaxis], use.shape)
        flips[rows[use], positions[use]] = True
    return codes ^ np.packbits(flips, axis=1)


def random_codes(count: int, rng: np.random.Generator) -> U8Array:
    return rng.integers(0, 256, (count, 32), dtype=np.uint8)


class ClusteredCodes:
    """Real-like PDQ codes: families of near-duplicates (0..40 bits from a seed) with Zipf-like sizes.

    A tenth of the seeds are low-entropy, built from a few common 16-bit patterns (runs of 0s and 1s,
    stripes), the way near-flat and simple graphic images hash; they make a few buckets very large. 30% of
    codes are unrelated random codes.
    """

    def __init__(self, seeds: int, rng: np.random.Generator) -> None:
        plain = random_codes(seeds, rng)
        patterns = [0x0000, 0xFFFF, 0x00FF, 0xFF00, 0x0F0F, 0xF0F0, 0x5555, 0xAAAA, 0x3333, 0xCCCC]
        vocabulary = np.array(patterns + [int(v) for v in rng.integers(0, 1 << 16, 22)], dtype=">u2")
        weights = 1.0 / np.arange(1, len(vocabulary) + 1)
        low_count = max(1, seeds // 10)
        picks = rng.choice(len(vocabulary), (low_count, 16), p=weights / weights.sum())
        low = vocabulary[picks].view(np.uint8).reshape(low_count, 32)
        self.seeds = np.concatenate([plain, low])
        popularity = rng.permutation(1.0 / np.arange(1, len(self.seeds) + 1) ** 0.8)
        self.popularity = popularity / popularity.sum()

    def sample(self, count: int, rng: np.random.Generator) -> U8Array:
        in_family = int(count * 0.7)
        which = rng.choice(len(self.seeds), in_family, p=self.popularity)
        family = flip_some(self.seeds[which], rng.integers(0, 41, in_family), rng)
        codes = np.concatenate([family, random_codes(count - in_family, rng)])
        return codes[rng.permutation(count)]


@dataclass(frozen=True)
class Workload:
    name: str
    library: U8Array
    ids: I64Array
    queries: U8Array
    planted: list[tuple[int, int]]  # (query row, library id) pairs that must be found


def make_workload(name: str, scale: Scale, rng: np.random.Generator) -> Workload:
    if name == "random":
        library = random_codes(scale.codes, rng)
        fresh = random_codes(scale.queries - scale.queries // 2, rng)
    else:
        generator = ClusteredCodes(scale.seeds, rng)
        library = generator.sample(scale.codes, rng)
        fresh = generator.sample(scale.queries - scale.queries // 2, rng)
    # Ids unlike row numbers, as a library's entry ids would be.
    ids = rng.permutation(scale.codes).astype(np.int64) * 7 + 1_000_000
    planted_count = scale.queries // 2
    sources = rng.choice(scale.codes, planted_count, replace=False)
    distances = np.arange(planted_count, dtype=np.int64) % (THRESHOLD + 1)
    planted_codes = flip_exact(library[sources], distances, rng)
    queries = np.concatenate([planted_codes, fresh])
    planted = [(row, int(ids[source])) for row, source in enumerate(sources)]
    return Workload(name, library, ids, queries, planted)


# --- measuring ------------------------------------------------------------------------------------------


def rss_bytes() -> int | None:
    """Resident memory of this process (Linux); None elsewhere."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def memory_in_child(tool: str, work: Workload) -> float | None:
    """Resident memory (MB) that holding ``tool``'s index of the library costs, measured in a fresh process
    (in this one, memory freed by an earlier step is reused and the figures mean little)."""
    with tempfile.TemporaryDirectory(prefix="vigilant-pdq-bench-") as folder:
        path = Path(folder) / "library.npy"
        np.save(path, work.library)
        np.save(Path(folder) / "ids.npy", work.ids)
        probe = subprocess.run(
            [sys.executable, __file__, "--memory-probe", tool, folder],
            capture_output=True,
            text=True,
            check=False,
        )
    if probe.returncode != 0:
        print(probe.stderr, file=sys.stderr)
        return None
    text = probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else ""
    return float(text) if text and text != "None" else None


def memory_probe(tool: str, folder: Path) -> float | None:
    """In a fresh process: RSS after building ``tool``'s index and dropping its inputs, less RSS before
    the codes were loaded. Both indexes keep what they need (ours the codes array, theirs the hex strings)."""
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex  # noqa: PLC0415 - dev dependency

    gc.collect()
    before = rss_bytes()
    codes = np.load(folder / "library.npy")
    ids = np.load(folder / "ids.npy")
    index: object
    if tool == "vigilant":
        index = PdqIndex.build(codes, ids)
    else:
        blob = codes.tobytes()
        index = PDQIndex(
            entries=[(blob[i * 32 : (i + 1) * 32].hex(), int(ids[i])) for i in range(len(codes))]
        )
        del blob
    del codes, ids
    gc.collect()
    _release_free_heap()
    after = rss_bytes()
    assert index is not None
    return None if before is None or after is None else (after - before) / 1e6


def _release_free_heap() -> None:
    """Hand freed heap back to the OS (glibc), so RSS counts what is held, not the build's spent scratch."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: RSS then includes the slack
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def timed(work: Callable[[], _T]) -> tuple[_T, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def recall(found: set[tuple[int, int]], planted: list[tuple[int, int]]) -> float:
    return sum(pair in found for pair in planted) / len(planted)


def bench_index(work: Workload) -> list[Row]:
    ours = _bench_ours(work)
    theirs, peer_row = _bench_peer(work)
    for found, row in ours:
        row["ratio"] = row["rate"] / peer_row["rate"]
        same = found == theirs
        row["note"] = "same results as peer" if same else f"DIFFERENT from peer ({len(found ^ theirs)})"
    return [*(row for _, row in ours), peer_row]


def _bench_ours(work: Workload) -> list[tuple[set[tuple[int, int]], Row]]:
    index, build_s = timed(lambda: PdqIndex.build(work.library, work.ids))
    index.search(work.queries[:50])  # warm the code paths, not the caches of the real run
    runs = [timed(lambda: index.search(work.queries, THRESHOLD)) for _ in range(3)]
    matches = runs[0][0]
    seconds = sorted(run_s for _, run_s in runs)[1]  # median of three: the machine is shared
    found = set(zip(matches.query.tolist(), matches.id.tolist(), strict=True))

    # The same queries one per call, as a caller with a single image would send them.
    def one_by_one() -> set[tuple[int, int]]:
        pairs: set[tuple[int, int]] = set()
        for row in range(len(work.queries)):
            pairs.update((row, identifier) for _, identifier, _ in index.search(work.queries[row : row + 1]))
        return pairs

    found_singly, single_s = timed(one_by_one)
    data = f"{work.name} {len(work.library):,}"
    batched: Row = {
        "benchmark": "PDQ search",
        "data": data,
        "tool": "vigilant PdqIndex (batch)",
        "rate": len(work.queries) / seconds,
        "unit": "queries/s",
        "recall": recall(found, work.planted),
        "build_s": build_s,
        "memory_mb": index.nbytes / 1e6,
        "rss_mb": memory_in_child("vigilant", work),
        "matches": len(found),
    }
    single: Row = {
        "benchmark": "PDQ search",
        "data": data,
        "tool": "vigilant PdqIndex (1 per call)",
        "rate": len(work.queries) / single_s,
        "unit": "queries/s",
        "recall": recall(found_singly, work.planted),
    }
    return [(found, batched), (found_singly, single)]


def _bench_peer(work: Workload) -> tuple[set[tuple[int, int]], Row]:
    """The peer through its public API: built from (hex, id) pairs, one hex query per call."""
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex  # noqa: PLC0415 - dev dependency

    blob = work.library.tobytes()
    entries = [(blob[i * 32 : (i + 1) * 32].hex(), int(work.ids[i])) for i in range(len(work.library))]
    query_hex = [bytes(q).hex() for q in work.queries]
    peer, build_s = timed(lambda: PDQIndex(entries=entries))

    def query_all() -> set[tuple[int, int]]:
        found: set[tuple[int, int]] = set()
        for row, text in enumerate(query_hex):
            for match in peer.query(text):
                found.add((row, int(match.metadata)))
        return found

    found, seconds = timed(query_all)
    rate = len(work.queries) / seconds
    row: Row = {
        "benchmark": "PDQ search",
        "data": f"{work.name} {len(work.library):,}",
        "tool": "threatexchange PDQIndex",
        "rate": rate,
        "unit": "queries/s",
        "recall": recall(found, work.planted),
        "build_s": build_s,
        "memory_mb": None,
        "rss_mb": memory_in_child("threatexchange", work),
        "matches": len(found),
    }
    return found, row


# --- decode + PDQ ---------------------------------------------------------------------------------------


def sample_photos() -> list[npt.NDArray[np.uint8]]:
    """scikit-image's shipped sample photos (benign, public), as RGB arrays."""
    from skimage import data  # noqa: PLC0415 - dev dependency, only the benchmark needs it

    names = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field")
    return [np.ascontiguousarray(np.asarray(getattr(data, name)(), np.uint8)[:, :, :3]) for name in names]


def make_jpegs(folder: Path, count: int, rng: np.random.Generator) -> list[Path]:
    """``count`` different 1024x768 JPEGs: sample photos cropped, mirrored, tinted and noised."""
    photos = sample_photos()
    paths = []
    for number in range(count):
        photo = photos[number % len(photos)]
        height, width = photo.shape[:2]
        crop_h, crop_w = int(height * rng.uniform(0.6, 1.0)), int(width * rng.uniform(0.6, 1.0))
        top, left = rng.integers(0, height - crop_h + 1), rng.integers(0, width - crop_w + 1)
        crop = photo[top : top + crop_h, left : left + crop_w].astype(np.float64)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        crop = crop * rng.uniform(0.8, 1.2, 3) + rng.normal(0, 6, crop.shape)
        image = Image.fromarray(np.clip(crop, 0, 255).astype(np.uint8)).resize(
            (1024, 768), Image.Resampling.BILINEAR
        )
        path = folder / f"sample-{number:04d}.jpg"
        image.save(path, quality=int(rng.integers(80, 95)))
        paths.append(path)
    return paths


def make_pngs(folder: Path, jpegs: list[Path]) -> list[Path]:
    """The JPEGs' pictures at 600x400, as PNGs (lossless: the decode is a larger share of the work)."""
    paths = []
    for jpeg in jpegs:
        path = folder / f"{jpeg.stem}.png"
        with Image.open(jpeg) as im:
            im.resize((600, 400), Image.Resampling.BILINEAR).save(path)
        paths.append(path)
    return paths


def plain_pdq(path: Path) -> bytes:
    """The 512 px peer loop: Pillow with JPEG draft at half scale (as design.md measured it), a box downscale
    to 512 px where the picture is still larger (a PNG), then pdqhash."""
    with Image.open(path) as im:
        im.draft("RGB", (im.width // 2, im.height // 2))
        rgb = im.convert("RGB")
    if max(rgb.size) > PDQ_MAX_SIDE:
        scale = PDQ_MAX_SIDE / max(rgb.size)
        rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.BOX)
    bits, _quality = pdqhash.compute(np.asarray(rgb))
    return np.packbits(bits.astype(np.uint8)).tobytes()


def plain_full_pdq(path: Path) -> bytes:
    """The full-picture peer loop, as python-threatexchange hashes: Pillow full decode, then pdqhash."""
    with Image.open(path) as im:
        bits, _quality = pdqhash.compute(np.asarray(im.convert("RGB")))
    return np.packbits(bits.astype(np.uint8)).tobytes()


def _bits_apart(ours: list[bytes], theirs: list[bytes]) -> int:
    return max(
        (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()
        for a, b in zip(ours, theirs, strict=True)
    )


def _decode_rows(data: str, paths: list[Path]) -> list[Row]:
    """Each method against its peer loop, alternated, best of three (the machine is shared)."""
    tools: list[tuple[str, Callable[[Path], bytes]]] = [
        ("vigilant full picture", lambda p: pdq_of_image(p, PdqMethod.FULL).hash),
        ("Pillow full decode + pdqhash", plain_full_pdq),
        ("vigilant 512 px", lambda p: pdq_of_image(p, PdqMethod.DOWNSCALED).hash),
        ("Pillow draft + pdqhash", plain_pdq),
    ]
    times: dict[str, list[float]] = {name: [] for name, _ in tools}
    hashes: dict[str, list[bytes]] = {}
    for _round in range(3):
        for name, work in tools:
            hashes[name], seconds = timed(lambda work=work: [work(p) for p in paths])  # type: ignore[misc]
            times[name].append(seconds)
    rate = {name: len(paths) / min(seconds) for name, seconds in times.items()}
    rows: list[Row] = []
    for ours, peer, what in (
        ("vigilant full picture", "Pillow full decode + pdqhash", "full"),
        ("vigilant 512 px", "Pillow draft + pdqhash", "512"),
    ):
        rows.append(
            {
                "benchmark": f"decode + PDQ ({what})",
                "data": data,
                "tool": ours,
                "rate": rate[ours],
                "unit": "images/s",
                "ratio": rate[ours] / rate[peer],
                "note": f"hash vs peer loop: max {_bits_apart(hashes[ours], hashes[peer])} bits",
            }
        )
        rows.append(
            {
                "benchmark": f"decode + PDQ ({what})",
                "data": data,
                "tool": peer,
                "rate": rate[peer],
                "unit": "images/s",
            }
        )
    return rows


def bench_decode(count: int, rng: np.random.Generator) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="vigilant-pdq-bench-") as folder:
        jpegs = make_jpegs(Path(folder), count, rng)
        pngs = make_pngs(Path(folder), jpegs)
        for path in [*jpegs, *pngs]:  # page cache warm for all
            path.read_bytes()
        return [*_decode_rows(f"{count} JPEG 1024x768", jpegs), *_decode_rows(f"{count} PNG 600x400", pngs)]


# --- entry points ---------------------------------------------------------------------------------------


def run(scale: str = "full") -> list[Row]:
    """Run every benchmark at ``scale`` ("full" or "quick"); one row per tool and data set."""
    if scale not in SCALES:
        raise ValueError(f"scale is one of {', '.join(SCALES)}, got {scale!r}")
    sizes = SCALES[scale]
    # One thread for every tool: faiss (the peer, and our flat-scan fallback) is told so; the numpy
    # operations the index uses (take, xor, bitwise_count, repeat) are single-threaded already.
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(20240531)
    rows: list[Row] = []
    for name in ("random", "clustered"):
        rows.extend(bench_index(make_workload(name, sizes, rng)))
    rows.extend(bench_decode(sizes.images, rng))
    return rows


def _cell(value: Any, digits: int = 0) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def print_table(rows: list[Row], title: str) -> None:
    from rich.console import Console  # noqa: PLC0415 - keep `run` importable without rich
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=title)
    for column in (
        "benchmark",
        "data",
        "tool",
        "rate",
        "ratio",
        "recall",
        "build s",
        "index MB",
        "RSS MB",
        "note",
    ):
        table.add_column(
            column, justify="right" if column not in {"benchmark", "data", "tool", "note"} else "left"
        )
    for row in rows:
        table.add_row(
            row["benchmark"],
            row["data"],
            row["tool"],
            f"{row['rate']:,.0f} {row['unit']}",
            _cell(row.get("ratio"), 2) + ("x" if row.get("ratio") is not None else ""),
            "" if row.get("recall") is None else f"{row['recall']:.1%}",
            _cell(row.get("build_s"), 1),
            _cell(row.get("memory_mb"), 0),
            _cell(row.get("rss_mb"), 0),
            str(row.get("note", "")),
        )
    # Wide enough for every column when the output is a file or a pipe.
    Console(width=None if sys.stdout.isatty() else 170).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10^5 codes and fewer images: a smoke test")
    parser.add_argument("--memory-probe", nargs=2, metavar=("TOOL", "FOLDER"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.memory_probe:
        tool, folder = arguments.memory_probe
        print(memory_probe(tool, Path(folder)))
        return 0
    scale = "quick" if arguments.quick else "full"
    started = time.perf_counter()
    rows = run(scale)
    elapsed = time.perf_counter() - started
    print_table(
        rows, f"PDQ benchmarks ({scale}, one thread, numpy {np.__version__}, faiss {faiss.__version__})"
    )
    print(f"{elapsed:.0f} s in all on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
