"""The CSV export: every column, exact values, formula injection defused."""

from __future__ import annotations

import codecs
import csv
import io
import json

from tests.triage.reports.synthetic import CONTROL_NAME, FORMULA_NAMES, HOSTILE_HTML, UNICODE_MEMBER, render
from vigilant.triage.records import SCHEMA, FileRecord
from vigilant.triage.reports import RecordSource, reports
from vigilant.triage.runinfo import RunInfo


def table(run: RunInfo, source: RecordSource) -> list[dict[str, str]]:
    data = render(reports()["csv"], run, source)
    assert data.startswith(codecs.BOM_UTF8)
    text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # Every column, in the results' order, then what the library holds of each perceptual hit's entry; not
    # the address chain (its text is ``address``, its parts the flat address columns: the CSV is unchanged).
    assert rows[0] == [*(n for n in SCHEMA.names if n != "chain"), "matched_entries"]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def by_name(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["name"]: row for row in rows}


def test_one_row_per_record_with_exact_values(run: RunInfo, source: RecordSource) -> None:
    rows = table(run, source)
    records: list[FileRecord] = list(source())
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        assert (row["position"], row["member"]) == (str(record.position), str(record.member))
        assert row["md5"] == (record.md5.hex() if record.md5 else "")
        assert row["sha256"] == (record.sha256.hex() if record.sha256 else "")
        assert row["allocated"] == ("true" if record.allocated else "false")
        assert row["size"] == str(record.size)
    first = rows[0]
    assert first["modified"] == "2025-03-04T05:06:07.890123Z"
    assert first["created"] == ""
    assert first["pdq"] == (records[0].pdq or b"").hex()
    assert first["is_image"] == "true"


def test_hits_flatten_to_set_version_method_distance_category(run: RunInfo, source: RecordSource) -> None:
    rows = by_name(table(run, source))
    assert rows["IMG_0001.jpg"]["hits"] == "Test CAM set@2026.1:md5:1"
    assert rows["resized.jpg"]["hits"] == "Test CAM set@2026.1:pdq:12:2:#102"  # the entry PDQ found
    [entry] = json.loads(rows["resized.jpg"]["matched_entries"])
    assert (entry["set"], entry["version"], entry["entry_id"], entry["distance"]) == (
        "Test CAM set",
        "2026.1",
        102,
        12,
    )
    assert rows["IMG_0001.jpg"]["matched_entries"] == ""  # an exact hit: the file's own digest says it
    assert rows["a.jpg"]["hits"] == "Legacy DHS set@7:sha1:1; Watch list@1:sha256:"
    assert rows["notepad.exe"]["hits"] == "NSRL sample@2026.03:sha1:"
    assert rows["empty.dat"]["hits"] == ""


def test_cells_that_would_run_as_formulas_get_a_quote(run: RunInfo, source: RecordSource) -> None:
    rows = table(run, source)
    names = [row["name"] for row in rows]
    for name in FORMULA_NAMES:
        assert "'" + name in names
        assert name not in names
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@")), (column, value)


def test_names_are_otherwise_exact(run: RunInfo, source: RecordSource) -> None:
    names = [row["name"] for row in table(run, source)]
    assert HOSTILE_HTML in names
    assert CONTROL_NAME in names  # CSV quotes can carry anything: the name comes back byte for byte
    assert UNICODE_MEMBER in names


def test_member_chains_are_json_lists(run: RunInfo, source: RecordSource) -> None:
    rows = by_name(table(run, source))
    assert json.loads(rows[UNICODE_MEMBER]["members"]) == ["inner.zip", UNICODE_MEMBER]
    assert rows["IMG_0001.jpg"]["members"] == ""
