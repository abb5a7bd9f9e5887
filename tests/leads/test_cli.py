"""The leads and import commands, end to end through Typer (not yet wired into `vigilant`)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from tests.leads.helpers import AS_OF, obs, peer, seed_agencies, seed_library, write
from vigilant.cli import common, leads_cmd
from vigilant.cli.p2p_import_cmd import import_observations
from vigilant.security.models import AuditEventRow


def test_build_list_show_assign_advance_claim_export(tmp_path: Path, mmdb: Path, jurisdictions: Path) -> None:
    seed_library(common.database())
    folder = common.settings().data_dir / "observations"
    write(folder, "s", [obs("192.0.2.1", AS_OF - timedelta(days=1), 0, peer_id=peer(1), seeding=True)])
    runner = CliRunner()
    build = [
        "build",
        "--as-of",
        AS_OF.isoformat(),
        "--mmdb",
        str(mmdb),
        "--jurisdictions",
        str(jurisdictions),
    ]
    built = runner.invoke(leads_cmd.app, build)
    assert built.exit_code == 0, built.output
    assert "1 leads (1 new" in built.output
    # No agency recorded yet: the table's name is reported, the lead left unrouted (the name kept).
    said = " ".join(built.output.split())
    assert "no agency named 'Ottawa Police ICE' (jurisdiction table): 1 lead(s) left unrouted" in said
    [lead] = json.loads(runner.invoke(leads_cmd.app, ["list", "--json"]).output)
    assert (lead["routed_to"], lead["routed_agency_id"]) == ("Ottawa Police ICE", None)
    agencies = seed_agencies(common.database())
    rebuilt = runner.invoke(leads_cmd.app, build)
    assert "no agency named" not in rebuilt.output
    listed = runner.invoke(leads_cmd.app, ["list", "--json"])
    [lead] = json.loads(listed.output)
    assert (lead["routed_to"], lead["routed_agency_id"]) == ("Ottawa Police ICE", agencies["OTTAWA"])
    assert len(json.loads(runner.invoke(leads_cmd.app, ["list", "--json", "--agency", "OTTAWA"]).output)) == 1
    shown = runner.invoke(leads_cmd.app, ["show", lead["key"]])
    assert "known_files" in shown.output
    assert "Vigilant-Test-City-ISP" in shown.output
    unknown = runner.invoke(leads_cmd.app, ["assign", lead["key"], "Nowhere PD"])
    assert unknown.exit_code != 0
    assert "no agency Nowhere PD" in str(unknown.exception)
    assigned = runner.invoke(leads_cmd.app, ["assign", lead["key"], "ottawa"])  # by short name
    assert assigned.exit_code == 0, assigned.output
    assert "assigned to Ottawa Police ICE" in assigned.output
    by_id = runner.invoke(leads_cmd.app, ["assign", lead["key"], str(agencies["OTTAWA"])])
    assert by_id.exit_code == 0, by_id.output
    refused = runner.invoke(leads_cmd.app, ["advance", lead["key"], "subscriber_identified"])
    assert refused.exit_code != 0
    secret = tmp_path / "secret"
    secret.write_text("x" * 64)
    claimed = runner.invoke(
        leads_cmd.app, ["claim", lead["key"], "--agency", "OPS", "--secret-file", str(secret)]
    )
    assert "new claim(s) recorded" in claimed.output
    exported = runner.invoke(leads_cmd.app, ["export", lead["key"], "-o", str(tmp_path / "pkg")])
    assert exported.exit_code == 0, exported.output
    # The export is in the audit chain, each file named by its SHA-256.
    with common.database().session() as s:
        events = list(s.scalars(select(AuditEventRow).where(AuditEventRow.action == "export")))
    written = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "pkg").iterdir()}
    assert {e.detail["destination"]: e.detail["sha256"] for e in events} == written
    assert {e.object_type for e in events} == {"lead"}
    assert (tmp_path / "pkg" / f"lead-{lead['key']}.html").exists()
    assert (tmp_path / "pkg" / f"lead-{lead['key']}.pdf").read_bytes().startswith(b"%PDF-")


def test_import_command_reports_bad_lines(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(import_observations)
    source = tmp_path / "a.csv"
    source.write_text(
        "ts_utc,ip,infohash_v1\n2024-01-01T00:00:00Z,192.0.2.1," + "ab" * 20 + "\nbad,192.0.2.1,\n"
    )
    result = CliRunner().invoke(app, [str(source), "--format", "csv"])
    said = " ".join(result.output.split())  # Rich wraps to the terminal width
    assert "1 of 2 rows imported" in said
    assert "line 3: no infohash_v1" in said
    again = CliRunner().invoke(app, [str(source), "--format", "csv"])
    assert "already imported" in " ".join(again.output.split())


def test_a_lead_routed_to_an_unknown_agency_reads_unrouted_everywhere(
    tmp_path: Path, mmdb: Path, jurisdictions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The jurisdiction table names 'Ottawa Police ICE' and no agency has that name: the build warns, and the
    list, the lead, its JSON and its package say 'unrouted' with the reason, never 'routed to' that name."""
    from html import unescape  # noqa: PLC0415

    from pypdf import PdfReader  # noqa: PLC0415

    monkeypatch.setattr(common.console, "width", 250)  # a wide table: every column whole
    seed_library(common.database())
    folder = common.settings().data_dir / "observations"
    write(folder, "s", [obs("192.0.2.1", AS_OF - timedelta(days=1), 0, peer_id=peer(1), seeding=True)])
    runner = CliRunner()
    build = [
        "build",
        "--as-of",
        AS_OF.isoformat(),
        "--mmdb",
        str(mmdb),
        "--jurisdictions",
        str(jurisdictions),
    ]
    assert runner.invoke(leads_cmd.app, build).exit_code == 0
    reason = "the jurisdiction table names 'Ottawa Police ICE', which is no agency in Vigilant"
    [lead] = json.loads(runner.invoke(leads_cmd.app, ["list", "--json"]).output)
    assert (lead["routing_status"]["routed"], lead["routing_status"]["agency_id"]) == (False, None)
    assert lead["routing_status"]["text"].startswith(f"unrouted: {reason}")
    table = runner.invoke(leads_cmd.app, ["list"]).output
    assert "unrouted" in table
    assert "Ottawa Police ICE" not in table
    shown = " ".join(runner.invoke(leads_cmd.app, ["show", lead["key"]]).output.split())
    assert f"unrouted: {reason}" in shown
    assert "routed to Ottawa" not in shown
    assert runner.invoke(leads_cmd.app, ["export", lead["key"], "-o", str(tmp_path / "pkg")]).exit_code == 0
    stem = tmp_path / "pkg" / f"lead-{lead['key']}"
    package = json.loads(stem.with_suffix(".json").read_text())
    assert package["lead"]["routing_status"]["routed"] is False
    html = " ".join(unescape(stem.with_suffix(".html").read_text()).split())
    pdf = " ".join(
        " ".join(page.extract_text() for page in PdfReader(stem.with_suffix(".pdf")).pages).split()
    )
    for text in (html, pdf):
        assert "unrouted" in text
        assert "no agency in Vigilant" in text
        assert "routed to Ottawa" not in text
