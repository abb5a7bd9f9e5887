"""Each observer session's final hash goes into the audit chain when the session ends; ``p2p verify`` and
the lead package check the log against it, so a log rewritten with every hash recomputed fails."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.p2p.fake_peer import FakePeer, Script, make_v1
from vigilant.cli import common
from vigilant.cli.p2p_cmd import app
from vigilant.p2p.session_log import canonical, record_hash
from vigilant.security.models import AuditEventRow


def _observe(tmp_path: Path, isolated_env: Path, peer_port: int) -> Path:
    torrent = tmp_path / "x.torrent"
    torrent.write_bytes(make_v1().torrent)
    args = ["observe", str(torrent), "--peer", f"127.0.0.1:{peer_port}", "--timeout", "5", "--pex-wait", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (log,) = (isolated_env / "observations").glob("session-*.jsonl")
    return log


def rewrite(log: Path, change: str, to: str) -> None:
    """Edit records, then recompute every record's hash and link: the chain is intact again."""
    records = [json.loads(line) for line in log.read_text().splitlines()]
    prev = "0" * 64
    for record in records:
        text = json.dumps(record)
        if change in text:
            record.update(json.loads(text.replace(change, to)))
        record["prev_sha256"] = prev
        record["sha256"] = record_hash(record)
        prev = record["sha256"]
    log.write_bytes(b"".join(canonical(r) + b"\n" for r in records))


@pytest.mark.asyncio
async def test_a_rewritten_log_fails_against_the_audit_chain(tmp_path: Path, isolated_env: Path) -> None:
    content = make_v1()
    async with FakePeer(content, Script()) as peer:
        log = await asyncio.to_thread(_observe, tmp_path, isolated_env, peer.port)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    session_id, final = records[0]["session_id"], records[-1]["sha256"]
    with common.database().session() as s:
        [event] = s.scalars(select(AuditEventRow).where(AuditEventRow.action == "p2p.session.ended")).all()
        assert (event.object_type, event.object_id) == ("p2p_session", session_id)
        assert event.detail["final_sha256"] == final
        assert event.detail["records"] == len(records)
        seq = event.seq
    runner = CliRunner()
    ok = runner.invoke(app, ["verify", str(log)])
    assert ok.exit_code == 0, ok.output
    assert f"matches the audit chain (event {seq})" in " ".join(ok.output.split())
    rewrite(log, '"127.0.0.1"', '"127.0.0.2"')  # another address, every hash recomputed
    bad = runner.invoke(app, ["verify", str(log)])
    said = " ".join(bad.output.split())
    assert bad.exit_code != 0, said
    assert f"audit event {seq}" in said
    assert "final sha256" in said
    assert final in said  # what the audit chain holds, in full


def test_a_log_the_audit_chain_does_not_know_fails_unless_told(tmp_path: Path, isolated_env: Path) -> None:
    from vigilant.p2p.session_log import SessionLog  # noqa: PLC0415

    log = SessionLog(tmp_path / "session-elsewhere.jsonl")
    log.append("session_start", session_id="elsewhere")
    log.close()
    runner = CliRunner()
    unknown = runner.invoke(app, ["verify", str(log.path)])
    said = " ".join(unknown.output.split())
    assert unknown.exit_code != 0
    assert "holds no end of session elsewhere" in said
    assert "--no-audit" in said
    alone = runner.invoke(app, ["verify", "--no-audit", str(log.path)])
    assert alone.exit_code == 0, alone.output
    assert "NOT checked against the audit chain" in " ".join(alone.output.split())
