"""Which files of a run go to review, and the factors of their priority.

A file is reviewed when it is a picture or a video that no exact match settled: a digest (MD5, SHA-1,
SHA-256) hit on a known-bad or known-good set means a person already categorised those very bytes. Near
matches (PDQ, vPDQ) and alert hits stay in the queue: they are where new victims and new series are found.

The priority is a sum of points, each with the factor that earned it, so the queue can say why an item is
where it is (design: explainable scores everywhere). The folder's hit density is added later, once the
whole run's counts are known (:func:`folder_points`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from vigilant.triage.records import FileRecord

EXACT = frozenset({"md5", "sha1", "sha256"})
SETTLING_KINDS = frozenset({"known-bad", "known-good"})
PDQ_MATCH = 31  # the PDQ distance that counts as a match

NEAR_BASE = 40  # near known material: 40 points, plus one for each bit closer than the match distance
ALERT_POINTS = 20
SEIZED_DEVICE_POINTS = 50  # taken by a camera seized in a case: possible production by the accused
UNKNOWN_POINTS = 5  # nothing in the library resembles it: a possible new series
FOLDER_POINTS_EACH, FOLDER_POINTS_MAX = 5, 30


@dataclass(frozen=True)
class Candidate:
    """A file of the run as the queue keeps it."""

    record: FileRecord
    kind: str  # picture | video
    folder: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    near_distance: int | None = None
    near_series: str | None = None
    near_set: str | None = None
    seized_device: bool = False

    @property
    def base_priority(self) -> int:
        return sum(int(r["points"]) for r in self.reasons)


def kind_of(record: FileRecord) -> str | None:
    if record.status != "ok":
        return None
    if record.is_image or (record.mime or "").startswith("image/"):
        return "picture"
    if (record.mime or "").startswith("video/") or record.video_frames:
        return "video"
    return None


def settled(record: FileRecord) -> bool:
    """True when an exact digest match on a known-bad or known-good set already decided the file."""
    return any(h.matched_on in EXACT and h.set_kind in SETTLING_KINDS for h in record.hits)


def folder_of(record: FileRecord) -> str:
    """The folder a file sits in, archive members under their archive: the unit of "hit density"."""
    where = record.path if not record.members else f"{record.path}/{'/'.join(record.members)}"
    return posixpath.dirname(where) or "/"


def normalise_serial(value: str | None) -> str | None:
    """A device serial compared loosely: case, spaces and dashes do not count."""
    if not value:
        return None
    cleaned = "".join(ch for ch in value.upper() if ch.isalnum())
    return cleaned or None


def candidate(record: FileRecord, seized_serials: frozenset[str]) -> Candidate | None:
    """The record as a review item with its base factors, or None when it needs no review."""
    kind = kind_of(record)
    if kind is None or settled(record):
        return None
    reasons: list[dict[str, Any]] = []
    near = [h for h in record.hits if h.set_kind == "known-bad" and h.distance is not None]
    nearest = min(near, key=lambda h: h.distance or 0) if near else None
    if nearest is not None and nearest.distance is not None:
        points = NEAR_BASE + max(0, PDQ_MATCH - nearest.distance)
        series = f", series {nearest.series}" if nearest.series else ""
        reasons.append(
            {
                "factor": "near-known",
                "points": points,
                "detail": f"{nearest.matched_on} distance {nearest.distance} to {nearest.set_name}"
                f" {nearest.set_version}{series}",
            }
        )
    elif any(h.set_kind == "known-bad" for h in record.hits):  # a vPDQ video match without a distance
        hit = next(h for h in record.hits if h.set_kind == "known-bad")
        reasons.append(
            {
                "factor": "near-known",
                "points": NEAR_BASE,
                "detail": f"{hit.matched_on} match to {hit.set_name}",
            }
        )
    alerts = sorted({f"{h.set_name} {h.set_version}" for h in record.hits if h.set_kind == "alert"})
    if alerts:
        reasons.append(
            {"factor": "alert", "points": ALERT_POINTS, "detail": "alert set " + ", ".join(alerts)}
        )
    serial = normalise_serial(record.exif_serial)
    seized = serial is not None and serial in seized_serials
    if seized:
        reasons.append(
            {
                "factor": "seized-camera",
                "points": SEIZED_DEVICE_POINTS,
                "detail": f"camera serial {record.exif_serial} is a seized device's: possible production",
            }
        )
    if not record.hits:
        reasons.append(
            {"factor": "unknown", "points": UNKNOWN_POINTS, "detail": "no library match: unknown series"}
        )
    return Candidate(
        record=record,
        kind=kind,
        folder=folder_of(record),
        reasons=reasons,
        near_distance=nearest.distance if nearest is not None else None,
        near_series=nearest.series if nearest is not None else None,
        near_set=f"{nearest.set_name} {nearest.set_version}" if nearest is not None else None,
        seized_device=seized,
    )


def exact_bad(record: FileRecord) -> bool:
    """A file settled as known-bad by an exact match: it counts toward its folder's hit density."""
    return any(h.matched_on in EXACT and h.set_kind == "known-bad" for h in record.hits)


def folder_points(hits: int) -> int:
    return min(FOLDER_POINTS_MAX, FOLDER_POINTS_EACH * hits)


def folder_reason(hits: int) -> dict[str, Any] | None:
    if hits <= 0:
        return None
    return {
        "factor": "folder-density",
        "points": folder_points(hits),
        "detail": f"{hits} known-bad file{'s' if hits != 1 else ''} in the same folder",
    }
