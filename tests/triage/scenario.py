"""A small seized folder and a library that knows some of it: the triage tests' common ground.

Everything is generated: abstract pictures drawn by the demo's generator, text, archives made here.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from vigilant.demo.pictures import draw_image
from vigilant.hashing.streams import digest_file
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import KnownEntry, SetKind
from vigilant.library.samples import write_sums, write_vics
from vigilant.library.store import LibraryStore
from vigilant.perceptual.pdq import PdqMethod, pdq_of_image
from vigilant.security.rights import Actor
from vigilant.store import Database


@dataclass(frozen=True)
class Scenario:
    seized: Path
    known_md5: str  # relative path of the picture the library knows by MD5
    near: str  # relative path of the re-encoded picture the library knows only by PDQ
    known_good: str  # relative path of the file in the known-good set
    disguised: str  # a PNG named .txt
    zipped_member: str  # archive member name (inside archive.zip) the library knows by MD5


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def build(root: Path, db: Database) -> Scenario:
    seized = root / "seized"
    (seized / "DCIM").mkdir(parents=True)
    (seized / "docs").mkdir()
    reference = root / "reference"
    reference.mkdir()
    known = _jpeg(draw_image(1))
    (seized / "DCIM" / "IMG_0001.jpg").write_bytes(known)
    original = draw_image(2)
    (reference / "two.jpg").write_bytes(_jpeg(original))
    (seized / "DCIM" / "resized.jpg").write_bytes(_jpeg(original.resize((640, 480)), quality=70))
    (seized / "DCIM" / "unknown.jpg").write_bytes(_jpeg(draw_image(3)))
    (seized / "docs" / "readme.txt").write_text("a known-good text file\n")
    png = io.BytesIO()
    draw_image(4, (320, 240)).save(png, "PNG")
    (seized / "docs" / "notes.txt").write_bytes(png.getvalue())
    (seized / "docs" / "empty.dat").write_bytes(b"")
    zipped = _jpeg(draw_image(5))
    with zipfile.ZipFile(seized / "archive.zip", "w") as archive:
        archive.writestr("holiday/pic.jpg", zipped)
        archive.writestr("list.txt", "nothing to see\n")
    with tarfile.open(seized / "backup.tar.gz", "w:gz") as tar:
        data = b"synthetic bytes in a tar\n"
        info = tarfile.TarInfo("inner/file.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    (reference / "one.jpg").write_bytes(known)
    (reference / "five.jpg").write_bytes(zipped)
    entries = []
    for i, name in enumerate(["one.jpg", "two.jpg", "five.jpg"]):
        path = reference / name
        d = digest_file(path)
        p = pdq_of_image(path)
        entries.append(
            KnownEntry(
                location=name,
                # "two.jpg" is known by its PDQ only: the seized copy is re-encoded, so no digest matches.
                md5=None if name == "two.jpg" else d.md5,
                sha1=None if name == "two.jpg" else d.sha1,
                pdq=p.hash,
                pdq_quality=p.quality,
                size=d.size,
                category=str(1 + i),
                series=f"series {i}",
                file_name=name,
            )
        )
    store = LibraryStore(db)
    bad = root / "bad.json"
    write_vics(bad, entries, version="2.0", form="media")
    # Hashed here by pdq_of_image's default, at 512 px: the set says so.
    request = ImportRequest(
        bad, actor=Actor.cli("t"), name="Bad", version="1", pdq_method=PdqMethod.DOWNSCALED
    )
    import_hash_set(store, request)
    good = root / "good.md5"
    d = digest_file(seized / "docs" / "readme.txt")
    write_sums(good, [KnownEntry(location="x", md5=d.md5, file_name="readme.txt")], "md5", style="gnu")
    import_hash_set(
        store, ImportRequest(good, actor=Actor.cli("t"), name="Good", version="2", kind=SetKind.KNOWN_GOOD)
    )
    return Scenario(
        seized=seized,
        known_md5="/DCIM/IMG_0001.jpg",
        near="/DCIM/resized.jpg",
        known_good="/docs/readme.txt",
        disguised="/docs/notes.txt",
        zipped_member="holiday/pic.jpg",
    )
