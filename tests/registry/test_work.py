"""Registry work on both engines: show and due lists, reports, verifications, alerts, the sweep, access."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.registry.helpers import officer, offices, registrant, write_jsonl
from vigilant.registry import alerts, service, work
from vigilant.registry.compliance import Status
from vigilant.registry.errors import RegistryError
from vigilant.registry.importer import import_registrants
from vigilant.registry.models import (
    AddressKind,
    AlertOutcome,
    AlertStatus,
    Regime,
    ReportKind,
    VerificationOutcome,
)
from vigilant.registry.rules import rule_set
from vigilant.registry.sweep import sweep
from vigilant.security.errors import PermissionDenied
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Role
from vigilant.store import Database

RULES = rule_set(Regime.FEDERAL)
AS_OF = date(2021, 4, 1)  # the 2021-03-10 anniversary's window closed on 25 March


def _world(db: Database, tmp_path: Path) -> tuple[int, int]:
    opp, hrp = offices(db)
    initial = [{"kind": "initial", "reported_on": "2020-03-10", "officer": "Cst. A"}]
    annual = [*initial, {"kind": "annual", "reported_on": "2021-03-08", "officer": "Cst. A"}]
    ended = {"regime": "federal", "term": "10y", "starts_on": "2010-01-01"}
    people: list[dict[str, Any]] = [
        registrant("ON-A", surname="Able", reports=annual),
        registrant("ON-B", surname="Baker", reports=initial),
        registrant("ON-C", surname="Cole", orders=[ended], reports=initial),
        registrant("NS-D", surname="Dane", office="HRP", reports=initial, addresses=[]),
    ]
    report = import_registrants(db, officer(opp), write_jsonl(tmp_path / "r.jsonl", *people))
    assert report.created == 4, report.refused
    return opp, hrp


def _audit(db: Database, object_type: str) -> list[AuditEventRow]:
    with db.session() as s:
        return list(s.scalars(select(AuditEventRow).where(AuditEventRow.object_type == object_type)))


def test_show_computes_status_and_timeline_and_is_audited(db: Database, tmp_path: Path) -> None:
    opp, _ = _world(db, tmp_path)
    view = service.show(db, officer(opp), "ON-B", rules=RULES, as_of=AS_OF)
    assert view.summary.compliance.status is Status.NON_COMPLIANT
    assert view.summary.compliance.rule == "federal-2011/annual-report"
    assert view.summary.area == "Orillia"
    assert {e.kind for e in view.timeline} >= {"address", "report", "order"}
    assert service.show(
        db, officer(opp), "ON-A", rules=RULES, as_of=AS_OF
    ).summary.compliance.next_due == date(2022, 3, 10)
    reads = [e for e in _audit(db, "registrant") if e.action == "record.read"]
    assert len(reads) == 2


def test_an_investigator_needs_a_purpose_and_others_are_refused(db: Database, tmp_path: Path) -> None:
    opp, _ = _world(db, tmp_path)
    detective = officer(opp, Role.INVESTIGATOR)
    with pytest.raises(PermissionDenied, match="needs its purpose"):
        service.show(db, detective, "ON-B", rules=RULES, as_of=AS_OF)
    service.show(
        db, detective, "ON-B", rules=RULES, as_of=AS_OF, purpose="case 24-113: suspect identification"
    )
    assert any("purpose: case 24-113" in str(e.detail) for e in _audit(db, "registrant"))
    for role in (Role.EXAMINER, Role.ANALYST, Role.AUDITOR, Role.VERIFIER):
        with pytest.raises(PermissionDenied):
            service.show(db, officer(opp, role), "ON-B", rules=RULES, as_of=AS_OF, purpose="a good reason")


def test_a_verifier_records_verifications_only(db: Database, tmp_path: Path) -> None:
    opp, _ = _world(db, tmp_path)
    verifier = officer(opp, Role.VERIFIER)
    sheet = work.verification_sheet(db, verifier, "ON-B", as_of=AS_OF)
    assert [a.line for a in sheet.addresses] == ["12 Example St"]  # the employer only from May
    main = next(a for a in sheet.addresses if a.kind == "main")
    work.record_verification(
        db, verifier, "ON-B", address_id=main.id, verified_on=date(2021, 3, 30),
        outcome=VerificationOutcome.CONFIRMED, notes="spoke with the registrant",
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        work.record_report(db, verifier, "ON-B", kind=ReportKind.ANNUAL, reported_on=date(2021, 3, 30))
    other = work.verification_sheet(db, verifier, "ON-A", as_of=AS_OF).addresses[0].id
    with pytest.raises(RegistryError, match="has no address"):
        work.record_verification(
            db, verifier, "ON-B", address_id=other, verified_on=date(2021, 3, 30),
            outcome=VerificationOutcome.CONFIRMED,
        )  # fmt: skip
    view = service.show(db, officer(opp), "ON-B", rules=RULES, as_of=AS_OF)
    assert any(e.kind == "verification" and "confirmed" in e.text for e in view.timeline)


def test_a_late_report_and_a_move_change_the_status(db: Database, tmp_path: Path) -> None:
    opp, _ = _world(db, tmp_path)
    keeper = officer(opp)
    work.record_report(db, keeper, "ON-B", kind=ReportKind.ANNUAL, reported_on=date(2021, 3, 31))
    assert (
        service.show(db, keeper, "ON-B", rules=RULES, as_of=AS_OF).summary.compliance.status
        is Status.COMPLIANT
    )
    work.record_move(
        db, keeper, "ON-B", kind=AddressKind.MAIN, line="7 Other Ave", municipality="Barrie",
        valid_from=date(2021, 3, 20), reported_on=None,
    )  # fmt: skip
    view = service.show(db, keeper, "ON-B", rules=RULES, as_of=AS_OF)
    assert (view.summary.compliance.status, view.summary.area) == (Status.NON_COMPLIANT, "Barrie")
    assert view.summary.compliance.rule == "federal-2011/residence-change"
    assert [a.valid_to for a in view.addresses if a.kind == "main"] == [date(2021, 3, 20), None]


def test_due_lists_the_non_compliant_and_due_soon(db: Database, tmp_path: Path) -> None:
    opp, _ = _world(db, tmp_path)
    listed = service.due(db, officer(opp), rules=RULES, as_of=AS_OF)
    assert [(x.registry_number, x.compliance.status) for x in listed] == [
        ("NS-D", Status.NON_COMPLIANT),
        ("ON-B", Status.NON_COMPLIANT),
    ]
    assert [
        x.registry_number for x in service.due(db, officer(opp), rules=RULES, as_of=AS_OF, office="HRP")
    ] == ["NS-D"]
    counts = {
        (r.area, r.office): r.counts for r in service.dashboard(db, officer(opp), rules=RULES, as_of=AS_OF)
    }
    assert counts["Orillia", "OPP"] == {"compliant": 1, "due_soon": 0, "non_compliant": 1, "order_ended": 1}
    assert counts[service.UNKNOWN_AREA, "HRP"]["non_compliant"] == 1


def test_a_killed_sweep_resumes_to_the_same_alerts(db: Database, tmp_path: Path) -> None:
    opp, hrp = _world(db, tmp_path)
    keeper = officer(opp)
    seen: list[tuple[int, int]] = []

    def killed(done: int, total: int) -> None:
        seen.append((done, total))
        raise KeyboardInterrupt  # the process dies after its first batch committed

    with pytest.raises(KeyboardInterrupt):
        sweep(db, keeper, rules=RULES, as_of=AS_OF, batch=2, progress=killed)
    assert seen == [(2, 4)]
    state = sweep(db, keeper, rules=RULES, as_of=AS_OF, batch=2)
    assert (state.status, state.done, state.total) == ("finished", 4, 4)
    assert (state.compliant, state.non_compliant, state.order_ended, state.alerts_raised) == (1, 2, 1, 2)
    assert sweep(db, keeper, rules=RULES, as_of=AS_OF) == state  # the day is swept: the same answer

    queue = alerts.queue(db, keeper)
    assert [(a.registry_number, a.key, a.status) for a in queue] == [
        ("ON-B", "annual-report:2021-03-10", "open")
    ]
    assert [a.registry_number for a in alerts.queue(db, officer(hrp))] == ["NS-D"]
    later = sweep(db, keeper, rules=RULES, as_of=date(2021, 4, 2))
    assert later.alerts_raised == 0  # the same missed anniversary: no second alert

    alert = queue[0].id
    with pytest.raises(RegistryError):
        alerts.assign(db, officer(hrp), alert, to="Cst. Other")  # another office's alert: not found
    alerts.assign(db, keeper, alert, to="Cst. Example")
    with pytest.raises(RegistryError, match="reference"):
        alerts.close(db, keeper, alert, outcome=AlertOutcome.WARRANT_REQUESTED)
    alerts.close(db, keeper, alert, outcome=AlertOutcome.WARRANT_REQUESTED, warrant_reference="W-2021-77")
    closed = alerts.queue(db, keeper, status=AlertStatus.CLOSED)
    assert [(a.outcome, a.warrant_reference) for a in closed] == [("warrant_requested", "W-2021-77")]
