"""`vigilant review queue | stacks | export [--profile] | promote | stats`, each listing with --json."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.review.scenario import build
from vigilant.cli.review_cmd import app
from vigilant.config import Settings
from vigilant.review.context import ReviewContext
from vigilant.review.decisions import Decision, Victim, decide
from vigilant.security.secretbox import SecretBox
from vigilant.store import Database


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_queue_stacks_export_promote_stats(db: Database, tmp_path: Path) -> None:
    sc = build(db, tmp_path)
    rows = json.loads(_run("queue", str(sc.run_id), "--json"))
    assert len(rows) == 4  # five items, one stack of two
    assert rows[0]["priority"] >= rows[-1]["priority"]
    assert all(r["why"] for r in rows)
    [pair] = [r for r in rows if r["stack_size"] == 2]
    stacks = json.loads(_run("stacks", "--case", "OP-OWN-1", "--json"))
    assert sorted(s["items"] for s in stacks) == [1, 1, 1, 2]

    # Decisions come from the pages; here through the service, with the installation's key.
    ctx = ReviewContext(db, SecretBox.from_settings(Settings.from_env()))
    girl = Victim("under-12", "female")
    decide(ctx, sc.examiner, pair["item"], Decision("1", series="Q2", victims=(girl,)), whole_stack=True)
    out = tmp_path / "decisions.json"
    _run("export", "--case", "OP-OWN-1", "-o", str(out))
    assert len(json.loads(out.read_text())["value"]) == 2
    assert "/US/" in json.loads(out.read_text())["@odata.context"]
    uk = tmp_path / "decisions-uk.json"  # asked for CAID codes: no US code says which grade, A, B or C
    _run("export", "--case", "OP-OWN-1", "--profile", "caid-uk", "-o", str(uk))
    written = json.loads(uk.read_text())
    assert "/UK/" in written["@odata.context"]
    assert [m.get("Category") for m in written["value"]] == [None, None]  # uncategorised, not a guess
    stats = json.loads(_run("stats", "--case", "OP-OWN-1", "--json"))
    assert stats[0]["under_12"] == {"count": 1, "of": 1, "percent": 100.0}
    assert "under 12: 100 per cent (1 of 1)" in _run("stats", "--case", "OP-OWN-1")
    [promoted] = json.loads(_run("promote", "--case", "OP-OWN-1", "--name", "Review OPS", "--json"))
    assert (promoted["version"], promoted["entries"]) == ("1", 2)
