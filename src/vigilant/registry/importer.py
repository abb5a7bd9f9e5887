"""Bulk import of registrants from JSON lines or CSV (``docs/registry.md``).

Each registrant is matched on its registry number and merged: a fact already held (the same alias, the same
address from the same day, the same order…, see :data:`KEYS`) is updated in place, a new one is added, and
nothing is deleted (an address ends with its ``valid_to``). Re-importing a file changes nothing. A bad row
is refused with its line number and the rest of the file is imported; each registrant commits on its own
savepoint, so a row the database refuses costs that registrant only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from vigilant.cases.models import AgencyRow, PersonRow
from vigilant.registry.access import registrant_changed
from vigilant.registry.csv_format import Problem, describe, read_csv
from vigilant.registry.errors import RegistryError
from vigilant.registry.models import (
    RegistrantAddressRow,
    RegistrantAliasRow,
    RegistrantDocumentRow,
    RegistrantIdentifierRow,
    RegistrantOffenceRow,
    RegistrantOrderRow,
    RegistrantPhoneRow,
    RegistrantReportRow,
    RegistrantRow,
    RegistrantVehicleRow,
)
from vigilant.registry.records import RegistrantIn, normalise_identifier
from vigilant.registry.statuses import forget
from vigilant.security.audit import RecordChanged, append_many
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import Base, utcnow

FORMATS = ("jsonl", "csv")
BATCH = 200  # registrants per transaction


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


# For each list of a registrant: its table, and the key that says two entries are the same fact.
KEYS: dict[str, tuple[type[Base], Callable[[dict[str, Any]], tuple[Any, ...]]]] = {
    "aliases": (
        RegistrantAliasRow,
        lambda d: (_fold(d["given_names"]), _fold(d["surname"]), d["date_of_birth"]),
    ),
    "addresses": (RegistrantAddressRow, lambda d: (d["kind"], _fold(d["line"]), d["valid_from"])),
    "phones": (RegistrantPhoneRow, lambda d: ("".join(c for c in d["number"] if c.isdigit()),)),
    "vehicles": (RegistrantVehicleRow, lambda d: (_fold(d["plate"].replace(" ", "")), d["province"])),
    "documents": (RegistrantDocumentRow, lambda d: (d["kind"], _fold(d["number"]))),
    "identifiers": (RegistrantIdentifierRow, lambda d: (d["kind"], normalise_identifier(d["value"]))),
    "offences": (RegistrantOffenceRow, lambda d: (d["section"], d["convicted_on"])),
    "orders": (RegistrantOrderRow, lambda d: (d["regime"], d["starts_on"])),
    "reports": (RegistrantReportRow, lambda d: (d["kind"], d["reported_on"])),
}
_PERSON_FIELDS = ("given_names", "surname", "date_of_birth")
_REGISTRANT_FIELDS = (
    "sex",
    "height_cm",
    "weight_kg",
    "eye_colour",
    "hair_colour",
    "marks",
    "first_report_on",
)


@dataclass
class ImportReport:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": [
                {"line": p.line, "registry_number": p.registry_number, "problem": p.message}
                for p in self.refused
            ],
        }


def read_jsonl(stream: TextIO) -> Iterator[tuple[int, RegistrantIn | Problem]]:
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            yield line, Problem(line, None, f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        number = data.get("registry_number") if isinstance(data, dict) else None
        try:
            yield line, RegistrantIn.model_validate(data)
        except ValidationError as exc:
            yield line, Problem(line, number if isinstance(number, str) else None, describe(exc))


def format_of(path: Path, fmt: str | None) -> str:
    chosen = fmt or {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(path.suffix.lower())
    if chosen not in FORMATS:
        raise RegistryError(
            f"cannot tell the format of {path.name}", hint="name it .csv or .jsonl, or pass --format"
        )
    return chosen


def read_records(path: Path, fmt: str | None = None) -> Iterator[tuple[int, RegistrantIn | Problem]]:
    chosen = format_of(path, fmt)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        yield from (read_csv(stream) if chosen == "csv" else read_jsonl(stream))


def _plain(model: BaseModel) -> dict[str, Any]:
    return {k: v.value if isinstance(v, Enum) else v for k, v in model.model_dump().items()}


def _set(row: Any, values: dict[str, Any]) -> list[str]:
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


def _merge_parts(
    s: Session, actor: Actor, registrant_id: int, record: RegistrantIn, *, fresh: bool = False
) -> list[str]:
    """Add the record's facts the registrant lacks and update those held; a ``fresh`` registrant holds
    none, so nothing is looked up (a first import makes no query per fact)."""
    changed: list[str] = []
    now = utcnow()
    for attribute, (table, key) in KEYS.items():
        items = [_plain(item) for item in getattr(record, attribute)]
        if not items:
            continue
        by_key: dict[tuple[Any, ...], Any] = {}
        if not fresh:
            column = table.registrant_id  # type: ignore[attr-defined]
            with s.no_autoflush:  # the rows added for the previous lists need not be written yet
                held = s.scalars(select(table).where(column == registrant_id)).all()
            by_key = {key({c: getattr(row, c) for c in items[0]}): row for row in held}
        for values in items:
            if attribute == "identifiers":
                values["normalised"] = normalise_identifier(values["value"])
            row = by_key.get(key(values))
            if row is None:
                extra = {"recorded_by": actor.username, "recorded_at": now} if attribute == "reports" else {}
                row = table(registrant_id=registrant_id, **values, **extra)
                s.add(row)
                by_key[key(values)] = row
                changed.append(attribute)
            elif _set(row, values):
                changed.append(attribute)
    return sorted(set(changed))


def upsert(
    s: Session, actor: Actor, record: RegistrantIn, office_id: int
) -> tuple[str, int, RecordChanged | None]:
    """Create or merge one registrant: 'created', 'updated' or 'unchanged', its id, and the change's audit
    event for the caller to append (with its batch's, :func:`vigilant.security.audit.append_many`) once the
    registrant is stored; the caller then drops the sweep's status of those updated."""
    now = utcnow()
    row = s.scalars(
        select(RegistrantRow).where(RegistrantRow.registry_number == record.registry_number)
    ).first()
    person_values = {f: getattr(record, f) for f in _PERSON_FIELDS}
    plain = _plain(record)
    values = {f: plain[f] for f in _REGISTRANT_FIELDS}
    if row is None:
        person = PersonRow(agency_id=office_id, created_at=now, **person_values)
        s.add(person)
        s.flush()
        row = RegistrantRow(
            person_id=person.id,
            registry_number=record.registry_number,
            office_agency_id=office_id,
            created_at=now,
            updated_at=now,
            **values,
        )
        s.add(row)
        s.flush()
        _merge_parts(s, actor, row.id, record, fresh=True)
        return "created", row.id, registrant_changed(actor, row.id, "create")
    person = s.get_one(PersonRow, row.person_id)
    changed = _set(person, person_values) + _set(row, {**values, "office_agency_id": office_id})
    changed += _merge_parts(s, actor, row.id, record)
    if not changed:
        return "unchanged", row.id, None
    row.updated_at = now
    return "updated", row.id, registrant_changed(actor, row.id, "update", tuple(changed))


def import_registrants(
    db: Database,
    actor: Actor,
    path: Path,
    *,
    fmt: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``path``; refused rows are reported with their line numbers, the rest is imported."""
    require(actor, Permission.REGISTRY_WRITE)
    return import_records(db, actor, read_records(path, fmt), source=str(path), progress=progress)


def import_records(
    db: Database,
    actor: Actor,
    items: Iterable[tuple[int, RegistrantIn | Problem]],
    *,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import records already read (each with its line, or the problem that refused it): what
    :func:`import_registrants` does after reading, and what a generator (the demo's) calls directly."""
    require(actor, Permission.REGISTRY_WRITE)
    report = ImportReport(source=source)
    with db.session() as s:
        offices = {a.short_name.casefold(): a.id for a in s.scalars(select(AgencyRow))}
    batch: list[tuple[int, RegistrantIn]] = []

    def run(batch: list[tuple[int, RegistrantIn]]) -> None:
        with db.session() as s:
            # One chain extension for the batch's change events, not a head lock and a flush each.
            events: list[RecordChanged] = []
            updated: list[int] = []  # registrants whose facts changed
            for line, record in batch:
                office = offices.get(record.office.casefold())
                if office is None:
                    report.refused.append(
                        Problem(line, record.registry_number, f"office: no agency {record.office!r}")
                    )
                    continue
                try:
                    with s.begin_nested():
                        outcome, rid, event = upsert(s, actor, record, office)
                except DBAPIError as exc:
                    reason = str(exc.orig).splitlines()[0] if exc.orig else "refused by the database"
                    report.refused.append(Problem(line, record.registry_number, f"not stored: {reason}"))
                    continue
                if event is not None:
                    events.append(event)
                if outcome == "updated":
                    updated.append(rid)
                setattr(report, outcome, getattr(report, outcome) + 1)
            append_many(s, events, now=utcnow())
            # What the last sweep said of the updated registrants, dropped after the append (which held
            # back any sweep batch): see vigilant.registry.statuses.hold_changes.
            forget(s, updated)
        if progress is not None:
            progress(len(batch))

    for line, item in items:
        if isinstance(item, Problem):
            report.refused.append(item)
            continue
        batch.append((line, item))
        if len(batch) >= BATCH:
            run(batch)
            batch = []
    if batch:
        run(batch)
    report.refused.sort(key=lambda p: p.line)
    return report
