"""What a report says about the run besides its records: the evidence item, the settings, the library.

Nothing here holds wall-clock times of the run itself, so two runs over the same evidence with the same
settings and library give byte-identical reports. (When the run happened is in the run log and database.)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from vigilant.evidence.items import EvidenceInfo


@dataclass(frozen=True)
class LibrarySetInfo:
    id: int
    name: str
    version: str
    kind: str
    profile: str
    source_sha256: str
    entries: int
    pdq_method: str | None = None  # how the set's PDQ hashes were made (full | 512); None: a run before it


@dataclass(frozen=True)
class UnreadPart:
    """A part of the evidence the run's walk could not read, and why (a partition, a folder, …)."""

    where: str
    reason: str
    volume: bool = False  # a whole volume (a partition, or the image) with no file system TSK can read


@dataclass(frozen=True)
class Coverage:
    """How much of the evidence the run could read: the volumes looked at, and what could not be read.

    An image has one volume per allocated partition (the whole image when it has no partition table); a
    folder or an archive has none. A volume with no file system The Sleuth Kit can read yields no file at
    all, so a run must say so wherever it shows its figures: :attr:`headline`.
    """

    volumes: int = 0
    parts: tuple[UnreadPart, ...] = ()

    @property
    def unreadable_volumes(self) -> int:
        return sum(p.volume for p in self.parts)

    @property
    def headline(self) -> str | None:
        """``"1 of 2 volumes unreadable"`` (and how many other parts were not read), or None: all read."""
        said = []
        if self.unreadable_volumes:
            said.append(f"{self.unreadable_volumes} of {self.volumes} volumes unreadable")
        others = len(self.parts) - self.unreadable_volumes
        if others:
            said.append(f"{others} other part{'s' if others != 1 else ''} of the evidence not read")
        return "; ".join(said) or None

    def lines(self) -> list[str]:
        """The headline, then each part not read, ``where: reason``; empty when everything was read."""
        if self.headline is None:
            return []
        return [self.headline, *(f"{p.where}: {p.reason}" for p in self.parts)]

    def to_json(self) -> dict[str, Any]:
        return {"volumes": self.volumes, "parts": [asdict(p) for p in self.parts]}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Coverage | None:
        """None for a run that kept no coverage (one made before it was recorded)."""
        if data is None:
            return None
        return cls(int(data.get("volumes", 0)), tuple(UnreadPart(**p) for p in data.get("parts", [])))


@dataclass(frozen=True)
class RunInfo:
    id: int
    evidence: EvidenceInfo
    tool: str  # "Vigilant 0.1.0"
    settings: dict[str, Any]  # what the run was asked to do (pdq on/off, archive depth, …)
    library: list[LibrarySetInfo] = field(default_factory=list)
    verification: dict[str, Any] | None = None  # evidence re-verified after the run: {"ok": bool, …}
    coverage: Coverage | None = None  # what of the evidence could not be read (None: not recorded)

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
