"""``vigilant db …``: the database schema."""

from __future__ import annotations

import json

import typer

from vigilant.cli.common import JsonOpt, console, settings
from vigilant.store import Database

app = typer.Typer(help="The database: where it is, and its schema version.", no_args_is_help=True)


def _redacted(url: str) -> str:
    # Never print a password that came in through VIGILANT_DATABASE_URL.
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database schema up to the latest migration."""
    db = Database(settings().database_url)
    db.upgrade()
    console.print(f"{_redacted(db.url)} at schema {db.current_revision()}")


@app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Show which database is configured and whether its schema is current."""
    current = settings()
    db = Database(current.database_url)
    now, head = db.current_revision(), db.head_revision()
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
