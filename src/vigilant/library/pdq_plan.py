"""Per-query search plans for the PDQ index: which buckets of which chunks to probe, and what that costs.

Generalised pigeonhole: give chunk *i* a radius r_i in {skip, 0, 1, 2}. If the radii satisfy
sum(r_i + 1) > threshold, any code within ``threshold`` of the query lies within r_i of it on some chunk i
(otherwise the chunk distances alone would add up past the threshold). The bucket sizes are known before
any code is read, so :class:`Planner` gives each query the cheapest such plan (the even plan where buckets
are even, a small dynamic program over the 16 chunks where they are not) and says when a flat scan of the
whole library would be cheaper still. :mod:`vigilant.library.pdq_index` carries the plans out.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from vigilant.library.pdq_format import BUCKETS, CHUNK_BITS, CHUNKS

# Probe masks in order of weight: the first 1, 17 and 137 are the balls of radius 0, 1 and 2.
MASKS: Final = np.array(
    [0]
    + [1 << i for i in range(CHUNK_BITS)]
    + [(1 << i) | (1 << j) for i in range(CHUNK_BITS) for j in range(i + 1, CHUNK_BITS)],
    dtype=np.int64,
)
BALL_SIZES: Final = np.array([1, 1 + CHUNK_BITS, 1 + CHUNK_BITS + CHUNK_BITS * (CHUNK_BITS - 1) // 2])
MAX_RADIUS: Final = 2
# The largest threshold a plan can cover: every chunk at radius 2 gives sum(r + 1) = 48 > 47.
MAX_PLANNED_THRESHOLD: Final = CHUNKS * (MAX_RADIUS + 1) - 1

# Cost model, in units of "one candidate compared" (~45 ns all told here; the random 32-byte gather of the
# candidate's code is the largest part).
# A probe (two offset look-ups and the bookkeeping to expand its bucket) costs about half of that. A flat
# scan (faiss, ~1.4 ns a code) costs about N/32 candidates; bench/pdq_bench.py measures both, and on
# clustered data 1/32 was the best of 1/20 .. 1/150.
_PROBE_COST: Final = 0.5
_FLAT_COST_PER_CODE: Final = 1 / 32
# A query's plan is optimised only when the even plan costs this much more than on evenly spread codes.
_REPLAN_FACTOR: Final = 1.5

I64Array = npt.NDArray[np.int64]
Radii = npt.NDArray[np.int8]
Costs = npt.NDArray[np.float64]


class Planner:
    """Plans for the queries of one index with bucket tables, from the sizes of its buckets."""

    def __init__(self, offsets: I64Array, count: int) -> None:
        """``offsets`` is the index's (16, 65,537) bucket starts, or (0, 65,537) when it has no tables."""
        self._count = count
        # How many codes each chunk value's ball of radius 0, 1, 2 holds: the plan's cost inputs.
        self.ball_counts = (
            np.zeros((MAX_RADIUS + 1, 0, 0), np.int32)
            if offsets.shape[0] == 0
            else _ball_counts(np.diff(offsets, axis=1))
        )
        self._even_cost: dict[int, float] = {}  # by threshold, see plan

    def plan(self, chunk_values: I64Array, threshold: int) -> tuple[Radii, Costs]:
        """Per query and chunk a radius (-1 = skip) with sum(radius + 1) > threshold, and the plan's cost.

        Most queries take the even plan (radius 1 everywhere for 31). Where uneven buckets make it cost
        more than it would on evenly spread codes, the cheapest plan is worked out instead: it costs ~10 us
        a query, too much to pay when the even plan is already as good as it gets.
        """
        chunk_index = np.arange(CHUNKS)
        # costs[q, c, r]: codes in the ball of radius r around query q's value of chunk c, plus its probes.
        costs = np.stack(
            [self.ball_counts[r][chunk_index, chunk_values] for r in range(MAX_RADIUS + 1)], axis=2
        ) + _PROBE_COST * BALL_SIZES.astype(np.float64)
        radius, cost = _even_plan(costs, threshold)
        expected = self._even_cost.get(threshold)
        if expected is None:
            # What the even plan costs where codes spread evenly over the buckets (random codes).
            spread = BALL_SIZES * (self._count / BUCKETS + _PROBE_COST)
            uniform = np.broadcast_to(spread, (1, CHUNKS, MAX_RADIUS + 1))
            expected = self._even_cost[threshold] = float(_even_plan(uniform, threshold)[1][0])
        uneven = np.flatnonzero(cost > _REPLAN_FACTOR * expected)
        if len(uneven):
            radius[uneven], cost[uneven] = _cheapest_plan(costs[uneven], threshold)
        return radius, cost

    def prefers_flat(self, cost: Costs) -> npt.NDArray[np.bool_]:
        """Which queries a flat scan of the whole library answers for less than their plan."""
        cheaper: npt.NDArray[np.bool_] = cost > _FLAT_COST_PER_CODE * self._count
        return cheaper

    def candidates(self, chunk_values: I64Array, radius: Radii) -> I64Array:
        """Exact candidate count of each query's plan (``radius`` as :meth:`plan` gave it)."""
        chunk_index = np.arange(CHUNKS)
        planned = np.zeros(len(chunk_values), np.int64)
        for r in range(MAX_RADIUS + 1):
            sizes = self.ball_counts[r][chunk_index, chunk_values]
            planned += np.where(radius == r, sizes, 0).sum(axis=1)
        return planned


def _even_plan(costs: Costs, threshold: int) -> tuple[Radii, Costs]:
    """Radii as equal as can be: each chunk gets need // 16 - 1, and the need % 16 chunks where one more
    costs least get one more (need = threshold + 1). ``costs`` is (queries, chunks, radius)."""
    base, extra = divmod(threshold + 1, CHUNKS)
    radius = np.full(costs.shape[:2], base - 1, np.int8)
    if extra:
        below = costs[:, :, base - 1] if base else np.zeros(costs.shape[:2])
        cheapest = np.argsort(costs[:, :, base] - below, axis=1, kind="stable")[:, :extra]
        np.put_along_axis(radius, cheapest, np.int8(base), axis=1)
    return radius, _plan_cost(costs, radius)


def _cheapest_plan(costs: Costs, threshold: int) -> tuple[Radii, Costs]:
    """The least-cost radii, by a dynamic program over the chunks vectorised over queries.

    ``best[q, w]`` is the least cost of covering weight ``w`` (sum of radius + 1) with the chunks seen so
    far; skipping a chunk covers nothing and costs nothing. ``costs`` is (queries, chunks, radius).
    """
    queries = len(costs)
    need = threshold + 1
    weights = np.arange(need + 1)
    best = np.full((queries, need + 1), np.inf)
    best[:, 0] = 0.0
    choices = np.empty((CHUNKS, queries, need + 1), np.int8)
    for chunk in range(CHUNKS):
        new = best.copy()
        choice = np.full((queries, need + 1), -1, np.int8)
        for r in range(MAX_RADIUS + 1):
            covered = best[:, np.maximum(weights - (r + 1), 0)] + costs[:, chunk, r, np.newaxis]
            better = covered < new
            np.copyto(new, covered, where=better)
            choice[better] = r
        best = new
        choices[chunk] = choice
    radius = np.empty((queries, CHUNKS), np.int8)
    rows = np.arange(queries)
    remaining = np.full(queries, need)
    for chunk in range(CHUNKS - 1, -1, -1):
        picked = choices[chunk, rows, remaining]
        radius[:, chunk] = picked
        remaining = np.maximum(remaining - (picked.astype(np.int64) + 1), 0)
    return radius, best[:, need]


def _plan_cost(costs: Costs, radius: Radii) -> Costs:
    chosen = np.take_along_axis(costs, np.maximum(radius, 0)[:, :, np.newaxis].astype(np.intp), axis=2)[
        :, :, 0
    ]
    total: Costs = np.where(radius >= 0, chosen, 0.0).sum(axis=1)
    return total


def _ball_counts(sizes: I64Array) -> npt.NDArray[np.int32]:
    """(3, 16, 65536): codes within radius 0, 1, 2 of each chunk value.

    Flipping bit b of the value is reversing one axis of a reshaped view, so a radius-1 sum is 16 strided
    adds. For radius 2: with S = sum of the 16 single flips, S·S = 16·I + 2·(sum over pairs), so
    ball2 = ball0 + S·x + (S·S·x - 16·x) / 2, exactly, in integers.
    """

    def flips(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        total = np.zeros_like(values)
        for bit in range(CHUNK_BITS):
            shaped = values.reshape(CHUNKS, BUCKETS >> (bit + 1), 2, 1 << bit)
            total += shaped[:, :, ::-1, :].reshape(CHUNKS, BUCKETS)
        return total

    ball0 = sizes.astype(np.int64)
    once = flips(ball0)
    twice = flips(once)
    # int32: a ball holds at most N < 2**28 codes, and half the memory of int64.
    return np.stack([ball0, ball0 + once, ball0 + once + (twice - CHUNK_BITS * ball0) // 2]).astype(np.int32)
