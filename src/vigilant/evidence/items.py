"""An evidence item and its chain of custody as the services hand them out: plain records, never the
database rows.

Reports carry it (:class:`vigilant.triage.runinfo.RunInfo`), so it holds nothing that changes between two
runs of the same item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigilant.evidence.models import CustodyEventRow, EvidenceItemRow


@dataclass(frozen=True)
class EvidenceInfo:
    id: int
    label: str
    case_number: str | None
    source_type: str  # directory | raw | e01
    path: str
    size: int
    hashes: dict[str, str]  # acquisition hashes recorded when the item was added
    description: str | None = None


def evidence_info(row: EvidenceItemRow) -> EvidenceInfo:
    return EvidenceInfo(
        id=row.id,
        label=row.label,
        case_number=row.case_number,
        source_type=row.source_type,
        path=row.path,
        size=row.size,
        hashes=dict(row.hashes),
        description=row.description,
    )


@dataclass(frozen=True)
class CustodyEvent:
    """One time Vigilant touched an evidence item: when, who, what (added, verified, triage-*, report, …)."""

    id: int
    evidence_id: int
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


def custody_event(row: CustodyEventRow) -> CustodyEvent:
    return CustodyEvent(
        id=row.id,
        evidence_id=row.evidence_id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        detail=dict(row.detail),
    )
