"""The observer's clock: the kernel's discipline state and an SNTP measurement against a loopback server."""

from __future__ import annotations

import dataclasses
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.p2p.fake_peer import Content, FakePeer, Script, make_v1
from vigilant.p2p import clock
from vigilant.p2p.observer import Observer, ObserverSettings, StaticPeers
from vigilant.p2p.targets import TargetSpec


@contextmanager
def sntp_server(shift: float, *, mode: int = 4, stratum: int = 2, answers: int = 10) -> Iterator[int]:
    """A UDP time server on 127.0.0.1 whose clock runs ``shift`` seconds ahead; serves at most ``answers``
    requests and stops within a second of the block ending (bounded, loopback only)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        served = 0
        while not done.is_set() and served < answers:
            try:
                data, peer = sock.recvfrom(512)
            except TimeoutError:
                continue
            now = time.time() + shift
            reply = bytearray(48)
            reply[0] = (4 << 3) | mode
            reply[1] = stratum
            reply[24:32] = data[40:48]  # originate = the client's transmit time
            reply[32:40] = clock._to_ntp(now)  # receive
            reply[40:48] = clock._to_ntp(time.time() + shift)  # transmit
            sock.sendto(bytes(reply), peer)
            served += 1

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        done.set()
        thread.join(timeout=2)
        sock.close()


def test_sntp_measures_the_offset_of_a_server_ahead_by_2_5_s() -> None:
    with sntp_server(2.5) as port:
        reading = clock.sntp_query("127.0.0.1", port, timeout=1.0, tries=3)
    assert reading.offset_ms == pytest.approx(2500, abs=50)
    assert -1 < reading.delay_ms < 200  # float rounding of the 32-bit fractions can dip below 0
    assert reading.stratum == 2
    with sntp_server(-0.75) as port:
        assert clock.sntp_query("127.0.0.1", port).offset_ms == pytest.approx(-750, abs=50)


@pytest.mark.parametrize(("mode", "stratum"), [(3, 2), (4, 0)])
def test_an_answer_that_is_not_a_server_reply_is_not_used(mode: int, stratum: int) -> None:
    with sntp_server(10.0, mode=mode, stratum=stratum) as port, pytest.raises(OSError, match="not a server"):
        clock.sntp_query("127.0.0.1", port, timeout=0.5, tries=2)


def test_measure_says_why_there_is_no_measurement() -> None:
    quiet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    quiet.bind(("127.0.0.1", 0))  # bound but never answers
    try:
        silent = clock.measure(f"127.0.0.1:{quiet.getsockname()[1]}", allow_remote=False)
    finally:
        quiet.close()
    assert silent.ntp is None
    assert silent.ntp_error is not None
    assert "SNTP not measured" in silent.describe()
    remote = clock.measure("203.0.113.5:123", allow_remote=False)  # nothing is sent
    assert remote.ntp_error == "203.0.113.5 is outside loopback and remote observation is off"
    named = clock.measure("time.example.org:123", allow_remote=False)  # no DNS look-up either
    assert named.ntp_error is not None
    assert "not IP:PORT" in named.ntp_error
    assert clock.measure(None, allow_remote=False).describe().endswith("no SNTP server given")


def test_parse_server_forms() -> None:
    assert clock.parse_server("127.0.0.1:1234") == ("127.0.0.1", 1234)
    assert clock.parse_server("127.0.0.1") == ("127.0.0.1", 123)
    assert clock.parse_server("[::1]:5000") == ("::1", 5000)
    assert clock.parse_server("::1") == ("::1", 123)


def test_the_kernel_state_is_read_without_changing_anything() -> None:
    state = clock.kernel_clock()
    assert state is not None  # Linux, here and in CI
    assert state.max_error_ms >= 0
    assert state.est_error_ms >= 0
    text = clock.ClockReport(state, None).describe()
    assert ("NTP-synchronised" in text) != ("NOT synchronised" in text)


@pytest.mark.asyncio
async def test_a_session_logs_the_measured_offset(tmp_path: Path) -> None:
    content: Content = make_v1()
    with sntp_server(1.25) as port:
        async with FakePeer(content, Script(metadata=content.info_raw)) as peer:
            settings = dataclasses.replace(ObserverSettings(retries=0), ntp_server=f"127.0.0.1:{port}")
            observer = Observer(settings, tmp_path / "data", [StaticPeers((("127.0.0.1", peer.port),))])
            result = await observer.run([TargetSpec.from_torrent(content.torrent)])
    start = json.loads(result.log_path.read_text().splitlines()[0])
    assert start["kind"] == "session_start"
    assert start["clock_offset_ms"] == pytest.approx(1250, abs=50)
    assert f"SNTP 127.0.0.1:{port}" in start["clock_source"]
    assert result.observations
    assert {o.clock_offset_ms for o in result.observations} == {start["clock_offset_ms"]}


def test_ntp_time_round_trips() -> None:
    t = 1_795_459_597.25
    packet = bytes(32) + clock._to_ntp(t)
    assert clock._ntp_time(packet, 32) == pytest.approx(t, abs=1e-6)
    assert struct.unpack("!I", clock._to_ntp(0.0)[:4])[0] == clock.NTP_EPOCH_OFFSET
