"""The REST API of link analysis: the strongest links, an entity's neighbourhood (depth 1-2), the path
between two entities, an operation's network figures, a rebuild, and exports.

Thin like :mod:`vigilant.web.api`: what a caller sees of a link whose other end is another agency's record
("a link exists to a record held by AGENCY — contact its coordinator") is decided by
:mod:`vigilant.links.views`, never here.
"""

from __future__ import annotations

import io
import pathlib
import tempfile
import zipfile
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from vigilant.links import analysis, distributors, hooks, network, offenders, status, views
from vigilant.links.build_shared_files import ClusterLinkSettings
from vigilant.links.export import ExportFormat, export
from vigilant.links.freshness import GraphFreshness
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.params import RowId

router = APIRouter(prefix=f"{API_V1}/links", responses=ERRORS, tags=["links"])

EntityP = Annotated[str, Path(min_length=1, max_length=400, description="id or key: person:12, item:3, …")]
KindsQ = Annotated[list[str] | None, Query(description="only links of these kinds")]
MinWeightQ = Annotated[float, Query(ge=0, le=1e9, description="only links at least this strong")]


class EntityOut(BaseModel):
    handle: str = Field(description="the entity's id, or hidden-N for a record you may not see")
    kind: str = Field(description="'record' for a hidden one")
    label: str
    visible: bool
    key: str | None = None
    agency: str | None = None
    message: str | None = Field(None, description="for a hidden record: whose coordinator to contact")


class LinkOut(BaseModel):
    kind: str
    source: str
    target: str
    weight: float
    explanation: dict[str, Any] | None = Field(None, description="absent when an end is hidden")
    provenance: dict[str, Any] | None = None


class StaleOut(BaseModel):
    since: str = Field(description="UTC, ISO 8601")
    reason: str


class GraphOut(BaseModel):
    entities: list[EntityOut]
    links: list[LinkOut]
    note: str | None = None
    stale: list[StaleOut] = Field(
        default_factory=list,
        description="why the graph may not show all the records hold yet, and since when (empty: fresh)",
    )


class BuildOut(BaseModel):
    links: dict[str, int] = Field(description="links each builder holds now")
    total: int


class NetworkOut(BaseModel):
    indicator: dict[str, Any]
    communities: list[dict[str, Any]]
    repeat_offenders: list[dict[str, Any]]
    key_distributors: list[dict[str, Any]]


def _graph(ctx: WebContext, view: views.GraphView) -> GraphOut:
    stale = GraphFreshness(ctx.runs.settings.data_dir).stale(ctx.db)
    return GraphOut.model_validate({**view.to_json(), "stale": [s.to_json() for s in stale]})


def _observations(ctx: WebContext) -> pathlib.Path:
    return ctx.runs.settings.data_dir / "observations"


@router.get("", response_model=GraphOut, response_model_exclude_none=True)
def strongest(
    ctx: ContextDep,
    actor: ActorDep,
    kind: KindsQ = None,
    min_weight: MinWeightQ = 0.0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> GraphOut:
    """The strongest links analysis found (shared files, cameras, identifiers, P2P), strongest first."""
    return _graph(ctx, views.strongest(ctx.db, actor, kinds=kind, min_weight=min_weight, limit=limit))


@router.get("/entities/{entity}", response_model=GraphOut, response_model_exclude_none=True)
def neighbourhood(
    *,
    ctx: ContextDep,
    actor: ActorDep,
    entity: EntityP,
    depth: Annotated[int, Query(ge=1, le=2)] = 1,
    kind: KindsQ = None,
    min_weight: MinWeightQ = 0.0,
) -> GraphOut:
    """An entity and what links to it, one or two links away."""
    view = views.neighbourhood(ctx.db, actor, entity, depth=depth, kinds=kind, min_weight=min_weight)
    return _graph(ctx, view)


@router.get("/path/{source}/{target}", response_model=GraphOut, response_model_exclude_none=True)
def path(
    ctx: ContextDep,
    actor: ActorDep,
    source: EntityP,
    target: EntityP,
    max_hops: Annotated[int, Query(ge=1, le=12)] = 6,
) -> GraphOut:
    """The shortest path between two entities through what you may see."""
    return _graph(ctx, views.path(ctx.db, actor, source, target, max_hops=max_hops))


@router.get("/operations/{operation_id}/network", response_model=NetworkOut)
def operation_network(operation_id: RowId, ctx: ContextDep, actor: ActorDep) -> NetworkOut:
    """An operation's network figures: the "organised network?" indicator, communities among everything
    you may see, repeat offenders among its suspects and accused, and key distributors."""
    indicator = network.operation_network(ctx.db, actor, operation_id)
    with ctx.db.session() as s:
        groups = analysis.communities(analysis.visible_graph(s, actor))
    flags = offenders.repeat_offenders(ctx.db, actor, operation=operation_id)
    ranked = distributors.key_distributors(ctx.db, actor, _observations(ctx))
    return NetworkOut(
        indicator=indicator.to_json(),
        communities=[g.to_json() for g in groups],
        repeat_offenders=[f.to_json() for f in flags],
        key_distributors=[d.to_json() for d in ranked],
    )


class StatusOut(BaseModel):
    built: dict[str, str] = Field(description="rebuild kind (run, record, observations): its last success")
    fresh: bool
    stale: list[StaleOut]
    last_job: dict[str, Any] | None = Field(
        description="the last xref job: status (running, interrupted, failed, finished), phase, done of total"
    )
    entities: dict[str, int] = Field(description="entities of each kind (the installation's, counts only)")
    links: dict[str, int] = Field(description="links of each kind (the installation's, counts only)")


@router.get("/status", response_model=StatusOut)
def graph_status(ctx: ContextDep, actor: ActorDep) -> StatusOut:
    """Where the graph stands: when it was built, what makes it stale since when, the last xref job and its
    progress, and how many entities and links of each kind it holds."""
    found = status.graph_status(ctx.db, actor, ctx.runs.settings.data_dir)
    return StatusOut.model_validate(found.to_json())


@router.post("/build", response_model=BuildOut, status_code=201)
def build(ctx: ContextDep, actor: ActorDep) -> BuildOut:
    """Rebuild the whole graph from every case record, triage run and lead; the files devices share are
    counted on the installation's Dask cluster when it has one (``VIGILANT_DASK_SCHEDULER``), as
    ``vigilant links build`` does."""
    installation = ctx.runs.settings
    cluster = ClusterLinkSettings(scheduler=installation.dask_scheduler)  # "": counted on this machine
    report = hooks.full_build(ctx.db, actor, installation.data_dir, cluster)
    return BuildOut(links=report.links, total=report.total)


MEDIA = {
    ExportFormat.GRAPHML: "application/graphml+xml",
    ExportFormat.GEXF: "application/gexf+xml",
    ExportFormat.I2: "application/zip",
}


@router.get("/export", response_class=Response, responses={200: {"content": {m: {} for m in MEDIA.values()}}})
def export_graph(
    ctx: ContextDep,
    actor: ActorDep,
    format: Annotated[ExportFormat, Query(description="graphml, gexf, or i2 (a zip of two CSV tables)")] = (
        ExportFormat.GRAPHML
    ),
    entity: Annotated[
        str | None, Query(max_length=400, description="only this entity's neighbourhood")
    ] = None,
    depth: Annotated[int, Query(ge=1, le=2)] = 2,
) -> Response:
    """The graph you may see as GraphML or GEXF (Gephi), or entity and link tables for i2 Analyst's
    Notebook; audited."""
    if entity is not None:
        view = views.neighbourhood(ctx.db, actor, entity, depth=depth)
    else:
        view = views.whole_graph(ctx.db, actor)
    name = f"links.{format.value if format is not ExportFormat.I2 else 'zip'}"
    with tempfile.TemporaryDirectory(prefix="vigilant-links-") as folder:
        target = pathlib.Path(folder) / ("links" if format is ExportFormat.I2 else name)
        files = export(ctx.db, actor, view, format, target)
        if format is ExportFormat.I2:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for f in files:
                    archive.write(f, f.name)
            body = buffer.getvalue()
        else:
            body = files[0].read_bytes()
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=MEDIA[format], headers=headers)
