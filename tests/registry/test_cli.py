"""``vigilant registry …`` end to end on a migrated database: import, show, due, sweep, alerts, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.registry.helpers import offices, registrant, write_jsonl
from vigilant.cli import run
from vigilant.errors import ExitCode
from vigilant.store import Database


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert run(["registry", *args, "--json"]) == 0
    data: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return data


def test_import_show_due_sweep_alerts_export(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    offices(db)
    initial = [{"kind": "initial", "reported_on": "2020-03-10", "officer": "Cst. A"}]
    path = write_jsonl(tmp_path / "r.jsonl", registrant("ON-B", reports=initial), "{broken")
    assert run(["registry", "import", str(path)]) == ExitCode.PARTIAL
    assert "line 2: not JSON" in capsys.readouterr().err
    again = write_jsonl(tmp_path / "again.jsonl", registrant("ON-B", reports=initial))
    assert _json(capsys, "import", str(again))[0]["unchanged"] == 1

    monkeypatch.setenv("VIGILANT_AGENCY", "OPP")
    shown = _json(capsys, "show", "ON-B", "--as-of", "2021-04-01")[0]
    assert (shown["status"], shown["next_due"], shown["rule"]) == (
        "non_compliant",
        "2021-03-10",
        "federal-2011/annual-report",
    )
    due = _json(capsys, "due", "--as-of", "2021-03-01")
    assert [(d["registry_number"], d["status"]) for d in due] == [("ON-B", "due_soon")]
    # An investigator must say why; the Ontario rule set is an installation's choice.
    assert run(["registry", "show", "ON-B", "--role", "investigator"]) == ExitCode.DENIED
    assert "needs its purpose" in capsys.readouterr().err
    monkeypatch.setenv("VIGILANT_REGISTRY_RULES", "ontario")
    assert _json(capsys, "show", "ON-B", "--as-of", "2021-04-01")[0]["rule"] == "ontario-2001/annual-report"
    monkeypatch.delenv("VIGILANT_REGISTRY_RULES")

    swept = _json(capsys, "sweep", "--as-of", "2021-04-01")[0]
    assert (swept["non_compliant"], swept["alerts_raised"]) == (1, 1)
    queue = _json(capsys, "alerts")
    assert [(a["registry_number"], a["key"]) for a in queue] == [("ON-B", "annual-report:2021-03-10")]
    assert (queue[0]["registrant_status"], queue[0]["status_as_of"]) == ("non_compliant", "2021-04-01")
    assert run(["registry", "due"]) == 0  # no day asked: the sweep's
    assert "Statuses as of the sweep of 2021-04-01." in capsys.readouterr().err
    assert _json(capsys, "alerts", "--agency", "HRP") == []

    assert run(["registry", "report", "ON-B", "--on", "2021-04-02"]) == 0
    assert _json(capsys, "show", "ON-B", "--as-of", "2021-04-02")[0]["status"] == "compliant"
    capsys.readouterr()
    assert run(["registry", "export", "--format", "jsonl"]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["registry_number"] for r in exported] == ["ON-B"]
    assert len(exported[0]["reports"]) == 2
    assert run(["registry", "report", "ON-B", "--on", "2021-04-02", "--kind", "weekly"]) == ExitCode.BAD_INPUT
