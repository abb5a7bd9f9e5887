"""The session log: its chain verifies, and every kind of tampering is found and located."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.p2p.fake_peer import FakePeer, Script, make_v1
from vigilant.cli.p2p_cmd import app
from vigilant.p2p.session_log import SessionLog, verify_log


def write_log(path: Path, n: int = 5) -> list[bytes]:
    log = SessionLog(path)
    log.append("session_start", software="test")
    for i in range(n):
        log.append("recv", msg="have", index=i)
    log.close()
    return path.read_bytes().splitlines(keepends=True)


def test_a_clean_log_verifies(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    lines = write_log(path)
    report = verify_log(path)
    assert report.ok, report.problems
    assert report.records == len(lines) == 7
    first = json.loads(lines[0])
    assert first["prev_sha256"] == "0" * 64
    assert len(first["ts_utc"].split(".")[1]) >= 6  # microseconds


def _edit(lines: list[bytes]) -> list[bytes]:
    lines[3] = lines[3].replace(b'"index":2', b'"index":9')
    return lines


TAMPERING: dict[str, tuple[Callable[[list[bytes]], list[bytes]], str]] = {
    "edited": (_edit, "line 4: sha256 does not match"),
    "deleted": (lambda ls: ls[:2] + ls[3:], "line 3: seq 3 where 2"),
    "reordered": (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], "line 2: seq 2 where 1"),
    "truncated": (lambda ls: ls[:-1], "no session_end"),
    "cut mid-line": (lambda ls: [*ls[:-1], ls[-1][:30]], "line 7"),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_tampering_is_found_and_located(tmp_path: Path, how: str) -> None:
    path = tmp_path / "s.jsonl"
    change, expected = TAMPERING[how]
    path.write_bytes(b"".join(change(write_log(path))))
    report = verify_log(path)
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems


@pytest.mark.asyncio
async def test_cli_observe_then_verify_and_a_tampered_piece(tmp_path: Path, isolated_env: Path) -> None:
    content = make_v1()
    torrent = tmp_path / "x.torrent"
    torrent.write_bytes(content.torrent)
    runner = CliRunner()
    async with FakePeer(content, Script()) as peer:
        args = ["observe", str(torrent), "--peer", f"127.0.0.1:{peer.port}", "--timeout", "5"]
        # the CLI runs its own event loop: give it a thread so this loop keeps serving the fake peer
        result = await asyncio.to_thread(runner.invoke, app, args)
    assert result.exit_code == 0, result.output
    assert "downloaded" in result.output
    (log,) = (isolated_env / "observations").glob("session-*.jsonl")
    ok = runner.invoke(app, ["verify", str(log)])
    assert ok.exit_code == 0, ok.output
    assert "1 pieces re-verified" in ok.output
    records = [json.loads(line) for line in log.read_text().splitlines()]
    (piece,) = [r for r in records if r["kind"] == "piece_verified"]
    blob = log.parent / "blobs" / piece["blob_sha256"]
    blob.write_bytes(b"\0" + blob.read_bytes()[1:])
    bad = runner.invoke(app, ["verify", str(log)])
    assert bad.exit_code != 0
    assert "does not hash to its name" in " ".join(bad.output.split())


def test_cli_refuses_a_remote_peer(tmp_path: Path) -> None:
    torrent = tmp_path / "x.torrent"
    torrent.write_bytes(make_v1().torrent)
    result = CliRunner().invoke(app, ["observe", str(torrent), "--peer", "198.51.100.4:6881"])
    assert result.exit_code != 0
    assert "allow-remote" in str(result.exception)
    assert isinstance(app, typer.Typer)
