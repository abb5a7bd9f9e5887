"""The sweep's stored statuses (issue 15): the due list, the dashboard and the alert queue read them; what
changed since the sweep is computed on the spot; a killed sweep resumes to the same rows. Both engines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.registry.helpers import officer, registrant, write_jsonl
from tests.registry.test_work import AS_OF, RULES, _world
from vigilant.registry import alerts, service, work
from vigilant.registry.compliance import Status
from vigilant.registry.importer import import_registrants
from vigilant.registry.models import RegistrantRow, RegistrantStatusRow, ReportKind
from vigilant.registry.statuses import computed, statuses
from vigilant.registry.sweep import sweep
from vigilant.security.audit import verify_chain
from vigilant.store import Database


def _rows(db: Database) -> dict[str, tuple[str, date, date | None, str | None]]:
    with db.session() as s:
        query = select(
            RegistrantRow.registry_number,
            RegistrantStatusRow.status,
            RegistrantStatusRow.as_of,
            RegistrantStatusRow.next_due,
            RegistrantStatusRow.rule,
        ).join(RegistrantRow, RegistrantRow.id == RegistrantStatusRow.registrant_id)
        return {number: (status, as_of, due, rule) for number, status, as_of, due, rule in s.execute(query)}


def _due(db: Database, opp: int) -> list[tuple[str, Status]]:
    return [
        (x.registry_number, x.compliance.status)
        for x in service.due(db, officer(opp), rules=RULES, as_of=AS_OF)
    ]


def test_the_sweep_stores_each_status_and_the_due_list_reads_them(db: Database, tmp_path: Path) -> None:
    opp, _ = _world(db, tmp_path)
    computed_before = _due(db, opp)
    assert computed_before == [("NS-D", Status.NON_COMPLIANT), ("ON-B", Status.NON_COMPLIANT)]
    assert service.basis(db, rules=RULES, as_of=None, today=date(2021, 5, 1)).label == (
        "computed as of 2021-05-01"
    )
    sweep(db, officer(opp), rules=RULES, as_of=AS_OF)
    rows = _rows(db)
    assert rows["ON-B"] == ("non_compliant", AS_OF, date(2021, 3, 10), "federal-2011/annual-report")
    assert rows["ON-C"][0] == "order_ended"
    assert set(rows) == {"ON-A", "ON-B", "ON-C", "NS-D"}
    chosen = service.basis(db, rules=RULES, as_of=None, today=date(2021, 5, 1))
    assert (chosen.as_of, chosen.label) == (AS_OF, "as of the sweep of 2021-04-01")
    assert _due(db, opp) == computed_before  # the same answer, from the table

    # Proof that the listing reads the table: a row altered behind the service's back is what it shows.
    with db.session() as s:
        s.execute(update(RegistrantStatusRow).values(status="due_soon", reason="altered"))
    assert sorted(_due(db, opp)) == [(n, Status.DUE_SOON) for n in ("NS-D", "ON-A", "ON-B", "ON-C")]
    counts = {r.office: r.counts for r in service.dashboard(db, officer(opp), rules=RULES, as_of=AS_OF)}
    assert (counts["OPP"]["due_soon"], counts["HRP"]["due_soon"]) == (3, 1)
    # A day no sweep covers is computed, as it always was.
    assert [
        x.registry_number for x in service.due(db, officer(opp), rules=RULES, as_of=date(2021, 4, 2))
    ] == [
        "NS-D",
        "ON-B",
    ]


def test_a_report_after_the_sweep_changes_that_line_at_once(db: Database, tmp_path: Path) -> None:
    opp, _ = _world(db, tmp_path)
    keeper = officer(opp)
    sweep(db, keeper, rules=RULES, as_of=AS_OF)
    queue = alerts.queue(db, keeper, rules=RULES, today=date(2021, 5, 1))
    assert [(a.registry_number, a.registrant_status, a.status_as_of) for a in queue] == [
        ("ON-B", "non_compliant", AS_OF)
    ]
    work.record_report(db, keeper, "ON-B", kind=ReportKind.ANNUAL, reported_on=date(2021, 3, 31))
    assert "ON-B" not in _rows(db)  # what the sweep said of ON-B is gone with the change
    assert _due(db, opp) == [("NS-D", Status.NON_COMPLIANT)]  # ON-B recomputed on the spot: complied late
    with db.session() as s:
        found = statuses(s, RULES, AS_OF)
    assert (found.swept, found.recomputed) == (True, 1)
    assert found.basis == "as of the sweep of 2021-04-01; 1 changed since, recomputed"
    queue = alerts.queue(db, keeper, rules=RULES, today=date(2021, 5, 1))
    assert [(a.registry_number, a.registrant_status) for a in queue] == [("ON-B", "compliant")]


def test_a_killed_sweep_resumes_to_the_rows_of_one_never_interrupted(db: Database, tmp_path: Path) -> None:
    opp, _ = _world(db, tmp_path)
    keeper = officer(opp)

    def killed(done: int, total: int) -> None:
        raise KeyboardInterrupt  # the process dies after its first batch committed

    with pytest.raises(KeyboardInterrupt):
        sweep(db, keeper, rules=RULES, as_of=AS_OF, batch=3, progress=killed)
    assert len(_rows(db)) == 3  # the first batch's statuses committed with its checkpoint
    assert service.basis(db, rules=RULES, as_of=AS_OF, today=AS_OF).swept is False  # not finished: computed
    sweep(db, keeper, rules=RULES, as_of=AS_OF, batch=3)
    with db.session() as s:
        ids = list(s.scalars(select(RegistrantRow.id)))
        expected = computed(s, RULES, AS_OF, ids)
        stored = statuses(s, RULES, AS_OF)
    assert stored.recomputed == 0
    assert {
        rid: (c.status, c.next_due, c.rule, c.reason, c.order_ends_on)
        for rid, c in stored.by_registrant.items()
    } == {rid: (c.status, c.next_due, c.rule, c.reason, c.order_ends_on) for rid, c in expected.items()}


def test_an_import_after_the_sweep_drops_only_the_registrants_it_changed(
    db: Database, tmp_path: Path
) -> None:
    opp, _ = _world(db, tmp_path)
    keeper = officer(opp)
    sweep(db, keeper, rules=RULES, as_of=AS_OF)
    initial = [{"kind": "initial", "reported_on": "2020-03-10", "officer": "Cst. A"}]
    late = [*initial, {"kind": "annual", "reported_on": "2021-03-31", "officer": "Cst. A"}]
    again = [
        registrant("ON-B", surname="Baker", reports=late),
        registrant("ON-A", surname="Able", reports=initial),
    ]
    report = import_registrants(db, keeper, write_jsonl(tmp_path / "again.jsonl", *again))
    assert (report.updated, report.unchanged) == (1, 1), report  # ON-A: a report it already has, nothing new
    assert set(_rows(db)) == {"ON-A", "ON-C", "NS-D"}  # ON-B's row went with its change
    assert _due(db, opp) == [("NS-D", Status.NON_COMPLIANT)]
    assert verify_chain(db).ok
