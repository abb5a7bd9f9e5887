"""What a report says about the run besides its records: the evidence item, the settings, the library.

Nothing here holds wall-clock times of the run itself, so two runs over the same evidence with the same
settings and library give byte-identical reports. (When the run happened is in the run log and database.)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class LibrarySetInfo:
    id: int
    name: str
    version: str
    kind: str
    profile: str
    source_sha256: str
    entries: int


@dataclass(frozen=True)
class RunInfo:
    id: int
    evidence: EvidenceInfo
    tool: str  # "Vigilant 0.1.0"
    settings: dict[str, Any]  # what the run was asked to do (pdq on/off, archive depth, …)
    library: list[LibrarySetInfo] = field(default_factory=list)
    verification: dict[str, Any] | None = None  # evidence re-verified after the run: {"ok": bool, …}

    @property
    def key(self) -> str:
        """What the results depend on (evidence, tool, settings, library), as 16 hex digits.

        Reports name the triage by this key, not by the run's number, so two runs over the same evidence
        with the same settings and library give byte-identical reports.
        """
        basis = {
            "evidence": [self.evidence.id, self.evidence.hashes],
            "tool": self.tool,
            "settings": self.settings,
            "library": [asdict(s) for s in self.library],
        }
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class RunSummary:
    """Figures of a run, computed from its records."""

    files: int = 0
    bytes: int = 0
    allocated: int = 0
    deleted: int = 0
    archive_members: int = 0
    images: int = 0
    errors: int = 0
    encrypted: int = 0
    extension_mismatches: int = 0
    known_bad: int = 0
    known_good: int = 0
    alert: int = 0
    pdq_only: int = 0  # hits found only perceptually
    by_class: dict[str, int] = field(default_factory=dict)  # top category class of known-bad files
    by_set: dict[str, int] = field(default_factory=dict)  # "name version" -> files hit
