"""A small installation with planted links, made of real records: three agencies (tests.cases.helpers'
world), a case each, an accused in each, a seized computer in each triaged from a generated folder, and
identifiers recorded on the accused.

Planted links:
- A and B both hold ``rare.bin`` (unknown material): shared unknown files, A - B;
- A and C both hold ``known.jpg``, which the library knows as known-bad: shared known-bad files, A - C;
- A holds ``holiday.jpg`` and B a resized, re-encoded copy: near-duplicate (PDQ) unknown pictures, A - B;
- every device holds ``common.txt`` (on all three of three devices: never links) and ``readme.txt``
  (known-good: never links);
- B and C hold pictures from one camera body (Canon EOS 5D #CAM-778899); A holds one of the same model
  with another serial (a model alone never links);
- Alice (case A) and Carol (case C) both use ``shared.person@example.org``; Alice and Bob are both "admin";
- Alice was recorded at 203.0.113.7, where lead L-1 offered four known torrents (observed by three
  sources); the lead's peer id was also seen on 198.51.100.9. Lead L-2 (192.0.2.50) offered one.
- Carol was arrested and charged in an earlier case of Halifax's: a repeat offender.

Cases A (PP) and B (BPS) are shared with operation OP-1; case C (HRP, the outsider) is its agency's only.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image

from tests.cases.helpers import actor, world
from vigilant.cases.links import link_identifier
from vigilant.cases.models import Distribution, PersonRole
from vigilant.cases.people import add_person, add_role
from vigilant.cases.process import DeviceSeized, lay_charge, record_arrest, record_seizure
from vigilant.cases.service import open_case
from vigilant.demo.pictures import draw_image
from vigilant.hashing.streams import digest_file
from vigilant.leads.models import LeadIpRow, LeadRow
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import KnownEntry, SetKind
from vigilant.library.samples import write_sums
from vigilant.library.store import LibraryStore
from vigilant.p2p.observations import Observation, Tier, to_table
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

LAB = Actor.cli("examiner")  # the lab registers and triages the devices from the server's CLI
SETTINGS = TriageSettings(batch_files=4, processes=1, threads=1)
SEIZED_AT = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Planted:
    db: Database
    data: Path
    triage: TriageService
    pp: Actor  # coordinator of the operation (case A)
    bps: Actor  # partner (case B)
    hrp: Actor  # outsider (case C)
    cases: dict[str, int]
    persons: dict[str, int]
    items: dict[str, int]
    runs: dict[str, int]


def jpeg(seed: int, camera: tuple[str, str, str] | None = None) -> bytes:
    image = draw_image(seed, (320, 240))
    exif = Image.Exif()
    if camera is not None:
        make, model, serial = camera
        exif[0x010F], exif[0x0110] = make, model
        if serial:
            exif.get_ifd(0x8769)[0xA431] = serial
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


CAMERA = ("Canon", "Canon EOS 5D", "CAM-778899")


def folders(root: Path) -> dict[str, Path]:
    rare = b"synthetic unknown bytes held by A and B only\n" * 20
    known = jpeg(101)
    out = {}
    for name in "ABC":
        folder = root / f"seized-{name}"
        folder.mkdir(parents=True)
        (folder / "common.txt").write_text("a file every device holds\n")
        (folder / "readme.txt").write_text("a known-good text file\n")
        (folder / f"own-{name}.bin").write_bytes(f"only on {name}\n".encode() * 10)
        out[name] = folder
    (out["A"] / "rare.bin").write_bytes(rare)
    (out["B"] / "copy-of-rare.bin").write_bytes(rare)
    (out["A"] / "known.jpg").write_bytes(known)
    (out["C"] / "pictures").mkdir()
    (out["C"] / "pictures" / "k.jpg").write_bytes(known)
    (out["A"] / "holiday.jpg").write_bytes(jpeg(301))
    resized = io.BytesIO()
    Image.open(io.BytesIO(jpeg(301))).resize((300, 225)).save(resized, "JPEG", quality=70)
    (out["B"] / "holiday-small.jpg").write_bytes(resized.getvalue())
    (out["B"] / "cam1.jpg").write_bytes(jpeg(201, CAMERA))
    (out["C"] / "pictures" / "cam2.jpg").write_bytes(jpeg(202, CAMERA))
    (out["A"] / "same-model.jpg").write_bytes(jpeg(203, ("Canon", "Canon EOS 5D", "OTHER-1")))
    return out


def library(db: Database, root: Path, known_file: Path, good_file: Path) -> None:
    store = LibraryStore(db)
    bad = root / "bad.md5"
    write_sums(bad, [KnownEntry(location="k", md5=digest_file(known_file).md5, file_name="k.jpg")], "md5")
    import_hash_set(
        store, ImportRequest(bad, actor=Actor.cli("t"), name="Bad", version="1", kind=SetKind.KNOWN_BAD)
    )
    good = root / "good.md5"
    write_sums(
        good, [KnownEntry(location="g", md5=digest_file(good_file).md5, file_name="readme.txt")], "md5"
    )
    import_hash_set(
        store, ImportRequest(good, actor=Actor.cli("t"), name="Good", version="1", kind=SetKind.KNOWN_GOOD)
    )


def records(db: Database) -> Planted:
    """The agencies, cases, persons and identifiers; no device yet."""
    w = world(db)
    pp, bps, hrp = actor(w.coordinator), actor(w.partner), actor(w.outsider)
    shared = Distribution.OPERATION
    cases = {
        "A": open_case(db, pp, number="A-1", title="Alpha", operation=w.operation, distribution=shared).id,
        "B": open_case(db, bps, number="B-1", title="Bravo", operation=w.operation, distribution=shared).id,
        "C": open_case(db, hrp, number="C-1", title="Charlie").id,
    }
    persons = {
        "A": add_person(db, pp, cases["A"], given_names="Alice", surname="Ashby", role=PersonRole.ACCUSED).id,
        "B": add_person(db, bps, cases["B"], given_names="Bob", surname="Baird", role=PersonRole.ACCUSED).id,
        "C": add_person(db, hrp, cases["C"], given_names="Carol", surname="Cobb", role=PersonRole.ACCUSED).id,
    }
    link_identifier(db, pp, cases["A"], "email", "shared.person@example.org", person_id=persons["A"])
    link_identifier(db, hrp, cases["C"], "email", "Shared.Person@example.org", person_id=persons["C"])
    link_identifier(db, pp, cases["A"], "username", "admin", person_id=persons["A"])
    link_identifier(db, bps, cases["B"], "username", "admin", person_id=persons["B"])
    at = datetime(2024, 2, 1, 12, tzinfo=UTC)
    link_identifier(db, pp, cases["A"], "ip", "203.0.113.7", person_id=persons["A"], observed_at=at)
    # Carol was arrested and charged in an earlier case of her agency: a repeat offender.
    earlier = open_case(db, hrp, number="C-0", title="Earlier").id
    add_role(db, hrp, earlier, persons["C"], PersonRole.ACCUSED)
    record_arrest(
        db, hrp, earlier, persons["C"], arrested_at=datetime(2019, 5, 1, tzinfo=UTC), where=None, by="HRP"
    )
    lay_charge(
        db,
        hrp,
        earlier,
        persons["C"],
        offence_code="cp-possessing",
        offence_from=date(2019, 1, 1),
        laid_on=date(2019, 5, 2),
    )
    cases["C0"] = earlier
    return Planted(db, Path(), TriageService(db, Path()), pp, bps, hrp, cases, persons, {}, {})


def triage_device(p: Planted, name: str, folder: Path) -> None:
    """Register, triage and record the seizure of device ``name``'s folder in its case."""
    who = {"A": p.pp, "B": p.bps, "C": p.hrp}[name]
    number = {"A": "A-1", "B": "B-1", "C": "C-1"}[name]
    agency = {"A": "PP", "B": "BPS", "C": "HRP"}[name]
    item = p.triage.evidence.add(folder, actor=LAB, label=f"laptop {name}", case_number=number, agency=agency)
    p.items[name] = item.id
    p.runs[name] = p.triage.start(item.id, SETTINGS, LAB, Progress())
    record_seizure(
        p.db,
        who,
        p.cases[name],
        seized_at=SEIZED_AT,
        where="home",
        by="team",
        devices=[DeviceSeized(f"laptop {name}", exhibit=f"{name}-01", evidence_item_id=item.id)],
    )


PEER = b"-LT2110-000000000007"
OBSERVED = datetime(2024, 2, 1, 10, tzinfo=UTC)


def observe(p: Planted) -> None:
    """Observations of the two leads' addresses, and the two lead records the leads build made of them."""
    rows = []
    for i, source in enumerate(["tracker:udp://tracker.example:6969", "pex:198.51.100.20", None]):
        for torrent in range(4):
            rows.append(
                Observation(
                    obs_id=f"o{i}-{torrent}",
                    session_id=f"s{i}",
                    ts_utc=OBSERVED + timedelta(minutes=10 * i + torrent),
                    network="bittorrent",
                    method="handshake",
                    tier=Tier.CONFIRMED.value,
                    ip="203.0.113.7",
                    port=6881,
                    source="observer",
                    operator="test",
                    reported_by=source,
                    infohash_v1=hashlib.sha1(f"torrent-{torrent}".encode()).digest(),
                    peer_id=PEER,
                )
            )
    rows.append(replace(rows[0], obs_id="moved", ip="198.51.100.9", ts_utc=OBSERVED + timedelta(hours=30)))
    rows.append(replace(rows[0], obs_id="other", ip="192.0.2.50", peer_id=None, reported_by=None))
    folder = p.data / "observations"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(to_table(rows), folder / "session.parquet")
    with p.db.session() as s:
        for key, ip, known, n in (("L-1", "203.0.113.7", 4, 12), ("L-2", "192.0.2.50", 1, 1)):
            lead = LeadRow(
                key=key,
                status="new",
                window_days=90,
                as_of=OBSERVED + timedelta(days=1),
                first_seen=OBSERVED,
                last_seen=OBSERVED + timedelta(hours=1),
                observation_count=n,
                known_files=known,
                max_severity=5,
                max_category=None,
                seeding=False,
                days_seen=1,
                tier="confirmed",
                score=1.0,
                actionable=True,
                explanation={"factors": []},
                identities={"peer_ids": [PEER.hex()] if key == "L-1" else []},
                created_at=OBSERVED,
                built_at=OBSERVED,
                built_by="test",
            )
            lead.ips = [
                LeadIpRow(
                    ip=ip, first_seen=OBSERVED, last_seen=OBSERVED + timedelta(hours=1), observation_count=n
                )
            ]
            s.add(lead)


def planted(db: Database, root: Path) -> Planted:
    p = records(db)
    p.data = root / "data"
    p.triage = TriageService(db, p.data)
    found = folders(root / "folders")
    library(db, root, found["A"] / "known.jpg", found["A"] / "readme.txt")
    for name, folder in found.items():
        triage_device(p, name, folder)
    observe(p)
    return p
