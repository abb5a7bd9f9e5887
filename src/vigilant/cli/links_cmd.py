"""``vigilant links …``: build the entity graph across cases, list and show links, find paths, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from vigilant.cli.common import JsonOpt, console, database, print_listing, settings

if TYPE_CHECKING:
    from vigilant.links.views import GraphView
    from vigilant.security.rights import Actor

app = typer.Typer(
    help="Link analysis across cases: build the entity graph, list, show, path, export.",
    no_args_is_help=True,
)

AgencyOpt = Annotated[
    str | None,
    typer.Option(
        "--agency", help="Act for this agency (short name): see only what it may. Default: every record."
    ),
]
RoleOpt = Annotated[
    list[str] | None, typer.Option("--role", help="Your role with --agency; repeatable (analyst).")
]
KindOpt = Annotated[list[str] | None, typer.Option("--kind", help="Only links of this kind; repeatable.")]
MinWeightOpt = Annotated[float, typer.Option(help="Only links at least this strong.")]
ViewJsonOpt = Annotated[
    bool, typer.Option("--json", help="Print JSON (an object: entities and links) instead of tables.")
]


def _actor(agency: str | None, roles: list[str] | None) -> Actor:
    """The caller: the server's own CLI (every record) or, with --agency, that agency's view."""
    from vigilant.cases.agencies import get_agency
    from vigilant.security.rights import Actor, Role

    if agency is None:
        return Actor(
            user_id=None,
            username=settings().user,
            roles=frozenset({Role.ADMIN}),
            agency_id=None,
            source="cli",
        )
    agency_id = get_agency(database(), agency).id
    chosen = frozenset(Role(r) for r in (roles or ["analyst"]))
    return Actor(user_id=None, username=settings().user, roles=chosen, agency_id=agency_id, source="cli")


def _observations(given: Path | None) -> Path:
    return given if given is not None else settings().data_dir / "observations"


@app.command("build")
def build(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this builder; repeatable.")
    ] = None,
    max_device_share: Annotated[
        float, typer.Option(help="A file on more than this share of devices (and more than two) never links.")
    ] = 0.05,
    ip_window_hours: Annotated[
        float, typer.Option(help="Two sightings of one IP link within this window.")
    ] = 24.0,
    observations: Annotated[
        Path | None, typer.Option(help="Folder of observation Parquet files (default: data dir).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler (tcp://HOST:8786) whose workers count the files devices share, each "
            "reading the triage results on shared storage (VIGILANT_PATH_MAP); same links as on this "
            "machine. Default: VIGILANT_DASK_SCHEDULER, else this machine; 'local': this machine."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build the whole entity graph: every builder over every case record, triage run and lead."""
    from vigilant.links.build_shared_files import ClusterLinkSettings
    from vigilant.links.hooks import full_build

    chosen = settings().dask_scheduler if scheduler is None else scheduler.strip()
    link_settings = ClusterLinkSettings(
        max_device_share=max_device_share,
        ip_window_hours=ip_window_hours,
        scheduler="" if chosen == "local" else chosen,
    )
    report = full_build(
        database(),
        _actor(None, None),
        settings().data_dir,
        link_settings,
        only=only,
        observations_dir=_observations(observations),
    )
    rows = [{"builder": name, "links": count} for name, count in report.links.items()]
    print_listing(rows, as_json=as_json, title=f"{report.total:,} links")


@app.command("status")
def status_cmd(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (an object: built, stale, last_job, entities, links).")
    ] = False,
) -> None:
    """Where the graph stands: when each kind of rebuild last succeeded, what makes it stale since when,
    the last xref job and its progress, and the entities and links of each kind."""
    from vigilant.links.status import graph_status

    found = graph_status(database(), _actor(None, None), settings().data_dir)
    if as_json:
        sys.stdout.write(json.dumps(found.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    for kind in ("run", "record", "observations"):
        when = found.built.get(kind)
        console.print(f"{kind} builders last rebuilt: {when.isoformat() if when else 'never'}")
    if not found.stale:
        console.print("the link graph is up to date")
    for stale in found.stale:
        console.print(f"[bold]stale since {stale.since.isoformat()}[/]: {stale.reason}")
    console.print(found.last_job.line if found.last_job else "no xref job yet")
    counts = Table("what", "kind", "count", title="the graph")
    for kind, n in found.entities.items():
        counts.add_row("entities", kind, f"{n:,}")
    for kind, n in found.links.items():
        counts.add_row("links", kind, f"{n:,}")
    console.print(counts)


@app.command("builders")
def builders(as_json: JsonOpt = False) -> None:
    """The link builders, what each finds, and what makes it rebuild."""
    from vigilant.links.builders import BUILDERS

    rows = [
        {"name": b.name, "finds": b.description, "rebuilt_on": ", ".join(sorted(b.triggers))}
        for b in BUILDERS
    ]
    print_listing(rows, as_json=as_json)


def _print_view(view: GraphView, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(view.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    if view.note:
        console.print(view.note)
    entities = Table("handle", "kind", "label", "key", "agency", title="entities")
    for e in view.entities:
        entities.add_row(e.handle, e.kind, e.message or e.label, e.key or "", e.agency or "")
    console.print(entities)
    links = Table("kind", "from", "to", "weight", "why", title="links")
    for link in view.links:
        why = (link.explanation or {}).get("text", "" if link.explanation else "(held by another agency)")
        links.add_row(link.kind, link.source, link.target, f"{link.weight:.3f}", str(why))
    console.print(links)


@app.command("list")
def list_cmd(
    kind: KindOpt = None,
    min_weight: MinWeightOpt = 0.0,
    limit: Annotated[int, typer.Option(help="How many links, strongest first.")] = 50,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The strongest links analysis found (shared files, cameras, identifiers, P2P), strongest first."""
    from vigilant.links.views import strongest

    view = strongest(database(), _actor(agency, role), kinds=kind, min_weight=min_weight, limit=limit)
    labels = {e.handle: e.message or e.label for e in view.entities}
    rows: list[dict[str, Any]] = [
        {
            "kind": link.kind,
            "weight": round(link.weight, 6),
            "from": link.source,
            "from_label": labels[link.source],
            "to": link.target,
            "to_label": labels[link.target],
            "why": (link.explanation or {}).get("text", "(held by another agency)"),
        }
        for link in view.links
    ]
    print_listing(rows, as_json=as_json, empty="no links: `vigilant links build` builds the graph")


@app.command("show")
def show(
    entity: Annotated[
        str, typer.Argument(help="Entity id or key: person:12, item:3, case:4, email:x@example.org…")
    ],
    depth: Annotated[int, typer.Option(help="Links away: 1 or 2.")] = 1,
    kind: KindOpt = None,
    min_weight: MinWeightOpt = 0.0,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: ViewJsonOpt = False,
) -> None:
    """An entity's neighbourhood: what links to it, with each link's weight and explanation."""
    from vigilant.links.views import neighbourhood

    view = neighbourhood(
        database(), _actor(agency, role), entity, depth=depth, kinds=kind, min_weight=min_weight
    )
    _print_view(view, as_json)


@app.command("path")
def path_cmd(
    source: Annotated[str, typer.Argument(help="One entity (id or key).")],
    target: Annotated[str, typer.Argument(help="The other entity (id or key).")],
    max_hops: Annotated[int, typer.Option(help="Longest path looked for, in links.")] = 6,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: ViewJsonOpt = False,
) -> None:
    """The shortest path between two entities, through what you may see."""
    from vigilant.links.views import path

    _print_view(path(database(), _actor(agency, role), source, target, max_hops=max_hops), as_json)


@app.command("network")
def network_cmd(
    operation: Annotated[str, typer.Argument(help="The operation's code or id.")],
    strong: Annotated[
        float, typer.Option(help="Accused linked at least this strongly count as linked.")
    ] = 0.5,
    observations: Annotated[
        Path | None, typer.Option(help="Folder of observation Parquet files (default: data dir).")
    ] = None,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (an object: indicator, offenders, distributors).")
    ] = False,
) -> None:
    """An operation's network figures: the "organised network?" indicator, repeat offenders among its
    suspects and accused, and key distributors, each with its explanation."""
    from vigilant.links.distributors import key_distributors
    from vigilant.links.network import operation_network
    from vigilant.links.offenders import repeat_offenders

    who, db = _actor(agency, role), database()
    indicator = operation_network(db, who, operation, strong=strong)
    flags = repeat_offenders(db, who, operation=operation)
    ranked = key_distributors(db, who, _observations(observations))
    if as_json:
        body = {
            "indicator": indicator.to_json(),
            "repeat_offenders": [f.to_json() for f in flags],
            "key_distributors": [d.to_json() for d in ranked],
        }
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    console.print(f"[bold]{indicator.operation}[/]: {indicator.explanation}")
    pairs = Table("accused", "accused", "weight", "links", title="strongly linked accused")
    for pair in indicator.pairs:
        kinds = ", ".join(f"{k} {w:.2f}" for k, w in pair["kinds"].items())
        pairs.add_row(pair["a"], pair["b"], f"{pair['weight']:.3f}", kinds)
    console.print(pairs)
    offenders = Table("person", "cases", "prior record", title="repeat offenders")
    for f in flags:
        offenders.add_row(f.name, ", ".join(f.cases), f.explanation)
    console.print(offenders)
    distributors = Table("lead", "known files", "reach", "score", "why", title="key distributors")
    for d in ranked:
        distributors.add_row(d.lead, str(d.known_files), str(d.reach), f"{d.score:g}", d.explanation)
    console.print(distributors)


@app.command("export")
def export_cmd(
    fmt: Annotated[str, typer.Option("--format", help="graphml, gexf, or i2 (entity and link CSV tables).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write (i2: prefix of the two tables).")
    ],
    around: Annotated[str | None, typer.Option(help="Only this entity's neighbourhood (id or key).")] = None,
    depth: Annotated[int, typer.Option(help="With --around: links away, 1 or 2.")] = 2,
    kind: KindOpt = None,
    min_weight: MinWeightOpt = 0.0,
    agency: AgencyOpt = None,
    role: RoleOpt = None,
) -> None:
    """Export the graph you may see as GraphML or GEXF (Gephi), or CSV tables for i2 Analyst's Notebook;
    every export is audited."""
    from vigilant.links.errors import BadEntityRefError
    from vigilant.links.export import ExportFormat, export
    from vigilant.links.views import neighbourhood, whole_graph

    try:
        chosen = ExportFormat(fmt)
    except ValueError:
        raise BadEntityRefError(f"unknown export format {fmt!r}", hint="graphml, gexf or i2") from None
    who = _actor(agency, role)
    db = database()
    if around is not None:
        view = neighbourhood(db, who, around, depth=depth, kinds=kind, min_weight=min_weight)
    else:
        view = whole_graph(db, who, kinds=kind, min_weight=min_weight)
    for written in export(db, who, view, chosen, output):
        console.print(f"wrote {written} ({len(view.entities):,} entities, {len(view.links):,} links)")


# Person resolution (xref) lives in its own module; its commands join this group.
from vigilant.cli import xref_cmd  # noqa: E402

app.command("xref")(xref_cmd.xref)
app.command("judge")(xref_cmd.judge)
app.command("profile")(xref_cmd.profile)
