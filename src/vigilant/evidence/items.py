"""An evidence item as the services hand it out: a plain record, never the database row.

Reports carry it (:class:`vigilant.triage.runinfo.RunInfo`), so it holds nothing that changes between two
runs of the same item.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigilant.evidence.models import EvidenceItemRow


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
