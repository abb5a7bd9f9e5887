"""``vigilant registry …``: the offender registry (import, show, due, sweep, export, alerts, report, verify).

The proximity, cross-check and vulnerable-sector commands (``near``, ``check``, ``vsc``) join this same app
from their own modules; :func:`registry_actor` and the options below are for them too. The caller is the
server's administrator unless ``--agency`` (or VIGILANT_AGENCY) names an agency, then a member of it in the
``--role`` given (registry officer by default), scoped as a user of the web would be.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from vigilant.cli.common import JsonOpt, console, console_err, database, print_listing, settings
from vigilant.errors import ExitCode

if TYPE_CHECKING:
    from vigilant.registry.rules import RuleSet
    from vigilant.registry.service import Summary
    from vigilant.security.rights import Actor

E = TypeVar("E", bound=StrEnum)

app = typer.Typer(
    help="The offender registry: registrants, compliance, the daily sweep, proximity and checks.",
    no_args_is_help=True,
)

AgencyOpt = Annotated[
    str | None,
    typer.Option(
        "--agency", help="Act for this agency (short name; default $VIGILANT_AGENCY, else as admin)."
    ),
]
RoleOpt = Annotated[
    list[str] | None,
    typer.Option("--role", help="Your role with --agency; repeatable (default registry_officer)."),
]
PurposeOpt = Annotated[
    str | None, typer.Option("--purpose", help="Why you look (recorded; required of an investigator).")
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="The day to judge compliance on, YYYY-MM-DD (today).")
]


def registry_actor(agency: str | None, roles: list[str] | None) -> Actor:
    """The caller: a member of ``agency`` in ``roles``, or the server's administrator without one."""
    from vigilant.cases.agencies import get_agency
    from vigilant.security.rights import Actor, Role, parse_roles

    user = settings().user
    ref = agency or os.environ.get("VIGILANT_AGENCY")
    if not ref:
        return Actor(user_id=None, username=user, roles=frozenset({Role.ADMIN}), agency_id=None, source="cli")
    agency_id = get_agency(database(), ref).id
    chosen = parse_roles(roles or [Role.REGISTRY_OFFICER.value])
    return Actor(user_id=None, username=user, roles=chosen, agency_id=agency_id, source="cli")


def installation_rules() -> RuleSet:
    from vigilant.registry.rules import rule_set

    return rule_set(settings().registry_rules)


def _day(text: str | None) -> date:
    from vigilant.registry.errors import RegistryError

    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RegistryError(f"{text!r} is not a day", hint="write it as YYYY-MM-DD") from None


def _choice(kind: type[E], text: str, what: str) -> E:
    from vigilant.registry.errors import RegistryError

    try:
        return kind(text.strip().lower())
    except ValueError:
        raise RegistryError(f"unknown {what} {text!r}", hint=f"use one of {', '.join(kind)}") from None


def _summary_row(x: Summary) -> dict[str, Any]:
    c = x.compliance
    return {
        "registry_number": x.registry_number,
        "name": x.name,
        "date_of_birth": x.date_of_birth,
        "office": x.office,
        "area": x.area,
        "status": c.status.value,
        "next_due": c.next_due,
        "rule": c.rule,
        "reason": c.reason,
    }


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .jsonl or .csv file.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl or csv (default: from the name).")
    ] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Import registrants (docs/registry.md); bad rows are refused with their line numbers, exit code 6."""
    from vigilant.registry.importer import import_registrants

    report = import_registrants(database(), registry_actor(agency, role), path, fmt=fmt)
    result = report.as_dict()
    if as_json:
        print_listing([result], as_json=True)
    else:
        console.print(
            f"{path.name}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.refused)} refused"
        )
        for problem in report.refused[:50]:
            console_err.print(f"line {problem.line}: {problem.message}", highlight=False, markup=False)
    return int(ExitCode.PARTIAL if report.refused else ExitCode.OK)


@app.command("show")
def show(
    registrant: Annotated[str, typer.Argument(help="Registry number (or registrant id).")],
    as_of: AsOfOpt = None,
    purpose: PurposeOpt = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One registrant: status, next due date and its rule, addresses and timeline (audited)."""
    from vigilant.registry.service import show as show_registrant

    view = show_registrant(
        database(), registry_actor(agency, role), registrant, rules=installation_rules(), as_of=_day(as_of),
        purpose=purpose,
    )  # fmt: skip
    if as_json:
        data = {
            **_summary_row(view.summary),
            "as_of": view.summary.compliance.as_of,
            "order_ends_on": view.summary.compliance.order_ends_on,
            "record": view.record.model_dump(mode="json", exclude_none=True),
            "timeline": [{"day": e.day, "kind": e.kind, "text": e.text} for e in view.timeline],
        }
        print_listing([data], as_json=True)
        return
    row = _summary_row(view.summary)
    for key in ("registry_number", "name", "date_of_birth", "office", "area", "status", "next_due", "rule"):
        console.print(f"[bold]{key.replace('_', ' ')}:[/] {row[key] if row[key] is not None else '—'}")
    print_listing(
        [{"day": e.day, "kind": e.kind, "what": e.text} for e in view.timeline],
        as_json=False,
        title="timeline",
        empty="no history",
    )


@app.command("due")
def due(
    as_of: AsOfOpt = None,
    office: Annotated[str | None, typer.Option(help="Only this registry office (agency short name).")] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="Statuses to list; repeatable (default due_soon, non_compliant).")
    ] = None,
    purpose: PurposeOpt = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrants due soon or non-compliant as of a day (default: the last sweep's), soonest due first."""
    from vigilant.registry.compliance import Status
    from vigilant.registry.service import DUE, basis
    from vigilant.registry.service import due as due_list

    statuses = [_choice(Status, s, "status") for s in status] if status else list(DUE)
    db, rules = database(), installation_rules()
    # Without --as-of, the last sweep's day: its stored statuses, those changed since recomputed.
    day = basis(db, rules=rules, as_of=_day(as_of) if as_of else None, today=date.today())
    found = due_list(
        db, registry_actor(agency, role), rules=rules, as_of=day.as_of, statuses=statuses, office=office,
        purpose=purpose,
    )  # fmt: skip
    if not as_json:
        console_err.print(f"Statuses {day.label}.")
    print_listing(
        [_summary_row(x) for x in found],
        as_json=as_json,
        columns=["registry_number", "name", "office", "area", "status", "next_due", "rule"],
        empty="nobody is due",
    )


@app.command("sweep")
def sweep(
    as_of: AsOfOpt = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The daily compliance sweep: every registrant's status, an alert per missed deadline. Resumable: run
    it again after an interruption and it carries on from its last finished batch."""
    from vigilant.registry.sweep import sweep as run_sweep

    columns = (TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console_err, transient=True, disable=as_json) as bar:
        task = bar.add_task("sweep", total=None)
        state = run_sweep(
            database(), registry_actor(agency, role), rules=installation_rules(), as_of=_day(as_of),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    row = {
        "as_of": state.as_of, "rules": state.rules, "status": state.status, "registrants": state.done,
        "compliant": state.compliant, "due_soon": state.due_soon, "non_compliant": state.non_compliant,
        "order_ended": state.order_ended, "alerts_raised": state.alerts_raised,
    }  # fmt: skip
    print_listing([row], as_json=as_json)


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")
    ] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Export every registrant in the import format (audited: who, how many, where)."""
    from vigilant.registry.exporter import export_text

    chunks = export_text(
        database(), registry_actor(agency, role), fmt, destination=str(output) if output else "stdout"
    )
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    with output.open("w", encoding="utf-8", newline="") as stream:
        for chunk in chunks:
            stream.write(chunk)
    console_err.print(f"written to {output}")


_ALERT_COLUMNS = ["id", "registry_number", "name", "key", "raised_on", "status", "assigned_to", "outcome"]
_ALERT_COLUMNS += ["registrant_status"]


@app.command("alerts")
def alerts(
    status: Annotated[str | None, typer.Option(help="open, assigned or closed (default all).")] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Your registry office's alert queue."""
    from vigilant.registry.alerts import queue
    from vigilant.registry.models import AlertStatus

    found = queue(
        database(),
        registry_actor(agency, role),
        status=_choice(AlertStatus, status, "status") if status else None,
        rules=installation_rules(),
        today=date.today(),
    )
    print_listing(
        [
            {
                "id": a.id,
                "registry_number": a.registry_number,
                "name": a.name,
                "kind": a.kind,
                "key": a.key,
                "due_on": a.due_on,
                "raised_on": a.raised_on,
                "status": a.status,
                "assigned_to": a.assigned_to,
                "outcome": a.outcome,
                "warrant_reference": a.warrant_reference,
                "registrant_status": a.registrant_status,
                "status_as_of": a.status_as_of,
            }
            for a in found
        ],
        as_json=as_json,
        columns=_ALERT_COLUMNS,
        empty="no alerts",
    )


@app.command("report")
def report(
    registrant: Annotated[str, typer.Argument(help="Registry number.")],
    on: Annotated[str, typer.Option("--on", help="The day of the in-person report, YYYY-MM-DD.")],
    kind: Annotated[str, typer.Option(help="initial, annual, change or other.")] = "annual",
    outcome: Annotated[str, typer.Option(help="completed or incomplete.")] = "completed",
    officer: Annotated[str | None, typer.Option(help="Who received it (default: you).")] = None,
    notes: Annotated[str | None, typer.Option()] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Record an in-person report."""
    from vigilant.registry.models import ReportKind, ReportOutcome
    from vigilant.registry.work import record_report

    record_report(
        database(), registry_actor(agency, role), registrant, kind=_choice(ReportKind, kind, "report kind"),
        reported_on=_day(on), officer=officer, outcome=_choice(ReportOutcome, outcome, "outcome"),
        notes=notes,
    )  # fmt: skip
    console.print(f"{kind} report of {registrant} on {on} recorded")


@app.command("verify")
def verify(
    registrant: Annotated[str, typer.Argument(help="Registry number.")],
    address: Annotated[int, typer.Option(help="The address id (see `vigilant registry show --json`).")],
    on: Annotated[str, typer.Option("--on", help="The day of the check, YYYY-MM-DD.")],
    outcome: Annotated[str, typer.Option(help="confirmed, not_confirmed or no_contact.")],
    officer: Annotated[str | None, typer.Option(help="Who checked (default: you).")] = None,
    notes: Annotated[str | None, typer.Option()] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Record an address verification."""
    from vigilant.registry.models import VerificationOutcome
    from vigilant.registry.work import record_verification

    record_verification(
        database(), registry_actor(agency, role), registrant, address_id=address, verified_on=_day(on),
        outcome=_choice(VerificationOutcome, outcome, "outcome"), officer=officer, notes=notes,
    )  # fmt: skip
    console.print(f"verification of {registrant}'s address {address} on {on} recorded: {outcome}")
