"""The grounds of a lead, as a production-order application states them: plain sentences, each citing the
session-log record it rests on.

Three parts, all read from what the package already holds (the lead's observations, the library, the
verified logs): the known material each hash of the lead matched (set, version, entry, category, series),
the observer sessions (operator, case, software, configuration, library version, clock), and the facts
themselves: each handshake that echoed the infohash with the have-state the peer stated, each metadata
that hashed to the infohash, each piece verified against which hash, and each log's end against the audit
chain. A fact cites ``session <id>, record <seq> (sha256 <hash>)``; the record number is known when the
session's log is given to the export, the hash always (observations carry their record's hash).
``announced`` observations (trackers, the DHT, PEX) are leads, not grounds: they are counted, not stated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vigilant.leads.known import severity_of
from vigilant.library.models import HashSetRow, KnownFileRow
from vigilant.library.records import SetKind
from vigilant.store import Database

# observation field -> (library column, how a person names the hash)
_HASHES = {
    "infohash_v1": ("btih_v1", "BitTorrent v1 infohash"),
    "infohash_v2": ("btih_v2", "BitTorrent v2 infohash"),
}
_FILE_HASHES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}
_ALGOS = {"sha1": "SHA-1 piece hash", "sha256-merkle": "SHA-256 Merkle hash"}
MAX_CITES = 3  # records cited for a fact many observations share (the rest are in the observation table)


# The records an observation's event was logged by (same mono_ns as the observation: see the observer).
_EVENT_KINDS = {"recv", "metadata_verified", "piece_verified"}
_HAVE_MSGS = {"bitfield", "have_all", "have_none", "have"}  # the messages that state a have-state


@dataclass
class LogIndex:
    """What the given session logs say about their records: each record's number by its hash, each
    session's ``session_start``, the event records by (session, monotonic time), and for each handshake
    (by its key in ``events``) the record that stated the peer's have-state on that connection."""

    seq: dict[str, int] = field(default_factory=dict)
    starts: dict[str, tuple[int, str]] = field(default_factory=dict)
    events: dict[tuple[str, int], tuple[int, str, str]] = field(default_factory=dict)
    have: dict[tuple[str, int], tuple[int, str, str]] = field(default_factory=dict)


def index_logs(paths: Iterable[Path]) -> LogIndex:
    """Index the session logs given (lines that do not parse are skipped here: the log's verification
    reports them)."""
    out = LogIndex()
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        session = ""
        handshakes: dict[str, tuple[str, int]] = {}  # probe id -> its handshake's key in events
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict) or not isinstance(record.get("sha256"), str):
                continue
            seq, sha, kind = int(record.get("seq", -1)), record["sha256"], str(record.get("kind"))
            out.seq[sha] = seq
            if kind == "session_start":
                session = str(record.get("session_id"))
                out.starts[session] = (seq, sha)
            elif kind in _EVENT_KINDS and isinstance(record.get("mono_ns"), int):
                msg = record.get("msg")
                name = f"{kind} {msg}" if kind == "recv" else kind
                key = (session, record["mono_ns"])
                out.events.setdefault(key, (seq, sha, name))
                probe = str(record.get("probe"))
                if msg == "handshake":
                    handshakes[probe] = key
                elif msg in _HAVE_MSGS and probe in handshakes:
                    out.have.setdefault(handshakes[probe], (seq, sha, name))
    return out


def cite(session_id: object, record_sha256: object, logs: LogIndex) -> str:
    seq = logs.seq.get(str(record_sha256))
    where = f"record {seq} (sha256 {record_sha256})" if seq is not None else f"record sha256 {record_sha256}"
    return f"session {session_id}, {where}"


def _obs_cite(o: dict[str, Any], logs: LogIndex) -> str:
    """The observation's record, and the record of the event it records where the log is given."""
    session = str(o.get("session_id"))
    observed = cite(session, o.get("record_sha256") or "not recorded", logs)
    event = logs.events.get((session, o.get("mono_ns") or -1))
    if event is None:
        return observed
    seq, sha, kind = event
    text = f"session {session}, record {seq} ({kind}, sha256 {sha})"
    have = logs.have.get((session, o.get("mono_ns") or -1)) if o.get("method") == "handshake" else None
    if have is not None:
        text += f"; have-state record {have[0]} ({have[2]}, sha256 {have[1]})"
    return f"{text}; observation {observed.split(', ', 1)[1]}"


def _lead_hashes(observations: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(library column, hex digest) -> how a person names it, for every hash the observations carry."""
    out: dict[tuple[str, str], str] = {}
    for o in observations:
        for key, (column, name) in _HASHES.items():
            if o.get(key):
                out[(column, str(o[key]))] = name
        kind = o.get("file_hash_kind")
        if o.get("file_hash") and kind in _FILE_HASHES:
            out[(str(kind), str(o["file_hash"]))] = f"file {_FILE_HASHES[str(kind)]}"
    return out


def known_material(db: Database, observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The known-bad entries the lead's hashes matched: one row per (hash, entry)."""
    wanted = _lead_hashes(observations)
    rows: list[dict[str, Any]] = []
    by_column: dict[str, list[bytes]] = {}
    for column, digest in wanted:
        by_column.setdefault(column, []).append(bytes.fromhex(digest))
    with db.session() as s:
        for column, digests in sorted(by_column.items()):
            attribute = getattr(KnownFileRow, column)
            query = (
                select(KnownFileRow, HashSetRow)
                .join(HashSetRow)
                .where(HashSetRow.kind == SetKind.KNOWN_BAD.value, attribute.in_(digests))
                .order_by(KnownFileRow.id)
            )
            for entry, hash_set in s.execute(query):
                digest = bytes(getattr(entry, column)).hex()
                _, text = severity_of(hash_set.profile, entry.category)
                rows.append(
                    {
                        "matched_by": wanted[(column, digest)],
                        "digest": digest,
                        "set": hash_set.name,
                        "version": hash_set.version,
                        "set_id": hash_set.id,
                        "entry_id": entry.id,
                        "entry": entry.location,
                        "file_name": entry.file_name,
                        "category": entry.category,
                        "category_text": text,
                        "category_label": getattr(entry, "category_label", None),  # the publisher's own
                        "series": entry.series,
                    }
                )
    rows.sort(key=lambda r: (r["digest"], r["set"], r["version"], r["entry_id"]))
    return rows


_SESSION_FIELDS = (
    "operator",
    "case_id",
    "software",
    "config_sha256",
    "library_version",
    "clock_source",
    "clock_offset_ms",
    "source",
)


def sessions(observations: list[dict[str, Any]], logs: LogIndex) -> list[dict[str, Any]]:
    """Each session (or import) the observations came from, as its first observation records it."""
    out: dict[str, dict[str, Any]] = {}
    for o in observations:
        sid = str(o.get("session_id"))
        if sid not in out:
            out[sid] = {"session_id": sid, **{k: o.get(k) for k in _SESSION_FIELDS}}
            start = logs.starts.get(sid)
            out[sid]["cite"] = cite(sid, start[1], logs) if start else _obs_cite(o, logs)
            out[sid]["observations"] = 0
        out[sid]["observations"] += 1
    return [out[k] for k in sorted(out)]


def _clock(session: dict[str, Any]) -> str:
    offset = session.get("clock_offset_ms")
    measured = f"; offset {offset:+.3f} ms from the agency's time server" if offset is not None else ""
    return f"{session.get('clock_source') or 'not recorded'}{measured}"


def _have(o: dict[str, Any]) -> str:
    if o.get("seeding"):
        return "stated that it has every piece (a seeder)"
    have, total = o.get("pieces_have"), o.get("pieces_total")
    if have is not None and total:
        return f"stated that it has {have} of {total} pieces"
    if o.get("have_kind"):
        return f"stated what it has ({o['have_kind']})"
    return "stated no have-state"


def _peer(o: dict[str, Any]) -> str:
    client = f"{o['client']}, " if o.get("client") else ""
    peer_id = f"peer id {o['peer_id']}" if o.get("peer_id") else "no peer id"
    return f"the peer at {o.get('ip')}:{o.get('port')} ({client}{peer_id})"


def _infohash(o: dict[str, Any]) -> str:
    return str(o.get("infohash_v1") or o.get("infohash_v2") or "-")


def _observation_fact(o: dict[str, Any]) -> str | None:
    when = f"At {o.get('ts_utc')} UTC"
    method = o.get("method")
    if o.get("source") != "observer":
        hashed = _infohash(o) if _infohash(o) != "-" else f"{o.get('file_hash_kind')} {o.get('file_hash')}"
        address = f"{o.get('ip')}:{o.get('port')}"
        return f"{when} {o.get('source')} reported {address} with {hashed} ({o.get('tier')})."
    if method == "handshake":
        return (
            f"{when} {_peer(o)} answered a BitTorrent handshake for infohash {_infohash(o)} with the same "
            f"infohash, so it is a member of that swarm, and {_have(o)}."
        )
    if method == "metadata":
        return (
            f"{when} {_peer(o)} sent the torrent's metadata (info dictionary), which hashed to the infohash "
            f"{_infohash(o)}: it holds the index of exactly that torrent."
        )
    if method == "piece":
        checks = " and ".join(
            f"the torrent's {_ALGOS.get(str(c.get('algo')), c.get('algo'))} {c.get('digest')}"
            for c in o.get("pieces_verified") or []
        )
        indexes = sorted({int(c["index"]) for c in o.get("pieces_verified") or []})
        which = ", ".join(str(i) for i in indexes)
        piece_word = "piece" if len(indexes) == 1 else "pieces"
        return (
            f"{when} Vigilant downloaded {piece_word} {which} of infohash {_infohash(o)} from {_peer(o)} "
            f"alone, over one connection, and verified it against {checks}; the bytes are kept beside "
            "the log."
        )
    return None


def grounds(
    observations: list[dict[str, Any]],
    known: list[dict[str, Any]],
    session_rows: list[dict[str, Any]],
    verification: dict[str, Any],
    logs: LogIndex,
) -> list[dict[str, Any]]:
    """The facts, in the order an application states them: who observed and how, what the material is,
    what each peer did, and that the logs are whole."""
    out: list[dict[str, Any]] = []
    for session in session_rows:
        if session.get("source") != "observer":
            continue
        out.append(
            {
                "fact": (
                    f"Session {session['session_id']} was run by {session.get('operator')} for case "
                    f"{session.get('case_id') or '(none given)'} with {session.get('software')} "
                    f"(configuration SHA-256 {session.get('config_sha256')}; known-material version "
                    f"{session.get('library_version') or 'not recorded'}). Its clock: {_clock(session)}."
                ),
                "cites": [session["cite"]],
            }
        )
    for row in known:
        seen = [
            o
            for o in observations
            if row["digest"] in (o.get("infohash_v1"), o.get("infohash_v2"), o.get("file_hash"))
            and o.get("tier") != "announced"
        ] or [o for o in observations if row["digest"] in (o.get("infohash_v1"), o.get("infohash_v2"))]
        label = f", the list's own label {row['category_label']!r}" if row.get("category_label") else ""
        out.append(
            {
                "fact": (
                    f"The {row['matched_by']} {row['digest']} is entry {row['entry_id']} ({row['entry']}, "
                    f"file {row['file_name'] or 'not named'}) of the known-material set {row['set']!r} "
                    f"version {row['version']}: category {row['category'] or 'none'} "
                    f"({row['category_text'] or 'uncategorised'}{label}), "
                    f"series {row['series'] or 'not named'}."
                ),
                "cites": [_obs_cite(o, logs) for o in seen[:MAX_CITES]],
            }
        )
    for o in observations:
        if o.get("tier") == "announced":
            continue
        fact = _observation_fact(o)
        if fact is not None:
            out.append({"fact": fact, "cites": [_obs_cite(o, logs)]})
    for log in verification.get("logs", []):
        anchor = log.get("anchor") or {}
        if anchor.get("status") == "matches":
            anchored = f"matches the audit chain (event {anchor.get('audit_seq')})"
        elif anchor.get("status") == "not-checked":
            anchored = "was not checked against the audit chain"
        else:
            anchored = f"does NOT match the audit chain ({anchor.get('status')})"
        verdict = "verifies" if log.get("ok") else "FAILS verification"
        out.append(
            {
                "fact": (
                    f"The session log {log.get('log')} {verdict}: {log.get('records')} records, "
                    f"{log.get('pieces_checked')} piece(s) re-verified from the bytes kept beside it; "
                    f"its final sha256 {log.get('final_sha256')} {anchored}."
                ),
                "cites": [cite(log.get("session_id"), log.get("final_sha256"), logs)],
            }
        )
    return out
