"""A session that confirms nothing says why, peer by peer, in the CLI and in the session log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.p2p.fake_peer import FakePeer, Script, make_v1
from vigilant.cli.p2p_cmd import app


def _closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.asynccontextmanager
async def _silent_peer() -> AsyncIterator[int]:
    """Accepts the connection, then says nothing at all."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.mark.asyncio
async def test_each_peer_that_gave_no_evidence_is_explained(tmp_path: Path, isolated_env: Path) -> None:
    content = make_v1()
    torrent = tmp_path / "x.torrent"
    torrent.write_bytes(content.torrent)
    refused = _closed_port()
    other_swarm = Script(infohash=bytes(range(20)))  # answers the handshake with another infohash
    async with FakePeer(content, other_swarm) as wrong, _silent_peer() as silent:
        peers = {"refused": refused, "no echo": wrong.port, "timed out": silent}
        args = ["observe", str(torrent), "--timeout", "2", "--pex-wait", "0"]
        for port in peers.values():
            args += ["--peer", f"127.0.0.1:{port}"]
        result = await asyncio.to_thread(CliRunner().invoke, app, args)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "0 confirmed" in out
    for outcome, port in peers.items():
        assert f"127.0.0.1:{port} {outcome}" in out, (outcome, out)
    assert "connection refused" in out.lower()
    assert "another infohash" in out
    assert "2 s limit" in out
    (log,) = (isolated_env / "observations").glob("session-*.jsonl")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    ends = [r for r in records if r["kind"] == "probe_end"]
    starts = {r["probe"]: r["port"] for r in records if r["kind"] == "connect"}
    last = {starts[r["probe"]]: r for r in ends}  # a refused connection is retried: its last attempt
    assert {port: last[port]["outcome"] for port in peers.values()} == {p: o for o, p in peers.items()}
    assert all(r["why"] for r in ends)
    [summary] = [r for r in records if r["kind"] == "peer_outcomes"]  # one record: each peer's last word
    assert {(p["port"], p["outcome"]) for p in summary["peers"]} == {(p, o) for o, p in peers.items()}
    assert all(p["why"] for p in summary["peers"])
