"""Hints name commands as ``vigilant GROUP …``: every command group the CLI has must be in the pattern that
rewrites them to the program's real path (a group left out kept a bare ``vigilant`` in its hints)."""

from __future__ import annotations

from typer.main import get_command

from vigilant.cli import app
from vigilant.cli.common import SUBCOMMANDS


def test_every_command_of_the_cli_is_in_the_hint_pattern() -> None:
    group = get_command(app)
    names = set(group.commands)  # type: ignore[attr-defined]
    assert names <= set(SUBCOMMANDS.split("|")), sorted(names - set(SUBCOMMANDS.split("|")))
