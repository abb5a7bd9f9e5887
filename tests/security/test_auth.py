"""Logins, lockout, idle sessions and API tokens, on both engines, with an injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.security.conftest import ADMIN, PASSWORD, T0, Made, make_user
from vigilant.errors import BadInputError
from vigilant.security.audit import AuditLog, verify_chain
from vigilant.security.auth import AuthService
from vigilant.security.errors import (
    AuthError,
    InvalidCredentials,
    PermissionDenied,
    SessionExpired,
    TokenRefused,
)
from vigilant.security.models import AuditEventRow, SessionRow, UserRow
from vigilant.security.passwords import ArgonParams, Passwords, Verified
from vigilant.security.rights import Actor, Role
from vigilant.security.users import UserService
from vigilant.store import Database


def _actions(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        return [(r.action, r.outcome) for r in s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq))]


def test_login_gives_a_session_token_stored_only_as_a_hash(
    db: Database, auth: AuthService, users: UserService
) -> None:
    ann = make_user(users)
    token = auth.login("ann", PASSWORD, ann.code(T0), source_ip="198.51.100.4", now=T0)
    assert len(token) >= 43
    with db.session() as s:
        stored = s.scalars(select(SessionRow)).one()
    assert stored.token_hash != token.encode()
    assert token not in repr(stored.token_hash)
    actor = auth.touch(token, now=T0 + timedelta(minutes=1))
    assert (actor.username, actor.user_id, actor.roles, actor.agency_id) == (
        "ann",
        ann.user_id,
        frozenset({Role.INVESTIGATOR}),
        7,
    )
    assert _actions(db)[-1] == ("login.ok", "success")


@pytest.mark.parametrize("which", ["password", "totp", "user"])
def test_wrong_password_code_or_user_fail_alike_and_are_audited(
    db: Database, auth: AuthService, users: UserService, which: str
) -> None:
    ann = make_user(users)
    args = {"password": ("ann", "wrong password!!", ann.code(T0)), "totp": ("ann", PASSWORD, "000000")}
    username, password, code = args.get(which, ("nobody", PASSWORD, ann.code(T0)))
    if which == "totp" and ann.code(T0) == "000000":
        code = "111111"
    with pytest.raises(InvalidCredentials, match="unknown user, wrong password or wrong code"):
        auth.login(username, password, code, source_ip="198.51.100.4", now=T0)
    assert _actions(db)[-1] == ("login.failed", "failure")


def test_totp_replay_is_refused(db: Database, auth: AuthService, users: UserService) -> None:
    ann = make_user(users)
    code = ann.code(T0)
    auth.login("ann", PASSWORD, code, source_ip=None, now=T0)
    with pytest.raises(InvalidCredentials):
        auth.login("ann", PASSWORD, code, source_ip=None, now=T0 + timedelta(seconds=10))
    with db.session() as s:
        last = s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc())).first()
    assert last is not None
    assert last.detail["reason"] == "totp-replay"


def _verify_spy(auth: AuthService, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stored hashes that ``auth`` verifies a password against, in order (the dummy one included)."""
    checked: list[str] = []
    real_verify = auth.passwords.verify

    def spy(stored: str, password: str) -> Verified:
        checked.append(stored)
        return real_verify(stored, password)

    monkeypatch.setattr(auth.passwords, "verify", spy)
    return checked


def _stored_hash(db: Database, user_id: int) -> str:
    with db.session() as s:
        return s.get_one(UserRow, user_id).password_hash


def test_lockout_at_the_fifth_failure_for_ten_minutes_without_checking_the_password(
    db: Database, auth: AuthService, users: UserService, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = make_user(users)
    for i in range(5):
        with pytest.raises(InvalidCredentials):
            auth.login("ann", "wrong password!!", "123456", source_ip=None, now=T0 + timedelta(seconds=i))

    checked = _verify_spy(auth, monkeypatch)
    just_before = T0 + timedelta(seconds=4, minutes=10) - timedelta(microseconds=1)
    with pytest.raises(InvalidCredentials):  # the same answer as any failure: see the next test
        auth.login("ann", PASSWORD, ann.code(just_before), source_ip=None, now=just_before)
    # The right password would have worked: it was never checked against ann's hash (only a dummy one, so
    # that the refusal takes as long as any other).
    assert len(checked) == 1
    assert checked[0] != _stored_hash(db, ann.user_id)

    released = T0 + timedelta(seconds=4, minutes=10)
    assert auth.login("ann", PASSWORD, ann.code(released), source_ip=None, now=released)
    actions = [a for a, _ in _actions(db) if a.startswith("login")]
    assert actions == ["login.failed"] * 5 + ["login.locked", "login.ok"]
    with db.session() as s:
        user = s.get_one(UserRow, ann.user_id)
        assert (user.failed_logins, user.locked_until) == (0, None)
        locked = s.scalars(select(AuditEventRow).where(AuditEventRow.action == "login.locked")).one()
    assert locked.detail["locked_until"].startswith("2026-03-02T09:10:04")  # the real reason: audit only


@pytest.mark.parametrize("disabled", [False, True])
def test_a_locked_or_disabled_account_answers_as_an_unknown_name_does_with_the_same_work(
    db: Database, auth: AuthService, users: UserService, monkeypatch: pytest.MonkeyPatch, disabled: bool
) -> None:
    """Issue 11 item 18: a lockout told "account locked" for a real name and "login failed" for an unknown
    one, and refused the locked one without any argon2 work: both revealed which names exist."""
    ann = make_user(users)
    if disabled:
        users.disable(ADMIN, "ann", now=T0)
    checked = _verify_spy(auth, monkeypatch)

    def attempts(username: str) -> list[tuple[str, str, int]]:
        seen = []
        for i in range(8):  # 5 failures lock a real account; then the right password, still locked
            at = T0 + timedelta(seconds=i)
            password, code = ("wrong password!!", "123456") if i < 6 else (PASSWORD, ann.code(at))
            before = len(checked)
            with pytest.raises(AuthError) as refused:
                auth.login(username, password, code, source_ip="198.51.100.4", now=at)
            seen.append((type(refused.value).__name__, str(refused.value), len(checked) - before))
        return seen

    real, unknown = attempts("ann"), attempts("nobody")
    assert real == unknown
    assert [work for _, _, work in real] == [1] * 8  # one argon2 verify per attempt, on every path
    reasons = [a for a, _ in _actions(db) if a.startswith("login")]
    assert ("login.locked" in reasons) is not disabled  # the audit log still tells the real reason


def test_a_success_resets_the_failure_count(auth: AuthService, users: UserService) -> None:
    ann = make_user(users)
    for i in range(4):
        with pytest.raises(InvalidCredentials):
            auth.login("ann", "wrong password!!", "1", source_ip=None, now=T0 + timedelta(seconds=i))
    auth.login("ann", PASSWORD, ann.code(T0), source_ip=None, now=T0 + timedelta(seconds=5))
    with pytest.raises(InvalidCredentials):  # one failure, not a sixth: no lock
        auth.login("ann", "wrong password!!", "1", source_ip=None, now=T0 + timedelta(seconds=6))


def test_disabled_users_cannot_log_in_and_lose_their_sessions(
    db: Database, auth: AuthService, users: UserService
) -> None:
    ann = make_user(users)
    token = auth.login("ann", PASSWORD, ann.code(T0), source_ip=None, now=T0)
    users.disable(users_admin(), "ann", now=T0)
    with pytest.raises(SessionExpired):
        auth.touch(token, now=T0)
    later = T0 + timedelta(minutes=1)
    with pytest.raises(InvalidCredentials):
        auth.login("ann", PASSWORD, ann.code(later), source_ip=None, now=later)


def users_admin() -> Actor:
    return ADMIN


def test_rehash_on_login_when_parameters_change(db: Database, users: UserService) -> None:
    ann = make_user(users)
    stronger = AuthService(
        db, passwords=Passwords(ArgonParams(time_cost=2, memory_cost_kib=2048, parallelism=1))
    )
    stronger.login("ann", PASSWORD, ann.code(T0), source_ip=None, now=T0)
    with db.session() as s:
        assert s.get_one(UserRow, ann.user_id).password_hash.startswith("$argon2id$v=19$m=2048,t=2,p=1$")


def test_sessions_end_after_thirty_idle_minutes(db: Database, auth: AuthService, users: UserService) -> None:
    ann = make_user(users)
    token = auth.login("ann", PASSWORD, ann.code(T0), source_ip=None, now=T0)
    at = T0
    for _ in range(3):  # activity keeps it alive well past 30 minutes in all
        at += timedelta(minutes=29, seconds=59)
        auth.touch(token, now=at)
    with pytest.raises(SessionExpired, match="idle"):
        auth.touch(token, now=at + timedelta(minutes=30))
    with pytest.raises(SessionExpired):  # and it stays ended
        auth.touch(token, now=at + timedelta(minutes=30, seconds=1))
    assert _actions(db)[-1] == ("session.ended", "success")


def test_logout_ends_the_session(db: Database, auth: AuthService, users: UserService) -> None:
    ann = make_user(users)
    token = auth.login("ann", PASSWORD, ann.code(T0), source_ip=None, now=T0)
    auth.logout(token, now=T0)
    auth.logout(token, now=T0)  # idempotent
    with pytest.raises(SessionExpired):
        auth.touch(token, now=T0)
    with pytest.raises(SessionExpired):
        auth.touch("not a token", now=T0)
    assert [a for a, _ in _actions(db)].count("logout") == 1


def _logged_in(auth: AuthService, made: Made) -> str:
    return auth.login(made.username, PASSWORD, made.code(T0), source_ip=None, now=T0)


def test_api_tokens_are_shown_once_capped_by_roles_revocable_and_audited(
    db: Database, auth: AuthService, users: UserService
) -> None:
    ann = make_user(users, roles=frozenset({Role.INVESTIGATOR, Role.ANALYST}))
    ann_actor = auth.touch(_logged_in(auth, ann), now=T0)
    with pytest.raises(PermissionDenied, match="grant roles it does not hold"):
        auth.create_api_token(ann_actor, "x", roles=frozenset({Role.ADMIN}), now=T0)
    new = auth.create_api_token(ann_actor, "nightly export", roles=frozenset({Role.ANALYST}), now=T0)
    assert new.token.startswith("vgt_")
    bot = auth.authenticate_token(new.token, source_ip="192.0.2.9", now=T0)
    assert bot.roles == frozenset({Role.ANALYST})
    assert bot.source == "192.0.2.9"
    with pytest.raises(TokenRefused):
        auth.authenticate_token(new.token + "x", source_ip=None, now=T0)

    bob = make_user(users, "bob")
    bob_actor = auth.touch(_logged_in(auth, bob), now=T0)
    with pytest.raises(PermissionDenied):
        auth.revoke_api_token(bob_actor, new.id, now=T0)
    auth.revoke_api_token(ann_actor, new.id, now=T0)
    with pytest.raises(TokenRefused):
        auth.authenticate_token(new.token, source_ip=None, now=T0)
    token_events = [(a, o) for a, o in _actions(db) if a.startswith("token")]
    assert token_events == [
        ("token.created", "success"),
        ("token.used", "success"),
        ("token.refused", "failure"),
        ("token.revoked", "success"),
        ("token.refused", "failure"),
    ]
    assert verify_chain(db).ok


def test_a_token_loses_roles_its_user_lost(db: Database, auth: AuthService, users: UserService) -> None:
    ann = make_user(users, roles=frozenset({Role.INVESTIGATOR, Role.ANALYST}))
    new = auth.create_api_token(auth.touch(_logged_in(auth, ann), now=T0), "t", now=T0)
    with db.session() as s:
        s.get_one(UserRow, ann.user_id).roles = ["analyst"]
    assert auth.authenticate_token(new.token, source_ip=None, now=T0).roles == frozenset({Role.ANALYST})
    users.disable(users_admin(), "ann", now=T0)
    with pytest.raises(TokenRefused):
        auth.authenticate_token(new.token, source_ip=None, now=T0)


def test_user_admin_needs_users_manage_and_the_refusal_is_audited(
    db: Database, auth: AuthService, users: UserService
) -> None:
    ann = make_user(users)
    ann_actor = auth.touch(_logged_in(auth, ann), now=T0)
    with pytest.raises(PermissionDenied, match=r"ann may not users\.manage"):
        users.create(ann_actor, "mallory", PASSWORD, roles=frozenset({Role.ADMIN}), agency_id=1, now=T0)
    assert _actions(db)[-1] == ("permission.denied", "denied")
    assert AuditLog(db).count() == len(_actions(db))


def test_a_user_must_belong_to_an_agency_that_exists(users: UserService) -> None:
    with pytest.raises(BadInputError, match="no agency 99"):
        users.create(ADMIN, "zed", PASSWORD, roles=frozenset({Role.ANALYST}), agency_id=99, now=T0)
