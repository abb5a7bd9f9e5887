"""The web world's leads, evidence items and triage runs: one of each for each agency.

Rows are written directly (building leads needs a P2P observation log, registering evidence a real source):
these tests are about who sees them, not how they are made. The other agency's records carry names that
must never reach a user of the first agency: the evidence label is the matrix's ``OTHER_TITLE``, and the
lead key and address below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from vigilant.evidence.models import EvidenceItemRow
from vigilant.leads.agencies import AgencyNames
from vigilant.leads.models import LeadIpRow, LeadRow
from vigilant.store import Database
from vigilant.triage.models import TriageRunRow

T = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
OTHER_LEAD_KEY = "L-HALIFAX-SECRET"
OTHER_LEAD_IP = "198.51.100.77"
OWN_LEAD_IP = "192.0.2.10"


def explanation(total: float) -> dict[str, Any]:
    """A score explanation as :mod:`vigilant.leads.score` stores it (two factors are enough here)."""
    return {
        "version": 1,
        "total": total,
        "actionable": True,
        "half_life_days": 45.0,
        "preservation_days": 90.0,
        "factors": [
            {
                "name": "evidence_tier",
                "value": 3,
                "weight": 10.0,
                "contribution": 20.0,
                "explanation": "highest tier reached: confirmed",
            },
            {
                "name": "known_files",
                "value": 3,
                "weight": 10.0,
                "contribution": total - 20.0,
                "explanation": "3 distinct known files, log2(1 + n)",
            },
        ],
    }


def lead(
    key: str, ip: str, *, score: float, agency: str | None, routed_to: str | None, names: AgencyNames
) -> LeadRow:
    """A lead with its agencies resolved as a build resolves them (by name or short name, to ids)."""
    row = LeadRow(
        key=key,
        status="assigned" if agency else "new",
        agency=agency,
        routed_to=routed_to,
        assigned_agency_id=names.id_of(agency),
        routed_agency_id=names.id_of(routed_to),
        routing={},
        window_days=30,
        as_of=T,
        first_seen=T - timedelta(days=3),
        last_seen=T - timedelta(days=1),
        observation_count=12,
        known_files=3,
        max_severity=4,
        max_category="A",
        seeding=True,
        days_seen=3,
        tier="confirmed",
        score=score,
        actionable=True,
        explanation=explanation(score),
        identities={"peer_ids": ["-qB4650-synthetic"], "clients": [], "guids": []},
        geo_databases=[],
        created_at=T,
        built_at=T,
        built_by="test",
    )
    row.ips.append(
        LeadIpRow(
            ip=ip,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            observation_count=12,
            days=[],
            geo={},
            agency=routed_to,
        )
    )
    return row


def evidence(label: str, case_number: str | None) -> EvidenceItemRow:
    return EvidenceItemRow(
        label=label,
        case_number=case_number,
        source_type="directory",
        path=f"/evidence/{label.replace(' ', '-')}",
        size=1024,
        hashes={"sha256": "ab" * 32},
        added_at=T,
        added_by="examiner",
    )


def run(evidence_id: int) -> TriageRunRow:
    return TriageRunRow(
        evidence_id=evidence_id,
        status="finished",
        settings={},
        settings_digest="0" * 64,
        tool="Vigilant test",
        library=[],
        results_dir="",
        actor="examiner",
        created_at=T,
        finished_at=T + timedelta(minutes=5),
        batches_done=1,
        summary={"files": 10, "known_bad": 2, "by_class": {"csam-a": 2}, "by_set": {"Test set 1": 2}},
        verification={"ok": True},
    )


def add_work(
    db: Database, *, own_case_number: str, other_case_number: str, other_label: str
) -> dict[str, int]:
    """Leads, evidence and runs for both agencies; returns their ids by World field name."""
    with db.session() as s:
        names = AgencyNames.load(s)
        # The own lead is routed by short name and assigned by full name: both resolve to the agency's id.
        own_lead = lead(
            "L-OWN-1", OWN_LEAD_IP, score=42.5, agency="Orillia Police", routed_to="OPS", names=names
        )
        other_lead = lead(
            OTHER_LEAD_KEY, OTHER_LEAD_IP, score=99.0, agency=None, routed_to="Halifax Police", names=names
        )
        own_item = evidence("Own laptop", own_case_number)
        other_item = evidence(other_label, other_case_number)
        s.add_all([own_lead, other_lead, own_item, other_item])
        s.flush()
        own_run, other_run = run(own_item.id), run(other_item.id)
        s.add_all([own_run, other_run])
        s.flush()
        return {
            "own_lead": own_lead.id,
            "other_lead": other_lead.id,
            "own_evidence": own_item.id,
            "other_evidence": other_item.id,
            "own_run": own_run.id,
            "other_run": other_run.id,
        }
