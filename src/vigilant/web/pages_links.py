"""The link analysis page: an entity's neighbourhood (depth 1-2) as a graph (cytoscape.js with the fcose
layout) and as tables, filtered by kind and strength, expanded by clicking a node; without an entity, the
strongest links. What a caller sees of a record held by another agency is :mod:`vigilant.links.views`'
decision, never made here: the page shows the same view the API returns.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from vigilant.links import views
from vigilant.links.freshness import GraphFreshness
from vigilant.web.auth import CallerDep, ContextDep
from vigilant.web.pages import render

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
        graph_json=json.dumps(view.to_json(), ensure_ascii=False).replace("</", "<\\/"),
    )
