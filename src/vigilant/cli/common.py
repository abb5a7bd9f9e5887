"""What the CLI's commands share: consoles, settings, the application object (database and services)."""

from __future__ import annotations

import functools
import json
import re
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from rich.console import Console, ConsoleDimensions
from rich.table import Table
from typer._click.globals import get_current_context  # Typer's own Click: the invocation's context

from vigilant.app import Vigilant
from vigilant.config import Settings
from vigilant.library.service import LibraryService
from vigilant.security.rights import Actor
from vigilant.store import Database, open_database

# The `vigilant` command's subcommands: a hint like "`vigilant library list`" names one of them.
SUBCOMMANDS = (
    "library|hash|evidence|triage|p2p|leads|links|review|cases|registry|users|audit|serve|db|demo|version"
)
_COMMAND = re.compile(rf"(?<![\w/.-])vigilant(?= (?:{SUBCOMMANDS})\b)")
# Wide enough for any table a script reads: Rich cuts cells ("L-1…") to fit 80 columns off a terminal.
_SCRIPT_WIDTH = 100_000


@functools.cache  # the program's path and the PATH do not change while it runs: looked up once, not per print
def invoked_as() -> str:
    """How to name this program in a hint so that the user can run it: ``vigilant`` where that is what the
    PATH finds, else the path it was run by (``.venv/bin/vigilant`` after ``make``, which adds nothing to
    the PATH). Run any other way (``python -m``, tests), ``vigilant``."""
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name != "vigilant":
        return "vigilant"
    found = shutil.which("vigilant")
    if found is not None and Path(found).resolve() == Path(argv0).resolve():
        return "vigilant"
    return argv0


def name_commands(text: str, prog: str) -> str:
    """``text`` with each ``vigilant SUBCOMMAND`` naming the program as ``prog``."""
    return text if prog == "vigilant" else _COMMAND.sub(prog, text)


class CliConsole(Console):
    """Rich's console, for a command's output: full width when the output is not a terminal (scripts read
    whole values), and hints naming the program as it was run."""

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)  # type: ignore[attr-defined]
        assert isinstance(size, ConsoleDimensions)
        # Rich takes the width of any terminal among stdin/stdout/stderr, else 80: off a terminal, no limit.
        return size if self.is_terminal else ConsoleDimensions(_SCRIPT_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]

    def print(self, *objects: Any, **kwargs: Any) -> None:
        prog = invoked_as()
        named = [name_commands(o, prog) if isinstance(o, str) else o for o in objects]
        super().print(*named, **kwargs)


console = CliConsole(highlight=False)
console_err = CliConsole(stderr=True, highlight=False)


def settings() -> Settings:
    return Settings.from_env()


def local_actor() -> Actor:
    """The CLI's caller for the services: whoever runs it on the server, under VIGILANT_USER's name."""
    return Actor.cli(settings().user)


# One engine per URL for the life of the process; tests switch URLs through the environment.
_databases: dict[str, Database] = {}
# The application object a caller handed to this invocation (``vigilant.cli.run(argv, application=…)``).
_given: ContextVar[Vigilant | None] = ContextVar("vigilant_application", default=None)
_INVOCATION_KEY = "vigilant.application"  # where an invocation's application object sits in Click's meta


def vigilant() -> Vigilant:
    """The application object every command takes its database and services from: the one handed to this
    invocation, else one built at the first use in this invocation (Click's root context is the
    invocation), over the process's engine for the settings' database. Services live for one invocation,
    as a process's do: tests run many invocations in one process."""
    given = _given.get()
    if given is not None:
        return given
    context = get_current_context(silent=True)
    meta = context.find_root().meta if context is not None else None
    if meta is not None and _INVOCATION_KEY in meta:
        found: Vigilant = meta[_INVOCATION_KEY]
        return found
    current = settings()
    if current.database_url not in _databases:
        _databases[current.database_url] = open_database(current.database_url, pool=current.db_pool)
    app = Vigilant(current, db=_databases[current.database_url])
    if meta is not None:
        meta[_INVOCATION_KEY] = app
    return app


@contextmanager
def using(app: Vigilant) -> Iterator[Vigilant]:
    """Within the block, the commands use ``app`` (a test's, with fakes in it)."""
    token = _given.set(app)
    try:
        yield app
    finally:
        _given.reset(token)


def database() -> Database:
    return vigilant().db


def close_databases() -> None:
    for db in _databases.values():
        db.dispose()
    _databases.clear()


def library() -> LibraryService:
    return vigilant().library


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

    from vigilant.security.audit import Exported
    from vigilant.security.rights import Actor

    actor = Actor.cli(settings().user)
    log = vigilant().audit
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


# --- listings: one set of rows, printed as a table for people or as JSON for scripts --------------------
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print JSON (a list of objects, one per row) instead of a table.")
]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(_plain(v) for v in value) if isinstance(value, (set, frozenset)) else list(value)
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def print_listing(
    rows: Sequence[Mapping[str, Any]],
    *,
    as_json: bool,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    empty: str | None = None,
) -> None:
    """Print ``rows`` as JSON (every key, values as JSON types: times in ISO 8601) or as a table of
    ``columns`` (default: every key of the first row), so that the two outputs cannot disagree."""
    if as_json:
        sys.stdout.write(json.dumps([dict(r) for r in rows], indent=2, default=_plain, ensure_ascii=False))
        sys.stdout.write("\n")
        return
    if not rows and empty is not None:
        console.print(empty)
        return
    names = list(columns if columns is not None else (rows[0].keys() if rows else ()))
    table = Table(*names, title=title)
    for row in rows:
        table.add_row(*(_cell(row.get(name)) for name in names))
    console.print(table)
