"""The batch-wise sweep (issue 15) against the per-registrant path it replaced, on a generated registry with
years of missed reports and moves: the same alerts and statuses, on a first sweep, on a later day's sweep
that finds alerts already held (one of them closed), and when killed and resumed. Both engines."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.registry.helpers import officer, offices, registrant, write_jsonl
from tests.registry.test_work import RULES
from vigilant.registry.alerts import NON_COMPLIANCE, NewAlert, raise_alert, raise_alerts
from vigilant.registry.compliance import Status, add_years, compliance
from vigilant.registry.facts import load_facts
from vigilant.registry.importer import import_registrants
from vigilant.registry.models import AlertStatus, RegistrantRow, RegistrantStatusRow, RegistryAlertRow
from vigilant.registry.sweep import sweep
from vigilant.security.audit import verify_chain
from vigilant.store import Database

FIRST_DAY, LATER_DAY = date(2022, 6, 1), date(2025, 9, 15)
PEOPLE = 48
Snapshot = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _day(d: date) -> str:
    return d.isoformat()


def _person(rng: random.Random, i: int) -> dict[str, Any]:
    """One registrant: an order from 2008-2019, reports made for some anniversaries (in the window, late, or
    never: years of misses), moves reported in time, late or not at all; some without a first report."""
    starts = date(2008 + rng.randrange(12), 1 + rng.randrange(12), 1 + rng.randrange(28))
    term = rng.choice(["10y", "20y", "life"])
    orders = [{"regime": "federal", "term": term, "starts_on": _day(starts)}]
    office = rng.choice(["OPP", "HRP"])
    if rng.random() < 0.1:  # never reported: the initial report missed
        return registrant(
            f"G-{i:03}", surname=f"Gen{i}", office=office, orders=orders, reports=[], addresses=[]
        )
    first = starts + timedelta(days=rng.randrange(1, 10))
    reports = [{"kind": "initial", "reported_on": _day(first), "officer": "Cst. Gen"}]
    keeps = rng.randrange(0, 8)  # reports made for this many anniversaries, then (mostly) none
    for year in range(1, 18):
        anniversary = add_years(first, year)
        if anniversary > LATER_DAY:
            break
        if year <= keeps or rng.random() < 0.15:
            shift = rng.choice([-10, 0, 5, 14, 30, 90])  # 30 and 90: late, settles nothing on time
            reports.append({"kind": "annual", "reported_on": _day(anniversary + timedelta(days=shift)),
                            "officer": "Cst. Gen"})  # fmt: skip
    addresses = []
    for n in range(rng.randrange(0, 4)):
        moved = first + timedelta(days=rng.randrange(30, 5000))
        told = rng.choice([None, moved + timedelta(days=3), moved + timedelta(days=40)])
        addresses.append(
            {
                "kind": rng.choice(["main", "secondary"]),
                "line": f"{n} Generated Rd",
                "valid_from": _day(moved),
                "reported_on": _day(told) if told else None,
            }
        )
    return registrant(
        f"G-{i:03}", surname=f"Gen{i}", office=office, orders=orders, reports=reports, addresses=addresses
    )


def _registry(db: Database, tmp_path: Path) -> int:
    opp, _ = offices(db)
    rng = random.Random(15)
    people = [_person(rng, i) for i in range(PEOPLE)]
    report = import_registrants(db, officer(opp), write_jsonl(tmp_path / "gen.jsonl", *people))
    assert report.created == PEOPLE, report.refused
    return opp


def _snapshot(s: Session) -> Snapshot:
    alerts = s.execute(
        select(
            RegistryAlertRow.registrant_id, RegistryAlertRow.office_agency_id, RegistryAlertRow.kind,
            RegistryAlertRow.key, RegistryAlertRow.rule, RegistryAlertRow.due_on, RegistryAlertRow.raised_on,
            RegistryAlertRow.status, RegistryAlertRow.detail,
        ).order_by(RegistryAlertRow.registrant_id, RegistryAlertRow.key)
    )  # fmt: skip
    statuses = s.execute(
        select(
            RegistrantStatusRow.registrant_id, RegistrantStatusRow.as_of, RegistrantStatusRow.status,
            RegistrantStatusRow.next_due, RegistrantStatusRow.rule, RegistrantStatusRow.reason,
            RegistrantStatusRow.order_ends_on,
        ).order_by(RegistrantStatusRow.registrant_id)
    )  # fmt: skip
    return [tuple(r) for r in alerts], [tuple(r) for r in statuses]


class _Undo(Exception):
    """Rolls back the per-registrant path's writes, carrying what it found."""

    def __init__(self, found: tuple[Snapshot, int]) -> None:
        super().__init__("rolled back")
        self.found = found


def _one_by_one(db: Database, as_of: date) -> tuple[Snapshot, int]:
    """What the sweep did before batching, in a transaction rolled back: each registrant's facts and status
    read and computed, and its alerts raised, one at a time (:func:`raise_alert`, a read per alert). The
    alerts then held, every registrant's status, and the number of new alerts."""
    try:
        with db.session() as s:
            raise _Undo(_in_turn(s, as_of))
    except _Undo as undo:
        return undo.found


def _in_turn(s: Session, as_of: date) -> tuple[Snapshot, int]:
    statuses: list[tuple[Any, ...]] = []
    raised = 0
    for rid, office in s.execute(select(RegistrantRow.id, RegistrantRow.office_agency_id)).all():
        c = compliance(load_facts(s, [rid])[rid], RULES, as_of)
        if c.status is Status.NON_COMPLIANT:
            for missed in c.overdue:
                raised += raise_alert(
                    s, registrant_id=rid, office_agency_id=office, kind=NON_COMPLIANCE, key=missed.key,
                    raised_on=as_of, rule=missed.rule, due_on=missed.due_on,
                    detail={"deadline": missed.deadline.isoformat()},
                )  # fmt: skip
        statuses.append((rid, as_of, c.status.value, c.next_due, c.rule, c.reason, c.order_ends_on))
    s.flush()
    return (_snapshot(s)[0], sorted(statuses)), raised


def _batch_wise(db: Database) -> Snapshot:
    with db.session() as s:
        return _snapshot(s)


def test_the_batch_wise_sweep_raises_the_alerts_and_stores_the_statuses_of_the_one_by_one_path(
    db: Database, tmp_path: Path
) -> None:
    keeper = officer(_registry(db, tmp_path))
    expected, raised = _one_by_one(db, FIRST_DAY)
    done = sweep(db, keeper, rules=RULES, as_of=FIRST_DAY, batch=7)
    got = _batch_wise(db)
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert done.alerts_raised == raised == len(got[0])
    assert raised > PEOPLE  # the generated registry misses a lot: several alerts per registrant
    assert len({row[0] for row in got[0]}) > PEOPLE // 2
    assert done.non_compliant == sum(row[2] == "non_compliant" for row in got[1])

    # A later day: most deadlines are alerted already, one of them closed (never alerted again).
    with db.session() as s:
        first = s.scalars(select(RegistryAlertRow).order_by(RegistryAlertRow.id).limit(1)).one()
        first.status = AlertStatus.CLOSED.value
    expected, raised = _one_by_one(db, LATER_DAY)

    def killed(done: int, total: int) -> None:
        raise KeyboardInterrupt  # the process dies after its first batch committed

    with pytest.raises(KeyboardInterrupt):
        sweep(db, keeper, rules=RULES, as_of=LATER_DAY, batch=5, progress=killed)
    later = sweep(db, keeper, rules=RULES, as_of=LATER_DAY, batch=5)
    got = _batch_wise(db)
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert len(got[1]) == PEOPLE
    assert later.alerts_raised == raised > 0
    assert verify_chain(db).ok


def test_an_alert_raised_twice_in_one_batch_is_one_alert(db: Database, tmp_path: Path) -> None:
    _registry(db, tmp_path)
    with db.session() as s:
        rid, office = s.execute(select(RegistrantRow.id, RegistrantRow.office_agency_id).limit(1)).one()
        twice = NewAlert(rid, office, NON_COMPLIANCE, "annual-report:2020-01-01", FIRST_DAY)
        other = NewAlert(rid, office, NON_COMPLIANCE, "annual-report:2021-01-01", FIRST_DAY)
        assert raise_alerts(s, [twice, other, twice]) == 2
        assert raise_alerts(s, [other]) == 0
        s.execute(update(RegistryAlertRow).values(status=AlertStatus.CLOSED.value))
        assert raise_alerts(s, [twice]) == 0  # closed is still held: a deadline is alerted once
        keys = s.scalars(select(RegistryAlertRow.key).where(RegistryAlertRow.registrant_id == rid))
        assert sorted(keys) == ["annual-report:2020-01-01", "annual-report:2021-01-01"]
