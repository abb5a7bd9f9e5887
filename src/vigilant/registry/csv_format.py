"""The registry's CSV form: one fact per row, each row naming its registrant and what it is.

Columns: ``record`` (``registrant``, or one of :data:`vigilant.registry.records.PARTS`), ``registry_number``,
then any of the fields of that record (the union of all records' fields is the header; a row leaves the
others empty). A registrant's rows may come anywhere in the file; its ``registrant`` row is required.
Rows are numbered as the file's lines (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from pydantic import ValidationError

from vigilant.registry.records import PARTS, RegistrantIn

_SCALARS = [name for name in RegistrantIn.model_fields if name not in {p for p, _ in PARTS.values()}]
COLUMNS: list[str] = ["record", "registry_number"]
for _name in [*_SCALARS, *(f for _, model in PARTS.values() for f in model.model_fields)]:
    if _name not in COLUMNS:
        COLUMNS.append(_name)


@dataclass
class Problem:
    line: int
    registry_number: str | None
    message: str


@dataclass
class _Pending:
    line: int | None = None  # the registrant row's line
    scalars: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)


def describe(error: ValidationError) -> str:
    """Pydantic's errors as one line: 'field: message; field: message'."""
    parts = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "row"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)


def read_csv(stream: TextIO) -> Iterator[tuple[int, RegistrantIn | Problem]]:
    """Each registrant of the file with the line of its ``registrant`` row, or a refused row's problem.
    A refused entry row leaves its registrant imported without it."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    unknown = [h for h in header if h not in COLUMNS]
    if "record" not in header or "registry_number" not in header:
        yield 1, Problem(1, None, "the header needs 'record' and 'registry_number' columns")
        return
    if unknown:
        yield 1, Problem(1, None, f"unknown columns: {', '.join(unknown)}")
        return
    pending: dict[str, _Pending] = {}
    for row in reader:
        line = reader.line_num
        record = (row.get("record") or "").strip()
        number = (row.get("registry_number") or "").strip()
        cells = {
            k: v.strip() for k, v in row.items() if k not in ("record", "registry_number") and v and v.strip()
        }
        if not number:
            yield line, Problem(line, None, "registry_number is empty")
            continue
        entry = pending.setdefault(number, _Pending())
        if record == "registrant":
            if entry.line is not None:
                yield line, Problem(line, number, f"a second registrant row (the first is line {entry.line})")
                continue
            stray = sorted(set(cells) - set(_SCALARS))
            if stray:
                yield (
                    line,
                    Problem(line, number, f"columns {', '.join(stray)} do not belong to a registrant row"),
                )
                continue
            entry.line, entry.scalars = line, cells
        elif record in PARTS:
            entry.parts.setdefault(record, []).append((line, cells))
        else:
            known = ", ".join(["registrant", *PARTS])
            yield line, Problem(line, number, f"unknown record {record!r} (use one of {known})")
    for number, entry in pending.items():
        yield from _assemble(number, entry)


def _assemble(number: str, entry: _Pending) -> Iterator[tuple[int, RegistrantIn | Problem]]:
    if entry.line is None:
        for lines in entry.parts.values():
            for line, _ in lines:
                yield line, Problem(line, number, "no registrant row for this registry number in the file")
        return
    lists: dict[str, list[Any]] = {}
    for record, rows in entry.parts.items():
        attribute, model = PARTS[record]
        for line, cells in rows:
            try:
                lists.setdefault(attribute, []).append(model.model_validate(cells))
            except ValidationError as exc:
                yield line, Problem(line, number, f"{record}: {describe(exc)}")
    try:
        yield entry.line, RegistrantIn.model_validate({**entry.scalars, "registry_number": number, **lists})
    except ValidationError as exc:
        yield entry.line, Problem(entry.line, number, describe(exc))


def write_csv(registrants: Iterable[RegistrantIn]) -> Iterator[str]:
    """The CSV text of ``registrants``, a chunk (header, then one registrant's rows) at a time."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writeheader()
    yield flush()
    for registrant in registrants:
        data = registrant.model_dump(mode="json", exclude_none=True)
        scalars = {k: v for k, v in data.items() if k in _SCALARS}
        writer.writerow({"record": "registrant", **scalars})
        for record, (attribute, _) in PARTS.items():
            for item in data.get(attribute, []):
                writer.writerow({"record": record, "registry_number": registrant.registry_number, **item})
        yield flush()
