"""``vigilant cases …``: agencies, operations, cases, figures and the release preview.

Until logins exist (vigilant.security), the caller is built from ``--agency`` (or VIGILANT_AGENCY) and
``--role``; every command still goes through the same scoped services the web layer will call.
"""

from __future__ import annotations

import json
import os
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from vigilant.cli.common import JsonOpt, console, database, print_listing, settings

if TYPE_CHECKING:
    from vigilant.security.rights import Actor

app = typer.Typer(
    help="Operations and cases: agencies, operations, cases, figures, release.", no_args_is_help=True
)
agencies_app = typer.Typer(help="Agencies and their jurisdictions.", no_args_is_help=True)
operations_app = typer.Typer(help="Operations, their participants and figures.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases, scoped to your agency and distribution levels.", no_args_is_help=True)
release_app = typer.Typer(help="The public release of an operation.", no_args_is_help=True)
app.add_typer(agencies_app, name="agencies")
app.add_typer(operations_app, name="operations")
app.add_typer(cases_app, name="cases")
app.add_typer(release_app, name="release")
links_app = typer.Typer(
    help="Another agency's evidence items in your cases: requests and the owner's consent.",
    no_args_is_help=True,
)
app.add_typer(links_app, name="links")

AgencyOpt = Annotated[
    str | None, typer.Option("--agency", help="Your agency's short name (default: $VIGILANT_AGENCY).")
]
RoleOpt = Annotated[
    list[str] | None, typer.Option("--role", help="Your role; repeatable (default coordinator).")
]


def _actor(agency: str | None, roles: list[str] | None) -> Actor:
    from vigilant.cases.agencies import get_agency
    from vigilant.cases.errors import InvalidRecordError
    from vigilant.security.rights import Actor

    ref = agency or os.environ.get("VIGILANT_AGENCY")
    if not ref:
        raise InvalidRecordError(
            "say which agency you act for", hint="pass --agency SHORT or set VIGILANT_AGENCY"
        )
    agency_id = get_agency(database(), ref).id
    return Actor.cli(settings().user, agency_id=agency_id, roles=roles or ["coordinator"])


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@agencies_app.command("add")
def agencies_add(
    name: str,
    short_name: str,
    province: Annotated[str, typer.Option(help="Two-letter province or territory code.")],
    municipality: Annotated[list[str] | None, typer.Option(help="A municipality served; repeatable.")] = None,
    coordinator: Annotated[
        bool, typer.Option(help="A coordinating agency (e.g. a provincial ICE unit).")
    ] = False,
) -> None:
    """Add an agency (an administrator's act)."""
    from vigilant.cases.agencies import add_agency
    from vigilant.security.rights import Actor

    admin = Actor.cli(settings().user)
    row = add_agency(
        database(),
        admin,
        name=name,
        short_name=short_name,
        province=province,
        municipalities=municipality or [],
        is_coordinator=coordinator,
    )
    console.print(f"agency {row.short_name} added (id {row.id})")


@agencies_app.command("list")
def agencies_list(as_json: JsonOpt = False) -> None:
    """List agencies."""
    from vigilant.cases.agencies import list_agencies

    rows = [
        {
            "id": a.id,
            "short": a.short_name,
            "name": a.name,
            "province": a.province,
            "municipalities": list(a.municipalities),
            "coordinator": a.is_coordinator,
        }
        for a in list_agencies(database())
    ]
    print_listing(rows, as_json=as_json)


@operations_app.command("add")
def operations_add(
    code: str,
    name: str,
    starts: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    ends: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    participant: Annotated[list[str] | None, typer.Option(help="A participating agency; repeatable.")] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Open an operation coordinated by your agency."""
    from vigilant.cases.operations import add_operation

    starts_on = _day(starts)
    assert starts_on is not None
    row = add_operation(
        database(),
        _actor(agency, role),
        code=code,
        name=name,
        starts_on=starts_on,
        ends_on=_day(ends),
        participants=participant or [],
    )
    console.print(f"operation {row.code} opened with {len(row.participants)} agencies")


@operations_app.command("list")
def operations_list(agency: AgencyOpt = None, role: RoleOpt = None, as_json: JsonOpt = False) -> None:
    """List the operations your agency takes part in."""
    from vigilant.cases.operations import list_operations

    rows = [
        {
            "code": o.code,
            "name": o.name,
            "starts": o.starts_on,
            "ends": o.ends_on,
            "agencies": len(o.participants),
        }
        for o in list_operations(database(), _actor(agency, role))
    ]
    print_listing(rows, as_json=as_json, columns=("code", "name", "starts", "ends", "agencies"))


@operations_app.command("figures")
def operations_figures(
    operation: str,
    as_of: Annotated[
        str | None, typer.Option(help="Day the figures are for, YYYY-MM-DD (default today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """An operation's figures, computed from its records."""
    from vigilant.cases.figures import operation_figures

    figures = operation_figures(database(), _actor(agency, role), operation, as_of=_day(as_of))
    data = figures.as_dict()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table("figure", "value")
    for key, value in data.items():
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    console.print(table)


@cases_app.command("add")
def cases_add(
    number: str,
    title: str,
    operation: Annotated[str | None, typer.Option(help="The operation's code.")] = None,
    distribution: Annotated[
        str, typer.Option(help="agency_only | operation | sharing_group | all_agencies")
    ] = ("agency_only"),
    sharing_group: Annotated[int | None, typer.Option(help="Sharing group id, for sharing_group.")] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Open a case in your agency."""
    from vigilant.cases.service import open_case, parse_distribution

    row = open_case(
        database(),
        _actor(agency, role),
        number=number,
        title=title,
        operation=operation,
        distribution=parse_distribution(distribution),
        sharing_group_id=sharing_group,
    )
    console.print(f"case {row.number} opened (id {row.id}, {row.distribution})")


@cases_app.command("list")
def cases_list(agency: AgencyOpt = None, role: RoleOpt = None, as_json: JsonOpt = False) -> None:
    """List the cases you may see."""
    from vigilant.cases.service import list_cases

    rows = [
        {
            "id": c.id,
            "agency": c.agency_id,
            "number": c.number,
            "title": c.title,
            "distribution": c.distribution,
            "status": c.status,
        }
        for c in list_cases(database(), _actor(agency, role))
    ]
    print_listing(rows, as_json=as_json)


@cases_app.command("show")
def cases_show(case_id: int, agency: AgencyOpt = None, role: RoleOpt = None) -> None:
    """Show a case and the persons named in it."""
    from vigilant.cases.people import persons_in_case
    from vigilant.cases.service import get_case

    caller = _actor(agency, role)
    c = get_case(database(), caller, case_id)
    console.print(f"case {c.number}: {c.title} [{c.status}, {c.distribution}] opened {c.opened_at:%Y-%m-%d}")
    for person, person_role in persons_in_case(database(), caller, case_id):
        console.print(f"  {person_role:10} #{person.id} {person.full_name}")


@release_app.command("preview")
def release_preview(
    operation: str,
    as_of: Annotated[str | None, typer.Option(help="Day of the release, YYYY-MM-DD (default today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the structured release as JSON.")] = False,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Preview the public release: adult accused only; flagged accused are withheld until cleared."""
    from vigilant.cases.release import build_release

    release = build_release(database(), _actor(agency, role), operation, as_of=_day(as_of))
    if as_json:
        typer.echo(json.dumps(release.as_dict(), indent=2))
        return
    typer.echo(release.public_text)
    typer.echo(release.review_text)


@release_app.command("clear")
def release_clear(
    operation: str,
    person: Annotated[int, typer.Argument(help="The flagged accused's person id (from the preview).")],
    reason: Annotated[str, typer.Option(help="Why naming this accused will not identify the victim.")],
    victim: Annotated[
        int | None, typer.Option(help="Clear only the flag pointing at this victim record (default: all).")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Day of the release, YYYY-MM-DD (default today).")] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Clear a flagged accused for naming, with a reason (the coordinating agency; audited)."""
    from vigilant.cases.release import clear_flag

    cleared = clear_flag(
        database(),
        _actor(agency, role),
        operation,
        person,
        reason=reason,
        victim_person_id=victim,
        as_of=_day(as_of),
    )
    for flag in cleared:
        typer.echo(f"cleared: person #{flag.accused_person_id} (victim record #{flag.victim_person_id})")


ReasonOpt = Annotated[str, typer.Option(help="Why (kept with the request and audited).")]


@links_app.command("request")
def links_request(
    case_id: Annotated[int, typer.Argument(help="Your case's id.")],
    device: Annotated[int, typer.Argument(help="The seized device's id in that case.")],
    item: Annotated[int, typer.Argument(help="The other agency's evidence item.")],
    reason: ReasonOpt,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Ask the owner of another agency's evidence item to link it to a device seized in your case."""
    from vigilant.cases.evidence_links import request_link

    made = request_link(database(), _actor(agency, role), case_id, device, item, reason=reason)
    console.print(f"request {made.id} sent to {made.owner_agency}: {made.status}")


def _decide(request: int, decision: str, reason: str, agency: str | None, role: list[str] | None) -> None:
    from vigilant.cases.evidence_links import decide_link

    done = decide_link(database(), _actor(agency, role), request, decision, reason=reason)
    console.print(f"request {done.id}: {done.status}")


@links_app.command("grant")
def links_grant(request: int, reason: ReasonOpt, agency: AgencyOpt = None, role: RoleOpt = None) -> None:
    """Grant a request for one of your agency's items: the device is linked to it."""
    _decide(request, "grant", reason, agency, role)


@links_app.command("refuse")
def links_refuse(request: int, reason: ReasonOpt, agency: AgencyOpt = None, role: RoleOpt = None) -> None:
    """Refuse a request for one of your agency's items."""
    _decide(request, "refuse", reason, agency, role)


@links_app.command("revoke")
def links_revoke(request: int, reason: ReasonOpt, agency: AgencyOpt = None, role: RoleOpt = None) -> None:
    """Revoke a granted request: the device is unlinked from your item."""
    _decide(request, "revoke", reason, agency, role)


@links_app.command("list")
def links_list(
    status: Annotated[str | None, typer.Option(help="pending | granted | refused | revoked")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """The requests your agency made, and those for its items that it decides."""
    from dataclasses import asdict

    from vigilant.cases.errors import InvalidRecordError
    from vigilant.cases.evidence_links import link_requests
    from vigilant.cases.models import LinkStatus

    try:
        wanted = LinkStatus(status) if status else None
    except ValueError:
        raise InvalidRecordError(
            f"unknown status {status!r}", hint="use pending, granted, refused or revoked"
        ) from None
    found = link_requests(database(), _actor(agency, role), status=wanted)
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in found], indent=2, default=str))
        return
    table = Table("id", "item", "owner", "case", "device", "requester", "status", "why")
    for r in found:
        table.add_row(
            str(r.id),
            f"{r.evidence_item_id} {r.item_label or ''}".strip(),
            r.owner_agency,
            r.case_number,
            str(r.device_id),
            r.requesting_agency,
            r.status + (" (yours to decide)" if r.incoming and r.status == "pending" else ""),
            r.reason,
        )
    console.print(table)


# Bulk import of case records lives in its own module; it joins this group as `vigilant cases import`.
from vigilant.cli import case_import_cmd  # noqa: E402

app.command("import")(case_import_cmd.import_cases)
