"""The lead package's grounds: what a production-order application needs, in plain language, each fact
citing the session-log record it rests on (issue 11, item 14).

A real observer session against a scripted peer on loopback, a known-bad set naming the torrent, a lead
built from the session, and its package read back as HTML text and PDF text (pypdf).
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.p2p.fake_peer import FakePeer, Script, make_v1
from vigilant.leads import service
from vigilant.leads.access import list_leads_for
from vigilant.leads.aggregate import Window
from vigilant.leads.package import build_package, verify_logs, write_package
from vigilant.library.models import HashSetRow, KnownFileRow
from vigilant.p2p.anchor import SessionEnd, record_session_end
from vigilant.p2p.confirm import ConfirmSettings
from vigilant.p2p.observer import SOFTWARE, Observer, ObserverSettings, StaticPeers
from vigilant.p2p.targets import TargetSpec
from vigilant.security.rights import Actor
from vigilant.store import Database

SET, VERSION, SERIES, ENTRY = "Synthetic Known Set", "2024.05", "Synthetic Series Alpha", "row 17 of list.csv"


def _library(db: Database, infohash: bytes) -> None:
    with db.session() as s:
        hash_set = HashSetRow(
            name=SET, version=VERSION, kind="known-bad", profile="vic-us", format="test",
            source_file="list.csv",
            source_sha256="0" * 64, source_size=0, imported_at=datetime(2024, 5, 1, tzinfo=UTC),
            imported_by="librarian",
        )  # fmt: skip
        s.add(hash_set)
        s.flush()
        s.add(KnownFileRow(hash_set_id=hash_set.id, btih_v1=infohash, category="1", series=SERIES,
                           file_name="x.bin", location=ENTRY))  # fmt: skip


def _text(html: str) -> str:
    return " ".join(unescape(html).split())


def _pdf(data: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.asyncio
async def test_the_package_states_its_grounds_each_citing_its_log_record(
    db: Database, tmp_path: Path
) -> None:
    content = make_v1()
    _library(db, content.infohash)
    settings = ObserverSettings(
        confirm=ConfirmSettings(connect_timeout=2.0, have_window=1.0, timeout=8.0),
        retries=0,
        operator="examiner-7",
        case_id="CASE-2024-17",
        library_version=f"{SET}@{VERSION}",
    )
    data = tmp_path / "data"

    def anchor(end: SessionEnd) -> None:
        record_session_end(db, Actor.cli("examiner-7"), end, now=datetime.now(UTC))

    async with FakePeer(content, Script()) as peer:
        result = await Observer(
            settings, data, [StaticPeers((("127.0.0.1", peer.port),))], on_end=anchor
        ).run([TargetSpec.from_torrent(content.torrent)])
    folder = data / "observations"
    now = datetime.now(UTC)
    service.build_leads(db, folder, Window(now + timedelta(minutes=1)), actor=Actor.cli("analyst"), now=now)
    [lead] = list_leads_for(db, Actor.cli("test")).leads
    log = result.log_path
    package = build_package(
        db, lead.key, folder, actor=Actor.cli("analyst"), exported_at=now,
        verification=verify_logs([log], db=db), logs=[log],
    )  # fmt: skip
    files = write_package(package, tmp_path / "pkg")

    records = [json.loads(line) for line in log.read_text().splitlines()]
    piece_record = next(r for r in records if r["kind"] == "observation" and r["method"] == "piece")
    [check] = piece_record["pieces_verified"]
    piece = content.piece(check["index"])
    assert check["digest"] == hashlib.sha1(piece).hexdigest()
    verified = next(r for r in records if r["kind"] == "piece_verified")
    have_all = next(r for r in records if r["kind"] == "recv" and r["msg"] == "have_all")
    cites = [  # the event's record (the piece verified) and the observation's, each by number and hash
        f"session {result.session_id}, record {verified['seq']} "
        f"(piece_verified, sha256 {verified['sha256']})",
        f"observation record {piece_record['seq']} (sha256 {piece_record['sha256']})",
        f"session {result.session_id}, record 0 (sha256 {records[0]['sha256']})",  # the session's start
        f"have-state record {have_all['seq']} (recv have_all, sha256 {have_all['sha256']})",
    ]
    clock = records[0]["clock_source"]

    grounds = package["grounds"]
    assert grounds
    assert all(g["cites"] for g in grounds)  # every fact names the record it rests on
    for text in (_text(files.html.read_text()), _pdf(files.pdf.read_bytes())):
        assert "Grounds" in text
        # which known material matched: set, version, entry, category, series, per infohash
        assert content.infohash.hex() in text
        for fact in (SET, VERSION, ENTRY, SERIES, "x.bin"):
            assert fact in text, fact
        assert "category 1" in text
        # who observed, with what, on which clock, for which case and lead
        for fact in ("examiner-7", "CASE-2024-17", SOFTWARE, f"lead {lead.key} (id {lead.id})"):
            assert fact in text, fact
        assert " ".join(clock.split()) in text
        # which piece was verified against which hash, citing the record
        assert f"piece {check['index']}" in text
        assert f"SHA-1 piece hash {check['digest']}" in text
        for cite in cites:
            assert cite in text, cite
        assert "matches the audit chain" in text
