"""Password hashing (argon2id) and the minimum password policy.

Parameters are explicit, not argon2-cffi's defaults, so a library upgrade never silently changes them; when
we raise them, :meth:`Passwords.verify` tells the caller to store a fresh hash at the next successful login.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vigilant.security.errors import WeakPassword

MIN_LENGTH = 12
# Argon2 hashes whatever it is given; a cap stops a megabyte "password" from being a cheap denial of service.
MAX_LENGTH = 1024


@dataclass(frozen=True)
class ArgonParams:
    """RFC 9106's second recommended option (64 MiB, 3 passes), with 4 lanes."""

    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 4
    hash_len: int = 32
    salt_len: int = 16


@dataclass(frozen=True)
class Verified:
    ok: bool
    new_hash: str | None = None  # set when the stored hash used other parameters: store this one instead


class Passwords:
    def __init__(self, params: ArgonParams | None = None) -> None:
        self.params = params or ArgonParams()
        self._hasher = PasswordHasher(
            time_cost=self.params.time_cost,
            memory_cost=self.params.memory_cost_kib,
            parallelism=self.params.parallelism,
            hash_len=self.params.hash_len,
            salt_len=self.params.salt_len,
            type=Type.ID,
        )
        # Checked against unknown usernames so that they take as long as known ones (no user enumeration).
        self._dummy = self._hasher.hash("vigilant: no such user")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> Verified:
        try:
            self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verified(ok=False)
        if self._hasher.check_needs_rehash(stored):
            return Verified(ok=True, new_hash=self._hasher.hash(password))
        return Verified(ok=True)

    def burn(self, password: str) -> None:
        """Spend one verification's time without a real hash (for unknown or disabled users)."""
        self.verify(self._dummy, password)


def check_policy(password: str, username: str) -> None:
    """Raise :class:`WeakPassword` saying what to change, or return if the password is acceptable."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"password too short: {len(password)} characters, at least {MIN_LENGTH} needed",
            hint="a passphrase of several words is long enough and easy to type",
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"password too long: at most {MAX_LENGTH} characters")
    if username and username.casefold() in password.casefold():
        raise WeakPassword(
            "password contains the username", hint="choose one that does not include your username"
        )
    if len(set(password)) < 4:
        raise WeakPassword(
            "password repeats too few characters", hint="use a passphrase, not one key held down"
        )
