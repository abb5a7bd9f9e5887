"""aria2c (Debian) as an independent v1 seeder on 127.0.0.1: confirmed and a piece downloaded."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.p2p.lt_helpers import make_content, make_torrent
from vigilant.p2p.observer import Observer, ObserverSettings, StaticPeers
from vigilant.p2p.session_log import verify_log
from vigilant.p2p.targets import TargetSpec

ARIA2 = shutil.which("aria2c")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_listening(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"aria2c exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError("aria2c never listened")


@pytest.mark.skipif(ARIA2 is None, reason="aria2c is not installed (apt-get install aria2)")
@pytest.mark.asyncio
async def test_aria2_seeder_is_confirmed_and_downloaded(
    tmp_path: Path, fast_settings: ObserverSettings
) -> None:
    assert ARIA2 is not None
    make_content(tmp_path / "seed", "content.bin", 1_000_000, seed=21)
    made = make_torrent(tmp_path / "seed", "content.bin", "v1")
    torrent = tmp_path / "c.torrent"
    torrent.write_bytes(made.torrent)
    port = free_port()
    args = [ARIA2, "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
            "--enable-peer-exchange=false", "--interface=127.0.0.1", f"--listen-port={port}",
            "--seed-ratio=0.0", "--check-integrity=true", "--bt-seed-unverified=false", "--quiet=true",
            "-d", str(tmp_path / "seed"), str(torrent)]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await wait_listening(port, proc, asyncio.get_running_loop().time() + 15)
        observer = Observer(fast_settings, tmp_path / "data", [StaticPeers((("127.0.0.1", port),))])
        async with asyncio.timeout(30):
            result = await observer.run([TargetSpec.from_torrent(made.torrent)])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    (probe,) = result.probes
    assert probe.echoed, probe.error
    assert probe.have_kind == "have_all"
    assert {o.tier for o in result.observations} >= {"confirmed", "downloaded"}, probe.notes
    assert {o.client for o in result.observations} == {"aria2 1.36.0"}
    assert verify_log(result.log_path).ok
