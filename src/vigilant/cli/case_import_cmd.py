"""``vigilant cases import FILE``: case records from a records system, as JSON lines (docs/case-import.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigilant.cli.cases_cmd import AgencyOpt, RoleOpt, _actor
from vigilant.cli.common import JsonOpt, console, database, print_listing, settings
from vigilant.errors import ExitCode


def import_cases(
    file: Annotated[Path, typer.Argument(help="A case-import JSON lines file (docs/case-import.md).")],
    agency: AgencyOpt = None,
    role: RoleOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import cases, persons, seized devices and identifiers into your agency; a bad line is refused with its
    line number and the rest goes in; importing the same file again changes nothing (exit 6 if refused)."""
    from vigilant.cases.bulk_import import import_case_records
    from vigilant.links.hooks import after_case_import  # links sits above cases: the face calls it

    report = import_case_records(database(), _actor(agency, role), file)
    hook = after_case_import(database(), settings().data_dir)
    data = report.as_dict()
    if as_json:
        print_listing([data], as_json=True)
    else:
        created = ", ".join(f"{n} {k}" for k, n in data["created"].items()) or "nothing"
        unchanged = ", ".join(f"{n} {k}" for k, n in data["unchanged"].items()) or "nothing"
        console.print(f"{file}: {report.lines} records; created {created}; already present {unchanged}")
        for problem in report.problems:
            console.print(f"  line {problem.line}: refused: {problem.message}", highlight=False)
        console.print(hook.line(), markup=False)
    if report.problems:
        raise typer.Exit(int(ExitCode.PARTIAL))
