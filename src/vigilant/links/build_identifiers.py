"""The same identifier (e-mail, user name, phone, peer id, GUID, serial, IP) held in different cases, by
different persons or on different devices.

A value many hold says little: the weight is the kind's strength divided by the number of holders less
one, and a known common value ("admin", "root", …) keeps a tenth of it. An IP names one subscriber only for
a while (dynamic addresses, shared NAT): two sightings link only when both carry a time and they lie within
the set window of each other.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import ClassVar

from vigilant.links.build_records import Held, identifier_holders
from vigilant.links.builder import Sources, Trigger
from vigilant.links.entities import BuiltLinks, LinkFact, Provenance

KIND_STRENGTH = {
    "email": 1.0,
    "phone": 1.0,
    "guid": 1.0,
    "peer_id": 1.0,
    "device_serial": 1.0,
    "camera_serial": 1.0,
    "username": 0.6,
    "ip": 0.5,
}
COMMON_VALUES = frozenset(
    {"admin", "administrator", "root", "user", "guest", "test", "info", "support", "default", "owner"}
)
COMMON_FACTOR = 0.1


class SameIdentifier:
    name: ClassVar[str] = "same_identifier"
    triggers: ClassVar[frozenset[str]] = frozenset({Trigger.RECORD})
    description: ClassVar[str] = "one identifier held in several cases, by several persons or devices"

    def build(self, sources: Sources) -> BuiltLinks:
        out = BuiltLinks()
        window = sources.settings.ip_window_hours * 3600
        with sources.db.session() as s:
            by_value: dict[tuple[str, str], list[Held]] = defaultdict(list)
            for held in identifier_holders(s):
                by_value[(held.kind, held.value)].append(held)
        for (kind, value), sightings in sorted(by_value.items()):
            holders = {h.holder.name for h in sightings}
            if len(holders) < 2:
                continue
            weight = KIND_STRENGTH.get(kind, 0.5) / (len(holders) - 1)
            common = value.lower() in COMMON_VALUES
            if common:
                weight *= COMMON_FACTOR
            pairs: dict[tuple[tuple[str, str], tuple[str, str]], tuple[Held, Held]] = {}
            for a, b in combinations(sightings, 2):
                if a.holder.name == b.holder.name:
                    continue
                if kind == "ip":
                    if a.observed_at is None or b.observed_at is None:
                        continue
                    if abs((a.observed_at - b.observed_at).total_seconds()) > window:
                        continue
                first, second = sorted((a, b), key=lambda h: h.holder.name)
                pairs.setdefault((first.holder.name, second.holder.name), (first, second))
            for first, second in pairs.values():
                times = [t for t in (first.observed_at, second.observed_at) if t is not None]
                text = f"both hold {kind} {value}" + (" (a common value: weight cut)" if common else "")
                explanation = {
                    "text": text,
                    "kind": kind,
                    "value": value,
                    "holders": len(holders),
                    "common": common,
                    "cases": sorted({first.case_id, second.case_id}),
                }
                prov = Provenance(
                    "record",
                    (f"identifier_link:{first.link_id}", f"identifier_link:{second.link_id}"),
                    max(times) if times else None,
                )
                out.add(
                    LinkFact(
                        "same_identifier", first.holder, second.holder, round(weight, 6), explanation, prov
                    )
                )
        return out
