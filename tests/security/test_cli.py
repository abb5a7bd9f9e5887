"""`vigilant users` and `vigilant audit` through Typer (wired into `vigilant` by the main CLI)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from vigilant.cli import audit_cmd, common, users_cmd
from vigilant.security.models import AuditEventRow
from vigilant.store import Database


@pytest.mark.usefixtures("agencies")
def test_add_list_disable_reset_mfa_and_verify(db: Database) -> None:
    runner = CliRunner()
    pw = "correct horse battery staple"
    added = runner.invoke(
        users_cmd.app, ["add", "ann", "--role", "investigator", "--agency", "7"], input=f"{pw}\n{pw}\n"
    )
    assert added.exit_code == 0, added.output
    assert "otpauth://totp/Vigilant:ann?secret=" in added.output
    weak = runner.invoke(users_cmd.app, ["add", "bob", "--role", "analyst"], input="short\nshort\n")
    assert weak.exit_code != 0
    listed = runner.invoke(users_cmd.app, ["list"])
    assert "ann" in listed.output
    assert "investigator" in listed.output
    assert runner.invoke(users_cmd.app, ["disable", "ann"]).exit_code == 0
    reset = runner.invoke(users_cmd.app, ["reset-mfa", "ann"])
    assert "otpauth://" in reset.output

    verified = runner.invoke(audit_cmd.app, ["verify"])
    assert verified.exit_code == 0, verified.output
    assert "intact" in verified.output

    found = runner.invoke(audit_cmd.app, ["search", "--actor", "test-examiner", "--action", "user", "--json"])
    assert found.exit_code == 0, found.output
    events = json.loads(found.output)
    assert [e["detail"].get("change", "created") for e in events] == ["mfa-reset", "disabled", "created"]
    assert {e["source"] for e in events} == {"cli"}


def test_verify_exits_5_with_the_first_broken_seq(db: Database) -> None:
    runner = CliRunner()
    for name in ("ann", "bob", "cy"):
        pw = "correct horse battery staple"
        runner.invoke(users_cmd.app, ["add", name, "--role", "analyst"], input=f"{pw}\n{pw}\n")
    with common.database().session() as s:
        s.execute(update(AuditEventRow).where(AuditEventRow.seq == 2).values(outcome="failure"))
    broken = runner.invoke(audit_cmd.app, ["verify"])
    assert broken.exit_code == 5
    assert "broken at seq 2" in broken.output
