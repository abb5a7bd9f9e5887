"""The dashboard page's one computation (service.overview) answers what dashboard() and due() answer apart,
for registrants of every status and two offices, and is audited as the two reads it replaces. Both engines."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.registry.helpers import officer, offices, registrant, write_jsonl
from vigilant.registry import service
from vigilant.registry.importer import import_registrants
from vigilant.registry.rules import rule_set
from vigilant.security.models import AuditEventRow
from vigilant.store import Database

RULES = rule_set("federal")


def _report(day: str) -> dict[str, Any]:
    return {"kind": "annual", "reported_on": day, "officer": "Cst. A"}


def test_overview_equals_dashboard_and_due(db: Database, tmp_path: Path) -> None:
    orillia, halifax = offices(db)
    initial = {"kind": "initial", "reported_on": "2020-03-10", "officer": "Cst. A"}
    people = [
        registrant("ON-1", reports=[initial]),  # missed 2021-03-10: non-compliant on 2021-04-01
        registrant("ON-2", reports=[initial, _report("2021-03-09")]),  # compliant
        registrant("ON-3", first_report_on="2020-04-20", reports=[]),  # no report: first report overdue
        registrant("ON-4", first_report_on="2020-04-20", reports=[{**initial, "reported_on": "2020-04-20"}]),
        registrant(
            "NS-1",
            office="HRP",
            first_report_on="2020-04-25",
            reports=[{**initial, "reported_on": "2020-04-25"}],
        ),
        registrant("ON-5", orders=[{"regime": "federal", "term": "10y", "starts_on": "2000-01-01"}]),
    ]
    assert import_registrants(db, officer(orillia), write_jsonl(tmp_path / "r.jsonl", *people)).created == 6
    reader = officer(halifax)
    for day in (date(2021, 4, 1), date(2021, 4, 10), date(2030, 1, 1)):
        areas, due = service.overview(db, reader, rules=RULES, as_of=day)
        assert areas == service.dashboard(db, reader, rules=RULES, as_of=day)
        assert due == service.due(db, reader, rules=RULES, as_of=day)
    areas, due = service.overview(db, reader, rules=RULES, as_of=date(2021, 4, 10))
    statuses = {x.registry_number: x.compliance.status.value for x in due}
    assert statuses["ON-1"] == "non_compliant"
    assert statuses["ON-4"] == "due_soon"  # the anniversary 2021-04-20 is 10 days away
    assert "ON-2" not in statuses
    assert sum(a.total for a in areas) == 6
    with db.session() as s:
        kinds = [
            e.object_type
            for e in s.scalars(select(AuditEventRow).where(AuditEventRow.actor == reader.username))
        ]
    assert kinds.count("registry_dashboard") == 7  # 4 overviews and 3 dashboards
    assert kinds.count("registrant") == 7  # and as many due listings
