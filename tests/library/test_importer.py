"""Importing hash sets: provenance, idempotency, refused rows, all-or-nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.library.helpers import entry, md5_of
from vigilant.errors import BadInputError, ConflictError
from vigilant.library.formats import SourceError
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.models import HashSetRow, KnownFileRow, LibraryImportRow
from vigilant.library.records import SetKind
from vigilant.library.samples import write_nsrl_v3, write_sums, write_vics
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor
from vigilant.store import Database


def _count(db: Database, table: type) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_vics_import_keeps_provenance_and_entries(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    write_vics(path, [entry(i, category=str(i % 5)) for i in range(50)], version="2.0", form="media")
    store = LibraryStore(db)
    report = import_hash_set(
        store, ImportRequest(path, actor=Actor.cli("ann"), name="Set A", version="7", source="Unit X")
    )
    assert (report.rows_read, report.rows_taken, report.rows_refused) == (50, 50, 0)
    info = report.hash_set
    assert info is not None
    assert (info.name, info.version, info.kind, info.profile, info.format) == (
        "Set A",
        "7",
        SetKind.KNOWN_BAD,
        "vic-us",
        "vics",
    )
    assert info.source == "Unit X"
    assert info.imported_by == "ann"
    assert info.entry_count == 50
    assert len(info.source_sha256) == 64
    hits = store.entries_by_digest("md5", [bytes.fromhex(md5_of(3))])
    assert [(h.hash_set.name, h.hash_set.version, h.category) for h in hits] == [("Set A", "7", "3")]


def test_importing_the_same_file_twice_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    write_vics(path, [entry(i) for i in range(20)], version="2.0", form="media")
    store = LibraryStore(db)
    first = import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann")))
    again = import_hash_set(store, ImportRequest(path, actor=Actor.cli("bob"), name="Other name"))
    assert again.already_imported
    assert again.hash_set is not None
    assert first.hash_set is not None
    assert again.hash_set.id == first.hash_set.id
    assert _count(db, HashSetRow) == 1
    assert _count(db, KnownFileRow) == 20
    assert [r.status for r in reversed(store.imports())] == ["imported", "already-imported"]


def test_bad_rows_are_refused_with_their_location_and_the_rest_goes_in(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    entries = [entry(i) for i in range(10)]
    entries[4] = entry(4, category="9")  # not a Project VIC US category
    write_vics(path, entries, version="2.0", form="media")
    text = path.read_text()
    path.write_text(text.replace(md5_of(7).upper(), "ABC123"))  # wrong hex length
    report = import_hash_set(LibraryStore(db), ImportRequest(path, actor=Actor.cli("ann")))
    assert report.rows_taken == 8
    assert report.refused == {"bad-category": 1, "bad-md5": 1}
    located = {p.reason: p.location for p in report.problems}
    assert "[4]" in located["bad-category"]
    assert "[7]" in located["bad-md5"]
    assert _count(db, KnownFileRow) == 8
    assert report.hash_set is not None
    assert report.hash_set.refused_count == 2


def test_truncated_file_leaves_the_library_unchanged(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    write_vics(path, [entry(i) for i in range(200)], version="2.0", form="media")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    store = LibraryStore(db)
    with pytest.raises(SourceError):
        import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann")))
    assert _count(db, HashSetRow) == 0
    assert _count(db, KnownFileRow) == 0
    [attempt] = store.imports()
    assert attempt.status == "failed"
    assert attempt.error


def test_a_different_file_under_the_same_name_and_version_is_a_conflict(db: Database, tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_vics(a, [entry(1)], version="2.0", form="media")
    write_vics(b, [entry(2)], version="2.0", form="media")
    store = LibraryStore(db)
    import_hash_set(store, ImportRequest(a, actor=Actor.cli("ann"), name="S", version="1"))
    with pytest.raises(ConflictError, match="already imported as S 1"):
        import_hash_set(store, ImportRequest(b, actor=Actor.cli("ann"), name="S", version="1"))
    assert _count(db, KnownFileRow) == 1
    assert next(r.status for r in store.imports()) == "failed"


def test_a_plain_hash_list_needs_its_kind(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "tools.md5"
    write_sums(path, [entry(i) for i in range(5)], "md5", style="gnu")
    store = LibraryStore(db)
    with pytest.raises(BadInputError, match="--kind"):
        import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann")))
    report = import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann"), kind=SetKind.ALERT))
    assert report.hash_set is not None
    assert (report.hash_set.kind, report.hash_set.profile, report.format) == (SetKind.ALERT, "none", "sums")
    assert report.rows_taken == 5


def test_nsrl_is_known_good_with_the_release_as_version(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "rds.db"
    write_nsrl_v3(path, [entry(i, category=None) for i in range(30)], full=False, version="2024.03.1")
    report = import_hash_set(LibraryStore(db), ImportRequest(path, actor=Actor.cli("ann")))
    assert report.hash_set is not None
    assert (report.hash_set.kind, report.hash_set.version, report.format) == (
        SetKind.KNOWN_GOOD,
        "2024.03.1",
        "nsrl-v3",
    )
    assert report.rows_taken == 30


def test_category_map_translates_source_codes_into_the_profile(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "caid.json"
    write_vics(path, [entry(i, category=str(1 + i % 3)) for i in range(6)], version="2.0", form="media")
    report = import_hash_set(
        LibraryStore(db),
        ImportRequest(
            path, actor=Actor.cli("ann"), profile="caid-uk", category_map={"1": "A", "2": "B", "3": "C"}
        ),
    )
    assert report.rows_taken == 6
    hit = LibraryStore(db).entries_by_digest("md5", [bytes.fromhex(md5_of(1))])[0]
    assert (hit.hash_set.profile, hit.category) == ("caid-uk", "B")


def test_every_attempt_is_logged_with_its_refusals(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    entries = [entry(i) for i in range(5)]
    entries[2] = entry(2, category="x")
    write_vics(path, entries, version="2.0", form="media")
    store = LibraryStore(db)
    import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann")))
    [log] = store.imports()
    assert (log.status, log.rows_read, log.rows_taken, log.rows_refused) == ("imported", 5, 4, 1)
    assert log.refused_by_reason == {"bad-category": 1}
    [problem] = store.import_problems(log.id)
    assert problem.reason == "bad-category"
    assert _count(db, LibraryImportRow) == 1
