"""Trying an examiner's keys on an evidence item's encrypted volumes without reading its files.

Used when the keys are given at ``evidence add``: the volumes are found and unlocked (LUKS, BitLocker) and
each APFS container's volumes opened (encrypted APFS), which is all it takes to know whether each key fits;
no file is listed or read. The outcomes go to the ring (and from there to the chain of custody).
"""

from __future__ import annotations

import threading
from pathlib import Path

from vigilant.evidence.base import Problem
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.keys import KeyRing, UnlockEvent, holding
from vigilant.evidence.libyal_filesystems import libyal_kind, open_libyal
from vigilant.evidence.sources import SourceType


def try_keys(source: SourceType, path: Path, ring: KeyRing) -> list[UnlockEvent]:
    """Unlock what the keys of ``ring`` unlock in the evidence at ``path``; the outcomes, one per volume."""
    with holding(ring), source.walk(path) as walk:
        if not isinstance(walk, FileSystemWalker):
            return []  # a folder or an archive has no volumes to unlock
        lock = threading.RLock()
        problems: list[Problem] = []
        for volume in walk.volumes():
            reader, offset = volume.source(walk.reader)
            if volume.not_read is None and libyal_kind(reader.read(offset, 4096)) == "apfs":
                open_libyal(walk.reader, lock, volume, problems)
    return list(ring.events)
