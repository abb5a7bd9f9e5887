"""Confirming one peer for one swarm: the per-target state machine (reference p2p.md §7).

One TCP connection, nothing else (single-source): handshake that must echo the infohash → our have-state
(HAVE_NONE with the Fast extension, else an empty bitfield: we never claim a piece) → LTEP handshake →
collect the peer's have-state for a bounded window → optionally fetch the metadata (accepted only if it
hashes to the infohash) → optionally download ONE advertised piece in 16 KiB blocks and verify it.
Peers the peer names by PEX (BEP 11) on that connection are kept as discoveries (leads, never evidence);
when the peer offers ut_pex the probe may wait up to ``pex_wait`` seconds for its first PEX message.
A probe ends as soon as its evidence is complete: a seeder (HAVE_ALL or a full bitfield) has stated its
whole have-state at once, so it is not held open for the have-window (``probe_end`` logs ``open_s``).
We never unchoke, never answer a request, never send a piece or a hash. Every step is bounded in time and
bytes; whatever the peer does, :meth:`Probe.run` returns a :class:`ProbeResult` and never raises.

BitTorrent v2 from a magnet (BEP 52): the verified info dict names each file's ``pieces root`` but not
its piece layer. For a piece of a multi-piece file the probe sends ONE hash request (message 21) on the same
connection for the piece-layer hashes around that piece plus the uncle hashes up to the root; the answer
(22) must match the request exactly and prove itself against the pieces root before the piece is checked
against the proven hash. The request and the proof are logged, so ``verify_log`` re-runs both checks.

Tier rules (the observer turns a :class:`ProbeResult` into observations):

* no echoed infohash → no observation at all;
* echoed infohash + a stated have-state, or metadata that hashes to the infohash → ``confirmed``;
* ``downloaded`` only when ``checks`` is non-empty: one advertised piece, every block from this one
  connection, matching the v1 SHA-1 piece hash and/or the v2 Merkle hash from the torrent's piece layer,
  the file's root (one-piece file), or a peer's proof that verified against the root;
* once a v2 proof was asked for, a hash reject, no answer within ``hash_timeout``, a malformed or
  oversized hashes message or a proof that does not lead to the root ends the download: the probe stays
  ``confirmed`` and the reason is in the session log (``download_abandoned``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from vigilant.p2p import wire
from vigilant.p2p.discovery import DiscoveredPeer
from vigilant.p2p.observations import VerifiedPiece
from vigilant.p2p.pex import PexError, discoveries, parse_pex_dict
from vigilant.p2p.pieces import HashProof, PieceMismatch, proof_request, proven_piece_hash, verify_piece
from vigilant.p2p.torrent import BLOCK, Metainfo, TorrentError, parse_info
from vigilant.p2p.wire import MsgId, PeerError


class ProbeLog(Protocol):
    def append(self, kind: str, **data: Any) -> dict[str, Any]: ...
    def store_blob(self, data: bytes) -> str: ...


@dataclass(frozen=True)
class ConfirmSettings:
    connect_timeout: float = 5.0
    have_window: float = 10.0  # how long to collect HAVEs after the handshake
    timeout: float = 30.0  # the whole probe, whatever the peer does
    download: bool = True
    fetch_metadata: bool = True
    max_bytes: int = 8 << 20  # bytes accepted from one peer before we stop
    max_frame: int = wire.MAX_FRAME
    max_metadata: int = 16 << 20
    max_rejects: int = 8
    hash_timeout: float = 10.0  # how long to wait for the answer to our v2 hash request
    pex: bool = True  # ask for the peer's PEX (we never send any)
    pex_wait: float = 0.0  # once all else is done, wait this long after the LTEP handshake for PEX
    max_pex_peers: int = 200  # PEX discoveries kept from one connection
    peer_id_prefix: bytes = b"-VG0100-"
    client_version: str | None = None  # LTEP `v`; None sends none


@dataclass(frozen=True)
class Target:
    target_id: str  # stable name in the log: the hex of the torrent's first infohash
    wire_hash: bytes  # the 20 bytes sent in the handshake
    kind: str  # "v1" | "v2": which swarm of a hybrid this probe joins
    infohash_v1: bytes | None
    infohash_v2: bytes | None
    meta: Metainfo | None  # None for a magnet until the metadata is fetched


# What a probe came to: evidence (the first two), or the reason it gave none.
OUTCOMES = (
    "downloaded",  # a piece verified
    "confirmed",  # the infohash echoed, and a have-state stated or the metadata verified
    "refused",  # the connection was refused
    "unreachable",  # any other failure to connect
    "timed out",  # no connection, or no end of the exchange, within its time limit
    "closed by peer",  # the peer hung up before it confirmed anything
    "no echo",  # the peer answered with another infohash: not in this swarm
    "no have-state",  # the infohash echoed, but the peer never said what it has
    "protocol error",  # the peer broke the protocol
)
EVIDENCE = ("downloaded", "confirmed")


@dataclass(frozen=True)
class EventMark:
    """When an event of a probe happened, as its session-log record says, and which record that is."""

    ts_utc: datetime
    mono_ns: int
    seq: int
    sha256: str

    @classmethod
    def of(cls, record: dict[str, Any]) -> EventMark:
        when = datetime.fromisoformat(str(record["ts_utc"]))
        return cls(when, int(record["mono_ns"]), int(record["seq"]), str(record["sha256"]))


@dataclass
class ProbeResult:
    target: Target
    ip: str
    port: int
    probe_id: str
    connected: bool = False
    handshake: wire.Handshake | None = None
    echoed: bool = False
    have_kind: str | None = None
    have: set[int] = field(default_factory=set)
    num_pieces: int | None = None
    ltep: wire.LtepInfo | None = None
    metadata_verified: bool | None = None
    meta: Metainfo | None = None
    piece_index: int | None = None
    piece_blob: str | None = None
    checks: list[VerifiedPiece] = field(default_factory=list)
    bytes_from_peer: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    pex: list[DiscoveredPeer] = field(default_factory=list)  # peers this peer named (leads only)
    open_s: float | None = None  # seconds from the connect attempt to the close (monotonic clock)
    # what the probe came to, one of OUTCOMES, and why in words (logged in ``probe_end``, shown by the CLI)
    outcome: str | None = None
    why: str | None = None
    # the moment of each event an observation records: handshake, have_state, metadata, piece
    marks: dict[str, EventMark] = field(default_factory=dict)

    @property
    def seeding(self) -> bool | None:
        if self.have_kind == "have_all":
            return True
        if self.num_pieces and self.have_kind:
            return len(self.have) >= self.num_pieces
        return None


class Probe:
    def __init__(
        self,
        target: Target,
        address: tuple[str, int],
        settings: ConfirmSettings,
        log: ProbeLog,
        probe_id: str,
    ) -> None:
        ip, port = address
        self.t = target
        self.s = settings
        self.log = log
        self.r = ProbeResult(target, ip, port, probe_id, meta=target.meta)
        self.writer: asyncio.StreamWriter | None = None
        self.choked = True
        self.allowed_fast: set[int] = set()
        self.raw_bitfield: bytes | None = None  # a magnet's bitfield, checked once the piece count is known
        self.have_closed = False
        # metadata
        self.meta_pieces: dict[int, bytes] = {}
        self.meta_requested = False
        self.meta_done = not (settings.fetch_metadata or target.meta is None)
        # download: one piece, its blocks by offset
        self.dl_done = not settings.download
        self.blocks: dict[int, bytes] = {}
        self.outstanding: set[int] = set()
        self.rejects = 0
        self.interested_sent = False
        # v2 from a magnet: one hash request (BEP 52) for the chosen piece, and its verified answer
        self.hash_req: wire.HashHeader | None = None
        self.hash_deadline: float | None = None
        self.proof: HashProof | None = None
        # PEX: wait for it only if the peer offers it, only once the rest is done, and only until the deadline
        self.pex_received = False
        self.pex_deadline: float | None = None

    # --- the run -------------------------------------------------------------------------------------------
    async def run(self) -> ProbeResult:
        started = time.monotonic_ns()
        failure: str | None = None  # how the exchange broke off, where it did
        try:
            async with asyncio.timeout(self.s.timeout):
                await self._run()
        except TimeoutError:
            failure = "timed out"
            self.r.error = self.r.error or f"probe stopped at its {self.s.timeout:g} s limit"
        except PeerError as exc:
            failure = "protocol error"
            self.r.error = f"peer broke the protocol: {exc}"
        except ConnectionRefusedError as exc:
            failure = "refused"
            self.r.error = f"connection refused: {exc.strerror or exc}"
        except (OSError, EOFError) as exc:
            failure = "closed by peer" if self.r.connected else "unreachable"
            what = "the peer closed the connection" if self.r.connected else "connection failed"
            self.r.error = f"{what}: {exc or type(exc).__name__}"
        finally:
            await self._close()
            self.r.open_s = round((time.monotonic_ns() - started) / 1e9, 6)
        self.r.outcome, self.r.why = self._outcome(failure)
        self.log.append(
            "probe_end",
            probe=self.r.probe_id,
            outcome=self.r.outcome,
            why=self.r.why,
            open_s=self.r.open_s,
            error=self.r.error,
            bytes_from_peer=self.r.bytes_from_peer,
            have_kind=self.r.have_kind,
            pieces_have=len(self.r.have),
            echoed=self.r.echoed,
        )
        return self.r

    def _outcome(self, failure: str | None) -> tuple[str, str]:
        """What the probe came to (one of :data:`OUTCOMES`) and why, in words for the log and the CLI."""
        r = self.r
        detail = "; ".join([*([r.error] if r.error else []), *r.notes])
        if r.checks:
            return "downloaded", f"piece {r.piece_index} verified against the torrent's hash"
        if r.echoed and (r.have_kind is not None or r.metadata_verified):
            return "confirmed", detail or "the infohash echoed and the peer stated what it has"
        if r.echoed:
            why = "the infohash echoed, but the peer never stated what it has"
            return "no have-state", f"{why} ({detail})" if detail else why
        if r.handshake is not None:
            return "no echo", detail or "the peer answered with another infohash"
        if r.connected:
            detail = f"connected, but no handshake came back ({detail or 'none'})"
        return failure or "closed by peer", detail or "the exchange ended before the peer's handshake"

    async def _close(self) -> None:
        if self.writer is None:
            return
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError, asyncio.CancelledError):
            async with asyncio.timeout(1.0):
                await self.writer.wait_closed()

    async def _run(self) -> None:
        self.log.append(
            "connect",
            probe=self.r.probe_id,
            ip=self.r.ip,
            port=self.r.port,
            target_id=self.t.target_id,
            infohash=self.t.wire_hash.hex(),
            swarm=self.t.kind,
        )
        try:
            async with asyncio.timeout(self.s.connect_timeout):
                reader, self.writer = await asyncio.open_connection(self.r.ip, self.r.port)
        except TimeoutError:
            self.r.error = f"no answer to the connection within {self.s.connect_timeout:g} s"
            raise
        self.r.connected = True
        peer_id = wire.new_peer_id(self.s.peer_id_prefix)
        reserved = wire.reserved_bits(v2=self.t.kind == "v2")
        await self._send(
            wire.build_handshake(self.t.wire_hash, peer_id, reserved),
            "handshake",
            reserved=reserved.hex(),
            peer_id=peer_id.hex(),
        )
        hs = await wire.read_handshake(reader)
        self.r.handshake = hs
        record = self._recv(
            "handshake", reserved=hs.reserved.hex(), infohash=hs.infohash.hex(), peer_id=hs.peer_id.hex()
        )
        self.r.marks["handshake"] = EventMark.of(record)
        if hs.infohash != self.t.wire_hash:
            self.r.error = "the peer answered with another infohash: not a member of this swarm"
            return
        self.r.echoed = True
        if self.t.meta is not None:
            self.r.num_pieces = self.t.meta.num_pieces
        # BEP 6: our have-state goes right after the handshake, and it is always "nothing"
        if hs.fast:
            await self._send(wire.have_none(), "have_none")
        elif self.r.num_pieces is not None:
            await self._send(wire.empty_bitfield(self.r.num_pieces), "bitfield", set_bits=0)
        if hs.ltep:
            await self._send(
                wire.ltep_handshake(self.s.client_version, pex=self.s.pex),
                "extended",
                ext_id=0,
                ut_metadata=wire.UT_METADATA_ID,
                ut_pex=wire.UT_PEX_ID if self.s.pex else None,
            )
        loop = asyncio.get_running_loop()
        have_deadline = loop.time() + self.s.have_window
        while not self._finished():
            deadlines: list[float] = []
            if self._have_window_needed():
                deadlines.append(have_deadline)
            if self._waiting_for_pex_only():
                assert self.pex_deadline is not None
                deadlines.append(self.pex_deadline)
            if self._hash_pending():
                assert self.hash_deadline is not None
                deadlines.append(self.hash_deadline)
            remaining = min(deadlines) - loop.time() if deadlines else None
            try:
                async with asyncio.timeout(remaining):
                    msg = await wire.read_message(reader, self.s.max_frame)
            except TimeoutError:
                now = loop.time()
                if self._hash_pending() and self.hash_deadline is not None and now >= self.hash_deadline:
                    self._download_failed(f"no answer to the hash request within {self.s.hash_timeout:g} s")
                if not self.have_closed and now >= have_deadline:
                    self.have_closed = True
                    await self._progress()
                if self.pex_deadline is not None and now >= self.pex_deadline:
                    self.pex_deadline = None  # the PEX wait is over: nothing came
                continue
            await self._handle(msg)
            await self._progress()

    def _finished(self) -> bool:
        return self._evidence_done() and not self._pex_pending()

    def _evidence_done(self) -> bool:
        return (self.have_closed or self.r.seeding is True) and self.meta_done and self.dl_done

    def _have_window_needed(self) -> bool:
        """Whether the have-window still matters: a seeder (HAVE_ALL or a full bitfield) has stated all it
        will ever have, so once the metadata is settled or asked for, nothing waits for the window to close
        (its close only serves peers still announcing pieces, and peers that never offer the metadata)."""
        if self.have_closed:
            return False
        return not (self.r.seeding is True and (self.meta_done or self.meta_requested))

    def _pex_pending(self) -> bool:
        return (
            not self.pex_received
            and self.pex_deadline is not None
            and asyncio.get_running_loop().time() < self.pex_deadline
        )

    def _waiting_for_pex_only(self) -> bool:
        return self._evidence_done() and self._pex_pending()

    def _hash_pending(self) -> bool:
        return self.hash_req is not None and self.proof is None and not self.dl_done

    # --- sending and logging -------------------------------------------------------------------------------
    async def _send(self, data: bytes, name: str, **summary: Any) -> None:
        assert self.writer is not None
        self.log.append("sent", probe=self.r.probe_id, msg=name, bytes=len(data), **summary)
        self.writer.write(data)
        await self.writer.drain()

    def _recv(self, name: str, **summary: Any) -> dict[str, Any]:
        return self.log.append("recv", probe=self.r.probe_id, msg=name, **summary)

    # --- what the peer sent --------------------------------------------------------------------------------
    async def _handle(self, msg: wire.Message) -> None:
        mid, payload = msg.id, msg.payload
        if mid is None:
            self._recv("keep_alive")
            return
        name = MsgId(mid).name.lower() if mid in MsgId._value2member_map_ else f"unknown_{mid}"
        if mid == MsgId.CHOKE:
            self._recv(name)
            self.choked = True
            if not self.r.handshake or not self.r.handshake.fast:
                self.outstanding.clear()  # without Fast, a choke silently drops our requests
        elif mid == MsgId.UNCHOKE:
            self._recv(name)
            self.choked = False
        elif mid == MsgId.HAVE:
            index = wire.parse_u32(payload, "have")
            record = self._recv(name, index=index)
            if self.r.num_pieces is not None and index >= self.r.num_pieces:
                raise PeerError(f"HAVE {index} past the last piece {self.r.num_pieces - 1}")
            self.r.have.add(index)
            self._have_kind("haves")
            self.r.marks.setdefault("have_state", EventMark.of(record))
        elif mid == MsgId.BITFIELD:
            record = self._recv(
                name,
                bytes=len(payload),
                sha256=hashlib.sha256(payload).hexdigest(),
                hex=payload.hex() if len(payload) <= 64 else None,
            )
            if self.r.have_kind is not None:
                raise PeerError("a bitfield after the have-state was already stated")
            if self.r.num_pieces is None:
                self.raw_bitfield = payload
            else:
                self.r.have |= wire.parse_bitfield(payload, self.r.num_pieces)
            self.r.have_kind = "bitfield"
            self.r.marks["have_state"] = EventMark.of(record)
        elif mid in (MsgId.HAVE_ALL, MsgId.HAVE_NONE):
            record = self._recv(name)
            if not self.r.handshake or not self.r.handshake.fast:
                raise PeerError(f"{name} without the Fast extension negotiated")
            if self.r.have_kind is not None:
                raise PeerError(f"{name} after the have-state was already stated")
            self.r.have_kind = name
            self.r.marks["have_state"] = EventMark.of(record)
            if mid == MsgId.HAVE_ALL and self.r.num_pieces is not None:
                self.r.have = set(range(self.r.num_pieces))
        elif mid == MsgId.ALLOWED_FAST:
            index = wire.parse_u32(payload, "allowed_fast")
            self._recv(name, index=index)
            self.allowed_fast.add(index)
        elif mid == MsgId.REQUEST:
            self._recv(name, request=list(wire.parse_request(payload)), answered=False)  # we never upload
        elif mid == MsgId.PIECE:
            self._block(*wire.parse_block(payload))
        elif mid == MsgId.REJECT:
            index, begin, length = wire.parse_request(payload)
            self._recv(name, index=index, begin=begin, length=length)
            if index == self.r.piece_index and begin in self.outstanding:
                self.outstanding.discard(begin)
                self.rejects += 1
                if self.rejects > self.s.max_rejects:
                    self._download_failed(f"the peer rejected {self.rejects} requests")
        elif mid == MsgId.EXTENDED:
            self._extended(wire.parse_extended(payload))
        elif mid == MsgId.HASHES:
            self._hashes(payload)
        elif mid == MsgId.HASH_REJECT:
            self._hash_reject(payload)
        elif mid == MsgId.HASH_REQUEST:  # we never serve hashes: logged, never answered
            self._recv(name, bytes=len(payload), answered=False)
        else:
            self._recv(name, bytes=len(payload))

    def _have_kind(self, kind: str) -> None:
        if self.r.have_kind is None:
            self.r.have_kind = kind
        elif kind not in self.r.have_kind:
            self.r.have_kind = f"{self.r.have_kind}+{kind}"

    def _block(self, index: int, begin: int, data: bytes) -> None:
        self.r.bytes_from_peer += len(data)
        wanted = index == self.r.piece_index and begin in self.outstanding and self.r.meta is not None
        self._recv(
            "piece",
            index=index,
            begin=begin,
            length=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            requested=wanted,
        )
        if self.r.bytes_from_peer > self.s.max_bytes:
            self._download_failed(f"the peer sent more than {self.s.max_bytes} bytes")
            return
        if not wanted or self.r.meta is None or self.r.piece_index is None:
            return  # unsolicited data is logged and dropped, never used as evidence
        span = self.r.meta.piece_span(self.r.piece_index)
        if len(data) != min(BLOCK, span.length - begin):
            return
        self.outstanding.discard(begin)
        self.blocks[begin] = data

    def _hashes(self, payload: bytes) -> None:
        """BEP 52 hashes: used only as the exact answer to our one request, and only with a valid proof."""
        try:
            head, body = wire.parse_hash_header(payload)
        except PeerError as exc:
            self._recv("hashes", bytes=len(payload), error=str(exc))
            if self._hash_pending():
                self._download_failed(f"malformed hashes message: {exc}")
            return
        count = len(body) // 32
        self._recv(
            "hashes",
            pieces_root=head.pieces_root.hex(),
            base=head.base,
            index=head.index,
            length=head.length,
            proof_layers=head.proof_layers,
            bytes=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            hashes=[body[i : i + 32].hex() for i in range(0, 32 * count, 32)] if count <= 64 else None,
            requested=head == self.hash_req,
        )
        if head != self.hash_req or not self._hash_pending():
            return  # unsolicited hashes are logged and dropped, never used as evidence
        meta, index = self.r.meta, self.r.piece_index
        assert meta is not None
        assert index is not None
        if len(body) % 32 or count < head.length:
            self._download_failed(f"hashes message of {len(body)} bytes for {head.length} hashes")
            return
        proof = HashProof(
            head.pieces_root,
            head.base,
            head.index,
            tuple(body[i : i + 32] for i in range(0, 32 * head.length, 32)),
            tuple(body[i : i + 32] for i in range(32 * head.length, 32 * count, 32)),
        )
        try:
            piece_hash = proven_piece_hash(meta, index, proof)
        except PieceMismatch as exc:
            self.log.append("hash_proof_failed", probe=self.r.probe_id, index=index, reason=str(exc))
            self._download_failed(f"hash proof rejected: {exc}")
            return
        self.proof = proof
        self.log.append(
            "hash_proof_verified",
            probe=self.r.probe_id,
            index=index,
            piece_hash=piece_hash.hex(),
            proof=proof.as_json(),
        )

    def _hash_reject(self, payload: bytes) -> None:
        try:
            head, rest = wire.parse_hash_header(payload)
        except PeerError as exc:
            self._recv("hash_reject", bytes=len(payload), error=str(exc))
            if self._hash_pending():
                self._download_failed(f"malformed hash reject: {exc}")
            return
        self._recv("hash_reject", pieces_root=head.pieces_root.hex(), index=head.index, bytes=len(rest))
        if head == self.hash_req and self._hash_pending():
            self._download_failed("the peer rejected our hash request: no proof for the piece")

    def _extended(self, ext: wire.Extended) -> None:
        if ext.ext_id == 0:
            self.r.ltep = wire.parse_ltep_handshake(ext.header)
            self._recv(
                "extended_handshake",
                v=self.r.ltep.version,
                metadata_size=self.r.ltep.metadata_size,
                ut_metadata=self.r.ltep.ut_metadata,
            )
            if not self.meta_done and (self.r.ltep.ut_metadata is None or self.r.ltep.metadata_size is None):
                self._metadata_failed("the peer offers no metadata (no ut_metadata or metadata_size)")
            if self.s.pex and self.r.ltep.ut_pex is not None and self.s.pex_wait > 0:
                self.pex_deadline = asyncio.get_running_loop().time() + self.s.pex_wait
            return
        if ext.ext_id == wire.UT_PEX_ID and self.s.pex:
            self._pex(ext.header)
            return
        if ext.ext_id != wire.UT_METADATA_ID:
            self._recv("extended", ext_id=ext.ext_id, bytes=len(ext.trailer))
            return
        msg_type, piece = ext.header.get(b"msg_type"), ext.header.get(b"piece")
        self._recv(
            "ut_metadata",
            msg_type=msg_type,
            piece=piece,
            bytes=len(ext.trailer),
            sha256=hashlib.sha256(ext.trailer).hexdigest(),
        )
        if self.meta_done or not self.meta_requested:
            return
        size = self.r.ltep.metadata_size if self.r.ltep else None
        if msg_type == 2 or size is None or not isinstance(piece, int):
            self._metadata_failed("the peer refused or garbled the metadata")
            return
        count = -(-size // wire.METADATA_PIECE)
        expected = min(wire.METADATA_PIECE, size - piece * wire.METADATA_PIECE) if 0 <= piece < count else -1
        if msg_type != 1 or len(ext.trailer) != expected:
            self._metadata_failed(f"metadata piece {piece} has the wrong size")
            return
        self.meta_pieces[piece] = ext.trailer
        if len(self.meta_pieces) == count:
            self._metadata_complete(b"".join(self.meta_pieces[i] for i in range(count)))

    def _pex(self, header: dict[bytes, Any]) -> None:
        try:
            message = parse_pex_dict(header)
        except PexError as exc:  # a broken PEX message is dropped; the connection and its evidence stand
            self._recv("ut_pex", error=str(exc))
            return
        self.pex_received = True
        room = max(0, self.s.max_pex_peers - len(self.r.pex))
        found = discoveries(message, sender=(self.r.ip, self.r.port))[:room]
        self._recv(
            "ut_pex",
            added=[[p.ip, p.port] for p in found],
            added_total=len(message.added),
            dropped=len(message.dropped),
        )
        self.r.pex += found

    def _metadata_complete(self, raw: bytes) -> None:
        self.meta_done = True
        t = self.t
        if t.kind == "v1":
            ok = hashlib.sha1(raw).digest() == t.wire_hash
        else:
            full = hashlib.sha256(raw).digest()
            ok = full[:20] == t.wire_hash and (t.infohash_v2 is None or full == t.infohash_v2)
        self.r.metadata_verified = ok
        if not ok:
            self.log.append(
                "metadata_rejected", probe=self.r.probe_id, sha256=hashlib.sha256(raw).hexdigest()
            )
            self.r.notes.append("metadata did not hash to the infohash")
            return
        blob = self.log.store_blob(raw)
        record = self.log.append(
            "metadata_verified", probe=self.r.probe_id, target_id=t.target_id, info_blob=blob
        )
        self.r.marks["metadata"] = EventMark.of(record)
        if self.r.meta is None:
            try:
                self.r.meta = parse_info(raw)
            except TorrentError as exc:
                self.r.notes.append(f"verified metadata does not parse: {exc}")
                return
            self.r.num_pieces = self.r.meta.num_pieces
            if self.raw_bitfield is not None:
                self.r.have |= wire.parse_bitfield(self.raw_bitfield, self.r.num_pieces)
            if self.r.have_kind == "have_all":
                self.r.have = set(range(self.r.num_pieces))

    def _metadata_failed(self, why: str) -> None:
        self.meta_done = True
        self.r.metadata_verified = False
        self.r.notes.append(why)

    def _download_failed(self, why: str) -> None:
        self.dl_done = True
        self.outstanding.clear()
        self.r.notes.append(why)
        self.log.append("download_abandoned", probe=self.r.probe_id, index=self.r.piece_index, reason=why)

    # --- what we ask for next ------------------------------------------------------------------------------
    async def _progress(self) -> None:
        if not self.meta_done and not self.meta_requested and self.r.ltep is not None:
            await self._request_metadata()
        if not self.meta_done and self.have_closed and not self.meta_requested:
            self._metadata_failed("the peer offers no metadata (no ut_metadata or metadata_size)")
        if not self.dl_done:
            await self._download_step()

    async def _request_metadata(self) -> None:
        assert self.r.ltep is not None
        size, ext = self.r.ltep.metadata_size, self.r.ltep.ut_metadata
        if ext is None or size is None:
            return
        if size > self.s.max_metadata:
            self._metadata_failed(f"metadata of {size} bytes exceeds the {self.s.max_metadata}-byte limit")
            return
        self.meta_requested = True
        for piece in range(-(-size // wire.METADATA_PIECE)):
            await self._send(wire.metadata_request(ext, piece), "ut_metadata_request", piece=piece)

    async def _download_step(self) -> None:
        meta = self.r.meta
        if meta is None:
            if self.meta_done:
                self._download_failed("no metadata: nothing to verify a piece against")
            return
        if not self.interested_sent:
            self.interested_sent = True
            await self._send(wire.interested(), "interested")
        if self.r.piece_index is None:
            index = self._choose_piece(meta)
            if index is None:
                if self.have_closed:
                    self._download_failed("the peer advertised no piece we can verify")
                return
            self.r.piece_index = index
        index = self.r.piece_index
        wanted = proof_request(meta, index) if self.t.kind == "v2" else None
        if wanted is not None and self.hash_req is None:
            self.hash_req = wire.HashHeader(*wanted)
            self.hash_deadline = asyncio.get_running_loop().time() + self.s.hash_timeout
            await self._send(
                wire.hash_request(self.hash_req),
                "hash_request",
                pieces_root=self.hash_req.pieces_root.hex(),
                base=self.hash_req.base,
                index=self.hash_req.index,
                length=self.hash_req.length,
                proof_layers=self.hash_req.proof_layers,
            )
        length = meta.piece_span(index).length
        if all(begin in self.blocks for begin in range(0, length, BLOCK)):
            if wanted is None or self.proof is not None:
                await self._finish_piece(meta, index)
            return  # else wait for the proof (bounded by hash_timeout)
        if self.choked and index not in self.allowed_fast:
            return  # wait for unchoke (or the probe's time limit)
        for begin in range(0, length, BLOCK):
            if begin not in self.blocks and begin not in self.outstanding:
                self.outstanding.add(begin)
                size = min(BLOCK, length - begin)
                await self._send(
                    wire.request(index, begin, size), "request", index=index, begin=begin, length=size
                )

    def _choose_piece(self, meta: Metainfo) -> int | None:
        """The lowest advertised piece we can verify, an allowed-fast one first while we are choked."""
        if self.r.have_kind == "have_all":
            self.r.have = set(range(meta.num_pieces))
        candidates = [i for i in sorted(self.r.have) if self._verifiable(meta, i)]
        fast = [i for i in candidates if i in self.allowed_fast]
        pick = fast or candidates
        return pick[0] if pick else None

    def _verifiable(self, meta: Metainfo, index: int) -> bool:
        span = meta.piece_span(index)
        if meta.v1_pieces:
            return True
        f = span.file
        if f is None or f.pieces_root is None:
            return False
        # v2: the root is the hash of a one-piece file; else the piece layer, or a proof from the peer
        return f.length <= meta.piece_length or f.pieces_root in meta.piece_layers or self.t.kind == "v2"

    async def _finish_piece(self, meta: Metainfo, index: int) -> None:
        self.dl_done = True
        data = b"".join(self.blocks[b] for b in sorted(self.blocks))
        try:
            checks = verify_piece(meta, index, data, self.proof)
        except PieceMismatch as exc:
            self.log.append(
                "piece_failed",
                probe=self.r.probe_id,
                index=index,
                reason=str(exc),
                sha256=hashlib.sha256(data).hexdigest(),
            )
            self.r.notes.append(str(exc))
            return
        if not checks:
            self.r.notes.append(f"piece {index}: the torrent holds no hash to verify it")
            return
        blob = self.log.store_blob(data)
        self.r.checks = checks
        self.r.piece_blob = blob
        record = self.log.append(
            "piece_verified",
            probe=self.r.probe_id,
            target_id=self.t.target_id,
            index=index,
            blob_sha256=blob,
            length=len(data),
            ip=self.r.ip,
            port=self.r.port,
            checks=[{"algo": c.algo, "digest": c.digest} for c in checks],
            v2_proof=self.proof.as_json() if self.proof is not None else None,
        )
        self.r.marks["piece"] = EventMark.of(record)
