"""Real test peers on 127.0.0.1: opentracker (HTTP and UDP) and libtorrent seeders, all bounded in time.

Follows the checked recipe in shared/reference/p2p.md: opentracker reads its whitelist after chroot and
privilege drop (relative path, 0755 dir) and accepts connections before it has read it; libtorrent starts
with DHT, LSD, UPnP and NAT-PMP off and listens on loopback only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

import libtorrent as lt
import pytest

from vigilant.p2p.discovery import DiscoveryError
from vigilant.p2p.tracker import TrackerClient

IN_CI = os.environ.get("CI") == "true"


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed: apt-get install {name} (CI installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (opentracker serves both on one port)."""
    for _ in range(50):
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no port free for both TCP and UDP on 127.0.0.1")


def wait_for(check: Callable[[], bool], what: str, deadline_s: float = 10.0) -> None:
    end = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Opentracker:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}/announce"

    @property
    def udp(self) -> str:
        return f"udp://127.0.0.1:{self.port}/announce"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _accepted(url: str, infohash: bytes) -> bool:
    try:
        asyncio.run(TrackerClient(url, timeout=2).peers(infohash))
    except DiscoveryError:
        return False
    return True


def start_opentracker(workdir: Path, hashes: list[bytes], port: int) -> Opentracker:
    binary = need_tool("opentracker")
    workdir.mkdir(mode=0o755)
    workdir.chmod(0o755)  # readable after opentracker drops root
    whitelist = workdir / "whitelist.txt"
    whitelist.write_text("".join(h.hex() + "\n" for h in hashes))
    whitelist.chmod(0o644)
    proc = subprocess.Popen(
        [
            binary,
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-P",
            str(port),
            "-w",
            "whitelist.txt",
            "-d",
            str(workdir),
        ],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tracker = Opentracker(proc, port)
    try:
        # It accepts connections before it has read the whitelist: wait until every hash is accepted.
        for infohash in hashes:
            wait_for(partial(_accepted, tracker.http, infohash), f"opentracker to accept {infohash.hex()}")
    except BaseException:
        tracker.stop()
        raise
    return tracker


def lt_settings(**extra: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "alert_mask": 0,
        "stop_tracker_timeout": 1,  # the stopped announce at close must not hold the test up
    }
    settings.update(extra)
    return settings


def make_torrent(content_dir: Path, trackers: list[str], size: int = 1 << 20) -> tuple[bytes, bytes]:
    """A synthetic v1 torrent of random bytes: (infohash, .torrent bytes)."""
    content_dir.mkdir(parents=True, exist_ok=True)
    data = content_dir / "synthetic.bin"
    data.write_bytes(os.urandom(size))
    creator = lt.create_torrent(lt.list_files(str(data)), 0, lt.create_torrent.v1_only)
    for url in trackers:
        creator.add_tracker(url)
    lt.set_piece_hashes(creator, str(content_dir))
    torrent = bytes(lt.bencode(creator.generate()))
    return lt.torrent_info(torrent).info_hashes().v1.to_bytes(), torrent


class Node:
    """A libtorrent session with no torrent: a DHT node for the private loopback DHT."""

    def __init__(self, **settings: Any) -> None:
        # the stubs only know settings_pack; the binding takes the plain dict it documents
        self.session = lt.session(cast(Any, lt_settings(**settings)))

    @property
    def port(self) -> int:
        return int(self.session.listen_port())

    def close(self) -> None:
        self.session.pause()
        del self.session


class Seeder:
    """An in-process libtorrent session seeding one torrent from ``content_dir`` on 127.0.0.1."""

    def __init__(self, torrent: bytes, content_dir: Path, **settings: Any) -> None:
        # the stubs only know settings_pack; the binding takes the plain dict it documents
        self.session = lt.session(cast(Any, lt_settings(**settings)))
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(torrent)
        params.save_path = str(content_dir)
        self.handle = self.session.add_torrent(params)
        wait_for(lambda: self.handle.status().is_seeding, "the libtorrent seeder to finish checking")

    @property
    def port(self) -> int:
        return int(self.session.listen_port())

    def close(self) -> None:
        self.session.remove_torrent(self.handle)
        self.session.pause()
        del self.handle
        del self.session
