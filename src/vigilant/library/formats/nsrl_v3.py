"""NIST NSRL RDS v3: an SQLite database, minimal (FILE is a table) or full (FILE is a view on METADATA).

Both are read through FILE, joined to PKG/OS/MFG for names when those exist, through one cursor. The
database is opened read-only and immutable, so SQLite never writes a journal or lock beside evidence.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from vigilant.hashing.digests import MD5, SHA1, SHA256
from vigilant.library.formats import _fields as f
from vigilant.library.formats import _nsrl as n
from vigilant.library.formats.base import ReaderOptions, ReadItem, SourceError
from vigilant.library.records import KnownEntry, SetHints

SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_DAMAGED_HINT = "get an intact copy of the RDS database and check it against NIST's published hash"

# Several PKG rows may share a package_id (one per language, …). Grouping keeps one row per id so the join
# never repeats a FILE row; with a lone MIN(), SQLite takes the bare columns from the row holding it.
_PKG = (
    "SELECT package_id, name, version, operating_system_id, manufacturer_id, MIN(name) AS pick"
    " FROM PKG GROUP BY package_id"
)
_OS = "SELECT operating_system_id, name, version, MIN(name) AS pick FROM OS GROUP BY operating_system_id"
_MFG = "SELECT manufacturer_id, name, MIN(name) AS pick FROM MFG GROUP BY manufacturer_id"


class NsrlV3Reader:
    name = "nsrl-v3"
    title = "NIST NSRL RDS v3 (SQLite)"

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(SQLITE_MAGIC):
            return False
        try:
            with _database(path) as db:
                names = _names(db)
        except (SourceError, sqlite3.Error):
            return False
        return {"FILE", "VERSION"} <= names

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        with _database(path) as db:
            if "VERSION" not in _names(db):
                return n.nsrl_hints()
            try:
                row = db.execute("SELECT version, build_set, description FROM VERSION LIMIT 1").fetchone()
            except sqlite3.Error as exc:
                raise SourceError(f"cannot read the VERSION table of {path.name}: {exc}") from exc
        if row is None:
            return n.nsrl_hints()
        version, build_set, description = (None if value is None else str(value) for value in row)
        return n.nsrl_hints(version, build_set, description)

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        _check_complete(path)
        with _database(path) as db:
            names = _names(db)
            if "FILE" not in names:
                raise SourceError(f"{path.name} has no FILE table: it is not an NSRL RDS v3 database")
            try:
                with closing(db.execute(_query(names))) as cursor:
                    for number, row in enumerate(cursor, 1):
                        location = f"FILE row {number}"
                        try:
                            yield _entry(row, location)
                        except f.Refused as refused:
                            yield refused.at(location)
            except sqlite3.Error as exc:
                raise SourceError(f"{path.name} cannot be read through: {exc}", hint=_DAMAGED_HINT) from exc


def _query(names: set[str]) -> str:
    has_pkg = "PKG" in names
    has_os = has_pkg and "OS" in names
    has_mfg = has_pkg and "MFG" in names
    columns = [
        "f.sha256, f.sha1, f.md5, f.crc32, f.file_name, f.file_size, f.package_id",
        "p.name, p.version" if has_pkg else "NULL, NULL",
        "o.name, o.version" if has_os else "NULL, NULL",
        "m.name" if has_mfg else "NULL",
    ]
    joins = []
    if has_pkg:
        joins.append(f"LEFT JOIN ({_PKG}) AS p ON p.package_id = f.package_id")
    if has_os:
        joins.append(f"LEFT JOIN ({_OS}) AS o ON o.operating_system_id = p.operating_system_id")
    if has_mfg:
        joins.append(f"LEFT JOIN ({_MFG}) AS m ON m.manufacturer_id = p.manufacturer_id")
    return f"SELECT {', '.join(columns)} FROM FILE AS f {' '.join(joins)}"


def _entry(row: tuple[Any, ...], location: str) -> KnownEntry:
    sha256, sha1, md5, crc32, file_name, size, package_id, pkg, pkg_version, os_name, os_version, mfg = row
    extra = n.compact(
        {
            n.EXTRA_CRC32: crc32,
            n.EXTRA_PACKAGE_ID: package_id,
            n.EXTRA_PACKAGE_NAME: pkg,
            n.EXTRA_PACKAGE_VERSION: pkg_version,
            n.EXTRA_OS_NAME: os_name,
            n.EXTRA_OS_VERSION: os_version,
            n.EXTRA_MANUFACTURER: mfg,
        }
    )
    entry = KnownEntry(
        location=location,
        md5=f.digest(MD5, md5),
        sha1=f.digest(SHA1, sha1),
        sha256=f.digest(SHA256, sha256),
        size=f.size(size),
        file_name=f.text(file_name, "file-name"),
        extra=extra,
    )
    return f.require_digest(entry)


@contextmanager
def _database(path: Path) -> Iterator[sqlite3.Connection]:
    # immutable=1: no journal, no locks, no checks for other writers; the file is evidence and read-only.
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise SourceError(f"cannot open {path.name} as SQLite: {exc}") from exc
    try:
        yield db
    finally:
        db.close()


def _names(db: sqlite3.Connection) -> set[str]:
    """Upper-case names of the tables and views (FILE is a table in minimal sets, a view in full ones)."""
    try:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").fetchall()
    except sqlite3.Error as exc:
        raise SourceError(f"not a readable SQLite database: {exc}", hint=_DAMAGED_HINT) from exc
    return {str(name).upper() for (name,) in rows}


def _check_complete(path: Path) -> None:
    """Refuse a truncated database up front: SQLite may otherwise read the missing pages as zeros."""
    try:
        with path.open("rb") as fh:
            header = fh.read(_HEADER_SIZE)
        actual = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(header) < _HEADER_SIZE or not header.startswith(SQLITE_MAGIC):
        raise SourceError(f"{path.name} is not an SQLite database", hint="name the right file or format")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header is trusted only when written by the same change as the file itself.
    count_valid = header[24:28] == header[92:96]
    expected = page_size * pages
    if page_size < 512 or actual % page_size or (count_valid and pages and actual < expected):
        raise SourceError(
            f"{path.name} is truncated or damaged: {actual} bytes, the header promises {expected}",
            hint=_DAMAGED_HINT,
        )
