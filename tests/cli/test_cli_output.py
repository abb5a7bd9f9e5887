"""What the command line prints for scripts and people: full-width tables, readable help, runnable hints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from tests.library.helpers import entry
from vigilant.cli import app, run
from vigilant.cli.common import name_commands
from vigilant.errors import ExitCode
from vigilant.library.samples import write_vics

VIGILANT = Path(sys.executable).with_name("vigilant")


def test_tables_are_not_cut_when_the_output_is_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "set.json"
    write_vics(path, [entry(i) for i in range(3)], version="2.0", form="media")
    name = "Provincial ICE unit — series under review " + "x" * 90
    assert run(["library", "import", str(path), "--name", name, "--source", "L-1 " + "y" * 80]) == ExitCode.OK
    capsys.readouterr()
    assert run(["library", "list"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert name in out  # whole, on one line: scripts used to get "L-1…" and cut names
    assert "…" not in out


@pytest.mark.parametrize(
    "command",
    [
        ["library", "import", "--help"],
        ["triage", "run", "--help"],
        ["demo", "--help"],
        ["audit", "verify", "--help"],
    ],
)
def test_help_shows_no_python_type_names(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(command) == ExitCode.OK
    out = capsys.readouterr().out
    for python_name in ("<bool>", "<str>", "<int>", "<Path>", "<list[", "<float>", "<datetime>"):
        assert python_name not in out, (python_name, out)


def test_help_shows_plain_value_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["library", "import", "--help"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "FILES..." in out
    assert "TEXT" in out
    assert "known-bad|known-good|" in out  # choices listed as they are


def test_hints_name_the_command_as_it_was_run() -> None:
    assert name_commands("run `vigilant library list` first", ".venv/bin/vigilant") == (
        "run `.venv/bin/vigilant library list` first"
    )
    # Only the command followed by one of its subcommands: the product's name and other words stay.
    assert name_commands("made by vigilant demo; Vigilant library", "/x/vigilant") == (
        "made by /x/vigilant demo; Vigilant library"
    )
    assert name_commands("the vigilant unit", "/x/vigilant") == "the vigilant unit"
    assert name_commands("`vigilant library list`", "vigilant") == "`vigilant library list`"


def test_a_hint_run_from_the_virtual_environment_names_its_path(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PATH",)}
    env["PATH"] = (
        "/usr/bin:/bin"  # the virtual environment is not on the PATH: `vigilant` alone would not run
    )
    env["VIGILANT_DATA_DIR"] = str(tmp_path / "data")
    env["VIGILANT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'v.db'}"
    done = subprocess.run(
        [str(VIGILANT), "library", "show", "no-such-set"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == ExitCode.NOT_FOUND
    assert f"`{VIGILANT} library list`" in done.stderr, done.stderr


LISTING_NAMES = {"list", "status", "formats", "imports", "search", "stats"}


def test_every_listing_takes_json() -> None:
    def walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
        found = [(path, command)]
        for name, sub in getattr(command, "commands", {}).items():
            found += walk(sub, [*path, name])
        return found

    missing = [
        " ".join(path)
        for path, command in walk(typer.main.get_command(app), ["vigilant"])
        if path[-1] in LISTING_NAMES and not any("--json" in getattr(p, "opts", ()) for p in command.params)
    ]
    assert missing == []


@pytest.mark.parametrize(
    "command",
    [
        ["evidence", "list"],
        ["triage", "status"],
        ["library", "formats"],
        ["library", "list"],
        ["cases", "agencies", "list"],
    ],
)
def test_listings_print_json_a_script_can_read(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*command, "--json"]) == ExitCode.OK
    assert isinstance(json.loads(capsys.readouterr().out), list)
