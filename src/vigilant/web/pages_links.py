"""The link analysis page: an entity's neighbourhood (depth 1-2) as a graph (cytoscape.js with the fcose
layout) and as tables, filtered by kind and strength, expanded by clicking a node; without an entity, the
strongest links. What a caller sees of a record held by another agency is :mod:`vigilant.links.views`'
decision, never made here: the page shows the same view the API returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from vigilant.cases.operations import list_operations
from vigilant.links import distributors, network, offenders, views
from vigilant.links.errors import BadEntityRefError, EntityNotFoundError
from vigilant.links.freshness import GraphFreshness
from vigilant.links.operation_view import operation_graph
from vigilant.links.service import require_links
from vigilant.web.auth import Caller, CallerDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.pages import render
from vigilant.web.params import RowId

router = APIRouter(include_in_schema=False)

# The kinds a reader filters by, strongest evidence first; the records' own links are one choice.
KIND_CHOICES = (
    "shared_unknown_files",
    "shared_known_bad_files",
    "near_duplicate_unknown",
    "near_duplicate_known_bad",
    "same_camera",
    "same_identifier",
    "same_person",
    "lead_ip_on_person",
    "seen_on",
)


@router.get("/links")
def links_page(
    *,
    ctx: ContextDep,
    caller: CallerDep,
    entity: Annotated[str | None, Query(max_length=400)] = None,
    depth: Annotated[int, Query(ge=1, le=2)] = 1,
    min_weight: Annotated[float, Query(ge=0, le=1e9)] = 0.0,
    kind: Annotated[list[str] | None, Query()] = None,
    records: Annotated[
        bool, Query(description="also the records' own links (named in, seized in, …)")
    ] = True,
) -> HTMLResponse:
    chosen = [k for k in (kind or []) if k in KIND_CHOICES]
    kinds = (chosen + sorted(views.STRUCTURAL) if records else chosen) if chosen else None
    entity = (entity or "").strip() or None
    if entity is None:
        view = views.strongest(ctx.db, caller.actor, kinds=chosen or None, min_weight=min_weight, limit=100)
    else:
        view = views.neighbourhood(
            ctx.db, caller.actor, entity, depth=depth, kinds=kinds, min_weight=min_weight
        )
    labels = {e.handle: e.message or e.label for e in view.entities}
    stale = GraphFreshness(ctx.runs.settings.data_dir).stale(ctx.db)
    return render(
        ctx,
        "links.html",
        caller=caller,
        view=view,
        labels=labels,
        entity=entity,
        depth=depth,
        min_weight=min_weight,
        kinds=KIND_CHOICES,
        chosen=set(chosen),
        records=records,
        stale=stale,
        operations=list_operations(ctx.db, caller.actor),
        graph_json=json.dumps(view.to_json(), ensure_ascii=False).replace("</", "<\\/"),
    )


@dataclass
class PathEnd:
    """One end of a path as the reader typed it: an id or key, or words to search entity labels for."""

    typed: str
    ref: str | None = None  # what views.path is asked for, once one entity is chosen
    choices: list[views.EntityView] = field(default_factory=list)


def _path_end(ctx: WebContext, caller: Caller, typed: str) -> PathEnd:
    end = PathEnd(typed.strip())
    if not end.typed:
        return end
    if end.typed.isdigit() or ":" in end.typed:
        end.ref = end.typed  # an id or KIND:KEY; views.path says if it names nothing the caller may see
        return end
    end.choices = views.search(ctx.db, caller.actor, end.typed)
    if len(end.choices) == 1:
        end.ref = end.choices[0].handle
    return end


@router.get("/links/path")
def path_page(
    *,
    ctx: ContextDep,
    caller: CallerDep,
    source: Annotated[str, Query(max_length=400, description="id, KIND:KEY or words of a label")] = "",
    target: Annotated[str, Query(max_length=400)] = "",
    max_hops: Annotated[int, Query(ge=1, le=12)] = 6,
) -> HTMLResponse:
    """How are A and B linked: the shortest path through what the caller may see, each link with its kind,
    strength, provenance and explanation. Words instead of an id list the matching entities to pick."""
    require_links(caller.actor)
    ends = (_path_end(ctx, caller, source), _path_end(ctx, caller, target))
    found: list[views.GraphView] = []
    error: str | None = None
    if ends[0].ref and ends[1].ref:
        try:
            found = views.paths(ctx.db, caller.actor, ends[0].ref, ends[1].ref, max_hops=max_hops)
        except (BadEntityRefError, EntityNotFoundError) as exc:
            error = str(exc)
    # Each choice is a link that keeps what was typed for the other end: picking needs no script.
    picks: list[list[tuple[views.EntityView, str]]] = []
    for i, end in enumerate(ends):
        other = ends[1 - i]
        picks.append(
            [
                (
                    c,
                    "/links/path?"
                    + urlencode(
                        {"source": c.handle, "target": other.ref or other.typed, "max_hops": max_hops}
                        if i == 0
                        else {"source": other.ref or other.typed, "target": c.handle, "max_hops": max_hops}
                    ),
                )
                for c in end.choices
            ]
        )
    return render(
        ctx,
        "links_path.html",
        picks=picks,
        caller=caller,
        ends=ends,
        paths=found,
        error=error,
        max_hops=max_hops,
    )


@router.get("/links/operations/{operation_id}")
def operation_page(
    *,
    ctx: ContextDep,
    caller: CallerDep,
    operation_id: RowId,
    min_weight: Annotated[float, Query(ge=0, le=1e9)] = 0.0,
    kind: Annotated[list[str] | None, Query()] = None,
    records: Annotated[bool, Query(description="also the records' own links")] = True,
) -> HTMLResponse:
    """An operation's network: the "organised network?" indicator, its graph (cytoscape.js) and the same
    links as a table, repeat offenders among its suspects and accused, and key distributors."""
    chosen = [k for k in (kind or []) if k in KIND_CHOICES]
    kinds = (chosen + sorted(views.STRUCTURAL) if records else chosen) if chosen else None
    indicator = network.operation_network(ctx.db, caller.actor, operation_id)
    view = operation_graph(ctx.db, caller.actor, operation_id, kinds=kinds, min_weight=min_weight)
    flags = offenders.repeat_offenders(ctx.db, caller.actor, operation=operation_id)
    ranked = distributors.key_distributors(ctx.db, caller.actor, ctx.runs.settings.data_dir / "observations")
    return render(
        ctx,
        "links_operation.html",
        caller=caller,
        operation_id=operation_id,
        indicator=indicator,
        view=view,
        labels={e.handle: e.message or e.label for e in view.entities},
        flags=flags,
        distributors=ranked,
        min_weight=min_weight,
        kinds=KIND_CHOICES,
        chosen=set(chosen),
        records=records,
        stale=GraphFreshness(ctx.runs.settings.data_dir).stale(ctx.db),
        graph_json=json.dumps(view.to_json(), ensure_ascii=False).replace("</", "<\\/"),
    )
