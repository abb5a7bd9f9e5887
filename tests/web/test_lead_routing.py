"""A lead whose jurisdiction-table agency matches no agency reads 'unrouted', with the reason, on the lead's
pages and in the API: never 'routed to' a name no agency has (issue 11, item 15)."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.web.conftest import Clock, World, log_in
from vigilant.leads.models import LeadRow
from vigilant.security.rights import Role
from vigilant.store import Database

GHOST = "Nowhere Regional Police"
REASON = f"the jurisdiction table names '{GHOST}', which is no agency in Vigilant"


def test_an_unknown_routing_agency_reads_unrouted(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    with db.session() as s:  # as a build leaves it: the table's name kept, no agency id
        s.execute(
            update(LeadRow)
            .where(LeadRow.id == world.own_lead)
            .values(
                routed_to=GHOST, routed_agency_id=None, routing={"agency": GHOST, "reason": "no-jurisdiction"}
            )
        )
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    page = " ".join(unescape(client.get(f"/leads/{world.own_lead}").text).split())
    assert f"unrouted: {REASON}" in page
    queue = " ".join(unescape(client.get("/leads").text).split())
    assert "L-OWN-1" in queue
    assert "unrouted" in queue
    for text in (page, queue):
        assert f">{GHOST}<" not in text  # the name is never shown as where the lead went
    detail = client.get(f"/api/v1/leads/{world.own_lead}").json()
    assert (detail["routing_status"]["routed"], detail["routing_status"]["agency_id"]) == (False, None)
    assert detail["routing_status"]["text"].startswith(f"unrouted: {REASON}")
    listed = client.get("/api/v1/leads").json()["leads"]
    assert [lead["routing_status"]["routed"] for lead in listed] == [False]


def test_a_routed_lead_names_its_agency(client: TestClient, world: World, clock: Clock) -> None:
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    detail = client.get(f"/api/v1/leads/{world.own_lead}").json()
    assert detail["routing_status"]["routed"] is True
    assert detail["routing_status"]["agency_id"] == world.own_agency
    assert detail["routing_status"]["text"].startswith("routed to OPS")
