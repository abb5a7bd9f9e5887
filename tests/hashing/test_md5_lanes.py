"""MD5 in SIMD lanes (hashing._multimd5, hashing.md5_lanes) gives hashlib's digests, whatever the order."""

from __future__ import annotations

import functools
import hashlib
import io
import os
import random
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigilant.evidence.base import Address, FileEntry
from vigilant.hashing import md5_lanes
from vigilant.hashing.md5_lanes import RFC1321_VECTORS, Md5Lanes, self_test
from vigilant.triage import process
from vigilant.triage.process import EntryProcessor
from vigilant.triage.settings import TriageSettings

try:
    from vigilant.hashing import _multimd5
except ImportError:  # pragma: no cover - depends on the install
    if os.environ.get("CI") == "true":
        raise  # CI installs with a compiler: the module must be there
    pytest.skip(
        "vigilant.hashing._multimd5 is not built in this install (pip install -e . builds it)",
        allow_module_level=True,
    )

KERNELS = _multimd5.KERNELS  # every kernel this CPU runs: "scalar", then "avx2", "avx512vl" where it can


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def _many(messages: list[bytes], *, kernel: str | None = None) -> list[bytes]:
    states = [_multimd5.Md5() for _ in messages]
    _multimd5.update_many(list(zip(states, messages, strict=True)), kernel=kernel)
    return [s.digest() for s in states]


@pytest.mark.parametrize("kernel", KERNELS)
def test_rfc1321_test_suite(kernel: str) -> None:
    messages = list(RFC1321_VECTORS)
    assert [d.hex() for d in _many(messages, kernel=kernel)] == list(RFC1321_VECTORS.values())


def test_update_alone_gives_the_rfc1321_digests() -> None:
    for message, expected in RFC1321_VECTORS.items():
        state = _multimd5.Md5()
        for i in range(0, len(message), 7):  # in pieces that cross the 64-byte blocks
            state.update(message[i : i + 7])
        assert state.digest().hex() == expected


@pytest.mark.parametrize("kernel", KERNELS)
def test_every_length_around_the_padding_boundaries(kernel: str) -> None:
    rng = random.Random(5)
    messages = [rng.randbytes(n) for n in range(300)]  # 55/56/63/64/119/120/127/128... all in one call
    assert _many(messages, kernel=kernel) == [_md5(m) for m in messages]


@pytest.mark.parametrize("kernel", KERNELS)
def test_lanes_of_very_different_lengths(kernel: str) -> None:
    # One long message and many short ones: the lanes refill while the long one goes on, then it ends alone.
    rng = random.Random(8)
    messages = [rng.randbytes(3_000_000)] + [rng.randbytes(rng.randrange(0, 20_000)) for _ in range(40)]
    messages += [rng.randbytes(200_000) for _ in range(7)]
    assert _many(messages, kernel=kernel) == [_md5(m) for m in messages]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.binary(max_size=700), min_size=1, max_size=12),
    st.randoms(use_true_random=False),
    st.sampled_from(KERNELS),
)
def test_streaming_in_random_pieces_through_update_many(messages: list[bytes], rng: Any, kernel: str) -> None:
    states = [_multimd5.Md5() for _ in messages]
    offsets = [0] * len(messages)
    while any(o < len(m) for o, m in zip(offsets, messages, strict=True)):
        pairs = []
        for i, message in enumerate(messages):
            if offsets[i] < len(message) and rng.random() < 0.7:
                n = rng.randrange(0, 150)
                pairs.append((states[i], message[offsets[i] : offsets[i] + n]))
                offsets[i] += n
        _multimd5.update_many(pairs, kernel=kernel)
    assert [s.digest() for s in states] == [_md5(m) for m in messages]


def test_digest_leaves_the_state_going_on() -> None:
    state = _multimd5.Md5()
    state.update(b"a" * 100)
    assert state.digest() == _md5(b"a" * 100)
    state.update(b"b" * 100)
    assert state.digest() == _md5(b"a" * 100 + b"b" * 100)


def test_one_state_twice_in_one_call_is_refused_and_nothing_is_stuck() -> None:
    state, other = _multimd5.Md5(), _multimd5.Md5()
    with pytest.raises(ValueError, match="given twice"):
        _multimd5.update_many([(state, b"x" * 100), (other, b"y"), (state, b"x" * 100)])
    # Refused before hashing anything, and both states usable again.
    _multimd5.update_many([(state, b"abc"), (other, b"abc")])
    assert state.digest() == other.digest() == _md5(b"abc")


@pytest.mark.parametrize(
    "pairs",
    [[(1, b"x")], [(b"x",)], ["not a pair"], [(_multimd5.Md5(), 5)]],
    ids=["int", "short", "str", "buf"],
)
def test_malformed_pairs_are_refused(pairs: list[Any]) -> None:
    with pytest.raises(TypeError):
        _multimd5.update_many(pairs)


def test_threads_hash_their_own_states_at_the_same_time() -> None:
    # The GIL is released while hashing: two threads with their own states never mix them up.
    rng = random.Random(3)
    work = [[rng.randbytes(rng.randrange(0, 300_000)) for _ in range(24)] for _ in range(2)]
    results: dict[int, list[bytes]] = {}

    def hash_all(k: int) -> None:
        results[k] = [d for _ in range(5) for d in _many(work[k])]

    threads = [threading.Thread(target=hash_all, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: [_md5(m) for m in work[k]] * 5 for k in range(2)}


def test_lanes_are_used_where_the_cpu_has_them() -> None:
    # Where the module loads, triage uses it unless the CPU lacks AVX2; the note names the fastest kernel.
    assert KERNELS[0] == "scalar"
    assert (_multimd5.LANES > 1) == (len(KERNELS) > 1) == md5_lanes.AVAILABLE
    assert ("SIMD lanes" in md5_lanes.NOTE) == md5_lanes.AVAILABLE
    if md5_lanes.AVAILABLE:
        assert KERNELS[-1] in md5_lanes.NOTE


def test_the_module_is_built_from_the_source_beside_it() -> None:
    # The extension is optional: a source that no longer compiles leaves the old build in place without a
    # word, and the tests would check that old build. (It happened once.)
    source = Path(md5_lanes.__file__).with_name("_multimd5.c")
    built = Path(str(_multimd5.__file__))
    if source.exists():  # an installed package carries only the build
        assert built.stat().st_mtime >= source.stat().st_mtime, "stale build: run `pip install -e .` again"


def test_an_unknown_kernel_is_refused() -> None:
    with pytest.raises(ValueError, match="no kernel avx1024"):
        _multimd5.update_many([(_multimd5.Md5(), b"x")], kernel="avx1024")


def test_the_self_test_catches_a_wrong_md5() -> None:
    class WrongState:
        def __init__(self) -> None:
            self.data = b""

        def digest(self) -> bytes:
            return _md5(self.data + (b"!" if len(self.data) == 65 else b""))

    def update_many(pairs: list[tuple[WrongState, bytes]], kernel: str | None = None) -> None:
        for state, data in pairs:
            state.data += bytes(data)

    assert self_test(_multimd5) is None
    broken = ModuleType("broken")
    broken.Md5 = WrongState  # type: ignore[attr-defined]
    broken.update_many = update_many  # type: ignore[attr-defined]
    broken.KERNELS = ("fast",)  # type: ignore[attr-defined]
    assert self_test(broken) == "its fast MD5 of a 65-byte message differs from RFC 1321/hashlib"


needs_lanes = pytest.mark.skipif(not md5_lanes.AVAILABLE, reason=md5_lanes.NOTE)


@needs_lanes
def test_an_arena_flushes_when_full_and_keeps_each_files_parts_in_order() -> None:
    rng = random.Random(11)
    files = [rng.randbytes(rng.randrange(0, 5_000)) for _ in range(60)]
    lanes = Md5Lanes(arena_bytes=4096, chunk=1024)
    got: dict[int, bytes] = {}
    for i, data in enumerate(files):
        state = lanes.start()
        stream = io.BytesIO(data)
        while True:
            view = lanes.buffer()
            # Short reads, as some streams give: a file's parts land in the arena between other files'.
            n = stream.readinto(view[: rng.randrange(1, 1025)])
            if not n:
                break
            lanes.add(state, view[:n])
        lanes.deliver(state, functools.partial(got.__setitem__, i))
    lanes.flush()
    assert got == {i: _md5(data) for i, data in enumerate(files)}


@needs_lanes
def test_reset_forgets_files_not_flushed() -> None:
    lanes = Md5Lanes(arena_bytes=4096, chunk=1024)
    state = lanes.start()
    lanes.add(state, lanes.buffer()[:10])

    def delivered(digest: bytes) -> None:
        pytest.fail("a reset file must not be delivered")

    lanes.deliver(state, delivered)
    lanes.reset()
    lanes.flush()


class _ShortReads(io.RawIOBase):
    """A stream that gives its bytes in small random pieces (as archive members and image readers may)."""

    def __init__(self, data: bytes, seed: int) -> None:
        self._data, self._at, self._rng = data, 0, random.Random(seed)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._rng.randrange(1, 70_000), len(self._data) - self._at)
        buffer[:n] = self._data[self._at : self._at + n]
        self._at += n
        return n


def _entry(name: str, data: bytes, *, seed: int, claimed_size: int | None = None) -> FileEntry:
    return FileEntry(
        address=Address(filesystem="directory", path=f"/{name}"),
        name=name,
        size=len(data) if claimed_size is None else claimed_size,
        opener=lambda: _ShortReads(data, seed),  # type: ignore[arg-type,return-value]
    )


@pytest.mark.parametrize("lanes", [True, False], ids=["lanes", "hashlib"])
def test_triage_digests_equal_hashlibs_for_files_of_every_kind_of_size(
    lanes: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if lanes and not md5_lanes.AVAILABLE:
        pytest.skip(md5_lanes.NOTE)
    monkeypatch.setattr(md5_lanes, "AVAILABLE", lanes)
    rng = random.Random(21)
    chunk = process.CHUNK
    sizes = [0, 1, 55, 56, 64, 65, chunk - 1, chunk, chunk + 1, 2 * chunk + 3]
    sizes += [int(10 ** rng.uniform(0, 6.3)) for _ in range(60)]
    datas = [rng.randbytes(n) for n in sizes]
    group = [(i, _entry(f"f{i}.bin", d, seed=i)) for i, d in enumerate(datas)]
    # A file system may state a wrong size: a "small" file that is really large still hashes right.
    liar = rng.randbytes(chunk + 100_000)
    group.append((len(group), _entry("liar.bin", liar, seed=99, claimed_size=10)))
    datas.append(liar)
    processor = EntryProcessor(1, TriageSettings(identify=False, pdq=False, exif=False), None)
    records = processor.process_group(group)
    assert [r.md5 for r in records] == [_md5(d) for d in datas]
    assert [r.sha1 for r in records] == [hashlib.sha1(d, usedforsecurity=False).digest() for d in datas]
    assert [r.sha256 for r in records] == [hashlib.sha256(d).digest() for d in datas]


@needs_lanes
def test_a_failed_group_leaves_the_threads_arena_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    processor = EntryProcessor(1, TriageSettings(identify=False, pdq=False, exif=False), None)

    def boom() -> Any:
        raise KeyboardInterrupt

    broken = FileEntry(address=Address(path="/boom"), name="boom", size=5, opener=boom)
    with pytest.raises(KeyboardInterrupt):
        processor.process_group([(0, _entry("a", b"abc", seed=1)), (1, broken)])
    [record] = processor.process_group([(0, _entry("b", b"xyz", seed=2))])
    assert record.md5 == _md5(b"xyz")
    assert processor._lanes() is not None
    assert processor._lanes()._pending == []  # type: ignore[union-attr]
