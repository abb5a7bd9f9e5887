"""The observer against a real peer: libtorrent seeding v1, v2 and hybrid torrents on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.p2p.lt_helpers import make_content, make_torrent, seeder
from vigilant.p2p.observer import Observer, ObserverSettings, StaticPeers
from vigilant.p2p.session_log import verify_log
from vigilant.p2p.targets import TargetSpec
from vigilant.p2p.torrent import parse_torrent


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["v1", "v2", "hybrid"])
async def test_observer_downloads_and_verifies_a_piece(
    tmp_path: Path, kind: str, fast_settings: ObserverSettings
) -> None:
    make_content(tmp_path / "seed", "content.bin", 1_200_000, seed=11)
    made = make_torrent(tmp_path / "seed", "content.bin", kind)
    with seeder(made) as port:
        observer = Observer(fast_settings, tmp_path / "data", [StaticPeers((("127.0.0.1", port),))])
        result = await observer.run([TargetSpec.from_torrent(made.torrent)])
    swarms = {"v1": 1, "v2": 1, "hybrid": 2}[kind]
    assert len(result.probes) == swarms
    for probe in result.probes:
        assert probe.echoed, probe.error
        assert probe.have_kind == "have_all"  # libtorrent with the Fast bit: HAVE_ALL, never a bitfield
        assert probe.metadata_verified is True
        assert probe.checks, probe.notes
    tiers = sorted((o.method, o.tier) for o in result.observations)
    assert tiers == sorted(
        [("handshake", "confirmed"), ("metadata", "confirmed"), ("piece", "downloaded")] * swarms
    )
    piece_obs = [o for o in result.observations if o.tier == "downloaded"]
    assert all(o.client == "libtorrent 2.1.1.0" and o.single_source for o in piece_obs)
    meta = parse_torrent(made.torrent)
    assert {o.infohash_v1 for o in piece_obs} == {meta.infohash_v1}
    assert {o.infohash_v2 for o in piece_obs} == {meta.infohash_v2}
    table = pq.read_table(result.parquet_path)
    assert table.num_rows == len(result.observations)
    report = verify_log(result.log_path)
    assert report.ok, report.problems
    assert report.pieces_checked == swarms


def _open_seconds(log_path: Path) -> dict[str, float]:
    """Each probe's time open, from its own log records: ``connect`` to ``probe_end`` (monotonic clock)."""
    import json  # noqa: PLC0415

    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    start = {r["probe"]: r["mono_ns"] for r in records if r["kind"] == "connect"}
    return {r["probe"]: (r["mono_ns"] - start[r["probe"]]) / 1e9 for r in records if r["kind"] == "probe_end"}


@pytest.mark.asyncio
async def test_probe_ends_when_its_evidence_is_complete(tmp_path: Path) -> None:
    """Two libtorrent seeders send HAVE_ALL and offer ut_pex (but send no PEX for a minute): with the default
    10 s have-window and the CLI's 2 s PEX wait, each probe closes once it has its evidence and the PEX wait
    is over, not at the end of the have-window."""
    from vigilant.p2p.confirm import ConfirmSettings  # noqa: PLC0415

    make_content(tmp_path / "seed", "content.bin", 300_000, seed=5)
    made = make_torrent(tmp_path / "seed", "content.bin", "v1")
    settings = ObserverSettings(confirm=ConfirmSettings(pex_wait=2.0), operator="test-examiner")
    assert settings.confirm.have_window == 10.0  # the default the field test used
    with seeder(made) as port_a, seeder(made) as port_b:
        peers = StaticPeers((("127.0.0.1", port_a), ("127.0.0.1", port_b)))
        observer = Observer(settings, tmp_path / "data", [peers])
        result = await observer.run([TargetSpec.from_torrent(made.torrent)])
    assert len(result.probes) == 2
    for probe in result.probes:
        assert probe.have_kind == "have_all"
        assert probe.checks, probe.notes
        assert probe.ltep is not None
        assert probe.ltep.ut_pex is not None  # the peer offered PEX
    opened = _open_seconds(result.log_path)
    assert len(opened) == 2
    assert all(1.9 < seconds < 3.0 for seconds in opened.values()), opened  # the PEX wait, then closed
    assert [1.9 < (probe.open_s or 0) < 3.0 for probe in result.probes] == [True, True]


@pytest.mark.asyncio
async def test_observation_times_are_the_moments_of_their_events(
    tmp_path: Path, fast_settings: ObserverSettings
) -> None:
    """Each observation carries the time (UTC, µs, and monotonic) of the log record of the event it records:
    the peer's handshake, the metadata verified, the piece verified; not the moment the probe ended."""
    import json  # noqa: PLC0415
    from datetime import datetime  # noqa: PLC0415

    make_content(tmp_path / "seed", "content.bin", 300_000, seed=6)
    made = make_torrent(tmp_path / "seed", "content.bin", "v1")
    with seeder(made) as port:
        observer = Observer(fast_settings, tmp_path / "data", [StaticPeers((("127.0.0.1", port),))])
        result = await observer.run([TargetSpec.from_torrent(made.torrent)])
    records = [json.loads(line) for line in result.log_path.read_text().splitlines()]
    event = {
        "handshake": next(r for r in records if r["kind"] == "recv" and r["msg"] == "handshake"),
        "metadata": next(r for r in records if r["kind"] == "metadata_verified"),
        "piece": next(r for r in records if r["kind"] == "piece_verified"),
    }
    end = next(r for r in records if r["kind"] == "probe_end")
    by_method = {o.method: o for o in result.observations}
    assert set(by_method) == set(event)
    for method, record in event.items():
        obs = by_method[method]
        assert obs.ts_utc == datetime.fromisoformat(record["ts_utc"]), method
        assert obs.mono_ns == record["mono_ns"], method
        assert obs.mono_ns < end["mono_ns"], method
    assert by_method["handshake"].ts_utc < by_method["metadata"].ts_utc < by_method["piece"].ts_utc
