"""argon2id hashing with explicit parameters, rehash when they change, and the password policy."""

from __future__ import annotations

import pytest

from tests.security.conftest import FAST
from vigilant.security.errors import WeakPassword
from vigilant.security.passwords import ArgonParams, Passwords, check_policy


def test_hashes_are_argon2id_with_the_parameters_given() -> None:
    stored = Passwords(FAST).hash("a long enough passphrase")
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_default_parameters_are_explicit_and_strong() -> None:
    params = ArgonParams()
    assert (params.memory_cost_kib, params.time_cost, params.parallelism) == (65536, 3, 4)
    assert Passwords().hash("a long enough passphrase").startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_verify_accepts_the_password_and_refuses_others() -> None:
    pw = Passwords(FAST)
    stored = pw.hash("a long enough passphrase")
    assert pw.verify(stored, "a long enough passphrase").ok
    assert not pw.verify(stored, "a long enough passphrasE").ok
    assert not pw.verify("not a hash", "anything").ok


def test_a_hash_made_with_old_parameters_is_replaced_on_success() -> None:
    old = Passwords(FAST).hash("a long enough passphrase")
    stronger = Passwords(ArgonParams(time_cost=2, memory_cost_kib=2048, parallelism=1))
    result = stronger.verify(old, "a long enough passphrase")
    assert result.ok
    assert result.new_hash is not None
    assert result.new_hash.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    assert stronger.verify(result.new_hash, "a long enough passphrase").new_hash is None
    assert stronger.verify(old, "wrong").new_hash is None  # never rehash on a failure


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "too short: 5 characters, at least 12"),
        ("elevenchars", "too short: 11 characters"),
        ("ann", "too short"),
        ("my-name-is-ANN-ok", "contains the username"),
        ("a" * 20, "too few characters"),
        ("x" * 1025, "too long"),
    ],
)
def test_policy_refuses_with_a_clear_message(password: str, message: str) -> None:
    with pytest.raises(WeakPassword, match=message):
        check_policy(password, "ann")


def test_policy_accepts_a_passphrase_of_twelve() -> None:
    check_policy("twelve chars", "ann")
    check_policy("correct horse battery staple", "ann")
