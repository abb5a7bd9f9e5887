"""Synthetic NIST NSRL sources: RDS v3 SQLite (minimal and full schema) and RDS 2.x text files.

The v3 minimal schema follows NIST's published layout (formats.md). For the full variant only the table
and view names are public; the METADATA columns here are our reconstruction, and the FILE/PKG/OS/MFG
views over it expose the same columns as the minimal tables, which is all a reader may rely on.
"""

from __future__ import annotations

import csv
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import Any

from vigilant.library.records import KnownEntry
from vigilant.library.samples.entries import Raw, SampleItem, display_name

# (manufacturer_id, name)
NSRL_MANUFACTURERS: tuple[tuple[int, str], ...] = ((1, "Synthetic Software Co"), (2, "Example Systems Ltd"))
# (operating_system_id, name, version, manufacturer_id)
NSRL_SYSTEMS: tuple[tuple[int, str, str, int], ...] = ((10, "SampleOS", "1.0", 2), (11, "DemoOS", "2.4", 2))
# (package_id, name, version, operating_system_id, manufacturer_id, language, application_type).
# Package 100 appears twice (two languages), as real PKG tables do: readers must not repeat FILE rows.
NSRL_PACKAGES: tuple[tuple[int, str, str, int, int, str, str], ...] = (
    (100, "Alpha Suite", "3.1", 10, 1, "English", "Office"),
    (100, "Alpha Suite", "3.1", 10, 1, "French", "Office"),
    (101, "Beta Viewer", "1.0", 11, 1, "English", "Graphics"),
    (102, "Gamma Tools", "7.2", 10, 2, "English", "Utility"),
)
_DISTINCT_PACKAGES = (100, 101, 102)

_V3_MINIMAL = """
CREATE TABLE VERSION (version VARCHAR, build_set VARCHAR, build_date TIMESTAMP, release_date TIMESTAMP,
    description VARCHAR);
CREATE TABLE MFG (manufacturer_id INTEGER NOT NULL, name VARCHAR NOT NULL,
    PRIMARY KEY (manufacturer_id, name));
CREATE TABLE OS (operating_system_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL,
    manufacturer_id INTEGER NOT NULL, PRIMARY KEY (operating_system_id, name, version, manufacturer_id));
CREATE TABLE PKG (package_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL,
    operating_system_id INTEGER NOT NULL, manufacturer_id INTEGER NOT NULL, language VARCHAR NOT NULL,
    application_type VARCHAR NOT NULL, PRIMARY KEY (package_id, name, version, operating_system_id,
    manufacturer_id, language, application_type));
CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,
    crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL,
    package_id INTEGER NOT NULL, PRIMARY KEY (sha256, sha1, md5, crc32, file_name, file_size, package_id));
CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;
"""

_V3_FULL = """
CREATE TABLE VERSION (version VARCHAR, build_set VARCHAR, build_date TIMESTAMP, release_date TIMESTAMP,
    description VARCHAR);
CREATE TABLE METADATA (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,
    crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL,
    package_id INTEGER NOT NULL, package_name VARCHAR, package_version VARCHAR, package_language VARCHAR,
    application_type VARCHAR, operating_system_id INTEGER, os_name VARCHAR, os_version VARCHAR,
    os_manufacturer_id INTEGER, os_manufacturer_name VARCHAR, manufacturer_id INTEGER,
    manufacturer_name VARCHAR);
CREATE VIEW FILE AS SELECT sha256, sha1, md5, crc32, file_name, file_size, package_id FROM METADATA;
CREATE VIEW PKG AS SELECT DISTINCT package_id, package_name AS name, package_version AS version,
    operating_system_id, manufacturer_id, package_language AS language, application_type FROM METADATA;
CREATE VIEW OS AS SELECT DISTINCT operating_system_id, os_name AS name, os_version AS version,
    os_manufacturer_id AS manufacturer_id FROM METADATA;
CREATE VIEW MFG AS SELECT DISTINCT manufacturer_id, manufacturer_name AS name FROM METADATA
    UNION SELECT DISTINCT os_manufacturer_id, os_manufacturer_name FROM METADATA;
CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;
"""


def nsrl_package_id(index: int) -> int:
    """The package the writers file entry ``index`` under."""
    return _DISTINCT_PACKAGES[index % len(_DISTINCT_PACKAGES)]


def nsrl_names(index: int) -> dict[str, object]:
    """What a reader should report in ``extra`` for entry ``index``: package, OS and maker names."""
    package = next(p for p in NSRL_PACKAGES if p[0] == nsrl_package_id(index))
    system = next(s for s in NSRL_SYSTEMS if s[0] == package[3])
    maker = next(m for m in NSRL_MANUFACTURERS if m[0] == package[4])
    return {
        "package_id": package[0],
        "package_name": package[1],
        "package_version": package[2],
        "os_name": system[1],
        "os_version": system[2],
        "manufacturer": maker[1],
    }


def crc32_of(entry: KnownEntry) -> str:
    """A stand-in CRC32 (of the MD5 bytes): synthetic entries have no content to checksum."""
    return f"{zlib.crc32(entry.md5 or b''):08X}"


def _file_row(item: SampleItem, index: int) -> tuple[Any, ...]:
    if isinstance(item, Raw):
        return tuple(item.value) if isinstance(item.value, tuple | list) else (item.value,)
    return (
        _upper(item.sha256),
        _upper(item.sha1),
        _upper(item.md5),
        crc32_of(item),
        display_name(item, index),
        item.size or 0,
        nsrl_package_id(index),
    )


def _upper(value: bytes | None) -> str:
    return "" if value is None else value.hex().upper()


def write_nsrl_v3(
    path: Path,
    entries: Iterable[SampleItem],
    *,
    full: bool = False,
    version: str = "2024.03.1",
    build_set: str = "modern",
) -> Path:
    """An RDS v3 database; ``Raw`` items are FILE rows (sha256, sha1, md5, crc32, file_name, size, pkg)."""
    path.unlink(missing_ok=True)
    with closing(sqlite3.connect(path)) as db:
        db.executescript(_V3_FULL if full else _V3_MINIMAL)
        db.execute(
            "INSERT INTO VERSION VALUES (?, ?, '2024-03-01', '2024-03-15', ?)",
            (version, build_set, f"Synthetic RDS {version} for tests"),
        )
        if not full:
            db.executemany("INSERT INTO MFG VALUES (?, ?)", NSRL_MANUFACTURERS)
            db.executemany("INSERT INTO OS VALUES (?, ?, ?, ?)", NSRL_SYSTEMS)
            db.executemany("INSERT INTO PKG VALUES (?, ?, ?, ?, ?, ?, ?)", NSRL_PACKAGES)
        rows = (_file_row(item, index) for index, item in enumerate(entries))
        insert = "INSERT INTO METADATA VALUES (" + ", ".join("?" * 18) + ")" if full else None
        while batch := list(islice(rows, 10_000)):
            if insert is None:
                db.executemany("INSERT INTO FILE VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
            else:
                db.executemany(insert, [row + _metadata_tail(row[6]) for row in batch])
        db.commit()
    return path


def _metadata_tail(package_id: object) -> tuple[Any, ...]:
    package = next((p for p in NSRL_PACKAGES if p[0] == package_id), None)
    if package is None:
        return (None,) * 11
    system = next(s for s in NSRL_SYSTEMS if s[0] == package[3])
    os_maker = next(m for m in NSRL_MANUFACTURERS if m[0] == system[3])
    maker = next(m for m in NSRL_MANUFACTURERS if m[0] == package[4])
    return (
        package[1],
        package[2],
        package[5],
        package[6],
        system[0],
        system[1],
        system[2],
        *os_maker,
        *maker,
    )


def write_nsrl_v2(
    folder: Path, entries: Iterable[SampleItem], *, old_order: bool = False, side_files: bool = True
) -> Path:
    """``NSRLFile.txt`` (plus NSRLProd/OS/Mfg.txt) in ``folder``; returns the NSRLFile.txt path.

    ``Raw`` items are written as lines verbatim. ``old_order`` uses the older column order TSK accepts.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "NSRLFile.txt"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
        if old_order:
            writer.writerow(
                [
                    "SHA-1",
                    "FileName",
                    "FileSize",
                    "ProductCode",
                    "OpSystemCode",
                    "MD4",
                    "MD5",
                    "CRC32",
                    "SpecialCode",
                ]
            )
        else:
            writer.writerow(
                [
                    "SHA-1",
                    "MD5",
                    "CRC32",
                    "FileName",
                    "FileSize",
                    "ProductCode",
                    "OpSystemCode",
                    "SpecialCode",
                ]
            )
        for index, item in enumerate(entries):
            if isinstance(item, Raw):
                out.write(f"{item.value}\r\n")
                continue
            writer.writerow(_v2_row(item, index, old_order))
    if side_files:
        _write_side_files(folder)
    return path


def _v2_row(entry: KnownEntry, index: int, old_order: bool) -> list[object]:
    package = nsrl_package_id(index)
    system = next(p[3] for p in NSRL_PACKAGES if p[0] == package)
    sha1, md5, name, size = _upper(entry.sha1), _upper(entry.md5), display_name(entry, index), entry.size or 0
    if old_order:
        return [sha1, name, size, package, str(system), "", md5, crc32_of(entry), ""]
    return [sha1, md5, crc32_of(entry), name, size, package, str(system), ""]


def _write_side_files(folder: Path) -> None:
    def write(name: str, header: list[str], rows: Iterator[list[object]]) -> None:
        with (folder / name).open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(rows)

    write(
        "NSRLProd.txt",
        [
            "ProductCode",
            "ProductName",
            "ProductVersion",
            "OpSystemCode",
            "MfgCode",
            "Language",
            "ApplicationType",
        ],
        iter([[p[0], p[1], p[2], str(p[3]), str(p[4]), p[5], p[6]] for p in NSRL_PACKAGES]),
    )
    write(
        "NSRLOS.txt",
        ["OpSystemCode", "OpSystemName", "OpSystemVersion", "MfgCode"],
        iter([[str(s[0]), s[1], s[2], str(s[3])] for s in NSRL_SYSTEMS]),
    )
    write("NSRLMfg.txt", ["MfgCode", "MfgName"], iter([[str(m[0]), m[1]] for m in NSRL_MANUFACTURERS]))
