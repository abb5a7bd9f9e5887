"""What the HTML report shows, as plain rows; the template only lays them out.

Every string from evidence goes through :func:`visible` here (control characters shown, not obeyed); the
template's autoescaping then makes it inert HTML. Hit and error rows are parked in on-disk spools during
the one pass over the records that also makes the figures, and read back sorted, so the report streams
however many there are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from typing import Any

from vigilant.library.categories import CategoryClass
from vigilant.triage.records import FileRecord, Hit
from vigilant.triage.reports._spool import SortedSpool
from vigilant.triage.reports._text import (
    PERCEPTUAL,
    entry_text,
    frame_note,
    hit_order,
    method_label,
    visible,
    vpdq_text,
)
from vigilant.triage.runinfo import RunInfo, RunSummary

_SEVERITY = {cls.slug: cls.severity for cls in CategoryClass}
ERROR_STATUSES = ("unreadable", "error")  # as summarise counts them


@dataclass(frozen=True)
class HitRow:
    address: str
    size: int
    md5: str
    sha256: str
    set_label: str
    set_kind: str
    matched_on: str
    category_code: str
    category_label: str
    category_class: str
    severity: int
    entry: str  # what the library holds of the matched entry (perceptual hits; exact ones: its name)


@dataclass(frozen=True)
class ErrorRow:
    address: str
    status: str
    reason: str


@dataclass
class ReportView:
    run: RunInfo
    summary: RunSummary
    hits: SortedSpool  # of HitRow, most severe first, then in record order
    errors: SortedSpool  # of ErrorRow, in record order

    @property
    def title(self) -> str:
        return f"Triage report {self.run.key}: {visible(self.run.evidence.label)}"

    def evidence_rows(self) -> list[tuple[str, str]]:
        e = self.run.evidence
        rows = [
            ("Label", visible(e.label)),
            ("Case number", visible(e.case_number or "-")),
            ("Source type", visible(e.source_type)),
            ("Path", visible(e.path)),
            ("Size (bytes)", f"{e.size:,}"),
        ]
        if e.description:
            rows.append(("Description", visible(e.description)))
        return rows

    def acquisition_hashes(self) -> list[tuple[str, str]]:
        return [(visible(k), visible(str(v))) for k, v in sorted(self.run.evidence.hashes.items())]

    def verification(self) -> tuple[str, str]:
        """(css class, words) of the post-run verification of the evidence."""
        result = self.run.verification
        if result is None:
            return ("unknown", "not verified after the run")
        ok = result.get("ok") is True
        words = "hashes match" if ok else "FAILED: hashes do not match or were not compared"
        details = [f"{visible(str(k))}: {visible(_json(v))}" for k, v in sorted(result.items()) if k != "ok"]
        if details:
            words += f" ({'; '.join(details)})"
        return ("ok" if ok else "bad", words)

    def unread(self) -> tuple[str, list[tuple[str, str]]] | None:
        """(headline, [(where, reason)]) of the evidence the run could not read, or None: all read."""
        coverage = self.run.coverage
        if coverage is None or coverage.headline is None:
            return None
        return (coverage.headline, [(visible(p.where), visible(p.reason)) for p in coverage.parts])

    def settings_rows(self) -> list[tuple[str, str]]:
        return [(visible(str(k)), visible(_json(v))) for k, v in sorted(self.run.settings.items())]

    def count_rows(self) -> list[tuple[str, int]]:
        s = self.summary
        return [
            ("Files (archive members included)", s.files),
            ("Bytes", s.bytes),
            ("Allocated", s.allocated),
            ("Deleted", s.deleted),
            ("Archive members", s.archive_members),
            ("Images", s.images),
            ("Errors (read or listing failed)", s.errors),
            ("Encrypted", s.encrypted),
            ("Extension mismatches", s.extension_mismatches),
            ("Known-bad", s.known_bad),
            ("Known-good", s.known_good),
            ("Alert", s.alert),
            ("Hits found by PDQ only", s.pdq_only),
        ]

    def class_rows(self) -> list[tuple[str, int]]:
        """Known-bad files by category class, most severe class first."""
        items = self.summary.by_class.items()
        return [(visible(k), v) for k, v in sorted(items, key=lambda kv: (-_SEVERITY.get(kv[0], -1), kv[0]))]

    def set_rows(self) -> list[tuple[str, int]]:
        return [(visible(k), v) for k, v in sorted(self.summary.by_set.items())]

    def hit_rows(self) -> Iterator[HitRow]:
        """Every hit that is not known-good: most severe first, then in record (position, member) order."""
        for values in self.hits.rows():
            yield HitRow(*values)

    def error_rows(self) -> Iterator[ErrorRow]:
        for values in self.errors.rows():
            yield ErrorRow(*values)


def spool_rows(records: Iterator[FileRecord], hits: SortedSpool, errors: SortedSpool) -> Iterator[FileRecord]:
    """Pass the records through, parking their hit and error rows on the way."""
    for record in records:
        shown = [h for h in sorted(record.hits, key=hit_order) if h.set_kind != "known-good"]
        for index, hit in enumerate(shown):
            hits.add((-hit.severity, record.position, record.member, index), astuple(_hit_row(record, hit)))
        if record.status in ERROR_STATUSES:
            row = ErrorRow(
                visible(record.address), record.status, visible(record.error or "(no reason given)")
            )
            errors.add((record.position, record.member), astuple(row))
        yield record


def _hit_row(record: FileRecord, hit: Hit) -> HitRow:
    matched = hit.matched_on if hit.distance is None else f"{hit.matched_on} (distance {hit.distance})"
    method = method_label(hit)
    if method is not None:
        matched = f"{matched}, {method}"
    matched = (vpdq_text(hit) or matched) + frame_note(hit)
    # A deleted file is said so beside its address: where the bytes came from matters in court.
    state = "" if record.allocated else " [DELETED]"
    return HitRow(
        address=visible(record.address) + state,
        size=record.size,
        md5=record.md5.hex() if record.md5 else "",
        sha256=record.sha256.hex() if record.sha256 else "",
        set_label=visible(f"{hit.set_name} {hit.set_version}"),
        set_kind=hit.set_kind,
        matched_on=matched,
        category_code=visible(hit.category or ""),
        category_label=visible(hit.category_label or ""),
        category_class=visible(hit.category_class or ""),
        severity=hit.severity,
        entry=visible(entry_text(hit) if hit.matched_on in PERCEPTUAL else hit.entry_name or ""),
    )


def _json(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
