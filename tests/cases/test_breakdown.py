"""The dashboard's breakdowns (charges by section, persons by age band) against counts made by hand."""

from __future__ import annotations

from datetime import date

import pytest

from tests.cases.helpers import actor, world
from vigilant.cases.breakdown import AGE_BANDS, UNKNOWN_AGE, band_of, operation_breakdown
from vigilant.cases.errors import RecordNotFoundError
from vigilant.cases.figures import operation_figures
from vigilant.cases.models import Distribution, PersonRole
from vigilant.cases.people import add_person
from vigilant.cases.process import lay_charge
from vigilant.cases.service import open_case
from vigilant.security.errors import PermissionDenied
from vigilant.store import Database

OFFENCE = date(2024, 2, 1)


def test_breakdown_counts_sections_and_age_bands(db: Database) -> None:
    w = world(db)
    pp = actor(w.coordinator)
    case = open_case(
        db, pp, number="1", title="a", operation="OP-1", distribution=Distribution.AGENCY_ONLY
    ).id

    def person(name: str, born: date | None) -> int:
        return add_person(
            db, pp, case, given_names=name, surname="Tester", role=PersonRole.SUSPECT, date_of_birth=born
        ).id

    youth = person("Youth", date(2006, 3, 1))  # 17 on the offence date
    adult = person("Adult", date(1980, 5, 1))  # 43
    eighteen = person("Eighteen", date(2006, 2, 1))  # 18 that very day
    unknown = person("Unknown", None)
    for who, code in [
        (youth, "cp-accessing"),
        (adult, "cp-possessing"),
        (adult, "cp-distributing"),
        (eighteen, "cp-possessing"),
        (unknown, "luring"),
    ]:
        lay_charge(db, pp, case, who, offence_code=code, offence_from=OFFENCE, laid_on=OFFENCE)

    found = operation_breakdown(db, pp, "OP-1")
    assert found.charges_by_section == (("163.1(4)", 2), ("163.1(3)", 1), ("163.1(4.1)", 1), ("172.1", 1))
    bands = {b.label: b for b in found.persons_by_age}
    assert bands["under 18"].count == 1
    assert bands["under 18"].youth
    assert bands["18–24"].count == 1
    assert not bands["18–24"].youth
    assert bands["35–44"].count == 1
    assert bands[UNKNOWN_AGE].count == 1
    assert [b.label for b in found.persons_by_age][: len(AGE_BANDS)] == [label for label, _, _ in AGE_BANDS]
    figures = operation_figures(db, pp, "OP-1", as_of=date(2024, 7, 1))
    assert bands["under 18"].count == figures.youths_charged
    assert sum(b.count for b in found.persons_by_age) == figures.persons_charged


def test_empty_operation_has_empty_bands(db: Database) -> None:
    w = world(db)
    found = operation_breakdown(db, actor(w.partner), w.operation)
    assert found.charges_by_section == ()
    assert all(b.count == 0 for b in found.persons_by_age)
    assert UNKNOWN_AGE not in {b.label for b in found.persons_by_age}


def test_breakdown_is_guarded_like_the_figures(db: Database) -> None:
    w = world(db)
    with pytest.raises(RecordNotFoundError):
        operation_breakdown(db, actor(w.outsider), w.operation)
    with pytest.raises(PermissionDenied):
        operation_breakdown(db, actor(w.coordinator, "auditor"), w.operation)


@pytest.mark.parametrize(
    ("age", "band"),
    [(11, "under 18"), (17, "under 18"), (18, "18–24"), (64, "55–64"), (65, "65+"), (-1, "under 18")],
)
def test_band_edges(age: int, band: str) -> None:
    assert band_of(age) == band
