"""What the CLI's commands share: consoles, settings, opening the store."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from rich.console import Console

from vigilant.config import Settings
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.store import Database, open_database

console = Console(highlight=False)
console_err = Console(stderr=True, highlight=False)


def settings() -> Settings:
    return Settings.from_env()


# One engine per URL for the life of the process; tests switch URLs through the environment.
_databases: dict[str, Database] = {}


def database() -> Database:
    url = settings().database_url
    if url not in _databases:
        _databases[url] = open_database(url)
    return _databases[url]


def close_databases() -> None:
    for db in _databases.values():
        db.dispose()
    _databases.clear()


def library() -> LibraryService:
    return LibraryService(LibraryStore(database()), settings().index_dir)


@contextmanager
def output_stream(output: Path | None) -> Iterator[BinaryIO]:
    """Where a command writes a file: stdout for None or "-", else the file, which appears only complete.

    The content goes to ``NAME.partial`` and is renamed into place at the end, so a reader never sees half a
    report; a failure leaves no file (and removes the partial one).
    """
    if output is None or str(output) == "-":
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("wb") as out:
            yield out
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)


def audit_export(
    *,
    object_type: str,
    object_id: str,
    fmt: str,
    files: list[Path] | None,
    records: int | None = None,
    case_ref: str | None = None,
) -> None:
    """Every export leaves an event in the audit chain: who exported what, in which format, where to, and
    the SHA-256 of each file written (stdout has none), so a copy found later can be traced to its export."""
    from datetime import UTC, datetime

    from vigilant.security.audit import AuditLog, Exported
    from vigilant.security.rights import Actor

    actor = Actor.cli(settings().user)
    log = AuditLog(database())
    targets: list[Path | None] = list(files) if files else [None]
    for target in targets:
        event = Exported.by(
            actor,
            object_type=object_type,
            object_id=object_id,
            case_ref=case_ref,
            format=fmt,
            records=records,
            destination="stdout" if target is None else str(target),
            sha256=None if target is None else _file_sha256(target),
        )
        log.record(event, now=datetime.now(UTC))


def _file_sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
