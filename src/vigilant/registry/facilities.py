"""Facility layers (schools, daycares, parks, community centres) imported from CSV or GeoJSON.

A bad row or feature is refused with its line number and the reason; the others are imported. A facility is
known by its kind and the layer's own id (``id``/``ref`` column, a GeoJSON feature's ``id``; without one, by
its name and coordinates), so importing the same layer again updates the rows instead of doubling them.

CSV: a header row; columns ``kind`` (or ``type``; ``--kind`` gives one kind to a whole file), ``name``,
``latitude``/``lat``, ``longitude``/``lon``/``lng``, and optionally ``id``/``ref``, ``address``,
``municipality``/``city``. GeoJSON: a FeatureCollection of Point features (RFC 7946: ``[longitude,
latitude]``) with the same names as properties.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, tuple_

from vigilant.errors import BadInputError
from vigilant.registry.geo import check_point
from vigilant.registry.places_models import FacilityKind, FacilityRow
from vigilant.security.audit import RecordChanged, append
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import utcnow

BATCH = 1000
_KIND_WORDS = {
    "school": FacilityKind.SCHOOL,
    "daycare": FacilityKind.DAYCARE,
    "childcare": FacilityKind.DAYCARE,
    "childcarecentre": FacilityKind.DAYCARE,
    "park": FacilityKind.PARK,
    "playground": FacilityKind.PARK,
    "communitycentre": FacilityKind.COMMUNITY_CENTRE,
    "communitycenter": FacilityKind.COMMUNITY_CENTRE,
}
_COLUMNS = {
    "kind": ("kind", "type"),
    "name": ("name",),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng"),
    "ref": ("id", "ref"),
    "address": ("address",),
    "municipality": ("municipality", "city"),
}


def parse_kind(text: object) -> FacilityKind:
    word = re.sub(r"[\s_\-]", "", str(text or "")).lower()
    try:
        return _KIND_WORDS[word]
    except KeyError:
        kinds = ", ".join(k.value for k in FacilityKind)
        raise BadInputError(f"unknown facility kind {text!r}", hint=f"use one of {kinds}") from None


@dataclass(frozen=True)
class Facility:
    kind: FacilityKind
    ref: str
    name: str
    latitude: float
    longitude: float
    address: str | None = None
    municipality: str | None = None


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str


@dataclass
class FacilityImport:
    source: str
    imported: int = 0
    updated: int = 0
    refused: list[Refusal] = field(default_factory=list)


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _facility(values: dict[str, Any], default_kind: FacilityKind | None, where: str) -> Facility:
    try:
        kind = parse_kind(values["kind"]) if _text(values.get("kind")) else default_kind
    except BadInputError as exc:
        raise BadInputError(f"{where}: {exc.message}", hint=exc.hint) from None
    if kind is None:
        raise BadInputError(f"{where}: no kind", hint="add a kind column or give --kind")
    name = _text(values.get("name"))
    if name is None:
        raise BadInputError(f"{where}: no name")
    point = check_point(values.get("latitude"), values.get("longitude"), where=where)
    ref = _text(values.get("ref"))
    if ref is None:  # no id in the layer: the same name at the same place is the same facility
        ref = hashlib.sha256(f"{name}|{point.latitude:.6f}|{point.longitude:.6f}".encode()).hexdigest()[:32]
    return Facility(
        kind=kind,
        ref=ref[:200],
        name=name[:300],
        latitude=point.latitude,
        longitude=point.longitude,
        address=_text(values.get("address")),
        municipality=_text(values.get("municipality")),
    )


def read_csv(text: str, default_kind: FacilityKind | None) -> Iterator[Facility | Refusal]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise BadInputError("the CSV file is empty", hint="a header row, then one facility a line")
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    columns = {
        key: next((names.index(a) for a in aliases if a in names), None) for key, aliases in _COLUMNS.items()
    }
    missing = [k for k in ("name", "latitude", "longitude") if columns[k] is None]
    if missing:
        raise BadInputError(
            f"CSV line 1: no {', '.join(missing)} column", hint="see docs/registry.md, facility layers"
        )
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            yield Refusal(line, f"line {line}: {len(cells)} cells where the header has {len(names)}")
            continue
        values = {k: cells[i] for k, i in columns.items() if i is not None}
        try:
            yield _facility(values, default_kind, f"line {line}")
        except BadInputError as exc:
            yield Refusal(line, str(exc))


def _feature_lines(text: str) -> list[int]:
    """The line each feature of the collection starts on, found by decoding the array element by element
    (``json.loads`` keeps no positions); empty when the layout is not the usual one."""
    match = re.search(r'"features"\s*:\s*\[', text)
    if match is None:
        return []
    decoder, at = json.JSONDecoder(), match.end()
    lines: list[int] = []
    while True:
        at = len(text) - len(text[at:].lstrip(" \t\r\n,"))
        if at >= len(text) or text[at] == "]":
            return lines
        try:
            _, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            return []
        lines.append(text.count("\n", 0, at) + 1)
        at = end


def read_geojson(text: str, default_kind: FacilityKind | None) -> Iterator[Facility | Refusal]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"not JSON: {exc.msg} at line {exc.lineno}", hint="a GeoJSON FeatureCollection"
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise BadInputError(
            "not a GeoJSON FeatureCollection", hint='{"type": "FeatureCollection", "features": [...]}'
        )
    features = document.get("features")
    if not isinstance(features, list):
        raise BadInputError("the FeatureCollection has no features list")
    lines = _feature_lines(text)
    for number, feature in enumerate(features, start=1):
        line = lines[number - 1] if len(lines) == len(features) else number
        where = f"line {line} (feature {number})"
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            yield Refusal(line, f"{where}: not a Point feature")
            continue
        coordinates = geometry.get("coordinates")
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            yield Refusal(line, f"{where}: a Point needs [longitude, latitude]")
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            yield Refusal(line, f"{where}: properties must be an object")
            continue
        values = {
            k: next((properties[a] for a in aliases if a in properties), None)
            for k, aliases in _COLUMNS.items()
        }
        values["ref"] = feature.get("id", values["ref"])
        values["longitude"], values["latitude"] = coordinates[0], coordinates[1]
        try:
            yield _facility(values, default_kind, where)
        except BadInputError as exc:
            yield Refusal(line, str(exc))


def read_layer(path: Path, default_kind: FacilityKind | None = None) -> Iterator[Facility | Refusal]:
    """The facilities of a CSV or GeoJSON file (by its extension, else by its first character)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    geojson = path.suffix.lower() in (".geojson", ".json") or text.lstrip().startswith("{")
    return read_geojson(text, default_kind) if geojson else read_csv(text, default_kind)


@dataclass(frozen=True)
class FacilityView:
    id: int
    kind: str
    ref: str
    name: str
    address: str | None
    municipality: str | None
    latitude: float
    longitude: float
    source: str


def list_facilities(db: Database, actor: Actor, *, kind: FacilityKind | None = None) -> list[FacilityView]:
    """The facilities of one kind (or all), by kind and name. Public places: no audit event."""
    require(actor, Permission.REGISTRY_READ)
    query = select(FacilityRow).order_by(FacilityRow.kind, FacilityRow.name, FacilityRow.id)
    if kind is not None:
        query = query.where(FacilityRow.kind == kind.value)
    with db.session() as s:
        return [
            FacilityView(
                r.id, r.kind, r.ref, r.name, r.address, r.municipality, r.latitude, r.longitude, r.source
            )
            for r in s.scalars(query)
        ]


def import_facilities(
    db: Database, actor: Actor, path: Path, *, default_kind: FacilityKind | None = None
) -> FacilityImport:
    """Import a facility layer; a second import of the same layer updates what changed."""
    require(actor, Permission.REGISTRY_WRITE)
    report = FacilityImport(source=path.name)
    batch: list[Facility] = []
    for item in read_layer(path, default_kind):
        if isinstance(item, Refusal):
            report.refused.append(item)
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            _store(db, actor, batch, report)
            batch = []
    _store(db, actor, batch, report)
    with db.session() as s:
        append(
            s,
            RecordChanged.by(
                actor,
                change="import",
                object_type="registry_facility",
                object_id=path.name,
                fields_changed=(f"imported={report.imported}", f"updated={report.updated}",
                                f"refused={len(report.refused)}"),
            ),
            now=utcnow(),
        )  # fmt: skip
    return report


def _store(db: Database, actor: Actor, batch: list[Facility], report: FacilityImport) -> None:
    if not batch:
        return
    unique = {(f.kind.value, f.ref): f for f in batch}  # a layer naming one id twice: the last wins
    now = utcnow()
    with db.session() as s:
        existing = {
            (row.kind, row.ref): row
            for row in s.scalars(
                select(FacilityRow).where(tuple_(FacilityRow.kind, FacilityRow.ref).in_(list(unique)))
            )
        }
        for key, facility in unique.items():
            row = existing.get(key)
            if row is None:
                s.add(
                    FacilityRow(
                        kind=facility.kind.value,
                        ref=facility.ref,
                        name=facility.name,
                        address=facility.address,
                        municipality=facility.municipality,
                        latitude=facility.latitude,
                        longitude=facility.longitude,
                        source=report.source,
                        imported_by=actor.username,
                        imported_at=now,
                    )
                )
                report.imported += 1
                continue
            changed = (row.name, row.address, row.municipality, row.latitude, row.longitude) != (
                facility.name, facility.address, facility.municipality, facility.latitude, facility.longitude
            )  # fmt: skip
            if changed:
                row.name, row.address, row.municipality = (
                    facility.name,
                    facility.address,
                    facility.municipality,
                )
                row.latitude, row.longitude = facility.latitude, facility.longitude
                row.source, row.imported_by, row.imported_at = report.source, actor.username, now
                report.updated += 1
