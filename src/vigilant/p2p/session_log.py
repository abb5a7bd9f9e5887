"""The observer's append-only, hash-chained JSON-lines session log, and its verifier.

Every line is one record: ``seq``, ``ts_utc`` (RFC 3339, µs), ``mono_ns``, ``kind``, the record's data,
``prev_sha256`` (the previous line's ``sha256``; 64 zeros for the first) and ``sha256`` = SHA-256 of the
canonical JSON of the record without ``sha256`` (keys sorted, no spaces, UTF-8). Editing, deleting or
reordering any line breaks the chain at a line the verifier names; a missing ``session_end`` shows
truncation. Piece bytes and the torrents go in ``blobs/`` beside the log, named by their SHA-256, so a
defence expert can re-run the piece check from the log alone (``verify_log``). A v2 piece checked through
a peer's hash proof (BEP 52) carries that proof (``v2_proof``: pieces root, layer, hashes, uncle hashes) in
its ``piece_verified`` record; the verifier re-proves it against the root in the stored info dict.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vigilant.errors import BadInputError
from vigilant.p2p.pieces import HashProof, PieceMismatch, verify_piece
from vigilant.p2p.torrent import TorrentError, parse_info, parse_torrent

GENESIS = "0" * 64
LOG_FORMAT = "vigilant.p2p.session-log/1"


def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "sha256"}
    return hashlib.sha256(canonical(body)).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


class SessionLog:
    """Appends records; each is flushed at once so a crash loses at most the line being written."""

    def __init__(self, path: Path) -> None:
        if path.exists():
            raise BadInputError(f"session log {path} already exists", hint="each session writes a new log")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.blob_dir = path.parent / "blobs"
        self._file = path.open("x", encoding="utf-8")
        self._prev = GENESIS
        self._seq = 0

    def append(self, kind: str, **data: Any) -> dict[str, Any]:
        if self._file.closed:
            raise RuntimeError("session log is closed")
        record: dict[str, Any] = {
            "seq": self._seq,
            "ts_utc": utc_now().isoformat(timespec="microseconds"),
            "mono_ns": time.monotonic_ns(),
            "kind": kind,
            **data,
            "prev_sha256": self._prev,
        }
        record["sha256"] = record_hash(record)
        self._file.write(canonical(record).decode() + "\n")
        self._file.flush()
        self._prev = record["sha256"]
        self._seq += 1
        return record

    def store_blob(self, data: bytes) -> str:
        """Keep bytes under their SHA-256 (written once, atomically); returns the hex name."""
        name = hashlib.sha256(data).hexdigest()
        target = self.blob_dir / name
        if not target.exists():
            self.blob_dir.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        return name

    @property
    def last_sha256(self) -> str:
        return self._prev

    @property
    def records(self) -> int:
        return self._seq

    def close(self, **data: Any) -> None:
        if not self._file.closed:
            self.append("session_end", records=self._seq + 1, **data)
            os.fsync(self._file.fileno())
            self._file.close()


@dataclass
class LogReport:
    path: Path
    records: int = 0
    problems: list[str] = field(default_factory=list)
    pieces_checked: int = 0
    final_sha256: str | None = None
    session_id: str | None = None  # from the session_start record: what the audit chain knows it by

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_log(path: Path) -> LogReport:
    """Prove the chain and re-check every verified piece against the torrent stored with the log."""
    report = LogReport(path)
    prev = GENESIS
    ended = False
    torrents: dict[str, Any] = {}
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        report.problems.append(f"cannot read {path}: {exc}")
        return report
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        report.problems.append(f"line {len(lines)}: no newline at the end (truncated while writing?)")
    for number, line in enumerate(lines, 1):
        where = f"line {number}"
        try:
            record = json.loads(line)
            assert isinstance(record, dict)
        except (ValueError, AssertionError):
            report.problems.append(f"{where}: not a JSON record (edited or truncated)")
            break
        if record.get("seq") != number - 1:
            report.problems.append(
                f"{where}: seq {record.get('seq')} where {number - 1} was expected "
                "(a record was deleted, inserted or moved)"
            )
        if record.get("prev_sha256") != prev:
            report.problems.append(f"{where}: prev_sha256 does not match line {number - 1} (chain broken)")
        if record.get("sha256") != record_hash(record):
            report.problems.append(f"{where}: sha256 does not match its content (the record was edited)")
        prev = str(record.get("sha256"))
        report.records += 1
        if ended:
            report.problems.append(f"{where}: a record after session_end")
        kind = record.get("kind")
        if kind == "session_start" and number == 1:
            report.session_id = str(record.get("session_id") or "") or None
        if kind == "session_end":
            ended = True
            if record.get("records") != number:
                report.problems.append(
                    f"{where}: session_end counts {record.get('records')} records, not {number}"
                )
        elif kind == "target" and record.get("torrent_blob"):
            torrents[record["target_id"]] = _load_torrent(path, record["torrent_blob"], where, report)
        elif kind == "metadata_verified" and torrents.get(record.get("target_id", "")) is None:
            # a magnet: the info dict fetched and verified in this session is what its pieces are checked by
            torrents[record["target_id"]] = _load_torrent(path, record["info_blob"], where, report, info=True)
        elif kind == "piece_verified":
            _recheck_piece(path, record, torrents.get(record.get("target_id", "")), where, report)
    if not ended:
        report.problems.append(f"after line {len(lines)}: no session_end record (the log is truncated)")
    report.final_sha256 = prev if lines else None
    return report


def _blob(path: Path, name: str, where: str, report: LogReport) -> bytes | None:
    blob = path.parent / "blobs" / name
    try:
        data = blob.read_bytes()
    except OSError:
        report.problems.append(f"{where}: blob {name} is missing from {blob.parent}")
        return None
    if hashlib.sha256(data).hexdigest() != name:
        report.problems.append(f"{where}: blob {name} does not hash to its name (altered)")
        return None
    return data


def _load_torrent(path: Path, name: str, where: str, report: LogReport, info: bool = False) -> Any:
    data = _blob(path, name, where, report)
    if data is None:
        return None
    try:
        return parse_info(data) if info else parse_torrent(data)
    except TorrentError as exc:
        report.problems.append(f"{where}: stored torrent does not parse: {exc}")
        return None


def _recheck_piece(path: Path, record: dict[str, Any], meta: Any, where: str, report: LogReport) -> None:
    if meta is None:
        report.problems.append(f"{where}: no stored torrent for target {record.get('target_id')!r}")
        return
    data = _blob(path, str(record.get("blob_sha256")), where, report)
    if data is None:
        return
    try:
        raw_proof = record.get("v2_proof")
        proof = HashProof.from_json(raw_proof) if raw_proof is not None else None
        checks = verify_piece(meta, int(record["index"]), data, proof)
    except (PieceMismatch, TorrentError, KeyError, ValueError) as exc:
        report.problems.append(f"{where}: piece no longer verifies: {exc}")
        return
    if not checks or [c.digest for c in checks] != [d["digest"] for d in record.get("checks", [])]:
        report.problems.append(f"{where}: piece digests differ from the logged ones")
        return
    report.pieces_checked += 1
