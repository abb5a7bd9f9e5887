"""``vigilant links …``: build the entity graph across cases, list and show links, find paths, export."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Link analysis across cases: build the entity graph, list, show, path, export.",
    no_args_is_help=True,
)

# Person resolution (xref) lives in its own module; its commands join this group.
from vigilant.cli import xref_cmd  # noqa: E402

app.command("xref")(xref_cmd.xref)
app.command("judge")(xref_cmd.judge)
app.command("profile")(xref_cmd.profile)
