"""Key distributors: leads ranked by the distinct known files they made available times the distinct peers
that reached them, from the observations, joined with what was found on the seized devices of the persons
the lead's IP was recorded on.

"Peers reached" is what an observer can count: the distinct sources that saw the address offering (other
peers by PEX, trackers and DHT nodes that named it, and our own observer sessions). A distributor's uploads
to others are not observable; the reach of its offer is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigilant.cases.access import Actor, audit, visible_case_ids
from vigilant.cases.models import CasePersonRow, SeizedDeviceRow, SeizureRow
from vigilant.evidence.models import EvidenceItemRow
from vigilant.leads.models import LeadIpRow, LeadRow
from vigilant.links.entities import EntityKind
from vigilant.links.models import LinkEdgeRow, LinkEntityRow
from vigilant.links.offenders import SUBJECT_ROLES
from vigilant.links.service import require_links
from vigilant.links.visibility import visible_ids
from vigilant.security.audit import RecordRead
from vigilant.store import Database
from vigilant.triage.models import TriageRunRow

REACH_SQL = """
SELECT ip, list(DISTINCT coalesce(reported_by, 'session:' || session_id)) AS sources
FROM read_parquet($files, union_by_name = true) WHERE ip IN (SELECT unnest($ips)) GROUP BY ip
"""


@dataclass(frozen=True)
class Distributor:
    lead_id: int
    lead: str
    known_files: int
    reach: int
    score: float
    ips: tuple[str, ...]
    persons: tuple[dict[str, Any], ...]
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "lead": self.lead,
            "known_files": self.known_files,
            "reach": self.reach,
            "score": self.score,
            "ips": list(self.ips),
            "persons": list(self.persons),
            "explanation": self.explanation,
        }


def _reach(observations_dir: Path, ips: list[str]) -> dict[str, set[str]]:
    files = sorted(observations_dir.glob("*.parquet")) if observations_dir.is_dir() else []
    if not files or not ips:
        return {}
    with duckdb.connect() as con:
        rows = con.execute(REACH_SQL, {"files": [str(f) for f in files], "ips": ips}).fetchall()
    return {ip: set(sources) for ip, sources in rows}


def _devices_found(s: Session, actor: Actor, person_id: int) -> list[dict[str, Any]]:
    """The seized devices of the cases naming the person as suspect or accused, with the known-bad files
    the newest finished triage run of each found."""
    cases = select(CasePersonRow.case_id).where(
        CasePersonRow.person_id == person_id,
        CasePersonRow.role.in_(SUBJECT_ROLES),
        CasePersonRow.case_id.in_(visible_case_ids(actor)),
    )
    items = s.scalars(
        select(SeizedDeviceRow.evidence_item_id)
        .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
        .where(SeizureRow.case_id.in_(cases), SeizedDeviceRow.evidence_item_id.is_not(None))
    )
    out = []
    for item_id in sorted({i for i in items if i is not None}):
        item = s.get(EvidenceItemRow, item_id)
        run_id = s.scalar(
            select(func.max(TriageRunRow.id)).where(
                TriageRunRow.evidence_id == item_id, TriageRunRow.status == "finished"
            )
        )
        run = s.get(TriageRunRow, run_id) if run_id is not None else None
        out.append(
            {
                "device": item.label if item else str(item_id),
                "run": run_id,
                "known_bad": run.summary.get("known_bad") if run else None,
            }
        )
    return out


def key_distributors(
    db: Database, actor: Actor, observations_dir: Path, *, limit: int = 20
) -> list[Distributor]:
    require_links(actor)
    with db.session() as s:
        lead_rows = list(s.scalars(select(LinkEntityRow).where(LinkEntityRow.kind == EntityKind.LEAD.value)))
        seen_leads = visible_ids(s, actor, lead_rows)
        leads = {r.ref_id: r for r in lead_rows if r.id in seen_leads and r.ref_id is not None}
        rows = list(s.scalars(select(LeadRow).where(LeadRow.id.in_(list(leads)))))
        ips: dict[int, list[str]] = {}
        for ip in s.scalars(select(LeadIpRow).where(LeadIpRow.lead_id.in_(list(leads)))):
            ips.setdefault(ip.lead_id, []).append(ip.ip)
        reach = _reach(observations_dir, sorted({ip for v in ips.values() for ip in v}))
        ranked = []
        for lead in rows:
            sources = set().union(*(reach.get(ip, set()) for ip in ips.get(lead.id, [])))
            n = max(1, len(sources))
            ranked.append((lead.known_files * n, lead, n))
        ranked.sort(key=lambda x: (-x[0], x[1].key))
        out = []
        for score, lead, n in ranked[:limit]:
            entity = leads[lead.id]
            edges = s.scalars(
                select(LinkEdgeRow).where(
                    LinkEdgeRow.kind == "lead_ip_on_person",
                    (LinkEdgeRow.source_id == entity.id) | (LinkEdgeRow.target_id == entity.id),
                )
            )
            ends = [e.target_id if e.source_id == entity.id else e.source_id for e in edges]
            person_rows = list(s.scalars(select(LinkEntityRow).where(LinkEntityRow.id.in_(ends))))
            seen = visible_ids(s, actor, person_rows)
            persons: tuple[dict[str, Any], ...] = tuple(
                {"person": p.label, "person_id": p.ref_id, "devices": _devices_found(s, actor, p.ref_id or 0)}
                for p in sorted(person_rows, key=lambda p: p.id)
                if p.id in seen
            )
            hidden = len(person_rows) - len(persons)
            text = (
                f"{lead.known_files} distinct known file(s) offered x {n} distinct source(s) that saw the "
                f"offer = {score:g}"
            )
            if persons:
                found = ", ".join(
                    f"{p['person']}: "
                    + ", ".join(f"{d['device']} {d['known_bad']} known-bad" for d in p["devices"])
                    for p in persons
                )
                text += f"; its IP is recorded on {found}"
            if hidden:
                text += f"; {hidden} person record(s) held by other agencies — contact their coordinators"
            out.append(
                Distributor(
                    lead.id,
                    lead.key,
                    lead.known_files,
                    n,
                    float(score),
                    tuple(sorted(ips.get(lead.id, []))),
                    persons,
                    text,
                )
            )
        audit(s, actor, RecordRead, object_type="key_distributors", object_id="all", records=len(out))
    return out
