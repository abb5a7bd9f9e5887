"""Devices holding pictures taken by the same camera: the same EXIF body serial with the same make and
model, on pictures from different devices. A make and model alone never link (thousands own one)."""

from __future__ import annotations

from itertools import combinations
from typing import Any, ClassVar

import duckdb

from vigilant.links import entities as e
from vigilant.links.build_records import item_refs
from vigilant.links.build_shared_files import record_files
from vigilant.links.builder import Sources, Trigger
from vigilant.links.entities import BuiltLinks, LinkFact, Provenance

CAMERAS_SQL = """
WITH pictures AS (
    SELECT evidence_id, trim(exif_make) AS make, trim(exif_model) AS model,
           upper(trim(exif_serial)) AS serial,
           path
    FROM read_parquet($files, union_by_name = true)
    WHERE evidence_id IN (SELECT unnest($items))
      AND nullif(trim(exif_serial), '') IS NOT NULL
      AND nullif(trim(exif_make), '') IS NOT NULL AND nullif(trim(exif_model), '') IS NOT NULL
),
shared AS (
    SELECT make, model, serial FROM pictures GROUP BY ALL HAVING count(DISTINCT evidence_id) >= 2
)
SELECT p.make, p.model, p.serial, p.evidence_id, count(*) AS pictures, list(p.path ORDER BY p.path)[1:5]
FROM pictures p JOIN shared USING (make, model, serial)
GROUP BY ALL ORDER BY p.make, p.model, p.serial, p.evidence_id
"""
SAME_CAMERA_WEIGHT = 5.0  # one camera body on two devices: pictures from one hand (or passed on whole)


class SameCamera:
    name: ClassVar[str] = "same_camera"
    triggers: ClassVar[frozenset[str]] = frozenset({Trigger.RUN})
    description: ClassVar[str] = (
        "pictures from one camera body (EXIF make, model and serial) on several devices"
    )

    def build(self, sources: Sources) -> BuiltLinks:
        out = BuiltLinks()
        runs = sources.runs()
        files = record_files(runs)
        if len(runs) < 2 or not files:
            return out
        run_of = {r.evidence_id: r for r in runs}
        with sources.db.session() as s:
            items = item_refs(s)
        with duckdb.connect() as con:
            rows = con.execute(CAMERAS_SQL, {"files": files, "items": list(run_of)}).fetchall()
        cameras: dict[tuple[str, str, str], list[tuple[int, int, list[str]]]] = {}
        for make, model, serial, evidence_id, pictures, paths in rows:
            cameras.setdefault((make, model, serial), []).append((evidence_id, pictures, paths))
        for (make, model, serial), held in cameras.items():
            hub = e.camera(make, model, serial)
            for evidence_id, pictures, paths in held:
                run = run_of[evidence_id]
                out.add(
                    LinkFact(
                        "pictures_from",
                        items[evidence_id],
                        hub,
                        1.0,
                        {
                            "text": f"{pictures} picture(s) from {hub.label}",
                            "pictures": pictures,
                            "paths": paths,
                        },
                        Provenance("run", (f"run:{run.run_id}",), run.finished_at),
                    )
                )
            for (ea, pa, _), (eb, pb, _) in combinations(held, 2):
                ra, rb = run_of[ea], run_of[eb]
                explanation: dict[str, Any] = {
                    "text": f"pictures from one {make} {model}, body serial {serial}, on both devices",
                    "make": make,
                    "model": model,
                    "serial": serial,
                    "pictures": [pa, pb],
                }
                when = max((t for t in (ra.finished_at, rb.finished_at) if t is not None), default=None)
                prov = Provenance("run", (f"run:{ra.run_id}", f"run:{rb.run_id}"), when)
                out.add(LinkFact("same_camera", items[ea], items[eb], SAME_CAMERA_WEIGHT, explanation, prov))
        return out
