"""CASE 1.5 / UCO 1.5 JSON-LD of a run, written node by node as the records stream by.

Checked with case-utils' ``case_validate --built-version case-1.5.0`` (see :data:`CASE_VERSION`).

The graph: the tool as configured for the run (``uco-tool:ConfiguredTool``, its settings and library sets
as configuration entries); the evidence item (an observable with its acquisition hashes); the run as a
``case-investigation:InvestigativeAction`` whose instrument is the tool, object the evidence item and
results the file observables (and the annotations saying which sets matched them); and, when the evidence
names a case number, the ``case-investigation:Investigation`` that groups them. Each record becomes a
``uco-observable:File`` with a FileFacet and a ContentDataFacet; a deleted file says so through the
FileFacet's ``allocationStatus`` (``Unallocated``) and a description; an archive member is linked to its
archive by a ``Contained_Within`` relationship.

One pass: nodes are written as the records come; the action's result list waits in a temporary file and
the action closes the graph. What is kept between records is one archive's member chains, to link
members to the archive that holds them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from vigilant.triage.reports._case_nodes import (
    CONTEXT,
    CaseIds,
    action_head,
    annotation_node,
    containment_node,
    evidence_node,
    file_node,
    investigation_node,
    tool_nodes,
)
from vigilant.triage.reports._sink import TextSink
from vigilant.triage.reports.base import RecordSource
from vigilant.triage.runinfo import RunInfo

CASE_VERSION = "1.5.0"  # the CASE release (with UCO 1.5.0) the output is validated against


class CaseReport:
    name = "case"
    title = f"CASE/UCO {CASE_VERSION} JSON-LD"
    suffix = ".jsonld"

    def __init__(self, tmp_dir: Path | None = None) -> None:
        self.tmp_dir = tmp_dir  # where the result list waits (default: the system's temporary folder)

    def write(self, run: RunInfo, records: RecordSource, out: BinaryIO) -> None:
        ids = CaseIds(run)
        graph = _GraphWriter(TextSink(out))
        investigation = investigation_node(run, ids)
        for node in [
            *([investigation] if investigation else []),
            *tool_nodes(run, ids),
            evidence_node(run.evidence, ids),
        ]:
            graph.node(node)
        # The action lists every file among its results: the list waits in a temporary file while the
        # files are written, and the action comes last.
        with tempfile.TemporaryFile("w+", encoding="utf-8", dir=self.tmp_dir) as results:
            containers: dict[tuple[str, ...], str] = {}  # member chain -> IRI, within one position
            position: int | None = None
            listed = 0
            for record in records():
                if record.position != position:
                    containers, position = {}, record.position
                iri = ids.file(record)
                graph.node(file_node(record, iri))
                found = [iri]
                if record.members:
                    container = containers.get(tuple(record.members[:-1]))
                    if container is not None:
                        graph.node(containment_node(record, iri, container, ids))
                if record.member == 0 or record.archive_members is not None:
                    containers[tuple(record.members)] = iri
                if record.hits:
                    annotation = annotation_node(record, iri, ids)
                    graph.node(annotation)
                    found.append(annotation["@id"])
                for result in found:  # the file, and what the library said about it
                    results.write((", " if listed else "") + json.dumps({"@id": result}))
                    listed += 1
            graph.open_node(action_head(run, ids), "uco-action:result")
            results.seek(0)
            graph.items_from(results)
            graph.close_node()
        graph.close()


class _GraphWriter:
    """``{"@context": …, "@graph": [ node, node, … ]}``, one node a line."""

    def __init__(self, sink: TextSink) -> None:
        self._sink = sink
        self._nodes = 0
        sink.write('{\n"@context": ' + json.dumps(CONTEXT, indent=1) + ',\n"@graph": [')

    def node(self, node: dict[str, Any]) -> None:
        self._start_node()
        self._sink.write(_dumps(node))

    def open_node(self, head: dict[str, Any], list_key: str) -> None:
        """Start a node whose last property is a list too long to build: :meth:`items_from`, then close."""
        self._start_node()
        self._sink.write(_dumps(head)[:-1] + f", {json.dumps(list_key)}: [")

    def items_from(self, items: TextIO) -> None:
        """Copy list items written elsewhere as ``item, item, item``."""
        while chunk := items.read(1 << 16):
            self._sink.write(chunk)

    def close_node(self) -> None:
        self._sink.write("]}")

    def close(self) -> None:
        self._sink.write("\n]\n}\n")
        self._sink.flush()

    def _start_node(self) -> None:
        self._sink.write(",\n" if self._nodes else "\n")
        self._nodes += 1


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)
