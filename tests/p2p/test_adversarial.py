"""Peers that lie, stall or send garbage: the tier never rises without verified data, nothing hangs."""

from __future__ import annotations

import asyncio
import hashlib
import struct
from pathlib import Path

import pytest

from tests.p2p.fake_peer import Content, FakePeer, Script, make_v1
from vigilant.p2p import wire
from vigilant.p2p.confirm import ConfirmSettings
from vigilant.p2p.observer import Observer, ObserverSettings, RemoteTargetRefused, SessionResult, StaticPeers
from vigilant.p2p.session_log import verify_log
from vigilant.p2p.targets import TargetSpec

# what an observer may ever send: no unchoke, no have/have-all, no piece
ALLOWED_TO_SEND = {wire.MsgId.INTERESTED, wire.MsgId.BITFIELD, wire.MsgId.HAVE_NONE, wire.MsgId.REQUEST,
                   wire.MsgId.EXTENDED, None}  # fmt: skip


async def observe(
    tmp_path: Path, content: Content, script: Script, settings: ObserverSettings, magnet: bool = False
) -> tuple[SessionResult, FakePeer]:
    spec = (
        TargetSpec.load(f"magnet:?xt=urn:btih:{content.infohash.hex()}")
        if magnet
        else TargetSpec.from_torrent(content.torrent)
    )
    async with FakePeer(content, script) as peer:
        observer = Observer(settings, tmp_path / "data", [StaticPeers((("127.0.0.1", peer.port),))])
        async with asyncio.timeout(20):  # nothing may hang, whatever the peer does
            result = await observer.run([spec])
    assert set(peer.received) <= ALLOWED_TO_SEND, peer.received
    report = verify_log(result.log_path)
    assert report.ok, report.problems
    return result, peer


def tiers(result: SessionResult) -> set[str]:
    return {o.tier for o in result.observations}


@pytest.mark.asyncio
async def test_well_behaved_fake_seeder_is_downloaded(
    tmp_path: Path, fast_settings: ObserverSettings
) -> None:
    content = make_v1()
    result, peer = await observe(tmp_path, content, Script(metadata=content.info_raw), fast_settings)
    assert tiers(result) == {"confirmed", "downloaded"}
    assert peer.received[0] == wire.MsgId.HAVE_NONE  # our have-state, right after the handshake
    (piece,) = [o for o in result.observations if o.tier == "downloaded"]
    assert piece.pieces_verified[0].digest == hashlib.sha1(content.piece(0)).hexdigest()


@pytest.mark.asyncio
async def test_wrong_infohash_gets_no_tier(tmp_path: Path, fast_settings: ObserverSettings) -> None:
    result, _ = await observe(tmp_path, make_v1(), Script(infohash=bytes(20)), fast_settings)
    assert result.observations == []
    assert "another infohash" in (result.probes[0].error or "")


@pytest.mark.asyncio
async def test_have_none_is_confirmed_but_never_downloaded(
    tmp_path: Path, fast_settings: ObserverSettings
) -> None:
    script = Script(opening=[wire.frame(wire.MsgId.HAVE_NONE)])
    result, peer = await observe(tmp_path, make_v1(), script, fast_settings)
    assert tiers(result) == {"confirmed"}
    assert result.observations[0].have_kind == "have_none"
    assert wire.MsgId.REQUEST not in peer.received  # only advertised pieces are requested


@pytest.mark.asyncio
async def test_lazy_bitfield_then_haves_with_bad_data(
    tmp_path: Path, fast_settings: ObserverSettings
) -> None:
    opening = [
        wire.frame(wire.MsgId.BITFIELD, bytes([0b00100000])),  # claims piece 2 only…
        wire.frame(wire.MsgId.HAVE, struct.pack(">I", 0)),  # …then "finds" more
        wire.frame(wire.MsgId.HAVE, struct.pack(">I", 4)),
    ]
    result, _ = await observe(
        tmp_path, make_v1(), Script(opening=opening, on_request="garbage"), fast_settings
    )
    assert tiers(result) == {"confirmed"}  # garbage bytes never make "downloaded"
    obs = result.observations[0]
    assert (obs.have_kind, obs.pieces_have, obs.pieces_total) == ("bitfield+haves", 3, 5)
    assert any("SHA-1" in n for n in result.probes[0].notes)


@pytest.mark.asyncio
async def test_super_seeding_one_have_at_a_time(tmp_path: Path, fast_settings: ObserverSettings) -> None:
    opening = [wire.frame(wire.MsgId.HAVE, struct.pack(">I", 2))]
    result, _ = await observe(tmp_path, make_v1(), Script(opening=opening, trickle_haves=True), fast_settings)
    (piece,) = [o for o in result.observations if o.tier == "downloaded"]
    assert piece.pieces_verified[0].index == 2  # the piece it advertised, nothing else
    assert piece.seeding is False


@pytest.mark.asyncio
async def test_choke_forever_stops_at_the_time_limit(tmp_path: Path) -> None:
    settings = ObserverSettings(confirm=ConfirmSettings(have_window=0.3, timeout=1.5), retries=0)
    result, _ = await observe(tmp_path, make_v1(), Script(unchoke=False), settings)
    assert tiers(result) == {"confirmed"}
    assert "limit" in (result.probes[0].error or "")


@pytest.mark.asyncio
async def test_reject_all(tmp_path: Path, fast_settings: ObserverSettings) -> None:
    result, _ = await observe(tmp_path, make_v1(), Script(on_request="reject"), fast_settings)
    assert tiers(result) == {"confirmed"}
    assert any("rejected" in n for n in result.probes[0].notes)


@pytest.mark.asyncio
async def test_bad_metadata_is_refused(tmp_path: Path, fast_settings: ObserverSettings) -> None:
    content = make_v1()
    bad = content.info_raw.replace(b"x.bin", b"y.bin")
    result, peer = await observe(tmp_path, content, Script(metadata=bad), fast_settings, magnet=True)
    probe = result.probes[0]
    assert probe.metadata_verified is False
    assert tiers(result) == {"confirmed"}  # the handshake and HAVE_ALL, never metadata nor a piece
    assert all(o.method == "handshake" for o in result.observations)
    assert wire.MsgId.REQUEST not in peer.received


@pytest.mark.asyncio
async def test_magnet_fetches_verified_metadata_then_downloads(
    tmp_path: Path, fast_settings: ObserverSettings
) -> None:
    content = make_v1()
    result, _ = await observe(
        tmp_path, content, Script(metadata=content.info_raw), fast_settings, magnet=True
    )
    assert {o.method for o in result.observations} == {"handshake", "metadata", "piece"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "raw",
    [
        wire.frame(wire.MsgId.HAVE, b"\x00\x01\x02"),  # a HAVE of 3 bytes
        wire.frame(wire.MsgId.EXTENDED, b"\x01not bencode"),
        wire.frame(wire.MsgId.HAVE, struct.pack(">I", 99)),  # past the last piece
        struct.pack(">I", 0x7FFFFFFF) + b"\x07",  # an oversized frame
        b"\x00\x00",  # then the connection closes mid-frame
    ],
)
async def test_malformed_frames_drop_the_peer(
    tmp_path: Path, fast_settings: ObserverSettings, raw: bytes
) -> None:
    script = Script(opening=[], raw_after_handshake=raw, unchoke=False)
    result, _ = await observe(tmp_path, make_v1(), script, fast_settings)
    assert "downloaded" not in tiers(result)
    if raw != b"\x00\x00":
        assert "protocol" in (result.probes[0].error or "")


@pytest.mark.asyncio
async def test_slow_loris_is_cut_off(tmp_path: Path) -> None:
    settings = ObserverSettings(confirm=ConfirmSettings(timeout=1.0), retries=0)
    result, _ = await observe(tmp_path, make_v1(), Script(drip=0.2), settings)
    assert result.observations == []
    assert "limit" in (result.probes[0].error or "")


@pytest.mark.asyncio
async def test_remote_targets_are_refused_by_default(tmp_path: Path, fast_settings: ObserverSettings) -> None:
    observer = Observer(fast_settings, tmp_path / "data", [StaticPeers((("192.0.2.7", 6881),))])
    with pytest.raises(RemoteTargetRefused, match="allow-remote"):
        await observer.run([TargetSpec.from_torrent(make_v1().torrent)])
