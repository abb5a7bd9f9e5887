"""v2 and hybrid from a MAGNET against real libtorrent: piece-layer hashes by BEP 52 hash request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.p2p.lt_helpers import make_content, make_torrent, seeder
from vigilant.cli.p2p_cmd import app
from vigilant.p2p.observer import Observer, ObserverSettings, StaticPeers
from vigilant.p2p.pieces import HashProof, proven_piece_hash
from vigilant.p2p.session_log import verify_log
from vigilant.p2p.targets import TargetSpec
from vigilant.p2p.torrent import parse_info, parse_torrent


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["v2", "hybrid"])
async def test_v2_magnet_piece_is_proven_by_the_peers_hashes(
    tmp_path: Path, kind: str, fast_settings: ObserverSettings
) -> None:
    make_content(tmp_path / "seed", "content.bin", 1_200_000, seed=23)  # 19 pieces of 64 KiB
    made = make_torrent(tmp_path / "seed", "content.bin", kind)
    assert made.v2 is not None
    magnet = f"magnet:?xt=urn:btmh:1220{made.v2.hex()}&dn=content.bin"
    with seeder(made) as port:
        observer = Observer(fast_settings, tmp_path / "data", [StaticPeers((("127.0.0.1", port),))])
        result = await observer.run([TargetSpec.load(magnet)])
    (probe,) = result.probes
    assert probe.echoed, probe.error
    assert probe.metadata_verified is True
    assert probe.checks, probe.notes
    algos = [c.algo for c in probe.checks]
    assert algos == (["sha1", "sha256-merkle"] if kind == "hybrid" else ["sha256-merkle"])
    tiers = sorted((o.method, o.tier) for o in result.observations)
    assert tiers == [("handshake", "confirmed"), ("metadata", "confirmed"), ("piece", "downloaded")]

    # the proof is in the log, and it proves the piece hash against the root of the real torrent
    records = [json.loads(line) for line in result.log_path.read_text().splitlines()]
    sent = [r for r in records if r["kind"] == "sent" and r["msg"] == "hash_request"]
    assert len(sent) == 1
    (piece,) = [r for r in records if r["kind"] == "piece_verified"]
    proof = HashProof.from_json(piece["v2_proof"])
    full = parse_torrent(made.torrent)  # the .torrent's own piece layer, which the observer never saw
    layer = full.piece_layers[proof.pieces_root]
    index = piece["index"]
    assert proven_piece_hash(parse_info(full.info_raw), index, proof) == layer[32 * index : 32 * index + 32]
    assert piece["checks"][-1]["digest"] == layer[32 * index : 32 * index + 32].hex()

    report = verify_log(result.log_path)
    assert report.ok, report.problems
    assert report.pieces_checked == 1
    # `vigilant p2p verify LOG`: the session was run without the CLI, so no audit anchor to check
    cli = CliRunner().invoke(app, ["verify", "--no-audit", str(result.log_path)])
    assert cli.exit_code == 0, cli.output
    assert "1 pieces re-verified" in cli.output
