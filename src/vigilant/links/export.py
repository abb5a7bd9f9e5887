"""Exports of the graph a caller may see: GraphML and GEXF (Gephi reads both; networkx writes them), and
entity and link CSV tables laid out for i2 Analyst's Notebook's importer (one row per entity; one row per
link naming both ends' identity, type and label). Hidden records stay hidden: they are exported as the
views show them. Every export is audited with the SHA-256 of each file written."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import networkx as nx

from vigilant.cases.access import Actor, audit
from vigilant.links.views import GraphView
from vigilant.security.audit import Exported
from vigilant.store import Database


class ExportFormat(StrEnum):
    GRAPHML = "graphml"
    GEXF = "gexf"
    I2 = "i2"  # two CSV tables: PREFIX-entities.csv and PREFIX-links.csv


# Characters XML 1.0 cannot hold (C0 controls other than tab, newline and return; surrogates; U+FFFE/U+FFFF).
# A name pasted from a records system may carry one: it is written as a visible escape, not a failed export.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def to_networkx(view: GraphView) -> nx.MultiGraph:
    """The view as a networkx graph whose attributes are plain text and numbers (what GraphML and GEXF
    hold): explanations and provenance become JSON text."""
    g = nx.MultiGraph()
    for e in view.entities:
        g.add_node(
            e.handle,
            kind=_xml_text(e.kind),
            label=_xml_text(e.label),
            visible=e.visible,
            key=_xml_text(e.key or ""),
            agency=_xml_text(e.agency or ""),
            message=_xml_text(e.message or ""),
        )
    for i, link in enumerate(view.links):
        g.add_edge(
            link.source,
            link.target,
            key=i,
            kind=_xml_text(link.kind),
            weight=float(link.weight),
            explanation=json.dumps(link.explanation, sort_keys=True) if link.explanation else "",
            provenance=json.dumps(link.provenance, sort_keys=True) if link.provenance else "",
        )
    return g


ENTITY_COLUMNS = ["Entity ID", "Entity Type", "Label", "Key", "Agency", "Note"]
LINK_COLUMNS = [
    "Link ID",
    "From ID",
    "From Type",
    "From Label",
    "To ID",
    "To Type",
    "To Label",
    "Link Type",
    "Strength",
    "Date",
    "Description",
]


def write_i2(view: GraphView, prefix: Path) -> list[Path]:
    entities_path = prefix.with_name(prefix.name + "-entities.csv")
    links_path = prefix.with_name(prefix.name + "-links.csv")
    by_handle = {e.handle: e for e in view.entities}
    with entities_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(ENTITY_COLUMNS)
        for e in view.entities:
            w.writerow([e.handle, e.kind, e.label, e.key or "", e.agency or "", e.message or ""])
    with links_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(LINK_COLUMNS)
        for i, link in enumerate(view.links, 1):
            a, b = by_handle[link.source], by_handle[link.target]
            when = (link.provenance or {}).get("observed_at") or ""
            text = (link.explanation or {}).get("text", "")
            w.writerow(
                [
                    f"L{i}",
                    a.handle,
                    a.kind,
                    a.label,
                    b.handle,
                    b.kind,
                    b.label,
                    link.kind,
                    f"{link.weight:.6g}",
                    when,
                    text,
                ]
            )
    return [entities_path, links_path]


def _graph_writer(write: Callable[[nx.MultiGraph, Path], None]) -> Callable[[GraphView, Path], list[Path]]:
    def run(view: GraphView, path: Path) -> list[Path]:
        write(to_networkx(view), path)
        return [path]

    return run


WRITERS: dict[ExportFormat, Callable[[GraphView, Path], list[Path]]] = {
    ExportFormat.GRAPHML: _graph_writer(nx.write_graphml),
    ExportFormat.GEXF: _graph_writer(nx.write_gexf),
    ExportFormat.I2: write_i2,
}


def export(db: Database, actor: Actor, view: GraphView, fmt: ExportFormat, output: Path) -> list[Path]:
    """Write ``view`` (already scoped to ``actor``) as ``fmt`` to ``output`` and audit it: one event per
    file, with the file's SHA-256, so that a copy found later can be traced to its export."""
    files = WRITERS[fmt](view, output)
    with db.session() as s:
        for f in files:
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
            audit(
                s,
                actor,
                Exported,
                object_type="link_graph",
                object_id=str(output.name),
                format=fmt.value,
                records=len(view.links),
                destination=str(f),
                sha256=digest,
            )
    return files
