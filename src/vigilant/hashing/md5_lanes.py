"""MD5 of many files together, several at a time in SIMD lanes (the C module ``_multimd5``).

Triage reads each file once and feeds the bytes to MD5, SHA-1 and SHA-256. SHA-1 and SHA-256 go straight
to hashlib (SHA-NI: ~1.7 GB/s a core); MD5, at ~0.7 GB/s the slowest of the three, waits: the chunks a
thread reads (small files one after another, large ones side by side) go into one arena, and when it is
full (or the thread's group of files is done) their MD5s are computed together, eight files per instruction
stream: ~3.3 GB/s a core with AVX2, ~4.1 with AVX-512VL's ternary logic and rotate. Same digests: every
kernel is checked against RFC 1321's test vectors and hashlib on every start, and none is used if any
differs.

Where the module is not built, the CPU has no AVX2, or the self-test fails, :data:`AVAILABLE` is False and
:data:`NOTE` says why; triage then uses hashlib's MD5 for every file.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vigilant.hashing._multimd5 import Md5

MiB = 1 << 20

# RFC 1321, appendix A.5.
RFC1321_VECTORS = {
    b"": "d41d8cd98f00b204e9800998ecf8427e",
    b"a": "0cc175b9c0f1b6a831c399e269772661",
    b"abc": "900150983cd24fb0d6963f7d28e17f72",
    b"message digest": "f96b697d7cb7938d525a2f31aaf161d0",
    b"abcdefghijklmnopqrstuvwxyz": "c3fcd3d76192e4007dfb496cca67e13b",
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789": "d174ab98d277d9f5a5611c2c9f419d9f",
    b"1234567890" * 8: "57edf4a22be3c955ac49da2e2107b67a",
}


def self_test(module: ModuleType) -> str | None:
    """None if ``module`` computes MD5 as RFC 1321 and hashlib do, in lanes and alone; else why not."""
    rng = random.Random(1321)
    lengths = (55, 56, 63, 64, 65, 127, 128, 4097, 70_001)
    messages = list(RFC1321_VECTORS) + [rng.randbytes(n) for n in lengths]
    for kernel in module.KERNELS:
        states = [module.Md5() for _ in messages]
        module.update_many(list(zip(states, messages, strict=True)), kernel=kernel)
        for state, message in zip(states, messages, strict=True):
            expected = RFC1321_VECTORS.get(message)
            if expected is None:
                expected = hashlib.md5(message, usedforsecurity=False).hexdigest()
            if state.digest().hex() != expected:
                return f"its {kernel} MD5 of a {len(message)}-byte message differs from RFC 1321/hashlib"
    return None


def _load() -> tuple[ModuleType | None, str]:
    try:
        from vigilant.hashing import _multimd5  # noqa: PLC0415 - optional, built from C at install
    except ImportError as exc:
        return None, f"hashlib MD5 (the multi-lane module is not built: {exc})"
    if _multimd5.LANES < 2:
        return None, "hashlib MD5 (this CPU has no AVX2 for the multi-lane module)"
    problem = self_test(_multimd5)
    if problem is not None:
        return None, f"hashlib MD5 (the multi-lane module failed its self-test: {problem})"
    lanes, kernel = _multimd5.LANES, _multimd5.KERNELS[-1]
    return (
        _multimd5,
        f"MD5 in {lanes} SIMD lanes ({kernel}; vigilant.hashing._multimd5, self-tested against RFC 1321)",
    )


_MODULE, NOTE = _load()
AVAILABLE = _MODULE is not None


class Md5Lanes:
    """One thread's arena: files read into it one after another, their MD5s computed together.

    For each file: ``state = lanes.start()``; before each read ``view = lanes.buffer()``, after it
    ``lanes.add(state, view[:n])``; at the end ``lanes.deliver(state, callback)``. The callback gets the
    digest when the arena is flushed: when it is full, or on :meth:`flush` (call it before using results).
    """

    def __init__(self, arena_bytes: int, chunk: int) -> None:
        if _MODULE is None:
            raise RuntimeError(NOTE)
        if arena_bytes < chunk:
            raise ValueError("the arena must hold at least one chunk")
        self._module = _MODULE
        self.chunk = chunk
        self.width: int = _MODULE.LANES  # messages hashed side by side
        self._arena = memoryview(bytearray(arena_bytes))
        self._used = 0
        self._pending: list[tuple[Md5, memoryview]] = []
        self._waiting: list[tuple[Md5, Callable[[bytes], None]]] = []

    def start(self) -> Md5:
        state: Md5 = self._module.Md5()
        return state

    def buffer(self) -> memoryview:
        """Where to read a file's next ``chunk`` bytes."""
        if self._used + self.chunk > len(self._arena):
            self.flush()
        return self._arena[self._used : self._used + self.chunk]

    def add(self, state: Md5, part: memoryview) -> None:
        """``part``: the bytes just read into the last buffer given."""
        if len(part):
            self._pending.append((state, part))
            self._used += len(part)

    def deliver(self, state: Md5, callback: Callable[[bytes], None]) -> None:
        self._waiting.append((state, callback))

    def flush(self) -> None:
        # A file read in several parts has them hashed in order, one round each: a round never holds two
        # parts of one file (the lanes hash their pairs side by side).
        rounds: list[list[tuple[Md5, memoryview]]] = []
        seen: dict[int, int] = {}
        for state, part in self._pending:
            n = seen[id(state)] = seen.get(id(state), -1) + 1
            if n == len(rounds):
                rounds.append([])
            rounds[n].append((state, part))
        for pairs in rounds:
            self._module.update_many(pairs)
        waiting = self._waiting
        self.reset()
        for state, callback in waiting:
            callback(state.digest())

    def reset(self) -> None:
        """Forget every file not flushed yet (after a failure: their records are not used)."""
        self._pending, self._waiting = [], []
        self._used = 0
