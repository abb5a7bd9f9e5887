"""Docs that tests guard: a generated CLI reference, a description for every command, documented settings."""

from __future__ import annotations

import typer

from tests.conftest import REPO
from vigilant.cli import app
from vigilant.cli.reference import _walk, cli_reference
from vigilant.config import SETTINGS_DOC


def test_cli_reference_is_current() -> None:
    committed = (REPO / "docs" / "cli.md").read_text()
    assert committed == cli_reference(), (
        "docs/cli.md is stale: python -m vigilant.cli.reference > docs/cli.md"
    )


def test_every_command_has_a_one_line_description() -> None:
    for path, command in _walk(typer.main.get_command(app), ["vigilant"]):
        assert (command.help or "").strip(), f"`{' '.join(path)}` has no description"


def test_every_setting_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for name in SETTINGS_DOC:
        assert f"`{name}`" in readme, f"{name} is not documented in README.md"


def test_readme_opens_with_the_two_setup_commands() -> None:
    head = (REPO / "README.md").read_text().split("\n## ")[0]
    assert "make demo" in head
    assert "make test" in head
