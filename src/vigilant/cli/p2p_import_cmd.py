"""``vigilant p2p import``: observations from other tools (CSV, JSON lines, CyberTipline-style reports)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigilant.cli.common import console, settings
from vigilant.errors import ExitCode


def import_observations(
    files: Annotated[list[Path], typer.Argument(help="Files to import.", exists=True, dir_okay=False)],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="csv, jsonl or cybertip (docs/observations.md).")
    ],
    case_id: Annotated[str | None, typer.Option("--case", help="Case number recorded on every row.")] = None,
    show_problems: Annotated[int, typer.Option(help="How many refused rows to print per file.")] = 20,
) -> int:
    """Import observations from other tools into the observation store (tier: announced)."""
    from vigilant.p2p.importers import import_file

    worst = ExitCode.OK
    out = settings().data_dir / "observations"
    for path in files:
        report = import_file(path, fmt, out, actor=settings().user, case_id=case_id)
        if report.already_imported:
            console.print(f"{path}: already imported as {report.output.name}; nothing changed")
            continue
        console.print(
            f"{path}: {report.rows_taken:,} of {report.rows_read:,} rows imported into {report.output.name}"
        )
        for problem in report.problems[:show_problems]:
            console.print(f"  [red]line {problem.line}[/]: {problem.reason}")
        if len(report.problems) > show_problems:
            console.print(f"  … and {len(report.problems) - show_problems} more refused rows")
        if report.problems:
            worst = ExitCode.PARTIAL
    from vigilant.cli.common import database
    from vigilant.links.hooks import after_observations  # links sits above p2p: the face calls it

    console.print(after_observations(database(), settings().data_dir, out).line(), markup=False)
    return int(worst)
