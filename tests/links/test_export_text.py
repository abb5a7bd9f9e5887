"""GraphML and GEXF are XML: a name recorded with a control character (pasted from a records system, or typed
into the API) must still export, shown as a visible escape, never as a failed export."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from vigilant.links.export import WRITERS, ExportFormat
from vigilant.links.views import EntityView, GraphView, LinkView

READERS = {ExportFormat.GRAPHML: nx.read_graphml, ExportFormat.GEXF: nx.read_gexf}


@pytest.mark.parametrize("fmt", [ExportFormat.GRAPHML, ExportFormat.GEXF])
def test_control_characters_are_escaped_not_fatal(tmp_path: Path, fmt: ExportFormat) -> None:
    view = GraphView(
        entities=[
            EntityView(handle="p1", kind="person", label="Jo\x01e\x00 Tremblay", visible=True),
            EntityView(handle="p2", kind="person", label="Ann\x1fe Roy", visible=True, key="k\x0b"),
        ],
        links=[
            LinkView(
                kind="same_identifier", source="p1", target="p2", weight=1.5, explanation={"text": "a\x02"}
            )
        ],
    )
    [path] = WRITERS[fmt](view, tmp_path / f"graph.{fmt.value}")
    graph = READERS[fmt](path)
    labels = sorted(str(data["label"]) for _, data in graph.nodes(data=True))
    assert labels == ["Ann\\x1fe Roy", "Jo\\x01e\\x00 Tremblay"]
