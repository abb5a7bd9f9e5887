"""Stacking checked against its brute-force oracle, on clustered codes like real near-duplicates."""

from __future__ import annotations

import random

from vigilant.review.stacks import naive_stack_ids, stack_ids


def _flip(code: bytes, bits: int, rng: random.Random) -> bytes:
    value = int.from_bytes(code, "big")
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return value.to_bytes(32, "big")


def test_stacks_equal_the_pairwise_oracle() -> None:
    rng = random.Random(14)
    codes: list[bytes | None] = []
    for _ in range(40):  # 40 families of near copies, 1-6 members each, some at the edge of the distance
        base = rng.randbytes(32)
        for _ in range(rng.randrange(1, 7)):
            codes.append(_flip(base, rng.choice([0, 5, 15, 28, 31, 32, 40]), rng))
    codes += [None, None]  # no usable hash: a stack alone
    ids = [1000 + i * 3 for i in range(len(codes))]
    dihedral: list[bytes | None] = [None] * len(codes)
    # One picture searched with "rotations" of its own: the last of them equal to another family's code.
    dihedral[0] = b"".join([codes[0] or b""] * 7 + [codes[-3] or b""])
    got = stack_ids(ids, codes, dihedral)
    assert got == naive_stack_ids(ids, codes, dihedral)
    assert got[ids[-1]] == ids[-1]
    assert got[ids[0]] == got[ids[len(codes) - 3]]  # joined through its dihedral hash
    assert len(set(got.values())) > 40  # families at distance 32+ split


def test_a_chain_of_near_copies_is_one_stack() -> None:
    rng = random.Random(7)
    chain = [rng.randbytes(32)]
    for _ in range(9):
        chain.append(_flip(chain[-1], 20, rng))  # each 20 bits from the last: the ends far apart
    ids = list(range(10, 20))
    got = stack_ids(ids, list(chain), [None] * 10)
    assert set(got.values()) == {10}
