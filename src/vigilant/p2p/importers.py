"""Observations from other tools: a documented CSV / JSON-lines schema, and CyberTipline-style reports.

The schemas are in ``docs/observations.md``. Each source file becomes one Parquet file,
``<data dir>/observations/import-<sha256 of the file>.parquet``, written atomically: importing the same
bytes again finds that file and changes nothing. Bad rows are refused with their line number and the
rest imported; a time without a zone is refused, never guessed (a wrong zone shifts an IP lease by hours
and can point at the wrong subscriber).

Tier: every imported observation is ``announced``. Another tool's "confirmed" or "downloaded" is its own
claim, made with software and logs we cannot re-verify here (for a download that would need the torrent's
piece hashes and the piece bytes); a CyberTipline report says an ESP saw an upload, not that we reached the
peer. The claim is kept in ``reported_by`` so nothing is lost, and the lead stays below the actionable gate
until our own observer confirms the peer or legal process takes over.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from vigilant import __version__
from vigilant.errors import BadInputError
from vigilant.p2p.observations import Method, Observation, Tier, to_table

FORMATS = ("csv", "jsonl", "cybertip")
OBSERVATION_COLUMNS = (
    "ts_utc", "ip", "port", "network", "infohash_v1", "infohash_v2", "file_hash_kind", "file_hash", "peer_id",
    "client", "guid", "tier", "reported_by", "case_id",
)  # fmt: skip
CYBERTIP_COLUMNS = ("report_id", "ip", "port", "event_utc", "md5", "sha1", "sha256", "file_name")
_HASH_HEX = {"md5": 32, "sha1": 40, "sha256": 64}


class RowError(ValueError):
    """One bad row: the message says which field and what is wrong with it."""


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


@dataclass
class ImportReport:
    source: Path
    sha256: str
    format: str
    output: Path
    rows_read: int = 0
    rows_taken: int = 0
    already_imported: bool = False
    problems: list[Problem] = field(default_factory=list)


def parse_utc(text: str) -> datetime:
    """An ISO 8601 time with its zone (``Z`` or ``±hh:mm``), as UTC; a time without a zone is refused."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInputError(f"time {text!r} is not ISO 8601", hint="e.g. 2024-05-01T13:45:00Z") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadInputError(
            f"time {text!r} has no time zone", hint="add Z or the UTC offset: a local time cannot be placed"
        )
    return value.astimezone(UTC)


def _hex(value: str | None, name: str, length: int | None) -> bytes | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().lower()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise RowError(f"{name} {text!r} is not hex") from None
    if length is not None and len(text) != length:
        raise RowError(f"{name} has {len(text)} hex digits, {length} expected")
    return raw


def _ip(value: Any) -> str:
    try:
        return ipaddress.ip_address(str(value or "").strip()).compressed
    except ValueError:
        raise RowError(f"ip {value!r} is not an IPv4 or IPv6 address") from None


def _port(value: Any) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        port = int(str(value).strip())
    except ValueError:
        raise RowError(f"port {value!r} is not a number") from None
    if not 0 < port < 65536:
        raise RowError(f"port {port} is outside 1..65535")
    return port


def _time(value: Any, name: str) -> datetime:
    if value is None or str(value).strip() == "":
        raise RowError(f"{name} is missing")
    try:
        return parse_utc(str(value))
    except BadInputError as exc:
        raise RowError(exc.message) from None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


@dataclass(frozen=True)
class _Context:
    sha256: str
    source: str
    actor: str
    case_id: str | None

    def observation(self, line: int, **values: Any) -> Observation:
        return Observation(
            obs_id=hashlib.sha256(f"{self.sha256}:{line}".encode()).hexdigest()[:32],
            session_id=f"import-{self.sha256[:16]}",
            method=Method.IMPORT.value,
            tier=Tier.ANNOUNCED.value,
            source=self.source,
            operator=self.actor,
            software=f"Vigilant {__version__}",
            transport="unknown",
            **values,
        )


def _from_observation_row(ctx: _Context, line: int, row: dict[str, Any]) -> Observation:
    unknown = sorted(set(row) - set(OBSERVATION_COLUMNS))
    if unknown:
        raise RowError(f"unknown field(s) {', '.join(unknown)}: see docs/observations.md")
    kind = (_text(row.get("file_hash_kind")) or "").lower() or None
    if kind is not None and kind not in _HASH_HEX:
        raise RowError(f"file_hash_kind {kind!r} is not one of {', '.join(_HASH_HEX)}")
    file_hash = _hex(row.get("file_hash"), "file_hash", _HASH_HEX[kind] if kind else None)
    if (kind is None) != (file_hash is None):
        raise RowError("file_hash and file_hash_kind go together")
    v1 = _hex(row.get("infohash_v1"), "infohash_v1", 40)
    v2 = _hex(row.get("infohash_v2"), "infohash_v2", 64)
    if v1 is None and v2 is None and file_hash is None:
        raise RowError("no infohash_v1, infohash_v2 or file_hash: nothing to match the library against")
    claimed = (_text(row.get("tier")) or "").lower()
    if claimed and claimed not in {t.value for t in Tier}:
        raise RowError(f"tier {claimed!r} is not announced, confirmed or downloaded")
    reported_by = _text(row.get("reported_by"))
    if claimed and claimed != Tier.ANNOUNCED.value:  # kept as the other tool's claim, never as our tier
        reported_by = f"{reported_by or 'source'} (claimed tier: {claimed})"
    return ctx.observation(
        line,
        ts_utc=_time(row.get("ts_utc"), "ts_utc"),
        network=_text(row.get("network")) or "bittorrent",
        ip=_ip(row.get("ip")),
        port=_port(row.get("port")),
        infohash_v1=v1,
        infohash_v2=v2,
        file_hash_kind=kind,
        file_hash=file_hash,
        peer_id=_hex(row.get("peer_id"), "peer_id", 40),
        client=_text(row.get("client")),
        guid=_text(row.get("guid")),
        reported_by=reported_by,
        case_id=_text(row.get("case_id")) or ctx.case_id,
    )


def _from_cybertip_row(ctx: _Context, line: int, row: dict[str, Any]) -> Observation:
    report_id = _text(row.get("report_id"))
    if report_id is None:
        raise RowError("report_id is missing")
    hashes = [(k, _hex(row.get(k), k, n)) for k, n in _HASH_HEX.items()]
    kind, digest = next(((k, d) for k, d in hashes if d is not None), (None, None))
    name = _text(row.get("file_name"))
    if digest is None and name is None:
        raise RowError("no md5, sha1, sha256 or file_name")
    # The strongest hash is the one matched; the report id and file name stay readable in reported_by.
    strongest = next(((k, d) for k, d in reversed(hashes) if d is not None), (kind, digest))
    return ctx.observation(
        line,
        ts_utc=_time(row.get("event_utc"), "event_utc"),
        network="esp-report",
        ip=_ip(row.get("ip")),
        port=_port(row.get("port")),
        file_hash_kind=strongest[0],
        file_hash=strongest[1],
        reported_by=f"CyberTipline report {report_id}" + (f", file {name}" if name else ""),
    )


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if None in row:
            raise_later = RowError(f"{len(row[None])} more field(s) than the header")
            yield start, {"__error__": raise_later}
            continue
        yield start, {k.strip(): v for k, v in row.items() if k is not None}


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, {"__error__": RowError(f"not JSON: {exc.msg}")}
            continue
        if not isinstance(value, dict):
            yield number, {"__error__": RowError("a line must hold one JSON object")}
            continue
        yield number, value


_READERS: dict[
    str, tuple[Callable[[str], Iterator[tuple[int, dict[str, Any]]]], Callable[..., Observation], str]
]
_READERS = {
    "csv": (_csv_rows, _from_observation_row, "import:csv"),
    "jsonl": (_jsonl_rows, _from_observation_row, "import:json"),
    "cybertip": (_csv_rows, _from_cybertip_row, "import:cybertip"),
}


def import_file(
    path: Path, fmt: str, observations_dir: Path, *, actor: str, case_id: str | None = None
) -> ImportReport:
    """Import one file; returns what was taken and refused. Same bytes twice: the second does nothing."""
    if fmt not in _READERS:
        raise BadInputError(f"unknown observation format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    output = observations_dir / f"import-{sha256}.parquet"
    report = ImportReport(source=path, sha256=sha256, format=fmt, output=output)
    if output.exists():
        report.already_imported = True
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path} is not UTF-8 text: {exc}", hint="save it as UTF-8 and retry") from exc
    rows, convert, source = _READERS[fmt]
    ctx = _Context(sha256=sha256, source=source, actor=actor, case_id=case_id)
    observations: list[Observation] = []
    for line, row in rows(text):
        report.rows_read += 1
        try:
            if "__error__" in row:
                raise row["__error__"]
            observations.append(convert(ctx, line, row))
        except RowError as exc:
            report.problems.append(Problem(line, str(exc)))
    report.rows_taken = len(observations)
    observations_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=observations_dir, prefix=".import-", suffix=".tmp", delete=False
    ) as tmp:
        temporary = Path(tmp.name)
    try:
        pq.write_table(to_table(observations), temporary)
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
    return report
