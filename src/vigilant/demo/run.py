"""The demonstration behind ``make demo``: the main jobs on generated, benign data.

Everything it uses is made here: abstract images drawn with Pillow (shapes on gradients), a VICS set
built from their hashes, a synthetic NSRL RDS v3 database, a few "seized" files to look up, and a small
ext4 disk image of a "seized laptop" (made with mke2fs, one file deleted with debugfs) that is added as
evidence, triaged and reported on; a loopback swarm is observed and turned into a lead. Then a
province-wide operation is generated through the cases services (:mod:`vigilant.demo.operation`), with one
login per role (:mod:`vigilant.demo.users`), and the web application is started in the background on
127.0.0.1 (:mod:`vigilant.demo.server`). It runs in its own data dir with its own SQLite database, so it
never touches a real library.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from vigilant.cases.evidence_rules import evidence_service
from vigilant.cases.figures import OperationFigures, operation_figures
from vigilant.cases.models import CaseRow
from vigilant.cases.process import DeviceSeized, record_seizure
from vigilant.cases.release import build_release
from vigilant.demo.findings import Findings, find
from vigilant.demo.folder import prepare_demo_folder
from vigilant.demo.operation import GENERATOR, DemoAgency, GeneratedOperation, generate_operation
from vigilant.demo.pictures import draw_image
from vigilant.demo.server import DEFAULT_LIFETIME_S, DEFAULT_PORT, start_server
from vigilant.demo.swarm import make_demo_torrent, seeding
from vigilant.demo.users import (
    DemoLogin,
    create_demo_users,
    demo_database_url,
    demo_key_file,
    write_manifest,
)
from vigilant.demo.video import make_demo_videos
from vigilant.errors import VigilantError
from vigilant.hashing.streams import digest_file
from vigilant.library.records import KnownEntry
from vigilant.library.samples import synthetic_entries, write_nsrl_v3, write_vics
from vigilant.perceptual.pdq import PdqMethod, pdq_of_image
from vigilant.security.rights import Actor
from vigilant.security.secretbox import SecretBox
from vigilant.store import Database, open_database

DEMO_IMAGES = 24


def _jpeg(image: Image.Image, path: Path, quality: int = 90) -> None:
    image.save(path, "JPEG", quality=quality)


def build_demo_files(root: Path) -> dict[str, Path]:
    """Make the library sources and the seized files; return the paths the demo talks about."""
    media = root / "reference-media"
    seized = root / "seized"
    media.mkdir(parents=True)
    seized.mkdir()
    entries: list[KnownEntry] = []
    for i in range(DEMO_IMAGES):
        path = media / f"synthetic-{i:02d}.jpg"
        _jpeg(draw_image(i), path)
        digests = digest_file(path)
        pdq = pdq_of_image(path, PdqMethod.FULL)  # as the import takes a list to be made by default
        entries.append(
            KnownEntry(
                location=f"image {i}",
                md5=digests.md5,
                sha1=digests.sha1,
                sha256=digests.sha256,
                pdq=pdq.hash,
                pdq_quality=pdq.quality,
                size=digests.size,
                category=str(1 + i % 4),
                series=f"Demo series {'ABC'[i % 3]}",
                victim_identified=i % 5 == 0,
                tags=("synthetic", "demo"),
                comments="generated abstract image: demonstration data only",
                file_name=path.name,
            )
        )
    vics = root / "demo-vics-2.0.json"
    write_vics(vics, entries, version="2.0", form="media")

    # A known-good "system file" the NSRL sample will list, beside thousands of synthetic entries.
    system_file = seized / "libexample.so"
    system_file.write_bytes(bytes(random.Random(7).randrange(256) for _ in range(50_000)))
    d = digest_file(system_file)
    known_good = [
        KnownEntry(
            location="FILE", md5=d.md5, sha1=d.sha1, sha256=d.sha256, size=d.size, file_name=system_file.name
        )
    ]
    nsrl = root / "demo-nsrl-rds-v3-minimal.db"
    write_nsrl_v3(nsrl, known_good + list(synthetic_entries(5000, seed=11)), full=False)

    # Seized files: an exact copy, a re-encoded and resized copy (a near-duplicate), and an unknown picture.
    exact = seized / "IMG_0003.jpg"
    shutil.copyfile(media / "synthetic-03.jpg", exact)
    near = seized / "resized_0007.jpg"
    with Image.open(media / "synthetic-07.jpg") as original:
        buffer = io.BytesIO()
        original.resize((640, 480)).save(buffer, "JPEG", quality=60)
    near.write_bytes(buffer.getvalue())
    unknown = seized / "holiday.jpg"
    _jpeg(draw_image(1000), unknown)
    return {
        "vics": vics,
        "nsrl": nsrl,
        "exact": exact,
        "near": near,
        "unknown": unknown,
        "system": system_file,
    }


def build_seized_disk(root: Path, files: dict[str, Path]) -> tuple[Path, str]:
    """A small ext4 disk image of a "seized laptop", with a deleted picture; a folder if mke2fs is missing.

    Made with the real tools (mke2fs -d, debugfs), so The Sleuth Kit reads it as it would a real disk.
    """
    device = root / "device"
    for folder in ("DCIM", "Pictures", "lib", "Downloads", "Documents"):  # and Videos, with PyAV
        (device / folder).mkdir(parents=True)
    media = root / "reference-media"
    shutil.copyfile(files["exact"], device / "DCIM" / "IMG_0003.jpg")
    shutil.copyfile(files["near"], device / "DCIM" / "resized_0007.jpg")
    shutil.copyfile(media / "synthetic-10.jpg", device / "DCIM" / "IMG_0010.jpg")  # deleted below
    shutil.copyfile(files["unknown"], device / "Pictures" / "holiday.jpg")
    _unknown_near_duplicates(device / "Pictures")
    shutil.copyfile(files["system"], device / "lib" / "libexample.so")
    if "video" in files:  # a re-encoded copy of the known video: found by vPDQ only
        (device / "Videos").mkdir()
        shutil.copyfile(files["video"], device / "Videos" / "holiday-clip.mkv")
    with zipfile.ZipFile(device / "Downloads" / "photos.zip", "w") as archive:
        archive.write(media / "synthetic-11.jpg", "2026/synthetic-11.jpg")
        archive.writestr("readme.txt", "generated for the Vigilant demo\n")
    buffer = io.BytesIO()
    draw_image(2000, (320, 240)).save(buffer, "PNG")
    (device / "Documents" / "notes.txt").write_bytes(buffer.getvalue())  # a picture named .txt
    if not (shutil.which("mke2fs") and shutil.which("debugfs")):
        return device, "folder (mke2fs/debugfs not installed: apt-get install e2fsprogs for a disk image)"
    image = root / "laptop-disk.img"
    subprocess.run(
        ["mke2fs", "-q", "-t", "ext4", "-E", "root_owner=0:0", "-d", str(device), "-F", str(image), "32M"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["debugfs", "-w", "-R", "rm /DCIM/IMG_0010.jpg", str(image)], check=True, capture_output=True
    )
    return image, "ext4 disk image, one picture deleted"


def _unknown_near_duplicates(folder: Path) -> None:
    """Unknown pictures (in no library) with near-duplicates of their own, for review to stack: a picture
    with a smaller re-encode and a mirror image, and another with a re-encoded copy. Their seeds draw
    pictures of PDQ quality 50 or more (holiday.jpg's 47 is below it: stacking leaves it alone)."""
    park = draw_image(1003)
    _jpeg(park, folder / "park.jpg")
    park.resize((400, 300)).save(folder / "park-small.jpg", "JPEG", quality=70)
    _jpeg(park.transpose(Image.Transpose.FLIP_LEFT_RIGHT), folder / "park-mirror.jpg")
    beach = draw_image(1001)
    _jpeg(beach, folder / "beach.jpg")
    beach.resize((560, 420)).save(folder / "beach-copy.jpg", "JPEG", quality=60)


def run_demo(
    root: Path,
    cli: Callable[[Sequence[str]], int],
    say: Callable[[str], None],
    *,
    serve: bool = True,
    port: int = DEFAULT_PORT,
    lifetime_s: int = DEFAULT_LIFETIME_S,
    discard_previous: bool = False,
) -> Findings:
    """Run the demonstration in ``root`` through the real command line; returns what the link analysis,
    review and registry parts found (the tests check the printout against the services).

    An earlier demo's folder is kept beside it (or deleted with ``discard_previous``), and a folder the
    demo did not make is refused: see :mod:`vigilant.demo.folder`. With ``serve``, the web application is
    left running in the background (it stops itself after ``lifetime_s``); this function returns either
    way, so the demo ends on a machine with no one at it.
    """
    demo_started = time.perf_counter()
    prepare_demo_folder(root, say, discard_previous=discard_previous)
    os.environ["VIGILANT_DATA_DIR"] = str(root / "data")
    os.environ["VIGILANT_DATABASE_URL"] = demo_database_url(root)
    say(f"Generating benign demonstration data in {root} …")
    files = build_demo_files(root)
    videos = make_demo_videos(root, draw_image)
    if videos is not None:
        files["video"] = videos.seized_copy
    d_exact = digest_file(files["exact"])
    d_system = digest_file(files["system"])
    pdq_near = pdq_of_image(files["near"], PdqMethod.FULL)
    steps: list[tuple[str, list[str], set[int]]] = [
        (
            "Import a Project VIC VICS 2.0 set",
            [
                "library",
                "import",
                str(files["vics"]),
                "--name",
                "Demo VICS set",
                "--version",
                "2026.11",
                "--source",
                "generated by vigilant demo",
            ],
            {0},
        ),
        ("Import an NSRL RDS v3 sample (known-good)", ["library", "import", str(files["nsrl"])], {0}),
        *(
            [
                (
                    "Import a known video by its vPDQ hash (a PDQ hash per second of video)",
                    [
                        "library",
                        "import",
                        str(videos.known_set),
                        "--kind",
                        "known-bad",
                        "--profile",
                        "vic-us",
                        "--name",
                        "Demo known videos",
                        "--version",
                        "2026.11",
                    ],
                    {0},
                )
            ]
            if videos is not None
            else []
        ),
        (
            "Import the VICS set again: nothing changes",
            ["library", "import", str(files["vics"]), "--name", "Demo VICS set", "--version", "2026.11"],
            {0},
        ),
        ("The library's sets", ["library", "list"], {0}),
        (
            "Hash the seized files",
            ["hash", str(files["exact"]), str(files["near"]), str(files["unknown"])],
            {0},
        ),
        (
            "Look up: an exact MD5, a known-good SHA-1, a near-duplicate PDQ, an unknown SHA-256",
            [
                "library",
                "lookup",
                d_exact.md5.hex(),
                d_system.sha1.hex(),
                pdq_near.hash.hex(),
                digest_file(files["unknown"]).sha256.hex(),
            ],
            {0},
        ),
        ("Figures", ["library", "stats"], {0}),
        (
            "Export the VICS set back out as VICS 2.0 JSON",
            [
                "library",
                "export",
                "Demo VICS set",
                "--format",
                "vics",
                "--output",
                str(root / "export-vics.json"),
            ],
            {0},
        ),
    ]
    _run_steps(steps, cli, say)
    disk, what = build_seized_disk(root, files)
    reports = root / "reports"
    reports.mkdir()
    say(f"\nA seized laptop: {disk.name} ({what})")
    triage: list[tuple[str, list[str], set[int]]] = [
        (
            # No case number yet: the lab registers it; the operation below records it as a device seized
            # in a case, which is what shows it to that case's agency on the web.
            "Add it as evidence: read-only, hashes recorded",
            ["evidence", "add", str(disk), "--label", "Demo laptop"],
            {0},
        ),
        ("Triage it against the library", ["triage", "run", "Demo laptop"], {0}),
    ]
    triage += [
        (
            f"Report: {fmt}",
            ["triage", "report", "1", "--format", fmt, "--output", str(reports / f"run-1.{suffix}")],
            {0},
        )
        for fmt, suffix in (
            ("html", "html"),
            ("csv", "csv"),
            ("vics", "vics.json"),
            ("case", "case.jsonld"),
            ("dfxml", "dfxml"),
            ("hashdeep", "hashdeep.txt"),
        )
    ]
    triage.append(("The chain of custody", ["evidence", "show", "Demo laptop"], {0}))
    _run_steps(triage, cli, say)
    _p2p_demo(root, reports, cli, say)
    logins, op = _operation_demo(root, cli, say)
    findings = find(root, op, say)
    say(
        f"\nReports are in {reports}; the demo's library, runs and operation are in {root / 'data'}. Try:\n"
        f"  VIGILANT_DATA_DIR={root / 'data'} vigilant triage status 1\n"
        f"  VIGILANT_DATA_DIR={root / 'data'} vigilant cases release preview OP-LANTERN --agency PPS"
    )
    _web_demo(root, logins, say, serve=serve, port=port, lifetime_s=lifetime_s)
    say(f"\nDemo done in {time.perf_counter() - demo_started:.1f} s.")
    return findings


def _p2p_demo(
    root: Path, reports: Path, cli: Callable[[Sequence[str]], int], say: Callable[[str], None]
) -> None:
    """A loopback swarm of synthetic bytes, observed, turned into a lead, exported as a package."""
    swarm = make_demo_torrent(root / "swarm")
    known = root / "demo-known-torrents.csv"
    known.write_text(f"btih_v1,file_name,category\n{swarm.infohash_v1.hex()},{swarm.torrent.name},1\n")
    _run_steps(
        [("A known-bad list naming the torrent's infohash",
          ["library", "import", str(known), "--kind", "known-bad", "--profile", "vic-us", "--name",
           "Demo torrents", "--version", "2026.11"], {0})],
        cli, say,
    )  # fmt: skip
    say("\nA libtorrent peer seeds the torrent on 127.0.0.1 (DHT, LSD, UPnP, NAT-PMP off)")
    with seeding(swarm) as port:
        _run_steps(
            [("Observe it: handshake, have-state, metadata, one verified piece from one connection",
              ["p2p", "observe", str(swarm.torrent), "--peer", f"127.0.0.1:{port}", "--timeout", "20",
               "--case", "DEMO-2026-001"], {0})],
            cli, say,
        )  # fmt: skip
    logs = sorted((root / "data" / "observations").glob("session-*.jsonl"))
    steps: list[tuple[str, list[str], set[int]]] = [
        ("Prove the session log's hash chain, re-verify its pieces", ["p2p", "verify", str(logs[-1])], {0}),
        ("Build leads from the observations", ["leads", "build"], {0}),
        ("The leads, highest score first", ["leads", "list"], {0}),
        ("Export the lead package (JSON + HTML) with the log verification",
         ["leads", "export", "1", "-o", str(reports / "lead-1"), "--log", str(logs[-1])], {0}),
    ]  # fmt: skip
    _run_steps(steps, cli, say)


def _operation_demo(
    root: Path, cli: Callable[[Sequence[str]], int], say: Callable[[str], None]
) -> tuple[list[DemoLogin], GeneratedOperation]:
    """Generate the operation and the logins, then show its figures and its public release in numbers."""
    say("\n[bold cyan]▶ A province-wide operation, generated through the cases services (fixed seed)[/]")
    db = open_database(demo_database_url(root))
    try:
        op = generate_operation(db)
        started = time.perf_counter()
        box = SecretBox.from_file(demo_key_file(root))
        logins = create_demo_users(db, op.coordinator, op.agencies[1], now=datetime.now(UTC), box=box)
        users_s = time.perf_counter() - started
        seized_in = _seize_demo_laptop(db, op.agencies[1])
        coordinator = Actor.cli(GENERATOR, agency_id=op.coordinator.id, roles={"coordinator"})
        # Read back from the records, after the demo's own additions (the laptop is one more device seized):
        # the figures every other place shows, from the one function that computes them.
        figures = operation_figures(db, coordinator, op.code)
        release = build_release(db, coordinator, op.code)
    finally:
        db.dispose()
    write_manifest(root, logins)
    say(_operation_summary(op, figures))
    say(f"{len(logins)} users, one per role, in {users_s:.1f} s (argon2id)")
    say(
        f"The demo laptop is a device seized in case {seized_in}: its examiner sees it on the web's "
        "Evidence page and can triage it again from there"
    )
    _run_steps(
        [("The operation's figures, computed from its records",
          ["cases", "operations", "figures", op.code, "--agency", op.coordinator.short_name], {0})],
        cli, say,
    )  # fmt: skip
    withheld = sum(release.withheld.values())
    reasons = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in release.withheld.items())
    say(
        f"\n[bold cyan]▶ The public release[/]: {len(release.named)} accused named, {withheld} charged but "
        f"not named ({reasons}), {len(release.flags)} flagged for review before publication"
    )
    return logins, op


def _seize_demo_laptop(db: Database, partner: DemoAgency) -> str:
    """Record the demo laptop as seized in the partner agency's first case, through the cases services
    (audited): the link that makes the evidence item visible to that agency on the web."""
    with db.session() as s:
        case_id, number = s.execute(
            select(CaseRow.id, CaseRow.number).where(CaseRow.agency_id == partner.id).order_by(CaseRow.id)
        ).first() or (None, None)
    item = evidence_service(db).get("Demo laptop", Actor.cli(GENERATOR))
    if case_id is None or number is None:
        raise VigilantError(f"the generated operation gave {partner.short_name} no case")
    record_seizure(
        db,
        Actor.cli(GENERATOR, agency_id=partner.id, roles={"investigator"}),
        case_id,
        seized_at=datetime.now(UTC),
        where="the suspect's home office",
        by=f"{partner.short_name} Internet Child Exploitation unit",
        devices=[DeviceSeized("Demo laptop (raw image)", exhibit="EX-1", evidence_item_id=item.id)],
    )
    return number


def _operation_summary(op: GeneratedOperation, figures: OperationFigures) -> str:
    """The operation in one paragraph. Every number that is an operation figure comes from ``figures``
    (:func:`~vigilant.cases.figures.operation_figures`, as on the dashboard, the operation page, the API and
    the CLI), never from the generator's own counts, which miss what the demo records after generating (the
    laptop seized in a partner case: the field test's '123 devices seized' beside a table saying 124). Only
    what no figure counts (agencies, arrests, bans, sightings) is the generator's."""
    f = figures
    return (
        f"Operation {op.name} ({op.code}): {len(op.agencies)} agencies, {op.coordinator.name} coordinating; "
        f"{f.cases} cases, {f.persons_charged} accused ({f.youths_charged} under 18 at the offence) on "
        f"{f.charges} charges, {op.arrests} arrests, {f.victims_identified} victims, {f.warrants_executed} "
        f"warrants executed, {f.devices_seized} devices seized, {op.bans} publication bans, {f.unique_ips} "
        f"documentation-range IPs in {op.ip_links} sightings; generated in {op.seconds:.1f} s"
    )


def _web_demo(
    root: Path,
    logins: list[DemoLogin],
    say: Callable[[str], None],
    *,
    serve: bool,
    port: int,
    lifetime_s: int,
) -> None:
    prog = sys.argv[0] if Path(sys.argv[0]).name == "vigilant" else "vigilant"
    folder = "" if root == Path("demo-data").resolve() else f" --folder {root}"
    say("\n[bold cyan]▶ The web application[/]")
    if serve:
        server = start_server(root, demo_database_url(root), port=port, lifetime_s=lifetime_s)
        say(
            f"Serving {server.url} from 127.0.0.1 only (pid {server.pid}, log {root / 'server.log'}); "
            f"it stops itself in {lifetime_s // 60} min, or now with: {prog} demo stop{folder}"
        )
    else:
        say("Not started (--no-serve).")
    say(f"\nDemo logins (also in {root / 'demo-logins.json'}, readable by you only):")
    rows = [("username", "password", "role", "agency")]
    rows += [(x.username, x.password, x.role, x.agency) for x in logins]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        say("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    say(
        f"Each login also asks for a TOTP code; print the current one with: {prog} demo code USERNAME{folder}"
    )


def _run_steps(
    steps: list[tuple[str, list[str], set[int]]],
    cli: Callable[[Sequence[str]], int],
    say: Callable[[str], None],
) -> None:
    for title, args, ok in steps:
        say(f"\n[bold cyan]▶ {title}[/]\n[dim]$ vigilant {' '.join(_quote(a) for a in args)}[/]")
        code = cli(args)
        if code not in ok:
            raise SystemExit(f"demo step failed with exit code {code}: vigilant {' '.join(args)}")


def _quote(arg: str) -> str:
    return f"'{arg}'" if " " in arg else arg
