"""``vigilant links xref | judge | profile`` on a migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from tests.cases.helpers import actor, world
from vigilant.cases.models import Distribution, PersonRole
from vigilant.cases.people import add_person
from vigilant.cases.service import open_case
from vigilant.cli import run
from vigilant.cli.links_cmd import app
from vigilant.errors import ExitCode
from vigilant.store import Database


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_run_list_judge_and_profile_from_the_command_line(db: Database) -> None:
    w = world(db)
    pp = open_case(db, actor(w.coordinator), number="PP-7", title="pp", operation=w.operation,
                   distribution=Distribution.OPERATION).id  # fmt: skip
    bps = open_case(db, actor(w.partner), number="BPS-7", title="bps", operation=w.operation,
                    distribution=Distribution.OPERATION).id  # fmt: skip
    a = add_person(db, actor(w.coordinator), pp, given_names="Jonathan", surname="Pelletier",
                   role=PersonRole.SUSPECT, date_of_birth=date(1983, 9, 17)).id  # fmt: skip
    b = add_person(db, actor(w.partner), bps, given_names="Jon", surname="Peletier",
                   role=PersonRole.ACCUSED, date_of_birth=date(1983, 9, 17)).id  # fmt: skip

    (proposal,) = json.loads(_run("xref", "--run", "--agency", "PP", "--json"))
    assert {proposal["person"]["id"], proposal["other"]["id"]} == {a, b}
    assert [c["comparison"] for c in proposal["comparisons"]][:2] == ["name", "date of birth"]
    table = _run("xref", "--agency", "PP")
    assert "Jon Peletier" in table
    assert "date of birth: same date of birth" in table

    assert run(["links", "judge", str(proposal["id"]), "perhaps", "--reason", "x", "--agency", "PP"]) == (
        ExitCode.BAD_INPUT
    )
    assert run(["links", "judge", str(proposal["id"]), "same", "--reason", "x", "--agency", "PP",
                "--role", "auditor"]) == ExitCode.DENIED  # fmt: skip
    assert "judged same" in _run(
        "judge", str(proposal["id"]), "same", "--reason", "one phone", "--agency", "PP"
    )
    assert json.loads(_run("xref", "--agency", "PP", "--json")) == []
    members = json.loads(_run("profile", str(a), "--agency", "BPS", "--json"))
    assert [m["id"] for m in members] == [a, b]
