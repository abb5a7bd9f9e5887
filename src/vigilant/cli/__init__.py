"""The ``vigilant`` command: a thin face over the services (the web API is the other face)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import nullcontext

import typer
from typer._click.exceptions import NoArgsIsHelpError
from typer.exceptions import TyperException

from vigilant.app import Vigilant
from vigilant.cli import (
    audit_cmd,
    cases_cmd,
    db_cmd,
    demo_cmd,
    evidence_cmd,
    hash_cmd,
    leads_cmd,
    library_cmd,
    links_cmd,
    p2p_cmd,
    p2p_import_cmd,
    registry_cmd,
    registry_places_cmd,
    review_cmd,
    serve_cmd,
    triage_cmd,
    users_cmd,
)
from vigilant.cli.common import console_err, using
from vigilant.cli.help_names import use_plain_help_names
from vigilant.errors import ExitCode, VigilantError

use_plain_help_names()

app = typer.Typer(
    name="vigilant",
    help="Vigilant: known-material library, evidence triage, P2P leads and operations for CSE cases.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
app.add_typer(library_cmd.app, name="library")
app.command("hash")(hash_cmd.hash_files)
app.add_typer(evidence_cmd.app, name="evidence")
app.add_typer(triage_cmd.app, name="triage")
p2p_cmd.app.command("import")(p2p_import_cmd.import_observations)
app.add_typer(p2p_cmd.app, name="p2p")
app.add_typer(leads_cmd.app, name="leads")
app.add_typer(links_cmd.app, name="links")
registry_places_cmd.register(registry_cmd.app)  # near, check, matches, vsc, facilities
app.add_typer(registry_cmd.app, name="registry")
app.add_typer(review_cmd.app, name="review")
app.add_typer(cases_cmd.app, name="cases")
app.add_typer(users_cmd.app, name="users")
app.add_typer(audit_cmd.app, name="audit")
app.command("serve")(serve_cmd.serve)
app.add_typer(db_cmd.app, name="db")
app.add_typer(demo_cmd.app, name="demo")


@app.command("version")
def version() -> None:
    """Print Vigilant's version."""
    from vigilant import __version__

    typer.echo(__version__)


def run(argv: Sequence[str] | None = None, *, application: Vigilant | None = None) -> int:
    """Run the command line and return its exit code (tests call this; ``main`` exits with it).

    ``application``: the application object the command uses (a test's); default, the settings' one."""
    try:
        with using(application) if application is not None else nullcontext():
            result = app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except VigilantError as exc:
        console_err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        if exc.hint:
            console_err.print(f"[dim]hint:[/] {exc.hint}", highlight=False)
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except NoArgsIsHelpError:
        return int(ExitCode.OK)  # the help was shown, as asked
    except TyperException as exc:  # usage errors: unknown option, missing argument, bad value
        console_err.print(f"[bold red]usage:[/] {exc.format_message()}", highlight=False)
        console_err.print("[dim]hint:[/] add --help to see what the command takes", highlight=False)
        return int(ExitCode.USAGE)
    except typer.Abort:
        console_err.print("aborted")
        return int(ExitCode.FAILURE)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


def main() -> None:
    sys.exit(run())
