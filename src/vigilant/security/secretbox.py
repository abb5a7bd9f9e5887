"""Secrets kept in the database, sealed with a key that is not: TOTP seeds are encrypted at rest.

A TOTP seed lets whoever holds it make valid codes forever, so a copy of the database (a backup, a dump
handed to a vendor) must not carry usable seeds. Each seed is sealed with AES-256-GCM under a key read from
a file outside the database (``VIGILANT_SECRET_KEY_FILE``, by default ``secret.key`` in the data dir,
created on first use with mode 0600). The sealed text names its format (``v1:``) and is bound to its
purpose, e.g. ``totp:ann``: a seed copied onto another user's row does not open.

Every server of one installation needs the same key file. Lose it and the seeds cannot be opened: users
then enrol again (``vigilant users reset-mfa``); nothing else depends on it.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vigilant.config import Settings
from vigilant.errors import ConfigError, VigilantError

KEY_BYTES = 32
NONCE_BYTES = 12
PREFIX = "v1:"


class SecretUnreadable(VigilantError):
    """A sealed secret that this key cannot open (another key, or an edited value)."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigError(f"a secret key is {KEY_BYTES} bytes, this one is {len(key)}")
        self._aead = AESGCM(key)

    @classmethod
    def generate(cls) -> SecretBox:
        """A box with a fresh key held only in memory (tests)."""
        return cls(AESGCM.generate_key(bit_length=KEY_BYTES * 8))

    @classmethod
    def from_file(cls, path: Path) -> SecretBox:
        """The key in ``path``, made there first (owner-only) when the file does not exist yet."""
        try:
            return cls(_read_key(path))
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        try:
            # O_EXCL: two processes starting together cannot each write a different key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls(_read_key(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.b64encode(key) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        return cls(key)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SecretBox:
        return cls.from_file((settings or Settings.from_env()).secret_key_file)

    def seal(self, plaintext: str, *, purpose: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, *, purpose: str) -> str:
        kind = purpose.split(":", maxsplit=1)[0]
        if not sealed.startswith(PREFIX):
            raise SecretUnreadable(
                f"the stored {kind} secret is not sealed",
                hint="reset it (for TOTP: `vigilant users reset-mfa USER`)",
            )
        try:
            raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode())
        except (InvalidTag, ValueError):
            raise SecretUnreadable(
                f"the stored {kind} secret does not open with this installation's key",
                hint="check VIGILANT_SECRET_KEY_FILE is the key file it was sealed with, or reset it",
            ) from None
        return plain.decode()


def _read_key(path: Path) -> bytes:
    text = path.read_bytes().strip()
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        raise ConfigError(f"{path} does not hold a base64 key", hint="restore the key file") from None
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} can be read by other users of this machine", hint=f"chmod 600 {path}")
    return key
