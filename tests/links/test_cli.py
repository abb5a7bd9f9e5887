"""``vigilant links build | builders | list | show | path | export`` over the planted installation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.links.world import Planted, planted
from vigilant.cli.links_cmd import app
from vigilant.links.builders import BUILDERS
from vigilant.security.models import AuditEventRow
from vigilant.store import Database


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def built(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Planted:
    p = planted(db, tmp_path)
    monkeypatch.setenv("VIGILANT_DATA_DIR", str(p.data))
    report = json.loads(_run("build", "--json"))
    assert [r["builder"] for r in report] == BUILDERS.names()  # every builder ran, in the registry's order
    return p


def test_list_show_and_path_from_the_command_line(built: Planted) -> None:
    p = built
    builders = json.loads(_run("builders", "--json"))
    assert [b["name"] for b in builders][:2] == ["records", "shared_files"]
    strongest = json.loads(_run("list", "--json"))
    assert strongest[0]["kind"] == "same_camera"  # the strongest planted link
    assert {"shared_unknown_files", "shared_known_bad_files", "same_identifier"} <= {
        r["kind"] for r in strongest
    }
    # Acting for Barrie: the camera link to Halifax's device names Halifax, not the device.
    as_bps = json.loads(_run("list", "--agency", "BPS", "--kind", "same_camera", "--json"))
    assert "laptop C" not in json.dumps(as_bps)
    assert "held by Halifax Police" in as_bps[0]["to_label"] + as_bps[0]["from_label"]
    shown = json.loads(_run("show", f"item:{p.items['B']}", "--depth", "2", "--json"))
    assert f"item:{p.items['B']}" in [e.get("key") for e in shown["entities"]]
    table = _run("show", f"person:{p.persons['A']}", "--agency", "PP")
    assert "same_identifier" in table
    found = json.loads(_run("path", f"person:{p.persons['A']}", f"person:{p.persons['B']}", "--json"))
    assert found["entities"][-1]["key"] == f"person:{p.persons['B']}"


def test_exports_are_readable_and_audited(built: Planted, db: Database, tmp_path: Path) -> None:
    graphml, gexf, i2 = tmp_path / "g.graphml", tmp_path / "g.gexf", tmp_path / "op"
    _run("export", "--format", "graphml", "-o", str(graphml), "--agency", "PP")
    _run("export", "--format", "gexf", "-o", str(gexf), "--agency", "PP")
    _run("export", "--format", "i2", "-o", str(i2), "--agency", "PP", "--around", f"item:{built.items['A']}")
    g = nx.read_graphml(graphml)
    kinds = {d["kind"] for _, _, d in g.edges(data=True)}
    assert {"shared_unknown_files", "shared_known_bad_files", "same_camera"} <= kinds
    assert "laptop C" not in graphml.read_text()
    assert nx.read_gexf(gexf).number_of_edges() == g.number_of_edges()
    with (tmp_path / "op-links.csv").open(newline="") as fh:
        links = list(csv.DictReader(fh))
    assert {"From ID", "To ID", "Link Type", "Strength"} <= set(links[0])
    assert any(r["Link Type"] == "shared_unknown_files" for r in links)
    with db.session() as s:
        exported = s.scalars(select(AuditEventRow).where(AuditEventRow.action == "export")).all()
    assert sorted(Path(e.detail["destination"]).name for e in exported) == [
        "g.gexf",
        "g.graphml",
        "op-entities.csv",
        "op-links.csv",
    ]
    assert all(len(e.detail["sha256"]) == 64 for e in exported)


def test_an_operations_network_figures_from_the_command_line(built: Planted) -> None:
    figures = json.loads(_run("network", "OP-1", "--agency", "PP", "--json"))
    assert figures["indicator"]["accused"] == 2
    assert [d["lead"] for d in figures["key_distributors"]] == ["L-1", "L-2"]
    assert figures["repeat_offenders"] == []  # Carol's prior record is Halifax's
    table = _run("network", "OP-1", "--agency", "PP")
    assert "No indication of an organised network" in table
