"""``vigilant audit …``: verify the hash chain, search the log.

Runs as the server's administrative face (see ``users_cmd``): the OS user in ``VIGILANT_USER`` acts with
the admin role, and every search is itself written to the log.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vigilant.cli.common import console, console_err, database, settings, vigilant
from vigilant.errors import BadInputError, ConflictError, ExitCode

app = typer.Typer(
    help="The audit log: verify its hash chain, anchor it outside the database, search it.",
    no_args_is_help=True,
)


def _utc(text: str, option: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInputError(f"{option}: not an ISO date or time: {text!r}", hint="e.g. 2026-03-01") from None
    # A bare date or a time without zone is taken as UTC: the log keeps every time in UTC.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@app.command("verify")
def verify(
    anchor: Annotated[
        list[Path] | None,
        typer.Option(
            "--anchor",
            help="An anchor file from `vigilant audit anchor`: the chain must still hold its event unchanged "
            "(catches a chain rewritten with recomputed hashes). Repeatable.",
        ),
    ] = None,
) -> None:
    """Check the audit hash chain (and anchors): exit 0 when intact, 5 with the first broken seq otherwise."""
    from vigilant.security.audit import verify_chain
    from vigilant.security.audit_anchor import Anchor, check_anchor
    from vigilant.security.rights import Actor

    anchors = [(path, Anchor.read(path)) for path in anchor or []]  # bad files: exit 4 before any reading
    report = verify_chain(database())
    if not report.ok:
        console_err.print(
            f"[bold red]audit chain broken at seq {report.broken_seq}:[/] {report.reason} "
            f"({report.events} events verified before it)"
        )
        raise typer.Exit(int(ExitCode.CONFLICT))
    log, admin, now = vigilant().audit, Actor.cli(settings().user), datetime.now(UTC)
    problems = [(path, problem) for path, a in anchors if (problem := check_anchor(log, admin, a, now=now))]
    for path, problem in problems:
        console_err.print(f"[bold red]anchor {path}:[/] {problem}", highlight=False)
    if problems:
        raise typer.Exit(int(ExitCode.CONFLICT))
    held = f"; {len(anchors)} anchor(s) held" if anchors else ""
    console.print(f"audit chain intact: {report.events} events, head seq {report.head_seq}{held}")


@app.command("anchor")
def anchor_cmd(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the anchor to this new file (default: print)."),
    ] = None,
    note: Annotated[
        str | None, typer.Option(help="Where the anchor will be kept (recorded in the audit event).")
    ] = None,
) -> None:
    """Take an anchor of the audit chain (its newest event, recorded as `audit.anchored`) to keep outside
    the database; `vigilant audit verify --anchor FILE` checks the chain still holds it."""
    from vigilant.security.audit_anchor import take_anchor
    from vigilant.security.rights import Actor

    if output is not None and output.exists():
        raise ConflictError(f"{output} exists: an anchor is never overwritten", hint="choose a new file name")
    if output is not None and not output.parent.is_dir():
        raise BadInputError(
            f"{output.parent} is not a folder", hint="write the anchor into an existing folder"
        )
    taken = take_anchor(vigilant().audit, Actor.cli(settings().user), now=datetime.now(UTC), note=note)
    text = json.dumps(taken.to_json(), indent=2) + "\n"
    if output is None:
        print(text, end="")
        return
    with output.open("x", encoding="utf-8") as fh:
        fh.write(text)
    console.print(f"anchor of audit event {taken.seq} written to {output}: keep it outside the database")


@app.command("search")
def search(
    actor: Annotated[str | None, typer.Option(help="Only events by this username.")] = None,
    action: Annotated[str | None, typer.Option(help="Action, or its prefix: login, login.failed…")] = None,
    since: Annotated[str | None, typer.Option(help="From this UTC date or time (ISO).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this UTC date or time (ISO).")] = None,
    case: Annotated[str | None, typer.Option(help="Only events about this case.")] = None,
    outcome: Annotated[str | None, typer.Option(help="success, failure or denied.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events (newest first, max 1000).")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Search the audit log (newest first); the search itself is audited."""
    from vigilant.security.audit import records
    from vigilant.security.rights import Actor

    found = vigilant().audit.search(
        Actor.cli(settings().user),
        now=datetime.now(UTC),
        by=actor,
        action=action,
        since=_utc(since, "--since") if since else None,
        until=_utc(until, "--until") if until else None,
        case_ref=case,
        outcome=outcome,
        limit=limit,
    )
    if as_json:
        print(json.dumps(records(found), indent=2, ensure_ascii=False))
        return
    table = Table("seq", "at (UTC)", "actor", "action", "outcome", "object", "case", "source")
    for e in found:
        obj = f"{e.object_type or ''} {e.object_id or ''}".strip()
        at = e.at.isoformat(timespec="seconds")
        table.add_row(str(e.seq), at, e.actor, e.action, e.outcome, obj, e.case_ref or "", e.source or "")
    console.print(table)
