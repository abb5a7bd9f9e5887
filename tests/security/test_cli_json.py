"""`vigilant users list --json`: the same rows as the table, as JSON for scripts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vigilant.cli import users_cmd
from vigilant.store import Database


@pytest.mark.usefixtures("agencies")
def test_users_list_prints_json(db: Database) -> None:
    runner = CliRunner()
    pw = "correct horse battery staple"
    added = runner.invoke(
        users_cmd.app, ["add", "ann", "--role", "investigator", "--agency", "7"], input=f"{pw}\n{pw}\n"
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(users_cmd.app, ["list", "--json"])
    assert listed.exit_code == 0, listed.output
    [ann] = [u for u in json.loads(listed.output) if u["username"] == "ann"]
    assert ann["roles"] == ["investigator"]
    assert ann["agency_id"] == 7
    assert ann["disabled"] is False
    assert ann["locked_until"] is None
    table = runner.invoke(users_cmd.app, ["list"])
    assert "ann" in table.output
    assert "investigator" in table.output
