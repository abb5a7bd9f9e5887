"""The registry map's data: registrants at their current located addresses with their compliance, and the
facility layers with the proximity radius (``GET /api/v1/registry/map``, and the page ``/registry/map``).

Thin: who may see it, what is drawn and the audit are :mod:`vigilant.registry.map_view`'s. The page embeds the
same JSON the API answers, so one schema serves registry_map.js and other clients.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vigilant.config import Settings
from vigilant.registry import map_view
from vigilant.registry.compliance import Status
from vigilant.registry.models import AddressKind
from vigilant.registry.places_models import FacilityKind
from vigilant.registry.proximity import DEFAULT_KINDS
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.api_registry import installation_rules
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.headers import SECURE_HEADERS

router = APIRouter(prefix=API_V1, responses=ERRORS, tags=["registry places"])
MAX_RADIUS_M = 50_000.0  # a facility's circle wider than a town says nothing


class MapQuery(BaseModel):
    """The map's filter, as query parameters (repeat ``status``, ``kind``, ``facility`` for several)."""

    as_of: date | None = Field(default=None, description="compliance and current addresses as of this day")
    status: list[Status] = Field(default_factory=list, max_length=4, description="none: every status")
    office: str = Field(default="", max_length=40, description="a registry office's short name")
    area: str = Field(default="", max_length=200, description="municipality of the main residence")
    kind: list[AddressKind] = Field(default_factory=list, max_length=5, description="addresses that place")
    facility: list[FacilityKind] = Field(default_factory=list, max_length=4, description="layers drawn")
    near: FacilityKind | None = Field(default=None, description="only registrants within radius of this kind")
    radius_m: float = Field(default=map_view.DEFAULT_RADIUS_M, gt=0, le=MAX_RADIUS_M)

    def wanted(self) -> map_view.MapFilter:
        return map_view.MapFilter(
            statuses=frozenset(self.status),
            office=self.office.strip() or None,
            area=self.area.strip() or None,
            kinds=frozenset(self.kind) or DEFAULT_KINDS,
            facility_kinds=frozenset(self.facility) or frozenset(FacilityKind),
            near=self.near,
            radius_m=self.radius_m,
        )


class MapAddressOut(BaseModel):
    kind: str
    line: str
    organisation: str | None
    lat: float
    lon: float


class MapRegistrantOut(BaseModel):
    number: str
    name: str
    office: str
    area: str
    status: str
    next_due: date | None
    rule: str | None
    reason: str
    order_ends_on: date | None
    lat: float
    lon: float
    url: str  # the registrant's page
    addresses: list[MapAddressOut]


class MapFacilityOut(BaseModel):
    id: int
    kind: str
    name: str
    lat: float
    lon: float


class MapOut(BaseModel):
    as_of: date
    tiles: str | None = Field(description="the tile URL template (VIGILANT_MAP_TILES); null: no tiles")
    radius_m: float
    matched: int = Field(description="registrants matching the filter; more than drawn when truncated")
    registrants: list[MapRegistrantOut]
    facilities: list[MapFacilityOut]


def map_out(view: map_view.MapView, tiles: str) -> MapOut:
    return MapOut(
        as_of=view.as_of,
        tiles=tiles or None,
        radius_m=view.filter.radius_m,
        matched=view.matched,
        registrants=[
            MapRegistrantOut(
                number=r.registry_number,
                name=r.name,
                office=r.office,
                area=r.area,
                status=r.status,
                next_due=r.next_due,
                rule=r.rule,
                reason=r.reason,
                order_ends_on=r.order_ends_on,
                lat=r.latitude,
                lon=r.longitude,
                url=f"/registry/registrants/{quote(r.registry_number, safe='')}",
                addresses=[
                    MapAddressOut(
                        kind=a.kind, line=a.line, organisation=a.organisation, lat=a.latitude, lon=a.longitude
                    )
                    for a in r.addresses
                ],
            )
            for r in view.registrants
        ],
        facilities=[
            MapFacilityOut(id=f.id, kind=f.kind, name=f.name, lat=f.latitude, lon=f.longitude)
            for f in view.facilities
        ],
    )


def map_json(view: map_view.MapView, tiles: str) -> str:
    """The map's data for registry_map.js, safe inside a <script> element (no ``<`` left to close it)."""
    return map_out(view, tiles).model_dump_json().replace("<", "\\u003c")


def map_csp(tiles: str) -> str:
    """The page's Content-Security-Policy: the site's own, and images from the unit's tile server if set."""
    policy = SECURE_HEADERS["Content-Security-Policy"]
    if not tiles:
        return policy
    origin = urlsplit(tiles)
    host = origin.netloc.replace("{s}", "*")  # a.tiles…, b.tiles…: a CSP wildcard for the leftmost label
    return f"{policy}; img-src 'self' {origin.scheme}://{host}"


@router.get("/registry/map", response_model=MapOut)
def registry_map(ctx: ContextDep, actor: ActorDep, q: Annotated[MapQuery, Query()]) -> MapOut:
    """What the registry map draws: registrants (at most 2,000, by registry number) at their current located
    addresses with their compliance, and the facilities; one audited read."""
    day = q.as_of or ctx.clock().date()
    view = map_view.map_view(ctx.db, actor, rules=installation_rules(), as_of=day, wanted=q.wanted())
    return map_out(view, Settings.from_env().map_tiles)
