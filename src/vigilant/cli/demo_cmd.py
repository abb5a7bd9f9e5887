"""``vigilant demo``: the main jobs on generated, benign data, in a folder of its own, and its web server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigilant.cli.common import console

DEFAULT_FOLDER = Path("demo-data")
FolderOpt = Annotated[Path, typer.Option(help="The demo's folder (as given to `vigilant demo`).")]

app = typer.Typer(
    help="Run the demonstration on generated, benign data (never touches your library).",
    invoke_without_command=True,
)


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Option(
            help="Where the demo builds its data: a new or empty folder, or an earlier demo's (kept aside "
            "as FOLDER.previous-TIME unless --discard-previous); any other folder is refused."
        ),
    ] = DEFAULT_FOLDER,
    discard_previous: Annotated[
        bool, typer.Option(help="Delete an earlier demo's folder instead of keeping it aside.")
    ] = False,
    serve: Annotated[
        bool, typer.Option(help="Leave the web application running in the background on 127.0.0.1.")
    ] = True,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port for the web application; a free one if it is busy.")
    ] = 8765,
    lifetime: Annotated[
        int, typer.Option(min=1, help="Minutes before the background web application stops itself.")
    ] = 60,
) -> None:
    """Run the demonstration on generated, benign data (never touches your library).

    Library import and look-ups, a disk image triaged, a loopback swarm observed, a province-wide operation
    generated, demo logins printed, and the web application started in the background.
    """
    if ctx.invoked_subcommand is not None:
        return
    from vigilant.cli import run
    from vigilant.demo.run import run_demo

    run_demo(
        folder.resolve(),
        run,
        console.print,
        serve=serve,
        port=port,
        lifetime_s=lifetime * 60,
        discard_previous=discard_previous,
    )


@app.command("code")
def code(
    username: Annotated[str, typer.Argument(help="A user the demo created (see its table of logins).")],
    folder: FolderOpt = DEFAULT_FOLDER,
) -> None:
    """Print the current TOTP code of a demo user (refused for any other account)."""
    from datetime import UTC, datetime

    from vigilant.demo.users import current_code

    current = current_code(folder.resolve(), username, now=datetime.now(UTC))
    console.print(
        f"{current.code}  [dim](valid for {current.seconds_left} s more; each code logs in once)[/]"
    )


@app.command("stop")
def stop(folder: FolderOpt = DEFAULT_FOLDER) -> None:
    """Stop the demo's background web application."""
    from vigilant.demo.server import stop_server

    server = stop_server(folder.resolve())
    if server is None:
        console.print("no demo web application is running")
    else:
        console.print(f"stopped the demo web application on port {server.port} (pid {server.pid})")
