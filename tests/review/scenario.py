"""A seized folder of generated, benign pictures triaged against a small library: what review starts from.

* ``new/known.jpg``: byte-identical to a library entry (settled by MD5: not reviewed);
* ``near/holiday.jpg``: a resized re-encode of that entry (PDQ only: reviewed, "near known material");
* ``new/a.jpg`` and ``new/a-rotated.jpg``: an unknown picture and its copy turned 90 degrees (one stack);
* ``new/b.jpg``: another unknown picture, taken by the camera whose serial a seizure records;
* ``new/c.png``: a third unknown picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from tests.web.conftest import Clock, World, build_world
from vigilant.cases.models import SeizedDeviceRow, SeizureRow
from vigilant.demo.pictures import draw_image
from vigilant.hashing.streams import digest_file
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import KnownEntry
from vigilant.library.samples import write_vics
from vigilant.library.store import LibraryStore
from vigilant.perceptual.pdq import PdqMethod, pdq_of_image
from vigilant.review.context import ReviewContext
from vigilant.security.rights import Actor, Role
from vigilant.security.secretbox import SecretBox
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

SERIAL = "CAM-0042-XY"
SERIES = "Series Q"
LAB = Actor.cli("lab")  # the lab adds the evidence and runs triage from the server's CLI


@dataclass
class Scenario:
    world: World
    ctx: ReviewContext
    triage: TriageService
    run_id: int
    evidence_id: int
    folder: Path
    examiner: Actor
    stranger: Actor  # an examiner of the other agency


def with_serial(image: Image.Image, path: Path, serial: str) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Generic"
    exif[0x0110] = "Cam 1"
    exif.get_ifd(0x8769)[0xA431] = serial
    image.save(path, "JPEG", quality=90, exif=exif)


def build(db: Database, root: Path, world: World | None = None, *, batch_files: int = 512) -> Scenario:
    """The scenario in ``db`` (with the web tests' world of two agencies, made here unless given)."""
    world = world or build_world(db)
    root.mkdir(parents=True, exist_ok=True)
    reference = root / "reference.jpg"
    draw_image(7).save(reference, "JPEG", quality=92)
    known = digest_file(reference)
    pdq = pdq_of_image(reference, PdqMethod.FULL)
    entry = KnownEntry(
        location="x", md5=known.md5, sha1=known.sha1, sha256=known.sha256, pdq=pdq.hash,
        pdq_quality=pdq.quality, category="1", series=SERIES, file_name="known-seven.jpg",
    )  # fmt: skip
    source = root / "list.json"
    write_vics(source, [entry], version="2.0", form="media")
    import_hash_set(LibraryStore(db), ImportRequest(source, actor=Actor.cli("t"), name="Known", version="3"))

    seized = root / "seized"
    for folder in ("near", "new"):
        (seized / folder).mkdir(parents=True)
    (seized / "new" / "known.jpg").write_bytes(reference.read_bytes())
    draw_image(7).resize((640, 480)).save(seized / "near" / "holiday.jpg", "JPEG", quality=70)
    draw_image(101).save(seized / "new" / "a.jpg", "JPEG", quality=90)
    draw_image(101).rotate(90, expand=True).save(seized / "new" / "a-rotated.jpg", "JPEG", quality=85)
    with_serial(draw_image(202), seized / "new" / "b.jpg", SERIAL)
    draw_image(303).save(seized / "new" / "c.png", "PNG")

    with db.session() as s:
        seizure = SeizureRow(
            case_id=world.own_case, seized_at=datetime(2026, 3, 1, tzinfo=UTC), seized_where="12 Example St",
            seized_by="Cst. Test",
        )  # fmt: skip
        s.add(seizure)
        s.flush()
        s.add(SeizedDeviceRow(seizure_id=seizure.id, description="camera", serial="cam 0042 xy"))

    triage = TriageService(db, root / "data")
    item = triage.evidence.add(
        seized, actor=LAB, label="Seized folder", case_number="OP-OWN-1", case_pending=True
    )
    run_id = triage.start(
        item.id, TriageSettings(processes=0, threads=1, batch_files=batch_files), LAB, Progress()
    )
    ctx = ReviewContext(db, SecretBox.generate(), clock=Clock())
    examiner = world.users[Role.EXAMINER].actor()
    stranger = Actor(None, "other-examiner", frozenset({Role.EXAMINER}), world.other_agency)
    return Scenario(world, ctx, triage, run_id, item.id, seized, examiner, stranger)
