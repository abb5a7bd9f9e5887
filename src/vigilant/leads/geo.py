"""Geolocation from MMDB files the agency supplies (DB-IP, IP2Location LITE, GeoLite2 or a commercial build).

Offline only: an address under investigation never leaves the machine. Each database's build (its type,
build time from the metadata, and the file's SHA-256) is recorded on the lead, because a location is only
as good as the database edition that gave it, and a court may ask which one. City-level results are
unreliable; province and ISP are the dependable fields (reference/p2p.md §5).

Several files may be given (e.g. a City and an ASN database): each field comes from the first file that
has it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import maxminddb

from vigilant.leads.errors import LeadInputError


@dataclass(frozen=True)
class GeoDatabase:
    file: str  # the file name as given (the path is the agency's business)
    sha256: str
    database_type: str
    build_epoch: int
    build_utc: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GeoResult:
    country: str | None = None  # ISO 3166-1 alpha-2
    subdivision: str | None = None  # ISO 3166-2 code without the country, e.g. "ON"
    subdivision_name: str | None = None
    city: str | None = None
    asn: int | None = None
    isp: str | None = None
    network: str | None = None  # the database's prefix that matched
    accuracy_km: int | None = None  # the City database's ``location.accuracy_radius``, where it gives one

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def merged(self, other: GeoResult) -> GeoResult:
        return GeoResult(
            **{f.name: getattr(self, f.name) if getattr(self, f.name) is not None else getattr(other, f.name)
               for f in fields(self)}
        )  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _english(names: Any) -> str | None:
    if isinstance(names, dict):
        value = names.get("en")
        return str(value) if value is not None else None
    return None


def parse_record(record: Any, network: str | None) -> GeoResult:
    """The fields of a GeoIP2/GeoLite2-style City, ASN or ISP record (DB-IP and others use the same keys)."""
    if not isinstance(record, dict):
        return GeoResult()
    country = record.get("country") or {}
    subdivisions = record.get("subdivisions") or [{}]
    first = subdivisions[0] if isinstance(subdivisions, list) and subdivisions else {}
    asn = record.get("autonomous_system_number")
    isp = record.get("isp") or record.get("autonomous_system_organization")
    location = record.get("location")
    radius = location.get("accuracy_radius") if isinstance(location, dict) else None
    return GeoResult(
        country=country.get("iso_code") if isinstance(country, dict) else None,
        subdivision=first.get("iso_code") if isinstance(first, dict) else None,
        subdivision_name=_english(first.get("names")) if isinstance(first, dict) else None,
        city=_english((record.get("city") or {}).get("names")),
        asn=int(asn) if asn is not None else None,
        isp=str(isp) if isp is not None else None,
        network=network,
        accuracy_km=int(radius) if isinstance(radius, int | float) and radius >= 0 else None,
    )


# How far a geolocation can be trusted to name a jurisdiction (reference p2p.md §5: "City-level
# geolocation is unreliable; ISP plus province are the dependable fields").
LEVEL_CONFIDENCE = {"none": 0.0, "country": 0.3, "province": 0.6, "city": 0.7}
ISP_CONFIDENCE = 0.3  # the operator the production order goes to is known
WIDE_RADIUS_KM = 100  # an accuracy radius wider than this costs WIDE_RADIUS_PENALTY
WIDE_RADIUS_PENALTY = 0.2


@dataclass(frozen=True)
class GeoConfidence:
    level: str  # none | country | province | city
    isp: bool
    accuracy_km: int | None
    routed: bool  # the jurisdiction table named an agency for this address
    value: float  # 0..1

    def label(self) -> str:
        parts = [self.level + ("+ISP" if self.isp else "")]
        if self.accuracy_km is not None and self.accuracy_km > WIDE_RADIUS_KM:
            parts.append(f"radius {self.accuracy_km} km")
        if not self.routed:
            parts.append("unrouted")
        return ", ".join(parts)


def geo_confidence(geo: GeoResult, *, routed: bool) -> GeoConfidence:
    """0..1: the level the database resolved (country < province < city), plus the ISP, less a wide
    accuracy radius; 0 when no rule of the jurisdiction table routed the address."""
    level = "city" if geo.city else "province" if geo.subdivision else "country" if geo.country else "none"
    isp = geo.isp is not None or geo.asn is not None
    value = LEVEL_CONFIDENCE[level] + (ISP_CONFIDENCE if isp and level != "none" else 0.0)
    if geo.accuracy_km is not None and geo.accuracy_km > WIDE_RADIUS_KM:
        value -= WIDE_RADIUS_PENALTY
    value = min(1.0, max(0.0, value)) if routed else 0.0
    return GeoConfidence(level, isp, geo.accuracy_km, routed, round(value, 4))


class GeoLocator:
    """Looks addresses up in one or more MMDB files; use as a context manager to close them."""

    def __init__(self, paths: list[Path]) -> None:
        if not paths:
            raise LeadInputError("no MMDB file given", hint="pass --mmdb PATH (an agency-supplied database)")
        self._readers: list[maxminddb.Reader] = []
        self.databases: list[GeoDatabase] = []
        for path in paths:
            try:
                reader = maxminddb.open_database(str(path))
            except (OSError, maxminddb.InvalidDatabaseError) as exc:
                self.close()
                raise LeadInputError(
                    f"cannot read MMDB {path}: {exc}", hint="give a MaxMind DB format file (.mmdb)"
                ) from exc
            meta = reader.metadata()
            self._readers.append(reader)
            self.databases.append(
                GeoDatabase(
                    file=path.name,
                    sha256=_sha256(path),
                    database_type=str(meta.database_type),
                    build_epoch=int(meta.build_epoch),
                    build_utc=datetime.fromtimestamp(meta.build_epoch, UTC).isoformat(),
                )
            )

    def lookup(self, ip: str) -> GeoResult:
        result = GeoResult()
        for reader in self._readers:
            try:
                record, prefix_len = reader.get_with_prefix_len(ip)
            except ValueError:  # not an address, or IPv6 in an IPv4-only database
                continue
            if record is None:
                continue
            network = ipaddress.ip_network(f"{ip}/{prefix_len}", strict=False).compressed
            result = result.merged(parse_record(record, network))
        return result

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()

    def __enter__(self) -> GeoLocator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
