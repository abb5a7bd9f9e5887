"""NIST NSRL: RDS v3 SQLite (minimal and full) and RDS 2.x text, with names from the side tables."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from vigilant.library.formats import ReaderOptions, SourceError
from vigilant.library.formats.nsrl_v2 import NsrlV2Reader
from vigilant.library.formats.nsrl_v3 import NsrlV3Reader
from vigilant.library.records import KnownEntry, SetKind
from vigilant.library.samples import (
    Raw,
    SampleItem,
    crc32_of,
    nsrl_names,
    read_source,
    synthetic_entries,
    write_nsrl_v2,
    write_nsrl_v3,
)

ENTRIES = synthetic_entries(40, seed=5)


def file_fields(entry: KnownEntry) -> tuple[object, ...]:
    return (entry.md5, entry.sha1, entry.size, entry.file_name)


@pytest.mark.parametrize("full", [False, True])
def test_v3_every_file_row_reads_back_with_its_package(tmp_path: Path, full: bool) -> None:
    path = write_nsrl_v3(tmp_path / "RDS.db", ENTRIES, full=full)
    entries, problems = read_source(path, "nsrl-v3")
    assert problems == []
    # one entry per FILE row although package 100 has two PKG rows
    assert len(entries) == len(ENTRIES)
    by_md5 = {e.md5: e for e in entries}
    for index, expected in enumerate(ENTRIES):
        got = by_md5[expected.md5]
        assert (*file_fields(got), got.sha256) == (*file_fields(expected), expected.sha256)
        assert dict(got.extra) == {**nsrl_names(index), "crc32": crc32_of(expected)}
    assert {e.location for e in entries} == {f"FILE row {n}" for n in range(1, 41)}


@pytest.mark.parametrize("full", [False, True])
def test_v3_hints_name_the_release(tmp_path: Path, full: bool) -> None:
    path = write_nsrl_v3(
        tmp_path / "RDS.db", ENTRIES[:2], full=full, version="2024.12.1", build_set="android"
    )
    hints = NsrlV3Reader().hints(path, ReaderOptions())
    assert (hints.name, hints.version, hints.kind, hints.profile) == (
        "NSRL RDS android",
        "2024.12.1",
        SetKind.KNOWN_GOOD,
        "none",
    )


def test_v3_bad_rows_are_located(tmp_path: Path) -> None:
    good = ENTRIES[0]
    bad_md5 = ("", "", "AB" * 15, "0", "x", 1, 100)
    no_digest = ("", "", "", "0", "y", 2, 101)
    bad_size = ("", "", "CD" * 16, "0", "z", -4, 101)
    path = write_nsrl_v3(tmp_path / "RDS.db", [good, Raw(bad_md5), Raw(no_digest), Raw(bad_size), ENTRIES[1]])
    entries, problems = read_source(path, "nsrl-v3")
    assert [e.md5 for e in entries] == [ENTRIES[0].md5, ENTRIES[1].md5]
    assert sorted(p.reason for p in problems) == ["bad-md5", "bad-size", "no-digest"]
    assert "got 30" in next(p.detail for p in problems if p.reason == "bad-md5")
    assert all(p.location.startswith("FILE row ") for p in problems)


def test_v3_is_opened_read_only_and_left_untouched(tmp_path: Path) -> None:
    path = write_nsrl_v3(tmp_path / "RDS.db", ENTRIES[:5])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    path.chmod(0o444)
    tmp_path.chmod(0o555)  # not even a journal could be created beside it
    try:
        entries, _ = read_source(path, "nsrl-v3")
    finally:
        tmp_path.chmod(0o755)
    assert len(entries) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RDS.db"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("keep", [0.5, 0.97])
def test_v3_truncated_database_is_a_source_error(tmp_path: Path, keep: float) -> None:
    path = write_nsrl_v3(tmp_path / "RDS.db", synthetic_entries(500, seed=2))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(SourceError, match="truncated"):
        read_source(path, "nsrl-v3")


def test_v3_garbage_and_foreign_databases_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)
    with pytest.raises(SourceError):
        read_source(garbage, "nsrl-v3")
    assert not NsrlV3Reader().sniff(garbage, garbage.read_bytes())

    foreign = tmp_path / "other.db"
    with closing(sqlite3.connect(foreign)) as db:
        db.execute("CREATE TABLE hashes (md5 BLOB)")
        db.commit()
    assert not NsrlV3Reader().sniff(foreign, foreign.read_bytes())
    with pytest.raises(SourceError, match="no FILE table"):
        read_source(foreign, "nsrl-v3")


@pytest.mark.parametrize("old_order", [False, True])
def test_v2_every_row_reads_back_with_side_file_names(tmp_path: Path, old_order: bool) -> None:
    path = write_nsrl_v2(tmp_path / "rds", ENTRIES, old_order=old_order)
    entries, problems = read_source(path, "nsrl-v2")
    assert problems == []
    assert [file_fields(e) for e in entries] == [file_fields(e) for e in ENTRIES]
    for index, (got, expected) in enumerate(zip(entries, ENTRIES, strict=True)):
        names = nsrl_names(index)
        assert got.location == f"line {index + 2}"
        assert got.extra["crc32"] == crc32_of(expected)
        assert got.extra["package_name"] == names["package_name"]
        assert got.extra["os_name"] == names["os_name"]
        assert got.extra["manufacturer"] == names["manufacturer"]


def test_v2_without_side_files_keeps_the_codes(tmp_path: Path) -> None:
    path = write_nsrl_v2(tmp_path / "rds", ENTRIES[:3], side_files=False)
    entries, _ = read_source(path, "nsrl-v2")
    assert [dict(e.extra) for e in entries][1] == {
        "crc32": crc32_of(ENTRIES[1]),
        "package_id": 101,
        "os_code": "11",
    }
    assert NsrlV2Reader().hints(path, ReaderOptions()).kind is SetKind.KNOWN_GOOD


def test_v2_bad_lines_are_located_and_reading_goes_on(tmp_path: Path) -> None:
    items: list[SampleItem] = [
        ENTRIES[0],
        Raw('"' + "G" * 40 + '","' + "A" * 32 + '","00000000","f.txt",1,100,"10",""'),
        Raw('"' + "A" * 40 + '","short"'),
        ENTRIES[1],
    ]
    path = write_nsrl_v2(tmp_path / "rds", items)
    sha1 = ENTRIES[2].sha1.hex().upper() if ENTRIES[2].sha1 else ""
    with path.open("ab") as out:
        out.write(b'"' + b"B" * 40 + b'","' + b"C" * 32 + b'","0","caf\xe9.txt",5,100,"10",""\r\n')  # Latin-1
        out.write(f'"{sha1}","","0","last.txt",9,100,"10",""\r\n'.encode())
    entries, problems = read_source(path, "nsrl-v2")
    assert [e.sha1 for e in entries] == [ENTRIES[0].sha1, ENTRIES[1].sha1, ENTRIES[2].sha1]
    assert [(p.location, p.reason) for p in problems] == [
        ("line 3", "bad-sha1"),
        ("line 4", "bad-row"),
        ("line 6", "bad-encoding"),
    ]
