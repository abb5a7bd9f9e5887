"""A triage run through the command line, as an examiner does it: ``evidence add``, ``triage run``, then the
run's figures (``triage status --json``), its item (``evidence list --json``) and its files' digests from the
hashdeep report. Through the CLI, the test stays the same whatever the services' signatures become."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vigilant.cli import run
from vigilant.errors import ExitCode


@dataclass(frozen=True)
class CliRun:
    code: int  # the exit code of `triage run`
    item: dict[str, Any]  # the evidence item as `evidence list --json` gives it
    status: dict[str, Any]  # the run as `triage status --json` gives it
    sha256: dict[str, str]  # the address of each hashed file -> its SHA-256 (the hashdeep report)


def triage_cli(path: Path, label: str, capsys: pytest.CaptureFixture[str], work: Path) -> CliRun:
    assert run(["evidence", "add", str(path), "--label", label]) == ExitCode.OK, capsys.readouterr()
    code = run(["triage", "run", label, "--processes", "0", "--threads", "2"])
    capsys.readouterr()
    assert run(["evidence", "list", "--json"]) == ExitCode.OK
    item = next(i for i in json.loads(capsys.readouterr().out) if i["label"] == label)
    run(["triage", "status", "--json"])
    status = [r for r in json.loads(capsys.readouterr().out) if r["evidence"] == item["id"]][-1]
    report = work / f"{label}.hashdeep"
    assert run(["triage", "report", str(status["run"]), "--format", "hashdeep", "-o", str(report)]) == 0
    digests = {}
    for line in report.read_text(encoding="utf-8").splitlines():
        if line.startswith(("%", "#")):
            continue
        _size, _md5, sha256, address = line.split(",", 3)
        digests[address] = sha256
    return CliRun(code, item, status, digests)
