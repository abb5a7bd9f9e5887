"""``vigilant triage …``: run seized media against the library, resume, watch, report."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
)
from rich.text import Text

from vigilant.cli.common import (
    JsonOpt,
    audit_export,
    console,
    console_err,
    database,
    local_actor,
    output_stream,
    print_listing,
    settings,
    vigilant,
)
from vigilant.cli.evidence_cmd import KeyOpt, read_keys
from vigilant.errors import BadInputError, ExitCode
from vigilant.evidence.keys import KeyRing, holding
from vigilant.triage import runner
from vigilant.triage.cluster import ClusterRun
from vigilant.triage.reports import reports
from vigilant.triage.runinfo import Coverage
from vigilant.triage.service import TriageService
from vigilant.triage.settings import PRIORITY_LIMIT, TriageSettings

app = typer.Typer(
    help="Triage: hash, identify and match every file of an evidence item.", no_args_is_help=True
)
DEFAULTS = TriageSettings()


def _service() -> TriageService:
    return vigilant().triage


def eta_text(done: int, total: int | None, elapsed: float) -> str:
    """The time left at the average rate so far (bytes): steadier than Rich's recent-samples estimate, and
    there from the first step on (Rich's needs two steps within 30 s, which a short run never gave)."""
    if total is not None and total > 0 and done >= total:
        return f"done in {_clock(elapsed)}"
    if total is None or done <= 0 or elapsed <= 0:
        return "ETA ?"
    return f"ETA {_clock((total - done) * elapsed / done)}"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class _Eta(ProgressColumn):
    def render(self, task: Task) -> Text:
        total = None if task.total is None else int(task.total)
        return Text(eta_text(int(task.completed), total, task.elapsed or 0.0), style="progress.remaining")


@contextmanager
def _bar(title: str) -> Iterator[runner.Progress]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        # The evidence's own files: archive members are found while they are read, and the summary adds
        # them ("6 files (4 on the evidence, 2 inside archives)").
        TextColumn("{task.fields[files]:,}/{task.fields[files_total]:,} evidence files"),
        TextColumn("{task.fields[rate]:,.0f} files/s"),
        TextColumn("{task.fields[speed]}"),
        _Eta(),
    )
    lock = threading.Lock()  # told from the hashing threads as their groups finish
    with Progress(*columns, console=console_err, transient=False) as bar:
        task = bar.add_task(title, total=None, files=0, files_total=0, rate=0.0, speed="")

        def total(files: int, size: int) -> None:
            bar.update(task, total=size, files_total=files)

        def advance(files: int, size: int) -> None:
            with lock:
                state = bar.tasks[task]
                done = state.fields["files"] + files
                elapsed = state.elapsed or 0.0
                speed = (state.completed + size) / elapsed if elapsed > 0 else 0.0
                bar.update(
                    task,
                    advance=size,
                    files=done,
                    rate=done / elapsed if elapsed > 0 else 0.0,
                    speed=f"{speed / 1e6:,.1f} MB/s",
                )

        yield runner.Progress(on_total=total, on_advance=advance)


def _print_summary(service: TriageService, run_id: int) -> int:
    """Print a run's figures; the exit code says whether a volume of the evidence could not be read."""
    row = service.status(run_id, local_actor())
    s = row.summary
    files, members = s.get("files", 0), s.get("archive_members", 0)
    console.print(
        f"run [bold]{run_id}[/] {row.status}: {files:,} files ({files - members:,} on the evidence, "
        f"{members:,} inside archives), {s.get('bytes', 0):,} bytes, "
        f"[red]{s.get('known_bad', 0):,} known-bad[/], {s.get('alert', 0):,} alert, "
        f"{s.get('known_good', 0):,} known-good, {s.get('errors', 0):,} unreadable, "
        f"{s.get('deleted', 0):,} deleted"
    )
    _print_workers(row.batches_done, row.batches_total, row.scheduler, row.workers)
    if row.settings.get("priority"):
        console.print(f"priority on the cluster: {row.settings['priority']}", markup=False)
    verification = row.verification or {}
    state = "[green]verified[/]" if verification.get("ok") else "[red]NOT verified[/]"
    console.print(f"evidence re-verified after the run: {state}; results in {row.results_dir}")
    from vigilant.links.hooks import after_run_finished  # links sits above triage: the face calls it

    console.print(after_run_finished(database(), run_id, settings().data_dir).line(), markup=False)
    coverage = Coverage.from_json(row.coverage)
    if coverage is None or coverage.headline is None:
        return int(ExitCode.OK)
    console.print(f"[bold red]not read: {coverage.headline}[/]")
    for part in coverage.parts:
        console.print(f"  {part.where}: {part.reason}", markup=False)
    return int(ExitCode.INCOMPLETE if coverage.unreadable_volumes else ExitCode.OK)


def _print_workers(
    done: int, total: int | None, scheduler: str | None, workers: dict[str, Any] | None
) -> None:
    """How far the run is, in batches, and which worker wrote which of them."""
    if scheduler is None:
        return  # a run from before triage on Dask kept none of it
    of = "?" if total is None else f"{total:,}"
    console.print(f"batches: {done:,} of {of} written; last worked on by: {scheduler}", markup=False)
    for name, mine in sorted((workers or {}).items()):
        console.print(
            f"  {name}: {mine['count']:,} batches ({mine['batches']}), {mine['files']:,} files, "
            f"{mine['bytes']:,} bytes",
            markup=False,
        )


@app.command("run")
def run(
    evidence: Annotated[
        str, typer.Argument(help="Evidence item id or label (`vigilant evidence add` first).")
    ],
    identify: Annotated[
        bool,
        typer.Option(
            help="True type by content, extension check, archives opened; --no-identify: digests only "
            "(also turns off --pdq and --exif)."
        ),
    ] = DEFAULTS.identify,
    pdq: Annotated[
        bool, typer.Option(help="Perceptual hashes: PDQ of pictures, vPDQ of videos.")
    ] = DEFAULTS.pdq,
    exif: Annotated[
        bool | None,
        typer.Option("--exif/--no-exif", help="EXIF metadata of pictures (default: on when --pdq is)."),
    ] = None,
    archive_depth: Annotated[int, typer.Option(help="How deep to open archives inside archives.")] = 3,
    threads: Annotated[int, typer.Option(help="Threads reading and hashing.")] = 2,
    processes: Annotated[int, typer.Option(help="Processes decoding pictures and videos.")] = 2,
    sets: Annotated[
        list[int] | None, typer.Option("--set", help="Only these library set ids; repeatable.")
    ] = None,
    batch_files: Annotated[
        int, typer.Option(help="Files per checkpoint (a killed run redoes at most one).")
    ] = 512,
    max_video_bytes: Annotated[
        int,
        typer.Option(min=1, help="Larger videos are hashed but not decoded for vPDQ."),
    ] = DEFAULTS.max_video_bytes,
    max_video_seconds: Annotated[
        int,
        typer.Option(
            min=1, help="vPDQ hashes a video's first this many seconds; the record says when it stopped."
        ),
    ] = DEFAULTS.max_video_seconds,
    max_video_frames: Annotated[
        int,
        typer.Option(min=1, help="Frames decoded per video, at most; the record says when it stopped."),
    ] = DEFAULTS.max_video_frames,
    keys: KeyOpt = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="A Dask scheduler (tcp://HOST:8786): the batches go to its workers (`dask worker`), "
            "which read the evidence from shared storage; 'local': this machine; default: "
            "VIGILANT_DASK_SCHEDULER, else this machine."
        ),
    ] = None,
    priority: Annotated[
        int,
        typer.Option(
            min=-PRIORITY_LIMIT,
            max=PRIORITY_LIMIT,
            help="On a cluster: this run's batches go before those of runs of lower priority queued earlier.",
        ),
    ] = 0,
) -> int:
    """Triage an evidence item: digests, true type, PDQ, vPDQ and EXIF, matches; resumable.

    Exit code 8 (incomplete) when a volume of the evidence has no file system The Sleuth Kit can read, or
    is encrypted and no --key given unlocks it.
    """
    service = _service()
    cluster = _cluster(scheduler, keys)
    given = read_keys(keys)  # asked for before the run starts, not in the middle of its progress bar
    options = TriageSettings(
        identify=identify,
        # Digests only: nothing is identified, so no picture or video is decoded either.
        pdq=pdq and identify,
        exif=(pdq if exif is None else exif) and identify,
        archive_depth=archive_depth,
        threads=threads,
        processes=processes,
        set_ids=tuple(sets) if sets else None,
        batch_files=batch_files,
        max_video_bytes=max_video_bytes,
        max_video_seconds=max_video_seconds,
        max_video_frames=max_video_frames,
        priority=priority,
    )
    me = local_actor()
    run_id = service.create(evidence, options, me)
    # The keys live in this process for the run only; each volume they unlock goes to the custody log.
    item = service.status(run_id, me).evidence_id
    ring = KeyRing(given, service.evidence.unlock_recorder(item, me, {"run": run_id})) if given else None
    with holding(ring), _bar(f"triage {evidence}") as progress:
        service.work(run_id, me, progress, cluster=cluster)
    return _print_summary(service, run_id)


def _cluster(scheduler: str | None, keys: list[str] | None) -> ClusterRun | None:
    """The cluster named by --scheduler, else by VIGILANT_DASK_SCHEDULER; None: this machine."""
    address = settings().dask_scheduler if scheduler is None else scheduler
    if not address or address == "local":
        return None
    if keys:
        raise BadInputError(
            "keys of encrypted volumes never leave this process, so they cannot go to cluster workers",
            hint="triage an encrypted item here: --scheduler local",
        )
    return ClusterRun(address)


@app.command("resume")
def resume(
    run_id: Annotated[int, typer.Argument(help="The run to finish.")],
    threads: Annotated[int | None, typer.Option(help="Threads reading and hashing.")] = None,
    keys: KeyOpt = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="A Dask scheduler (tcp://HOST:8786) to finish it on; 'local': this machine; default: "
            "VIGILANT_DASK_SCHEDULER, else this machine."
        ),
    ] = None,
    priority: Annotated[
        int | None,
        typer.Option(
            min=-PRIORITY_LIMIT,
            max=PRIORITY_LIMIT,
            help="The run's new priority on a cluster (default: the one it was started with).",
        ),
    ] = None,
) -> int:
    """Finish a run that was interrupted or paused, here or on a Dask cluster (the batches written are
    kept, wherever they were done); the result is the same as an uninterrupted run.

    Its encrypted volumes need their --key again: keys are never stored.

    Exit code 8 (incomplete) when a volume of the evidence has no file system The Sleuth Kit can read.
    """
    cluster = _cluster(scheduler, keys)
    service, me, given = _service(), local_actor(), read_keys(keys)
    item = service.status(run_id, me).evidence_id
    ring = KeyRing(given, service.evidence.unlock_recorder(item, me, {"run": run_id})) if given else None
    with holding(ring), _bar(f"resume run {run_id}") as progress:
        service.resume(run_id, me, progress, threads=threads, cluster=cluster, priority=priority)
    return _print_summary(service, run_id)


@app.command("pause")
def pause(run_id: Annotated[int, typer.Argument(help="The run to pause.")]) -> None:
    """Pause a run: it stops after the batch being written; `vigilant triage resume` goes on from there."""
    status = _service().control(run_id, "pause", local_actor())
    console.print(f"run {run_id}: {'pause asked' if status == 'running' else status}")


@app.command("cancel")
def cancel(run_id: Annotated[int, typer.Argument(help="The run to cancel.")]) -> None:
    """Cancel a run: it stops after the batch being written and cannot be resumed (its batches are kept)."""
    status = _service().control(run_id, "cancel", local_actor())
    console.print(f"run {run_id}: {'cancel asked' if status == 'running' else status}")


@app.command("status")
def status(
    run_id: Annotated[int | None, typer.Argument(help="One run (default: list them all).")] = None,
    as_json: JsonOpt = False,
) -> int | None:
    """Show the runs, or one run's figures.

    For one run, exit code 8 (incomplete) when a volume of its evidence has no readable file system.
    """
    service = _service()
    if run_id is not None and not as_json:
        return _print_summary(service, run_id)
    rows = []
    incomplete = False
    me = local_actor()
    for row in service.runs(me) if run_id is None else [service.status(run_id, me)]:
        coverage = Coverage.from_json(row.coverage)
        headline = None if coverage is None else coverage.headline
        incomplete = incomplete or bool(coverage is not None and coverage.unreadable_volumes)
        rows.append(
            {
                "run": row.id,
                "evidence": row.evidence_id,
                "status": row.status if headline is None else f"{row.status}: {headline}",
                "files": row.summary.get("files", row.files_total or 0),
                "batches": f"{row.batches_done}/{'?' if row.batches_total is None else row.batches_total}",
                "known-bad": row.summary.get("known_bad", 0),
                "started (UTC)": row.created_at.strftime("%Y-%m-%d %H:%M"),
                "tool": row.tool,
                **(
                    {
                        "summary": row.summary,
                        "coverage": row.coverage,
                        "verification": row.verification,
                        "scheduler": row.scheduler,
                        "priority": row.settings.get("priority", 0),
                        "workers": row.workers,
                    }
                    if as_json
                    else {}
                ),
            }
        )
    columns = ("run", "evidence", "status", "files", "batches", "known-bad", "started (UTC)", "tool")
    print_listing(rows, as_json=as_json, columns=columns)
    if run_id is not None and incomplete:
        return int(ExitCode.INCOMPLETE)  # as without --json: a volume could not be read
    return None


@app.command("report")
def report(
    run_id: Annotated[int, typer.Argument(help="A finished run.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html, csv, vics, case, dfxml, hashdeep.")
    ] = "html",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write ('-' or none: stdout).")
    ] = None,
) -> None:
    """Write a run's report: HTML summary, CSV, VICS 2.0, CASE/UCO JSON-LD, DFXML or a hashdeep audit file."""
    service = _service()
    reports()[fmt]  # an unknown format fails before anything is written
    with output_stream(output) as out:
        service.report(run_id, fmt, out, local_actor())
    to_file = output is not None and str(output) != "-"
    audit_export(
        object_type="triage_run",
        object_id=str(run_id),
        fmt=fmt,
        files=[output] if output and to_file else None,
    )
    if to_file:
        console_err.print(f"wrote {output}")
