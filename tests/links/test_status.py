"""``vigilant links status [--json]`` and ``GET /api/v1/links/status``: when the graph was built, what makes
it stale since when, the last xref job and its progress, the entities and links of each kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.links.world import planted
from vigilant.cli.links_cmd import app
from vigilant.links import deferred, jobs
from vigilant.links.models import LinkEdgeRow
from vigilant.store import Database


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_status_says_when_the_graph_was_built_why_it_is_stale_and_where_the_xref_job_stands(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = planted(db, tmp_path)
    monkeypatch.setenv("VIGILANT_DATA_DIR", str(p.data))
    before = json.loads(_run("status", "--json"))
    assert before["built"] == {}
    assert before["fresh"] is False  # the planted runs finished and nothing was ever built
    assert "finished after the last rebuild" in before["stale"][0]["reason"]
    assert before["last_job"] is None
    assert before["links"] == {}

    _run("build", "--json")
    built = json.loads(_run("status", "--json"))
    assert set(built["built"]) == {"run", "record", "observations"}
    assert (built["fresh"], built["stale"]) == (True, [])
    with db.session() as s:
        edges = dict(s.execute(select(LinkEdgeRow.kind, func.count()).group_by(LinkEdgeRow.kind)).all())
    assert built["links"] == edges
    assert built["links"]["same_camera"] >= 1
    assert built["entities"]["person"] >= 3

    deferred.mark(p.data, p.cases["B"])  # a save whose rebuild has not run yet
    job = jobs.start(db, "xref", "analyst", {})  # a job left by a killed process
    with db.session() as s:
        jobs.progress(s, job, ("scoring", 4, 9), "blocking rule 5: l.address = r.address")
    text = _run("status")
    assert f"the rebuild after a record of case {p.cases['B']} has not ended" in text
    assert f"xref job {job} (interrupted): scoring, 4 of 9" in " ".join(text.split())
    later = json.loads(_run("status", "--json"))
    assert later["fresh"] is False
    assert (later["last_job"]["status"], later["last_job"]["done"], later["last_job"]["total"]) == (
        "interrupted",
        4,
        9,
    )
