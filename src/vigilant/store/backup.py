"""Back up the installation's database to one file, and restore it into an empty database.

PostgreSQL: ``pg_dump --format=custom`` (consistent: one snapshot, taken while the servers keep working) and
``pg_restore`` in one transaction that stops at the first error, so a failed restore leaves the target as it
was. SQLite: the online backup API (``sqlite3.Connection.backup``), which copies a consistent snapshot page
by page while the server keeps writing; the copy is switched out of WAL mode so it is one self-contained
file. A backup restores into the same engine only (the two formats are the engines' own).

What is *not* in the database, and so not in the backup: the secret key file (``VIGILANT_SECRET_KEY_FILE``)
that seals the TOTP seeds, and the data dir (triage results, indexes, review media). The commands say so;
docs/deployment.md tells how to keep them.

This module knows nothing of the audit log (the store sits below security): ``vigilant db backup`` and
``restore`` write their audit events around these calls.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, create_engine, exc, text
from sqlalchemy.engine import make_url

from vigilant.errors import BadInputError, ConfigError, ConflictError, VigilantError

PG_MAGIC = b"PGDMP"  # the first bytes of pg_dump's custom format
SQLITE_MAGIC = b"SQLite format 3\x00"
FORMATS = {"postgresql": "pg_dump-custom", "sqlite": "sqlite"}


class BackupFailed(VigilantError):
    """pg_dump or pg_restore refused; their own message is kept."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    backend: str  # postgresql | sqlite
    format: str  # pg_dump-custom | sqlite
    size: int
    sha256: str


def backup(url: str, target: Path) -> BackupFile:
    """Write a consistent copy of the database at ``url`` to ``target`` (replaced only once complete)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    target = target.expanduser().resolve()
    if target.is_dir():
        raise BadInputError(f"{target} is a folder", hint="name the backup file to write")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        if backend == "postgresql":
            _run(_pg_tool("pg_dump"), ["--format=custom", f"--file={partial}", _libpq_uri(parsed)], parsed)
        elif backend == "sqlite":
            _sqlite_backup(_sqlite_path(parsed, must_exist=True), partial)
        else:
            raise ConfigError(f"no backup for the {backend!r} backend")
        partial.replace(target)  # atomic: an interrupted backup never leaves a half file under the name
    finally:
        partial.unlink(missing_ok=True)
    return _described(target, backend)


def restore(url: str, source: Path, *, force: bool = False) -> BackupFile:
    """Restore the backup ``source`` into the database at ``url``, which must be empty unless ``force``
    (then everything in it is replaced). The schema is left at the backup's revision: opening the
    database with Vigilant (``open_database``) brings it up to date."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    source = source.expanduser().resolve()
    if not source.is_file():
        raise BadInputError(f"{source}: no such backup file")
    described = _described(source, backend)
    if not force and not is_empty(url):
        raise ConflictError(
            f"{parsed.render_as_string(hide_password=True)} already holds data",
            hint="restore into a new, empty database, or add --force to replace everything in this one",
        )
    if backend == "postgresql":
        _pg_restore(parsed, source, clear=force)
    else:
        _sqlite_restore(source, _sqlite_path(parsed, must_exist=False))
    return described


def is_empty(url: str) -> bool:
    """Whether the database holds no table of its own (extensions' tables, such as PostGIS's
    ``spatial_ref_sys`` in a new database made from a template, do not count)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(parsed, must_exist=False)
        if not path.exists() or path.stat().st_size == 0:
            return True
        with closing(_sqlite(path, read_only=True)) as conn:
            found = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchone()
        return bool(found[0] == 0)
    engine = create_engine(parsed)
    try:
        with engine.connect() as conn:
            own = conn.execute(text(_PG_OWN_RELATIONS)).scalar_one()
    except exc.OperationalError as error:  # most often: the database does not exist yet
        raise ConfigError(
            f"cannot reach {parsed.render_as_string(hide_password=True)}: {error.orig}",
            hint="create the empty database first (createdb, or CREATE DATABASE … OWNER …), then restore",
        ) from None
    finally:
        engine.dispose()
    return bool(own == 0)


# Tables, views and sequences outside PostgreSQL's own schemas that no extension owns (deptype 'e').
_PG_OWN_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
"""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _described(path: Path, backend: str) -> BackupFile:
    if backend not in FORMATS:
        raise ConfigError(f"no backup for the {backend!r} backend")
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    found = "postgresql" if head.startswith(PG_MAGIC) else "sqlite" if head == SQLITE_MAGIC else None
    if found is None:
        raise BadInputError(
            f"{path} is not a Vigilant backup (neither pg_dump's custom format nor an SQLite database)"
        )
    if found != backend:
        raise BadInputError(
            f"{path} is a {found} backup, but the configured database is {backend}",
            hint="a backup restores into the engine it was made from: set VIGILANT_DATABASE_URL to one",
        )
    return BackupFile(path, backend, FORMATS[backend], path.stat().st_size, sha256_of(path))


# --- PostgreSQL ------------------------------------------------------------------------------------------
def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigError(
            f"{name} not found",
            hint="install PostgreSQL's client programs, of the server's major version or newer "
            "(Debian: apt-get install postgresql-client)",
        )
    return found


def _libpq_uri(url: URL) -> str:
    """The URL as libpq takes it: no SQLAlchemy driver name, and no password (that goes in PGPASSWORD, out
    of the process list). Query parameters (sslmode, sslrootcert, …) stay: the tools connect as the
    application does."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(tool: str, args: list[str], url: URL) -> str:
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run([tool, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        name = Path(tool).name
        raise BackupFailed(
            f"{name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}",
            hint="nothing was changed" if name == "pg_restore" else None,
        )
    return done.stdout


def _pg_restore(url: URL, source: Path, *, clear: bool) -> None:
    restore_tool = _pg_tool("pg_restore")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if clear:  # --force: everything in the public schema goes, extensions with it
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            installed = set(conn.execute(text("SELECT extname FROM pg_extension")).scalars())
    finally:
        engine.dispose()
    # A new database made from a template may already have an extension the backup creates (PostGIS in
    # template1): creating it twice would fail the whole restore, so those entries are left out.
    entries = _run(restore_tool, ["--list", str(source)], url).splitlines()
    kept = [line for line in entries if not _creates_installed_extension(line, installed)]
    listing = source.with_name(f".{source.name}.list-{os.getpid()}")
    try:
        listing.write_text("\n".join(kept) + "\n")
        args = ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
        _run(restore_tool, [*args, f"--use-list={listing}", f"--dbname={_libpq_uri(url)}", str(source)], url)
    finally:
        listing.unlink(missing_ok=True)


def _creates_installed_extension(line: str, installed: set[str]) -> bool:
    # pg_restore --list lines: "4321; 3079 16385 EXTENSION - postgis" and "…; 0 0 COMMENT - EXTENSION postgis"
    words = line.split(";", 1)[-1].split()
    for marker in (["EXTENSION", "-"], ["COMMENT", "-", "EXTENSION"]):
        n = len(marker)
        for i in range(len(words) - n):
            if words[i : i + n] == marker and words[i + n] in installed:
                return True
    return False


# --- SQLite ----------------------------------------------------------------------------------------------
def _sqlite_path(url: URL, *, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise ConfigError("an in-memory SQLite database has nothing to back up or restore into")
    path = Path(url.database).expanduser().resolve()
    if must_exist and not path.is_file():
        raise BadInputError(f"{path}: no such database file", hint="check VIGILANT_DATABASE_URL")
    return path


def _sqlite(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    return sqlite3.connect(path)


def _sqlite_backup(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)  # not read-only: a WAL database's reader may need to write its -shm file
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # one consistent snapshot, while writers carry on
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = _sqlite(source, read_only=True)
    dst = sqlite3.connect(target)
    try:
        dst.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # replaces every page of the target in one step
        dst.execute("PRAGMA journal_mode=WAL")  # as Vigilant runs it
    finally:
        dst.close()
        src.close()
