"""Bulk import of case records from JSON lines (docs/case-import.md): cases, persons, seized devices and
identifiers, as an agency moves them from its records system.

Every line is one record and one transaction: a bad line is refused with its line number and why, and the
lines after it still go in. A record already present (found by its natural key: the case's number in the
importing agency; a person's names, date of birth and role in the case; a device's serial, else its exhibit
number, else its description and seizure; an identifier's value, person and device in the case) is left as
it is, so importing the same file again changes nothing. Every record created writes its audit event in
its own transaction, through the same services the CLI and web use where they exist; the import itself is
audited with the file's SHA-256 and its counts.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import LEGAL_WRITE, PERSONS_WRITE, WRITE, Actor, add_audited, agency_of, audit
from vigilant.cases.access import require as require_permission
from vigilant.cases.errors import CasesError, InvalidRecordError
from vigilant.cases.identifiers import clean, parse_kind
from vigilant.cases.links import _identifier as identifier_hub
from vigilant.cases.models import (
    CasePersonRow,
    CaseRow,
    Distribution,
    IdentifierLinkRow,
    IdentifierRow,
    PersonRole,
    PersonRow,
    SeizedDeviceRow,
    SeizureRow,
)
from vigilant.cases.people import add_person, parse_role
from vigilant.cases.service import open_case, parse_distribution
from vigilant.security.audit import RecordChanged
from vigilant.store import Database
from vigilant.store.models import utcnow

FORMAT = "vigilant-case-import"
VERSION = 1
Text = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(min_length=1, max_length=4000)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CaseLine(_Record):
    record: Literal["case"]
    number: Annotated[str, Field(min_length=1, max_length=100)]
    title: Text
    operation: Text | None = None
    distribution: str = Distribution.AGENCY_ONLY.value
    opened_at: AwareDatetime | None = None


class PersonLine(_Record):
    record: Literal["person"]
    case: Text
    ref: Text  # the records system's id for this person, used by later lines of the same file
    given_names: Annotated[str, Field(min_length=1, max_length=200)]
    surname: Annotated[str, Field(min_length=1, max_length=200)]
    role: str
    date_of_birth: date | None = None
    gender: Annotated[str, Field(max_length=40)] | None = None
    address: LongText | None = None
    municipality: Annotated[str, Field(max_length=200)] | None = None


class DeviceLine(_Record):
    record: Literal["device"]
    case: Text
    ref: Text
    description: LongText
    make: Annotated[str, Field(max_length=100)] | None = None
    model: Annotated[str, Field(max_length=100)] | None = None
    serial: Annotated[str, Field(max_length=200)] | None = None
    exhibit: Annotated[str, Field(max_length=100)] | None = None
    seized_at: AwareDatetime
    seized_where: LongText
    seized_by: Annotated[str, Field(min_length=1, max_length=200)]


class IdentifierLine(_Record):
    record: Literal["identifier"]
    case: Text
    kind: str
    value: Text
    person: Text | None = None  # a person's ref
    device: Text | None = None  # a device's ref
    observed_at: AwareDatetime | None = None
    source: LongText | None = None


Line = Annotated[CaseLine | PersonLine | DeviceLine | IdentifierLine, Field(discriminator="record")]
_LINE = TypeAdapter(Line)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


@dataclass
class ImportReport:
    path: str
    sha256: str = ""
    lines: int = 0
    created: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "lines": self.lines,
            "created": dict(sorted(self.created.items())),
            "unchanged": dict(sorted(self.unchanged.items())),
            "refused": [{"line": p.line, "message": p.message} for p in self.problems],
        }


class ImportFileError(InvalidRecordError):
    """The file as a whole cannot be read as a case import (nothing was imported)."""


def _explain(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        where = ".".join(str(x) for x in e["loc"][1:] if x is not None) or str(
            e["loc"][0] if e["loc"] else ""
        )
        parts.append(f"{where}: {e['msg']}" if where else str(e["msg"]))
    return "; ".join(parts)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        for number, text in enumerate(fh, start=1):
            yield number, text.strip()


@dataclass
class _Refs:
    """What the file's refs stand for, per case number: person and device ids."""

    persons: dict[tuple[str, str], int] = field(default_factory=dict)
    devices: dict[tuple[str, str], int] = field(default_factory=dict)


def import_case_records(db: Database, actor: Actor, path: Path) -> ImportReport:
    """Import a case-import file into the caller's agency; see the module's docstring and
    docs/case-import.md. Raises :class:`ImportFileError` when the file is not one (nothing imported)."""
    for permission in (WRITE, PERSONS_WRITE, LEGAL_WRITE):  # refused as a whole, before any line
        require_permission(actor, permission)
    agency_of(actor)
    report = ImportReport(path=str(path))
    try:
        report.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        lines = _lines(path)
        header_number, header_text = next(((n, t) for n, t in lines if t), (0, ""))
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path}: cannot be read as UTF-8 text ({exc})", hint="check the file") from exc
    _check_header(path, header_number, header_text)
    refs = _Refs()
    for number, text in lines:
        if not text:
            continue
        report.lines += 1
        try:
            line = _LINE.validate_python(json.loads(text))
            kind, created = _import_line(db, actor, line, refs)
        except json.JSONDecodeError as exc:
            report.problems.append(Problem(number, f"not JSON: {exc.msg} at column {exc.colno}"))
        except ValidationError as exc:
            report.problems.append(Problem(number, _explain(exc)))
        except CasesError as exc:
            report.problems.append(Problem(number, exc.message + (f" ({exc.hint})" if exc.hint else "")))
        else:
            (report.created if created else report.unchanged)[kind] += 1
    with db.session() as s:
        audit(
            s,
            actor,
            RecordChanged,
            change="create",
            object_type="case_import",
            object_id=report.sha256[:16],
            fields_changed=tuple(sorted(report.created)),
        )
    return report


def _check_header(path: Path, number: int, text: str) -> None:
    expected = f'{{"format": "{FORMAT}", "version": {VERSION}}}'
    try:
        header = json.loads(text) if text else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ImportFileError(
            f"{path}: line {number or 1} is not a case-import header",
            hint=f"the first line must be {expected}",
        )
    if header.get("version") != VERSION:
        raise ImportFileError(
            f"{path}: case-import version {header.get('version')!r} is not one this Vigilant reads",
            hint=f"write version {VERSION}: {expected}",
        )


def _import_line(db: Database, actor: Actor, line: Any, refs: _Refs) -> tuple[str, bool]:
    if isinstance(line, CaseLine):
        return "case", _case(db, actor, line)
    if isinstance(line, PersonLine):
        return "person", _person(db, actor, line, refs)
    if isinstance(line, DeviceLine):
        return "device", _device(db, actor, line, refs)
    return "identifier", _identifier(db, actor, line, refs)


def _own_case(s: Session, actor: Actor, number: str) -> CaseRow:
    row = s.scalars(
        select(CaseRow).where(CaseRow.agency_id == agency_of(actor), CaseRow.number == number)
    ).one_or_none()
    if row is None:
        raise InvalidRecordError(
            f"your agency has no case numbered {number!r}",
            hint="put the case's line before its records, or open the case first",
        )
    return row


def _case(db: Database, actor: Actor, line: CaseLine) -> bool:
    with db.session() as s:
        found = s.scalars(
            select(CaseRow.id).where(CaseRow.agency_id == agency_of(actor), CaseRow.number == line.number)
        ).first()
    if found is not None:
        return False
    open_case(
        db,
        actor,
        number=line.number,
        title=line.title,
        operation=line.operation,
        distribution=parse_distribution(line.distribution),
        opened_at=line.opened_at,
    )
    return True


def _person(db: Database, actor: Actor, line: PersonLine, refs: _Refs) -> bool:
    role: PersonRole = parse_role(line.role)
    with db.session() as s:
        case = _own_case(s, actor, line.case)
        found = s.scalars(
            select(PersonRow.id)
            .join(CasePersonRow, CasePersonRow.person_id == PersonRow.id)
            .where(
                CasePersonRow.case_id == case.id,
                CasePersonRow.role == role.value,
                PersonRow.given_names == line.given_names,
                PersonRow.surname == line.surname,
                PersonRow.date_of_birth.is_(None)
                if line.date_of_birth is None
                else PersonRow.date_of_birth == line.date_of_birth,
            )
            .order_by(PersonRow.id)
        ).first()
        case_id = case.id
    if found is not None:
        refs.persons[(line.case, line.ref)] = found
        return False
    person = add_person(
        db,
        actor,
        case_id,
        given_names=line.given_names,
        surname=line.surname,
        role=role,
        date_of_birth=line.date_of_birth,
        gender=line.gender,
        address=line.address,
        municipality=line.municipality,
    )
    refs.persons[(line.case, line.ref)] = person.id
    return True


def _device(db: Database, actor: Actor, line: DeviceLine, refs: _Refs) -> bool:
    serial = clean("device_serial", line.serial) if line.serial else None
    with db.session() as s:
        case = _own_case(s, actor, line.case)
        query = (
            select(SeizedDeviceRow.id)
            .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
            .where(SeizureRow.case_id == case.id)
        )
        if serial:
            query = query.where(SeizedDeviceRow.serial == serial)
        elif line.exhibit:
            query = query.where(SeizedDeviceRow.exhibit == line.exhibit)
        else:
            query = query.where(
                SeizedDeviceRow.description == line.description, SeizureRow.seized_at == line.seized_at
            )
        found = s.scalars(query.order_by(SeizedDeviceRow.id)).first()
        if found is not None:
            refs.devices[(line.case, line.ref)] = found
            return False
        # Devices seized at one time and place are one seizure, as the records system wrote them.
        seizure = s.scalars(
            select(SeizureRow).where(
                SeizureRow.case_id == case.id,
                SeizureRow.seized_at == line.seized_at,
                SeizureRow.seized_where == line.seized_where,
                SeizureRow.seized_by == line.seized_by,
            )
        ).first()
        if seizure is None:
            seizure = SeizureRow(
                case_id=case.id,
                seized_at=line.seized_at,
                seized_where=line.seized_where,
                seized_by=line.seized_by,
            )
            add_audited(s, actor, seizure, object_type="seizure", case_ref=case.number)
        device = SeizedDeviceRow(
            seizure_id=seizure.id,
            description=line.description,
            make=line.make,
            model=line.model,
            serial=serial,
            exhibit=line.exhibit,
        )
        add_audited(s, actor, device, object_type="seized_device", case_ref=case.number)
        refs.devices[(line.case, line.ref)] = device.id
    return True


def _ref(refs: dict[tuple[str, str], int], case: str, ref: str | None, what: str) -> int | None:
    if ref is None:
        return None
    if (case, ref) not in refs:
        raise InvalidRecordError(
            f"{what} {ref!r} of case {case!r} is not defined above",
            hint=f"put the {what}'s line before the lines that name it",
        )
    return refs[(case, ref)]


def _identifier(db: Database, actor: Actor, line: IdentifierLine, refs: _Refs) -> bool:
    kind = parse_kind(line.kind)
    value = clean(kind, line.value)
    person_id = _ref(refs.persons, line.case, line.person, "person")
    device_id = _ref(refs.devices, line.case, line.device, "device")
    with db.session() as s:
        case = _own_case(s, actor, line.case)
        found = s.scalars(
            select(IdentifierLinkRow.id)
            .join(IdentifierRow, IdentifierRow.id == IdentifierLinkRow.identifier_id)
            .where(
                IdentifierLinkRow.case_id == case.id,
                IdentifierRow.kind == kind.value,
                IdentifierRow.value == value,
                IdentifierLinkRow.person_id.is_(None)
                if person_id is None
                else IdentifierLinkRow.person_id == person_id,
                IdentifierLinkRow.device_id.is_(None)
                if device_id is None
                else IdentifierLinkRow.device_id == device_id,
            )
        ).first()
        if found is not None:
            return False
        link = IdentifierLinkRow(
            identifier=identifier_hub(s, kind, value),
            case_id=case.id,
            person_id=person_id,
            device_id=device_id,
            raw=line.value,
            observed_at=line.observed_at,
            source=line.source or "case import",
            created_at=utcnow(),
        )
        add_audited(s, actor, link, object_type="identifier_link", case_ref=case.number)
    return True
