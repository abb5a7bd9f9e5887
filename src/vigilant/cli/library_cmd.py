"""``vigilant library …``: hash sets of known material and known-good files."""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from vigilant.cli.common import (
    JsonOpt,
    audit_export,
    console,
    console_err,
    library,
    local_actor,
    output_stream,
    print_listing,
)
from vigilant.errors import BadInputError, ExitCode
from vigilant.library.categories import PROFILES, load_profile_file
from vigilant.library.exporters import exporters
from vigilant.library.formats import ReaderOptions, formats
from vigilant.library.importer import ImportRequest, NothingImportedError, import_hash_set
from vigilant.library.records import ImportReport, SetKind
from vigilant.library.service import LookupResult, Match
from vigilant.library.store import PROBLEMS_KEPT
from vigilant.perceptual.pdq import PdqMethod

app = typer.Typer(
    help="Hash sets of known material: import, list, show, look up, export, figures.", no_args_is_help=True
)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values or []:
        key, sep, target = value.partition("=")
        if not sep or not key.strip() or not target.strip():
            raise BadInputError(f"{what} {value!r} is not KEY=VALUE")
        pairs[key.strip()] = target.strip()
    return pairs


@app.command("import")
def import_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="Hash-set files to import.", exists=True, dir_okay=False)
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="Source format; detected when left out.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Set name (default: what the source says, else the file name).")
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="Set version (default: the source's, else its SHA-256).")
    ] = None,
    kind: Annotated[
        SetKind | None, typer.Option(help="What a hit means; needed when the format does not say.")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="Category profile: vic-us, dhs, caid-uk, none.")] = None,
    profile_file: Annotated[
        Path | None,
        typer.Option(
            help="A category profile of the list's own: a .toml or .json file with name, title and each"
            " category's code, label and class (see the README); stored with the set.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Who published the set (provenance).")] = None,
    description: Annotated[str | None, typer.Option(help="Free text kept with the set.")] = None,
    pdq_threshold: Annotated[
        int | None, typer.Option(help="PDQ match distance for this set (default 31).")
    ] = None,
    pdq_method: Annotated[
        PdqMethod | None,
        typer.Option(
            help="How the list's PDQ hashes were made: full (the whole picture: python-threatexchange, HMA) "
            "or 512 (longest side 512 px first: Meta's C++ tool); seized pictures are hashed the same way."
            " Default: what the file says (a Vigilant VICS export says it), else full."
        ),
    ] = None,
    category_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map-category", help="SOURCE=PROFILE code, e.g. 1=A for a CAID set numbered 1..3; repeatable."
        ),
    ] = None,
    column: Annotated[
        list[str] | None, typer.Option(help="For plain CSV: FIELD=HEADER, e.g. md5=Hash; repeatable.")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="For plain CSV: the delimiter (sniffed otherwise).")
    ] = None,
    show_problems: Annotated[int, typer.Option(help="How many refused rows to print.")] = 20,
) -> int:
    """Import hash-set files (VICS JSON, NSRL, md5sum/hashdeep lists, HashKeeper, EnCase, CSV)."""
    if profile is not None and profile_file is None:
        PROFILES[profile]  # fail before reading a multi-gigabyte file
    custom = None if profile_file is None else load_profile_file(profile_file)
    options = ReaderOptions(column_map=_pairs(column, "--column"), delimiter=delimiter)
    worst = ExitCode.OK
    store = library().store
    for path in files:
        request = ImportRequest(
            path=path,
            actor=local_actor(),
            name=name,
            version=version,
            kind=kind,
            profile=profile,
            format=fmt,
            source=source,
            description=description,
            pdq_threshold=pdq_threshold,
            pdq_method=pdq_method,
            category_map=_pairs(category_map, "--map-category"),
            custom_profile=custom,
            options=options,
        )
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
            console=console_err,
            transient=True,
        ) as bar:
            task = bar.add_task(f"importing {path.name}", total=None)
            try:
                report = import_hash_set(store, request, progress=partial(_advance, bar, task))
            except NothingImportedError as exc:
                bar.stop()
                _print_refusals(exc.report, show_problems)
                raise
        _print_report(report, show_problems)
        if report.rows_refused:
            worst = ExitCode.PARTIAL
    return int(worst)


def _advance(bar: Progress, task: TaskID, rows: int) -> None:
    bar.update(task, completed=rows)


def _print_report(report: ImportReport, show_problems: int) -> None:
    info = report.hash_set
    assert info is not None
    if report.already_imported:
        console.print(
            f"[yellow]already imported[/]: {report.source_file} is set [bold]{info.label}[/] "
            f"(id {info.id}, imported {info.imported_at:%Y-%m-%d %H:%M} UTC by {info.imported_by}); "
            "nothing changed"
        )
        return
    console.print(
        f"[green]imported[/] {report.source_file} ({report.format}) as set [bold]{info.label}[/] "
        f"(id {info.id}, {info.kind.value}, profile {info.profile}): "
        f"{report.rows_read:,} rows read, {report.rows_taken:,} taken, {report.rows_refused:,} refused"
    )
    method = PdqMethod(info.pdq_method)
    other = next(m for m in PdqMethod if m is not method)
    console.print(
        f"  PDQ hashes taken as made from the {method.label} (--pdq-method {method.value}); pictures are"
        f" hashed the same way to match this set. If its producer hashed the {other.label}, remove the set"
        f" and import it again with --pdq-method {other.value}.",
        highlight=False,
    )
    _print_refusals(report, show_problems)


def _print_refusals(report: ImportReport, show_problems: int) -> None:
    for reason, count in sorted(report.refused.items()):
        console.print(f"  refused {count:,} × {reason}")
    for problem in report.problems[:show_problems]:
        console.print(f"  [red]{problem.location}[/]: {problem.reason}: {problem.detail}", highlight=False)
    if report.rows_refused > show_problems:
        console.print(f"  … `vigilant library imports --problems` lists up to {PROBLEMS_KEPT} of them")


@app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the hash sets with their provenance and sizes."""
    sets = library().store.list_sets()
    if as_json:
        console.print_json(json.dumps([_set_json(s) for s in sets]))
        return
    table = Table(
        "id", "name", "version", "kind", "profile", "format", "entries", "refused", "imported (UTC)", "by"
    )
    for s in sets:
        table.add_row(
            str(s.id),
            s.name,
            s.version,
            s.kind.value,
            s.profile,
            s.format,
            f"{s.entry_count:,}",
            f"{s.refused_count:,}",
            f"{s.imported_at:%Y-%m-%d %H:%M}",
            s.imported_by,
        )
    console.print(table if sets else "the library is empty: `vigilant library import FILE` adds a hash set")


def _set_json(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "version": s.version,
        "kind": s.kind.value,
        "profile": s.profile,
        "profile_title": s.category_profile.title,
        "custom_profile": s.profile_definition,
        "source": s.source,
        "description": s.description,
        "format": s.format,
        "source_file": s.source_file,
        "source_sha256": s.source_sha256,
        "source_size": s.source_size,
        "imported_at": s.imported_at.isoformat(),
        "imported_by": s.imported_by,
        "entries": s.entry_count,
        "refused": s.refused_count,
        "pdq_threshold": s.pdq_threshold,
        "pdq_method": s.pdq_method,
    }


@app.command("show")
def show(ref: Annotated[str, typer.Argument(help="Set id, NAME or NAME@VERSION.")]) -> None:
    """Show one set: provenance, digest and category counts."""
    service = library()
    info = service.store.get_set(ref)
    figures = next(f for f in service.figures().sets if f.info.id == info.id)
    table = Table(show_header=False, box=None)
    for key, value in _set_json(info).items():
        table.add_row(f"[bold]{key}[/]", "" if value is None else str(value))
    console.print(table)
    digests = Table("digest", "entries", title="digests")
    for kind, count in figures.digests.items():
        if count:
            digests.add_row(kind, f"{count:,}")
    console.print(digests)
    profile = info.category_profile
    custom = " — custom profile, stored with the set" if info.profile_definition else ""
    labels: dict[str | None, list[str]] = {}
    for code, label, count in service.store.category_label_counts(info.id):
        labels.setdefault(code, []).append(f"{label} ({count:,})")
    cats = Table(
        "code",
        "category",
        "class",
        "entries",
        "publisher's labels",
        title=f"categories ({profile.title}{custom})",
    )
    for code, count in sorted(figures.categories.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        category = profile.get(code)
        cats.add_row(
            code or "-",
            category.label if category else "uncategorised",
            category.cls.slug if category else "-",
            f"{count:,}",
            "; ".join(labels.get(code, [])),
        )
    console.print(cats)
    if info.profile_definition:
        defined = Table("code", "label", "class", title=f"profile {profile.name}: its categories")
        for c in profile.categories:
            defined.add_row(c.code, c.label, c.cls.slug)
        console.print(defined)


@app.command("lookup")
def lookup(
    values: Annotated[
        list[str] | None, typer.Argument(help="Hashes (MD5, SHA-1, SHA-256, PDQ, infohash).")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Read every value as this kind (md5, sha1, sha256, pdq, …).")
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from", help="Read hashes from a file, one a line.")
    ] = None,
    image: Annotated[
        list[Path] | None,
        typer.Option(help="Pictures to look up by PDQ; repeatable.", exists=True, dir_okay=False),
    ] = None,
    dihedral: Annotated[
        bool, typer.Option(help="Pictures: also try their rotations and mirror images.")
    ] = False,
    exact: Annotated[bool, typer.Option(help="PDQ: exact matches only, no near-duplicates.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> int:
    """Look hashes or pictures up in every set; exit 0 when any matched, 3 when none did."""
    queries = list(values or [])
    if from_file is not None:
        queries += [line.strip() for line in from_file.read_text().splitlines() if line.strip()]
    if not queries and not image:
        raise BadInputError(
            "nothing to look up", hint="give hashes as arguments, --from FILE or --image PICTURE"
        )
    service = library()
    results = service.lookup(queries, kind, near=not exact) if queries else []
    results += [service.lookup_image(path, dihedral=dihedral) for path in image or []]
    if as_json:
        console.print_json(json.dumps([_result_json(r) for r in results]))
    else:
        _print_results(results)
    if any(r.error for r in results):
        return int(ExitCode.BAD_INPUT)
    return int(ExitCode.OK if any(r.matches for r in results) else ExitCode.NOT_FOUND)


def _match_json(m: Match) -> dict[str, Any]:
    e = m.entry
    category = m.category
    return {
        "set": e.hash_set.name,
        "set_version": e.hash_set.version,
        "set_kind": e.hash_set.kind.value,
        "matched_on": m.kind,
        "distance": m.distance,
        "pdq_method": e.hash_set.pdq_method if m.kind == "pdq" else None,
        "category": None
        if category is None
        else {
            "profile": category.profile,
            "code": category.code,
            "label": category.label,
            "class": category.cls.slug,
            "publisher_label": e.category_label,
        },
        "md5": e.md5.hex() if e.md5 else None,
        "sha1": e.sha1.hex() if e.sha1 else None,
        "sha256": e.sha256.hex() if e.sha256 else None,
        "pdq": e.pdq.hex() if e.pdq else None,
        "size": e.size,
        "series": e.series,
        "file_name": e.file_name,
        "source_location": e.location,
        "victim_identified": e.victim_identified,
        "offender_identified": e.offender_identified,
        "distributed": e.distributed,
        "tags": list(e.tags),
        "comments": e.comments,
    }


def _result_json(r: LookupResult) -> dict[str, Any]:
    return {
        "query": r.query,
        "read_as": r.kinds,
        "error": r.error,
        "matches": [_match_json(m) for m in r.matches],
    }


def _print_results(results: list[LookupResult]) -> None:
    table = Table("query", "matched on", "set", "kind", "category", "dist", "file name / series")
    for r in results:
        short = r.query if len(r.query) <= 20 else r.query[:17] + "…"
        if r.error:
            table.add_row(short, "[red]error[/]", r.error, "", "", "", "")
        elif not r.matches:
            table.add_row(short, "[dim]no match[/]", "", "", "", "", "")
        for m in r.matches:
            e = m.entry
            table.add_row(
                short,
                m.kind,
                e.hash_set.label,
                e.hash_set.kind.value,
                _category_text(m),
                "" if m.distance is None else _distance_text(m),
                " / ".join(x for x in (e.file_name, e.series) if x),
            )
    console.print(table)


def _distance_text(m: Match) -> str:
    """The PDQ distance, with the method the set's hashes (and so the picture's) were made by."""
    if m.kind != "pdq":
        return str(m.distance)
    return f"{m.distance} ({m.entry.hash_set.pdq_method})"


def _category_text(m: Match) -> str:
    category = m.category
    if category is None:
        return "-"
    label = m.entry.category_label
    return f"{category} (publisher: {label})" if label else str(category)


@app.command("export")
def export(
    sets: Annotated[list[str] | None, typer.Argument(help="Set ids or names (default: every set).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"{', '.join(exporters().names())}.")] = "vics",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write ('-' or none: stdout).")
    ] = None,
) -> None:
    """Export sets as VICS 2.0 JSON, a hashdeep audit file, an md5sum-style list, CSV or known videos as
    vPDQ JSON lines. Entries with no hash the format can hold are left out, and counted."""
    with output_stream(output) as out:
        result = library().export(sets or [], fmt, out)
    to_file = output is not None and str(output) != "-"
    audit_export(
        object_type="hash_set",
        object_id=",".join(sets) if sets else "all",
        fmt=fmt,
        files=[output] if output and to_file else None,
        records=result.written,
    )
    if to_file:
        console_err.print(f"wrote {result.written:,} entries to {output}")
    if result.skipped:
        hint = "" if fmt == "vpdq" else " (known videos: --format vpdq)"
        console_err.print(f"skipped {result.skipped:,} entries with no hash the {fmt} format can hold{hint}")


@app.command("stats")
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Figures: sets and entries by kind, entries by category class across profiles, known videos."""
    figures = library().figures()
    by_class: dict[str, int] = {}
    for f in figures.sets:
        profile = f.info.category_profile
        for code, count in f.categories.items():
            category = profile.get(code)
            slug = category.cls.slug if category else "uncategorized"
            by_class[slug] = by_class.get(slug, 0) + count
    data = {
        "sets": len(figures.sets),
        "entries": figures.entries,
        "entries_by_kind": {k.value: figures.entries_of_kind(k) for k in SetKind},
        "entries_by_category_class": dict(sorted(by_class.items())),
        "digests": {
            k: sum(f.digests.get(k, 0) for f in figures.sets)
            for k in ("md5", "sha1", "sha256", "pdq", "btih_v1", "btih_v2", "bt_v2_root")
        },
        "known_videos": figures.videos,
        "video_frames": figures.video_frames,
    }
    if as_json:
        console.print_json(json.dumps(data))
        return
    table = Table("figure", "value", title="library")
    table.add_row("hash sets", f"{data['sets']:,}")
    table.add_row("entries", f"{figures.entries:,}")
    for k in SetKind:
        table.add_row(f"  {k.value}", f"{figures.entries_of_kind(k):,}")
    for slug, count in by_class.items():
        table.add_row(f"  category class {slug}", f"{count:,}")
    for k, count in data["digests"].items():  # type: ignore[attr-defined]
        table.add_row(f"  with {k}", f"{count:,}")
    table.add_row("known videos (vPDQ)", f"{figures.videos:,}")
    table.add_row("  their frames", f"{figures.video_frames:,}")
    console.print(table)


@app.command("imports")
def imports(
    problems: Annotated[int | None, typer.Option(help="Show the refused rows of this import id.")] = None,
    limit: Annotated[int, typer.Option(help="How many recent imports to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The import log: every attempt, its outcome (imported, already-imported, failed) and what it refused."""
    store = library().store
    if problems is not None:
        refused = store.import_problems(problems)
        if as_json:
            console.print_json(json.dumps([asdict(p) for p in refused]))
            return
        table = Table("location", "reason", "detail", title=f"refused rows of import {problems}")
        for p in refused:
            table.add_row(p.location, p.reason, p.detail)
        console.print(table)
        return
    if as_json:
        console.print_json(json.dumps([r.to_json() for r in store.imports(limit)]))
        return
    table = Table(
        "id", "when (UTC)", "by", "file", "format", "status", "set", "read", "taken", "refused", "error"
    )
    for r in store.imports(limit):
        table.add_row(
            str(r.id),
            f"{r.started_at:%Y-%m-%d %H:%M}",
            r.actor,
            Path(r.source_file).name,
            r.format or "",
            r.status,
            str(r.hash_set_id or ""),
            f"{r.rows_read:,}",
            f"{r.rows_taken:,}",
            f"{r.rows_refused:,}",
            r.error or "",
        )
    console.print(table)


@app.command("formats")
def formats_cmd(as_json: JsonOpt = False) -> None:
    """List the hash-set formats Vigilant reads, in detection order."""
    print_listing([{"name": r.name, "format": r.title} for r in formats()], as_json=as_json)


@app.command("index")
def index_cmd(
    prune: Annotated[bool, typer.Option(help="Also remove indexes of sets no longer in the library.")] = True,
) -> None:
    """Build the exact and PDQ indexes of every set now (otherwise built on first use)."""
    service = library()
    table = Table("set", "index", "entries", "size", title=f"indexes in {service.indexes.root}")
    for info, name, count, size in service.indexes.build_all():
        table.add_row(info.label, name, f"{count:,}", f"{size / 1e6:,.1f} MB")
    console.print(table)
    if prune:
        for path in service.indexes.prune():
            console.print(f"removed stale index {path.name}")


@app.command("remove")
def remove(
    ref: Annotated[str, typer.Argument(help="Set id, NAME or NAME@VERSION.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a set and its entries from the library (the import log keeps the record)."""
    service = library()
    info = service.store.get_set(ref)
    if not yes and not typer.confirm(f"Remove {info.label} and its {info.entry_count:,} entries?"):
        raise typer.Abort()
    service.store.remove_set(info.id)
    service.indexes.prune()
    console.print(f"removed {info.label} ({info.entry_count:,} entries)")
