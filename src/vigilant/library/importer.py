"""Import a hash-set file into the library: streamed, idempotent, all-or-nothing.

- Streamed: entries go to the database in batches; memory does not grow with the file.
- Idempotent: a file is known by its SHA-256; importing it again changes nothing and says so.
- All-or-nothing: the whole import is one transaction. A bad row is refused with its location and the
  import carries on; a source that cannot be read to its end, or of which no row could be taken (every row
  refused, an empty file, junk), rolls everything back: no set is created, the failed attempt is written to
  the import log with the rows it refused, and the same file may be imported again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from vigilant.errors import BadInputError, ConflictError
from vigilant.library.categories import PROFILES, CategoryProfile, InvalidCategoryError
from vigilant.library.formats import HashSetReader, ReaderOptions, SourceError, formats
from vigilant.library.models import HashSetRow
from vigilant.library.records import ImportReport, KnownEntry, RowProblem, SetHints, SetKind
from vigilant.library.store import PROBLEMS_KEPT, LibraryStore, entry_row, set_info
from vigilant.perceptual.pdq import PDQ_IMPORT_METHOD, PdqMethod
from vigilant.perceptual.vpdq import FrameHash
from vigilant.security.rights import Actor, Permission, require
from vigilant.store.models import utcnow

BATCH_ROWS = 5000
BATCH_FRAMES = 100_000  # known videos' vPDQ frames held before a batch is written (an hour of video: 3,600)
PDQ_DEFAULT_THRESHOLD = 31


@dataclass(frozen=True)
class ImportRequest:
    path: Path
    actor: Actor  # the caller: needs library.import; its name is recorded as the set's importer
    name: str | None = None
    version: str | None = None
    kind: SetKind | None = None
    profile: str | None = None
    format: str | None = None
    source: str | None = None
    description: str | None = None
    pdq_threshold: int | None = None
    # How the list's producer made its PDQ hashes (full picture or 512 px); None: PDQ_IMPORT_METHOD.
    pdq_method: PdqMethod | None = None
    # Source code -> profile code, for sets whose numbering differs from their profile's (e.g. CAID 1..3).
    category_map: Mapping[str, str] = field(default_factory=dict)
    # A profile of the list's own (categories.load_profile_file); stored with the set. Excludes ``profile``.
    custom_profile: CategoryProfile | None = None
    options: ReaderOptions = field(default_factory=ReaderOptions)


class NothingImportedError(BadInputError):
    """An import that took no row: nothing was created; ``report`` says what was refused and why."""

    def __init__(self, message: str, report: ImportReport, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.report = report


Progress = Callable[[int], None]  # called with the number of rows read so far


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest(), size


def import_hash_set(
    store: LibraryStore, request: ImportRequest, progress: Progress | None = None
) -> ImportReport:
    """Import one file. Raises :class:`NothingImportedError` when no row could be taken (nothing is then
    created), :class:`SourceError` when the file is not a source Vigilant can read; both are logged.
    A caller without ``library.import`` is refused before the file is read, and nothing is logged."""
    require(request.actor, Permission.LIBRARY_IMPORT)
    path = request.path
    if not path.is_file():
        raise BadInputError(f"{path} is not a file")
    started = utcnow()
    sha256, size = file_sha256(path)
    report = ImportReport(source_file=str(path), source_sha256=sha256, format=request.format or "")
    try:
        if size == 0:
            raise SourceError(f"{path.name} is empty (0 bytes): there is nothing to import")
        reader = formats()[request.format] if request.format else formats().detect(path)
        report.format = reader.name
        with store.db.session() as s:
            existing = store.find_by_source(s, sha256)
            if existing is not None:
                report.hash_set = set_info(existing)
                report.already_imported = True
                store.record_import(
                    s,
                    report,
                    actor=request.actor.username,
                    status="already-imported",
                    started_at=started,
                    error=None,
                )
                return report
        _import(store, request, reader, report, started=started, size=size, progress=progress)
    except (SourceError, ConflictError, NothingImportedError) as caught:
        exc = caught
        # Nothing of the attempt is in the library (its transaction was rolled back); the attempt itself is
        # logged, with the rows it refused when it got as far as reading them.
        if isinstance(exc, SourceError) and path.name not in exc.message:
            exc = SourceError(f"{path.name}: {exc.message}", hint=exc.hint)
        failed = report if isinstance(exc, NothingImportedError) else _failed(report)
        with store.db.session() as s:
            attempt = store.record_import(
                s, failed, actor=request.actor.username, status="failed", started_at=started, error=str(exc)
            )
        if isinstance(exc, NothingImportedError) and report.rows_refused:
            exc.hint = (
                f"`vigilant library imports --problems {attempt}` lists the refused rows;"
                " fix them (or the options) and import the file again"
            )
        if exc is caught:
            raise
        raise exc from caught
    if progress is not None:
        progress(report.rows_read)
    return report


def _failed(report: ImportReport) -> ImportReport:
    return ImportReport(
        source_file=report.source_file,
        source_sha256=report.source_sha256,
        format=report.format,
        rows_read=report.rows_read,
    )


def _import(
    store: LibraryStore,
    request: ImportRequest,
    reader: HashSetReader,
    report: ImportReport,
    *,
    started: datetime,
    size: int,
    progress: Progress | None,
) -> None:
    path = request.path
    hints = reader.hints(path, request.options)
    kind = request.kind or hints.kind
    if kind is None:
        raise BadInputError(
            f"{path.name}: the {reader.title} format does not say what kind of set this is",
            hint="give --kind known-bad, known-good or alert",
        )
    profile = _profile(request, hints)
    name = request.name or hints.name or path.stem
    version = request.version or hints.version or f"sha256:{report.source_sha256[:12]}"
    threshold = PDQ_DEFAULT_THRESHOLD if request.pdq_threshold is None else request.pdq_threshold
    if not 0 <= threshold <= 128:
        raise BadInputError(f"PDQ threshold {threshold} is outside 0..128")

    with store.db.session() as s:
        if store.find_by_name_version(s, name, version) is not None:
            raise ConflictError(
                f"a different file is already imported as {name} {version}",
                hint="give this one another --version (or --name)",
            )
        row = HashSetRow(
            name=name,
            version=version,
            kind=kind.value,
            profile=profile.name,
            profile_definition=None if request.custom_profile is None else profile.definition(),
            source=request.source or hints.source,
            description=request.description or hints.description,
            format=reader.name,
            source_file=path.name,
            source_sha256=report.source_sha256,
            source_size=size,
            imported_at=started,
            imported_by=request.actor.username,
            entry_count=0,
            refused_count=0,
            pdq_threshold=threshold,
            pdq_method=_pdq_method(request, hints).value,
        )
        s.add(row)
        s.flush()
        batch: list[dict[str, Any]] = []
        videos: list[tuple[FrameHash, ...]] = []  # each entry's vPDQ frames, parallel to ``batch``
        frames = 0
        for item in reader.read(path, request.options):
            report.rows_read += 1
            checked = item if isinstance(item, RowProblem) else _check(item, profile, request.category_map)
            if isinstance(checked, RowProblem):
                _refuse(report, checked)
            else:
                category, label = checked
                assert isinstance(item, KnownEntry)
                batch.append(entry_row(row.id, item, category, label))
                videos.append(item.video_frames)
                frames += len(item.video_frames)
                report.rows_taken += 1
                if len(batch) >= BATCH_ROWS or frames >= BATCH_FRAMES:
                    store.insert_entries(s, batch, videos)
                    batch.clear()
                    videos.clear()
                    frames = 0
            if progress is not None and report.rows_read % BATCH_ROWS == 0:
                progress(report.rows_read)
        if report.rows_taken == 0:
            raise _nothing_taken(report, reader)  # rolls the new set back
        store.insert_entries(s, batch, videos)
        row.entry_count = report.rows_taken
        row.refused_count = report.rows_refused
        s.flush()
        report.hash_set = set_info(row)
        store.record_import(
            s, report, actor=request.actor.username, status="imported", started_at=started, error=None
        )


def _nothing_taken(report: ImportReport, reader: HashSetReader) -> NothingImportedError:
    name = Path(report.source_file).name
    if report.rows_read == 0:
        return NothingImportedError(
            f"no row of {name} could be taken: it holds no entry the {reader.title} reader recognises;"
            " nothing was imported",
            report,
            hint="check the file, or name its format with --format",
        )
    reasons = ", ".join(f"{count:,} × {reason}" for reason, count in sorted(report.refused.items()))
    return NothingImportedError(
        f"no row of {name} could be taken ({report.rows_read:,} read, every one refused: {reasons});"
        " nothing was imported",
        report,
    )


def _profile(request: ImportRequest, hints: SetHints) -> CategoryProfile:
    custom = request.custom_profile
    if custom is None:
        return PROFILES[request.profile or hints.profile or "none"]
    if request.profile is not None and request.profile != custom.name:
        raise BadInputError(
            f"--profile {request.profile} and a profile file ({custom.name}) both given",
            hint="give one of them",
        )
    return custom


def _check(
    entry: KnownEntry, profile: CategoryProfile, category_map: Mapping[str, str]
) -> tuple[str | None, str | None] | RowProblem:
    """The entry's category normalised through the profile and the publisher's label for it, or the reason
    to refuse the entry. The label is the source's label column, else the source's own code where the map
    turned it into another code (``1`` for CAID's ``A``), so that what the publisher called it is kept."""
    if not entry.matchable:
        return RowProblem(entry.location, "no-digest", "the entry carries no hash")
    if entry.pdq_quality is not None and not 0 <= entry.pdq_quality <= 100:
        return RowProblem(entry.location, "bad-pdq-quality", f"PDQ quality {entry.pdq_quality} is not 0..100")
    if entry.size is not None and entry.size < 0:
        return RowProblem(entry.location, "bad-size", f"size {entry.size} is negative")
    raw = None if entry.category is None else entry.category.strip()
    try:
        code = profile.normalise(category_map.get(raw, raw) if raw else raw)
    except InvalidCategoryError as exc:
        return RowProblem(entry.location, "bad-category", str(exc))
    label = entry.category_label.strip() if entry.category_label else None
    if not label and raw and code is not None and raw.lower() != code.lower():
        label = raw
    return code, label or None


def _pdq_method(request: ImportRequest, hints: SetHints) -> PdqMethod:
    """The user's --pdq-method, else what the file says (a Vigilant export records it), else the default."""
    if request.pdq_method is not None:
        return request.pdq_method
    if hints.pdq_method is not None:
        try:
            return PdqMethod(hints.pdq_method)
        except ValueError as exc:
            raise SourceError(
                f"{request.path.name} says its PDQ hashes were made by {hints.pdq_method!r}, a method this"
                " version does not know",
                hint="give --pdq-method full or 512",
            ) from exc
    return PDQ_IMPORT_METHOD


def _refuse(report: ImportReport, problem: RowProblem) -> None:
    report.refused[problem.reason] = report.refused.get(problem.reason, 0) + 1
    if len(report.problems) < PROBLEMS_KEPT:
        report.problems.append(problem)
