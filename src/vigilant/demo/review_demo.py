"""The demo laptop's unknown pictures in a review queue, in stacks, and the material statistics a release
would quote, from a few decisions the demo records as an examiner (demo decisions on generated, benign
pictures: they show how the figures are computed, not what any picture shows)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vigilant.demo.operation import GENERATOR
from vigilant.review.context import ReviewContext
from vigilant.review.decisions import Decision, Victim, decide
from vigilant.review.outputs import MaterialFigures, figures
from vigilant.review.queue import QueueFilter, StackSummary, SyncResult, queue, stacks, sync
from vigilant.review.scope import Scope
from vigilant.security.rights import Actor
from vigilant.security.secretbox import SecretBox
from vigilant.store import Database

EXAMINER = Actor.cli(f"{GENERATOR}-examiner", roles={"examiner"})
# One demo decision per stack, highest priority first: a series, its victims depicted, sexual assault or not.
DEMO_DECISIONS = (
    Decision("1", series="Demo review series 1", new_series=True,
             victims=(Victim("under-12", "female"),), sexual_assault=True),
    Decision("1", series="Demo review series 2", new_series=True,
             victims=(Victim("under-12", "female"), Victim("12-17", "male"))),
)  # fmt: skip


@dataclass(frozen=True)
class ReviewFindings:
    run_id: int
    synced: SyncResult
    stacks: list[StackSummary]
    decided_stacks: int
    figures: MaterialFigures

    def lines(self) -> Iterator[str]:
        multi = sum(1 for x in self.stacks if x.size > 1)
        yield (
            f"Run {self.run_id}: {self.synced.items_total} pictures to review in {len(self.stacks)} stacks "
            f"({multi} holding near-duplicates: "
            + ", ".join(str(x.size) for x in self.stacks if x.size > 1)
            + " pictures)"
        )
        yield (
            f"Material statistics from {self.decided_stacks} DEMO decisions recorded by "
            f"{EXAMINER.username} (generated pictures, decided only to show the figures):"
        )
        for line in self.figures.lines():
            yield f"  {line}"


def review_demo(db: Database, box: SecretBox, run_id: int) -> ReviewFindings:
    """Queue the run's pictures, decide the first stacks as the demo examiner, and compute the figures."""
    ctx = ReviewContext(db, box)
    synced = sync(ctx, EXAMINER, run_id)
    scope = Scope(run_id=run_id)
    # The largest stacks first: one decision settles each of them whole.
    heads = sorted(queue(ctx, EXAMINER, scope, QueueFilter()).rows, key=lambda r: (-r.stack_size, r.item.id))
    decided = 0
    for head, decision in zip(heads, DEMO_DECISIONS, strict=False):
        decide(ctx, EXAMINER, head.item.id, decision, whole_stack=True)
        decided += 1
    return ReviewFindings(
        run_id, synced, stacks(ctx, EXAMINER, scope), decided, figures(ctx, EXAMINER, scope)
    )
