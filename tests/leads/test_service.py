"""Build, persist, rebuild, lifecycle, deconfliction and packages, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.leads.helpers import AS_OF, obs, peer, seed_library, write
from vigilant.leads import service
from vigilant.leads.aggregate import Window
from vigilant.leads.deconfliction import check, ip_day_key
from vigilant.leads.errors import TransitionError
from vigilant.leads.geo import GeoLocator
from vigilant.leads.jurisdiction import load_table
from vigilant.leads.lifecycle import JudicialAuthority, Status, check_transition
from vigilant.leads.package import build_package, render_html, to_json_bytes, write_package
from vigilant.p2p.observations import Tier
from vigilant.store import Database

NOW = AS_OF + timedelta(hours=1)
ORDER = JudicialAuthority("Ontario Court of Justice", "Justice A. Example", date(2024, 6, 3), "PO-2024-0042")
SECRET = b"s" * 32
HOSTILE = "<script>alert(1)</script>"  # a client name is whatever the suspect's software sends


def _observe(folder: Path) -> None:
    day = timedelta(days=1)
    write(folder, "session-1", [
        obs("192.0.2.1", AS_OF - 3 * day, 0, peer_id=peer(1), seeding=True, client=HOSTILE),
        obs("198.51.100.7", AS_OF - 2 * day, 1, peer_id=peer(1)),
        obs("203.0.113.9", AS_OF - day, 2, tier=Tier.ANNOUNCED),
    ])  # fmt: skip


def _build(db: Database, folder: Path, mmdb: Path, jurisdictions: Path) -> service.BuildReport:
    with GeoLocator([mmdb]) as geo:
        return service.build_leads(db, folder, Window(AS_OF), actor="analyst", now=NOW, geo=geo,
                                   jurisdictions=load_table(jurisdictions))  # fmt: skip


def test_build_persists_scored_routed_leads_and_a_rebuild_updates_them(
    db: Database, tmp_path: Path, mmdb: Path, jurisdictions: Path
) -> None:
    seed_library(db)
    _observe(tmp_path)
    report = _build(db, tmp_path, mmdb, jurisdictions)
    assert (report.leads, report.created, report.actionable) == (2, 2, 1)
    leads = service.list_leads(db)
    top = leads[0]
    assert [ip.ip for ip in top.ips] == ["192.0.2.1", "198.51.100.7"]  # joined by peer id
    assert (top.routed_to, top.routing["reason"]) == ("NCECC", "multi-jurisdiction")
    assert top.ips[0].geo["subdivision"] == "ON"
    assert top.geo_databases[0]["database_type"] == "Vigilant-Test-City-ISP"
    assert top.score == round(sum(f["contribution"] for f in top.explanation["factors"]), 4)
    assert (top.as_of, top.status) == (AS_OF, "new")
    foreign = leads[1]
    assert (foreign.actionable, foreign.routing["reason"]) == (False, "no-jurisdiction")

    service.assign(db, top.key, "OPP ICE", actor="coordinator", at=NOW)
    again = _build(db, tmp_path, mmdb, jurisdictions)
    assert (again.created, again.updated) == (0, 2)
    shown = service.get_lead(db, top.key)
    assert (shown.status, shown.agency) == ("assigned", "OPP ICE")
    assert [e.action for e in shown.events] == ["created", "assigned"]
    assert shown.events[1].actor == "coordinator"


def test_lifecycle_refuses_subscriber_steps_without_judicial_authority(
    db: Database, tmp_path: Path, mmdb: Path, jurisdictions: Path
) -> None:
    seed_library(db)
    _observe(tmp_path)
    _build(db, tmp_path, mmdb, jurisdictions)
    top, unconfirmed = service.list_leads(db)
    with pytest.raises(TransitionError, match="next step is assigned"):
        service.advance(db, top.key, Status.PRESERVATION_DEMAND, actor="inv", at=NOW)
    service.assign(db, top.key, "OPP ICE", actor="coord", at=NOW)
    service.advance(db, top.key, Status.PRESERVATION_DEMAND, actor="inv", at=NOW)
    with pytest.raises(TransitionError, match="production_order"):
        service.advance(db, top.key, Status.SUBSCRIBER_IDENTIFIED, actor="inv", at=NOW)
    with pytest.raises(TransitionError, match="judicial authority"):
        service.advance(db, top.key, Status.PRODUCTION_ORDER, actor="inv", at=NOW)
    service.advance(db, top.key, Status.PRODUCTION_ORDER, actor="inv", at=NOW, authority=ORDER)
    service.advance(db, top.key, Status.SUBSCRIBER_IDENTIFIED, actor="inv", at=NOW)
    row = service.get_lead(db, top.key)
    assert row.status == "subscriber_identified"
    order_event = next(e for e in row.events if e.to_status == "production_order")
    assert order_event.detail["authority"]["number"] == "PO-2024-0042"
    assert (order_event.actor, order_event.at) == ("inv", NOW)

    service.assign(db, unconfirmed.key, "RCMP", actor="coord", at=NOW)
    with pytest.raises(TransitionError, match="confirmed tier"):
        service.advance(db, unconfirmed.key, Status.PRESERVATION_DEMAND, actor="inv", at=NOW)
    service.advance(db, unconfirmed.key, Status.CLOSED, actor="inv", at=NOW, note="not confirmed")
    with pytest.raises(TransitionError, match="closed"):
        service.advance(db, unconfirmed.key, Status.PRESERVATION_DEMAND, actor="inv", at=NOW)


def test_subscriber_step_is_refused_even_when_the_history_lacks_the_order() -> None:
    with pytest.raises(TransitionError, match="R v Spencer"):
        check_transition(Status.PRODUCTION_ORDER, Status.SUBSCRIBER_IDENTIFIED, actionable=True, agency="A",
                         authority=None, production_order_on_file=False)  # fmt: skip


def test_deconfliction_reveals_the_claim_not_the_data(
    db: Database, tmp_path: Path, mmdb: Path, jurisdictions: Path
) -> None:
    seed_library(db)
    _observe(tmp_path)
    _build(db, tmp_path, mmdb, jurisdictions)
    top = service.list_leads(db)[0]
    hits, new = service.claim_lead(db, top.key, SECRET, agency="OPP ICE", actor="a", at=NOW)
    assert hits == []
    assert new == 3  # two (IP, day) subjects and one peer id
    hits, new = service.claim_lead(db, top.key, SECRET, agency="OPP ICE", actor="a", at=NOW)
    assert (hits, new) == ([], 0)  # own claims are not news; claiming again records nothing

    # Another agency holding one of the same subjects learns only who claimed it and when.
    other = check(db, [ip_day_key(SECRET, "198.51.100.7", (AS_OF - timedelta(days=2)).date())], agency="SQ")
    assert [(h.agency, h.claimed_at) for h in other] == [("OPP ICE", NOW)]
    shown = json.dumps([vars(h) for h in other], default=str)
    for secret_fact in ("198.51.100.7", "192.0.2.1", top.key, peer(1).hex(), '"a"'):
        assert secret_fact not in shown
    # A different secret (another federation) never matches.
    assert (
        check(db, [ip_day_key(b"t" * 32, "198.51.100.7", (AS_OF - timedelta(days=2)).date())], agency="SQ")
        == []
    )


def test_package_is_deterministic_complete_and_escaped(
    db: Database, tmp_path: Path, mmdb: Path, jurisdictions: Path
) -> None:
    seed_library(db)
    folder = tmp_path / "obs"
    _observe(folder)
    _build(db, folder, mmdb, jurisdictions)
    top = service.list_leads(db)[0]
    verification = {"status": "ok", "records": 3, "chain": "intact"}
    first = build_package(db, top.key, folder, exported_by="inv", exported_at=NOW, verification=verification)
    second = build_package(db, top.key, folder, exported_by="inv", exported_at=NOW, verification=verification)
    assert to_json_bytes(first) == to_json_bytes(second)
    assert [o["ip"] for o in first["observations"]] == ["192.0.2.1", "198.51.100.7"]
    assert first["observations"][0]["peer_id"] == peer(1).hex()
    assert first["log_verification"] == verification
    assert first["lead"]["explanation"]["factors"]
    json_path, html_path = write_package(first, tmp_path / "out")
    assert json_path.read_bytes() == to_json_bytes(first)
    html = html_path.read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Vigilant-Test-City-ISP" in html
    assert render_html(first) == render_html(second)
