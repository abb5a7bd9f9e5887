"""The jurisdiction table: which agency takes an address, from its province, municipality and ISP.

A table is CSV (columns ``agency, priority, country, province, municipality, isp``; empty = any) or JSON
(``{"version": 1, "coordinating_agency": "NCECC", "rules": [{"agency": …, "province": …}, …]}``).
A rule matches when every field it sets equals the geolocation's (case-insensitive; province by ISO code or
English name; ISP by name or ``AS<number>``). Among matches the highest ``priority`` wins, then the most
specific rule, then the agency name (so routing never depends on row order).

A lead whose addresses route to more than one agency, or to none (foreign, unknown, no rule), goes to the
coordinating agency (NCECC in Canada, which sends investigational packages on): reference/p2p.md §5.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigilant.leads.errors import LeadInputError
from vigilant.leads.geo import GeoResult

DEFAULT_COORDINATING_AGENCY = "NCECC"
_FIELDS = ("country", "province", "municipality", "isp")


@dataclass(frozen=True)
class Rule:
    agency: str
    priority: int = 0
    country: str | None = None
    province: str | None = None
    municipality: str | None = None
    isp: str | None = None

    @property
    def specificity(self) -> int:
        return sum(getattr(self, name) is not None for name in _FIELDS)

    def matches(self, geo: GeoResult) -> bool:
        checks = {
            "country": {geo.country},
            "province": {geo.subdivision, geo.subdivision_name},
            "municipality": {geo.city},
            "isp": {geo.isp, f"AS{geo.asn}" if geo.asn is not None else None},
        }
        for name in _FIELDS:
            wanted = getattr(self, name)
            if wanted is None:
                continue
            if wanted.casefold() not in {v.casefold() for v in checks[name] if v}:
                return False
        return True


@dataclass(frozen=True)
class Routing:
    agency: str
    reason: str  # single-jurisdiction | multi-jurisdiction | no-jurisdiction
    per_ip: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"agency": self.agency, "reason": self.reason, "per_ip": dict(sorted(self.per_ip.items()))}


@dataclass(frozen=True)
class JurisdictionTable:
    rules: tuple[Rule, ...]
    coordinating_agency: str = DEFAULT_COORDINATING_AGENCY

    def route_ip(self, geo: GeoResult) -> Rule | None:
        matches = [rule for rule in self.rules if rule.matches(geo)]
        if not matches:
            return None
        return min(matches, key=lambda r: (-r.priority, -r.specificity, r.agency))

    def route(self, geos: dict[str, GeoResult]) -> Routing:
        per_ip = {ip: (rule.agency if (rule := self.route_ip(geo)) else None) for ip, geo in geos.items()}
        agencies = {agency for agency in per_ip.values() if agency is not None}
        if len(agencies) == 1 and None not in per_ip.values():
            return Routing(agencies.pop(), "single-jurisdiction", per_ip)
        reason = "multi-jurisdiction" if len(agencies) > 1 else "no-jurisdiction"
        if len(agencies) == 1:  # one address routes, another is foreign or unknown
            reason = "multi-jurisdiction"
        return Routing(self.coordinating_agency, reason, per_ip)


def _rule(raw: dict[str, Any], where: str) -> Rule:
    agency = str(raw.get("agency") or "").strip()
    if not agency:
        raise LeadInputError(f"{where}: a rule without an agency", hint="every row needs an agency name")
    try:
        priority = int(raw.get("priority") or 0)
    except ValueError:
        raise LeadInputError(f"{where}: priority {raw.get('priority')!r} is not an integer") from None
    values = {name: (str(raw.get(name) or "").strip() or None) for name in _FIELDS}
    return Rule(agency=agency, priority=priority, **values)


def load_table(path: Path, coordinating_agency: str | None = None) -> JurisdictionTable:
    """Read a CSV or JSON jurisdiction table; ``coordinating_agency`` overrides the file's."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LeadInputError(f"cannot read jurisdiction table {path}: {exc}") from exc
    coordinating = DEFAULT_COORDINATING_AGENCY
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LeadInputError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            raise LeadInputError(
                f"{path}: expected an object with a 'rules' list", hint="see leads/jurisdiction.py"
            )
        coordinating = str(data.get("coordinating_agency") or coordinating)
        rules = [_rule(raw, f"{path} rule {i + 1}") for i, raw in enumerate(data["rules"])]
    else:
        reader = csv.DictReader(text.splitlines())
        rules = [_rule(row, f"{path} line {reader.line_num}") for row in reader]
    if not rules:
        raise LeadInputError(f"{path} has no rules", hint="add at least one agency row")
    return JurisdictionTable(tuple(rules), coordinating_agency or coordinating)
