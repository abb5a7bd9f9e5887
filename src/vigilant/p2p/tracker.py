"""Tracker announces (HTTP BEP 3 with BEP 23/7 compact peers; UDP BEP 15 in ``tracker_udp``) for the observer.

The observer must never look like a distributor, so every announce:

- says ``left`` > 0 (the torrent's size when known, else 1) and ``uploaded=0``: we are a leecher that has
  nothing;
- announces **port 0**. Nobody can connect to port 0, so no swarm member is ever pointed at us, and trackers
  (opentracker among them) accept it. Every port-0 entry in a reply is dropped as our own (it is unreachable
  for anyone anyway);
- sends ``event=started`` then ``event=stopped`` at once, so the tracker forgets us;
- asks for a bounded ``numwant``;
- uses a fresh random peer id per announce (seeders drop a second connection reusing a peer id).

Only loopback trackers are contacted unless ``allow_remote=True``; every exchange has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

from vigilant.p2p import compact
from vigilant.p2p.bencode import BencodeError, Value, decode
from vigilant.p2p.discovery import DiscoveredPeer, DiscoveryError, require_loopback, utc_now
from vigilant.p2p.observations import Method
from vigilant.p2p.tracker_announce import (
    MAX_REPLY,
    Announce,
    AnnouncePolicy,
    AnnounceReply,
    TrackerFailureError,
    own_entries,
)
from vigilant.p2p.tracker_udp import udp_announce

# RFC 3986 unreserved characters: the only bytes a tracker query may carry unencoded
UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

__all__ = ["Announce", "AnnouncePolicy", "TrackerClient", "TrackerFailureError", "http_announce"]


def percent_encode(data: bytes) -> str:
    """Every byte outside RFC 3986 unreserved characters as ``%XX``: some trackers read ``+`` as itself."""
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in data)


def announce_query(announce: Announce) -> str:
    return "&".join(
        [
            f"info_hash={percent_encode(announce.infohash)}",
            f"peer_id={percent_encode(announce.peer_id)}",
            f"port={announce.policy.port}",
            "uploaded=0",
            "downloaded=0",
            f"left={announce.left}",
            "compact=1",
            f"numwant={announce.policy.numwant}",
            f"event={announce.event}",
        ]
    )


def _field(reply: dict[bytes, Value], key: bytes, kind: type, url: str) -> object:
    value = reply.get(key)
    if value is not None and not isinstance(value, kind):
        raise DiscoveryError(
            f"tracker {url} sent {key.decode()} of the wrong type: it is not a BEP 3 tracker"
        )
    return value


def parse_http_reply(body: bytes, url: str, local_ip: str = "") -> AnnounceReply:
    """Peers from a bencoded announce reply: compact v4 ``peers``, a list of dicts, and ``peers6``."""
    try:
        reply = decode(body)
    except BencodeError as exc:
        raise DiscoveryError(
            f"tracker {url} sent a reply that is not bencode ({exc}): check the URL"
        ) from None
    if not isinstance(reply, dict):
        raise DiscoveryError(f"tracker {url} sent a bencoded {type(reply).__name__}, not a dict")
    failure = _field(reply, b"failure reason", bytes, url)
    if isinstance(failure, bytes):
        reason = failure.decode("utf-8", "replace")
        raise TrackerFailureError(f"tracker {url} refused the announce: {reason}")
    peers: list[tuple[str, int]] = []
    peer_ids: dict[tuple[str, int], bytes] = {}
    raw = reply.get(b"peers", b"")
    try:
        if isinstance(raw, bytes):
            peers += compact.peers4(raw, "peers")
        elif isinstance(raw, list):
            for entry in raw:
                addr, pid = _dict_peer(entry, url)
                peers.append(addr)
                if pid is not None:
                    peer_ids[addr] = pid
        else:
            raise DiscoveryError(
                f"tracker {url} sent peers as {type(raw).__name__}: it is not a BEP 3 tracker"
            )
        raw6 = _field(reply, b"peers6", bytes, url)
        if isinstance(raw6, bytes):
            peers += compact.peers6(raw6, "peers6")
    except compact.CompactError as exc:
        raise DiscoveryError(f"tracker {url}: {exc}; the reply was cut short or is malformed") from None
    return AnnounceReply(peers=peers, peer_ids=peer_ids, local_ip=local_ip)


def _dict_peer(entry: Value, url: str) -> tuple[tuple[str, int], bytes | None]:
    if isinstance(entry, dict):
        ip, port, pid = entry.get(b"ip"), entry.get(b"port"), entry.get(b"peer id")
        if isinstance(ip, bytes) and isinstance(port, int) and 0 <= port <= 65535:
            return (ip.decode("ascii", "replace"), port), pid if isinstance(pid, bytes) else None
    raise DiscoveryError(f"tracker {url} sent a peer entry without a valid ip and port: {entry!r}")


def _split_http(raw: bytes, url: str) -> bytes:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise DiscoveryError(f"tracker {url} closed the connection before a complete HTTP reply")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise DiscoveryError(f"tracker {url} did not answer HTTP: {lines[0][:80]!r}")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        raise DiscoveryError(f"tracker {url} sent a chunked reply to an HTTP/1.0 request; report the tracker")
    length = headers.get(b"content-length")
    if length is not None and length.isdigit():
        body = body[: int(length)]
    status = int(parts[1])
    if status != 200 and b"failure reason" not in body:
        raise DiscoveryError(f"tracker {url} answered HTTP {status}: check the announce URL")
    return body


async def http_announce(url: str, announce: Announce, *, timeout: float, allow_remote: bool) -> AnnounceReply:
    """One HTTP(S) announce over HTTP/1.0 (so the tracker closes the connection when done)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DiscoveryError(f"not an HTTP tracker URL: {url!r}")
    host = parts.hostname
    require_loopback(host, "tracker", allow_remote=allow_remote)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    query = (parts.query + "&" if parts.query else "") + announce_query(announce)
    request = f"GET {path}?{query} HTTP/1.0\r\nHost: {parts.netloc}\r\nAccept-Encoding: identity\r\n\r\n"
    tls = ssl.create_default_context() if parts.scheme == "https" else None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, ssl=tls)
            try:
                local_ip = str(writer.get_extra_info("sockname")[0])
                writer.write(request.encode("ascii"))
                await writer.drain()
                raw = await reader.read(MAX_REPLY + 1)
                while raw and len(raw) <= MAX_REPLY:
                    more = await reader.read(MAX_REPLY + 1 - len(raw))
                    if not more:
                        break
                    raw += more
            finally:
                writer.close()
                await writer.wait_closed()
    except TimeoutError:
        raise DiscoveryError(f"tracker {url} did not answer within {timeout} s; try later") from None
    except OSError as exc:
        raise DiscoveryError(f"cannot reach tracker {url}: {exc}") from None
    if len(raw) > MAX_REPLY:
        raise DiscoveryError(f"tracker {url} sent more than {MAX_REPLY} bytes; refusing the reply")
    return parse_http_reply(_split_http(raw, url), url, local_ip)


class TrackerClient:
    """A :class:`~vigilant.p2p.discovery.PeerSource` for one tracker URL (``http(s)://`` or ``udp://``)."""

    def __init__(
        self,
        url: str,
        *,
        allow_remote: bool = False,
        timeout: float = 15.0,
        policy: AnnouncePolicy | None = None,
        sizes: Mapping[bytes, int] | None = None,
        udp_retry_timeout: float = 15.0,
        udp_retries: int = 2,
    ) -> None:
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https", "udp"):
            raise DiscoveryError(f"unsupported tracker URL {url!r}: use http://, https:// or udp://")
        host = urlsplit(url).hostname or ""
        require_loopback(host, "tracker", allow_remote=allow_remote)
        self.url = url
        self.method = Method.TRACKER_UDP if scheme == "udp" else Method.TRACKER_HTTP
        self.allow_remote = allow_remote
        self.timeout = timeout
        self.policy = policy or AnnouncePolicy()
        self.sizes = dict(sizes or {})
        self.udp_retry_timeout = udp_retry_timeout
        self.udp_retries = udp_retries

    async def _announce(self, announce: Announce) -> AnnounceReply:
        if self.method is Method.TRACKER_HTTP:
            return await http_announce(
                self.url, announce, timeout=self.timeout, allow_remote=self.allow_remote
            )
        return await udp_announce(
            self.url,
            announce,
            timeout=self.timeout,
            retry_timeout=self.udp_retry_timeout,
            retries=self.udp_retries,
            allow_remote=self.allow_remote,
        )

    async def peers(self, infohash20: bytes) -> list[DiscoveredPeer]:
        left = max(1, self.sizes.get(infohash20, 1))
        started = Announce(infohash20, left, "started", self.policy)
        reply = await self._announce(started)
        when = utc_now()
        # Leave the swarm at once; a failure here only means the tracker times us out later.
        with contextlib.suppress(DiscoveryError):
            await self._announce(Announce(infohash20, left, "stopped", self.policy, started.peer_id))
        own = own_entries(reply, started)
        found: dict[tuple[str, int], DiscoveredPeer] = {}
        for ip, port in reply.peers:
            if (ip, port) not in own and (ip, port) not in found:
                found[(ip, port)] = DiscoveredPeer(ip, port, self.method, self.url, when)
        return list(found.values())
