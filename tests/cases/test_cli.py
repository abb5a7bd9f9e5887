"""The ``cases`` commands, run through Typer on a migrated database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.cases.helpers import flagged_world
from vigilant.cli import run
from vigilant.cli.cases_cmd import app
from vigilant.errors import ExitCode
from vigilant.store import Database


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_agencies_operations_cases_and_release(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _run("agencies", "add", "Provincial Police", "PP", "--province", "ON", "--coordinator")
    _run("agencies", "add", "Barrie Police", "BPS", "--province", "ON", "--municipality", "Barrie")
    assert "Barrie Police" in _run("agencies", "list")
    monkeypatch.setenv("VIGILANT_AGENCY", "PP")
    _run("operations", "add", "OP-9", "Maple", "--starts", "2024-01-01", "--participant", "BPS")
    assert "OP-9" in _run("operations", "list", "--agency", "BPS", "--role", "analyst")
    _run("cases", "add", "24-9", "A case", "--operation", "OP-9", "--distribution", "operation")
    assert "24-9" in _run("cases", "list", "--agency", "BPS", "--role", "investigator")
    assert "A case" in _run("cases", "show", "1")
    figures = json.loads(_run("operations", "figures", "OP-9", "--as-of", "2024-07-01", "--json"))
    assert figures["cases"] == 1
    assert figures["charges"] == 0
    assert json.loads(_run("release", "preview", "OP-9", "--json"))["named"] == []


def test_a_role_that_does_not_grant_the_action_exits_7(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _run("agencies", "add", "Provincial Police", "PP", "--province", "ON", "--coordinator")
    monkeypatch.setenv("VIGILANT_AGENCY", "PP")
    code = run(["cases", "cases", "add", "24-1", "Analysts read", "--role", "analyst"])
    assert code == ExitCode.DENIED
    assert int(ExitCode.DENIED) == 7  # documented in the README: scripts rely on the number
    assert "24-1" not in _run("cases", "list", "--role", "investigator")


def test_release_clear_names_a_flagged_accused_once_cleared(db: Database) -> None:
    _, _, accused, victim = flagged_world(db)
    preview = ["release", "preview", "OP-1", "--agency", "PP", "--as-of", "2024-09-01"]
    assert "Alexis" not in json.dumps(json.loads(_run(*preview, "--json"))["named"])
    assert "withheld until cleared" in _run(*preview)
    refused = run(["cases", "release", "clear", "OP-1", str(accused), "--reason", "x", "--agency", "BPS"])
    assert refused == ExitCode.DENIED
    out = _run(
        "release", "clear", "OP-1", str(accused), "--reason", "no family tie", "--agency", "PP",
        "--as-of", "2024-09-01",
    )  # fmt: skip
    assert f"person #{accused} (victim record #{victim})" in out
    assert "Alexis Tremblay, 49, of Orillia" in _run(*preview)
