"""Operation figures, computed from the records and never typed in.

Figures are aggregates over every case of the operation, whatever each case's distribution: they name no
one, and a coordinator's press figures must not depend on which cases the caller can open. The caller's
agency must take part in the operation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import InstrumentedAttribute

from vigilant.cases.access import OPERATIONS_READ
from vigilant.cases.ages import age_on, was_youth
from vigilant.cases.identifiers import IdentifierKind
from vigilant.cases.models import (
    CaseRow,
    ChargeRow,
    IdentifierLinkRow,
    IdentifierRow,
    LegalProcessRow,
    PersonRow,
    ProcessKind,
    SeizedDeviceRow,
    SeizureRow,
    VictimRow,
)
from vigilant.cases.operations import operation_by_ref
from vigilant.security.rights import Actor, require
from vigilant.store import Database


@dataclass(frozen=True)
class OperationFigures:
    operation: str
    as_of: date
    cases: int
    charges: int
    persons_charged: int
    youths_charged: int  # under 18 at the earliest offence date of any of their charges
    oldest_accused_age: int | None  # on ``as_of``, among persons charged with a known date of birth
    charged_without_birth_date: int
    warrants_executed: int
    devices_seized: int
    victims_identified: int
    victims_safeguarded: int
    victims_referred: int
    unique_ips: int  # distinct canonical IPs linked to the operation's cases, observed in the window
    ip_window_start: datetime
    ip_window_end: datetime  # exclusive
    municipalities: tuple[str, ...]  # where the persons charged live

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        data["ip_window_start"] = self.ip_window_start.isoformat()
        data["ip_window_end"] = self.ip_window_end.isoformat()
        data["municipalities"] = list(self.municipalities)
        return data


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def operation_figures(
    db: Database,
    actor: Actor,
    operation: str | int,
    *,
    as_of: date | None = None,
    ip_window: tuple[datetime, datetime] | None = None,
) -> OperationFigures:
    """The figures on ``as_of`` (default today, UTC); IPs from its start to its end (or as_of) by default."""
    require(actor, OPERATIONS_READ)
    day = as_of or datetime.now(UTC).date()
    with db.session() as s:
        op = operation_by_ref(s, actor, operation)
        start, end = ip_window or (
            _midnight(op.starts_on),
            _midnight((op.ends_on or day) + timedelta(days=1)),
        )
        cases = select(CaseRow.id).where(CaseRow.operation_id == op.id)

        def count(query: Select[Any]) -> int:
            return int(s.scalar(query) or 0)

        def victims(milestone: InstrumentedAttribute[date | None]) -> int:
            query = select(func.count(distinct(VictimRow.person_id)))
            return count(query.where(VictimRow.case_id.in_(cases), milestone.is_not(None)))

        charges = s.execute(
            select(ChargeRow.person_id, ChargeRow.offence_from).where(ChargeRow.case_id.in_(cases))
        ).all()
        first_offence: dict[int, date] = {}
        for person_id, offence_from in charges:
            first_offence[person_id] = min(offence_from, first_offence.get(person_id, offence_from))
        people = {p.id: p for p in s.scalars(select(PersonRow).where(PersonRow.id.in_(first_offence)))}
        births = {pid: p.date_of_birth for pid, p in people.items() if p.date_of_birth is not None}
        youths = sum(was_youth(births[pid], first_offence[pid]) for pid in births)
        ages = [age_on(dob, day) for dob in births.values()]

        return OperationFigures(
            operation=op.code,
            as_of=day,
            cases=count(select(func.count()).select_from(CaseRow).where(CaseRow.operation_id == op.id)),
            charges=len(charges),
            persons_charged=len(first_offence),
            youths_charged=youths,
            oldest_accused_age=max(ages) if ages else None,
            charged_without_birth_date=len(first_offence) - len(births),
            warrants_executed=count(
                select(func.count())
                .select_from(LegalProcessRow)
                .where(
                    LegalProcessRow.case_id.in_(cases),
                    LegalProcessRow.kind == ProcessKind.SEARCH_WARRANT.value,
                    LegalProcessRow.executed_at.is_not(None),
                )
            ),
            devices_seized=count(
                select(func.count())
                .select_from(SeizedDeviceRow)
                .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
                .where(SeizureRow.case_id.in_(cases))
            ),
            victims_identified=victims(VictimRow.identified_on),
            victims_safeguarded=victims(VictimRow.safeguarded_on),
            victims_referred=victims(VictimRow.referred_on),
            unique_ips=count(
                select(func.count(distinct(IdentifierRow.value)))
                .select_from(IdentifierLinkRow)
                .join(IdentifierRow, IdentifierRow.id == IdentifierLinkRow.identifier_id)
                .where(
                    IdentifierRow.kind == IdentifierKind.IP.value,
                    IdentifierLinkRow.case_id.in_(cases),
                    IdentifierLinkRow.observed_at >= start,
                    IdentifierLinkRow.observed_at < end,
                )
            ),
            ip_window_start=start,
            ip_window_end=end,
            municipalities=tuple(sorted({p.municipality for p in people.values() if p.municipality})),
        )
