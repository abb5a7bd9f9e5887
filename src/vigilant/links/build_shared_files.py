"""Devices that hold the same files (same SHA-256), from the triage runs' Parquet records, by DuckDB.

Each shared file adds ``ln(1 + N / n)`` to the link's weight, where N is the number of devices triaged and n
the number holding the file (inverse device frequency): a file two devices of a thousand hold says much, one
on every tenth device little. Known-good files, empty files and files on more than the set share of devices
never link. Shared unknown material and shared known-bad material are separate links
(``shared_unknown_files``, ``shared_known_bad_files``): unknown material two people both hold is the stronger
sign of trading or production. The file list is the explanation.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import duckdb

from vigilant.links.build_records import item_refs
from vigilant.links.builder import RunResults, Sources, Trigger
from vigilant.links.entities import BuiltLinks, LinkFact, Provenance

KINDS = {False: "shared_unknown_files", True: "shared_known_bad_files"}

# One row per device pair and class of material: the pair's weight, count and its rarest files (min_by
# keeps the first $listed without sorting every pair's whole list: twice as fast at 10^6 records).
PAIRS_SQL = """
WITH records AS (
    SELECT evidence_id, sha256, name, known_bad, known_good
    FROM read_parquet($files, union_by_name = true)
    WHERE sha256 IS NOT NULL AND size > 0 AND evidence_id IN (SELECT unnest($items))
),
files AS (
    SELECT sha256, bool_or(known_bad) AS known_bad, count(DISTINCT evidence_id) AS devices
    FROM records GROUP BY sha256
    HAVING NOT bool_or(known_good) AND count(DISTINCT evidence_id) BETWEEN 2 AND $max_devices
),
held AS (
    SELECT r.evidence_id, r.sha256, min(r.name) AS name, any_value(f.known_bad) AS known_bad,
           any_value(f.devices) AS devices
    FROM records r JOIN files f USING (sha256) GROUP BY r.evidence_id, r.sha256
)
SELECT a.evidence_id AS a, b.evidence_id AS b, a.known_bad,
       sum(ln(1 + $total / a.devices)) AS weight, count(*) AS files,
       min_by({'sha256': a.sha256, 'name_a': a.name, 'name_b': b.name, 'devices': a.devices},
              {'devices': a.devices, 'sha256': a.sha256}, $listed) AS listed
FROM held a JOIN held b ON a.sha256 = b.sha256 AND a.evidence_id < b.evidence_id
GROUP BY a.evidence_id, b.evidence_id, a.known_bad
ORDER BY a.evidence_id, b.evidence_id, a.known_bad
"""


def max_devices(total: int, share: float) -> int:
    """The most devices a file may be on and still link: the set share of them, and never fewer than two."""
    return max(2, math.floor(total * share))


def shared_pairs(
    con: duckdb.DuckDBPyConnection, files: list[str], items: list[int], *, max_share: float, listed: int
) -> list[tuple[Any, ...]]:
    """(device a, device b, known-bad?, weight, files, first files listed) for every linked pair of ``items``
    (evidence ids) in the record ``files``; the benchmark times this against the obvious self-join."""
    params: dict[str, Any] = {
        "files": files,
        "items": items,
        "total": float(len(items)),
        "max_devices": max_devices(len(items), max_share),
        "listed": listed,
    }
    return con.execute(PAIRS_SQL, params).fetchall()


def record_files(runs: list[RunResults]) -> list[str]:
    return [str(p) for r in runs for p in sorted(r.results_dir.glob("batch-*.parquet"))]


class SharedFiles:
    name: ClassVar[str] = "shared_files"
    triggers: ClassVar[frozenset[str]] = frozenset({Trigger.RUN})
    description: ClassVar[str] = "devices holding the same files (SHA-256), weighted by rarity"

    def build(self, sources: Sources) -> BuiltLinks:
        out = BuiltLinks()
        runs = sources.runs()
        files = record_files(runs)
        if len(runs) < 2 or not files:
            return out
        run_of = {r.evidence_id: r for r in runs}
        with sources.db.session() as s:
            items = item_refs(s)
        settings = sources.settings
        with duckdb.connect() as con:
            rows = shared_pairs(
                con, files, list(run_of), max_share=settings.max_device_share, listed=settings.files_listed
            )
        for a, b, known_bad, weight, count, listed in rows:
            ra, rb = run_of[a], run_of[b]
            when = max((t for t in (ra.finished_at, rb.finished_at) if t is not None), default=None)
            material = "known-bad" if known_bad else "unknown"
            explanation = {
                "text": f"{count} {material} file(s) on both devices",
                "files": int(count),
                "material": material,
                "listed": [{**f, "sha256": bytes(f["sha256"]).hex()} for f in listed],
                "devices_triaged": len(runs),
            }
            prov = Provenance("run", (f"run:{ra.run_id}", f"run:{rb.run_id}"), when)
            out.add(
                LinkFact(
                    KINDS[bool(known_bad)], items[a], items[b], round(float(weight), 6), explanation, prov
                )
            )
        return out
