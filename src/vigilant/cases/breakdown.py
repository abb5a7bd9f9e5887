"""The operation's figures broken down for the dashboard plots: charges by Criminal Code section, and persons
charged by age at their first offence.

Like :mod:`vigilant.cases.figures`, these are aggregates over every case of the operation (they name no one)
and need ``operations.read`` and the caller's agency taking part. Ages are taken on the earliest offence date,
the day the YCJA looks at, so the "under 18" band always equals ``youths_charged``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from vigilant.cases.access import OPERATIONS_READ
from vigilant.cases.ages import ADULT_AGE, age_on
from vigilant.cases.models import CaseRow, ChargeRow, PersonRow
from vigilant.cases.offences import OFFENCES
from vigilant.cases.operations import operation_by_ref
from vigilant.security.rights import Actor, require
from vigilant.store import Database

# (label, lowest age, highest age or None); the first band is the YCJA's.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under 18", 0, ADULT_AGE - 1),
    ("18–24", 18, 24),
    ("25–34", 25, 34),
    ("35–44", 35, 44),
    ("45–54", 45, 54),
    ("55–64", 55, 64),
    ("65+", 65, None),
)
UNKNOWN_AGE = "date of birth unknown"


@dataclass(frozen=True)
class AgeBand:
    label: str
    count: int
    youth: bool  # under 18 at the offence: never named, highlighted on the plot


@dataclass(frozen=True)
class OperationBreakdown:
    operation: str
    charges_by_section: tuple[tuple[str, int], ...]  # ("163.1(4)", 12), most charged first
    persons_by_age: tuple[AgeBand, ...]  # every band in order, empty ones included


def band_of(age: int) -> str:
    for label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return AGE_BANDS[0][0]  # a negative age (bad data) is still a child's


def operation_breakdown(db: Database, actor: Actor, operation: str | int) -> OperationBreakdown:
    require(actor, OPERATIONS_READ)
    with db.session() as s:
        op = operation_by_ref(s, actor, operation)
        cases = select(CaseRow.id).where(CaseRow.operation_id == op.id)
        charges = s.execute(
            select(ChargeRow.person_id, ChargeRow.offence_code, ChargeRow.offence_from).where(
                ChargeRow.case_id.in_(cases)
            )
        ).all()
        by_section: dict[str, int] = {}
        first_offence: dict[int, date] = {}
        for person_id, code, offence_from in charges:
            known = OFFENCES.get(code)
            section = known.section if known else code
            by_section[section] = by_section.get(section, 0) + 1
            first_offence[person_id] = min(offence_from, first_offence.get(person_id, offence_from))
        people = select(PersonRow.id, PersonRow.date_of_birth).where(PersonRow.id.in_(first_offence))
        births: dict[int, date | None] = dict(s.execute(people).all())
    counts = {label: 0 for label, _, _ in AGE_BANDS}
    unknown = 0
    for person_id, day in first_offence.items():
        born = births.get(person_id)
        if born is None:
            unknown += 1
        else:
            counts[band_of(age_on(born, day))] += 1
    bands = [AgeBand(label, counts[label], youth=(label == AGE_BANDS[0][0])) for label, _, _ in AGE_BANDS]
    if unknown:
        bands.append(AgeBand(UNKNOWN_AGE, unknown, youth=False))
    ordered = sorted(by_section.items(), key=lambda item: (-item[1], item[0]))
    return OperationBreakdown(op.code, tuple(ordered), tuple(bands))
