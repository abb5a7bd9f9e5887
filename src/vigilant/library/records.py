"""Small typed records passed between format readers, the importer, the store and the faces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from vigilant.library.categories import CategoryProfile, resolve_profile
from vigilant.perceptual.vpdq import FrameHash


class SetKind(StrEnum):
    """What a hit against the set means."""

    KNOWN_BAD = "known-bad"  # known abuse material: a hit is evidence
    KNOWN_GOOD = "known-good"  # e.g. NSRL: a hit sets the file aside
    ALERT = "alert"  # worth an examiner's look (hacking tools, comparison sets, …)


# Digest fields an entry may carry, in the order the store and exports use.
ENTRY_DIGEST_FIELDS: tuple[str, ...] = ("md5", "sha1", "sha256", "pdq", "btih_v1", "btih_v2", "bt_v2_root")


@dataclass(frozen=True)
class KnownEntry:
    """One entry of a hash set as a reader produced it (category still the raw code of the source)."""

    location: str  # where in the source it came from: "line 12", "value[3]", "FILE row 7"
    md5: bytes | None = None
    sha1: bytes | None = None
    sha256: bytes | None = None
    pdq: bytes | None = None
    pdq_quality: int | None = None
    btih_v1: bytes | None = None
    btih_v2: bytes | None = None
    bt_v2_root: bytes | None = None
    size: int | None = None
    category: str | None = None
    category_label: str | None = None  # the publisher's own label for the category, when the source has one
    series: str | None = None
    victim_identified: bool | None = None
    offender_identified: bool | None = None
    distributed: bool | None = None
    tags: tuple[str, ...] = ()
    comments: str | None = None
    file_name: str | None = None
    # Anything else worth keeping, kept opaque: PhotoDNA, MediaID, NSRL product codes, file paths, …
    extra: Mapping[str, Any] = field(default_factory=dict)
    # A known video's vPDQ hash: the PDQ hash of one frame per second, in frame order (empty: not a video).
    video_frames: tuple[FrameHash, ...] = ()

    def digests(self) -> dict[str, bytes]:
        return {name: value for name in ENTRY_DIGEST_FIELDS if (value := getattr(self, name)) is not None}

    @property
    def matchable(self) -> bool:
        """Whether the entry carries anything to match on: a digest or a vPDQ hash."""
        return bool(self.video_frames) or bool(self.digests())


@dataclass(frozen=True)
class RowProblem:
    """A row the reader or the importer refused: where, a short reason code, and the detail."""

    location: str
    reason: str  # short, countable: "bad-md5", "bad-category", "bad-element", "no-digest", …
    detail: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}: {self.detail}"


@dataclass(frozen=True)
class ImportAttempt:
    """One attempt to import a hash-set file, as the import log keeps it: failed and repeated ones too."""

    id: int
    started_at: datetime
    finished_at: datetime
    actor: str
    source_file: str
    source_sha256: str
    format: str | None
    status: str  # imported | already-imported | failed
    hash_set_id: int | None  # None: no set came of it, or the set was removed since
    rows_read: int
    rows_taken: int
    rows_refused: int
    refused_by_reason: Mapping[str, int]
    error: str | None

    def to_json(self) -> dict[str, Any]:
        """As ``vigilant library imports --json`` prints it: every field, times in ISO 8601."""
        return {
            **{f.name: getattr(self, f.name) for f in fields(self)},
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "refused_by_reason": dict(self.refused_by_reason),
        }


@dataclass(frozen=True)
class SetHints:
    """What the source itself says about the set; the user's options take precedence."""

    name: str | None = None
    version: str | None = None
    profile: str | None = None
    kind: SetKind | None = None
    source: str | None = None
    description: str | None = None
    pdq_method: str | None = None  # how its PDQ hashes were made, where it says (a Vigilant export does)


@dataclass(frozen=True)
class HashSetInfo:
    """A hash set as the store holds it: provenance, profile, counts."""

    id: int
    name: str
    version: str
    kind: SetKind
    profile: str
    source: str | None
    format: str
    source_file: str
    source_sha256: str
    source_size: int
    imported_at: datetime
    imported_by: str
    entry_count: int
    refused_count: int
    pdq_threshold: int
    # A custom profile's definition, stored with the set; None: ``profile`` names a built-in profile.
    profile_definition: Mapping[str, Any] | None = None
    description: str | None = None
    pdq_method: str = "full"  # how the set's PDQ hashes were made: full (picture) | 512 (px), a PdqMethod

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def category_profile(self) -> CategoryProfile:
        """The profile the set's codes are read through: its stored custom profile, else a built-in one."""
        return resolve_profile(self.profile, self.profile_definition)


@dataclass(frozen=True)
class StoredEntry:
    """An entry read back from the store, with the set that holds it."""

    id: int
    hash_set: HashSetInfo
    md5: bytes | None
    sha1: bytes | None
    sha256: bytes | None
    pdq: bytes | None
    pdq_quality: int | None
    btih_v1: bytes | None
    btih_v2: bytes | None
    bt_v2_root: bytes | None
    size: int | None
    category: str | None
    series: str | None
    victim_identified: bool | None
    offender_identified: bool | None
    distributed: bool | None
    tags: tuple[str, ...]
    comments: str | None
    file_name: str | None
    location: str
    extra: Mapping[str, Any]
    # The publisher's label for the category (a label column of the source, or the source's own code where
    # the import mapped it onto the profile's); None when the profile's code is all the source said.
    category_label: str | None = None


@dataclass
class ImportReport:
    """What an import did; the CLI prints it, the store keeps it."""

    source_file: str
    source_sha256: str
    format: str
    hash_set: HashSetInfo | None = None
    already_imported: bool = False
    rows_read: int = 0
    rows_taken: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # reason -> count
    problems: list[RowProblem] = field(default_factory=list)  # the first few, with locations

    @property
    def rows_refused(self) -> int:
        return sum(self.refused.values())
