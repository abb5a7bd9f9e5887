"""What the registry's map draws: registrants at their current located addresses, with their compliance,
and the facility layers with the proximity radius around each facility.

A registrant is one marker, at the current main residence when it has coordinates (else the first current
located address, by kind then id); the popup lists every current located address and the compliance summary.
The map is an audited read of every registrant it shows (one ``record.read`` event naming the filter and the
count), held to ``registry.read`` as the registry's other listings are: an investigator asks proximity
questions with a purpose instead (:mod:`vigilant.registry.proximity`). At most :data:`MAP_LIMIT` registrants
are drawn (by registry number); the view says when more matched, so nobody mistakes a cut map for a whole one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.models import AgencyRow
from vigilant.registry.access import record, require_reader
from vigilant.registry.compliance import Status
from vigilant.registry.models import AddressKind, RegistrantAddressRow, RegistrantRow
from vigilant.registry.places_models import FacilityKind, FacilityRow
from vigilant.registry.proximity import DEFAULT_KINDS, registrants_near_any
from vigilant.registry.rules import RuleSet
from vigilant.registry.service import summaries
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Actor
from vigilant.store import Database

MAP_LIMIT = 2000  # registrants drawn at most; a browser draws this many vector markers smoothly
DEFAULT_RADIUS_M = 500.0
# The marker's place: the home first, then where the registrant works, volunteers or studies.
_MARKER_ORDER = {k: i for i, k in enumerate(("main", "secondary", "employment", "volunteer", "school"))}


@dataclass(frozen=True)
class MapFilter:
    statuses: frozenset[Status] = frozenset()  # none: every status
    office: str | None = None  # a registry office's short name
    area: str | None = None  # the municipality of the current main residence
    kinds: frozenset[AddressKind] = DEFAULT_KINDS  # which addresses place a registrant
    facility_kinds: frozenset[FacilityKind] = frozenset(FacilityKind)  # facility layers drawn
    near: FacilityKind | None = None  # only registrants within radius_m of a facility of this kind
    radius_m: float = DEFAULT_RADIUS_M

    def describe(self) -> str:
        parts = [f"kinds {','.join(sorted(self.kinds))}", f"radius {self.radius_m:g} m"]
        if self.statuses:
            parts.append(f"status {','.join(sorted(self.statuses))}")
        if self.office:
            parts.append(f"office {self.office}")
        if self.area:
            parts.append(f"area {self.area}")
        if self.near:
            parts.append(f"near {self.near.value}")
        return "; ".join(parts)


@dataclass(frozen=True)
class MapAddress:
    id: int
    kind: str
    line: str
    organisation: str | None
    latitude: float
    longitude: float


@dataclass(frozen=True)
class MapRegistrant:
    id: int
    registry_number: str
    name: str
    office: str
    area: str
    status: str
    next_due: date | None
    rule: str | None
    reason: str
    order_ends_on: date | None
    latitude: float  # the marker's place
    longitude: float
    addresses: tuple[MapAddress, ...]


@dataclass(frozen=True)
class MapFacility:
    id: int
    kind: str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class MapView:
    as_of: date
    filter: MapFilter
    registrants: tuple[MapRegistrant, ...]
    facilities: tuple[MapFacility, ...]
    matched: int  # registrants matching the filter, drawn or not
    offices: tuple[str, ...] = field(default=())  # for the filter form

    @property
    def truncated(self) -> bool:
        return self.matched > len(self.registrants)


def _located(s: Session, f: MapFilter, as_of: date) -> dict[int, list[MapAddress]]:
    """Current addresses with coordinates of the kinds asked, per registrant (in the office asked)."""
    query = (
        select(RegistrantAddressRow)
        .join(RegistrantRow, RegistrantRow.id == RegistrantAddressRow.registrant_id)
        .where(
            RegistrantAddressRow.kind.in_(sorted(k.value for k in f.kinds)),
            RegistrantAddressRow.latitude.is_not(None),
            RegistrantAddressRow.longitude.is_not(None),
            RegistrantAddressRow.valid_from <= as_of,
            RegistrantAddressRow.valid_to.is_(None) | (RegistrantAddressRow.valid_to > as_of),
        )
    )
    if f.office:
        office_ids = select(AgencyRow.id).where(AgencyRow.short_name == f.office)
        query = query.where(RegistrantRow.office_agency_id.in_(office_ids))
    found: dict[int, list[MapAddress]] = {}
    for a in s.scalars(query):
        assert a.latitude is not None  # the query's
        assert a.longitude is not None
        found.setdefault(a.registrant_id, []).append(
            MapAddress(a.id, a.kind, a.line, a.organisation, a.latitude, a.longitude)
        )
    for addresses in found.values():
        addresses.sort(key=lambda a: (_MARKER_ORDER.get(a.kind, 9), a.id))
    return found


def _facilities(s: Session, kinds: Collection[FacilityKind]) -> tuple[MapFacility, ...]:
    rows = s.execute(
        select(
            FacilityRow.id, FacilityRow.kind, FacilityRow.name, FacilityRow.latitude, FacilityRow.longitude
        )
        .where(FacilityRow.kind.in_(sorted(k.value for k in kinds)))
        .order_by(FacilityRow.kind, FacilityRow.name, FacilityRow.id)
    )
    return tuple(MapFacility(*row) for row in rows)


def map_view(db: Database, actor: Actor, *, rules: RuleSet, as_of: date, wanted: MapFilter) -> MapView:
    """The registrants and facilities to draw as of ``as_of``; one audited read of what is shown."""
    require_reader(actor, None)  # registry.read: the map lists registrants' homes
    with db.session() as s:
        located = _located(s, wanted, as_of)
        if wanted.near is not None:
            near = registrants_near_any(s, wanted.near, wanted.radius_m, kinds=wanted.kinds, as_of=as_of)
            located = {rid: a for rid, a in located.items() if rid in near}
        chosen = []
        for x in summaries(s, rules, as_of, sorted(located)):
            if wanted.statuses and x.compliance.status not in wanted.statuses:
                continue
            if wanted.area and x.area.casefold() != wanted.area.casefold():
                continue
            chosen.append(x)
        drawn = []
        for x in chosen[:MAP_LIMIT]:
            places = located[x.id]
            c = x.compliance
            drawn.append(
                MapRegistrant(
                    x.id,
                    x.registry_number,
                    x.name,
                    x.office,
                    x.area,
                    c.status.value,
                    c.next_due,
                    c.rule,
                    c.reason,
                    c.order_ends_on,
                    places[0].latitude,
                    places[0].longitude,
                    tuple(places),
                )
            )
        facilities = _facilities(s, wanted.facility_kinds)
        offices = tuple(s.scalars(select(AgencyRow.short_name).order_by(AgencyRow.short_name)))
        record(
            s,
            RecordRead.by(
                actor, object_type="registry_map",
                query=f"map as of {as_of.isoformat()}: {wanted.describe()}", records=len(drawn),
            ),
        )  # fmt: skip
    return MapView(as_of, wanted, tuple(drawn), facilities, len(chosen), offices)
