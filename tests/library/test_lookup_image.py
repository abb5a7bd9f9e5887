"""Looking pictures up by PDQ, with and without their rotations and mirror images."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from vigilant.demo.pictures import draw_image
from vigilant.hashing.streams import digest_file
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import KnownEntry
from vigilant.library.samples import write_vics
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.perceptual.pdq import PdqMethod, pdq_of_image
from vigilant.security.rights import Actor
from vigilant.store import Database


def _library(db: Database, tmp_path: Path) -> tuple[LibraryService, Path]:
    known = tmp_path / "known.jpg"
    draw_image(3).save(known, "JPEG", quality=90)  # PDQ quality 96: usable
    p = pdq_of_image(known, PdqMethod.FULL)  # the import takes a list to be made so by default
    d = digest_file(known)
    entry = KnownEntry(
        location="x", md5=d.md5, pdq=p.hash, pdq_quality=p.quality, category="1", file_name="k.jpg"
    )
    source = tmp_path / "set.json"
    write_vics(source, [entry], version="2.0", form="media")
    store = LibraryStore(db)
    import_hash_set(store, ImportRequest(source, actor=Actor.cli("t"), name="S", version="1"))
    return LibraryService(store, tmp_path / "idx"), known


def test_a_rotated_copy_is_found_only_with_dihedral_look_ups(db: Database, tmp_path: Path) -> None:
    service, known = _library(db, tmp_path)
    rotated = tmp_path / "rotated.png"
    with Image.open(known) as image:
        image.transpose(Image.Transpose.ROTATE_90).save(rotated)
    plain = service.lookup_image(rotated)
    assert plain.error is None
    assert plain.matches == []
    turned = service.lookup_image(rotated, dihedral=True)
    [match] = turned.matches
    assert match.entry.file_name == "k.jpg"
    assert match.distance is not None
    assert match.distance <= 31


def test_the_picture_itself_matches_at_distance_zero(db: Database, tmp_path: Path) -> None:
    service, known = _library(db, tmp_path)
    [match] = service.lookup_image(known).matches
    assert match.distance == 0


def test_low_quality_pictures_are_refused_with_a_reason(db: Database, tmp_path: Path) -> None:
    service, _ = _library(db, tmp_path)
    flat = tmp_path / "flat.png"
    Image.new("RGB", (200, 200), (120, 120, 120)).save(flat)
    result = service.lookup_image(flat, dihedral=True)
    assert result.error is not None
    assert "below 50" in result.error
