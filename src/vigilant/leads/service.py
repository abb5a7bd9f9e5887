"""Lead services: build (aggregate, score, geolocate, route, persist), list, show, assign, advance, claim.

Every service takes the caller (:class:`~vigilant.security.rights.Actor`) and the time explicitly: the CLI
passes its own actor and now, the web the logged-in user, tests fixed values, and nothing reads globals.
Building, assigning and claiming need ``leads.assign``; moving a lead along its legal life ``legal.write``
(recording legal process is casework). A caller sees a lead when its agency works it or was routed it, or
coordinates (:func:`lead_visible`; the CLI's own actor sees every lead); any other lead answers "not found",
exactly like a missing one. Every change is written to the lead's history and to the audit log.

A rebuild keeps each lead's lifecycle. A lead is matched to the lead of the previous build with the same
key (the same set of IPs), else to the one sharing most of its IPs (a new address joined by peer id, or
one that left the window): that lead is updated in place under its new key, so its id, status,
assignment, events and deconfliction claims (which point at the id) carry over, and a ``rekeyed`` event
records the addresses added and removed. Each existing lead is matched at most once per build. A rebuild
that changes the evidence (observations, files, severity, seeding, days, tier, last seen) records an
``evidence_changed`` event with each figure before and after and the score change; a score that moves by
at least :data:`RESCORE_EVENT_MIN` with the evidence unchanged (recency decay, new weights) records
``rescored``.

Agencies are rows of the agency table, referenced by id (``routed_agency_id``, ``assigned_agency_id``); the
names stay beside them for the record. A jurisdiction table's agency name that matches no agency (by name or
short name, ignoring case) leaves the lead unrouted, and the build reports the name
(:attr:`BuildReport.unknown_agencies`): a coordinating agency still sees the lead and can assign it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session, selectinload

from vigilant.cases.access import actor_name, agency_of, audit
from vigilant.cases.models import AgencyRow
from vigilant.leads import deconfliction, lifecycle
from vigilant.leads.agencies import AgencyNames, agency_for
from vigilant.leads.aggregate import LeadAggregate, Window, aggregate_leads
from vigilant.leads.deconfliction import ClaimHit, SubjectKey
from vigilant.leads.errors import LeadNotFoundError, TransitionError
from vigilant.leads.geo import GeoDatabase, GeoLocator, GeoResult, geo_confidence
from vigilant.leads.jurisdiction import JurisdictionTable
from vigilant.leads.known import known_markers, known_table
from vigilant.leads.lifecycle import JudicialAuthority, Status
from vigilant.leads.models import LeadEventRow, LeadIpRow, LeadRow
from vigilant.leads.score import ScoreSettings, score_lead
from vigilant.p2p.observations import Tier
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database

_CHUNK = 500  # keys per IN (...) query: well under both engines' parameter limits
RESCORE_EVENT_MIN = 0.5  # score points: smaller drifts (a day of recency decay) are not history
EVIDENCE_FIELDS = (
    "observation_count",
    "known_files",
    "max_severity",
    "max_category",
    "seeding",
    "days_seen",
    "tier",
    "last_seen",
)


@dataclass
class BuildReport:
    leads: int = 0
    created: int = 0
    updated: int = 0
    actionable: int = 0
    databases: list[GeoDatabase] = field(default_factory=list)
    # Jurisdiction-table names that match no agency, with how many leads they left unrouted.
    unknown_agencies: dict[str, int] = field(default_factory=dict)


def build_leads(
    db: Database,
    observations_dir: Path,
    window: Window,
    *,
    actor: Actor,
    now: datetime,
    geo: GeoLocator | None = None,
    jurisdictions: JurisdictionTable | None = None,
    score_settings: ScoreSettings | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    scheduler: str | None = None,
) -> BuildReport:
    """Aggregate, score, geolocate, route and persist; on this machine, or with each partition of the
    observations folded on the Dask cluster whose scheduler address is ``scheduler`` (same leads)."""
    require(actor, Permission.LEADS_ASSIGN)  # a build routes leads to agencies: the coordinator's right
    by = actor_name(actor)
    known = known_table(db)
    if scheduler:
        from vigilant.leads.cluster import aggregate_leads_at  # noqa: PLC0415  # imports distributed

        aggregates = aggregate_leads_at(scheduler, observations_dir, known, window)
    else:
        aggregates = aggregate_leads(observations_dir, known, window, con=con)
    markers = known_markers(db)
    report = BuildReport(leads=len(aggregates), databases=list(geo.databases) if geo else [])
    used: set[int] = set()  # leads of earlier builds already matched in this one
    with db.session() as s:
        names = AgencyNames.load(s)
    for start in range(0, len(aggregates), _CHUNK):
        chunk = aggregates[start : start + _CHUNK]
        with db.session() as s:
            matches = _match(s, chunk, used)
            for aggregate in chunk:
                row = matches.get(aggregate.key)
                if row is None:
                    row = LeadRow(key=aggregate.key, status=Status.NEW.value, created_at=now)
                    s.add(row)
                    report.created += 1
                    _fill(
                        row,
                        aggregate,
                        window=window,
                        actor=by,
                        now=now,
                        geo=geo,
                        jurisdictions=jurisdictions,
                        score_settings=score_settings,
                        markers=markers,
                        names=names,
                    )
                    s.flush()
                    detail = {"as_of": window.as_of.isoformat(), "window_days": window.days}
                    s.add(
                        _event(
                            row, by, at=now, action="created", before=None, after=Status.NEW, detail=detail
                        )
                    )
                else:
                    report.updated += 1
                    before = _evidence(row)
                    old_key, old_ips = row.key, {ip.ip for ip in row.ips}
                    row.key = aggregate.key
                    _fill(
                        row,
                        aggregate,
                        window=window,
                        actor=by,
                        now=now,
                        geo=geo,
                        jurisdictions=jurisdictions,
                        score_settings=score_settings,
                        markers=markers,
                        names=names,
                    )
                    for event in _history(row, before, old_key, old_ips, actor=by, now=now, window=window):
                        s.add(event)
                report.actionable += row.actionable
                if row.routed_to is not None and row.routed_agency_id is None:
                    unknown = report.unknown_agencies
                    unknown[row.routed_to] = unknown.get(row.routed_to, 0) + 1
    return report


def _match(s: Session, chunk: list[LeadAggregate], used: set[int]) -> dict[str, LeadRow]:
    """Each aggregate's lead from earlier builds: same key first, else the most shared IPs (ties: the
    oldest lead); a lead is matched once."""
    keys = [a.key for a in chunk]
    by_key = {
        row.key: row
        for row in s.scalars(select(LeadRow).where(LeadRow.key.in_(keys)).options(selectinload(LeadRow.ips)))
    }
    out: dict[str, LeadRow] = {}
    for aggregate in chunk:
        row = by_key.get(aggregate.key)
        if row is not None and row.id not in used:
            out[aggregate.key] = row
            used.add(row.id)
    rest = [a for a in chunk if a.key not in out]
    ips = sorted({ip for a in rest for ip in a.ip_list})
    owners: dict[str, set[int]] = {}
    for start in range(0, len(ips), _CHUNK):
        part = ips[start : start + _CHUNK]
        for lead_id, ip in s.execute(select(LeadIpRow.lead_id, LeadIpRow.ip).where(LeadIpRow.ip.in_(part))):
            owners.setdefault(ip, set()).add(lead_id)
    for aggregate in rest:
        shared: dict[int, int] = {}
        for ip in aggregate.ip_list:
            for lead_id in owners.get(ip, ()):
                if lead_id not in used:
                    shared[lead_id] = shared.get(lead_id, 0) + 1
        if not shared:
            continue
        best = min(shared, key=lambda lead_id: (-shared[lead_id], lead_id))
        row = s.scalars(select(LeadRow).where(LeadRow.id == best).options(selectinload(LeadRow.ips))).one()
        out[aggregate.key] = row
        used.add(best)
    return out


def _evidence(row: LeadRow) -> dict[str, Any]:
    figures = {name: getattr(row, name) for name in EVIDENCE_FIELDS}
    figures["last_seen"] = row.last_seen.isoformat()
    figures["score"] = row.score
    return figures


def _history(
    row: LeadRow,
    before: dict[str, Any],
    old_key: str,
    old_ips: set[str],
    *,
    actor: str,
    now: datetime,
    window: Window,
) -> list[LeadEventRow]:
    """The events a rebuild adds to an existing lead: re-keyed, evidence changed, or re-scored."""
    events = []
    base = {"as_of": window.as_of.isoformat(), "window_days": window.days}
    new_ips = {ip.ip for ip in row.ips}
    if row.key != old_key:
        detail = {
            **base,
            "from": old_key,
            "to": row.key,
            "ips_added": sorted(new_ips - old_ips),
            "ips_removed": sorted(old_ips - new_ips),
        }
        events.append(_event(row, actor, at=now, action="rekeyed", before=None, after=None, detail=detail))
    after = _evidence(row)
    changes = {name: [before[name], after[name]] for name in EVIDENCE_FIELDS if before[name] != after[name]}
    score = [before["score"], after["score"]]
    if changes:
        old_rank, new_rank = Tier(before["tier"]).rank, Tier(after["tier"]).rank
        detail = {**base, "changes": changes, "score": score, "tier_raised": new_rank > old_rank}
        events.append(
            _event(row, actor, at=now, action="evidence_changed", before=None, after=None, detail=detail)
        )
    elif abs(after["score"] - before["score"]) >= RESCORE_EVENT_MIN:
        detail = {**base, "score": score}
        events.append(_event(row, actor, at=now, action="rescored", before=None, after=None, detail=detail))
    return events


def _fill(
    row: LeadRow,
    aggregate: LeadAggregate,
    *,
    window: Window,
    actor: str,
    now: datetime,
    geo: GeoLocator | None,
    jurisdictions: JurisdictionTable | None,
    score_settings: ScoreSettings | None,
    markers: Mapping[int, tuple[str, ...]],
    names: AgencyNames,
) -> None:
    geos = {ip: (geo.lookup(ip) if geo else GeoResult()) for ip in aggregate.ip_list}
    routing = jurisdictions.route(geos) if jurisdictions else None
    confidence = None
    if geo is not None:  # without a jurisdiction table, a located address counts as routed
        confidence = {
            ip: geo_confidence(result, routed=routing is None or routing.per_ip.get(ip) is not None)
            for ip, result in geos.items()
        }
    score = score_lead(aggregate, window.as_of, score_settings, markers=markers, geo=confidence)
    row.window_days = window.days
    row.as_of = window.as_of
    row.first_seen = aggregate.first_seen
    row.last_seen = aggregate.last_seen
    row.observation_count = aggregate.observations
    row.known_files = aggregate.known_files
    row.max_severity = aggregate.max_severity
    row.max_category = aggregate.max_category
    row.seeding = aggregate.seeding
    row.days_seen = aggregate.days_seen
    row.tier = aggregate.tier.value
    row.score = score.total
    row.actionable = score.actionable
    row.explanation = score.to_json()
    row.identities = {"peer_ids": aggregate.peer_ids, "clients": aggregate.clients, "guids": aggregate.guids}
    row.geo_databases = [d.to_json() for d in geo.databases] if geo else []
    row.routed_to = routing.agency if routing else None  # as the table says it, matched or not
    row.routed_agency_id = names.id_of(row.routed_to)
    row.routing = routing.to_json() if routing else {}
    row.built_at = now
    row.built_by = actor
    by_ip = {ip_row.ip: ip_row for ip_row in row.ips}
    current = set(aggregate.ip_list)
    for gone in [ip_row for ip_row in row.ips if ip_row.ip not in current]:
        row.ips.remove(gone)  # left the window or joined another lead; the history keeps it (rekeyed)
    for stats in aggregate.ips:
        ip_row = by_ip.get(stats.ip)
        if ip_row is None:
            ip_row = LeadIpRow(ip=stats.ip)
            row.ips.append(ip_row)
        ip_row.first_seen = stats.first_seen
        ip_row.last_seen = stats.last_seen
        ip_row.observation_count = stats.observations
        ip_row.days = sorted(d.isoformat() for d in stats.days)
        ip_row.geo = geos[stats.ip].to_json()
        ip_row.agency = routing.per_ip.get(stats.ip) if routing else None


def _event(
    row: LeadRow,
    actor: str,
    *,
    at: datetime,
    action: str,
    before: Status | None,
    after: Status | None,
    detail: dict[str, Any],
) -> LeadEventRow:
    return LeadEventRow(
        lead_id=row.id,
        at=at,
        actor=actor,
        action=action,
        from_status=before.value if before else None,
        to_status=after.value if after else None,
        detail=detail,
    )


def _load(s: Session, ref: str) -> LeadRow:
    """A lead by key (``L-…``) or numeric id, with its IPs and events."""
    condition = LeadRow.key == ref
    if ref.isdigit():
        condition = or_(condition, LeadRow.id == int(ref))
    row = s.scalars(
        select(LeadRow).where(condition).options(selectinload(LeadRow.ips), selectinload(LeadRow.events))
    ).first()
    if row is None:
        raise LeadNotFoundError(
            f"no lead {ref!r}", hint="`vigilant leads list` shows the leads and their keys"
        )
    return row


def lead_visible(s: Session, actor: Actor) -> ColumnElement[bool] | None:
    """The WHERE clause for the caller's leads; None when the caller sees every lead (its agency
    coordinates, or it is the CLI's own actor).

    Agencies are compared by id: the working one (``assigned_agency_id``) and the routed one
    (``routed_agency_id``); the names kept beside them decide nothing, so a renamed agency or two agencies
    with similar names cannot widen anyone's view."""
    if actor.sees_all:
        return None
    agency = s.get(AgencyRow, agency_of(actor))
    if agency is None:
        return false()
    if agency.is_coordinator:
        return None
    return or_(LeadRow.assigned_agency_id == agency.id, LeadRow.routed_agency_id == agency.id)


def visible_lead(s: Session, actor: Actor, ref: str | int) -> LeadRow:
    """The lead (by key or id) with its IPs and events if the caller sees it; "not found" otherwise."""
    text = str(ref)
    condition = LeadRow.key == text
    if text.isdigit():
        condition = or_(condition, LeadRow.id == int(text))
    query = select(LeadRow).where(condition).options(selectinload(LeadRow.ips), selectinload(LeadRow.events))
    visible = lead_visible(s, actor)
    if visible is not None:
        query = query.where(visible)
    row = s.scalars(query).first()
    if row is None:
        raise LeadNotFoundError(
            f"no lead {text!r} that you may see", hint="`vigilant leads list` (or the leads queue) shows them"
        )
    return row


def get_lead(db: Database, ref: str) -> LeadRow:
    """A lead by key or id, for a service that has checked its caller already (a lead package's export)."""
    with db.session() as s:
        return _load(s, ref)


def _audit_change(db: Database, actor: Actor, row: LeadRow, fields: tuple[str, ...]) -> None:
    with db.session() as s:
        audit(
            s,
            actor,
            RecordChanged,
            change="update",
            object_type="lead",
            object_id=str(row.id),
            fields_changed=fields,
        )


def assign(db: Database, ref: str | int, agency: str | int, *, actor: Actor, at: datetime) -> LeadRow:
    """Give a lead the caller sees to an agency, by id or short name; an unknown one is refused
    (LeadInputError). Recorded in the lead's history and the audit log; returns the lead as it is now."""
    require(actor, Permission.LEADS_ASSIGN)
    by = actor_name(actor)
    with db.session() as s:
        row = visible_lead(s, actor, ref)
        chosen = agency_for(s, agency)
        given = {"agency": chosen.name, "agency_id": chosen.id}
        current = Status(row.status)
        if current is Status.ASSIGNED:  # re-assignment to another agency: recorded, status unchanged
            before = {"from": row.agency, "from_id": row.assigned_agency_id}
            row.agency, row.assigned_agency_id = chosen.name, chosen.id
            s.add(
                _event(
                    row,
                    by,
                    at=at,
                    action="reassigned",
                    before=current,
                    after=current,
                    detail={**before, **given},
                )
            )
        else:
            _check(row, Status.ASSIGNED, agency=chosen.name, authority=None)
            row.agency, row.assigned_agency_id = chosen.name, chosen.id
            row.status = Status.ASSIGNED.value
            s.add(
                _event(row, by, at=at, action="assigned", before=current, after=Status.ASSIGNED, detail=given)
            )
        lead_id = row.id
    row = get_lead(db, str(lead_id))  # with the new event (given elsewhere, the caller saw it last)
    _audit_change(db, actor, row, ("agency", "status"))
    return row


def advance(
    db: Database,
    ref: str | int,
    step: Status,
    *,
    actor: Actor,
    at: datetime,
    authority: JudicialAuthority | None = None,
    note: str | None = None,
) -> LeadRow:
    """Move a lead the caller sees one step along its legal life. Only the agency working the lead moves
    it, or a coordinating agency (or the CLI's own actor); the law's rules (:mod:`vigilant.leads.lifecycle`)
    then decide. Asking for the subscriber without a production order on file is refused with the reason
    (R v Spencer), whatever the lead's status."""
    require(actor, Permission.LEGAL_WRITE)
    by = actor_name(actor)
    with db.session() as s:
        row = visible_lead(s, actor, ref)
        if not actor.sees_all:
            agency = s.get(AgencyRow, agency_of(actor))
            coordinator = bool(agency and agency.is_coordinator)
            working = row.agency or row.assigned_agency_id
            if working and (agency is None or row.assigned_agency_id != agency.id) and not coordinator:
                raise TransitionError(
                    f"the lead is worked by {row.agency}: only that agency moves it",
                    hint="ask the coordinating agency to reassign it",
                )
        if step is Status.SUBSCRIBER_IDENTIFIED:
            lifecycle.require_subscriber_authority(production_order_on_file(row.events))
        current = Status(row.status)
        if step is Status.ASSIGNED:
            raise TransitionError("use assign to give a lead to an agency", hint="vigilant leads assign")
        _check(row, step, agency=row.agency, authority=authority)
        row.status = step.value
        detail: dict[str, Any] = {"note": note} if note else {}
        if authority is not None:
            detail["authority"] = authority.to_json()
        s.add(_event(row, by, at=at, action=step.value, before=current, after=step, detail=detail))
        lead_id = row.id
    row = get_lead(db, str(lead_id))
    _audit_change(db, actor, row, ("status",))
    return row


def _check(row: LeadRow, target: Status, *, agency: str | None, authority: JudicialAuthority | None) -> None:
    lifecycle.check_transition(
        Status(row.status),
        target,
        actionable=row.actionable,
        agency=agency,
        authority=authority,
        production_order_on_file=production_order_on_file(row.events),
    )


def production_order_on_file(events: Iterable[LeadEventRow]) -> bool:
    return any(e.to_status == Status.PRODUCTION_ORDER.value and "authority" in e.detail for e in events)


def subject_keys(secret: bytes, row: LeadRow) -> list[SubjectKey]:
    """The lead's deconfliction keys: every (IP, UTC day) it was seen, and every peer id."""
    keys = [
        deconfliction.ip_day_key(secret, ip_row.ip, date.fromisoformat(day))
        for ip_row in row.ips
        for day in ip_row.days
    ]
    keys += [deconfliction.peer_key(secret, p) for p in row.identities.get("peer_ids", [])]
    return keys


def claim_lead(
    db: Database, ref: str, secret: bytes, *, agency: str, actor: Actor, at: datetime, record: bool = True
) -> tuple[list[ClaimHit], int]:
    """Check the lead's subjects against other agencies' claims, then claim them (unless not ``record``)."""
    require(actor, Permission.LEADS_ASSIGN)
    by = actor_name(actor)
    with db.session() as s:
        row = visible_lead(s, actor, ref)
    keys = subject_keys(secret, row)
    hits = deconfliction.check(db, keys, agency=agency)
    new = deconfliction.claim(db, keys, agency=agency, actor=by, at=at, lead_id=row.id) if record else 0
    if record:
        with db.session() as s:
            detail = {"agency": agency, "keys": len(keys), "new": new, "claimed_elsewhere": len(hits)}
            s.add(_event(row, by, at=at, action="claimed", before=None, after=None, detail=detail))
        _audit_change(db, actor, row, ("claims",))
    return hits, new
