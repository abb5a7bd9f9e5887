"""The exact index against a brute-force oracle: a Python set (and sorted list) of the same digests."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigilant.errors import BadInputError, ConflictError, NotFoundError, VigilantError
from vigilant.hashing.digests import MD5, PDQ, SHA1, SHA256, DigestKind, InvalidDigestError
from vigilant.library.exact_format import IndexCorruptError, IndexFormatError
from vigilant.library.exact_index import LOOKUP_BLOCK, ExactIndex

KINDS = [MD5, SHA1, SHA256]
Digests = npt.NDArray[np.uint8]


def random_digests(rng: np.random.Generator, count: int, kind: DigestKind) -> Digests:
    return rng.integers(0, 256, size=(count, kind.size), dtype=np.uint8)


def as_list(digests: Digests) -> list[bytes]:
    return [bytes(row) for row in digests]


def build(folder: Path, kind: DigestKind, digests: Digests, parts: int = 3) -> ExactIndex:
    """Build from ``parts`` chunks, alternating arrays and packed bytes (both input forms)."""
    chunks: list[Digests | bytes] = []
    for i, part in enumerate(np.array_split(digests, parts)):
        chunks.append(part if i % 2 == 0 else part.tobytes())
    return ExactIndex.build(kind, chunks, folder / "index")


def check_against_oracle(index: ExactIndex, members: Sequence[bytes], queries: Sequence[bytes]) -> None:
    """contains/find/contains_one/digest_at agree with a set and a sorted list of the unique members."""
    oracle = set(members)
    ordered = sorted(oracle)
    position = {digest: i for i, digest in enumerate(ordered)}
    assert len(index) == len(oracle)
    size = index.kind.size
    batch = np.frombuffer(b"".join(queries), dtype=np.uint8).reshape(-1, size)
    expected = np.array([q in oracle for q in queries], dtype=np.bool_)
    np.testing.assert_array_equal(index.contains(batch), expected)
    found = index.find(batch)
    np.testing.assert_array_equal(found, [position.get(q, -1) for q in queries])
    for q, at in zip(queries[:200], found[:200], strict=True):
        assert index.contains_one(q) == (q in oracle)
        if at >= 0:
            assert index.digest_at(int(at)) == q


def near_misses(members: Sequence[bytes], rng: np.random.Generator, count: int) -> list[bytes]:
    """Members with one byte changed: same 8-byte prefix (last byte) or same tail (first byte)."""
    out: list[bytes] = []
    for i in rng.integers(0, len(members), size=count):
        digest = bytearray(members[int(i)])
        where = -1 if len(out) % 2 == 0 else 0
        digest[where] ^= 1 << int(rng.integers(0, 8))
        out.append(bytes(digest))
    return out


# -- matching -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_random_digests_match_the_oracle(tmp_path: Path, kind: DigestKind) -> None:
    rng = np.random.default_rng(1)
    digests = random_digests(rng, 20_000, kind)
    index = build(tmp_path, kind, digests)
    members = as_list(digests)
    queries = members[::7] + as_list(random_digests(rng, 3_000, kind)) + near_misses(members, rng, 3_000)
    check_against_oracle(index, members, queries)
    index.verify()


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_runs_of_equal_prefixes(tmp_path: Path, kind: DigestKind) -> None:
    """Adversarial input: many digests share their first 8 bytes (or their first 5, tying the sort's top
    bits without equal keys); queries share those prefixes but are absent, below, inside and above a run."""
    rng = np.random.default_rng(2)
    digests = random_digests(rng, 3_000, kind)
    digests[:1_000, :8] = digests[0, :8]  # one long run
    for start in range(1_000, 2_000, 50):  # twenty runs of 50
        digests[start : start + 50, :8] = digests[start, :8]
    digests[2_000:2_500, :5] = digests[2_000, :5]  # same top 5 bytes, distinct keys
    digests[2_500:2_510] = digests[2_500]  # a run of one digest repeated
    index = build(tmp_path, kind, digests)
    members = as_list(digests)
    absent = random_digests(rng, 2_000, kind)
    absent[:1_000, :8] = digests[rng.integers(0, 2_000, 1_000), :8]  # prefix of a run, other rest
    absent[1_000:1_100, :8] = digests[0, :8]
    absent[1_000:1_050, 8:] = 0x00  # below every rest of the long run
    absent[1_050:1_100, 8:] = 0xFF  # above every rest of the long run
    queries = members + as_list(absent) + near_misses(members, rng, 2_000)
    check_against_oracle(index, members, queries)
    index.verify()


def test_every_digest_shares_one_prefix(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    digests = random_digests(rng, 5_000, SHA1)
    digests[:, :8] = 0xAB
    index = build(tmp_path, SHA1, digests)
    members = as_list(digests)
    check_against_oracle(index, members, members + near_misses(members, rng, 5_000))


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_duplicates_are_dropped(tmp_path: Path, kind: DigestKind) -> None:
    rng = np.random.default_rng(4)
    unique = random_digests(rng, 1_000, kind)
    digests = np.concatenate([unique, unique[::3], unique[::7], unique[:1]])
    rng.shuffle(digests)
    index = build(tmp_path, kind, digests, parts=5)
    assert len(index) == 1_000
    check_against_oracle(index, as_list(unique), as_list(unique))
    index.verify()


def test_content_hash_is_sha256_of_the_sorted_unique_digests(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    digests = random_digests(rng, 500, MD5)
    digests = np.concatenate([digests, digests[:100]])
    index = build(tmp_path, MD5, digests)
    expected = hashlib.sha256(b"".join(sorted(set(as_list(digests))))).hexdigest()
    assert index.content_sha256 == expected


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_first_and_last_entries(tmp_path: Path, kind: DigestKind) -> None:
    rng = np.random.default_rng(6)
    lowest, highest = bytes(kind.size), b"\xff" * kind.size
    digests = random_digests(rng, 1_000, kind)
    digests[0], digests[1] = np.frombuffer(lowest, np.uint8), np.frombuffer(highest, np.uint8)
    index = build(tmp_path, kind, digests)
    assert index.digest_at(0) == lowest
    assert index.digest_at(len(index) - 1) == highest
    just_above_lowest = bytes(kind.size - 1) + b"\x01"
    just_below_highest = b"\xff" * (kind.size - 1) + b"\xfe"
    members = as_list(digests)
    check_against_oracle(index, members, [lowest, highest, just_above_lowest, just_below_highest])


def test_first_and_last_entries_when_absent(tmp_path: Path) -> None:
    """Queries below the first key and above the last one fall outside every bucket's keys."""
    rng = np.random.default_rng(7)
    digests = random_digests(rng, 1_000, MD5)
    digests[:, 0] = np.clip(digests[:, 0], 1, 254)
    index = build(tmp_path, MD5, digests)
    members = as_list(digests)
    check_against_oracle(index, members, [bytes(16), b"\xff" * 16, members[0], members[-1]])


def test_batches_larger_than_a_block(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    digests = random_digests(rng, 5_000, MD5)
    index = build(tmp_path, MD5, digests)
    members = as_list(digests)
    queries = as_list(random_digests(rng, 2 * LOOKUP_BLOCK + 17, MD5))
    queries[LOOKUP_BLOCK - 1 : LOOKUP_BLOCK + 1] = members[:2]  # hits either side of a block boundary
    queries[-1] = members[-1]
    check_against_oracle(index, members, queries)


def test_input_spread_over_many_slabs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real builds collect 8 Mi digests per slab; 7 makes chunks straddle slabs at every size."""
    monkeypatch.setattr("vigilant.library.exact_build.SLAB_ROWS", 7)
    rng = np.random.default_rng(17)
    digests = random_digests(rng, 1_000, SHA1)
    digests[500:] = digests[:500]  # duplicates across slabs
    index = build(tmp_path, SHA1, digests, parts=13)
    members = as_list(digests)
    check_against_oracle(index, members, members + as_list(random_digests(rng, 100, SHA1)))
    index.verify()


@pytest.mark.parametrize("count", [0, 1, 2, 9])
def test_tiny_indexes(tmp_path: Path, count: int) -> None:
    rng = np.random.default_rng(count)
    digests = random_digests(rng, count, SHA256)
    index = build(tmp_path, SHA256, digests)
    members = as_list(digests)
    check_against_oracle(index, members, members + as_list(random_digests(rng, 5, SHA256)))
    index.verify()


def test_empty_index(tmp_path: Path) -> None:
    index = ExactIndex.build(MD5, [], tmp_path / "empty")
    assert len(index) == 0
    assert not index.contains_one(bytes(16))
    assert index.contains(np.zeros((3, 16), dtype=np.uint8)).tolist() == [False] * 3
    assert index.contains(np.zeros((0, 16), dtype=np.uint8)).shape == (0,)
    assert index.content_sha256 == hashlib.sha256(b"").hexdigest()
    index.verify()
    reopened = ExactIndex.open(tmp_path / "empty")
    assert len(reopened) == 0
    assert not reopened.contains_one(b"\xff" * 16)
    with pytest.raises(IndexError):
        reopened.digest_at(0)


def test_empty_batch_against_a_full_index(tmp_path: Path) -> None:
    index = build(tmp_path, MD5, random_digests(np.random.default_rng(9), 100, MD5))
    assert index.contains(b"").shape == (0,)


# Few byte values make shared prefixes, equal keys, runs and duplicates common in small sets.
def small_digests(size: int) -> st.SearchStrategy[list[bytes]]:
    prefix = st.sampled_from([b"\x00" * 8, b"\x00" * 7 + b"\x01", b"\x80" + b"\x00" * 7, b"\xff" * 8])
    tail = st.binary(min_size=size - 8, max_size=size - 8)
    skewed_tail = st.lists(st.sampled_from([0, 1, 255]), min_size=size - 8, max_size=size - 8).map(bytes)
    digest = st.one_of(
        st.binary(min_size=size, max_size=size),
        st.builds(lambda p, t: p + t, prefix, st.one_of(tail, skewed_tail)),
    )
    return st.lists(digest, max_size=40)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_small_sets_match_the_oracle(kind: DigestKind, data: st.DataObject) -> None:
    members = data.draw(small_digests(kind.size), label="members")
    queries = data.draw(small_digests(kind.size), label="queries")
    # Not pytest's tmp_path: hypothesis runs many examples in one test function.
    with tempfile.TemporaryDirectory() as folder:
        digests = np.frombuffer(b"".join(members), dtype=np.uint8).reshape(-1, kind.size)
        index = build(Path(folder), kind, digests, parts=2)
        check_against_oracle(index, members, members + queries)
        index.verify()


# -- input checks ---------------------------------------------------------------------------------------


def test_queries_of_the_wrong_shape_are_refused(tmp_path: Path) -> None:
    index = build(tmp_path, SHA1, random_digests(np.random.default_rng(10), 10, SHA1))
    with pytest.raises(InvalidDigestError, match="20"):
        index.contains(np.zeros((4, 16), dtype=np.uint8))
    with pytest.raises(InvalidDigestError):
        index.contains(np.zeros((4, 20), dtype=np.int64))
    with pytest.raises(InvalidDigestError):
        index.contains(b"\x00" * 30)
    with pytest.raises(InvalidDigestError):
        index.contains_one(b"\x00" * 16)


def test_a_perceptual_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="PDQ"):
        ExactIndex.build(PDQ, [], tmp_path / "pdq")
    assert not (tmp_path / "pdq").exists()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (DigestKind("md4", 16, "MD4"), "not a registered"),
        (DigestKind("short", 8, "8-byte digest"), "longer than 8"),
    ],
)
def test_a_kind_that_could_not_be_opened_is_refused(tmp_path: Path, kind: DigestKind, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        ExactIndex.build(kind, [], tmp_path / "index")
    assert list(tmp_path.iterdir()) == []


def test_warm_reads_the_index_and_changes_nothing(tmp_path: Path) -> None:
    digests = random_digests(np.random.default_rng(16), 3_000, SHA1)
    index = build(tmp_path, SHA1, digests)
    index.warm()
    members = as_list(digests)
    check_against_oracle(index, members, members[:100])


# -- on disk ------------------------------------------------------------------------------------------


def test_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    digests = random_digests(rng, 2_000, SHA256)
    built = build(tmp_path, SHA256, digests)
    opened = ExactIndex.open(tmp_path / "index")
    assert (opened.kind, len(opened), opened.content_sha256) == (SHA256, len(built), built.content_sha256)
    queries = np.concatenate([digests[::3], random_digests(rng, 500, SHA256)])
    np.testing.assert_array_equal(opened.find(queries), built.find(queries))
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["format"] == "vigilant-exact-index"
    assert manifest["version"] == 1
    assert manifest["kind"] == "sha256"
    assert manifest["count"] == 2_000
    assert manifest["digest_size"] == 32
    assert manifest["content_sha256"] == built.content_sha256
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == [
        "buckets.npy",
        "keys.npy",
        "manifest.json",
        "rest.npy",
    ]
    assert list(tmp_path.iterdir()) == [tmp_path / "index"]  # no build folder left beside it


def test_size_is_within_a_fifth_of_the_raw_digests(tmp_path: Path) -> None:
    index = build(tmp_path, MD5, random_digests(np.random.default_rng(12), 100_000, MD5))
    on_disk = sum(p.stat().st_size for p in (tmp_path / "index").iterdir())
    assert index.nbytes <= on_disk <= 1.2 * 100_000 * 16


@pytest.fixture
def built(tmp_path: Path) -> Path:
    build(tmp_path, MD5, random_digests(np.random.default_rng(13), 1_000, MD5))
    return tmp_path / "index"


def edit_manifest(folder: Path, **changes: object) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "something-else"}, "not the manifest"),
        ({"version": 2}, "version 2"),
        ({"version": "1"}, "version '1'"),
        ({"kind": "whirlpool"}, "unknown digest kind"),
        ({"kind": "sha1"}, "digest_size 16"),
        ({"digest_size": 20}, "digest_size 20"),
        ({"count": 999}, "keys.npy holds"),
        ({"count": 1_001}, "keys.npy holds"),
        ({"count": "1000"}, "'count'"),
        ({"bucket_bits": 9}, "buckets.npy holds"),
        ({"content_sha256": None}, "'content_sha256'"),
        ({"count": -1}, "out of range"),
        ({"bucket_bits": 0}, "out of range"),
    ],
)
def test_a_mismatched_manifest_is_refused(built: Path, changes: dict[str, object], message: str) -> None:
    edit_manifest(built, **changes)
    with pytest.raises(IndexFormatError, match=re.escape(message)) as caught:
        ExactIndex.open(built)
    assert isinstance(caught.value, VigilantError)


def test_a_corrupt_manifest_is_refused(built: Path) -> None:
    (built / "manifest.json").write_text('{"format": "vigilant-exact-index", "vers')
    with pytest.raises(IndexFormatError, match="cannot read"):
        ExactIndex.open(built)


def test_a_manifest_that_is_not_an_object_is_refused(built: Path) -> None:
    (built / "manifest.json").write_text("[1, 2]")
    with pytest.raises(IndexFormatError, match="not the manifest"):
        ExactIndex.open(built)


@pytest.mark.parametrize("name", ["keys.npy", "rest.npy", "buckets.npy"])
def test_a_truncated_array_is_refused(built: Path, name: str) -> None:
    path = built / name
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(IndexFormatError, match=re.escape(name)):
        ExactIndex.open(built)


@pytest.mark.parametrize("name", ["keys.npy", "rest.npy", "manifest.json"])
def test_a_missing_file_is_refused(built: Path, name: str) -> None:
    (built / name).unlink()
    with pytest.raises(IndexFormatError, match=re.escape(name)):
        ExactIndex.open(built)


def test_a_missing_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        ExactIndex.open(tmp_path / "nothing")


def test_an_inconsistent_bucket_table_is_refused(built: Path) -> None:
    buckets = np.load(built / "buckets.npy")
    buckets[-1] += 1
    np.save(built / "buckets.npy", buckets)
    with pytest.raises(IndexFormatError, match=re.escape("buckets.npy")):
        ExactIndex.open(built)


def flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))


def test_verify_detects_changed_content(built: Path) -> None:
    flip_last_byte(built / "rest.npy")
    index = ExactIndex.open(built)  # opening stays cheap: it does not hash the content
    with pytest.raises(IndexCorruptError, match="content"):
        index.verify()


def test_verify_detects_a_stale_manifest(built: Path) -> None:
    edit_manifest(built, content_sha256="0" * 64)
    with pytest.raises(IndexCorruptError, match="hash"):
        ExactIndex.open(built).verify()


def test_verify_detects_keys_out_of_order(built: Path) -> None:
    keys = np.load(built / "keys.npy")
    keys[[0, 1]] = keys[[1, 0]]
    np.save(built / "keys.npy", keys)
    with pytest.raises(IndexCorruptError, match="order"):
        ExactIndex.open(built).verify()


def test_verify_detects_a_wrong_bucket_table(built: Path) -> None:
    buckets = np.load(built / "buckets.npy")
    buckets[1:-1] = buckets[-1]  # every key in the first bucket: consistent ends, wrong middle
    np.save(built / "buckets.npy", buckets)
    with pytest.raises(IndexCorruptError, match="bucket"):
        ExactIndex.open(built).verify()


# -- atomic builds --------------------------------------------------------------------------------------


class Killed(BaseException):
    """Stands for an interrupt (Ctrl-C, a job cancelled): not an Exception."""


def failing_chunks(exc: BaseException) -> Iterator[Digests]:
    rng = np.random.default_rng(14)
    yield random_digests(rng, 100, MD5)
    yield random_digests(rng, 100, MD5)
    raise exc


@pytest.mark.parametrize("exc", [RuntimeError("source read failed"), Killed()])
def test_a_failed_build_leaves_no_folder(tmp_path: Path, exc: BaseException) -> None:
    with pytest.raises(type(exc)):
        ExactIndex.build(MD5, failing_chunks(exc), tmp_path / "index")
    assert list(tmp_path.iterdir()) == []


def test_a_bad_chunk_fails_the_build_and_leaves_no_folder(tmp_path: Path) -> None:
    chunks = [np.zeros((3, 16), dtype=np.uint8), np.zeros((3, 20), dtype=np.uint8)]
    with pytest.raises(InvalidDigestError):
        ExactIndex.build(MD5, chunks, tmp_path / "index")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_not_overwritten(built: Path) -> None:
    before = (built / "manifest.json").read_text()
    with pytest.raises(ConflictError, match="already exists"):
        ExactIndex.build(MD5, [np.zeros((1, 16), dtype=np.uint8)], built)
    assert (built / "manifest.json").read_text() == before


def test_replace_swaps_in_the_new_index(built: Path) -> None:
    old = ExactIndex.open(built)
    fresh = random_digests(np.random.default_rng(15), 10, MD5)
    new = ExactIndex.build(MD5, [fresh], built, replace=True)
    assert len(new) == 10
    assert new.contains(fresh).all()
    assert len(ExactIndex.open(built)) == 10
    assert old.contains_one(old.digest_at(0))  # an index already open keeps its (unlinked) maps
    assert sorted(p.name for p in built.parent.iterdir()) == [built.name]


def test_replace_restores_the_old_index_when_the_swap_fails(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = ExactIndex.open(built).content_sha256

    def refuse(src: object, dst: object) -> None:
        raise OSError("rename refused")

    monkeypatch.setattr("vigilant.library.exact_build.os.rename", refuse)
    with pytest.raises(OSError, match="rename refused"):
        ExactIndex.build(MD5, [np.zeros((1, 16), dtype=np.uint8)], built, replace=True)
    monkeypatch.undo()
    assert ExactIndex.open(built).content_sha256 == before
    assert sorted(p.name for p in built.parent.iterdir()) == [built.name]


def test_replace_refuses_a_folder_that_is_not_an_index(tmp_path: Path) -> None:
    precious = tmp_path / "evidence"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(ConflictError, match="not an exact index"):
        ExactIndex.build(MD5, [], precious, replace=True)
    assert (precious / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence"]
