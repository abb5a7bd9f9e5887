"""The demo's generated registry, and the registry never reaching a public release."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.cases.helpers import actor, flagged_world
from tests.registry.helpers import officer, registrant, write_jsonl
from vigilant.cases.release import build_release
from vigilant.registry import demo_data, service
from vigilant.registry.compliance import Status
from vigilant.registry.exporter import export_text
from vigilant.registry.importer import import_registrants
from vigilant.registry.models import Regime
from vigilant.registry.rules import rule_set
from vigilant.store import Database

AS_OF = date(2026, 3, 2)


def test_the_generated_registry_has_every_status_and_is_repeatable(db: Database, tmp_path: Path) -> None:
    coordinator, *_ = flagged_world(db)  # the agency PP serves Orillia
    places = {"PP": (("Orillia", 44.6082, -79.4197), ("Midland", 44.7501, -79.8863))}
    made = demo_data.generate(db, officer(coordinator), count=80, as_of=AS_OF, places=places)
    assert (made.report.created, made.report.refused) == (80, [])
    found = service.due(
        db, officer(coordinator), rules=rule_set(Regime.FEDERAL), as_of=AS_OF, statuses=list(Status)
    )
    counts = {st: sum(1 for x in found if x.compliance.status is st) for st in Status}
    assert counts[Status.NON_COMPLIANT] >= 4, counts  # about one in eight missed a report or a move
    assert counts[Status.COMPLIANT] + counts[Status.DUE_SOON] >= 40, counts
    again = list(demo_data.records(80, as_of=AS_OF, places=places))
    exported = [
        json.loads(line)
        for line in "".join(export_text(db, officer(coordinator), "jsonl", destination="t")).splitlines()
    ]
    assert [r.registry_number for r in again] == [r["registry_number"] for r in exported]
    assert again[0].model_dump(mode="json", exclude_none=True, exclude_defaults=True) == exported[0]


def test_registry_data_never_reaches_a_public_release(db: Database, tmp_path: Path) -> None:
    coordinator, _case, _accused, _victim = flagged_world(db)
    # The accused of the operation is also a registrant, under the same name and date of birth.
    same = registrant(
        "ON-SECRET-1", office="PP", surname="Tremblay", given_names="Alexis", date_of_birth="1975-04-02"
    )
    assert import_registrants(db, officer(coordinator), write_jsonl(tmp_path / "r.jsonl", same)).created == 1
    release = build_release(db, actor(coordinator), "OP-1", as_of=date(2024, 10, 1))
    everything = "\n".join([release.public_text, release.review_text, json.dumps(release.as_dict())])
    for registry_fact in (
        "ON-SECRET-1",
        "12 Example St",
        "Shadow_Fox",
        "Kasey",
        "D1234-56789-00000",
        "ABCD 123",
    ):
        assert registry_fact not in everything
