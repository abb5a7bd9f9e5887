"""What the entity graph is made of, as small typed records: entity references and the links builders
find, each with its weight, explanation and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EntityKind(StrEnum):
    PERSON = "person"
    IDENTIFIER = "identifier"  # every identifier kind (ip, email, peer id, …): the key says which
    CAMERA = "camera"  # make, model and body serial from EXIF
    DEVICE = "device"  # an evidence item (a triaged seized device), or a seized device not yet acquired
    SERIES = "series"  # a known-material series named by the library
    LEAD = "lead"
    CASE = "case"
    AGENCY = "agency"


# Kinds that are records some agency holds: who sees them follows that record's distribution. The others
# are hubs (a value: an e-mail address, a camera, a series) that carry nothing of any case by themselves.
RECORD_KINDS = frozenset({EntityKind.PERSON, EntityKind.DEVICE, EntityKind.LEAD, EntityKind.CASE})


@dataclass(frozen=True)
class EntityRef:
    kind: EntityKind
    key: str
    label: str = ""
    ref_id: int | None = None
    agency_id: int | None = None
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def name(self) -> tuple[str, str]:
        return (self.kind.value, self.key)


def person(person_id: int, label: str, agency_id: int | None) -> EntityRef:
    return EntityRef(EntityKind.PERSON, f"person:{person_id}", label, person_id, agency_id)


def case(case_id: int, label: str, agency_id: int) -> EntityRef:
    return EntityRef(EntityKind.CASE, f"case:{case_id}", label, case_id, agency_id)


def agency(agency_id: int, label: str) -> EntityRef:
    return EntityRef(EntityKind.AGENCY, f"agency:{agency_id}", label, agency_id, agency_id)


def item(item_id: int, label: str, agency_id: int | None) -> EntityRef:
    """A triaged device: the evidence item acquired from it."""
    return EntityRef(EntityKind.DEVICE, f"item:{item_id}", label, item_id, agency_id)


def seized(device_id: int, label: str, agency_id: int | None) -> EntityRef:
    """A seized device with no evidence item yet."""
    return EntityRef(EntityKind.DEVICE, f"seized:{device_id}", label, device_id, agency_id)


def identifier(kind: str, value: str) -> EntityRef:
    return EntityRef(EntityKind.IDENTIFIER, f"{kind}:{value}", f"{kind} {value}", attrs={"kind": kind})


def camera(make: str, model: str, serial: str) -> EntityRef:
    return EntityRef(
        EntityKind.CAMERA, f"{make}|{model}|{serial}", f"{make} {model} #{serial}",
        attrs={"make": make, "model": model, "serial": serial},
    )  # fmt: skip


def series(name: str) -> EntityRef:
    return EntityRef(EntityKind.SERIES, name, f"series {name}")


def lead(lead_id: int, key: str, agency_id: int | None) -> EntityRef:
    return EntityRef(EntityKind.LEAD, f"lead:{lead_id}", f"lead {key}", lead_id, agency_id)


@dataclass(frozen=True)
class Provenance:
    """What says a link exists: a triage run, an observation, a case record or a lead; when; and the case
    and agency of that record, whose distribution decides who may see the link."""

    origin: str  # run | observation | record | lead
    origin_ids: tuple[str, ...]
    observed_at: datetime | None = None
    case_id: int | None = None
    agency_id: int | None = None
    distribution: str | None = None


@dataclass(frozen=True)
class LinkFact:
    kind: str
    a: EntityRef
    b: EntityRef
    weight: float
    explanation: dict[str, Any]
    provenance: Provenance


@dataclass
class BuiltLinks:
    """What one builder found: the links, each naming its two ends."""

    links: list[LinkFact] = field(default_factory=list)

    def add(self, fact: LinkFact) -> None:
        if fact.a.name != fact.b.name:  # a thing never links to itself
            self.links.append(fact)
