"""The lead package checks each session log against the audit chain's record of its end: a log rewritten
with every hash recomputed is intact on its own, and fails here, saying what differs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.p2p.test_session_anchor import rewrite
from vigilant.leads.package import verify_logs
from vigilant.p2p.anchor import SessionEnd, record_session_end
from vigilant.p2p.session_log import SessionLog, verify_log
from vigilant.security.rights import Actor
from vigilant.store import Database

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _session(folder: Path, db: Database, session_id: str) -> Path:
    log = SessionLog(folder / f"session-{session_id}.jsonl")
    log.append("session_start", session_id=session_id, software="test")
    log.append("recv", msg="handshake", ip="192.0.2.1")
    log.close()
    end = SessionEnd(session_id, log.path.name, log.records, log.last_sha256, None, None)
    record_session_end(db, Actor.cli("examiner"), end, now=NOW)
    return log.path


def test_logs_are_checked_against_the_audit_chain(db: Database, tmp_path: Path) -> None:
    kept = _session(tmp_path, db, "0001")
    edited = _session(tmp_path, db, "0002")
    original = verify_log(edited).final_sha256
    rewrite(edited, "192.0.2.1", "192.0.2.99")
    assert verify_log(edited).ok  # the chain alone cannot tell
    unknown = tmp_path / "other" / "session-0003.jsonl"
    unknown.parent.mkdir()
    log = SessionLog(unknown)
    log.append("session_start", session_id="0003")
    log.close()

    result = verify_logs([kept, edited, unknown], db=db)
    assert result is not None
    assert result["status"] == "verification-failed"
    first, second, third = result["logs"]
    assert first["ok"]
    assert first["anchor"]["status"] == "matches"
    assert not second["ok"]
    assert second["anchor"]["status"] == "differs"
    assert any(original in p and "rewritten" in p for p in second["problems"]), second["problems"]
    assert third["anchor"]["status"] == "missing"
    assert not third["ok"]
