"""The VICS export: one Media per distinct MD5 with every place it was found, categories from the hits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tests.triage.reports.synthetic import CAM, HOSTILE_HTML, content, render
from vigilant.library.samples import read_source
from vigilant.triage.reports import RecordSource, reports
from vigilant.triage.reports.vics import VicsReport
from vigilant.triage.runinfo import RunInfo

US_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"


def document(run: RunInfo, source: RecordSource) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(render(reports()["vics"], run, source))
    return parsed


def media_by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["FileName"]: m for m in doc["value"] for f in m["MediaFiles"]}


def test_one_media_per_distinct_md5_in_record_order(run: RunInfo, source: RecordSource) -> None:
    doc = document(run, source)
    assert list(doc) == ["@odata.context", "value"]
    assert doc["@odata.context"] == US_CONTEXT
    distinct: list[str] = []
    for record in source():
        if record.md5 is not None and record.md5.hex().upper() not in distinct:
            distinct.append(record.md5.hex().upper())
    assert [m["MD5"] for m in doc["value"]] == distinct
    assert [m["MediaID"] for m in doc["value"]] == list(range(1, len(distinct) + 1))
    names = {f["FileName"] for m in doc["value"] for f in m["MediaFiles"]}
    assert "secret.jpg" not in names
    assert "sector.jpg" not in names


def test_a_deleted_copy_is_a_second_path_of_the_same_media(run: RunInfo, source: RecordSource) -> None:
    media = media_by_name(document(run, source))["IMG_0001.jpg"]
    assert [(f["FileName"], f["Deleted"], f["Unallocated"]) for f in media["MediaFiles"]] == [
        ("IMG_0001.jpg", False, False),
        ("$RABC123.jpg", True, False),
    ]
    assert media["MediaFiles"][0]["FilePath"].endswith("/Users/kim/Pictures/IMG_0001.jpg (inode 1000)")
    data = content("known picture")
    assert media["MediaSize"] == len(data)
    assert media["SHA1"] == hashlib.sha1(data).hexdigest().upper()


def test_categories_come_from_the_most_severe_known_bad_hit(run: RunInfo, source: RecordSource) -> None:
    media = media_by_name(document(run, source))
    known = media["IMG_0001.jpg"]
    assert (known["Category"], known["IsPrecategorized"]) == (1, True)
    assert known["PrecategorizationSource"] == f"{CAM.name} {CAM.version}"
    assert media["resized.jpg"]["Category"] == 2  # found by PDQ, exploitive
    assert media["a.jpg"]["Category"] == 1  # DHS "1 Illegal" is US "1 Child Abuse Material"
    assert "Legacy DHS set 7 (known-bad)" in media["a.jpg"]["Comments"]
    assert "Watch list 1 (alert)" in media["a.jpg"]["Comments"]
    good = media["notepad.exe"]
    assert (good["Category"], good["IsPrecategorized"]) == (None, False)
    assert good["Comments"] == "Matched by: NSRL sample 2026.03 (known-good)"
    assert "Comments" not in media["empty.dat"]
    assert media[HOSTILE_HTML]["Category"] == 1


def test_pdq_rides_along_as_an_alternative_hash(run: RunInfo, source: RecordSource) -> None:
    known = media_by_name(document(run, source))["IMG_0001.jpg"]
    first = next(iter(source()))
    assert known["AlternativeHashes"] == [
        {"HashName": "PDQ", "HashValue": (first.pdq or b"").hex(), "Quality": 90}
    ]


def test_vigilant_reads_its_own_export_back(run: RunInfo, source: RecordSource, tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_bytes(render(reports()["vics"], run, source))
    entries, problems = read_source(path, "vics")
    assert problems == []
    doc = json.loads(path.read_bytes())
    assert len(entries) == len(doc["value"])
    assert [e.category for e in entries][:2] == ["1", "2"]


def test_the_grouping_database_is_removed(run: RunInfo, source: RecordSource, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    render(VicsReport(tmp_dir=scratch), run, source)
    assert list(scratch.iterdir()) == []
