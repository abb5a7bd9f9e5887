"""The DFXML export: well-formed whatever the names, one fileobject per record, volumes from the addresses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from tests.triage.reports.synthetic import NONCHARACTER_NAME, UNICODE_MEMBER, render

from vigilant.triage.reports import RecordSource, reports
from vigilant.triage.reports.dfxml import DFXML_NS
from vigilant.triage.runinfo import RunInfo

NS = {"d": DFXML_NS}


def root_of(run: RunInfo, source: RecordSource) -> ET.Element:
    return ET.fromstring(render(reports()["dfxml"], run, source))


def texts(node: ET.Element, path: str) -> list[str]:
    return [e.text or "" for e in node.findall(path, NS)]


def test_it_parses_and_counts_round_trip(run: RunInfo, source: RecordSource) -> None:
    root = root_of(run, source)
    assert root.tag == f"{{{DFXML_NS}}}dfxml"
    assert root.get("version") == "1.2.0"
    assert texts(root, "d:creator/d:program") == ["Vigilant"]
    assert texts(root, "d:creator/d:version") == ["0.1.0"]
    assert texts(root, "d:source/d:image_filename") == [run.evidence.path]
    volumes = root.findall("d:volume", NS)
    assert [(v.get("offset"), texts(v, "d:ftype_str")) for v in volumes] == [("1048576", ["ntfs"])]
    objects = root.findall(".//d:fileobject", NS)
    records = list(source())
    assert len(objects) == len(records)
    assert texts(root, ".//d:fileobject/d:id") == [f"{r.position}.{r.member}" for r in records]
    assert len(root.findall(".//d:hashdigest[@type='md5']", NS)) == sum(r.md5 is not None for r in records)
    for obj, record in zip(objects, records, strict=True):
        assert texts(obj, "d:filesize") == [str(record.size)]
        assert texts(obj, "d:alloc") == ["1" if record.allocated else "0"]
        assert texts(obj, "d:hashdigest[@type='sha256']") == ([record.sha256.hex()] if record.sha256 else [])


def test_deleted_files_are_marked_unallocated(run: RunInfo, source: RecordSource) -> None:
    deleted = [o for o in root_of(run, source).iter(f"{{{DFXML_NS}}}fileobject") if texts(o, "d:unalloc")]
    assert [texts(o, "d:filename") for o in deleted] == [["/$Recycle.Bin/S-1-5-21/$RABC123.jpg"]]
    assert texts(deleted[0], "d:crtime") == ["2025-03-04T05:06:07.890123Z"]


def test_names_survive_and_control_characters_become_visible_escapes(
    run: RunInfo, source: RecordSource
) -> None:
    data = render(reports()["dfxml"], run, source)
    assert b"\x07" not in data
    names = texts(ET.fromstring(data), ".//d:fileobject/d:filename")
    assert "/tmp/bell\\x07name\\x01\\x0aline.txt" in names
    assert "/Users/kim/Documents/" + NONCHARACTER_NAME.replace("\ufffe", "\\ufffe") in names
    assert f"/Users/kim/Downloads/archive.zip/inner.zip/{UNICODE_MEMBER}" in names
    assert "/Users/kim/Desktop/<script>alert(1)</script>.jpg" in names


def test_a_folder_source_has_no_volume(run: RunInfo, source: RecordSource) -> None:
    def folder() -> RecordSource:
        return lambda: (
            replace(r, partition=None, partition_offset=None, filesystem="directory", inode=None)
            for r in source()
        )

    root = root_of(replace(run, evidence=replace(run.evidence, source_type="directory")), folder())
    assert root.findall("d:volume", NS) == []
    assert len(root.findall("d:fileobject", NS)) == 20
    assert root.findall(".//d:partition", NS) == []
    assert root.findall(".//d:inode", NS) == []
