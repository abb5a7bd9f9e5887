"""``vigilant registry …``: the offender registry (import, show, due, sweep, export).

The proximity, cross-check and vulnerable-sector commands (``near``, ``check``, ``vsc``) join this same app
from their own modules.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The offender registry: registrants, compliance, the daily sweep, proximity and checks.",
    no_args_is_help=True,
)
