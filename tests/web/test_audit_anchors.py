"""An auditor takes an anchor of the audit chain from the web (a file to keep elsewhere) and checks it."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.security.conftest import rewrite_chain
from tests.web.conftest import Clock, World, csrf, log_in
from vigilant.security.audit_anchor import Anchor
from vigilant.security.rights import Role
from vigilant.store import Database


def test_an_auditor_takes_an_anchor_and_the_api_checks_it(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    assert log_in(client, world.users[Role.AUDITOR], clock) == 303
    page = client.get("/audit")
    assert "Take an anchor" in page.text
    taken = client.post("/audit/anchor", data={"note": "court package", "csrf_token": csrf(client)})
    assert taken.status_code == 200
    assert taken.headers["content-disposition"].startswith('attachment; filename="vigilant-audit-anchor-')
    anchor = Anchor.from_json(json.loads(taken.text), "download")
    events = client.get("/api/v1/audit/events", params={"action": "audit.anchored"}).json()
    assert [(e["seq"], e["detail"]) for e in events] == [(anchor.seq, {"note": "court package"})]

    headers = {"X-CSRF-Token": csrf(client)}
    by_api = client.post("/api/v1/audit/anchors", json={}, headers=headers)
    assert by_api.status_code == 201
    assert by_api.json()["seq"] > anchor.seq
    held = client.post("/api/v1/audit/anchors/check", json=anchor.to_json(), headers=headers).json()
    assert held == {"seq": anchor.seq, "held": True, "problem": None}

    rewrite_chain(db, 1, "rewritten")
    broken = client.post("/api/v1/audit/anchors/check", json=anchor.to_json(), headers=headers).json()
    assert broken["held"] is False
    assert "rewritten at or before the anchored event" in broken["problem"]
    bad = client.post("/api/v1/audit/anchors/check", json={"format": "x"}, headers=headers)
    assert bad.status_code == 422
    assert "not a Vigilant audit anchor" in bad.text


def test_an_investigator_cannot_take_anchors(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    refused = client.post("/api/v1/audit/anchors", json={}, headers={"X-CSRF-Token": csrf(client)})
    assert refused.status_code == 403
