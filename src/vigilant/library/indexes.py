"""Per-set indexes kept in the data dir: exact (MD5, SHA-1, SHA-256), PDQ, and the frames of known videos.

A set's entries never change after its import, so each set's indexes are built once, on first use, from
the store, into a folder named by the set's id, source SHA-256 and import time: a removed and re-imported
set gets new folders, and nothing ever has to be invalidated. With a shared PostgreSQL store every
workstation builds its own copies from the same rows.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vigilant.errors import NotFoundError
from vigilant.hashing.digests import FILE_DIGESTS, DigestKind
from vigilant.library.exact_index import ExactIndex
from vigilant.library.pdq_index import PdqIndex
from vigilant.library.records import HashSetInfo
from vigilant.library.store import LibraryStore
from vigilant.perceptual.pdq import PDQ_MIN_QUALITY
from vigilant.perceptual.vpdq import VPDQ_QUALITY


def set_folder_name(info: HashSetInfo) -> str:
    stamp = int(info.imported_at.timestamp() * 1_000_000)
    return f"set-{info.id}-{info.source_sha256[:16]}-{stamp}"


class LibraryIndexes:
    def __init__(self, store: LibraryStore, root: Path) -> None:
        self.store = store
        self.root = root
        # Keyed by the set's folder name (its id, source digest and import time), never by its id alone: a
        # server keeps one manager for its life, and SQLite gives a set imported after a removal the freed id.
        self._exact: dict[tuple[str, str], ExactIndex] = {}
        self._pdq: dict[str, PdqIndex] = {}
        self._video: dict[str, PdqIndex] = {}

    def folder(self, info: HashSetInfo) -> Path:
        return self.root / set_folder_name(info)

    def exact(self, info: HashSetInfo, kind: DigestKind) -> ExactIndex:
        """The set's index of ``kind`` digests, built from the store the first time it is asked for."""
        key = (set_folder_name(info), kind.name)
        if key not in self._exact:
            path = self.folder(info) / kind.name
            try:
                index = ExactIndex.open(path)
            except NotFoundError:
                chunks = (b"".join(batch) for batch in self.store.iter_digest_column(info.id, kind.name))
                index = ExactIndex.build(kind, chunks, path)
            self._exact[key] = index
        return self._exact[key]

    def pdq(self, info: HashSetInfo) -> PdqIndex:
        """The set's PDQ index over entries of usable quality; searches return entry ids."""
        return self._pdq_index(self._pdq, info, "pdq", lambda: self.store.pdq_codes(info.id, PDQ_MIN_QUALITY))

    def video(self, info: HashSetInfo) -> PdqIndex:
        """The set's index of every usable frame of its known videos (vPDQ); searches return entry ids.

        It is how triage finds the few known videos worth comparing with a seized one: those with a frame
        within vPDQ's distance of one of its frames. A PDQ index like the pictures' one, on disk and
        memory-mapped, so a set of many known videos costs no memory until searched: 40 bytes a frame
        (code and entry id), plus 64 bytes a frame and 8 MB of bucket tables from 65,536 frames on.
        """
        return self._pdq_index(
            self._video, info, "vpdq", lambda: self.store.video_frame_codes(info.id, VPDQ_QUALITY)
        )

    def _pdq_index(
        self,
        cache: dict[str, PdqIndex],
        info: HashSetInfo,
        name: str,
        codes: Callable[[], tuple[list[int], list[bytes]]],
    ) -> PdqIndex:
        """A set's PDQ-style index ``name``: loaded from its folder, or built from ``codes`` (entry ids and
        32-byte hashes) and saved there first."""
        key = set_folder_name(info)
        if key not in cache:
            path = self.folder(info) / name
            if (path / "manifest.json").is_file():
                index = PdqIndex.load(path)
            else:
                ids, hashes = codes()
                array = np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, 32)
                index = PdqIndex.build(array, np.asarray(ids, dtype=np.int64))
                index.save(path, overwrite=True)
            cache[key] = index
        return cache[key]

    def build_all(self, sets: list[HashSetInfo] | None = None) -> list[tuple[HashSetInfo, str, int, int]]:
        """Build every index of every set; return (set, index, entries, bytes) rows."""
        rows: list[tuple[HashSetInfo, str, int, int]] = []
        for info in sets if sets is not None else self.store.list_sets():
            for kind in FILE_DIGESTS:
                exact = self.exact(info, kind)
                rows.append((info, kind.name, len(exact), exact.nbytes))
            pdq = self.pdq(info)
            rows.append((info, "pdq", len(pdq), pdq.nbytes))
            video = self.video(info)
            rows.append((info, "vpdq", len(video), video.nbytes))
        return rows

    def prune(self) -> list[Path]:
        """Remove index folders of sets no longer in the library; return what was removed."""
        wanted = {set_folder_name(info) for info in self.store.list_sets()}
        removed = []
        if self.root.is_dir():
            for path in sorted(self.root.iterdir()):
                if path.is_dir() and path.name.startswith("set-") and path.name not in wanted:
                    shutil.rmtree(path)
                    removed.append(path)
        return removed
