"""``vigilant users …``: add, list, disable, enable, unlock, reset-mfa, set-password.

The CLI is the administrative face on the server: it runs with the database's own credentials, so whoever
can run it already holds the data. Its actions are recorded under the OS user (``VIGILANT_USER``) with the
admin role and source "cli"; people work through the web application, which checks their own roles.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from vigilant.cli.common import JsonOpt, console, print_listing, settings, vigilant

if TYPE_CHECKING:
    from vigilant.security.rights import Actor
    from vigilant.security.users import UserService

app = typer.Typer(
    help="User accounts: add (with TOTP enrolment), list, disable, enable, unlock, reset MFA.",
    no_args_is_help=True,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _service() -> tuple[UserService, Actor]:
    from vigilant.security.rights import Actor

    return vigilant().users, Actor.cli(settings().user)


def _show_enrolment(username: str, uri: str) -> None:
    console.print(
        f"TOTP enrolment for [bold]{username}[/] (shown once: add it to the authenticator app now):"
    )
    # Plain print: Rich would wrap the URI, and a wrapped URI no longer pastes or scans.
    print(uri)


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ @ -).")],
    role: Annotated[list[str], typer.Option(help="Role; repeatable (see docs/security.md).")],
    agency: Annotated[int | None, typer.Option(help="Agency id the user belongs to.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in the application.")] = None,
) -> None:
    """Add a user: prompts for the password twice, prints the TOTP enrolment URI once."""
    from vigilant.security.passwords import check_policy
    from vigilant.security.rights import parse_roles

    roles = parse_roles(role)
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    check_policy(password, username)  # before the slow hash, so a weak password fails fast
    service, actor = _service()
    enrolment = service.create(
        actor, username, password, roles=roles, agency_id=agency, display_name=display_name, now=_now()
    )
    console.print(
        f"added user {enrolment.username} (id {enrolment.user_id}), roles: {', '.join(sorted(roles))}"
    )
    _show_enrolment(enrolment.username, enrolment.totp_uri)


@app.command("list")
def list_users(as_json: JsonOpt = False) -> None:
    """List users with their roles, agency and state."""
    service, actor = _service()
    rows = []
    for user in service.list(actor, now=_now()):
        state = "disabled" if user.disabled else "active"
        if user.locked_until is not None:
            state += f", locked until {user.locked_until.isoformat(timespec='seconds')}"
        rows.append(
            {
                "id": user.id,
                "username": user.username,
                "name": user.display_name,
                "agency_id": user.agency_id,
                "roles": list(user.roles),
                "state": state,
                "disabled": user.disabled,
                "locked_until": user.locked_until,
                "mfa_enrolled": user.mfa_enrolled,
            }
        )
    print_listing(
        rows,
        as_json=as_json,
        columns=("id", "username", "name", "agency_id", "roles", "state", "mfa_enrolled"),
    )


@app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The user to disable.")]) -> None:
    """Disable a user: ends their sessions and refuses their API tokens."""
    service, actor = _service()
    service.disable(actor, username, now=_now())
    console.print(f"disabled {username}")


@app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="The user to enable again.")]) -> None:
    """Enable a disabled user again."""
    service, actor = _service()
    service.enable(actor, username, now=_now())
    console.print(f"enabled {username}")


@app.command("unlock")
def unlock(username: Annotated[str, typer.Argument(help="The locked user.")]) -> None:
    """Lift a lockout after failed logins before its 10 minutes are over."""
    service, actor = _service()
    service.unlock(actor, username, now=_now())
    console.print(f"unlocked {username}")


@app.command("reset-mfa")
def reset_mfa(username: Annotated[str, typer.Argument(help="The user whose authenticator changes.")]) -> None:
    """Give a user a new TOTP secret and print its enrolment URI once (the old one stops working)."""
    service, actor = _service()
    uri = service.reset_mfa(actor, username, now=_now())
    _show_enrolment(username, uri)


@app.command("set-password")
def set_password(username: Annotated[str, typer.Argument(help="The user whose password changes.")]) -> None:
    """Set a user's password (prompted twice)."""
    from vigilant.security.passwords import check_policy

    password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    check_policy(password, username)
    service, actor = _service()
    service.set_password(actor, username, password, now=_now())
    console.print(f"password set for {username}")
