"""Which entities of the graph a caller may see, by the rules of the records behind them.

A case follows :func:`vigilant.cases.access.case_visible`; a person is seen through a visible case that
names them; an evidence item by :func:`vigilant.cases.access.item_visible`; a seized device through its
seizure's case; a lead by the leads' rule (a coordinating agency sees all, others those assigned or routed
to them). Agencies and hubs (an identifier's value, a camera, a series) hold nothing of any case: they are
visible, and what they link to is checked one by one.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vigilant.cases.access import Actor, agency_of, case_visible, item_visible, visible_case_ids
from vigilant.cases.models import AgencyRow, CasePersonRow, CaseRow, SeizedDeviceRow, SeizureRow
from vigilant.evidence.models import EvidenceItemRow
from vigilant.leads.models import LeadIpRow, LeadRow
from vigilant.links.entities import EntityKind
from vigilant.links.models import LinkEntityRow
from vigilant.security.rights import Permission


def _sees_all(actor: Actor) -> bool:
    return bool(getattr(actor, "sees_all", False))


def visible_ids(s: Session, actor: Actor, rows: Iterable[LinkEntityRow]) -> set[int]:
    """The ids of ``rows`` the caller may see."""
    rows = list(rows)
    if _sees_all(actor):
        return {r.id for r in rows}
    refs: dict[str, dict[int, list[int]]] = {}
    out: set[int] = set()
    for r in rows:
        if r.kind in (EntityKind.PERSON, EntityKind.CASE, EntityKind.LEAD) or (
            r.kind == EntityKind.DEVICE and r.ref_id is not None
        ):
            group = "seized" if r.kind == EntityKind.DEVICE and r.key.startswith("seized:") else r.kind
            refs.setdefault(group, {}).setdefault(r.ref_id or 0, []).append(r.id)
        else:
            out.add(r.id)
    for group, by_ref in refs.items():
        ids = list(by_ref)
        for start in range(0, len(ids), 500):
            for ref in _visible_refs(s, actor, group, ids[start : start + 500]):
                out.update(by_ref[ref])
    return out


def _visible_refs(s: Session, actor: Actor, group: str, ids: list[int]) -> Iterable[int]:
    if group == EntityKind.CASE:
        return s.scalars(select(CaseRow.id).where(CaseRow.id.in_(ids), case_visible(actor)))
    if group == EntityKind.PERSON:
        return s.scalars(
            select(CasePersonRow.person_id).where(
                CasePersonRow.person_id.in_(ids), CasePersonRow.case_id.in_(visible_case_ids(actor))
            )
        )
    if group == EntityKind.DEVICE:
        return s.scalars(select(EvidenceItemRow.id).where(EvidenceItemRow.id.in_(ids), item_visible(actor)))
    if group == "seized":
        return s.scalars(
            select(SeizedDeviceRow.id)
            .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
            .where(SeizedDeviceRow.id.in_(ids), SeizureRow.case_id.in_(visible_case_ids(actor)))
        )
    agency = s.get(AgencyRow, agency_of(actor))
    query = select(LeadRow.id).where(LeadRow.id.in_(ids))
    if agency is None:
        return []
    if not agency.is_coordinator:
        query = query.where(
            or_(LeadRow.assigned_agency_id == agency.id, LeadRow.routed_agency_id == agency.id)
        )
    return s.scalars(query)


def agency_names(s: Session) -> dict[int, str]:
    return {a.id: a.name for a in s.scalars(select(AgencyRow))}


def observations_visible(s: Session, actor: Actor, ips: Iterable[str]) -> bool:
    """Whether the caller may see what the P2P observations say of ``ips`` (a peer id seen there): the
    observations are the leads' raw material, so only a caller who sees a lead at one of those addresses
    may (the leads' rule: a coordinating agency sees every lead, others those assigned or routed to them).
    An agency that sees no such lead must not learn that someone is watching the address."""
    if _sees_all(actor):
        return True
    if not actor.may(Permission.LEADS_READ):
        return False
    agency = s.get(AgencyRow, agency_of(actor))
    if agency is None:
        return False
    if agency.is_coordinator:
        return True
    wanted = sorted(set(ips))
    if not wanted:
        return False
    query = (
        select(LeadRow.id)
        .join(LeadIpRow, LeadIpRow.lead_id == LeadRow.id)
        .where(
            LeadIpRow.ip.in_(wanted),
            or_(LeadRow.assigned_agency_id == agency.id, LeadRow.routed_agency_id == agency.id),
        )
        .limit(1)
    )
    return s.scalar(query) is not None
