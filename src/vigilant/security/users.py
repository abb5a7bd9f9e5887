"""Managing accounts: create (with TOTP enrolment), list, disable, reset MFA, set a password, unlock.

Every call needs ``users.manage`` and writes an audit event in the same transaction as the change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigilant.errors import BadInputError
from vigilant.security import mfa
from vigilant.security.audit import AuditLog, UserChanged, UserCreated, append
from vigilant.security.errors import UnknownUser, UserExists
from vigilant.security.models import SessionRow, UserRow
from vigilant.security.passwords import Passwords, check_policy
from vigilant.security.rights import Actor, Permission, Role
from vigilant.security.secretbox import SecretBox
from vigilant.store import Database

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,99}")


@dataclass(frozen=True)
class Enrolment:
    user_id: int
    username: str
    totp_uri: str  # shown once, for the user's authenticator app


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    agency_id: int | None
    roles: tuple[str, ...]
    disabled: bool
    locked_until: datetime | None
    mfa_enrolled: bool


def totp_purpose(username: str) -> str:
    """What a user's sealed TOTP seed is bound to: the seed opens on this user's row only."""
    return f"totp:{username}"


class UserService:
    def __init__(
        self, db: Database, *, passwords: Passwords | None = None, box: SecretBox | None = None
    ) -> None:
        self.db = db
        self.passwords = passwords or Passwords()
        self.box = box or SecretBox.from_settings()
        self.audit = AuditLog(db)

    def create(
        self,
        actor: Actor,
        username: str,
        password: str,
        *,
        roles: frozenset[Role],
        agency_id: int | None,
        display_name: str | None = None,
        now: datetime,
    ) -> Enrolment:
        self.audit.authorize(actor, Permission.USERS_MANAGE, now=now, object_type="user")
        if not USERNAME.fullmatch(username):
            raise BadInputError(
                f"invalid username {username!r}",
                hint="2–100 characters: letters, digits, '.', '_', '@', '-', starting with a letter or digit",
            )
        if not roles:
            raise BadInputError(
                "a user needs at least one role", hint="give --role, e.g. --role investigator"
            )
        check_policy(password, username)
        secret = mfa.new_secret()
        with self.db.session() as s:
            if s.scalars(select(UserRow.id).where(UserRow.username == username)).first() is not None:
                raise UserExists(username)
            user = UserRow(
                username=username,
                display_name=display_name or username,
                agency_id=agency_id,
                roles=sorted(roles),
                password_hash=self.passwords.hash(password),
                totp_secret=self.box.seal(secret, purpose=totp_purpose(username)),
                failed_logins=0,
                disabled=False,
                created_at=now,
                updated_at=now,
            )
            s.add(user)
            try:
                s.flush()
            except IntegrityError:
                # The username was checked above, so the one constraint left is the agency's.
                raise BadInputError(
                    f"no agency {agency_id}", hint="list agencies with `vigilant cases agencies list`"
                ) from None
            ev = UserCreated.by(
                actor,
                object_type="user",
                object_id=str(user.id),
                username=username,
                roles=tuple(user.roles),
                agency_id=agency_id,
            )
            append(s, ev, now=now)
            return Enrolment(user.id, username, mfa.provisioning_uri(secret, username))

    def list(self, actor: Actor, *, now: datetime) -> list[UserInfo]:
        self.audit.authorize(actor, Permission.USERS_MANAGE, now=now, object_type="user")
        with self.db.session() as s:
            return [
                UserInfo(
                    id=u.id,
                    username=u.username,
                    display_name=u.display_name,
                    agency_id=u.agency_id,
                    roles=tuple(u.roles),
                    disabled=u.disabled,
                    locked_until=u.locked_until if u.locked_until and u.locked_until > now else None,
                    mfa_enrolled=u.totp_secret is not None,
                )
                for u in s.scalars(select(UserRow).order_by(UserRow.username))
            ]

    def disable(self, actor: Actor, username: str, *, now: datetime) -> None:
        """Disable the account and end its open sessions; its API tokens are refused from now on."""
        with self._changing(actor, username, "disabled", now=now) as (s, user):
            user.disabled = True
            s.execute(
                update(SessionRow)
                .where(SessionRow.user_id == user.id, SessionRow.ended_at.is_(None))
                .values(ended_at=now, end_reason="disabled")
            )

    def enable(self, actor: Actor, username: str, *, now: datetime) -> None:
        with self._changing(actor, username, "enabled", now=now) as (_s, user):
            user.disabled = False

    def reset_mfa(self, actor: Actor, username: str, *, now: datetime) -> str:
        """A new TOTP secret (the old authenticator stops working); returns the URI to enrol, shown once."""
        secret = mfa.new_secret()
        with self._changing(actor, username, "mfa-reset", now=now) as (_s, user):
            user.totp_secret = self.box.seal(secret, purpose=totp_purpose(username))
            user.totp_last_step = None
        return mfa.provisioning_uri(secret, username)

    def set_password(self, actor: Actor, username: str, password: str, *, now: datetime) -> None:
        check_policy(password, username)
        new_hash = self.passwords.hash(password)
        with self._changing(actor, username, "password-set", now=now) as (_s, user):
            user.password_hash = new_hash

    def unlock(self, actor: Actor, username: str, *, now: datetime) -> None:
        with self._changing(actor, username, "unlocked", now=now) as (_s, user):
            user.locked_until, user.failed_logins = None, 0

    @contextmanager
    def _changing(
        self, actor: Actor, username: str, change: str, *, now: datetime
    ) -> Iterator[tuple[Session, UserRow]]:
        """One audited change to one account: the change and its event commit together."""
        self.audit.authorize(actor, Permission.USERS_MANAGE, now=now, object_type="user")
        with self.db.session() as s:
            user = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            if user is None:
                raise UnknownUser(username)
            yield s, user
            user.updated_at = now
            append(
                s, UserChanged.by(actor, object_type="user", object_id=str(user.id), change=change), now=now
            )
