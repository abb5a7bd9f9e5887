"""What a triage run is asked to do; recorded with the run and in every report."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from vigilant.evidence.vss import walk_snapshots

MiB = 1 << 20
# Settings that change how a run works, never what it finds: left out of reports and of the digest.
NOT_IN_RESULTS = ("threads", "processes", "batch_files", "batch_bytes", "priority")
PRIORITY_LIMIT = 100  # a run's priority on a Dask cluster is from -PRIORITY_LIMIT to PRIORITY_LIMIT


@dataclass(frozen=True)
class TriageSettings:
    identify: bool = True  # true type by content (libmagic), extension check, archives opened
    pdq: bool = True  # perceptual hash of pictures (decode + PDQ)
    exif: bool = True
    archive_depth: int = 3  # archives inside archives, this deep
    max_image_bytes: int = 64 * MiB  # larger pictures are hashed but not decoded
    # Videos (vPDQ, with the optional 'video' extra): one is copied to a temporary file while it is hashed
    # and decoded from there by a worker process; larger ones are hashed but not decoded.
    max_video_bytes: int = 1024 * MiB
    max_video_seconds: int = 3600  # frames after this time are not hashed (the record says so)
    max_video_frames: int = 250_000  # frames decoded per video, at most
    batch_files: int = 512  # a batch ends at this many files …
    # … or this many bytes, whichever comes first: large enough that large files (videos) are read several
    # at a time per thread (MD5 in lanes, see runner._GROUP_LARGE); a run killed redoes at most two batches.
    batch_bytes: int = 4096 * MiB
    threads: int = 2  # reading and hashing (hashlib releases the GIL)
    processes: int = 2  # picture decoding (holds the GIL)
    set_ids: tuple[int, ...] | None = None  # library sets to match against (None: all)
    # On a Dask cluster, a run's batches go before those of runs of lower priority queued earlier; a run on
    # this machine ignores it. Stored with the run (resumed on a cluster, it keeps its place).
    priority: int = 0
    # Volume Shadow Copies walked as volumes of their own: a new run takes the installation's setting
    # (VIGILANT_SHADOW_COPIES); kept with the run, so a resumed run reads what it started reading.
    shadow_copies: bool = field(default_factory=walk_snapshots)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["set_ids"] = None if self.set_ids is None else list(self.set_ids)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TriageSettings:
        values = dict(data)
        values.setdefault("shadow_copies", False)  # a run started before snapshots were read never reads them
        if values.get("set_ids") is not None:
            values["set_ids"] = tuple(values["set_ids"])
        return cls(**values)

    def digest(self) -> str:
        """What results depend on: a resumed run must be asked the same."""
        data = self.to_json()
        for key in NOT_IN_RESULTS:
            data.pop(key)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
