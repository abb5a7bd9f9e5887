"""The CASE/UCO export: conforms to the ontology case_validate ships, deterministic IRIs, truthful facets."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.triage.reports.synthetic import HOSTILE_HTML, render
from vigilant.triage.reports import RecordSource, reports
from vigilant.triage.reports.case_uco import CASE_VERSION
from vigilant.triage.runinfo import RunInfo

CASE_VALIDATE = Path(sys.executable).parent / "case_validate"
UUID_END = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def graph(run: RunInfo, source: RecordSource) -> list[dict[str, Any]]:
    document = json.loads(render(reports()["case"], run, source))
    nodes: list[dict[str, Any]] = document["@graph"]
    return nodes


def of_type(nodes: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [n for n in nodes if n["@type"] == kind]


def facet(node: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in node["uco-core:hasFacet"] if f["@type"] == kind)
    return found


@pytest.mark.slow
def test_case_validate_says_it_conforms(run: RunInfo, source: RecordSource, tmp_path: Path) -> None:
    """Validated alone and merged with another run of the same case and a folder run: shared nodes agree."""
    if not CASE_VALIDATE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {CASE_VALIDATE} is missing: install the dev extra (case-utils)")
        pytest.skip(f"{CASE_VALIDATE} is missing: install the dev extra (case-utils)")
    folder = replace(
        run.evidence,
        id=4,
        label="usb stick",
        source_type="directory",
        path="/mnt/usb",
        case_number=None,
        hashes={"manifest_sha256": "0" * 64},
    )
    graphs = {
        "run.jsonld": (run, source),
        "again.jsonld": (replace(run, id=run.id + 1, verification=None), source),
        "folder.jsonld": (replace(run, id=9, evidence=folder, library=[]), _as_folder(source)),
    }
    for name, (info, records) in graphs.items():
        (tmp_path / name).write_bytes(render(reports()["case"], info, records))
    paths = [str(tmp_path / name) for name in graphs]
    for inputs in ([paths[0]], paths):
        done = subprocess.run(
            [str(CASE_VALIDATE), "--built-version", f"case-{CASE_VERSION}", *inputs],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Conforms: True" in done.stdout


def _as_folder(source: RecordSource) -> RecordSource:
    return lambda: (
        replace(r, partition=None, partition_offset=None, filesystem="directory", inode=None)
        for r in source()
    )


def test_the_run_is_an_investigative_action_on_the_evidence(run: RunInfo, source: RecordSource) -> None:
    nodes = graph(run, source)
    (action,) = of_type(nodes, "case-investigation:InvestigativeAction")
    (tool,) = of_type(nodes, "uco-tool:ConfiguredTool")
    (evidence,) = [n for n in nodes if n["@id"].startswith("kb:evidence-")]
    assert action["uco-action:instrument"] == {"@id": tool["@id"]}
    assert action["uco-action:object"] == {"@id": evidence["@id"]}
    files = of_type(nodes, "uco-observable:File")
    annotations = of_type(nodes, "uco-core:Annotation")
    results = {r["@id"] for r in action["uco-action:result"]}
    assert results == {n["@id"] for n in files + annotations}
    assert (tool["uco-core:name"], tool["uco-tool:version"]) == ("Vigilant", "0.1.0")
    hashes = facet(evidence, "uco-observable:ContentDataFacet")["uco-observable:hash"]
    assert {(h["uco-types:hashMethod"], h["uco-types:hashValue"]["@value"]) for h in hashes} == {
        (name.upper(), value.upper()) for name, value in run.evidence.hashes.items()
    }
    (investigation,) = of_type(nodes, "case-investigation:Investigation")
    assert investigation["uco-core:name"] == "2026-0042"


def test_each_record_is_a_file_with_its_facets(run: RunInfo, source: RecordSource) -> None:
    nodes = graph(run, source)
    files = of_type(nodes, "uco-observable:File")
    records = list(source())
    assert len(files) == len(records)
    names = [facet(f, "uco-observable:FileFacet")["uco-observable:fileName"] for f in files]
    assert names == [r.name for r in records]
    assert HOSTILE_HTML in names
    first = files[0]
    file_facet = facet(first, "uco-observable:FileFacet")
    assert file_facet["uco-observable:isDirectory"] is False
    assert file_facet["uco-observable:modifiedTime"] == {
        "@type": "xsd:dateTime",
        "@value": "2025-03-04T05:06:07.890123Z",
    }
    content = facet(first, "uco-observable:ContentDataFacet")
    assert content["uco-observable:mimeType"] == "image/jpeg"
    assert [h["uco-types:hashMethod"] for h in content["uco-observable:hash"]] == ["MD5", "SHA1", "SHA256"]
    assert content["uco-observable:hash"][0]["uco-types:hashValue"] == {
        "@type": "xsd:hexBinary",
        "@value": (records[0].md5 or b"").hex().upper(),
    }


def test_deleted_encrypted_and_unreadable_files_say_so(run: RunInfo, source: RecordSource) -> None:
    files = {
        facet(f, "uco-observable:FileFacet")["uco-observable:fileName"]: f
        for f in of_type(graph(run, source), "uco-observable:File")
    }
    deleted = files["$RABC123.jpg"]
    assert facet(deleted, "uco-observable:FileFacet")["uco-observable:allocationStatus"] == "Unallocated"
    assert any(d.startswith("Deleted") for d in deleted["uco-core:description"])
    assert (
        facet(files["IMG_0001.jpg"], "uco-observable:FileFacet")["uco-observable:allocationStatus"]
        == "Allocated"
    )
    assert facet(files["secret.jpg"], "uco-observable:ContentDataFacet")["uco-observable:isEncrypted"] is True
    assert any("read error at 4096" in d for d in files["sector.jpg"]["uco-core:description"])


def test_archive_members_are_contained_within_their_archive(run: RunInfo, source: RecordSource) -> None:
    nodes = graph(run, source)
    iri = {
        facet(f, "uco-observable:FileFacet")["uco-observable:fileName"]: f["@id"]
        for f in of_type(nodes, "uco-observable:File")
    }
    links = {
        (r["uco-core:source"]["@id"], r["uco-core:target"]["@id"])
        for r in of_type(nodes, "uco-observable:ObservableRelationship")
        if r["uco-core:kindOfRelationship"] == "Contained_Within"
    }
    archive, inner = iri["archive.zip"], iri["inner.zip"]
    assert links == {
        (iri["a.jpg"], archive),
        (iri["secret.jpg"], archive),
        (inner, archive),
        (next(v for k, v in iri.items() if k.startswith("ünïcödé")), inner),
    }


def test_hits_become_annotations_on_the_file(run: RunInfo, source: RecordSource) -> None:
    nodes = graph(run, source)
    annotations = of_type(nodes, "uco-core:Annotation")
    assert len(annotations) == sum(1 for r in source() if r.hits)
    member = next(a for a in annotations if any("Legacy DHS set 7" in s for s in a["uco-core:statement"]))
    assert member["uco-core:statement"] == [
        "Matched known-bad hash set Legacy DHS set 7 on SHA1: category 1 Illegal (abuse)",
        "Matched alert hash set Watch list 1 on SHA256",
    ]
    assert member["uco-core:tag"] == ["alert", "known-bad"]


def test_identifiers_are_deterministic_uuids(run: RunInfo, source: RecordSource) -> None:
    nodes = graph(run, source)
    ids = [n["@id"] for n in nodes]
    assert len(ids) == len(set(ids))
    assert all(UUID_END.search(i) for i in ids)
    # Another run with the same evidence, settings and library names the same nodes (same content)…
    same = graph(replace(run, id=run.id + 1), source)
    files_now = {n["@id"] for n in of_type(nodes, "uco-observable:File")}
    assert files_now == {n["@id"] for n in of_type(same, "uco-observable:File")}
    # … a triage asked something else (here: no PDQ) names its files as other nodes.
    again = graph(replace(run, settings={**run.settings, "pdq": not run.settings.get("pdq", True)}), source)
    files_then = {n["@id"] for n in of_type(again, "uco-observable:File")}
    assert not files_now & files_then
    evidence = {n["@id"] for n in nodes if n["@id"].startswith("kb:evidence-")}
    assert evidence == {n["@id"] for n in again if n["@id"].startswith("kb:evidence-")}  # the same item
