"""The observer: confirm many peers for many torrents, bounded, logged, and written to Parquet.

Peers come from any :class:`PeerSource` (the CLI's ``--peer`` list, trackers, the DHT); each (peer,
swarm) pair becomes one :class:`~vigilant.p2p.confirm.Probe` under a global and a per-IP concurrency
limit, retried with back-off only when the TCP connection failed, and skipped when the same pair was
probed within the de-duplication window. Targets outside loopback are refused unless the settings allow
them: the default cannot reach a real swarm by mistake.
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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq

from vigilant import __version__
from vigilant.errors import ConfigError
from vigilant.p2p.confirm import ConfirmSettings, Probe, ProbeResult, Target
from vigilant.p2p.observations import Method, Observation, Tier, to_table
from vigilant.p2p.session_log import SessionLog, utc_now
from vigilant.p2p.targets import TargetSpec
from vigilant.p2p.wire import client_label

SOFTWARE = f"Vigilant {__version__}"


class RemoteTargetRefused(ConfigError):
    """A peer outside loopback while remote observation is not enabled."""


class PeerSource(Protocol):
    """Anything that names peers for a 20-byte wire infohash: ``(ip, port, reported_by)``."""

    async def peers(self, infohash: bytes) -> list[tuple[str, int, str]]: ...


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
    def __init__(self, settings: ObserverSettings, data_dir: Path, sources: Sequence[PeerSource]) -> None:
        self.s = settings
        self.data_dir = data_dir
        self.sources = list(sources)
        self._seen: dict[tuple[str, int, bytes], float] = {}
        self._global = asyncio.Semaphore(settings.concurrency)
        self._per_ip: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_ip))
        self.clock_source = (
            f"system clock ({time.get_clock_info('time').implementation}); NTP offset not measured"
        )

    async def run(self, specs: Sequence[TargetSpec]) -> SessionResult:
        session_id = uuid7()
        folder = self.data_dir / "observations"
        log = SessionLog(folder / f"session-{session_id}.jsonl")
        try:
            return await self._session(session_id, folder, log, specs)
        finally:
            log.close()

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
            operator=self.s.operator,
            case_id=self.s.case_id,
        )
        jobs: list[tuple[Target, str, int, str]] = []
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
            )
            for target in spec.targets():
                for source in self.sources:
                    for ip, port, reported_by in await source.peers(target.wire_hash):
                        check_address(ip, self.s.allow_remote)  # before any connection is made
                        jobs.append((target, ip, port, reported_by))
        probes = await asyncio.gather(*(self._probe(log, *job) for job in jobs))
        observations: list[Observation] = []
        for (_, _, _, reported_by), result in zip(jobs, probes, strict=True):
            if result is None:
                continue
            for obs in self._observations(session_id, result, reported_by):
                obs.record_sha256 = log.append("observation", **_obs_json(obs))["sha256"]
                observations.append(obs)
        parquet = folder / f"session-{session_id}.parquet"
        tmp = parquet.with_suffix(".parquet.tmp")
        pq.write_table(to_table(observations), tmp)
        os.replace(tmp, parquet)  # readers never see a half-written file
        log.append(
            "parquet_written",
            path=parquet.name,
            sha256=hashlib.sha256(parquet.read_bytes()).hexdigest(),
            observations=len(observations),
        )
        return SessionResult(session_id, log.path, parquet, observations, [p for p in probes if p])

    async def _probe(
        self, log: SessionLog, target: Target, ip: str, port: int, by: str
    ) -> ProbeResult | None:
        key = (ip, port, target.wire_hash)
        now = time.monotonic()
        if key in self._seen and now - self._seen[key] < self.s.dedupe_window:
            log.append("skipped", ip=ip, port=port, infohash=target.wire_hash.hex(), why="probed recently")
            return None
        self._seen[key] = now
        result: ProbeResult | None = None
        async with self._global, self._per_ip[ip]:
            for attempt in range(self.s.retries + 1):
                result = await Probe(target, (ip, port), self.s.confirm, log, uuid7()).run()
                if result.connected or attempt == self.s.retries:
                    break
                await asyncio.sleep(self.s.backoff * 2**attempt)  # only a failed connect is retried
        return result

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

        def emit(method: Method, tier: Tier, **extra: Any) -> None:
            now = utc_now()
            out.append(
                Observation(
                    obs_id=uuid7(),
                    ts_utc=now,
                    method=method.value,
                    tier=tier.value,
                    mono_ns=time.monotonic_ns(),
                    **base,
                    **extra,
                )
            )

        if r.have_kind is not None:  # the handshake echoed and the peer stated what it has
            emit(Method.HANDSHAKE, Tier.CONFIRMED)
        if r.metadata_verified:
            emit(Method.METADATA, Tier.CONFIRMED, metadata_verified=True)
        if r.checks:
            emit(
                Method.PIECE,
                Tier.DOWNLOADED,
                pieces_verified=list(r.checks),
                metadata_verified=r.metadata_verified,
            )
        return out


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
