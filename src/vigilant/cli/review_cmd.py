"""``vigilant review …``: the review queue of a triage run, its stacks, the VICS export of the decisions,
promoting reviewed material to the library, and the material figures. Categorising and revealing happen in
the web pages (keyboard first, blurred by default); the CLI never shows material."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vigilant.cli.common import (
    JsonOpt,
    console,
    console_err,
    database,
    local_actor,
    output_stream,
    print_listing,
    settings,
)
from vigilant.review.classifier import installed_classifier
from vigilant.review.classify import classify_run
from vigilant.review.context import ReviewContext
from vigilant.review.outputs import export_vics, figures, promote
from vigilant.review.profiles import REVIEW_PROFILES
from vigilant.review.queue import QueueFilter, progress, queue, stacks, sync
from vigilant.review.scope import Scope
from vigilant.review.wellness import Limits, set_limits
from vigilant.security.secretbox import SecretBox

app = typer.Typer(
    help="Review: the queue of unknown pictures and videos, stacks, export, promote, figures, limits.",
    no_args_is_help=True,
)

RunOpt = Annotated[int | None, typer.Option("--run", help="Only this triage run.")]
EvidenceOpt = Annotated[int | None, typer.Option("--evidence", help="Only this evidence item.")]
CaseOpt = Annotated[str | None, typer.Option("--case", help="Only the evidence of this case number.")]
OperationOpt = Annotated[
    int | None, typer.Option("--operation", help="Only the cases of this operation (id).")
]


ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help=f"Category codes to write: {', '.join(REVIEW_PROFILES)} (default: the decisions' profile).",
    ),
]


def _context(*, classify: bool = False) -> ReviewContext:
    # The classifier (the optional extra) is loaded only by the commands that order the queue.
    scorer = installed_classifier().scorer if classify else None
    return ReviewContext(database(), SecretBox.from_settings(settings()), classifier=scorer)


def _scope(run: int | None, evidence: int | None, case: str | None, operation: int | None) -> Scope:
    return Scope(run_id=run, evidence_id=evidence, case_number=case, operation_id=operation)


@app.command("queue")
def queue_cmd(
    run_id: Annotated[int, typer.Argument(help="The triage run (finished or still running).")],
    status: Annotated[str, typer.Option(help="open (undecided), decided or all.")] = "open",
    kind: Annotated[str | None, typer.Option(help="picture or video.")] = None,
    near: Annotated[bool, typer.Option("--near", help="Only items near known material.")] = False,
    seized: Annotated[bool, typer.Option("--seized", help="Only pictures from a seized camera.")] = False,
    every_item: Annotated[bool, typer.Option("--every-item", help="Every item, not one per stack.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Bring a run's review queue up to date (new batches, thumbnails, stacks) and list it, highest priority
    first, with the factors behind each item's place."""
    ctx, actor = _context(classify=True), local_actor()
    done = sync(ctx, actor, run_id)
    if not as_json:
        console_err.print(
            f"run {run_id} ({done.run_status}): {done.batches_read} new batch(es) read,"
            f" {done.items_added} item(s) added, {done.items_total} in the queue, {done.stacks} stack(s);"
            f" {installed_classifier().note}"
        )
    f = QueueFilter(status=status, kind=kind, near_only=near, seized_only=seized, stacks_only=not every_item)
    page = queue(ctx, actor, Scope(run_id=run_id), f, limit=limit)
    rows: list[dict[str, Any]] = [
        {
            "item": r.item.id,
            "priority": r.item.priority,
            "kind": r.item.kind,
            "stack": r.item.stack_id,
            "stack_size": r.stack_size,
            "address": r.item.address,
            "why": "; ".join(f"{x['detail']} (+{x['points']})" for x in r.reasons),
            "decision": r.decision.category if r.decision else None,
        }
        for r in page.rows
    ]
    print_listing(rows, as_json=as_json, title=f"Review queue of run {run_id}", empty="nothing to review")


@app.command("classify")
def classify_cmd(
    run_id: Annotated[int, typer.Argument(help="The triage run whose queued pictures to score.")],
    as_json: JsonOpt = False,
) -> None:
    """Score a run's queued pictures with the optional classifier (pip install 'vigilant[classifier]'), for
    pictures queued before it was installed: the score only orders the queue, it never decides."""
    done = classify_run(_context(classify=True), local_actor(), run_id)
    rows = [{"run": done.run_id, "classifier": done.classifier, "scored": done.scored,
             "already": done.already, "failed": len(done.failed)}]  # fmt: skip
    print_listing(rows, as_json=as_json, title="Classified")
    for line in done.failed:
        console_err.print(line)


@app.command("stacks")
def stacks_cmd(
    run: RunOpt = None,
    evidence: EvidenceOpt = None,
    case: CaseOpt = None,
    operation: OperationOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Near-duplicate stacks (PDQ distance 31, rotations and flips included), highest priority first."""
    ctx, actor = _context(), local_actor()
    scope = _scope(run, evidence, case, operation)
    rows = [
        {"stack": s.stack_id, "items": s.size, "decided": s.decided, "priority": s.priority, "kind": s.kind}
        for s in stacks(ctx, actor, scope)
    ]
    print_listing(rows, as_json=as_json, title=f"Stacks of {scope.describe()}", empty="no stacks")
    if not as_json:
        done = progress(ctx, actor, scope)
        who = ", ".join(f"{p.examiner} {p.decided}" for p in done.by_examiner) or "nobody yet"
        console.print(f"{done.decided} of {done.items} items decided ({who})")


@app.command("export")
def export_cmd(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write ('-' or none: stdout).")
    ] = None,
    run: RunOpt = None,
    evidence: EvidenceOpt = None,
    case: CaseOpt = None,
    operation: OperationOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Write the review decisions as Project VIC VICS 2.0 JSON (hashes, category, series, flags as tags) in
    their profile's codes: vic-us (region US), caid-uk (UK), dhs (CUSTOM: import it with --profile dhs)."""
    ctx, actor = _context(), local_actor()
    to_file = output is not None and str(output) != "-"
    with output_stream(output) as out:
        written = export_vics(ctx, actor, _scope(run, evidence, case, operation), out,
                              destination=str(output) if to_file else "stdout", profile=profile)  # fmt: skip
    if to_file:
        console_err.print(f"wrote {written} media to {output}")


@app.command("promote")
def promote_cmd(
    name: Annotated[str, typer.Option("--name", help="The known-bad set to add a version to.")],
    version: Annotated[str | None, typer.Option(help="Default: the set's next number.")] = None,
    run: RunOpt = None,
    evidence: EvidenceOpt = None,
    case: CaseOpt = None,
    operation: OperationOpt = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import the material decided as abuse (or exploitive) as a new version of a known-bad set, with its
    provenance, so the next triage finds it by hash and PDQ. An existing set keeps its profile's codes."""
    ctx, actor = _context(), local_actor()
    scope = _scope(run, evidence, case, operation)
    report = promote(ctx, actor, scope, name=name, version=version, profile=profile)
    info = report.hash_set
    rows = [
        {
            "set": info.id if info else None,
            "name": info.name if info else name,
            "version": info.version if info else version,
            "entries": report.rows_taken,
            "already_imported": report.already_imported,
            "source": info.source if info else None,
        }
    ]
    print_listing(rows, as_json=as_json, title="Promoted")


@app.command("stats")
def stats_cmd(
    run: RunOpt = None,
    evidence: EvidenceOpt = None,
    case: CaseOpt = None,
    operation: OperationOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The material figures from the decisions: unique series, victims depicted, the shares under 12, by sex
    and with sexual assault, with the counts behind each. Nobody is named."""
    found = figures(_context(), local_actor(), _scope(run, evidence, case, operation))
    if as_json:
        print_listing([found.as_dict()], as_json=True)
        return
    for line in found.lines():
        console.print(line)


@app.command("limits")
def limits_cmd(
    agency: Annotated[int, typer.Argument(help="The unit (agency id) whose limits to set.")],
    reveals: Annotated[
        int, typer.Option(min=0, max=10_000, help="Items an examiner may reveal a day.")
    ] = 100,
    minutes: Annotated[int, typer.Option(min=1, max=1440, help="Minutes in review a day.")] = 240,
    reveal_seconds: Annotated[int, typer.Option(min=5, max=600, help="How long a reveal lasts.")] = 30,
    break_every: Annotated[
        int, typer.Option(min=5, max=480, help="Minutes of review before a break prompt.")
    ] = 45,
    as_json: JsonOpt = False,
) -> None:
    """Set a unit's exposure limits for its examiners (reveals and minutes a day, reveal time, breaks)."""
    chosen = Limits(reveals, minutes, reveal_seconds, break_every)
    set_limits(_context(), local_actor(), agency, chosen)
    print_listing([{"agency": agency, **chosen.__dict__}], as_json=as_json, title="Review limits")
