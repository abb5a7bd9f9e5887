"""Link material for the demo operation, and the link analysis over it.

Planted through the services, on generated and benign data only:
- two accused of different agencies each get a seized computer (a folder of generated files, triaged): both
  hold the same rare unknown files (shared unknown material), pictures from one camera body (the same EXIF
  body serial, make and model), and one picture as two different files (the second a smaller, re-compressed
  copy under another name: a PDQ near-duplicate, not a shared file);
- the first of them is recorded again by a third agency, as a suspect of one of its cases, under the same
  name and date of birth: person xref proposes the pair;
- the key distributor is the demo swarm's lead (the loopback peer the observer confirmed).
Then a full links build and an xref run, the strongest links, the key distributors and the operation's
"organised network?" indicator.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select

from vigilant.cases.models import AgencyRow, CasePersonRow, CaseRow, OperationRow, PersonRole, PersonRow
from vigilant.cases.people import add_person
from vigilant.cases.process import DeviceSeized, record_seizure
from vigilant.demo.operation import GENERATOR, GeneratedOperation
from vigilant.demo.pictures import draw_image
from vigilant.errors import VigilantError
from vigilant.links.distributors import Distributor, key_distributors
from vigilant.links.hooks import full_build
from vigilant.links.network import NetworkIndicator, operation_network
from vigilant.links.service import BuildReport
from vigilant.links.views import GraphView, strongest
from vigilant.links.xref import ProposalView, RunSummary, list_proposals, run_xref
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

CAMERA = ("Nikon", "Nikon D750", "NKN-3051977")  # the body serial both accused's pictures carry
SHARED_FILES = 3  # rare unknown files on both devices
NEAR_DUPLICATE = ("holiday-014.jpg", "IMG_2231.jpg")  # one picture, saved differently on each device
LAB = Actor.cli(f"{GENERATOR}-lab")  # the lab registers and triages the devices, as the demo laptop
SETTINGS = TriageSettings(batch_files=16, processes=1, threads=1)


@dataclass(frozen=True)
class Accused:
    person_id: int
    name: str
    case_id: int
    case_number: str
    agency_id: int
    agency: str


@dataclass(frozen=True)
class PlantedLinks:
    first: Accused
    second: Accused
    items: tuple[int, int]  # the two devices' evidence items
    runs: tuple[int, int]
    duplicate_person_id: int  # the first accused as recorded by a third agency
    duplicate_agency: str


@dataclass(frozen=True)
class LinkFindings:
    planted: PlantedLinks
    build: BuildReport
    xref: RunSummary
    proposals: list[ProposalView]
    top: GraphView
    distributors: list[Distributor]
    network: NetworkIndicator

    def lines(self) -> Iterator[str]:
        kinds = ", ".join(f"{name} {n}" for name, n in self.build.links.items())
        yield f"Links built: {self.build.total} ({kinds})"
        labels = {e.handle: e.label for e in self.top.entities}
        yield "Strongest links:"
        for link in self.top.links:
            yield (
                f"  {link.weight:7.2f}  {link.kind}: {labels.get(link.source, link.source)} — "
                f"{labels.get(link.target, link.target)}"
            )
        yield (
            f"Person xref: {self.xref.persons} persons, {self.xref.proposals} proposal(s) to judge"
            + (f"; strongest: {_proposal(self.proposals[0])}" if self.proposals else "")
        )
        if self.distributors:
            d = self.distributors[0]
            yield f"Key distributor: {d.lead} — {d.explanation}"
            if not d.persons:  # the swarm is on 127.0.0.1: no accused's recorded IP may be a loopback one
                yield "  (the demo's swarm is on 127.0.0.1: no person is recorded at its address)"
        n = self.network
        yield (
            f"Organised network? {'yes' if n.suggests_network else 'no'}: {n.strongly_linked} of "
            f"{n.accused} accused strongly linked ({n.share:.0%})"
        )
        yield f"  {n.explanation}"


def _proposal(p: ProposalView) -> str:
    other = f"{p.other.name} ({p.other.agency})" if p.other else (p.withheld or "withheld")
    return f"{p.person.name} ({p.person.agency}) = {other}, match weight {p.match_weight:.1f}"


def camera_jpeg(seed: int, camera: tuple[str, str, str]) -> bytes:
    """A generated picture carrying a camera's make, model and body serial in its EXIF."""
    make, model, serial = camera
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = make, model
    exif.get_ifd(0x8769)[0xA431] = serial  # BodySerialNumber, in the Exif IFD
    buffer = io.BytesIO()
    draw_image(seed, (480, 360)).save(buffer, "JPEG", quality=88, exif=exif)
    return buffer.getvalue()


def textured_picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A generated picture with fine detail: the smooth demo pictures have a PDQ quality near 25, under the 50
    that near-duplicate links require (a flat picture's hash says little)."""
    image = draw_image(seed, size)
    draw, rng = ImageDraw.Draw(image), random.Random(seed)
    for _ in range(400):
        x, y, r = rng.randrange(size[0]), rng.randrange(size[1]), rng.randrange(3, 14)
        draw.ellipse([x, y, x + r, y + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    return image


def near_duplicate_jpegs(seed: int) -> tuple[bytes, bytes]:
    """One picture as two files: the original, and a copy at 90% size and lower JPEG quality (as a chat
    application re-sends it). Different bytes, PDQ hashes a few bits apart."""
    picture = textured_picture(seed)
    original, copy = io.BytesIO(), io.BytesIO()
    picture.save(original, "JPEG", quality=90)
    picture.resize((picture.width * 9 // 10, picture.height * 9 // 10)).save(copy, "JPEG", quality=72)
    return original.getvalue(), copy.getvalue()


def write_device_folders(root: Path) -> tuple[Path, Path]:
    """The two seized computers' folders: shared rare files, one camera's pictures, and files of their own."""
    rng = random.Random(13)
    shared = [rng.randbytes(20_000 + 1000 * i) for i in range(SHARED_FILES)]
    near = near_duplicate_jpegs(7000)
    folders = []
    for n, name in enumerate(("computer-1", "computer-2")):
        folder = root / name
        (folder / "Downloads").mkdir(parents=True)
        (folder / "DCIM").mkdir()
        (folder / "Documents").mkdir()
        for i, data in enumerate(shared):  # named differently on each: the bytes link, not the names
            (folder / "Downloads" / f"{'part' if n else 'trade'}-{i:03d}.bin").write_bytes(data)
        for i in range(2):
            (folder / "DCIM" / f"DSC_{n}{i:03d}.JPG").write_bytes(camera_jpeg(5000 + 10 * n + i, CAMERA))
        (folder / "Pictures").mkdir()
        (folder / "Pictures" / NEAR_DUPLICATE[n]).write_bytes(near[n])
        (folder / "Documents" / "notes.txt").write_text(f"generated for the Vigilant demo, device {n + 1}\n")
        (folder / "Documents" / "own.bin").write_bytes(rng.randbytes(8000))
        folders.append(folder)
    return folders[0], folders[1]


def _two_accused(db: Database, op: GeneratedOperation) -> tuple[Accused, Accused]:
    """The first accused of the operation (by case) and the first accused of another agency."""
    with db.session() as s:
        rows = s.execute(
            select(PersonRow.id, PersonRow.given_names, PersonRow.surname, CaseRow.id, CaseRow.number,
                   AgencyRow.id, AgencyRow.short_name)
            .join(CasePersonRow, CasePersonRow.person_id == PersonRow.id)
            .join(CaseRow, CaseRow.id == CasePersonRow.case_id)
            .join(AgencyRow, AgencyRow.id == CaseRow.agency_id)
            .join(OperationRow, OperationRow.id == CaseRow.operation_id)
            .where(CasePersonRow.role == PersonRole.ACCUSED.value, OperationRow.code == op.code)
            .order_by(CaseRow.id, PersonRow.id)
        ).all()  # fmt: skip
    found = [Accused(r[0], f"{r[1]} {r[2]}", r[3], r[4], r[5], r[6]) for r in rows]
    if not found:
        raise VigilantError(f"the generated operation {op.code} has no accused")
    first = found[0]
    second = next((a for a in found if a.agency_id != first.agency_id), None)
    if second is None:
        raise VigilantError(f"the generated operation {op.code} has accused in one agency only")
    return first, second


def _investigator(agency_id: int) -> Actor:
    return Actor.cli(GENERATOR, agency_id=agency_id, roles={"investigator"})


def plant_links(db: Database, op: GeneratedOperation, root: Path, data_dir: Path) -> PlantedLinks:
    """Triage the two accused's computers, record their seizure, and record the first accused again in a
    third agency's case."""
    first, second = _two_accused(db, op)
    folders = write_device_folders(root / "seized-devices")
    triage = TriageService(db, data_dir)
    items, runs = [], []
    for accused, folder in zip((first, second), folders, strict=True):
        label = f"{accused.case_number} computer"
        item = triage.evidence.add(
            folder, actor=LAB, label=label, case_number=accused.case_number, agency=accused.agency
        )
        runs.append(triage.start(item.id, SETTINGS, LAB, Progress()))
        items.append(item.id)
        record_seizure(
            db,
            _investigator(accused.agency_id),
            accused.case_id,
            seized_at=datetime(2026, 10, 1, 7, 30, tzinfo=UTC),
            where="the accused's home",
            by=f"{accused.agency} Internet Child Exploitation unit",
            devices=[
                DeviceSeized("Desktop computer (folder image)", exhibit="EX-90", evidence_item_id=item.id)
            ],
        )
    with db.session() as s:
        person = s.get(PersonRow, first.person_id)
        assert person is not None
        twin = person
        s.expunge(person)
        third_case, third_agency_id, third_agency = s.execute(
            select(CaseRow.id, AgencyRow.id, AgencyRow.short_name)
            .join(AgencyRow, AgencyRow.id == CaseRow.agency_id)
            .where(AgencyRow.id.not_in([first.agency_id, second.agency_id]))
            .order_by(CaseRow.id)
        ).first() or (None, None, None)
    if third_case is None or third_agency_id is None or third_agency is None:
        raise VigilantError("the generated operation has cases in two agencies only")
    duplicate = add_person(
        db,
        _investigator(third_agency_id),
        third_case,
        given_names=twin.given_names,
        surname=twin.surname,
        role=PersonRole.SUSPECT,
        date_of_birth=twin.date_of_birth,
        gender=twin.gender,
        municipality=twin.municipality,
        address=f"an earlier address in {twin.municipality}",
    )
    return PlantedLinks(
        first, second, (items[0], items[1]), (runs[0], runs[1]), duplicate.id, str(third_agency)
    )


def analyse(
    db: Database, op: GeneratedOperation, planted: PlantedLinks, data_dir: Path, *, top: int = 5
) -> LinkFindings:
    """A full links build (recorded as the graph's latest, as ``vigilant links build`` does, so the links
    pages do not call it stale) and an xref run, then what the coordinator of the operation sees."""
    observations_dir = data_dir / "observations"
    analyst = Actor.cli(GENERATOR, roles={"analyst"})
    coordinator = Actor.cli(GENERATOR, agency_id=op.coordinator.id, roles={"coordinator"})
    report = full_build(db, analyst, data_dir, observations_dir=observations_dir)
    xref = run_xref(db, analyst)
    return LinkFindings(
        planted=planted,
        build=report,
        xref=xref,
        proposals=list_proposals(db, coordinator, limit=5),
        top=strongest(db, coordinator, limit=top),
        distributors=key_distributors(db, analyst, observations_dir, limit=3),
        network=operation_network(db, coordinator, op.code),
    )
