"""Look-ups, figures and exports through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from tests.library.helpers import entry, md5_of, sha1_of
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import SetKind
from vigilant.library.samples import write_sums, write_vics
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor
from vigilant.store import Database

RNG = np.random.default_rng(5)
BASE_PDQ = RNG.integers(0, 256, 32, dtype=np.uint8).tobytes()


def flip(code: bytes, bits: int) -> bytes:
    """``code`` with its first ``bits`` bits inverted: exactly that Hamming distance away."""
    value = int.from_bytes(code, "big") ^ (((1 << bits) - 1) << (256 - bits))
    return value.to_bytes(32, "big")


def _library(db: Database, tmp_path: Path) -> LibraryService:
    store = LibraryStore(db)
    bad = tmp_path / "bad.json"
    write_vics(
        bad,
        [
            entry(1, pdq=BASE_PDQ, quality=90),
            entry(2, category="2", pdq=flip(BASE_PDQ, 40), quality=30),
            entry(3, category="3"),
        ],
        version="2.0",
        form="media",
    )
    import_hash_set(store, ImportRequest(bad, actor=Actor.cli("ann"), name="Bad", version="1"))
    good = tmp_path / "good.sha1"
    write_sums(good, [entry(1), entry(10)], "sha1", style="bsd")
    import_hash_set(
        store, ImportRequest(good, actor=Actor.cli("ann"), name="Good", version="2", kind=SetKind.KNOWN_GOOD)
    )
    return LibraryService(store, tmp_path / "indexes")


def test_exact_lookup_names_every_set_and_version(db: Database, tmp_path: Path) -> None:
    service = _library(db, tmp_path)
    [by_md5, by_sha1, missing] = service.lookup([md5_of(1), sha1_of(1), md5_of(99)])
    assert [(m.entry.hash_set.label, m.kind) for m in by_md5.matches] == [("Bad 1", "md5")]
    assert sorted((m.entry.hash_set.label, m.kind) for m in by_sha1.matches) == [
        ("Bad 1", "sha1"),
        ("Good 2", "sha1"),
    ]
    assert by_md5.matches[0].category is not None
    assert by_md5.matches[0].category.label == "Child Abuse Material"
    assert missing.matches == []
    assert missing.error is None


def test_invalid_values_get_an_error_not_an_exception(db: Database, tmp_path: Path) -> None:
    [result] = _library(db, tmp_path).lookup(["xyz"])
    assert result.error is not None
    assert "not a hash" in result.error


def test_pdq_near_duplicates_within_the_set_threshold(db: Database, tmp_path: Path) -> None:
    service = _library(db, tmp_path)
    [near] = service.lookup([flip(BASE_PDQ, 31).hex()], "pdq")
    assert [(m.entry.file_name, m.distance) for m in near.matches] == [("file-1.jpg", 31)]
    [far] = service.lookup([flip(BASE_PDQ, 32).hex()], "pdq")
    assert far.matches == []


def test_low_quality_pdq_entries_are_not_matched(db: Database, tmp_path: Path) -> None:
    service = _library(db, tmp_path)
    [result] = service.lookup([flip(BASE_PDQ, 40).hex()], "pdq")  # exactly entry 2's hash, quality 30
    assert result.matches == []


def test_exact_pdq_lookup_when_asked(db: Database, tmp_path: Path) -> None:
    service = _library(db, tmp_path)
    [result] = service.lookup([flip(BASE_PDQ, 40).hex()], "pdq", near=False)
    assert [m.entry.file_name for m in result.matches] == ["file-2.jpg"]


def test_figures_count_sets_entries_and_categories(db: Database, tmp_path: Path) -> None:
    figures = _library(db, tmp_path).figures()
    assert figures.entries == 5
    assert figures.entries_of_kind(SetKind.KNOWN_BAD) == 3
    assert figures.entries_of_kind(SetKind.KNOWN_GOOD) == 2
    bad = next(f for f in figures.sets if f.info.name == "Bad")
    assert bad.categories == {"1": 1, "2": 1, "3": 1}
    assert bad.digests["pdq"] == 2


def test_export_as_vics_carries_every_entry(db: Database, tmp_path: Path) -> None:
    service = _library(db, tmp_path)
    out = io.BytesIO()
    result = service.export(["Bad"], "vics", out)
    assert (result.written, result.skipped) == (3, 0)
    document = json.loads(out.getvalue())
    assert "@odata.context" in document
    assert sorted(m["MD5"].lower() for m in document["value"]) == sorted(md5_of(i) for i in (1, 2, 3))
