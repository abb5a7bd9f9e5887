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
