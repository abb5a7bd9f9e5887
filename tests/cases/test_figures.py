"""Operation figures against numbers counted by hand on a small generated operation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.cases.helpers import actor, world
from vigilant.cases.errors import RecordNotFoundError
from vigilant.cases.figures import operation_figures
from vigilant.cases.links import link_identifier
from vigilant.cases.models import Distribution, PersonRole, ProcessKind
from vigilant.cases.people import add_person, record_victim
from vigilant.cases.process import (
    DeviceSeized,
    add_legal_process,
    lay_charge,
    record_execution,
    record_seizure,
)
from vigilant.cases.service import open_case
from vigilant.evidence.models import EvidenceItemRow
from vigilant.store import Database

OFFENCE = date(2024, 2, 1)
LAID = date(2024, 3, 1)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_figures_are_counted_from_the_records(db: Database) -> None:
    w = world(db)
    pp, bps = actor(w.coordinator), actor(w.partner)
    # Figures count every case of the operation, even one its owner keeps to itself.
    c1 = open_case(db, pp, number="1", title="a", operation="OP-1", distribution=Distribution.AGENCY_ONLY).id
    c2 = open_case(db, bps, number="2", title="b", operation="OP-1", distribution=Distribution.OPERATION).id
    other = open_case(db, pp, number="3", title="not in the operation").id

    def person(case: int, who: object, name: str, dob: date | None, town: str | None) -> int:
        caller = bps if case == c2 else pp
        return add_person(
            db,
            caller,
            case,
            given_names=name,
            surname="Tester",
            role=PersonRole.SUSPECT,
            date_of_birth=dob,
            municipality=town,
        ).id

    adult = person(c1, pp, "Adult", date(1980, 5, 1), "Barrie")  # 44 on 2024-07-01: the oldest
    youth = person(c1, pp, "Youth", date(2006, 3, 1), "Orillia")  # 17 on the offence date
    eighteen = person(c2, bps, "Eighteen", date(2006, 2, 1), "Barrie")  # 18 that very day: an adult
    unknown = person(c2, bps, "Unknown", None, None)
    for case, caller, who, code in [
        (c1, pp, adult, "cp-possessing"),
        (c1, pp, adult, "cp-distributing"),
        (c1, pp, youth, "cp-accessing"),
        (c2, bps, eighteen, "luring"),
        (c2, bps, unknown, "cp-possessing"),
    ]:
        lay_charge(db, caller, case, who, offence_code=code, offence_from=OFFENCE, laid_on=LAID)
    outsider_case_person = person(other, pp, "Elsewhere", date(1950, 1, 1), "Halifax")
    lay_charge(db, pp, other, outsider_case_person, offence_code="luring", offence_from=OFFENCE, laid_on=LAID)

    for case, caller, executed in [(c1, pp, True), (c2, bps, True), (c2, bps, False)]:
        warrant = add_legal_process(
            db,
            caller,
            case,
            kind=ProcessKind.SEARCH_WARRANT,
            target="a house",
            issued_at=_at(LAID),
            issued_by_court="OCJ",
            issued_by_judge="J. Justice",
        )
        if executed:
            record_execution(db, caller, warrant.id, executed_at=_at(LAID), where="Barrie", by="ERT")
    add_legal_process(
        db, pp, c1, kind=ProcessKind.PRESERVATION_DEMAND, target="an ISP", issued_at=_at(OFFENCE)
    )

    with db.session() as s:
        item = EvidenceItemRow(
            label="laptop",
            source_type="raw",
            path="/evidence/laptop.dd",
            size=1,
            hashes={},
            added_at=_at(LAID),
            added_by="t",
        )
        s.add(item)
    record_seizure(
        db,
        pp,
        c1,
        seized_at=_at(LAID),
        where="Barrie",
        by="ERT",
        devices=[
            DeviceSeized("laptop", serial="c02 x", evidence_item_id=item.id),
            DeviceSeized("phone"),
            DeviceSeized("USB key"),
        ],
    )
    record_seizure(
        db, bps, c2, seized_at=_at(LAID), where="Barrie", by="ERT", devices=[DeviceSeized("tablet")]
    )

    v1 = person(c1, pp, "Victim1", date(2012, 1, 1), None)
    v2 = person(c2, bps, "Victim2", date(2013, 1, 1), None)
    v3 = person(c2, bps, "Victim3", date(2014, 1, 1), None)
    record_victim(db, pp, c1, v1, identified_on=LAID, safeguarded_on=LAID)
    record_victim(db, bps, c2, v2, identified_on=LAID)
    record_victim(db, bps, c2, v3, referred_on=LAID, referred_to="Child advocacy centre")

    for case, caller, ip, day in [
        (c1, pp, "203.0.113.1", date(2024, 2, 1)),
        (c1, pp, "::ffff:203.0.113.1", date(2024, 2, 2)),  # the same subscriber address, written as IPv6
        (c2, bps, "198.51.100.7", date(2024, 6, 30)),  # last day of the operation: inside
        (c2, bps, "2001:db8::1", date(2024, 1, 1)),
        (c2, bps, "198.51.100.8", date(2023, 12, 31)),  # before the operation: outside the window
        (other, pp, "192.0.2.5", date(2024, 2, 1)),  # not the operation's case
    ]:
        link_identifier(db, caller, case, "ip", ip, observed_at=_at(day))

    f = operation_figures(db, bps, "OP-1", as_of=date(2024, 7, 1))
    assert (f.cases, f.charges, f.persons_charged, f.youths_charged) == (2, 5, 4, 1)
    assert (f.oldest_accused_age, f.charged_without_birth_date) == (44, 1)
    assert (f.warrants_executed, f.devices_seized) == (2, 4)
    assert (f.victims_identified, f.victims_safeguarded, f.victims_referred) == (2, 1, 1)
    assert f.unique_ips == 3
    assert f.municipalities == ("Barrie", "Orillia")
    assert f.as_dict()["ip_window_end"] == "2024-07-01T00:00:00+00:00"
    narrow = (datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 2, 3, tzinfo=UTC))
    assert operation_figures(db, pp, "OP-1", as_of=date(2024, 7, 1), ip_window=narrow).unique_ips == 1
    with pytest.raises(RecordNotFoundError):
        operation_figures(db, actor(w.outsider), "OP-1")
