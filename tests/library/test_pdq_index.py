"""The PDQ index against a brute-force oracle: every code within the threshold, nothing beyond."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigilant.errors import BadInputError, ConflictError, NotFoundError
from vigilant.library import pdq_index
from vigilant.library.pdq_format import FORMAT_NAME, FORMAT_VERSION, PdqIndexFormatError
from vigilant.library.pdq_index import PdqIndex, SearchMethod
from vigilant.library.pdq_plan import MAX_PLANNED_THRESHOLD

U8Array = npt.NDArray[np.uint8]
Triple = tuple[int, int, int]


def build(codes: Any, ids: Any = None) -> PdqIndex:
    """Indexes with their bucket tables, whatever their size: these tests are about the multi-index plan."""
    return PdqIndex.build(codes, ids, flat_below=0)


METHODS: tuple[SearchMethod, ...] = ("auto", "mih", "flat")


def oracle(codes: U8Array, ids: npt.NDArray[np.int64], queries: U8Array, threshold: int) -> list[Triple]:
    """Every (query, id, distance) with distance <= threshold, by XOR and popcount over all codes."""
    words = codes.view(np.uint64).reshape(len(codes), 4)
    found: list[Triple] = []
    for row, query in enumerate(queries.view(np.uint64).reshape(len(queries), 4)):
        distances = np.bitwise_count(words ^ query).sum(axis=1)
        found.extend((row, int(ids[i]), int(distances[i])) for i in np.flatnonzero(distances <= threshold))
    return sorted(found)


def flip(codes: U8Array, counts: npt.NDArray[np.int64], rng: np.random.Generator) -> U8Array:
    """Flip exactly counts[i] distinct bits of row i."""
    order = np.argsort(rng.random((len(codes), 256)), axis=1)
    bits = np.zeros((len(codes), 256), bool)
    np.put_along_axis(bits, order, np.arange(256)[np.newaxis, :] < counts[:, np.newaxis], axis=1)
    return codes ^ np.packbits(bits, axis=1)


def clustered(count: int, rng: np.random.Generator) -> U8Array:
    """Families of near-duplicates around a few seeds, some seeds made of a handful of 16-bit patterns
    (so many codes share chunk values: hot buckets), plus exact duplicates."""
    plain = rng.integers(0, 256, (6, 32), dtype=np.uint8)
    patterns = np.array([0x0000, 0xFFFF, 0x00FF, 0x0F0F, 0x5555], dtype=">u2")
    low = patterns[rng.integers(0, len(patterns), (4, 16))].view(np.uint8).reshape(4, 32)
    seeds = np.concatenate([plain, low])
    family = flip(seeds[rng.integers(0, len(seeds), count)], rng.integers(0, 45, count), rng)
    family[: count // 20] = family[count // 20 : 2 * (count // 20)]  # exact duplicates under other ids
    return family


def triples(index: PdqIndex, queries: U8Array, threshold: int, method: SearchMethod) -> list[Triple]:
    """The matches, sorted for comparison with the oracle, after checking the index's own order."""
    found = list(index.search(queries, threshold, method=method))
    order = [(query, distance) for query, _, distance in found]
    assert order == sorted(order), "matches must come by query, then distance"
    return sorted(found)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(31)


@pytest.mark.parametrize("method", METHODS)
def test_random_codes_match_the_oracle(rng: np.random.Generator, method: SearchMethod) -> None:
    codes = rng.integers(0, 256, (3000, 32), dtype=np.uint8)
    ids = rng.permutation(3000).astype(np.int64) * 11 + 5
    near = flip(codes[rng.integers(0, 3000, 60)], rng.integers(0, 40, 60), rng)
    queries = np.concatenate([near, rng.integers(0, 256, (20, 32), dtype=np.uint8)])
    index = build(codes, ids)
    want = oracle(codes, ids, queries, 31)
    assert triples(index, queries, 31, method) == want
    assert len(want) >= 45  # the planted ones within 31 at least


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("threshold", [0, 16, 31, 40])
def test_clustered_codes_match_the_oracle(
    rng: np.random.Generator, method: SearchMethod, threshold: int
) -> None:
    codes = clustered(4000, rng)
    ids = np.arange(4000, dtype=np.int64)
    queries = np.concatenate(
        [flip(codes[rng.integers(0, 4000, 40)], rng.integers(0, 35, 40), rng), clustered(20, rng)]
    )
    index = build(codes, ids)
    want = oracle(codes, ids, queries, threshold)
    assert triples(index, queries, threshold, method) == want
    if threshold == 31:
        assert len(want) > 10 * len(queries)  # really clustered: many matches a query


def test_hot_buckets_are_planned_around(rng: np.random.Generator) -> None:
    # 90% of the codes share their first two chunks with the query: the plan must skip those chunks and
    # still find every match (the flat fallback is ruled out by forcing the multi-index method).
    codes = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    codes[:4500, :4] = 0
    query = np.zeros((1, 32), np.uint8)
    query[0, 4:] = codes[7, 4:]
    query = flip(query, np.array([20]), rng)
    query[0, :4] = 0
    ids = np.arange(5000, dtype=np.int64)
    index = build(codes, ids)
    assert triples(index, query, 31, "mih") == oracle(codes, ids, query, 31)
    assert triples(index, query, 31, "auto") == oracle(codes, ids, query, 31)


@pytest.mark.parametrize("method", METHODS)
def test_small_blocks_and_batches_change_nothing(
    rng: np.random.Generator, method: SearchMethod, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Queries are planned in blocks and compared in batches of bounded work; their edges must not matter.
    codes = clustered(3000, rng)
    ids = np.arange(3000, dtype=np.int64)
    queries = flip(codes[rng.integers(0, 3000, 50)], rng.integers(0, 35, 50), rng)
    index = build(codes, ids)
    monkeypatch.setattr(pdq_index, "_QUERY_BLOCK", 7)
    monkeypatch.setattr(pdq_index, "_BATCH_CANDIDATES", 100)
    assert triples(index, queries, 31, method) == oracle(codes, ids, queries, 31)


@pytest.mark.parametrize("method", METHODS)
def test_planted_distances_at_the_threshold(rng: np.random.Generator, method: SearchMethod) -> None:
    base = rng.integers(0, 256, (1, 32), dtype=np.uint8)
    planted_distances = np.array([0, 1, 15, 30, 31, 32, 33])
    planted = flip(np.repeat(base, len(planted_distances), axis=0), planted_distances, rng)
    # Background codes far from the base so that only the planted ones can match.
    background = rng.integers(0, 256, (2000, 32), dtype=np.uint8)
    background_distance = np.bitwise_count(background ^ base).sum(axis=1)
    background = background[background_distance > 40]
    codes = np.concatenate([background, planted])
    ids = np.arange(len(codes), dtype=np.int64) + 1000
    planted_ids = ids[len(background) :]
    index = build(codes, ids)
    found = {identifier: distance for _, identifier, distance in index.search(base, 31, method=method)}
    assert found == {int(i): int(d) for i, d in zip(planted_ids, planted_distances, strict=True) if d <= 31}
    found_32 = {identifier for _, identifier, _ in index.search(base, 32, method=method)}
    assert int(planted_ids[5]) in found_32  # distance 32 is in at threshold 32
    assert int(planted_ids[6]) not in found_32


@pytest.mark.parametrize("threshold", [0, 1, 7, 15, 16, 23, 32, MAX_PLANNED_THRESHOLD, 48, 70, 256])
def test_thresholds_other_than_31(rng: np.random.Generator, threshold: int) -> None:
    codes = clustered(1500, rng)
    ids = np.arange(1500, dtype=np.int64)
    queries = flip(codes[:25], rng.integers(0, 60, 25), rng)
    index = build(codes, ids)
    want = oracle(codes, ids, queries, threshold)
    for method in METHODS:
        assert triples(index, queries, threshold, method) == want, method


@st.composite
def small_cases(draw: st.DrawFn) -> tuple[U8Array, U8Array, int]:
    """A few codes near one or two bases (so chunk collisions are common) and a few queries."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    count = draw(st.integers(0, 40))
    bases = rng.integers(0, 256, (draw(st.integers(1, 2)), 32), dtype=np.uint8)
    codes = flip(bases[rng.integers(0, len(bases), count)], rng.integers(0, 50, count), rng)
    queries = flip(bases[rng.integers(0, len(bases), 4)], rng.integers(0, 50, 4), rng)
    return codes, queries, draw(st.integers(0, 64))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_cases())
def test_small_random_cases_match_the_oracle(case: tuple[U8Array, U8Array, int]) -> None:
    codes, queries, threshold = case
    ids = np.arange(len(codes), dtype=np.int64) * 3
    index = build(codes, ids)
    want = oracle(codes, ids, queries, threshold)
    for method in METHODS:
        assert triples(index, queries, threshold, method) == want


def test_empty_index_and_empty_queries(tmp_path: Path, rng: np.random.Generator) -> None:
    empty = build(np.zeros((0, 32), np.uint8))
    assert len(empty) == 0
    queries = rng.integers(0, 256, (3, 32), dtype=np.uint8)
    assert len(empty.search(queries)) == 0
    empty.save(tmp_path / "empty")
    assert len(PdqIndex.load(tmp_path / "empty", verify=True).search(queries)) == 0
    index = build(queries)
    assert len(index.search(np.zeros((0, 32), np.uint8))) == 0


def test_duplicates_and_bytes_queries() -> None:
    code = bytes(range(32))
    index = build([code, code, bytes(32)], ids=[10, 20, 30])
    assert sorted(index.search([code])) == [(0, 10, 0), (0, 20, 0)]


def test_save_and_load_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    codes = clustered(2000, rng)
    ids = rng.permutation(2000).astype(np.int64) - 500  # negative ids survive too
    queries = flip(codes[:30], rng.integers(0, 35, 30), rng)
    index = build(codes, ids)
    folder = tmp_path / "library" / "pdq"
    index.save(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == FORMAT_NAME
    assert manifest["version"] == FORMAT_VERSION
    assert manifest["count"] == 2000
    assert sorted(p.name for p in folder.iterdir()) == [
        "codes.npy",
        "ids.npy",
        "manifest.json",
        "offsets.npy",
        "perm.npy",
    ]
    loaded = PdqIndex.load(folder, verify=True)
    assert not loaded.codes.flags.writeable  # memory-mapped read-only, not copied
    np.testing.assert_array_equal(loaded.codes, codes)
    np.testing.assert_array_equal(loaded.ids, ids)
    for method in METHODS:
        assert triples(loaded, queries, 31, method) == oracle(codes, ids, queries, 31)
    assert not [p for p in tmp_path.joinpath("library").iterdir() if p.name != "pdq"]  # no staging left


def test_save_refuses_to_overwrite_unless_asked(tmp_path: Path, rng: np.random.Generator) -> None:
    first = build(rng.integers(0, 256, (10, 32), dtype=np.uint8))
    second = build(rng.integers(0, 256, (20, 32), dtype=np.uint8))
    first.save(tmp_path / "pdq")
    with pytest.raises(ConflictError):
        second.save(tmp_path / "pdq")
    second.save(tmp_path / "pdq", overwrite=True)
    assert len(PdqIndex.load(tmp_path / "pdq")) == 20
    assert [p.name for p in tmp_path.iterdir()] == ["pdq"]


def test_load_refuses_what_it_cannot_trust(tmp_path: Path, rng: np.random.Generator) -> None:
    with pytest.raises(NotFoundError):
        PdqIndex.load(tmp_path / "nothing")
    folder = tmp_path / "pdq"
    build(rng.integers(0, 256, (50, 32), dtype=np.uint8)).save(folder)
    manifest_path = folder / "manifest.json"
    original = json.loads(manifest_path.read_text())

    newer = dict(original, version=FORMAT_VERSION + 1)
    manifest_path.write_text(json.dumps(newer))
    with pytest.raises(PdqIndexFormatError, match="version"):
        PdqIndex.load(folder)

    manifest_path.write_text(json.dumps(dict(original, format="something-else")))
    with pytest.raises(PdqIndexFormatError, match="not a Vigilant PDQ index"):
        PdqIndex.load(folder)

    manifest_path.write_text(json.dumps(dict(original, count=51)))
    with pytest.raises(PdqIndexFormatError):
        PdqIndex.load(folder)

    manifest_path.write_text(json.dumps(original))
    codes_path = folder / "codes.npy"
    damaged = bytearray(codes_path.read_bytes())
    damaged[-1] ^= 0xFF
    codes_path.write_bytes(bytes(damaged))
    PdqIndex.load(folder)  # without verify the damage is not looked for
    with pytest.raises(PdqIndexFormatError, match="SHA-256"):
        PdqIndex.load(folder, verify=True)


def test_bad_inputs_are_refused(rng: np.random.Generator) -> None:
    codes = rng.integers(0, 256, (5, 32), dtype=np.uint8)
    with pytest.raises(BadInputError):
        build(codes, ids=[1, 2, 3])
    with pytest.raises(BadInputError):
        build(codes.astype(np.int16))
    with pytest.raises(BadInputError):
        build([b"short"])
    index = build(codes)
    with pytest.raises(BadInputError):
        index.search(codes, threshold=-1)
    with pytest.raises(BadInputError):
        index.search(codes[:, :16])
    with pytest.raises(BadInputError):
        index.search(codes, threshold=31.5)  # type: ignore[arg-type]


def test_small_indexes_scan_and_stay_small(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 256, (500, 32), dtype=np.uint8)
    small = PdqIndex.build(codes)
    assert small.nbytes < 500 * 64  # codes and ids only, no 16 x 65,537 bucket tables
    queries = codes[:20].copy()
    queries[:, 0] ^= 0x7F  # 7 bits away
    expected = oracle(codes, np.arange(500, dtype=np.int64), queries, 31)
    assert len(expected) >= 20
    assert sorted(small.search(queries, 31)) == expected
    small.save(tmp_path / "small")
    assert sorted(PdqIndex.load(tmp_path / "small").search(queries, 31)) == expected
