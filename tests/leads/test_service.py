"""Build, persist, rebuild, lifecycle, deconfliction and packages, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.leads.helpers import AS_OF, btih, obs, peer, seed_agencies, seed_library, write
from vigilant.leads import service
from vigilant.leads.access import list_leads_for
from vigilant.leads.aggregate import Window
from vigilant.leads.deconfliction import check, ip_day_key
from vigilant.leads.errors import LeadInputError, TransitionError
from vigilant.leads.geo import GeoLocator
from vigilant.leads.jurisdiction import load_table
from vigilant.leads.lifecycle import JudicialAuthority, Status, check_transition
from vigilant.leads.models import DeconflictionClaimRow, LeadRow
from vigilant.leads.package import build_package, render_html, to_json_bytes, write_package
from vigilant.leads.package_pdf import pdf_text
from vigilant.library.models import KnownFileRow
from vigilant.p2p.observations import Tier
from vigilant.security.rights import Actor
from vigilant.store import Database

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
A_ACTOR = Actor.cli("a")
ANALYST = Actor.cli("analyst")
COORD = Actor.cli("coord")
COORDINATOR = Actor.cli("coordinator")
INV = Actor.cli("inv")


def _leads(db: Database, *, agency: str | None = None) -> list[LeadRow]:
    """The leads as `vigilant leads list` reads them, highest score first (the CLI's actor sees them all)."""
    return list_leads_for(db, Actor.cli("test"), agency=agency).leads


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
        return service.build_leads(db, folder, Window(AS_OF), actor=ANALYST, now=NOW, geo=geo,
                                   jurisdictions=load_table(jurisdictions))  # fmt: skip


def test_build_persists_scored_routed_leads_and_a_rebuild_updates_them(
    db: Database, tmp_path: Path, mmdb: Path, jurisdictions: Path
) -> None:
    seed_library(db)
    agencies = seed_agencies(db)
    _observe(tmp_path)
    report = _build(db, tmp_path, mmdb, jurisdictions)
    assert (report.leads, report.created, report.actionable) == (2, 2, 1)
    assert report.unknown_agencies == {}
    leads = _leads(db)
    top = leads[0]
    assert [ip.ip for ip in top.ips] == ["192.0.2.1", "198.51.100.7"]  # joined by peer id
    assert (top.routed_to, top.routing["reason"]) == ("NCECC", "multi-jurisdiction")
    assert top.routed_agency_id == agencies["NCECC"]  # the table's name matched the short name
    assert top.ips[0].geo["subdivision"] == "ON"
    assert top.geo_databases[0]["database_type"] == "Vigilant-Test-City-ISP"
    assert top.score == round(sum(f["contribution"] for f in top.explanation["factors"]), 4)
    assert (top.as_of, top.status) == (AS_OF, "new")
    foreign = leads[1]
    assert (foreign.actionable, foreign.routing["reason"]) == (False, "no-jurisdiction")

    service.assign(db, top.key, "opp", actor=COORDINATOR, at=NOW)  # by short name, any case
    again = _build(db, tmp_path, mmdb, jurisdictions)
    assert (again.created, again.updated) == (0, 2)
    shown = service.get_lead(db, top.key)
    assert (shown.status, shown.agency, shown.assigned_agency_id) == ("assigned", "OPP ICE", agencies["OPP"])
    assert shown.events[1].detail == {"agency": "OPP ICE", "agency_id": agencies["OPP"]}
    assert [e.action for e in shown.events] == ["created", "assigned"]
    assert shown.events[1].actor == "coordinator"


def test_lifecycle_refuses_subscriber_steps_without_judicial_authority(
    db: Database, tmp_path: Path, mmdb: Path, jurisdictions: Path
) -> None:
    seed_library(db)
    seed_agencies(db)
    _observe(tmp_path)
    _build(db, tmp_path, mmdb, jurisdictions)
    top, unconfirmed = _leads(db)
    with pytest.raises(TransitionError, match="next step is assigned"):
        service.advance(db, top.key, Status.PRESERVATION_DEMAND, actor=INV, at=NOW)
    service.assign(db, top.key, "OPP", actor=COORD, at=NOW)
    service.advance(db, top.key, Status.PRESERVATION_DEMAND, actor=INV, at=NOW)
    with pytest.raises(TransitionError, match="production_order"):
        service.advance(db, top.key, Status.SUBSCRIBER_IDENTIFIED, actor=INV, at=NOW)
    with pytest.raises(TransitionError, match="judicial authority"):
        service.advance(db, top.key, Status.PRODUCTION_ORDER, actor=INV, at=NOW)
    service.advance(db, top.key, Status.PRODUCTION_ORDER, actor=INV, at=NOW, authority=ORDER)
    service.advance(db, top.key, Status.SUBSCRIBER_IDENTIFIED, actor=INV, at=NOW)
    row = service.get_lead(db, top.key)
    assert row.status == "subscriber_identified"
    order_event = next(e for e in row.events if e.to_status == "production_order")
    assert order_event.detail["authority"]["number"] == "PO-2024-0042"
    assert (order_event.actor, order_event.at) == ("inv", NOW)

    service.assign(db, unconfirmed.key, "RCMP", actor=COORD, at=NOW)
    with pytest.raises(TransitionError, match="confirmed tier"):
        service.advance(db, unconfirmed.key, Status.PRESERVATION_DEMAND, actor=INV, at=NOW)
    service.advance(db, unconfirmed.key, Status.CLOSED, actor=INV, at=NOW, note="not confirmed")
    with pytest.raises(TransitionError, match="closed"):
        service.advance(db, unconfirmed.key, Status.PRESERVATION_DEMAND, actor=INV, at=NOW)


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
    top = _leads(db)[0]
    hits, new = service.claim_lead(db, top.key, SECRET, agency="OPP ICE", actor=A_ACTOR, at=NOW)
    assert hits == []
    assert new == 3  # two (IP, day) subjects and one peer id
    hits, new = service.claim_lead(db, top.key, SECRET, agency="OPP ICE", actor=A_ACTOR, at=NOW)
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
    top = _leads(db)[0]
    verification = {"status": "ok", "records": 3, "chain": "intact"}
    first = build_package(
        db, top.key, folder, actor=Actor.cli("inv"), exported_at=NOW, verification=verification
    )
    second = build_package(
        db, top.key, folder, actor=Actor.cli("inv"), exported_at=NOW, verification=verification
    )
    assert to_json_bytes(first) == to_json_bytes(second)
    assert [o["ip"] for o in first["observations"]] == ["192.0.2.1", "198.51.100.7"]
    assert first["observations"][0]["peer_id"] == peer(1).hex()
    assert first["log_verification"] == verification
    assert first["lead"]["explanation"]["factors"]
    json_path, html_path, _ = write_package(first, tmp_path / "out")
    assert json_path.read_bytes() == to_json_bytes(first)
    html = html_path.read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Vigilant-Test-City-ISP" in html
    assert render_html(first) == render_html(second)


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_pdf_package_is_deterministic_and_carries_the_key_facts(
    db: Database, tmp_path: Path, mmdb: Path, jurisdictions: Path
) -> None:
    seed_library(db)
    folder = tmp_path / "obs"
    day = timedelta(days=1)
    odd_client = "Клиент µTorrent\u202e\x07 2.0"  # Cyrillic, a Latin-1 µ, a bidi override, a bell
    write(folder, "session-1", [
        obs("192.0.2.1", AS_OF - 3 * day, 0, peer_id=peer(1), seeding=True, client=odd_client),
        obs("198.51.100.7", AS_OF - 2 * day, 1, peer_id=peer(1), client=HOSTILE),
    ])  # fmt: skip
    _build(db, folder, mmdb, jurisdictions)
    top = _leads(db)[0]
    verification = {"status": "verified", "logs": [{"log": "session-x.jsonl", "ok": True, "records": 42,
                    "pieces_checked": 1, "final_sha256": "ab" * 32, "problems": []}]}  # fmt: skip
    package = build_package(
        db, top.key, folder, actor=Actor.cli("inv"), exported_at=NOW, verification=verification
    )
    first = write_package(package, tmp_path / "one")
    second = write_package(
        build_package(
            db, top.key, folder, actor=Actor.cli("inv"), exported_at=NOW, verification=verification
        ),
        tmp_path / "two",
    )
    assert first.pdf.read_bytes() == second.pdf.read_bytes()  # byte-identical: no clock, no random id
    assert first.pdf.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(first.pdf)
    assert reader.metadata is not None
    assert reader.metadata.creation_date == NOW.replace(microsecond=0)  # from the package, not the clock
    text = _pdf_text(first.pdf.read_bytes())
    assert f"Lead {top.key}" in text
    assert "192.0.2.1" in text
    assert "198.51.100.7" in text
    assert "Vigilant-Test-City-ISP" in text
    assert "multi-jurisdiction" in text
    for factor in top.explanation["factors"]:
        assert factor["name"] in text
    assert f"Score {top.score}" in text
    assert "Status: verified" in text
    assert "intact" in text
    assert "created" in text  # the history
    assert f"Observations ({len(package['observations'])})" in text
    assert "<U+041A>" in text  # Cyrillic as code points, exactly recoverable
    assert "µTorrent" in text  # Latin-1 kept as it is
    assert "<U+202E>" in text  # the bidi override cannot reorder the page
    assert "\x07" not in text
    assert "<script>alert(1)</script>" in text  # a PDF has no markup to inject into: shown as text


def test_pdf_text_keeps_latin1_and_writes_the_rest_as_code_points() -> None:
    assert pdf_text("µTorrent é") == "µTorrent é"
    assert pdf_text("日本\x00\u200b") == "<U+65E5><U+672C><U+200B>"
    assert pdf_text(None) == ""


def _build_at(db: Database, folder: Path, as_of: datetime) -> service.BuildReport:
    return service.build_leads(db, folder, Window(as_of), actor=ANALYST, now=as_of + timedelta(hours=1))


def test_rebuild_keeps_the_lifecycle_and_records_evidence_history(db: Database, tmp_path: Path) -> None:
    seed_library(db)
    seed_agencies(db)
    day = timedelta(days=1)
    write(tmp_path, "s1", [obs("192.0.2.1", AS_OF - 3 * day, 0, peer_id=peer(1), tier=Tier.ANNOUNCED)])
    _build_at(db, tmp_path, AS_OF)
    [lead] = _leads(db)
    lead_id, first_key = lead.id, lead.key
    service.assign(db, first_key, "OPP", actor=COORD, at=NOW)
    service.claim_lead(db, first_key, SECRET, agency="OPP ICE", actor=COORD, at=NOW)

    _build_at(db, tmp_path, AS_OF)  # same evidence, same as-of: nothing to record
    assert [e.action for e in service.get_lead(db, first_key).events] == ["created", "assigned", "claimed"]

    # the same address confirmed: more observations, and the tier rises
    write(tmp_path, "s2", [obs("192.0.2.1", AS_OF - 2 * day, 1, peer_id=peer(1), seeding=True)])
    _build_at(db, tmp_path, AS_OF)
    row = service.get_lead(db, first_key)
    assert row.id == lead_id
    changed = row.events[-1]
    assert changed.action == "evidence_changed"
    assert changed.detail["tier_raised"] is True
    assert changed.detail["changes"]["tier"] == ["announced", "confirmed"]
    assert changed.detail["changes"]["observation_count"] == [1, 2]
    assert changed.detail["score"][1] > changed.detail["score"][0]

    # a second address joined by the same peer id: a new key, the same lead, its lifecycle intact
    write(tmp_path, "s3", [obs("198.51.100.7", AS_OF - day, 1, peer_id=peer(1))])
    report = _build_at(db, tmp_path, AS_OF)
    assert (report.created, report.updated) == (0, 1)
    [lead] = _leads(db)
    assert lead.id == lead_id
    assert lead.key != first_key
    assert [ip.ip for ip in lead.ips] == ["192.0.2.1", "198.51.100.7"]
    row = service.get_lead(db, lead.key)
    assert (row.status, row.agency) == ("assigned", "OPP ICE")
    rekeyed = next(e for e in row.events if e.action == "rekeyed")
    assert rekeyed.detail["from"] == first_key
    assert rekeyed.detail["ips_added"] == ["198.51.100.7"]
    assert row.events[-1].action == "evidence_changed"
    with db.session() as s:
        claims = s.scalars(select(DeconflictionClaimRow)).all()
        assert claims
        assert {c.lead_id for c in claims} == {lead_id}

    # later: the evidence is the same, only recency decayed — recorded once it moves the score enough
    _build_at(db, tmp_path, AS_OF + 20 * day)
    row = service.get_lead(db, lead.key)
    assert row.events[-1].action == "rescored"
    before, after = row.events[-1].detail["score"]
    assert before - after >= service.RESCORE_EVENT_MIN
    count = len(row.events)
    _build_at(db, tmp_path, AS_OF + 20 * day + timedelta(hours=1))  # a drift too small to be history
    assert len(service.get_lead(db, lead.key).events) == count


def test_a_lead_split_in_two_keeps_its_lifecycle_in_one(db: Database, tmp_path: Path) -> None:
    seed_library(db)
    seed_agencies(db)
    day = timedelta(days=1)
    write(tmp_path, "s1", [
        obs("192.0.2.1", AS_OF - 50 * day, 0, peer_id=peer(1)),  # the join: it leaves a 30-day window
        obs("192.0.2.1", AS_OF - 3 * day, 0, peer_id=peer(2)),
        obs("198.51.100.7", AS_OF - 2 * day, 1, peer_id=peer(1)),
    ])  # fmt: skip
    service.build_leads(db, tmp_path, Window(AS_OF, days=90), actor=A_ACTOR, now=NOW)
    [lead] = _leads(db)
    service.assign(db, lead.key, "OPP", actor=COORD, at=NOW)
    report = service.build_leads(db, tmp_path, Window(AS_OF, days=30), actor=A_ACTOR, now=NOW)
    assert (report.created, report.updated) == (1, 1)
    kept = service.get_lead(db, str(lead.id))
    assert kept.status == "assigned"
    assert [ip.ip for ip in kept.ips] in (["192.0.2.1"], ["198.51.100.7"])
    rekeyed = next(e for e in kept.events if e.action == "rekeyed")
    assert len(rekeyed.detail["ips_removed"]) == 1
    other = next(r for r in _leads(db) if r.id != lead.id)
    assert other.status == "new"


def test_build_scores_hands_on_markers_and_jurisdiction_confidence(
    db: Database, tmp_path: Path, mmdb: Path, jurisdictions: Path
) -> None:
    seed_library(db)
    with db.session() as s:
        flagged = s.scalars(select(KnownFileRow).where(KnownFileRow.btih_v1 == btih(0))).one()
        flagged.distributed, flagged.tags = False, ["first-hand"]
    _observe(tmp_path)
    _build(db, tmp_path, mmdb, jurisdictions)
    top = _leads(db)[0]
    factors = {f["name"]: f for f in top.explanation["factors"]}
    assert factors["hands_on"]["value"] == 1
    assert "not-distributed 1, tag:first-hand 1" in factors["hands_on"]["explanation"]
    assert factors["jurisdiction"]["value"] == 1.0  # both addresses: city + ISP, each routed
    assert "2 city+ISP" in factors["jurisdiction"]["explanation"]
    assert top.score == round(sum(f["contribution"] for f in top.explanation["factors"]), 4)


# --- agencies by id ----------------------------------------------------------------------------------------
def test_a_jurisdiction_name_matching_no_agency_is_reported_and_left_unrouted(
    db: Database, tmp_path: Path, mmdb: Path
) -> None:
    seed_library(db)
    agencies = seed_agencies(db)
    write(tmp_path, "s", [
        obs("192.0.2.1", AS_OF - timedelta(days=1), 0, peer_id=peer(1)),  # Ottawa in the synthetic MMDB
        obs("192.0.2.200", AS_OF - timedelta(days=1), 1, peer_id=peer(2)),  # Toronto
    ])  # fmt: skip
    table = tmp_path / "table.csv"
    table.write_text(
        "agency,priority,country,province,municipality,isp\n"
        "ottawa police ice,10,CA,ON,Ottawa,\nToronto Police ICE,10,CA,ON,Toronto,\n",
        encoding="utf-8",
    )
    report = _build(db, tmp_path, mmdb, table)
    assert report.unknown_agencies == {"Toronto Police ICE": 1}
    by_ip = {lead.ips[0].ip: lead for lead in _leads(db)}
    ottawa, toronto = by_ip["192.0.2.1"], by_ip["192.0.2.200"]
    assert (ottawa.routed_to, ottawa.routed_agency_id) == ("ottawa police ice", agencies["OTTAWA"])
    assert (toronto.routed_to, toronto.routed_agency_id) == ("Toronto Police ICE", None)  # kept as given
    assert [lead.id for lead in _leads(db, agency="ottawa")] == [ottawa.id]
    assert [lead.id for lead in _leads(db, agency="Ottawa Police ICE")] == [ottawa.id]
    with pytest.raises(LeadInputError, match="no agency Toronto Police ICE"):
        _leads(db, agency="Toronto Police ICE")


def test_assign_takes_an_id_or_a_short_name_and_refuses_unknown_agencies(
    db: Database, tmp_path: Path
) -> None:
    seed_library(db)
    agencies = seed_agencies(db)
    write(tmp_path, "s", [obs("192.0.2.1", AS_OF - timedelta(days=1), 0, peer_id=peer(1), seeding=True)])
    service.build_leads(db, tmp_path, Window(AS_OF), actor=A_ACTOR, now=NOW)
    [lead] = _leads(db)
    for unknown in ("Nowhere PD", "OPP ICE", "999999", ""):  # a full name is not a short name
        with pytest.raises(LeadInputError, match="no agency") as refused:
            service.assign(db, lead.key, unknown, actor=COORD, at=NOW)
        assert "OPP (" in (refused.value.hint or "")  # the refusal lists the agencies there are
    assert service.get_lead(db, lead.key).status == "new"
    service.assign(db, lead.key, str(agencies["SQ"]), actor=COORD, at=NOW)
    service.assign(db, lead.key, agencies["OPP"], actor=COORD, at=NOW)
    row = service.get_lead(db, lead.key)
    assert (row.agency, row.assigned_agency_id) == ("OPP ICE", agencies["OPP"])
    assert row.events[-1].detail == {
        "from": "Sûreté du Québec", "from_id": agencies["SQ"],
        "agency": "OPP ICE", "agency_id": agencies["OPP"],
    }  # fmt: skip
    with db.session() as s:
        assert s.get_one(LeadRow, lead.id).assigned_agency_id == agencies["OPP"]
