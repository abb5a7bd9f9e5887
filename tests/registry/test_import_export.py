"""Bulk import (JSON lines, CSV) and export on both engines: refusals by line, idempotence, merge."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from tests.registry.helpers import officer, offices, registrant, write_jsonl
from vigilant.registry.exporter import export_text
from vigilant.registry.importer import import_registrants
from vigilant.registry.models import RegistrantAddressRow, RegistrantRow
from vigilant.security.models import AuditEventRow
from vigilant.store import Database


def _events(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEventRow)) or 0


def test_bad_lines_are_refused_with_their_numbers_and_the_rest_imported(db: Database, tmp_path: Path) -> None:
    opp, _ = offices(db)
    ip = registrant("ON-3", identifiers=[{"kind": "username", "value": "192.0.2.44"}])
    mac = registrant("ON-4", identifiers=[{"kind": "username", "value": "00:1A:2B:3C:4D:5E"}])
    path = write_jsonl(
        tmp_path / "r.jsonl",
        registrant("ON-1"),
        "{not json",
        ip,
        registrant("ON-5", office="NOPE"),
        mac,
        registrant("ON-6", orders=[]),
        registrant("ON-2", sex="Q"),
        registrant("ON-7", surname="Roe"),
    )
    report = import_registrants(db, officer(opp), path)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    refused = {p.line: p.message for p in report.refused}
    assert sorted(refused) == [2, 3, 4, 5, 6, 7]
    assert "not JSON" in refused[2]
    assert "IP address is not a digital identifier" in refused[3]
    assert "no agency 'NOPE'" in refused[4]
    assert "MAC address" in refused[5]
    assert "orders" in refused[6]
    assert refused[7].startswith("sex:")


def test_reimport_changes_nothing_and_a_new_fact_merges(db: Database, tmp_path: Path) -> None:
    opp, _ = offices(db)
    path = write_jsonl(tmp_path / "r.jsonl", registrant("ON-1"), registrant("ON-2", surname="Roe"))
    assert import_registrants(db, officer(opp), path).created == 2
    events = _events(db)
    again = import_registrants(db, officer(opp), path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _events(db) == events  # nothing changed, nothing audited as changed

    moved = registrant("ON-1")
    moved["addresses"] = [
        {**moved["addresses"][0], "valid_to": "2026-01-10"},
        {"kind": "main", "line": "7 Other Ave", "valid_from": "2026-01-10", "reported_on": "2026-01-12"},
    ]
    merged = import_registrants(db, officer(opp), write_jsonl(tmp_path / "m.jsonl", moved))
    assert merged.updated == 1
    with db.session() as s:
        rid = s.scalars(select(RegistrantRow.id).where(RegistrantRow.registry_number == "ON-1")).one()
        lines = s.scalars(
            select(RegistrantAddressRow.line)
            .where(RegistrantAddressRow.registrant_id == rid)
            .order_by(RegistrantAddressRow.id)
        ).all()
    assert lines == ["12 Example St", "40 Sample Rd", "7 Other Ave"]  # the employer stays: nothing deleted


def test_export_round_trips_through_csv_and_json_lines(db: Database, tmp_path: Path) -> None:
    opp, hrp = offices(db)
    source = [registrant("ON-1"), registrant("NS-9", office="HRP", surname="Roe", aliases=[])]
    import_registrants(db, officer(opp), write_jsonl(tmp_path / "r.jsonl", *source))
    jsonl = "".join(export_text(db, officer(opp), "jsonl", destination="test"))
    exported = [json.loads(line) for line in jsonl.splitlines()]
    assert [r["registry_number"] for r in exported] == ["NS-9", "ON-1"]
    assert exported[1]["identifiers"] == [
        {"kind": "handle", "value": "@Shadow_Fox", "platform": "example.social"}
    ]
    csv_text = "".join(export_text(db, officer(hrp), "csv", destination="test"))
    (tmp_path / "r.csv").write_text(csv_text)
    again = import_registrants(db, officer(opp), tmp_path / "r.csv")
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 2, [])
    assert "".join(export_text(db, officer(opp), "jsonl", destination="test")) == jsonl


def test_csv_rows_are_refused_one_by_one(db: Database, tmp_path: Path) -> None:
    opp, _ = offices(db)
    import_registrants(db, officer(opp), write_jsonl(tmp_path / "r.jsonl", registrant("ON-1")))
    csv_text = "".join(export_text(db, officer(opp), "csv", destination="test"))
    header, *rows = csv_text.splitlines()
    columns = header.split(",")
    blank = dict.fromkeys(columns, "")

    def row(**cells: str) -> str:
        return ",".join({**blank, **cells}[c] for c in columns)

    bad = [
        row(record="address", registry_number="ON-1", kind="main", line="9 Late St", valid_from="2026-13-01"),
        row(record="vehicle", registry_number="ON-404", plate="ZZZ 999"),
        row(record="pet", registry_number="ON-1"),
    ]
    (tmp_path / "b.csv").write_text("\n".join([header, *rows, *bad]) + "\n")
    report = import_registrants(db, officer(opp), tmp_path / "b.csv")
    first_bad = len(rows) + 2
    assert [p.line for p in report.refused] == [first_bad, first_bad + 1, first_bad + 2]
    assert "valid_from" in report.refused[0].message
    assert "no registrant row" in report.refused[1].message
    assert "unknown record 'pet'" in report.refused[2].message
    assert report.unchanged == 1  # the good rows of ON-1 still imported (and already held)
