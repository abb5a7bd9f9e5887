"""The CASE/UCO nodes of a triage run, as JSON-LD node objects (plain dicts, keys in a fixed order).

Identifiers are deterministic: every IRI ends with a UUIDv5 (UCO advises IRIs that end with a UUID), so the
same run always gives the same graph. The run's own nodes (tool configuration, files, annotations) come
from a namespace of the run and its evidence item, so two installations' runs do not collide; what stays
the same across runs shares a node, so that graphs of several runs join: the evidence item (its id, label,
path and acquisition hashes), the investigation (its case number), a library set (name, version and source
hash), a hash (method and value).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime
from typing import Any

from vigilant.evidence.items import EvidenceInfo
from vigilant.perceptual.pdq import PdqMethod
from vigilant.triage.records import FileRecord, Hit
from vigilant.triage.reports._text import (
    hit_order,
    iso_utc,
    match_sentence,
    member_path,
    split_tool,
)
from vigilant.triage.runinfo import LibrarySetInfo, RunInfo

KB = "urn:vigilant:"
CONTEXT: dict[str, str] = {
    "kb": KB,
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-configuration": "https://ontology.unifiedcyberontology.org/uco/configuration/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# Fixed for ever: changing it would change every IRI Vigilant has ever written.
VIGILANT_UUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:vigilant")
_NS = VIGILANT_UUID_NS.bytes
# UCO's HashNameVocab spelling of the digests Vigilant keeps.
HASH_METHODS = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256", "sha512": "SHA512"}
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


class CaseIds:
    """The IRIs of one run's graph."""

    def __init__(self, run: RunInfo) -> None:
        e = run.evidence
        item = json.dumps([e.id, e.label, e.path, sorted(e.hashes.items())], ensure_ascii=False)
        evidence_ns = uuid.uuid5(VIGILANT_UUID_NS, f"evidence:{item}")
        self._ns = uuid.uuid5(evidence_ns, f"triage:{run.key}").bytes
        self.evidence = _iri("evidence", evidence_ns.bytes, "evidence")
        self.investigation = None if e.case_number is None else _iri("investigation", _NS, e.case_number)

    def node(self, kind: str, *key: object) -> str:
        """A node of this run (the tool's configuration, the files, …)."""
        return _iri(kind, self._ns, "/".join([kind, *map(str, key)]))

    @staticmethod
    def library_set(info: LibrarySetInfo) -> str:
        """A library set is the same node in every run that used it."""
        return _iri("library-set", _NS, f"library-set:{info.name}:{info.version}:{info.source_sha256}")

    def file(self, record: FileRecord) -> str:
        return self.node("file", record.position, record.member)

    def annotation(self, record: FileRecord) -> str:
        return self.node("annotation", record.position, record.member)


def uuid5(namespace: bytes, name: str) -> str:
    """``str(uuid.uuid5(UUID(bytes=namespace), name))``, without UUID objects: a run needs millions."""
    digest = bytearray(hashlib.sha1(namespace + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _iri(kind: str, namespace: bytes, name: str) -> str:
    return f"kb:{kind}-{uuid5(namespace, name)}"


def ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def facet_iri(owner: str, facet: str) -> str:
    # A facet belongs to one object: named by the object and the facet's class.
    return _iri(facet, _NS, f"facet:{owner}:{facet}")


def hash_node(method: str, value: str) -> dict[str, Any]:
    value = value.upper()  # the canonical form of xsd:hexBinary
    return {
        "@id": _iri("hash", _NS, f"hash:{method}:{value}"),
        "@type": "uco-types:Hash",
        "uco-types:hashMethod": method,
        "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": value},
    }


def date_time(moment: datetime) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": iso_utc(moment)}


def typed_hashes(hashes: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Hash nodes for the digests UCO names and that are well-formed hex; the rest as 'name: value' text."""
    nodes: list[dict[str, Any]] = []
    other: list[str] = []
    for name, value in sorted(hashes.items()):
        method = HASH_METHODS.get(name.lower())
        if method is not None and isinstance(value, str) and _HEX.fullmatch(value):
            nodes.append(hash_node(method, value))
        else:
            other.append(f"{name}: {value}")
    return nodes, other


# --- the run's context ------------------------------------------------------------------------------------
def tool_nodes(run: RunInfo, ids: CaseIds) -> list[dict[str, Any]]:
    """The tool as configured for this run: its settings and the library sets it matched against."""
    name, version = split_tool(run.tool)
    tool: dict[str, Any] = {
        "@id": ids.node("tool"),
        "@type": "uco-tool:ConfiguredTool",
        "uco-core:name": name,
    }
    if version:
        tool["uco-tool:version"] = version
    tool["uco-tool:toolType"] = "forensic triage"
    tool["uco-configuration:usesConfiguration"] = ref(ids.node("configuration"))
    entries: list[dict[str, Any]] = [
        {
            "@id": ids.node("configuration-entry", "setting", key),
            "@type": "uco-configuration:ConfigurationEntry",
            "uco-configuration:itemName": key,
            "uco-configuration:itemValue": _setting_text(value),
        }
        for key, value in sorted(run.settings.items())
    ]
    entries.extend(
        {
            "@id": ids.node("configuration-entry", "library-set", s.id),
            "@type": "uco-configuration:ConfigurationEntry",
            "uco-configuration:itemName": "library set",
            "uco-configuration:itemObject": ref(ids.library_set(s)),
        }
        for s in run.library
    )
    configuration = {
        "@id": ids.node("configuration"),
        "@type": "uco-configuration:Configuration",
        "uco-configuration:configurationEntry": entries,
    }
    return [tool, configuration, *(library_set_node(s, ids) for s in run.library)]


def _setting_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _pdq_method_label(method: str) -> str:
    return next((m.label for m in PdqMethod if m.value == method), method)


def library_set_node(info: LibrarySetInfo, ids: CaseIds) -> dict[str, Any]:
    iri = ids.library_set(info)
    method = "" if info.pdq_method is None else f", PDQ hashes of the {_pdq_method_label(info.pdq_method)}"
    node: dict[str, Any] = {
        "@id": iri,
        "@type": "uco-observable:ObservableObject",
        "uco-core:name": f"{info.name} {info.version}",
        "uco-core:description": (
            f"Hash set: {info.kind}, category profile {info.profile}, {info.entries} entries{method}"
            " (Vigilant library). Its hash is that of the source file it was imported from."
        ),
    }
    hashes, _ = typed_hashes({"sha256": info.source_sha256})
    if hashes:
        node["uco-core:hasFacet"] = [
            {
                "@id": facet_iri(iri, "content-data-facet"),
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:hash": hashes,
            }
        ]
    return node


def evidence_node(evidence: EvidenceInfo, ids: CaseIds) -> dict[str, Any]:
    """The evidence item. A folder has no content of its own: its acquisition hashes stay in the text."""
    iri = ids.evidence
    folder = evidence.source_type == "directory"
    hashes: list[dict[str, Any]]
    if folder:
        hashes, other = [], [f"{k}: {v}" for k, v in sorted(evidence.hashes.items())]
    else:
        hashes, other = typed_hashes(evidence.hashes)
    descriptions = [f"Evidence item, source type {evidence.source_type}"]
    if evidence.case_number:
        descriptions.append(f"Case number: {evidence.case_number}")
    if evidence.description:
        descriptions.append(evidence.description)
    if other:
        descriptions.append("Acquisition hashes: " + "; ".join(other))
    file_facet = {
        "@id": facet_iri(iri, "file-facet"),
        "@type": "uco-observable:FileFacet",
        "uco-observable:fileName": evidence.path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1],
        "uco-observable:filePath": evidence.path,
        "uco-observable:isDirectory": folder,
    }
    facets: list[dict[str, Any]] = [file_facet]
    if not folder:
        content: dict[str, Any] = {
            "@id": facet_iri(iri, "content-data-facet"),
            "@type": "uco-observable:ContentDataFacet",
            "uco-observable:sizeInBytes": evidence.size,
        }
        if hashes:
            content["uco-observable:hash"] = hashes
        facets.append(content)
    return {
        "@id": iri,
        "@type": "uco-observable:ObservableObject",
        "uco-core:name": evidence.label,
        "uco-core:description": descriptions,
        "uco-core:hasFacet": facets,
    }


def action_head(run: RunInfo, ids: CaseIds) -> dict[str, Any]:
    """The triage run, without its results (streamed after it)."""
    verification = run.verification
    if verification is None:
        checked = "The evidence was not re-verified after the run."
    elif verification.get("ok") is True:
        checked = "The evidence was re-verified after the run: its acquisition hashes match."
    else:
        details = json.dumps(verification, sort_keys=True, default=str)
        checked = f"Re-verifying the evidence after the run FAILED: {details}"
    unread = run.coverage.lines() if run.coverage is not None else []
    if unread:
        checked += " NOT READ: " + "; ".join(unread) + "."
    return {
        "@id": ids.node("triage"),
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": f"Triage {run.key}",
        "uco-core:description": (
            "Every file of the evidence item hashed (MD5, SHA-1, SHA-256), identified and matched against"
            f" the library sets of the tool's configuration. {checked}"
        ),
        "uco-action:instrument": ref(ids.node("tool")),
        "uco-action:object": ref(ids.evidence),
    }


def investigation_node(run: RunInfo, ids: CaseIds) -> dict[str, Any] | None:
    """The case, named by its number alone, so that graphs of several runs of one case join on it."""
    if ids.investigation is None or run.evidence.case_number is None:
        return None
    return {
        "@id": ids.investigation,
        "@type": "case-investigation:Investigation",
        "uco-core:name": run.evidence.case_number,
        "uco-core:object": [ref(ids.evidence), ref(ids.node("triage"))],
    }


# --- one record -------------------------------------------------------------------------------------------
def file_node(record: FileRecord, iri: str) -> dict[str, Any]:
    descriptions = [f"Address: {record.address}"]
    if not record.allocated:
        descriptions.append("Deleted: listed from a file-system entry marked unallocated.")
    if record.status not in ("ok", "encrypted"):
        descriptions.append(f"Content not read ({record.status}): {record.error or 'no reason given'}")
    file_facet: dict[str, Any] = {
        "@id": facet_iri(iri, "file-facet"),
        "@type": "uco-observable:FileFacet",
        "uco-observable:fileName": record.name,
        "uco-observable:filePath": member_path(record),
        "uco-observable:isDirectory": False,
        "uco-observable:sizeInBytes": record.size,
        "uco-observable:allocationStatus": "Allocated" if record.allocated else "Unallocated",
    }
    if record.extension:
        file_facet["uco-observable:extension"] = record.extension.lstrip(".")
    for key, moment in (
        ("uco-observable:modifiedTime", record.modified),
        ("uco-observable:accessedTime", record.accessed),
        ("uco-observable:metadataChangeTime", record.changed),
        ("uco-observable:observableCreatedTime", record.created),
    ):
        if moment is not None:
            file_facet[key] = date_time(moment)
    facets = [file_facet, _content_facet(record, iri)]
    return {
        "@id": iri,
        "@type": "uco-observable:File",
        "uco-core:description": descriptions,
        "uco-core:hasFacet": facets,
    }


def _content_facet(record: FileRecord, iri: str) -> dict[str, Any]:
    content: dict[str, Any] = {
        "@id": facet_iri(iri, "content-data-facet"),
        "@type": "uco-observable:ContentDataFacet",
        "uco-observable:sizeInBytes": record.size,
    }
    if record.status == "encrypted":
        content["uco-observable:isEncrypted"] = True
    if record.mime:
        content["uco-observable:mimeType"] = record.mime
    hashes = [
        hash_node(HASH_METHODS[name], value.hex())
        for name, value in (("md5", record.md5), ("sha1", record.sha1), ("sha256", record.sha256))
        if value is not None
    ]
    if hashes:
        content["uco-observable:hash"] = hashes
    return content


def containment_node(record: FileRecord, member: str, container: str, ids: CaseIds) -> dict[str, Any]:
    """An archive member is contained within its archive (the file one member chain up)."""
    iri = ids.node("relationship", record.position, record.member)
    return {
        "@id": iri,
        "@type": "uco-observable:ObservableRelationship",
        "uco-core:source": ref(member),
        "uco-core:target": ref(container),
        "uco-core:kindOfRelationship": "Contained_Within",
        "uco-core:isDirectional": True,
        "uco-core:hasFacet": [
            {
                "@id": facet_iri(iri, "path-relation-facet"),
                "@type": "uco-observable:PathRelationFacet",
                "uco-observable:path": record.members[-1],
            }
        ],
    }


def annotation_node(record: FileRecord, file_iri: str, ids: CaseIds) -> dict[str, Any]:
    """What the library said about the file: one statement per hit, most severe first."""
    hits = sorted(record.hits, key=hit_order)
    return {
        "@id": ids.annotation(record),
        "@type": "uco-core:Annotation",
        "uco-core:object": [ref(file_iri)],
        "uco-core:statement": [_statement(h) for h in hits],
        "uco-core:tag": sorted({h.set_kind for h in hits}),
    }


def _statement(hit: Hit) -> str:
    text = f"Matched {hit.set_kind} hash set {hit.set_name} {hit.set_version} on {match_sentence(hit)}"
    if hit.category is None:
        return text
    label = f" {hit.category_label}" if hit.category_label else ""
    return f"{text}: category {hit.category}{label} ({hit.category_class or 'no class'})"
