"""``vigilant links …``: build the entity graph across cases, list and show links, find paths, export."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Link analysis across cases: build the entity graph, list, show, path, export.",
    no_args_is_help=True,
)
