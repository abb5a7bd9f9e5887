"""Devices that hold the same files (same SHA-256), from the triage runs' Parquet records, by DuckDB.

Each shared file adds ``ln(1 + N / n)`` to the link's weight, where N is the number of devices triaged and n
the number holding the file (inverse device frequency): a file two devices of a thousand hold says much, one
on every tenth device little. Known-good files, empty files and files on more than the set share of devices
never link. Shared unknown material and shared known-bad material are separate links
(``shared_unknown_files``, ``shared_known_bad_files``): unknown material two people both hold is the stronger
sign of trading or production. The file list is the explanation.

The build has two steps, so that a Dask cluster can do the first (:mod:`vigilant.links.cluster`):
:func:`pair_figures` counts, per device pair, its shared files by how many devices hold each (integers) and
lists its rarest files, over the digests of one range (every record of one digest is in one range, so a
file's device count is exact there); :func:`combine` adds the figures of several ranges (exact: integers
and lists); :func:`weighed` turns them into weights here, on one machine, for both paths. A local build is
the one range that holds every digest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import duckdb
import pyarrow as pa

from vigilant.links.build_records import item_refs
from vigilant.links.builder import LinkSettings, RunResults, Sources, Trigger
from vigilant.links.entities import BuiltLinks, LinkFact, Provenance

KINDS = {False: "shared_unknown_files", True: "shared_known_bad_files"}

# Every SHA-256 lies in [LOWEST, HIGHEST): the empty blob sorts first, and 33 bytes of 0xff after any digest.
LOWEST, HIGHEST = b"", b"\xff" * 33

# One row per device pair and class of material: how many of its files n devices hold, for each n (a
# histogram: integers that add up exactly across digest ranges), its file count, and its rarest files
# (min_by keeps the first $listed, ordered by devices then digest, without sorting every pair's whole list:
# twice as fast at 10^6 records).
PAIRS_SQL = """
WITH records AS (
    SELECT evidence_id, sha256, name, known_bad, known_good
    FROM read_parquet($files, union_by_name = true)
    WHERE sha256 IS NOT NULL AND size > 0 AND evidence_id IN (SELECT unnest($items))
      AND sha256 >= $low AND sha256 < $high
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
       histogram(a.devices) AS rarity, count(*) AS files,
       min_by({'sha256': a.sha256, 'name_a': a.name, 'name_b': b.name, 'devices': a.devices},
              {'devices': a.devices, 'sha256': a.sha256}, $listed) AS listed
FROM held a JOIN held b ON a.sha256 = b.sha256 AND a.evidence_id < b.evidence_id
GROUP BY a.evidence_id, b.evidence_id, a.known_bad
ORDER BY a.evidence_id, b.evidence_id, a.known_bad
"""

# (device a, device b, known-bad?, {devices holding a file: files}, files, first files listed)
Figures = tuple[int, int, bool, dict[int, int], int, list[dict[str, Any]]]
# (device a, device b, known-bad?, weight, files, first files listed)
Pair = tuple[int, int, bool, float, int, list[dict[str, Any]]]


@dataclass(frozen=True)
class ClusterLinkSettings(LinkSettings):
    """Link settings whose shared-file figures are computed on the Dask cluster at ``scheduler``
    (``vigilant links build --scheduler tcp://HOST:8786``, or ``VIGILANT_DASK_SCHEDULER``)."""

    scheduler: str = ""
    ranges: int | None = None  # digest ranges, one task each; None: one per worker thread of the cluster


def max_devices(total: int, share: float) -> int:
    """The most devices a file may be on and still link: the set share of them, and never fewer than two."""
    return max(2, math.floor(total * share))


def _pairs_query(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    items: Sequence[int],
    *,
    most_devices: int,
    listed: int,
    low: bytes,
    high: bytes,
) -> duckdb.DuckDBPyRelation:
    params: dict[str, Any] = {
        "files": list(files),
        "items": list(items),
        "max_devices": most_devices,
        "listed": listed,
        "low": low,
        "high": high,
    }
    return con.sql(PAIRS_SQL, params=params)


def pair_figures(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    items: Sequence[int],
    *,
    most_devices: int,
    listed: int,
    low: bytes = LOWEST,
    high: bytes = HIGHEST,
) -> list[Figures]:
    """The figures of every linked pair of ``items`` (evidence ids) in the record ``files``, counting the
    files whose SHA-256 lies in [``low``, ``high``) and are on 2 to ``most_devices`` devices."""
    query = _pairs_query(con, files, items, most_devices=most_devices, listed=listed, low=low, high=high)
    return _rows(query)


def pair_table(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str],
    items: Sequence[int],
    *,
    most_devices: int,
    listed: int,
    low: bytes = LOWEST,
    high: bytes = HIGHEST,
) -> pa.Table:
    """:func:`pair_figures` as an Arrow table: what a cluster's task sends back (Dask pickles a list of
    Python rows one object at a time, ten times slower than the query at 10^6 records)."""
    query = _pairs_query(con, files, items, most_devices=most_devices, listed=listed, low=low, high=high)
    return query.to_arrow_table()


def figures_of(table: pa.Table) -> list[Figures]:
    """The rows of a :func:`pair_table`, as :func:`pair_figures` gives them (a MAP comes from Arrow as a
    list of pairs; column by column: twice as fast as reading the table back through DuckDB)."""
    columns = [column.to_pylist() for column in table.columns]
    columns[3] = [dict(rarity) for rarity in columns[3]]
    return cast(list[Figures], list(zip(*columns, strict=True)))


def _rows(query: duckdb.DuckDBPyRelation) -> list[Figures]:
    # DuckDB gives a MAP as a dict and a list of structs as a list of dicts: the figures' very types.
    return cast(list[Figures], query.fetchall())


def _file_order(file: Mapping[str, Any]) -> tuple[int, bytes]:
    return int(file["devices"]), bytes(file["sha256"])


def combine(parts: Iterable[Sequence[Figures]], listed: int) -> list[Figures]:
    """The figures of the union of disjoint digest ranges, in :data:`PAIRS_SQL`'s order (pairs, then
    material), each pair's files listed as one range over them all would list them."""
    merged: dict[tuple[int, int, bool], Figures] = {}
    for part in parts:
        for row in part:
            key = (row[0], row[1], row[2])
            held = merged.get(key)
            if held is None:  # most pairs share files of one range only: kept as they came
                merged[key] = row
                continue
            rarity = dict(held[3])
            for devices, files in row[3].items():
                rarity[devices] = rarity.get(devices, 0) + files
            first = sorted([*held[5], *row[5]], key=_file_order)[:listed]
            merged[key] = (*key, rarity, held[4] + row[4], first)
    return [merged[key] for key in sorted(merged)]


def weight(rarity: Mapping[int, int], total: int) -> float:
    """``sum(ln(1 + N / n))`` over a pair's files, from how many of them ``n`` devices hold: ``fsum`` is
    exactly rounded whatever the order, so both paths give the very same float."""
    return math.fsum(files * math.log(1 + total / devices) for devices, files in rarity.items())


def weighed(figures: Iterable[Figures], total: int) -> list[Pair]:
    """Each pair with its weight, for ``total`` devices triaged: the one weighing of both paths."""
    return [(a, b, bad, weight(rarity, total), count, files) for a, b, bad, rarity, count, files in figures]


def shared_pairs(
    con: duckdb.DuckDBPyConnection, files: list[str], items: list[int], *, max_share: float, listed: int
) -> list[Pair]:
    """(device a, device b, known-bad?, weight, files, first files listed) for every linked pair of ``items``
    (evidence ids) in the record ``files``, on this machine; the benchmark times this against the obvious
    self-join."""
    figures = pair_figures(con, files, items, most_devices=max_devices(len(items), max_share), listed=listed)
    return weighed(figures, len(items))


def record_files(runs: list[RunResults]) -> list[str]:
    return [str(p) for r in runs for p in sorted(r.results_dir.glob("batch-*.parquet"))]


def _pairs(settings: LinkSettings, files: list[str], items: list[int]) -> list[Pair]:
    """Here by default; on the cluster when the settings name a scheduler."""
    if isinstance(settings, ClusterLinkSettings) and settings.scheduler:
        from vigilant.links.cluster import shared_pairs_at  # noqa: PLC0415  # distributed: ~0.5 s to import

        return shared_pairs_at(
            settings.scheduler,
            files,
            items,
            max_share=settings.max_device_share,
            listed=settings.files_listed,
            ranges=settings.ranges,
        )
    with duckdb.connect() as con:
        return shared_pairs(
            con, files, items, max_share=settings.max_device_share, listed=settings.files_listed
        )


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
        for a, b, known_bad, weight_of_pair, count, listed in _pairs(sources.settings, files, list(run_of)):
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
                LinkFact(KINDS[known_bad], items[a], items[b], round(weight_of_pair, 6), explanation, prov)
            )
        return out
