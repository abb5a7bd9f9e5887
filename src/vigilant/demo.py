"""The demonstration behind ``make demo``: the main jobs on generated, benign data.

Everything it uses is made here: abstract images drawn with Pillow (shapes on gradients), a VICS set
built from their hashes, a synthetic NSRL RDS v3 database, a few "seized" files to look up, and a small
ext4 disk image of a "seized laptop" (made with mke2fs, one file deleted with debugfs) that is added as
evidence, triaged and reported on. It runs in its own data dir with its own SQLite database, so it never
touches a real library.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from vigilant.hashing import digest_file
from vigilant.imaging.pdq import pdq_of_image
from vigilant.library.records import KnownEntry
from vigilant.library.samples import synthetic_entries, write_nsrl_v3, write_vics
from vigilant.p2p.demo_swarm import make_demo_torrent, seeding

DEMO_IMAGES = 24


def draw_image(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A benign abstract picture: a colour gradient with random shapes, different for every seed."""
    rng = random.Random(seed)
    width, height = size
    top = tuple(rng.randrange(256) for _ in range(3))
    bottom = tuple(rng.randrange(256) for _ in range(3))
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        draw.line(
            [(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    for _ in range(rng.randrange(6, 14)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(40, width // 2), y0 + rng.randrange(40, height // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
    return image.filter(ImageFilter.GaussianBlur(1.5))


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
        pdq = pdq_of_image(path)
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
    for folder in ("DCIM", "Pictures", "lib", "Downloads", "Documents"):
        (device / folder).mkdir(parents=True)
    media = root / "reference-media"
    shutil.copyfile(files["exact"], device / "DCIM" / "IMG_0003.jpg")
    shutil.copyfile(files["near"], device / "DCIM" / "resized_0007.jpg")
    shutil.copyfile(media / "synthetic-10.jpg", device / "DCIM" / "IMG_0010.jpg")  # deleted below
    shutil.copyfile(files["unknown"], device / "Pictures" / "holiday.jpg")
    shutil.copyfile(files["system"], device / "lib" / "libexample.so")
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


def run_demo(root: Path, cli: Callable[[Sequence[str]], int], say: Callable[[str], None]) -> None:
    """Run the demonstration in ``root`` (wiped first) through the real command line."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    os.environ["VIGILANT_DATA_DIR"] = str(root / "data")
    os.environ["VIGILANT_DATABASE_URL"] = f"sqlite:///{root / 'data' / 'vigilant.db'}"
    say(f"Generating benign demonstration data in {root} …")
    files = build_demo_files(root)
    d_exact = digest_file(files["exact"])
    d_system = digest_file(files["system"])
    pdq_near = pdq_of_image(files["near"])
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
            "Add it as evidence: read-only, hashes recorded",
            ["evidence", "add", str(disk), "--label", "Demo laptop", "--case", "DEMO-2026-001"],
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
    say(
        f"\nDone. Reports are in {reports}; the demo's library and runs are in {root / 'data'}. Try:\n"
        f"  VIGILANT_DATA_DIR={root / 'data'} vigilant triage status 1"
    )


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
