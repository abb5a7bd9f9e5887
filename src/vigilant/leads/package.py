"""The lead package: what goes to the agency of jurisdiction (NCECC's "investigational package").

Three files: ``lead-<key>.json``, complete and deterministic (sorted keys, no wall-clock time other than
the ``exported_at`` the caller passes, so the same lead exports byte-identically); ``lead-<key>.html``, a
self-contained page (inline style, no scripts, nothing fetched) rendered with Jinja2 autoescaping, because
observation fields such as client names come from the suspect's software; and ``lead-<key>.pdf``
(:mod:`vigilant.leads.package_pdf`), the same facts on paper, byte-identical for the same package too.

It carries the lead, its grounds (:mod:`vigilant.leads.grounds`: plain sentences for a production-order
application, each citing its session-log record; the known material matched; the observer sessions), its
score explanation, geolocation with each database build, every observation of the lead's addresses in its
window (read back with DuckDB), and the session-log verification result (audit anchors included).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from vigilant import __version__
from vigilant.leads import routing
from vigilant.leads.aggregate import connect, parquet_glob
from vigilant.leads.grounds import grounds, index_logs, known_material, sessions
from vigilant.leads.models import LeadRow
from vigilant.leads.package_pdf import render_pdf
from vigilant.leads.package_template import TEMPLATE
from vigilant.leads.service import visible_lead
from vigilant.p2p.anchor import check_anchor
from vigilant.p2p.session_log import verify_log
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database

PACKAGE_VERSION = 1


def _plain(value: Any) -> Any:
    """JSON-ready: bytes as hex, times as ISO 8601."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def lead_observations(
    con: duckdb.DuckDBPyConnection, observations_dir: Path, ips: list[str], start: datetime, as_of: datetime
) -> list[dict[str, Any]]:
    query = (
        "SELECT * FROM read_parquet($glob) WHERE ip IN (SELECT unnest($ips)) "
        "AND ts_utc > $start AND ts_utc <= $as_of ORDER BY ts_utc, obs_id, ip"
    )
    params = {"glob": parquet_glob(observations_dir), "ips": ips, "start": start, "as_of": as_of}
    table = con.sql(query, params=params).to_arrow_table()
    return [] if table is None else [_plain(row) for row in table.to_pylist()]


def _lead_json(row: LeadRow) -> dict[str, Any]:
    lead: dict[str, Any] = _plain({
        "id": row.id, "key": row.key, "status": row.status, "agency": row.agency, "routed_to": row.routed_to,
        "routing": row.routing, "routing_status": routing.of_lead(row).to_json(),
        "window_days": row.window_days, "as_of": row.as_of,
        "first_seen": row.first_seen, "last_seen": row.last_seen, "observation_count": row.observation_count,
        "known_files": row.known_files, "max_severity": row.max_severity, "max_category": row.max_category,
        "seeding": row.seeding, "days_seen": row.days_seen, "tier": row.tier, "score": row.score,
        "actionable": row.actionable, "explanation": row.explanation, "identities": row.identities,
        "geo_databases": row.geo_databases, "built_at": row.built_at, "built_by": row.built_by,
        "ips": [
            {"ip": ip.ip, "first_seen": ip.first_seen, "last_seen": ip.last_seen,
             "observation_count": ip.observation_count, "days": ip.days, "geo": ip.geo, "agency": ip.agency}
            for ip in row.ips
        ],
        "events": [
            {"at": e.at, "actor": e.actor, "action": e.action, "from": e.from_status, "to": e.to_status,
             "detail": e.detail}
            for e in row.events
        ],
    })  # fmt: skip
    return lead


def build_package(
    db: Database,
    ref: str,
    observations_dir: Path,
    *,
    actor: Actor,
    exported_at: datetime,
    verification: dict[str, Any] | None = None,
    logs: list[Path] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, Any]:
    """The package of lead ``ref``; ``logs`` (the sessions' logs, as verified into ``verification``) let
    the grounds cite each record by its number as well as its hash.

    The caller needs ``leads.read`` and must see the lead (another agency's is "not found"), as on its page:
    the package holds what the page shows. The package names the caller as its exporter."""
    require(actor, Permission.LEADS_READ)
    with db.session() as s:
        row = visible_lead(s, actor, ref)
    start = row.as_of - timedelta(days=row.window_days)
    observations = lead_observations(
        con or connect(), observations_dir, [ip.ip for ip in row.ips], start, row.as_of
    )
    checked = _plain(verification) if verification is not None else {"status": "not-provided"}
    indexed = index_logs(logs or [])
    known = known_material(db, observations)
    session_rows = sessions(observations, indexed)
    return {
        "format": f"vigilant.lead-package/{PACKAGE_VERSION}",
        "software": f"Vigilant {__version__}",
        "exported_at": exported_at.isoformat(),
        "exported_by": actor.username,
        "lead": _lead_json(row),
        "grounds": grounds(observations, known, session_rows, checked, indexed),
        "known_material": known,
        "sessions": session_rows,
        "announced": sum(1 for o in observations if o.get("tier") == "announced"),
        "observations": observations,
        "log_verification": checked,
    }


def verify_logs(paths: list[Path], db: Database | None = None) -> dict[str, Any] | None:
    """Prove each observer session log's hash chain and re-check its pieces; ``None`` when no log is given.
    With ``db``, each log's end is also compared with the audit chain's record of it (the session's final
    hash, taken when it ended): a log rewritten with recomputed hashes, or one the chain does not know, fails.

    Logs are named by file name only, so the package reads the same wherever the logs were kept.
    """
    if not paths:
        return None
    results = []
    for path in paths:
        report = verify_log(path)
        problems = list(report.problems)
        anchor = None
        if db is not None:
            anchor = check_anchor(db, report.session_id, report.records, report.final_sha256)
            problems += anchor.problems
        results.append(
            {
                "log": path.name,
                "session_id": report.session_id,
                "ok": not problems,
                "records": report.records,
                "pieces_checked": report.pieces_checked,
                "final_sha256": report.final_sha256,
                "anchor": anchor.to_json() if anchor is not None else {"status": "not-checked"},
                "problems": problems,
            }
        )
    status = "verified" if all(r["ok"] for r in results) else "verification-failed"
    return {"status": status, "logs": results}


def to_json_bytes(package: dict[str, Any]) -> bytes:
    return (json.dumps(package, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render_html(package: dict[str, Any]) -> str:
    return _ENV.from_string(TEMPLATE).render(p=package, lead=package["lead"])


def _write_atomic(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(data)
        temporary = Path(handle.name)
    os.replace(temporary, path)


@dataclass(frozen=True)
class PackageFiles:
    json: Path
    html: Path
    pdf: Path

    def __iter__(self) -> Iterator[Path]:
        return iter((self.json, self.html, self.pdf))


def write_package(package: dict[str, Any], out_dir: Path) -> PackageFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"lead-{package['lead']['key']}"
    files = PackageFiles(out_dir / f"{stem}.json", out_dir / f"{stem}.html", out_dir / f"{stem}.pdf")
    _write_atomic(files.json, to_json_bytes(package))
    _write_atomic(files.html, render_html(package).encode("utf-8"))
    _write_atomic(files.pdf, render_pdf(package))
    return files
