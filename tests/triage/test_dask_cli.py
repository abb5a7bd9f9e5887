"""`vigilant triage run --scheduler`, `triage status` with the workers' share, `pause`, `cancel`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.triage.dask_clusters import seized_folder
from vigilant.cli import run
from vigilant.cli.common import database, local_actor, settings
from vigilant.errors import ExitCode
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings


def test_a_run_on_a_scheduler_shows_each_workers_share(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scheduler: str
) -> None:
    assert run(["evidence", "add", str(seized_folder(tmp_path)), "--label", "phone"]) == ExitCode.OK
    common = ["--batch-files", "2", "--processes", "0"]
    assert run(["triage", "run", "phone", *common, "--scheduler", scheduler, "--priority", "5"]) == 0
    out = capsys.readouterr().out
    assert f"batches: 6 of 6 written; last worked on by: {scheduler}" in out
    assert run(["triage", "status", "1", "--json"]) == ExitCode.OK
    [row] = json.loads(capsys.readouterr().out)
    assert (row["status"], row["batches"], row["scheduler"]) == ("finished", "6/6", scheduler)
    assert row["priority"] == 5  # kept with the run
    assert sum(w["count"] for w in row["workers"].values()) == 6
    assert sum(w["files"] for w in row["workers"].values()) == 12

    assert run(["triage", "run", "phone", *common]) == ExitCode.OK  # here: the same findings
    assert "batches: 6 of 6 written; last worked on by: local" in capsys.readouterr().out
    assert run(["triage", "report", "1", "-f", "csv", "-o", str(tmp_path / "1.csv")]) == 0
    assert run(["triage", "report", "2", "-f", "csv", "-o", str(tmp_path / "2.csv")]) == 0
    assert (tmp_path / "1.csv").read_bytes() == (tmp_path / "2.csv").read_bytes()


def test_a_run_nobody_works_on_is_paused_then_cancelled_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["evidence", "add", str(seized_folder(tmp_path)), "--label", "phone"]) == ExitCode.OK
    service = TriageService(database(), settings().data_dir)
    run_id = service.create("phone", TriageSettings(), local_actor())
    capsys.readouterr()
    assert run(["triage", "pause", str(run_id)]) == ExitCode.OK
    assert f"run {run_id}: paused" in capsys.readouterr().out
    assert run(["triage", "cancel", str(run_id)]) == ExitCode.OK
    assert f"run {run_id}: cancelled" in capsys.readouterr().out
    assert run(["triage", "resume", str(run_id)]) == ExitCode.CONFLICT
    assert "was cancelled" in capsys.readouterr().err


def test_keys_are_not_sent_to_a_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["evidence", "add", str(seized_folder(tmp_path)), "--label", "phone"]) == ExitCode.OK
    argv = ["triage", "run", "phone", "--scheduler", "tcp://127.0.0.1:9", "--key", "passphrase:env:NONE"]
    assert run(argv) == ExitCode.BAD_INPUT
    assert "cannot go to cluster workers" in capsys.readouterr().err


def test_the_installations_scheduler_is_the_default_and_local_overrides_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGILANT_DASK_SCHEDULER", scheduler)
    assert run(["evidence", "add", str(seized_folder(tmp_path)), "--label", "phone"]) == ExitCode.OK
    assert run(["triage", "run", "phone", "--processes", "0"]) == ExitCode.OK
    assert f"last worked on by: {scheduler}" in capsys.readouterr().out
    assert run(["triage", "run", "phone", "--processes", "0", "--scheduler", "local"]) == ExitCode.OK
    assert "last worked on by: local" in capsys.readouterr().out


def test_a_paused_run_resumes_with_a_new_priority(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["evidence", "add", str(seized_folder(tmp_path)), "--label", "phone"]) == ExitCode.OK
    service = TriageService(database(), settings().data_dir)
    run_id = service.create("phone", TriageSettings(batch_files=4, processes=0, priority=3), local_actor())
    assert run(["triage", "pause", str(run_id)]) == ExitCode.OK
    assert run(["triage", "resume", str(run_id), "--priority", "101"]) == ExitCode.USAGE
    assert service.status(run_id, local_actor()).status == "paused"
    assert run(["triage", "resume", str(run_id), "--scheduler", "local", "--priority", "-9"]) == ExitCode.OK
    assert "priority on the cluster: -9" in capsys.readouterr().out
    assert run(["triage", "status", str(run_id), "--json"]) == ExitCode.OK
    [row] = json.loads(capsys.readouterr().out)
    assert (row["status"], row["priority"]) == ("finished", -9)
