"""Imports from other tools: schemas, idempotence, bad rows located, zone-less times refused."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.leads.helpers import btih, file_sha1
from vigilant.errors import BadInputError
from vigilant.p2p.importers import import_file, parse_utc

QBT = (b"-qB4630-" + b"0" * 12).hex()
CSV = f"""ts_utc,ip,port,infohash_v1,peer_id,client,tier
2024-05-30T10:00:00Z,192.0.2.5,6881,{btih(0).hex()},{QBT},qBittorrent 4.6.3,confirmed
2024-05-30T10:00:00,192.0.2.6,6881,{btih(0).hex()},,,
2024-05-30T12:00:00+02:00,2001:DB8::0:1,,{btih(1).hex()},,,
2024-05-30T10:00:00Z,192.0.2.999,6881,{btih(0).hex()},,,
2024-05-30T10:00:00Z,192.0.2.7,70000,{btih(0).hex()},,,
"""


def test_csv_rows_become_announced_observations_and_bad_rows_are_located(tmp_path: Path) -> None:
    source = tmp_path / "other-tool.csv"
    source.write_text(CSV)
    report = import_file(source, "csv", tmp_path / "obs", actor="analyst", case_id="C-1")
    assert (report.rows_read, report.rows_taken) == (5, 2)
    assert [(p.line, p.reason.split(" ")[0]) for p in report.problems] == [
        (3, "time"),
        (5, "ip"),
        (6, "port"),
    ]
    assert "no time zone" in report.problems[0].reason
    table = pq.read_table(report.output).to_pylist()
    assert [r["tier"] for r in table] == ["announced", "announced"]  # the tool's "confirmed" is only a claim
    assert table[0]["reported_by"] == "source (claimed tier: confirmed)"
    assert table[1]["ip"] == "2001:db8::1"
    assert table[1]["ts_utc"].isoformat() == "2024-05-30T10:00:00+00:00"
    assert (table[0]["case_id"], table[0]["operator"], table[0]["source"]) == ("C-1", "analyst", "import:csv")
    assert report.output.name == f"import-{report.sha256}.parquet"


def test_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text(CSV)
    first = import_file(source, "csv", tmp_path / "obs", actor="a")
    before = first.output.read_bytes()
    second = import_file(source, "csv", tmp_path / "obs", actor="someone else")
    assert second.already_imported
    assert second.output == first.output
    assert first.output.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "obs").iterdir()) == [first.output.name]


def test_jsonl_and_unknown_fields(tmp_path: Path) -> None:
    lines = [
        {"ts_utc": "2024-05-30T10:00:00Z", "ip": "198.51.100.1", "file_hash_kind": "sha1",
         "file_hash": file_sha1(3).hex()},
        {"ts_utc": "2024-05-30T10:00:00Z", "ip": "198.51.100.1", "infohash": btih(0).hex()},
    ]  # fmt: skip
    source = tmp_path / "a.jsonl"
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\n\nnot json\n")
    report = import_file(source, "jsonl", tmp_path / "obs", actor="a")
    assert report.rows_taken == 1
    assert [(p.line, p.reason[:13]) for p in report.problems] == [(2, "unknown field"), (4, "not JSON: Exp")]


def test_cybertip_reports(tmp_path: Path) -> None:
    source = tmp_path / "tips.csv"
    source.write_text(
        "report_id,ip,port,event_utc,md5,sha1,sha256,file_name\n"
        f"123456,203.0.113.50,,2024-05-01T08:09:10Z,,{file_sha1(2).hex()},,holiday.jpg\n"
        "123457,203.0.113.51,443,2024-05-01T08:09:10-04:00,,,,only-a-name.jpg\n"
        "123458,203.0.113.52,,2024-05-01 08:09:10,,,,x.jpg\n"
    )
    report = import_file(source, "cybertip", tmp_path / "obs", actor="a")
    assert report.rows_taken == 2
    assert [p.line for p in report.problems] == [4]
    rows = pq.read_table(report.output).to_pylist()
    assert (rows[0]["file_hash_kind"], rows[0]["file_hash"]) == ("sha1", file_sha1(2))
    assert rows[0]["reported_by"] == "CyberTipline report 123456, file holiday.jpg"
    assert rows[1]["ts_utc"].isoformat() == "2024-05-01T12:09:10+00:00"
    assert {r["tier"] for r in rows} == {"announced"}


def test_parse_utc_refuses_local_times() -> None:
    assert parse_utc("2024-01-01T00:00:00+05:00").isoformat() == "2023-12-31T19:00:00+00:00"
    with pytest.raises(BadInputError, match="no time zone"):
        parse_utc("2024-01-01T00:00:00")
