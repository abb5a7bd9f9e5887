"""``vigilant evidence …``: seized sources, their hashes, and their chain of custody."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vigilant.cli.common import JsonOpt, console, local_actor, print_listing, vigilant
from vigilant.errors import ExitCode
from vigilant.evidence.keys import VolumeKey, parse_key
from vigilant.evidence.service import EvidenceService

app = typer.Typer(
    help="Evidence items: add a seized source, verify its hashes, see its custody.", no_args_is_help=True
)


def _service() -> EvidenceService:
    return vigilant().evidence


KeyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--key",
        metavar="KIND:FROM",
        help="A key for an encrypted volume (LUKS1, BitLocker, APFS), repeatable. KIND: passphrase, "
        "password, recovery-password, key-file or startup-key (.BEK); FROM: prompt (typed, not echoed), "
        "env:NAME (read from that environment variable) or file:PATH. The key itself is never an argument, "
        "and never stored: the chain of custody records the kind of key only.",
    ),
]


def read_keys(specs: list[str] | None) -> list[VolumeKey]:
    """The keys named by ``--key`` options, prompted for (without echo) where they say ``prompt``."""
    return [parse_key(spec, lambda text: str(typer.prompt(text, hide_input=True))) for spec in specs or []]


@app.command("add")
def add(
    path: Annotated[
        Path,
        typer.Argument(
            help="Folder, raw image (.dd/.raw/.img/.001), E01 image, or archive (zip, tar, tar.gz/.bz2/.xz, "
            "gzip, bzip2, xz: its members are the files). Told by content, not by name: a file that is none "
            "of these (no partition table or file system The Sleuth Kit can find in it) is refused, exit 4.",
            exists=True,
        ),
    ],
    label: Annotated[str | None, typer.Option(help="Name for the item (default: the file name).")] = None,
    case: Annotated[
        str | None,
        typer.Option(help="Case number the item belongs to: a case that exists (of --agency, where given)."),
    ] = None,
    case_pending: Annotated[
        bool,
        typer.Option(
            "--case-pending",
            help="The --case number's case is not opened yet: take it anyway (the chain of custody says so).",
        ),
    ] = False,
    agency: Annotated[
        str | None,
        typer.Option(
            help="The agency whose case number --case is (id or short name). Case numbers are unique per "
            "agency only: with it, the number makes the item visible through that agency's case alone; "
            "without it, only while no two agencies have a case with that number."
        ),
    ] = None,
    description: Annotated[str | None, typer.Option(help="Free text: device, where it was seized.")] = None,
    source_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="directory, archive, raw or e01 (detected by content); forces the type: --type raw takes a "
            "damaged or wiped image that detection refuses.",
        ),
    ] = None,
    keys: KeyOpt = None,
) -> None:
    """Register a seized source (read-only) and record its acquisition hashes.

    With --key, the keys are tried on its encrypted volumes and the outcome written to its chain of custody;
    they are not kept: give them again to `vigilant triage run`.
    """
    service = _service()
    info = service.add(
        path,
        actor=local_actor(),
        label=label,
        case_number=case,
        agency=agency,
        description=description,
        source_type=source_type,
        case_pending=case_pending,
        keys=read_keys(keys),
    )
    console.print(f"evidence item [bold]{info.id}[/] ({info.label}, {info.source_type}, {info.size:,} bytes)")
    for name, value in info.hashes.items():
        console.print(f"  {name}: {value}")
    if keys:
        _print_unlocks(service, info.id)


def _print_unlocks(service: EvidenceService, evidence_id: int) -> None:
    events = [e for e in service.custody(evidence_id, local_actor()) if e.action.startswith("volume-")]
    if not events:
        console.print("no encrypted volume found: the keys were not used")
    for event in events:
        d = event.detail
        outcome = f"unlocked with a {d['key']}" if "key" in d else f"[red]not unlocked[/]: {d['reason']}"
        console.print(f"  {d['volume']} ({d['encryption']}): {outcome}", highlight=False)


@app.command("agency")
def agency_cmd(
    ref: Annotated[str, typer.Argument(help="Evidence item id or label.")],
    agency: Annotated[
        str, typer.Argument(help="The agency whose case number the item's is (id or short name).")
    ],
) -> None:
    """Record the agency whose case number an item's case number is (items added without --agency)."""
    name = _service().set_agency(ref, agency, local_actor())
    console.print(f"evidence item {ref}: case number of agency [bold]{name}[/] (in its chain of custody)")


@app.command("list")
def list_cmd(
    ambiguous: Annotated[
        bool,
        typer.Option(
            "--ambiguous",
            help="Only items with no agency whose case number cases of several agencies carry: the web "
            "shows them to no one until `vigilant evidence agency` records theirs.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the evidence items."""
    service = _service()
    me = local_actor()
    agencies = service.agencies(me)
    rows = [
        {
            "id": e.id,
            "label": e.label,
            "case": e.case_number,
            "agency": agencies.get(e.id),
            "type": e.source_type,
            "size": e.size if as_json else f"{e.size:,}",
            "path": e.path,
            **({"hashes": e.hashes} if as_json else {}),
        }
        for e in service.items(me, ambiguous=ambiguous)
    ]
    print_listing(rows, as_json=as_json, columns=("id", "label", "case", "agency", "type", "size", "path"))


@app.command("show")
def show(ref: Annotated[str, typer.Argument(help="Evidence item id or label.")]) -> None:
    """Show an item, its hashes and its chain of custody."""
    service, me = _service(), local_actor()
    info = service.get(ref, me)
    console.print(f"[bold]{info.id} {info.label}[/] — {info.source_type} {info.path} ({info.size:,} bytes)")
    for name, value in info.hashes.items():
        console.print(f"  {name}: {value}")
    table = Table("when (UTC)", "who", "action", "detail", title="chain of custody")
    for event in service.custody(info.id, me):
        table.add_row(
            f"{event.at:%Y-%m-%d %H:%M:%S}",
            event.actor,
            event.action,
            json.dumps(event.detail, sort_keys=True)[:200],
        )
    console.print(table)


@app.command("verify")
def verify(ref: Annotated[str, typer.Argument(help="Evidence item id or label.")]) -> int:
    """Hash the source again and compare with the hashes recorded when it was added."""
    result = _service().verify(ref, local_actor())
    if result["ok"]:
        console.print(f"[green]verified[/]: {', '.join(result['compared'])} match")
        return int(ExitCode.OK)
    console.print(
        f"[red]NOT verified[/]: mismatched {', '.join(result['mismatched']) or '(nothing to compare)'}"
    )
    return int(ExitCode.CONFLICT)
