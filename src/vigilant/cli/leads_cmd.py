"""``vigilant leads …``: build leads from observations, list and show them, assign, advance, claim, export."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vigilant.cli.common import audit_export, console, database, local_actor, settings
from vigilant.errors import ExitCode
from vigilant.leads import routing
from vigilant.leads.lifecycle import Status
from vigilant.leads.models import LeadRow

app = typer.Typer(
    help="P2P leads: build from observations, list, show, assign, advance, claim, export.",
    no_args_is_help=True,
)


def _observations_dir(given: Path | None) -> Path:
    return given if given is not None else settings().data_dir / "observations"


def _now() -> datetime:
    return datetime.now(UTC)


@app.command("build")
def build(
    window_days: Annotated[int, typer.Option(help="Days of observations, ending at --as-of.")] = 90,
    as_of: Annotated[
        str | None,
        typer.Option(help="End of the window, UTC with its zone (e.g. 2024-05-01T00:00:00Z); now."),
    ] = None,
    mmdb: Annotated[
        list[Path] | None, typer.Option(help="Agency-supplied MMDB file (City, ASN, ISP); repeatable.")
    ] = None,
    jurisdictions: Annotated[
        Path | None, typer.Option(help="Jurisdiction table (CSV or JSON) routing leads to agencies.")
    ] = None,
    coordinating_agency: Annotated[
        str | None, typer.Option(help="Agency for multi-jurisdiction or foreign leads (default NCECC).")
    ] = None,
    preservation_days: Annotated[
        float, typer.Option(help="ISP log preservation window in days: recency half-life is half of it.")
    ] = 90.0,
    observations: Annotated[
        Path | None, typer.Option(help="Folder of observation Parquet files (default: data dir).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler (tcp://HOST:8786) whose workers aggregate the observation files, each "
            "reading them on shared storage (VIGILANT_PATH_MAP); same leads as on this machine. Default: "
            "VIGILANT_DASK_SCHEDULER, else this machine; 'local': this machine."
        ),
    ] = None,
) -> None:
    """Aggregate observations of known material into scored, geolocated, routed leads."""
    from vigilant.leads.aggregate import Window
    from vigilant.leads.geo import GeoLocator
    from vigilant.leads.jurisdiction import load_table
    from vigilant.leads.score import ScoreSettings
    from vigilant.leads.service import build_leads
    from vigilant.p2p.importers import parse_utc

    window = Window(parse_utc(as_of) if as_of else _now(), window_days)
    chosen = settings().dask_scheduler if scheduler is None else scheduler.strip()
    table = load_table(jurisdictions, coordinating_agency) if jurisdictions else None
    geo = GeoLocator(mmdb) if mmdb else None
    try:
        report = build_leads(
            database(),
            _observations_dir(observations),
            window,
            actor=local_actor(),
            now=_now(),
            geo=geo,
            jurisdictions=table,
            score_settings=ScoreSettings(preservation_days=preservation_days),
            scheduler=None if chosen in ("", "local") else chosen,
        )
    finally:
        if geo is not None:
            geo.close()
    console.print(
        f"{report.leads:,} leads ({report.created:,} new, {report.updated:,} updated, "
        f"{report.actionable:,} actionable) for {window.start.isoformat()} .. {window.as_of.isoformat()}"
    )
    for db in report.databases:
        console.print(f"  geolocation: {db.file} {db.database_type} built {db.build_utc}")
    for name, count in sorted(report.unknown_agencies.items()):
        console.print(
            f"[yellow]  no agency named {name!r}[/] (jurisdiction table): {count:,} lead(s) left unrouted; "
            "add it with `vigilant cases agencies add` or fix the table, then build again"
        )
    from vigilant.links.hooks import after_observations  # links sits above leads: the face calls it

    hook = after_observations(database(), settings().data_dir, _observations_dir(observations))
    console.print(hook.line(), markup=False)


@app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(help="Only leads in this status.")] = None,
    agency: Annotated[
        str | None,
        typer.Option(help="Only leads assigned or routed to this agency (id, short or full name)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many leads, highest score first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List leads, highest score first."""
    from vigilant.leads.access import list_leads_for

    wanted = Status(status) if status else None
    rows = list_leads_for(database(), local_actor(), status=wanted, agency=agency, limit=limit).leads
    if as_json:
        console.print_json(json.dumps([_summary(r) for r in rows]))
        return
    if not rows:
        console.print("no leads: `vigilant leads build` makes them from observations")
        return
    table = Table("key", "score", "act.", "tier", "files", "max cat.", "seed", "days", "last seen", "IPs",
                  "routed to", "status")  # fmt: skip
    for r in rows:
        table.add_row(
            r.key, f"{r.score:.2f}", "yes" if r.actionable else "no", r.tier, str(r.known_files),
            r.max_category or "-", "yes" if r.seeding else "no", str(r.days_seen),
            r.last_seen.strftime("%Y-%m-%d %H:%M"), ", ".join(ip.ip for ip in r.ips),
            r.agency or routing.of_lead(r).label, r.status,
        )  # fmt: skip
    console.print(table)


def _summary(r: LeadRow) -> dict[str, object]:
    return {
        "key": r.key, "score": r.score, "actionable": r.actionable, "tier": r.tier,
        "known_files": r.known_files, "max_category": r.max_category, "seeding": r.seeding,
        "days_seen": r.days_seen, "last_seen": r.last_seen.isoformat(), "ips": [ip.ip for ip in r.ips],
        "routed_to": r.routed_to, "routed_agency_id": r.routed_agency_id,
        "routing_status": routing.of_lead(r).to_json(), "agency": r.agency,
        "agency_id": r.assigned_agency_id, "status": r.status,
    }  # fmt: skip


@app.command("show")
def show(lead: Annotated[str, typer.Argument(help="Lead key (L-…) or id.")]) -> None:
    """Show a lead: figures, score explanation, addresses with geolocation, routing, history."""
    from vigilant.leads.access import get_lead_for

    r = get_lead_for(database(), local_actor(), lead)
    facts = Table(show_header=False, box=None)
    for name, value in _summary(r).items():
        if name not in ("routed_to", "routed_agency_id", "routing_status"):  # shown as words below
            facts.add_row(name, str(value))
    facts.add_row("observations", f"{r.observation_count:,}")
    facts.add_row("first seen", r.first_seen.isoformat())
    facts.add_row("window", f"{r.window_days} days to {r.as_of.isoformat()}")
    facts.add_row("peer ids", ", ".join(r.identities.get("peer_ids", [])) or "-")
    facts.add_row("clients", ", ".join(r.identities.get("clients", [])) or "-")
    facts.add_row("routing", routing.of_lead(r).text)
    facts.add_row("table's agency", r.routed_to or "-")  # as the jurisdiction table names it
    console.print(facts)
    factors = Table("factor", "value", "weight", "contribution", "why", title=f"score {r.score:.4f}")
    for f in r.explanation["factors"]:
        factors.add_row(
            f["name"], f"{f['value']:g}", f"{f['weight']:g}", f"{f['contribution']:.4f}", f["explanation"]
        )
    console.print(factors)
    ips = Table("IP", "first seen", "last seen", "obs.", "country", "province", "city", "ISP", "agency")
    for ip in r.ips:
        g = ip.geo
        ips.add_row(ip.ip, ip.first_seen.isoformat(), ip.last_seen.isoformat(), str(ip.observation_count),
                    g.get("country", "-"), g.get("subdivision", "-"), g.get("city", "-"), g.get("isp", "-"),
                    ip.agency or "-")  # fmt: skip
    console.print(ips)
    for db in r.geo_databases:
        console.print(f"geolocation database: {db['file']} {db['database_type']} built {db['build_utc']}")
    events = Table("at", "actor", "action", "from", "to", "detail", title="history")
    for e in r.events:
        events.add_row(e.at.isoformat(), e.actor, e.action, e.from_status or "", e.to_status or "",
                       json.dumps(e.detail, sort_keys=True))  # fmt: skip
    console.print(events)


@app.command("assign")
def assign(
    lead: Annotated[str, typer.Argument(help="Lead key (L-…) or id.")],
    agency: Annotated[str, typer.Argument(help="The agency that will work the lead: its id or short name.")],
) -> None:
    """Assign a lead to an agency, by id or short name (new → assigned, or reassign); unknown ones refused."""
    from vigilant.leads.service import assign as assign_lead

    row = assign_lead(database(), lead, agency, actor=local_actor(), at=_now())
    console.print(f"{row.key}: assigned to {row.agency}")


@app.command("advance")
def advance(
    lead: Annotated[str, typer.Argument(help="Lead key (L-…) or id.")],
    step: Annotated[Status, typer.Argument(help="The next lifecycle step.")],
    court: Annotated[str | None, typer.Option(help="Court that granted the order.")] = None,
    judge: Annotated[str | None, typer.Option(help="Judge or justice who granted it.")] = None,
    order_date: Annotated[str | None, typer.Option(help="Date granted, YYYY-MM-DD.")] = None,
    order_number: Annotated[str | None, typer.Option(help="The order's file number.")] = None,
    authority_kind: Annotated[
        str | None, typer.Option("--authority", help="Kind of order (default: production order s. 487.014).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Free text kept on the event.")] = None,
) -> None:
    """Move a lead to its next lifecycle step; judicial steps need the order's details."""
    from vigilant.leads.lifecycle import JudicialAuthority
    from vigilant.leads.service import advance as advance_lead

    authority = None
    if any(v is not None for v in (court, judge, order_date, order_number)):
        authority = JudicialAuthority.from_fields(
            court=court, judge=judge, order_date=order_date, number=order_number, kind=authority_kind
        )
    row = advance_lead(database(), lead, step, actor=local_actor(), at=_now(), authority=authority, note=note)
    console.print(f"{row.key}: {row.status}")


@app.command("claim")
def claim(
    lead: Annotated[str, typer.Argument(help="Lead key (L-…) or id.")],
    agency: Annotated[str, typer.Option(help="Your agency, as the shared deconfliction system knows it.")],
    secret_file: Annotated[Path, typer.Option(help="File holding the shared HMAC secret (>= 32 bytes).")],
    check_only: Annotated[
        bool, typer.Option(help="Only check for other agencies' claims; record none.")
    ] = False,
) -> int:
    """Check a lead's subjects (IP + UTC day, peer ids) against other agencies' claims, then claim them."""
    from vigilant.leads.deconfliction import load_secret
    from vigilant.leads.service import claim_lead

    hits, new = claim_lead(
        database(), lead, load_secret(secret_file), agency=agency, actor=local_actor(), at=_now(),
        record=not check_only,
    )  # fmt: skip
    by_agency: dict[str, datetime] = {}
    for hit in hits:
        by_agency[hit.agency] = min(by_agency.get(hit.agency, hit.claimed_at), hit.claimed_at)
    for other, since in sorted(by_agency.items()):
        console.print(f"[yellow]already claimed by {other}[/] since {since.isoformat()}: contact them first")
    if not check_only:
        console.print(f"{new} new claim(s) recorded for {agency}")
    return int(ExitCode.CONFLICT) if hits else int(ExitCode.OK)


@app.command("export")
def export(
    lead: Annotated[str, typer.Argument(help="Lead key (L-…) or id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the package (JSON, HTML, PDF).")],
    log: Annotated[
        list[Path] | None,
        typer.Option(help="Observer session log(s) to verify into the package; repeatable."),
    ] = None,
    observations: Annotated[
        Path | None, typer.Option(help="Folder of observation Parquet files (default: data dir).")
    ] = None,
) -> None:
    """Export a lead package: complete JSON, a self-contained HTML page and a PDF."""
    from vigilant.leads.package import build_package, verify_logs, write_package

    verification = verify_logs(log or [], db=database())
    package = build_package(
        database(), lead, _observations_dir(observations), actor=local_actor(), exported_at=_now(),
        verification=verification, logs=log or [],
    )  # fmt: skip
    files = write_package(package, output)
    audit_export(
        object_type="lead", object_id=lead, fmt="lead-package", files=[files.json, files.html, files.pdf]
    )
    console.print(f"wrote {files.json}, {files.html} and {files.pdf}")
