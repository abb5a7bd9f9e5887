"""Logins, sessions and API tokens.

Tokens (session and API) are 32 random bytes, URL-safe; the database keeps only their SHA-256, so a copy of
the database opens no session. Every login (ok, failed, locked) and every API token use writes an audit
event. ``now`` is an argument everywhere: tests move the clock instead of sleeping.

A login is checked in two steps so that the slow part (argon2, ~0.1 s) holds no lock: first the password
and code are checked against a plain read of the user, then the outcome is applied under the user's row
lock, where the lock state and the TOTP replay guard are checked again (two racing logins cannot both use
one code, and concurrent failures are all counted).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.security import mfa
from vigilant.security.audit import (
    LoginFailed,
    LoginLocked,
    LoginSucceeded,
    Logout,
    SessionEnded,
    TokenCreated,
    TokenRefused,
    TokenRevoked,
    TokenUsed,
    append,
)
from vigilant.security.errors import (
    AuthError,
    InvalidCredentials,
    PermissionDenied,
    SessionExpired,
)
from vigilant.security.errors import TokenRefused as TokenRefusedError
from vigilant.security.locking import lock_row
from vigilant.security.models import ApiTokenRow, SessionRow, UserRow
from vigilant.security.passwords import Passwords
from vigilant.security.rights import Actor, Permission, Role, parse_roles
from vigilant.security.secretbox import SecretBox
from vigilant.security.users import totp_purpose
from vigilant.store import Database

API_TOKEN_PREFIX = "vgt_"  # recognisable in logs and by secret scanners


@dataclass(frozen=True)
class AuthPolicy:
    """CJIS 5.5.3 (5 failures lock for 10 minutes) and 5.5.5 (session lock at 30 minutes or less)."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=10)
    idle_timeout: timedelta = timedelta(minutes=30)
    # A session's last use is written when it is this much older than now: one write a minute per session
    # instead of one per request (under load, each write serialised the requests on SQLite). The idle lock
    # then comes up to this much EARLIER than idle_timeout, never later.
    touch_every: timedelta = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiTokenInfo:
    id: int
    name: str
    roles: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewApiToken:
    id: int
    token: str  # shown once; only its hash is kept


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def actor_of(user: UserRow, *, roles: frozenset[Role] | None = None, source: str | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=parse_roles(user.roles) if roles is None else roles,
        agency_id=user.agency_id,
        source=source,
    )


@dataclass(frozen=True)
class _Checked:
    """What the lock-free first step of a login found."""

    password_ok: bool
    new_hash: str | None
    totp_step: int | None
    totp_replayed: bool


class AuthService:
    def __init__(
        self,
        db: Database,
        *,
        passwords: Passwords | None = None,
        policy: AuthPolicy | None = None,
        box: SecretBox | None = None,
    ) -> None:
        self.db = db
        self.passwords = passwords or Passwords()
        self.policy = policy or AuthPolicy()
        self.box = box or SecretBox.from_settings()

    # --- login and sessions ----------------------------------------------------------------------------
    def login(self, username: str, password: str, totp: str, *, source_ip: str | None, now: datetime) -> str:
        """A new session token, or :class:`InvalidCredentials` / :class:`AccountLocked` (all audited)."""
        with self.db.session() as s:
            user = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            user_id = None if user is None else user.id
            refusal = None if user is None else self._refusal(s, user, source_ip, now)
            if refusal is None and user is not None:
                checked = self._check(user, password, totp, now)
        if user_id is None or user is None:
            self.passwords.burn(password)  # as slow as a real check: no username probing by timing
            with self.db.session() as s:
                ev = LoginFailed(actor=username, source=source_ip, object_type="user", reason="unknown-user")
                append(s, ev, now=now)
            raise InvalidCredentials
        if refusal is not None:
            self.passwords.burn(password)  # a locked or disabled account costs what an unknown name costs
            raise refusal

        error: AuthError | None = None
        token = new_token()
        with self.db.session() as s:
            locked = lock_row(s, UserRow, user_id, touch=UserRow.failed_logins)
            if locked is None:  # deleted between the two steps
                raise InvalidCredentials
            refusal = self._refusal(s, locked, source_ip, now)  # a racing login may have locked it meanwhile
            if refusal is None:
                refusal = self._apply(s, locked, checked, token=token, source_ip=source_ip, now=now)
            error = refusal
        if error is not None:
            raise error
        return token

    def _refusal(self, s: Session, user: UserRow, source_ip: str | None, now: datetime) -> AuthError | None:
        """Refuse a locked or disabled account before its password is checked. The caller is told only
        :class:`InvalidCredentials`, as for an unknown name: saying "locked" would confirm that the name
        exists. The real reason goes to the audit log."""
        who, obj = actor_of(user, source=source_ip), {"object_type": "user", "object_id": str(user.id)}
        if user.disabled:
            append(s, LoginFailed.by(who, **obj, reason="disabled"), now=now)
            return InvalidCredentials()
        if user.locked_until is not None and now < user.locked_until:
            append(s, LoginLocked.by(who, **obj, locked_until=user.locked_until), now=now)
            return InvalidCredentials()
        return None

    def _check(self, user: UserRow, password: str, totp: str, now: datetime) -> _Checked:
        verified = self.passwords.verify(user.password_hash, password)
        if not verified.ok or user.totp_secret is None:
            return _Checked(verified.ok, None, None, totp_replayed=False)
        seed = self.box.open(user.totp_secret, purpose=totp_purpose(user.username))
        code = mfa.verify(seed, totp, now=now, last_step=user.totp_last_step)
        return _Checked(True, verified.new_hash, code.step, code.replayed)

    def _apply(
        self,
        s: Session,
        user: UserRow,
        checked: _Checked,
        *,
        token: str,
        source_ip: str | None,
        now: datetime,
    ) -> AuthError | None:
        who, obj = actor_of(user, source=source_ip), {"object_type": "user", "object_id": str(user.id)}
        reason = None
        if not checked.password_ok:
            reason = "bad-password"
        elif user.totp_secret is None:
            reason = "no-mfa"
        elif checked.totp_step is None:
            reason = "totp-replay" if checked.totp_replayed else "bad-totp"
        elif user.totp_last_step is not None and checked.totp_step <= user.totp_last_step:
            reason = "totp-replay"  # a racing login used this code first
        if reason is not None:
            # The lock counter is reset when the lock is set, so each lock follows 5 fresh failures.
            user.failed_logins += 1
            locked_until = None
            if user.failed_logins >= self.policy.max_failures:
                locked_until = now + self.policy.lock_for
                user.locked_until, user.failed_logins = locked_until, 0
            user.updated_at = now
            failures = self.policy.max_failures if locked_until else user.failed_logins
            ev = LoginFailed.by(who, **obj, reason=reason, failures=failures, locked_until=locked_until)
            append(s, ev, now=now)
            return InvalidCredentials()  # the lock, if this failure set one, is in the audit event only

        user.failed_logins, user.locked_until, user.totp_last_step = 0, None, checked.totp_step
        if checked.new_hash is not None:  # argon2 parameters were raised since this hash was made
            user.password_hash = checked.new_hash
        user.updated_at = now
        session = SessionRow(
            token_hash=token_digest(token),
            user_id=user.id,
            source_ip=source_ip,
            created_at=now,
            last_seen=now,
        )
        s.add(session)
        s.flush()
        rehashed = checked.new_hash is not None
        append(s, LoginSucceeded.by(who, **obj, session_id=session.id, password_rehashed=rehashed), now=now)
        return None

    def touch(self, token: str, *, now: datetime) -> Actor:
        """The caller behind a session token, marking it used; refuses ended and idle-expired sessions."""
        error: AuthError | None = None
        with self.db.session() as s:
            found = s.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.token_hash == token_digest(token))
            ).one_or_none()
            if found is None or found[0].ended_at is not None:
                raise SessionExpired()
            session, user = found
            reason = None
            if user.disabled:
                reason = "disabled"
            elif now - session.last_seen >= self.policy.idle_timeout:
                reason = "idle"
            if reason is None:
                if now - session.last_seen >= self.policy.touch_every:
                    session.last_seen = now
                return actor_of(user, source=session.source_ip)
            session.ended_at, session.end_reason = now, reason
            ev = SessionEnded(
                actor=user.username,
                actor_id=user.id,
                source=session.source_ip,
                object_type="session",
                object_id=str(session.id),
                session_id=session.id,
                reason=reason,
            )
            append(s, ev, now=now)
            error = SessionExpired(f"session ended: {'idle for 30 minutes' if reason == 'idle' else reason}")
        raise error

    def logout(self, token: str, *, now: datetime) -> None:
        """End the session (idempotent: an unknown or ended token is already logged out)."""
        with self.db.session() as s:
            session = s.scalars(
                select(SessionRow).where(SessionRow.token_hash == token_digest(token))
            ).first()
            if session is None or session.ended_at is not None:
                return
            user = s.get_one(UserRow, session.user_id)
            session.ended_at, session.end_reason = now, "logout"
            ev = Logout(
                actor=user.username,
                actor_id=user.id,
                source=session.source_ip,
                object_type="session",
                object_id=str(session.id),
                session_id=session.id,
            )
            append(s, ev, now=now)

    # --- API tokens ------------------------------------------------------------------------------------
    def create_api_token(
        self, actor: Actor, name: str, *, roles: frozenset[Role] | None = None, now: datetime
    ) -> NewApiToken:
        """A token for ``actor``'s own automation, with at most the actor's roles. Shown once."""
        if actor.user_id is None:
            raise PermissionDenied(actor.username, "own API tokens (the CLI actor is no user)")
        granted = actor.roles if roles is None else roles
        if not granted <= actor.roles:
            extra = ", ".join(sorted(granted - actor.roles))
            raise PermissionDenied(actor.username, f"grant roles it does not hold ({extra})")
        token = API_TOKEN_PREFIX + new_token()
        with self.db.session() as s:
            row = ApiTokenRow(
                name=name,
                token_hash=token_digest(token),
                user_id=actor.user_id,
                roles=sorted(granted),
                created_at=now,
            )
            s.add(row)
            s.flush()
            ev = TokenCreated.by(
                actor, object_type="api_token", object_id=str(row.id), name=name, roles=tuple(row.roles)
            )
            append(s, ev, now=now)
            return NewApiToken(row.id, token)

    def list_api_tokens(self, actor: Actor) -> list[ApiTokenInfo]:
        """The caller's own tokens, newest first (never the token itself: only its digest is stored)."""
        if actor.user_id is None:
            return []
        with self.db.session() as s:
            rows = s.scalars(
                select(ApiTokenRow)
                .where(ApiTokenRow.user_id == actor.user_id)
                .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id.desc())
            )
            return [
                ApiTokenInfo(r.id, r.name, tuple(r.roles), r.created_at, r.last_used_at, r.revoked_at)
                for r in rows
            ]

    def revoke_api_token(self, actor: Actor, token_id: int, *, now: datetime) -> None:
        """Revoke a token: its owner may, and so may whoever manages users."""
        with self.db.session() as s:
            row = s.get(ApiTokenRow, token_id)
            if row is None or (row.user_id != actor.user_id and not actor.may(Permission.USERS_MANAGE)):
                raise PermissionDenied(actor.username, f"revoke API token {token_id}")
            if row.revoked_at is None:
                row.revoked_at = now
                append(s, TokenRevoked.by(actor, object_type="api_token", object_id=str(row.id)), now=now)

    def authenticate_token(self, token: str, *, source_ip: str | None, now: datetime) -> Actor:
        """The caller behind an API token. Its roles are capped by the user's roles today."""
        with self.db.session() as s:
            found = s.execute(
                select(ApiTokenRow, UserRow)
                .join(UserRow, UserRow.id == ApiTokenRow.user_id)
                .where(ApiTokenRow.token_hash == token_digest(token))
            ).one_or_none()
            reason = "unknown"
            if found is not None:
                row, user = found
                obj = {"object_type": "api_token", "object_id": str(row.id)}
                who = actor_of(user, source=source_ip)
                reason = "revoked" if row.revoked_at else "user-disabled" if user.disabled else ""
                if not reason:
                    row.last_used_at = now
                    append(s, TokenUsed.by(who, **obj), now=now)
                    roles = parse_roles(row.roles) & parse_roles(user.roles)
                    return actor_of(user, roles=roles, source=source_ip)
                append(s, TokenRefused.by(who, **obj, reason=reason), now=now)
            else:
                ev = TokenRefused(actor="unknown", source=source_ip, object_type="api_token", reason=reason)
                append(s, ev, now=now)
        raise TokenRefusedError
