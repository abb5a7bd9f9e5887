"""Devices holding near-duplicate pictures: PDQ hashes at distance <= 31 between pictures of PDQ quality 50
or more, on different devices, whose bytes differ (the same bytes are :mod:`.build_shared_files`' link).
A re-encoded, resized or re-saved copy of one picture is still the same picture.

Weighted like shared files, by rarity: each near-duplicate pair adds ``ln(1 + N / n)``, n the devices that
hold either picture; known-good pictures and pictures on more than the set share of devices never link;
unknown and known-bad material are separate links. The near-duplicate index is the library's
:class:`~vigilant.library.pdq_index.PdqIndex`, which its tests check against brute force.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, ClassVar

import duckdb

from vigilant.library.pdq_index import PdqIndex
from vigilant.links.build_records import item_refs
from vigilant.links.build_shared_files import max_devices, record_files
from vigilant.links.builder import Sources, Trigger
from vigilant.links.entities import BuiltLinks, LinkFact, Provenance

KINDS = {False: "near_duplicate_unknown", True: "near_duplicate_known_bad"}

PICTURES_SQL = """
SELECT pdq, evidence_id, sha256, min(name) AS name, bool_or(known_bad) AS known_bad
FROM read_parquet($files, union_by_name = true)
WHERE pdq IS NOT NULL AND pdq_quality >= $quality AND sha256 IS NOT NULL AND NOT known_good
  AND evidence_id IN (SELECT unnest($items))
GROUP BY pdq, evidence_id, sha256
ORDER BY pdq, evidence_id, sha256
"""


class NearDuplicates:
    name: ClassVar[str] = "near_duplicates"
    triggers: ClassVar[frozenset[str]] = frozenset({Trigger.RUN})
    description: ClassVar[str] = (
        "devices holding near-duplicate pictures (PDQ <= 31, quality >= 50), by rarity"
    )

    def build(self, sources: Sources) -> BuiltLinks:
        out = BuiltLinks()
        runs = sources.runs()
        files = record_files(runs)
        if len(runs) < 2 or not files:
            return out
        settings = sources.settings
        run_of = {r.evidence_id: r for r in runs}
        with duckdb.connect() as con:
            rows = con.execute(
                PICTURES_SQL, {"files": files, "items": list(run_of), "quality": settings.pdq_quality}
            ).fetchall()
        codes = sorted({bytes(r[0]) for r in rows})
        if len(codes) < 1:
            return out
        position = {c: i for i, c in enumerate(codes)}
        held: dict[int, list[tuple[int, bytes, str, bool]]] = defaultdict(
            list
        )  # code -> (device, sha, name, bad)
        for pdq, evidence_id, sha256, name, known_bad in rows:
            held[position[bytes(pdq)]].append((evidence_id, bytes(sha256), name, bool(known_bad)))
        index = PdqIndex.build(codes)
        limit = max_devices(len(runs), settings.max_device_share)
        pairs: dict[tuple[int, int, bool], dict[str, Any]] = {}
        for i, j, distance in index.search(codes, settings.pdq_distance):
            if j < i:
                continue  # each pair of codes once (a code with itself: same hash, different bytes)
            devices = {d for d, *_ in held[i]} | {d for d, *_ in held[j]}
            if len(devices) > limit:
                continue
            idf = math.log(1 + len(runs) / len(devices))
            for da, sa, na, ba in held[i]:
                for db, sb, nb, bb in held[j]:
                    if da == db or sa == sb:
                        continue
                    a, b = sorted((da, db))
                    first, second = (na, nb) if da < db else (nb, na)
                    known_bad = ba or bb
                    pair = pairs.setdefault((a, b, known_bad), {"weight": 0.0, "listed": [], "seen": set()})
                    key = (min(sa, sb), max(sa, sb))
                    if key in pair["seen"]:
                        continue
                    pair["seen"].add(key)
                    pair["weight"] += idf
                    pair["listed"].append({"name_a": first, "name_b": second, "pdq_distance": int(distance)})
        with sources.db.session() as s:
            items = item_refs(s)
        for (a, b, known_bad), pair in sorted(pairs.items()):
            ra, rb = run_of[a], run_of[b]
            listed = sorted(pair["listed"], key=lambda x: (x["pdq_distance"], x["name_a"], x["name_b"]))
            material = "known-bad" if known_bad else "unknown"
            explanation = {
                "text": f"{len(pair['seen'])} near-duplicate {material} picture(s) on both devices",
                "pictures": len(pair["seen"]),
                "material": material,
                "listed": listed[: settings.files_listed],
                "devices_triaged": len(runs),
            }
            when = max((t for t in (ra.finished_at, rb.finished_at) if t is not None), default=None)
            prov = Provenance("run", (f"run:{ra.run_id}", f"run:{rb.run_id}"), when)
            out.add(
                LinkFact(KINDS[known_bad], items[a], items[b], round(pair["weight"], 6), explanation, prov)
            )
        return out
