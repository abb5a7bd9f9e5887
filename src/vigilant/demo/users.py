"""The demo's logins: one user per role, with generated passwords and TOTP secrets.

Passwords come from :mod:`secrets` on every run (never from the demo's fixed seed, so no two demos share a
password), and the TOTP secrets are the ones :class:`UserService` makes for any user. The passwords are
hashed with light argon2id parameters so that seven users take milliseconds, not seconds: the random
passwords need no slow hash, and the server stores a hash with its full parameters at each user's first
login (:meth:`Passwords.verify` asks for it whenever a stored hash used other parameters). The demo writes its
logins to ``demo-logins.json`` (owner-only) in its folder; :func:`current_code` prints a TOTP code only for
a user listed there, and only from the demo's own database, so it can never read a real account's secret.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from vigilant.demo.operation import GENERATOR, DemoAgency
from vigilant.errors import NotFoundError
from vigilant.security import mfa
from vigilant.security.models import UserRow
from vigilant.security.passwords import ArgonParams, Passwords, check_policy
from vigilant.security.rights import Actor, Role
from vigilant.security.secretbox import SecretBox
from vigilant.security.users import UserService, totp_purpose
from vigilant.store import Database, open_database

MANIFEST = "demo-logins.json"
MANIFEST_VERSION = 1
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read off a screen

# Casework roles sit in a municipal agency, the operation's roles in the coordinating one.
_PARTNER_ROLES = frozenset({Role.INVESTIGATOR, Role.EXAMINER, Role.REGISTRY_OFFICER})
DEMO_ARGON = ArgonParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    agency: str  # short name


def demo_database_url(root: Path) -> str:
    """The demo's own SQLite database; the demo never opens any other."""
    return f"sqlite:///{root / 'data' / 'vigilant.db'}"


def demo_key_file(root: Path) -> Path:
    """The key that seals the demo users' TOTP seeds: the demo's own, in its data dir."""
    return root / "data" / "secret.key"


def new_password() -> str:
    """Four groups of four easy-to-read characters, e.g. ``k7wq-m3pz-x8dn-4rtb`` (about 79 bits)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))


def create_demo_users(
    db: Database,
    coordinator: DemoAgency,
    partner: DemoAgency,
    *,
    now: datetime,
    box: SecretBox,
    passwords: Passwords | None = None,
) -> list[DemoLogin]:
    """One user per role, each enrolled in TOTP (light argon2id parameters unless ``passwords`` is given)."""
    service = UserService(db, passwords=passwords or Passwords(DEMO_ARGON), box=box)
    actor = Actor.cli(GENERATOR)
    logins = []
    for role in Role:
        agency = partner if role in _PARTNER_ROLES else coordinator
        username = role.value.replace("_", "-")
        password = new_password()
        check_policy(password, username)
        service.create(
            actor,
            username,
            password,
            roles=frozenset({role}),
            agency_id=agency.id,
            display_name=f"Demo {role.value.replace('_', ' ')} ({agency.short_name})",
            now=now,
        )
        logins.append(DemoLogin(username, password, role.value, agency.short_name))
    return logins


def write_manifest(root: Path, logins: list[DemoLogin]) -> Path:
    """The demo's logins, readable by the owner only (they hold passwords)."""
    path = root / MANIFEST
    data = {"version": MANIFEST_VERSION, "logins": [asdict(login) for login in logins]}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2)
    return path


def read_manifest(root: Path) -> list[DemoLogin]:
    path = root / MANIFEST
    if not path.is_file():
        raise NotFoundError(f"no demo in {root}", hint="run `vigilant demo` first, or give its --folder")
    data = json.loads(path.read_text())
    if data.get("version") != MANIFEST_VERSION:
        raise NotFoundError(f"{path} is from another version of the demo", hint="run `vigilant demo` again")
    return [DemoLogin(**login) for login in data["logins"]]


@dataclass(frozen=True)
class CurrentCode:
    code: str
    seconds_left: int  # until the next 30-second step


def current_code(root: Path, username: str, *, now: datetime) -> CurrentCode:
    """The TOTP code of a user the demo created, read from the demo's database; anyone else is refused."""
    demo_users = {login.username for login in read_manifest(root)}
    if username not in demo_users:
        raise NotFoundError(
            f"{username!r} is not a demo user: codes are shown only for the accounts `vigilant demo` made",
            hint=f"demo users: {', '.join(sorted(demo_users))}",
        )
    db = open_database(demo_database_url(root), migrate=False)
    try:
        with db.session() as s:
            sealed = s.scalars(select(UserRow.totp_secret).where(UserRow.username == username)).one_or_none()
    finally:
        db.dispose()
    if sealed is None:
        raise NotFoundError(f"demo user {username!r} has no TOTP secret", hint="run `vigilant demo` again")
    secret = SecretBox.from_file(demo_key_file(root)).open(sealed, purpose=totp_purpose(username))
    elapsed = int(now.timestamp()) % mfa.STEP_SECONDS
    return CurrentCode(mfa.code_at(secret, mfa.step_of(now)), mfa.STEP_SECONDS - elapsed)
