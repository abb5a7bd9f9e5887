"""The library's use cases, shared by the CLI and (later) the web API: look up, describe, export.

Callers pass digests as text; every answer names the set and its version that flagged it, and for
perceptual matches the distance.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from vigilant.errors import BadInputError, NotFoundError
from vigilant.hashing.digests import DIGEST_KINDS, PDQ, DigestKind, InvalidDigestError
from vigilant.library.categories import Category
from vigilant.library.exporters import exporters
from vigilant.library.indexes import LibraryIndexes
from vigilant.library.records import HashSetInfo, ImportAttempt, SetKind, StoredEntry
from vigilant.library.store import LibraryStore
from vigilant.perceptual.pdq import PDQ_IMPORT_METHOD, PDQ_MIN_QUALITY, PdqMethod, pdq_dihedral, pdq_of_image
from vigilant.security.rights import Actor, Permission, require


@dataclass(frozen=True)
class Match:
    entry: StoredEntry
    kind: str  # the digest kind that matched: md5, sha1, sha256, pdq, btih_v1, …
    distance: int | None = None  # Hamming distance for perceptual matches

    @property
    def category(self) -> Category | None:
        return self.entry.hash_set.category_profile.get(self.entry.category)


@dataclass
class LookupResult:
    query: str
    kinds: list[str] = field(default_factory=list)  # how the query was read
    matches: list[Match] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class SetFigures:
    info: HashSetInfo
    digests: dict[str, int]  # digest kind -> entries carrying it
    categories: dict[str | None, int]  # profile code (None: uncategorised) -> entries
    videos: int = 0  # known videos: entries carrying a vPDQ hash
    video_frames: int = 0  # the frames of their vPDQ hashes


@dataclass(frozen=True)
class LibraryFigures:
    sets: list[SetFigures]

    @property
    def entries(self) -> int:
        return sum(s.info.entry_count for s in self.sets)

    def entries_of_kind(self, kind: SetKind) -> int:
        return sum(s.info.entry_count for s in self.sets if s.info.kind is kind)

    @property
    def videos(self) -> int:
        return sum(s.videos for s in self.sets)

    @property
    def video_frames(self) -> int:
        return sum(s.video_frames for s in self.sets)


@dataclass(frozen=True)
class SetDetail:
    """One set as its page shows it: provenance and counts, and every attempt to import its file."""

    figures: SetFigures
    imports: list[ImportAttempt]  # newest first


@dataclass(frozen=True)
class ExportResult:
    written: int
    skipped: int  # entries carrying nothing the format can hold (e.g. known videos in an md5sum list)


class LibraryService:
    def __init__(self, store: LibraryStore, index_dir: Path) -> None:
        self.store = store
        self.indexes = LibraryIndexes(store, index_dir)

    # --- for callers who log in (the web API): the same calls, checked against the caller's rights ----------
    def sets_for(self, actor: Actor) -> list[HashSetInfo]:
        """The hash sets, for a caller allowed to read the library."""
        require(actor, Permission.LIBRARY_READ)
        return self.store.list_sets()

    def set_for(self, actor: Actor, set_id: int, *, imports: int = 50) -> SetDetail:
        """One set (by id) with its figures and its file's import attempts, for a caller allowed to read the
        library; NotFoundError when there is no such set."""
        require(actor, Permission.LIBRARY_READ)
        info = self.store.get_set(str(set_id))
        if info.id != set_id:  # a set *named* like the id asked for is not that set
            raise NotFoundError(f"no hash set {set_id}", hint="see the library's list of sets")
        found = next(f for f in self.figures().sets if f.info.id == info.id)
        return SetDetail(found, self.store.imports(imports, set_id=info.id))

    def lookup_for(self, actor: Actor, values: Sequence[str], kind: str | None = None) -> list[LookupResult]:
        """:meth:`lookup`, for a caller allowed to read the library."""
        require(actor, Permission.LIBRARY_READ)
        return self.lookup(values, kind)

    def lookup(
        self, values: Sequence[str], kind: str | None = None, *, near: bool = True
    ) -> list[LookupResult]:
        """Look each value up: as ``kind`` when given, else as every kind its text form could be."""
        results: list[LookupResult] = []
        for value in values:
            result = LookupResult(query=value.strip())
            try:
                kinds = [DIGEST_KINDS[kind]] if kind else DIGEST_KINDS.candidates(value)
                if not kinds:
                    raise InvalidDigestError(
                        f"{value.strip()!r} is not a hash Vigilant knows (MD5, SHA-1, …)"
                    )
                for k in kinds:
                    raw = k.parse(value)
                    result.kinds.append(k.name)
                    result.matches.extend(self._lookup_one(k, raw, near=near))
            except BadInputError as exc:
                result.error = str(exc)
            results.append(result)
        return results

    def _lookup_one(self, kind: DigestKind, raw: bytes, *, near: bool) -> list[Match]:
        if kind is PDQ and near:
            return self.lookup_pdq([raw])[0]
        return [
            Match(e, kind.name, 0 if kind is PDQ else None)
            for e in self.store.entries_by_digest(kind.name, [raw])
        ]

    def lookup_image(self, path: Path, *, dihedral: bool = False) -> LookupResult:
        """Near-duplicates of a picture; with ``dihedral`` also of its rotations and mirror images.

        Each match keeps the smallest distance over the transforms tried, so a rotated copy of a known
        picture is found at the distance of its best orientation. The picture is hashed by each PDQ method
        the sets use, and each set searched with the hashes of its own method.
        """
        sets = self.store.list_sets()
        methods = [m for m in PdqMethod if any(s.pdq_method == m.value for s in sets)] or [PDQ_IMPORT_METHOD]
        result = LookupResult(query=str(path), kinds=["pdq-dihedral" if dihedral else "pdq"])
        found: list[list[Match]] = []
        for method in methods:
            if dihedral:
                hashes = pdq_dihedral(path, method)
            else:
                single = pdq_of_image(path, method)
                hashes = [(single.hash, single.quality)]
            if hashes[0][1] < PDQ_MIN_QUALITY:
                result.error = (
                    f"PDQ quality {hashes[0][1]} is below {PDQ_MIN_QUALITY}: too unstable to match on"
                )
                return result
            chosen = [s for s in sets if s.pdq_method == method.value]
            found.extend(self.lookup_pdq([h for h, _ in hashes], sets=chosen))
        best: dict[int, Match] = {}
        for matches in found:
            for match in matches:
                kept = best.get(match.entry.id)
                if kept is None or (match.distance or 0) < (kept.distance or 0):
                    best[match.entry.id] = match
        result.matches = sorted(best.values(), key=lambda m: (m.distance or 0, m.entry.id))
        return result

    def lookup_pdq(
        self,
        queries: Sequence[bytes],
        threshold: int | None = None,
        *,
        sets: Sequence[HashSetInfo] | None = None,
    ) -> list[list[Match]]:
        """Near-duplicates of each PDQ hash, within each set's threshold (or ``threshold`` for all), in
        ``sets`` (default: all)."""
        found: list[list[tuple[int, int]]] = [[] for _ in queries]
        for info in self.store.list_sets() if sets is None else sets:
            limit = info.pdq_threshold if threshold is None else threshold
            for query, entry_id, distance in self.indexes.pdq(info).search(queries, limit):
                found[query].append((entry_id, distance))
        entries = {e.id: e for e in self.store.entries_by_id(i for hits in found for i, _ in hits)}
        return [
            sorted((Match(entries[i], PDQ.name, d) for i, d in hits), key=lambda m: (m.distance, m.entry.id))
            for hits in found
        ]

    def figures(self) -> LibraryFigures:
        digests = self.store.digest_counts()
        categories: dict[int, dict[str | None, int]] = {}
        for set_id, code, count in self.store.category_counts():
            categories.setdefault(set_id, {})[code] = count
        videos = self.store.video_counts()
        return LibraryFigures(
            [
                SetFigures(
                    info,
                    digests.get(info.id, {}),
                    categories.get(info.id, {}),
                    *videos.get(info.id, (0, 0)),
                )
                for info in self.store.list_sets()
            ]
        )

    def export(self, set_refs: Sequence[str], fmt: str, out: BinaryIO) -> ExportResult:
        """Write the sets (default: all) to ``out``; entries the format cannot hold are skipped, counted."""
        writer = exporters()[fmt]
        sets = [self.store.get_set(ref) for ref in set_refs] if set_refs else self.store.list_sets()
        if not sets:
            raise BadInputError("the library is empty: nothing to export", hint="import a hash set first")
        read = 0

        def entries() -> Iterator[StoredEntry]:
            nonlocal read
            for entry in self.store.iter_entries([s.id for s in sets]):
                read += 1
                yield entry

        written = writer.write(sets, entries(), out, self.store.video_frames)
        return ExportResult(written, read - written)
