"""``vigilant db …``: the database: its schema, and backup and restore.

Backup and restore are audited. A backup is an export of every record: an ``export`` event written after the
file is complete, with its SHA-256, in the backed-up database's chain (the backup itself does not hold it: it
was taken a moment before). A restore appends a ``database.restored`` event to the *restored* chain through
the ordinary append, after the schema is brought up to date: the chain as backed up is untouched, the new
event links to its head, and ``vigilant audit verify`` (anchors included) still passes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, ClassVar

import typer

from vigilant.app import Vigilant
from vigilant.cli.common import JsonOpt, close_databases, console, console_err, settings
from vigilant.security.audit import AuditEvent, Exported
from vigilant.security.rights import Actor
from vigilant.store import Database, open_database
from vigilant.store import backup as backups

app = typer.Typer(
    help="The database: where it is, its schema version, backup and restore.", no_args_is_help=True
)

KEY_NOTE = (
    "not in the backup: the secret key file {key} (it seals every user's TOTP seed: without it no one can "
    "log in with the restored users) and the data dir {data} (triage results, indexes, media). "
    "Keep a copy of the key apart from the backups (docs/deployment.md)."
)


@dataclass(frozen=True, kw_only=True)
class DatabaseRestored(AuditEvent):
    """The database was replaced by a backup: which file (by SHA-256), and the schema it was made at."""

    action: ClassVar[str] = "database.restored"
    source_file: str
    sha256: str
    backup_schema: str | None
    replaced_data: bool  # --force: the target held data before


def _redacted(url: str) -> str:
    # Never print a password that came in through VIGILANT_DATABASE_URL.
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database schema up to the latest migration."""
    db = Database(settings().database_url)
    try:
        db.upgrade()
        console.print(f"{_redacted(db.url)} at schema {db.current_revision()}")
    finally:
        db.dispose()


@app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Show which database is configured and whether its schema is current."""
    current = settings()
    db = Database(current.database_url)
    try:
        now, head = db.current_revision(), db.head_revision()
    finally:
        db.dispose()
    if as_json:
        facts = {
            "data_dir": str(current.data_dir),
            "database": _redacted(db.url),
            "backend": db.backend,
            "schema": now,
            "latest": head,
            "current": now == head,
        }
        typer.echo(json.dumps(facts, indent=2))
        return
    console.print(f"data dir: {current.data_dir}")
    console.print(f"database: {_redacted(db.url)} ({db.backend})")
    console.print(
        f"schema:   {now or 'empty'} (latest {head}){'' if now == head else ' — run `vigilant db upgrade`'}"
    )


@app.command("backup")
def backup_cmd(
    file: Annotated[Path, typer.Argument(help="The backup file to write (replaced once complete).")],
) -> None:
    """Back up the database to one file while the servers keep working.

    PostgreSQL: pg_dump's custom format (needs the client programs of the server's version or newer).
    SQLite: SQLite's online backup. The secret key file and the data dir are not in it: back them up too.
    """
    current = settings()
    made = backups.backup(current.database_url, file)
    console.print(f"backed up {_redacted(current.database_url)} to {made.path}")
    console.print(f"{made.format}, {made.size:,} bytes, sha256 {made.sha256}")
    db = open_database(current.database_url, migrate=False)
    try:
        now, head = db.current_revision(), db.head_revision()
        if now != head:
            # This Vigilant writes events in the layout of schema `head`: appending to an older one could fail
            # half-way. An upgrade is the usual next step after a backup; record the backup then.
            console_err.print(
                f"[yellow]not in the audit log: the schema is at {now}, this Vigilant writes {head}[/]"
            )
        else:
            event = Exported.by(
                Actor.cli(current.user),
                object_type="database",
                object_id=db.backend,
                format=made.format,
                destination=str(made.path),
                sha256=made.sha256,
            )
            Vigilant(current, db=db).audit.record(event, now=datetime.now(UTC))
    finally:
        db.dispose()
    console_err.print(KEY_NOTE.format(key=current.secret_key_file, data=current.data_dir), highlight=False)


@app.command("restore")
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="A file written by `vigilant db backup`, of the same engine.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace everything in a database that already holds data.")
    ] = False,
) -> None:
    """Restore a backup into the configured database, which must be empty (or --force); then bring its
    schema up to date and record the restore in its audit log. Stop the servers first."""
    current = settings()
    close_databases()  # this process's own connections to it, if any
    replaced = not backups.is_empty(current.database_url)
    made = backups.restore(current.database_url, file, force=force)
    db = open_database(current.database_url, migrate=False)
    try:
        backed_up_at = db.current_revision()
        if backed_up_at != db.head_revision():
            db.upgrade()
        event = DatabaseRestored.by(
            Actor.cli(current.user),
            object_type="database",
            object_id=db.backend,
            source_file=str(made.path),
            sha256=made.sha256,
            backup_schema=backed_up_at,
            replaced_data=replaced,
        )
        Vigilant(current, db=db).audit.record(event, now=datetime.now(UTC))
        schema = db.current_revision()
    finally:
        db.dispose()
    console.print(f"restored {made.path} into {_redacted(current.database_url)}: schema {schema}")
    console_err.print(KEY_NOTE.format(key=current.secret_key_file, data=current.data_dir), highlight=False)
