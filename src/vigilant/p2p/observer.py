"""The observer: confirm many peers for many torrents, bounded, logged, and written to Parquet.

Peers come from any :class:`PeerSource`: the CLI's ``--peer`` list, trackers (the torrent's own and any
given), the read-only DHT client, and PEX (peers a probed peer names). Discovery streams: every source
runs at once and puts what it finds on an asyncio queue, and each discovery is logged at once in the
hash-chained session log as an ``announced`` observation naming its source (a tracker URL, a DHT node,
``pex://ip:port``), then probed without waiting for the other sources. Each (peer, swarm) pair becomes
one :class:`~vigilant.p2p.confirm.Probe` under a global and a per-IP concurrency limit, retried with
back-off only when the TCP connection failed, and skipped when the same pair was probed within the
de-duplication window; a session starts at most ``max_probes`` probes. Targets outside loopback are
refused unless the settings allow them: the default cannot reach a real swarm by mistake (a given
``--peer`` outside loopback stops the session; a discovered one is logged as refused and skipped).

An observation's ``ts_utc`` and ``mono_ns`` are those of the session-log record of the event it records:
a discovery's announcement, the peer's handshake, the metadata verified, the piece verified; never the
moment the probe ended.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq

from vigilant import __version__
from vigilant.errors import ConfigError, VigilantError
from vigilant.p2p import clock
from vigilant.p2p.anchor import SessionEnd
from vigilant.p2p.confirm import ConfirmSettings, Probe, ProbeResult, Target
from vigilant.p2p.discovery import DiscoveredPeer, is_loopback
from vigilant.p2p.observations import Method, Observation, Tier, to_table
from vigilant.p2p.session_log import SessionLog, utc_now
from vigilant.p2p.targets import TargetSpec
from vigilant.p2p.wire import client_label

SOFTWARE = f"Vigilant {__version__}"


class RemoteTargetRefused(ConfigError):
    """A peer outside loopback while remote observation is not enabled."""


class PeerSource(Protocol):
    """Anything that names peers for a 20-byte wire infohash: discoveries (trackers, the DHT:
    :class:`~vigilant.p2p.discovery.DiscoveredPeer`, logged as ``announced``) or addresses the operator
    gave (``(ip, port, label)``, probed without an announced observation)."""

    async def peers(self, infohash: bytes, /) -> Sequence[tuple[str, int, str] | DiscoveredPeer]: ...


@dataclass(frozen=True)
class StaticPeers:
    """Peers given on the command line: every swarm is tried on each of them."""

    addresses: tuple[tuple[str, int], ...]
    label: str = "cli"

    async def peers(self, infohash: bytes) -> list[tuple[str, int, str]]:
        return [(ip, port, self.label) for ip, port in self.addresses]


@dataclass(frozen=True)
class ObserverSettings:
    confirm: ConfirmSettings = field(default_factory=ConfirmSettings)
    concurrency: int = 32
    per_ip: int = 2
    retries: int = 2
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    dedupe_window: float = 600.0
    allow_remote: bool = False
    operator: str = "unknown"
    case_id: str | None = None
    library_version: str | None = None
    torrent_trackers: bool = True  # announce to the trackers each torrent names (loopback unless remote)
    tracker_timeout: float = 10.0
    discovery_timeout: float = 60.0  # the most one source may take for one swarm
    max_probes: int = 10_000  # probes one session may start, PEX discoveries included
    ntp_server: str | None = None  # IP:PORT of the agency's time server, measured at each session start

    def as_json(self) -> dict[str, Any]:
        text = json.dumps(asdict(self), default=lambda v: v.hex() if isinstance(v, bytes) else str(v))
        data: dict[str, Any] = json.loads(text)
        return data

    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.as_json(), sort_keys=True).encode()).hexdigest()


@dataclass
class SessionResult:
    session_id: str
    log_path: Path
    parquet_path: Path
    observations: list[Observation]
    probes: list[ProbeResult]
    parquet_sha256: str | None = None
    records: int = 0  # in the closed log
    final_sha256: str | None = None  # the session_end record's hash: what the audit chain anchors

    @property
    def discoveries(self) -> list[Observation]:
        return [o for o in self.observations if o.tier == Tier.ANNOUNCED.value]


@dataclass(frozen=True)
class _Found:
    """A peer to probe for one swarm: from an operator (``discovered`` None) or from a discovery source."""

    target: Target
    ip: str
    port: int
    reported_by: str
    discovered: DiscoveredPeer | None


def uuid7() -> str:
    """A time-ordered UUID (RFC 9562 v7): 48-bit ms timestamp, version, variant, random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return str(uuid.UUID(int=value))


def check_address(ip: str, allow_remote: bool) -> None:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        raise RemoteTargetRefused(f"peer {ip!r} is not an IP address", hint="give peers as IP:PORT") from None
    if not address.is_loopback and not allow_remote:
        raise RemoteTargetRefused(
            f"peer {ip} is outside loopback and remote observation is off",
            hint="observing real swarms needs --allow-remote (allow_remote=True) and the authority to do it",
        )


class Observer:
    def __init__(
        self,
        settings: ObserverSettings,
        data_dir: Path,
        sources: Sequence[PeerSource],
        on_end: Callable[[SessionEnd], None] | None = None,
    ) -> None:
        self.s = settings
        self.on_end = on_end  # told each session's end once its log is closed: the audit anchor
        self.data_dir = data_dir
        self.sources = list(sources)
        self._seen: dict[tuple[str, int, bytes], float] = {}
        self._global = asyncio.Semaphore(settings.concurrency)
        self._per_ip: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_ip))
        self.clock_source = clock.ClockReport(None, None, "not measured yet").describe()
        self.clock_offset_ms: float | None = None
        # per session: the discovery queue and the count of producers and probes still running
        self._queue: asyncio.Queue[_Found | None] = asyncio.Queue()
        self._busy = 0
        self._started = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._errors: list[BaseException | None] = []

    async def run(self, specs: Sequence[TargetSpec]) -> SessionResult:
        self._busy, self._started, self._errors = 0, 0, []
        for source in self.sources:  # an operator's own peer list is checked before anything is sent
            if isinstance(source, StaticPeers):
                for ip, _ in source.addresses:
                    check_address(ip, self.s.allow_remote)
        report = await asyncio.to_thread(clock.measure, self.s.ntp_server, allow_remote=self.s.allow_remote)
        self.clock_source, self.clock_offset_ms = report.describe(), report.offset_ms
        session_id = uuid7()
        folder = self.data_dir / "observations"
        log = SessionLog(folder / f"session-{session_id}.jsonl")
        result: SessionResult | None = None
        try:
            result = await self._session(session_id, folder, log, specs)
        finally:
            for task in self._tasks:
                task.cancel()
            log.close()
            end = SessionEnd(
                session_id,
                log.path.name,
                log.records,
                log.last_sha256,
                result.parquet_sha256 if result else None,
                self.s.case_id,
            )
            if result is not None:
                result.records, result.final_sha256 = end.records, end.final_sha256
            if self.on_end is not None:  # a failed session is anchored too: its log is evidence of it
                self.on_end(end)
        return result

    async def _session(
        self, session_id: str, folder: Path, log: SessionLog, specs: Sequence[TargetSpec]
    ) -> SessionResult:
        log.append(
            "session_start",
            session_id=session_id,
            software=SOFTWARE,
            settings=self.s.as_json(),
            settings_sha256=self.s.sha256(),
            library_version=self.s.library_version,
            clock_source=self.clock_source,
            clock_offset_ms=self.clock_offset_ms,
            operator=self.s.operator,
            case_id=self.s.case_id,
        )
        work: list[tuple[Target, PeerSource, str]] = []
        for spec in specs:
            blob = log.store_blob(spec.torrent) if spec.torrent else None
            first = spec.targets()[0]
            log.append(
                "target",
                target_id=first.target_id,
                name=spec.name,
                torrent_blob=blob,
                infohash_v1=_hex(first.infohash_v1),
                infohash_v2=_hex(first.infohash_v2),
                trackers=list(spec.trackers),
            )
            sources = [(src, _source_label(src)) for src in self.sources]
            sources += self._torrent_trackers(log, spec)
            for target in spec.targets():
                work += [(target, src, label) for src, label in sources]
        observations: list[Observation] = []
        probes: list[ProbeResult] = []
        self._busy = len(work)
        for target, src, label in work:
            self._spawn(self._discover(log, target, src, label))
        if not work:
            self._queue.put_nowait(None)
        while True:
            found = await self._queue.get()
            if found is None:
                if self._busy == 0 and self._queue.empty():
                    break
                continue
            self._dispatch(session_id, log, found, observations, probes)
        for error in self._errors:
            raise RuntimeError("an observer task failed") from error
        log.append(  # each peer's last word in one place: what it gave, or why it gave nothing
            "peer_outcomes",
            peers=[
                {
                    "ip": p.ip,
                    "port": p.port,
                    "swarm": p.target.kind,
                    "infohash": p.target.wire_hash.hex(),
                    "outcome": p.outcome,
                    "why": p.why,
                    "probe": p.probe_id,
                }
                for p in probes
            ],
        )
        parquet = folder / f"session-{session_id}.parquet"
        tmp = parquet.with_suffix(".parquet.tmp")
        pq.write_table(to_table(observations), tmp)
        os.replace(tmp, parquet)  # readers never see a half-written file
        parquet_sha256 = hashlib.sha256(parquet.read_bytes()).hexdigest()
        log.append(
            "parquet_written", path=parquet.name, sha256=parquet_sha256, observations=len(observations)
        )
        return SessionResult(session_id, log.path, parquet, observations, probes, parquet_sha256)

    # --- the discovery stream ------------------------------------------------------------------------------
    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._finished_task)

    def _finished_task(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._errors.append(task.exception())  # re-raised by the session: a bug, never swallowed

    def _done(self) -> None:
        self._busy -= 1
        if self._busy == 0:
            self._queue.put_nowait(None)  # wake the dispatcher: it ends once the queue is drained

    def _torrent_trackers(self, log: SessionLog, spec: TargetSpec) -> list[tuple[PeerSource, str]]:
        """A tracker client per URL the torrent names; remote ones only when remote observation is on."""
        if not self.s.torrent_trackers:
            return []
        from vigilant.p2p.tracker import TrackerClient  # noqa: PLC0415 (imports the UDP client too)

        given = {_source_label(src) for src in self.sources}
        sizes = {t.wire_hash: t.meta.total_length for t in spec.targets() if t.meta is not None}
        out: list[tuple[PeerSource, str]] = []
        for url in spec.trackers:
            if url in given:
                continue
            try:
                client = TrackerClient(
                    url, allow_remote=self.s.allow_remote, timeout=self.s.tracker_timeout, sizes=sizes
                )
            except VigilantError as exc:  # remote while remote is off, or a scheme we do not speak
                log.append("tracker_skipped", url=url, why=str(exc))
                continue
            out.append((client, url))
        return out

    async def _discover(self, log: SessionLog, target: Target, source: PeerSource, label: str) -> None:
        """One source for one swarm; it stays busy until its peers are on the queue."""
        try:
            try:
                async with asyncio.timeout(self.s.discovery_timeout):
                    found = await source.peers(target.wire_hash)
            except (VigilantError, TimeoutError, OSError) as exc:
                log.append(
                    "discovery_failed",
                    source=label,
                    infohash=target.wire_hash.hex(),
                    error=str(exc) or type(exc).__name__,
                )
                return
            log.append("discovery", source=label, infohash=target.wire_hash.hex(), peers=len(found))
            for item in found:
                if isinstance(item, DiscoveredPeer):
                    self._queue.put_nowait(_Found(target, item.ip, item.port, item.reported_by, item))
                else:
                    ip, port, by = item
                    self._queue.put_nowait(_Found(target, ip, port, by, None))
        finally:
            self._done()

    def _dispatch(
        self,
        session_id: str,
        log: SessionLog,
        found: _Found,
        observations: list[Observation],
        probes: list[ProbeResult],
    ) -> None:
        """Log a discovery as ``announced``, then start its probe unless it is refused, a repeat or over the
        session's limit. Runs in the one dispatcher, so the log's order is the order things happened."""
        target = found.target
        if found.discovered is not None:
            if not self.s.allow_remote and not is_loopback(found.ip):
                log.append(
                    "target_refused",
                    ip=found.ip,
                    port=found.port,
                    reported_by=found.reported_by,
                    why="outside loopback and remote observation is off",
                )
                return
            obs = self._announced(session_id, target, found.discovered)
            obs.record_sha256 = log.append("observation", **_obs_json(obs))["sha256"]
            observations.append(obs)
        else:
            check_address(found.ip, self.s.allow_remote)
        key = (found.ip, found.port, target.wire_hash)
        now = time.monotonic()
        if key in self._seen and now - self._seen[key] < self.s.dedupe_window:
            log.append(
                "skipped",
                ip=found.ip,
                port=found.port,
                infohash=target.wire_hash.hex(),
                why="probed recently",
            )
            return
        if self._started >= self.s.max_probes:
            log.append(
                "skipped",
                ip=found.ip,
                port=found.port,
                infohash=target.wire_hash.hex(),
                why=f"the session's limit of {self.s.max_probes} probes is reached",
            )
            return
        self._seen[key] = now
        self._started += 1
        self._busy += 1
        self._spawn(self._probe_and_record(session_id, log, found, observations, probes))

    async def _probe_and_record(
        self,
        session_id: str,
        log: SessionLog,
        found: _Found,
        observations: list[Observation],
        probes: list[ProbeResult],
    ) -> None:
        try:
            result = await self._probe(log, found.target, found.ip, found.port)
            probes.append(result)
            for obs in self._observations(session_id, result, found.reported_by):
                obs.record_sha256 = log.append("observation", **_obs_json(obs))["sha256"]
                observations.append(obs)
            for peer in result.pex:  # PEX: the peers this one named go round again, as discoveries
                self._queue.put_nowait(_Found(found.target, peer.ip, peer.port, peer.reported_by, peer))
        finally:
            self._done()

    async def _probe(self, log: SessionLog, target: Target, ip: str, port: int) -> ProbeResult:
        result: ProbeResult | None = None
        async with self._global, self._per_ip[ip]:
            for attempt in range(self.s.retries + 1):
                result = await Probe(target, (ip, port), self.s.confirm, log, uuid7()).run()
                if result.connected or attempt == self.s.retries:
                    break
                await asyncio.sleep(self.s.backoff * 2**attempt)  # only a failed connect is retried
        assert result is not None
        return result

    def _announced(self, session_id: str, target: Target, peer: DiscoveredPeer) -> Observation:
        return Observation(
            obs_id=uuid7(),
            session_id=session_id,
            ts_utc=peer.ts_utc,
            network="bittorrent",
            method=peer.method.value,
            tier=Tier.ANNOUNCED.value,
            ip=peer.ip,
            port=peer.port,
            source="observer",
            operator=self.s.operator,
            case_id=self.s.case_id,
            software=SOFTWARE,
            config_sha256=self.s.sha256(),
            library_version=self.s.library_version,
            clock_source=self.clock_source,
            clock_offset_ms=self.clock_offset_ms,
            mono_ns=time.monotonic_ns(),
            reported_by=peer.reported_by,
            infohash_v1=target.infohash_v1,
            infohash_v2=target.infohash_v2,
        )

    def _observations(self, session_id: str, r: ProbeResult, reported_by: str) -> list[Observation]:
        if not r.echoed or r.handshake is None:
            return []  # no echoed infohash: no tier at all
        hs = r.handshake
        meta = r.meta
        base: dict[str, Any] = {
            "session_id": session_id,
            "network": "bittorrent",
            "ip": r.ip,
            "port": r.port,
            "source": "observer",
            "operator": self.s.operator,
            "case_id": self.s.case_id,
            "software": SOFTWARE,
            "config_sha256": self.s.sha256(),
            "library_version": self.s.library_version,
            "clock_source": self.clock_source,
            "clock_offset_ms": self.clock_offset_ms,
            "reported_by": reported_by,
            "infohash_v1": r.target.infohash_v1 or (meta.infohash_v1 if meta else None),
            "infohash_v2": r.target.infohash_v2 or (meta.infohash_v2 if meta else None),
            "peer_id": hs.peer_id,
            "client": client_label(hs.peer_id),
            "ltep_v": r.ltep.version if r.ltep else None,
            "reserved": hs.reserved.hex(),
            "have_kind": r.have_kind,
            "pieces_have": len(r.have) if r.have_kind else None,
            "pieces_total": r.num_pieces,
            "seeding": r.seeding,
            "bytes_from_peer": r.bytes_from_peer,
            "single_source": True,
        }
        out: list[Observation] = []

        def emit(method: Method, tier: Tier, event: str, **extra: Any) -> None:
            # the moment of the event the observation records, as its session-log record says
            mark = r.marks.get(event)
            out.append(
                Observation(
                    obs_id=uuid7(),
                    ts_utc=mark.ts_utc if mark else utc_now(),
                    method=method.value,
                    tier=tier.value,
                    mono_ns=mark.mono_ns if mark else time.monotonic_ns(),
                    **base,
                    **extra,
                )
            )

        if r.have_kind is not None:  # the handshake echoed and the peer stated what it has
            emit(Method.HANDSHAKE, Tier.CONFIRMED, "handshake")
        if r.metadata_verified:
            emit(Method.METADATA, Tier.CONFIRMED, "metadata", metadata_verified=True)
        if r.checks:
            emit(
                Method.PIECE,
                Tier.DOWNLOADED,
                "piece",
                pieces_verified=list(r.checks),
                metadata_verified=r.metadata_verified,
            )
        return out


def _source_label(source: object) -> str:
    """How the log names a source: a tracker's URL, the DHT's bootstrap nodes, else the class name."""
    url = getattr(source, "url", None)
    if isinstance(url, str):
        return url
    label = getattr(source, "label", None)
    if isinstance(label, str):
        return label
    bootstrap = getattr(source, "bootstrap", None)
    if isinstance(bootstrap, list):
        return "dht:" + ",".join(f"{h}:{p}" for h, p in bootstrap)
    return type(source).__name__


def _hex(value: bytes | None) -> str | None:
    return value.hex() if value is not None else None


def _obs_json(obs: Observation) -> dict[str, Any]:
    data = asdict(obs)
    data.pop("record_sha256")
    text = json.dumps(data, default=_json_default)
    out: dict[str, Any] = json.loads(text)
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    return value.isoformat(timespec="microseconds")  # datetimes
