"""A perceptual hit says which library entry matched, in the results and in every report (issue 11, A4).

A re-encoded, resized copy of a known picture matches no digest of the file's own: only PDQ finds it, so
the hit must carry the entry it found (name, series, hashes) and the PDQ method, or an examiner cannot tell
which known picture it is. (The web page and the API: tests/web/test_triage_matched_entry.py.)
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from vigilant.demo.pictures import draw_image
from vigilant.hashing.streams import FileDigests, digest_file
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import KnownEntry
from vigilant.library.samples import write_vics
from vigilant.library.store import LibraryStore
from vigilant.perceptual.pdq import PdqMethod, pdq_of_image
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.records import Hit
from vigilant.triage.results import iter_records
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
LAB = Actor.cli("lab")
ME = Actor.cli("test")

NAME = "known-seven.jpg"
SERIES = "Series Q"


@dataclass(frozen=True)
class Matched:
    service: TriageService
    run_id: int
    known: FileDigests
    known_pdq: bytes
    hit: Hit


def triage_a_near_copy(db: Database, root: Path) -> Matched:
    """A library entry known by every hash, and a seized copy that only PDQ can find; the run and its hit."""
    reference = root / "reference.jpg"
    draw_image(7).save(reference, "JPEG", quality=92)
    known = digest_file(reference)
    pdq = pdq_of_image(reference, PdqMethod.FULL)
    entry = KnownEntry(
        location="x",
        md5=known.md5,
        sha1=known.sha1,
        sha256=known.sha256,
        pdq=pdq.hash,
        pdq_quality=pdq.quality,
        category="1",
        series=SERIES,
        file_name=NAME,
    )
    source = root / "list.json"
    write_vics(source, [entry], version="2.0", form="media")
    import_hash_set(LibraryStore(db), ImportRequest(source, actor=Actor.cli("t"), name="Known", version="3"))
    seized = root / "seized"
    seized.mkdir()
    draw_image(7).resize((640, 480)).save(seized / "holiday.jpg", "JPEG", quality=70)
    service = TriageService(db, root / "data")
    item = service.evidence.add(
        seized, actor=LAB, label="Seized folder", case_number="OP-OWN-1", case_pending=True
    )
    run_id = service.start(item.id, TriageSettings(processes=0, threads=1), LAB, Progress())
    [record] = [r for r in iter_records(Path(service.status(run_id, ME).results_dir)) if r.is_image]
    [hit] = record.hits
    return Matched(service, run_id, known, pdq.hash, hit)


def _report(matched: Matched, fmt: str) -> str:
    out = io.BytesIO()
    matched.service.report(matched.run_id, fmt, out, LAB)
    return out.getvalue().decode("utf-8-sig")


def test_the_hit_carries_the_entry_it_matched(db: Database, tmp_path: Path) -> None:
    matched = triage_a_near_copy(db, tmp_path)
    hit = matched.hit
    assert (hit.matched_on, hit.pdq_method) == ("pdq", "full")
    assert hit.distance is not None
    assert hit.distance > 0  # a near copy, not the picture itself
    assert hit.entry_name == NAME
    assert hit.series == SERIES
    assert (hit.entry_md5, hit.entry_sha1, hit.entry_sha256) == (
        matched.known.md5,
        matched.known.sha1,
        matched.known.sha256,
    )
    assert hit.entry_pdq == matched.known_pdq


def test_every_report_names_the_entry_and_its_hashes(db: Database, tmp_path: Path) -> None:
    matched = triage_a_near_copy(db, tmp_path)
    md5, pdq, entry_id = matched.known.md5.hex(), matched.known_pdq.hex(), matched.hit.entry_id

    [row] = [r for r in csv.DictReader(io.StringIO(_report(matched, "csv"))) if r["name"] == "holiday.jpg"]
    assert row["hits"] == f"Known@3:pdq:{matched.hit.distance}/full:1:#{entry_id}"
    [entry] = json.loads(row["matched_entries"])
    assert entry["entry_id"] == entry_id
    assert (entry["name"], entry["series"], entry["md5"], entry["pdq"]) == (NAME, SERIES, md5, pdq)
    assert entry["sha256"] == matched.known.sha256.hex()
    assert entry["pdq_method"] == "full"

    html = _report(matched, "html")
    assert NAME in html
    assert md5 in html
    assert pdq in html
    assert "full picture" in html
    assert "<th>PDQ method</th>" in html  # each set of the run says how its PDQ hashes were made
    assert "<td>vic-us</td><td>full</td>" in html

    [media] = [m for m in json.loads(_report(matched, "vics"))["value"] if "Comments" in m]
    assert NAME in media["Comments"]
    assert md5 in media["Comments"]
    assert "full picture" in media["Comments"]

    case = _report(matched, "case")
    assert f'entry {entry_id} \\"{NAME}\\"' in case
    assert md5 in case
    assert "PDQ hashes of the full picture" in case  # the set's node

    dfxml = _report(matched, "dfxml")
    assert f'entry_md5="{md5}"' in dfxml
    assert f'entry_pdq="{pdq}"' in dfxml
    assert f'entry_name="{NAME}"' in dfxml
    assert 'pdq_method="full"' in dfxml
