"""``vigilant demo``: the main job on generated, benign data, in a folder of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigilant.cli.common import console


def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo builds its data (wiped first).")] = Path(
        "demo-data"
    ),
) -> None:
    """Run the demonstration on generated, benign data (never touches your library)."""
    from vigilant.cli import run
    from vigilant.demo import run_demo

    run_demo(folder.resolve(), run, console.print)
