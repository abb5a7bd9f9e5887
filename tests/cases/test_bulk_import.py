"""Bulk import of case records from JSON lines (docs/case-import.md), on SQLite and PostgreSQL: what goes
in, what is refused with its line number, re-import changing nothing, and the audit trail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.cases.helpers import actor, world
from vigilant.cases.bulk_import import ImportFileError, import_case_records
from vigilant.cases.models import CaseRow, IdentifierLinkRow, PersonRow, SeizedDeviceRow, SeizureRow
from vigilant.cli.cases_cmd import app
from vigilant.errors import ExitCode
from vigilant.links.xref import list_proposals, run_xref
from vigilant.security.models import AuditEventRow
from vigilant.store import Database

HEADER = {"format": "vigilant-case-import", "version": 1}


def _write(path: Path, records: list[Any]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in [HEADER, *records]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _records(seed: int = 5, number: str = "RMS-2024-0042") -> list[dict[str, Any]]:
    """A case from a records system: its persons (Faker), two devices seized at one search, identifiers."""
    fake = Faker("fr_CA")
    fake.seed_instance(seed)
    persons = [
        {
            "record": "person",
            "case": number,
            "ref": f"P{i}",
            "given_names": fake.first_name(),
            "surname": fake.last_name(),
            "role": role,
            "date_of_birth": fake.date_of_birth(minimum_age=20).isoformat(),
            "gender": "male",
            "address": fake.street_address(),
            "municipality": "Orillia",
        }
        for i, role in enumerate(("accused", "witness", "suspect"), start=1)
    ]
    search = {
        "seized_at": "2024-03-02T08:30:00-05:00",
        "seized_where": "12 Example St",
        "seized_by": "Cst. Roy",
    }
    return [
        {
            "record": "case",
            "number": number,
            "title": "Distribution investigation",
            "opened_at": "2024-01-05T09:00:00Z",
        },
        *persons,
        {
            "record": "device",
            "case": number,
            "ref": "D1",
            "description": "laptop",
            "serial": "c02xk 0aaj",
            **search,
        },
        {
            "record": "device",
            "case": number,
            "ref": "D2",
            "description": "phone",
            "exhibit": "EX-2",
            **search,
        },
        {
            "record": "identifier",
            "case": number,
            "kind": "email",
            "value": "Someone@Example.com",
            "person": "P1",
        },
        {"record": "identifier", "case": number, "kind": "phone", "value": "613 555 0134", "person": "P1"},
        {
            "record": "identifier",
            "case": number,
            "kind": "ip",
            "value": "203.0.113.7",
            "device": "D1",
            "observed_at": "2024-02-01T03:04:05Z",
        },
        {"record": "identifier", "case": number, "kind": "username", "value": "@nightowl", "person": "P3"},
    ]


def _count(db: Database, model: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _audited(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(
            select(AuditEventRow.object_type, func.count())
            .where(AuditEventRow.action == "record.changed")
            .group_by(AuditEventRow.object_type)
        )
        return {str(kind): int(n) for kind, n in rows}


def test_a_file_goes_in_and_again_changes_nothing(db: Database, tmp_path: Path) -> None:
    w = world(db)
    pp = actor(w.coordinator, "investigator")
    path = _write(tmp_path / "rms.jsonl", _records())
    before = _audited(db)

    first = import_case_records(db, pp, path)

    assert first.problems == []
    assert dict(first.created) == {"case": 1, "person": 3, "device": 2, "identifier": 4}
    assert (_count(db, CaseRow), _count(db, PersonRow), _count(db, SeizureRow)) == (1, 3, 1)
    assert _count(db, SeizedDeviceRow) == 2
    assert _count(db, IdentifierLinkRow) == 4
    with db.session() as s:
        serial = s.scalar(select(SeizedDeviceRow.serial).where(SeizedDeviceRow.description == "laptop"))
    assert serial == "C02XK0AAJ"  # cleaned as a device serial
    audited = _audited(db)
    gained = {k: audited.get(k, 0) - before.get(k, 0) for k in audited}
    assert gained == {
        "case": 1,
        "person": 3,
        "seizure": 1,
        "seized_device": 2,
        "identifier_link": 4,
        "case_import": 1,
    }

    again = import_case_records(db, pp, path)

    assert again.created == {}
    assert dict(again.unchanged) == {"case": 1, "person": 3, "device": 2, "identifier": 4}
    assert (_count(db, PersonRow), _count(db, SeizedDeviceRow), _count(db, IdentifierLinkRow)) == (3, 2, 4)
    assert _audited(db)["case_import"] == before.get("case_import", 0) + 2


def test_bad_lines_are_refused_with_their_numbers_and_the_rest_goes_in(db: Database, tmp_path: Path) -> None:
    w = world(db)
    good = _records()
    bad: list[Any] = [
        good[0],  # line 2
        '{"record": "person", "case": "RMS-2024-0042", ',  # line 3: cut short
        {"record": "vehicle", "case": "RMS-2024-0042"},  # line 4: no such record
        {**good[1], "date_of_birth": "1980-02-31"},  # line 5: no such day
        {**good[2], "role": "bystander"},  # line 6
        {
            "record": "identifier",
            "case": "RMS-2024-0042",
            "kind": "email",
            "value": "no-at-sign",
            "person": "P1",
        },
        {
            "record": "identifier",
            "case": "RMS-2024-0042",
            "kind": "phone",
            "value": "613 555 0134",
            "person": "P9",
        },
        {**good[4], "seized_at": "2024-03-02T08:30:00"},  # line 9: no time zone
        {**good[1], "case": "NOT-OURS"},  # line 10
        good[3],  # line 11: P3 goes in
    ]
    report = import_case_records(db, actor(w.coordinator), _write(tmp_path / "bad.jsonl", bad))

    refused = {p.line: p.message for p in report.problems}
    assert sorted(refused) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert refused[3].startswith("not JSON")
    assert "date_of_birth" in refused[5]
    assert "bystander" in refused[6]
    assert "no-at-sign" in refused[7]
    assert "'P9'" in refused[8]
    assert "seized_at" in refused[9]
    assert "NOT-OURS" in refused[10]
    assert dict(report.created) == {"case": 1, "person": 1}


def test_a_file_without_the_header_is_refused_whole(db: Database, tmp_path: Path) -> None:
    w = world(db)
    path = tmp_path / "plain.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in _records()) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="line 1 is not a case-import header"):
        import_case_records(db, actor(w.coordinator), path)
    assert _count(db, CaseRow) == 0


def test_the_command_line_reports_refusals_and_two_agencies_records_meet_in_xref(
    db: Database, tmp_path: Path
) -> None:
    w = world(db)
    records = _records()
    for r in records:
        if r["record"] == "case":
            r["distribution"] = "all_agencies"
    path = _write(tmp_path / "pp.jsonl", [*records, {"record": "case"}])
    result = CliRunner().invoke(
        app, ["import", str(path), "--agency", "PP", "--role", "investigator", "--json"]
    )
    assert result.exit_code == ExitCode.PARTIAL, result.output
    (report,) = json.loads(result.output)
    assert report["created"]["person"] == 3
    assert report["refused"][0]["line"] == len(records) + 2

    # Barrie Police's records system holds the same accused, written its own way.
    accused = next(r for r in records if r.get("ref") == "P1")
    theirs = [
        {"record": "case", "number": "B-77", "title": "Barrie file", "distribution": "all_agencies"},
        {
            **accused,
            "case": "B-77",
            "ref": "X",
            "given_names": accused["given_names"].upper(),
            "address": None,
        },
    ]
    result = CliRunner().invoke(
        app, ["import", str(_write(tmp_path / "bps.jsonl", theirs)), "--agency", "BPS"]
    )
    assert result.exit_code == 0, result.output
    run_xref(db, actor(w.coordinator, "analyst"))
    (match,) = list_proposals(db, actor(w.coordinator, "analyst"))
    assert match.other is not None
    assert {match.person.agency, match.other.agency} == {"PP", "BPS"}
