"""Links the case records themselves state: a case held by its agency, a person named in a case, a device
seized in it, an identifier used by a person, found on a device or recorded in a case."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import item_owner
from vigilant.cases.models import (
    AgencyRow,
    CasePersonRow,
    CaseRow,
    IdentifierLinkRow,
    PersonRow,
    SeizedDeviceRow,
    SeizureRow,
)
from vigilant.evidence.models import EvidenceItemRow
from vigilant.links import entities as e
from vigilant.links.builder import Sources, Trigger
from vigilant.links.entities import BuiltLinks, EntityRef, LinkFact, Provenance


class RecordLinks:
    name: ClassVar[str] = "records"
    triggers: ClassVar[frozenset[str]] = frozenset({Trigger.RECORD, Trigger.RUN})
    description: ClassVar[str] = "what case records state: cases, persons, seized devices, identifiers"

    def build(self, sources: Sources) -> BuiltLinks:
        out = BuiltLinks()
        with sources.db.session() as s:
            agencies = {a.id: e.agency(a.id, a.short_name) for a in s.scalars(select(AgencyRow))}
            cases = {c.id: c for c in s.scalars(select(CaseRow).order_by(CaseRow.id))}
            case_refs = {c.id: e.case(c.id, f"{c.number} {c.title}", c.agency_id) for c in cases.values()}

            def said_by(case_id: int, ids: list[str], what: str = "record") -> Provenance:
                c = cases[case_id]
                return Provenance(what, tuple(ids), c.opened_at, c.id, c.agency_id, c.distribution)

            for c in cases.values():
                out.add(
                    LinkFact(
                        "held_by",
                        case_refs[c.id],
                        agencies[c.agency_id],
                        1.0,
                        {"text": f"case {c.number} is held by {agencies[c.agency_id].label}"},
                        said_by(c.id, [f"case:{c.id}"]),
                    )
                )
            cache: dict[str, dict[int, EntityRef]] = {}
            people = {p.id: e.person(p.id, p.full_name, p.agency_id) for p in s.scalars(select(PersonRow))}
            for cp in s.scalars(select(CasePersonRow).order_by(CasePersonRow.id)):
                out.add(
                    LinkFact(
                        "named_in",
                        people[cp.person_id],
                        case_refs[cp.case_id],
                        1.0,
                        {"role": cp.role, "text": f"named as {cp.role}"},
                        said_by(cp.case_id, [f"case_person:{cp.id}"]),
                    )
                )
            for device, case_id in seized_devices(s):
                ref = device_ref(device, items_of(s, cache), cases[case_id].agency_id)
                out.add(
                    LinkFact(
                        "seized_in",
                        ref,
                        case_refs[case_id],
                        1.0,
                        {"text": f"seized in case {cases[case_id].number}", "exhibit": device.exhibit},
                        said_by(case_id, [f"seized_device:{device.id}"]),
                    )
                )
            for held in identifier_holders(s):
                prov = said_by(held.case_id, [f"identifier_link:{held.link_id}"])
                if held.observed_at is not None:
                    prov = replace(prov, observed_at=held.observed_at)
                out.add(
                    LinkFact(
                        held.relation,
                        held.holder,
                        held.hub,
                        1.0,
                        {"raw": held.raw, "source": held.source},
                        prov,
                    )
                )
        return out


@dataclass(frozen=True)
class Held:
    """An identifier as one case records it, and who holds it there: a person, a device, or the case."""

    link_id: int
    case_id: int
    hub: EntityRef
    holder: EntityRef
    relation: str  # uses | found_on | recorded_in
    kind: str
    value: str
    raw: str
    source: str | None
    observed_at: datetime | None


def seized_devices(s: Session) -> list[tuple[SeizedDeviceRow, int]]:
    query = (
        select(SeizedDeviceRow, SeizureRow.case_id)
        .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
        .order_by(SeizedDeviceRow.id)
    )
    return [(d, c) for d, c in s.execute(query)]


def items_of(s: Session, cache: dict[str, dict[int, EntityRef]]) -> dict[int, EntityRef]:
    if "items" not in cache:
        cache["items"] = item_refs(s)
    return cache["items"]


def identifier_holders(s: Session) -> list[Held]:
    """Every recorded identifier with its holder, as the records builder links them."""
    cases = {c.id: c for c in s.scalars(select(CaseRow))}
    people = {p.id: e.person(p.id, p.full_name, p.agency_id) for p in s.scalars(select(PersonRow))}
    items = item_refs(s)
    devices = {d.id: device_ref(d, items, cases[c].agency_id) for d, c in seized_devices(s)}
    out = []
    for link in s.scalars(select(IdentifierLinkRow).order_by(IdentifierLinkRow.id)):
        kind, value = link.identifier.kind, link.identifier.value
        c = cases[link.case_id]
        if link.person_id is not None:
            holder, relation = people[link.person_id], "uses"
        elif link.device_id is not None and link.device_id in devices:
            holder, relation = devices[link.device_id], "found_on"
        else:
            holder, relation = e.case(c.id, f"{c.number} {c.title}", c.agency_id), "recorded_in"
        out.append(
            Held(
                link.id,
                c.id,
                e.identifier(kind, value),
                holder,
                relation,
                kind,
                value,
                link.raw,
                link.source,
                link.observed_at,
            )
        )
    return out


def item_refs(s: Session) -> dict[int, EntityRef]:
    """Every evidence item as an entity, held by its owner (:func:`vigilant.cases.access.item_owner`): every
    builder names an item through this, so the entity is the same whichever builder made it."""
    return {i.id: e.item(i.id, i.label, item_owner(s, i)) for i in s.scalars(select(EvidenceItemRow))}


def device_ref(device: SeizedDeviceRow, items: dict[int, EntityRef], agency_id: int) -> EntityRef:
    """A seized device is its evidence item once one is acquired from it, so a triage run and a seizure
    name the same entity."""
    if device.evidence_item_id is not None:
        return items[device.evidence_item_id]
    label = " ".join(p for p in (device.exhibit, device.description) if p) or f"device {device.id}"
    return e.seized(device.id, label, agency_id)
