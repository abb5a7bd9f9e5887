"""TOTP seeds are sealed at rest: the database alone never yields a usable seed."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.security.conftest import PASSWORD, T0, make_user
from vigilant.config import Settings
from vigilant.errors import ConfigError
from vigilant.security import mfa
from vigilant.security.auth import AuthService
from vigilant.security.models import UserRow
from vigilant.security.passwords import Passwords
from vigilant.security.secretbox import SecretBox, SecretUnreadable
from vigilant.security.users import UserService
from vigilant.store import Database


def test_seal_and_open_are_bound_to_the_key_and_the_purpose() -> None:
    box = SecretBox.generate()
    sealed = box.seal("JBSWY3DPEHPK3PXP", purpose="totp:ann")
    assert sealed.startswith("v1:")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert sealed != box.seal("JBSWY3DPEHPK3PXP", purpose="totp:ann")  # a fresh nonce each time
    assert box.open(sealed, purpose="totp:ann") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SecretUnreadable, match="does not open"):
        box.open(sealed, purpose="totp:bob")  # copied onto another user's row
    with pytest.raises(SecretUnreadable, match="does not open"):
        SecretBox.generate().open(sealed, purpose="totp:ann")  # another installation's key
    # One bit of the ciphertext flipped. (Flipping a base64 character was flaky: next to the padding, some
    # characters differ only in bits the decoder ignores, so the bytes stayed the same in ~6 % of runs.)
    raw = bytearray(base64.urlsafe_b64decode(sealed[len("v1:") :]))
    raw[-1] ^= 0x01
    flipped = "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")
    with pytest.raises(SecretUnreadable):
        box.open(flipped, purpose="totp:ann")
    with pytest.raises(SecretUnreadable, match="not sealed"):
        box.open("JBSWY3DPEHPK3PXP", purpose="totp:ann")


def test_the_key_file_is_made_once_owner_only_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "secret.key"
    sealed = SecretBox.from_file(path).seal("seed", purpose="p")
    assert path.stat().st_mode & 0o777 == 0o600
    assert SecretBox.from_file(path).open(sealed, purpose="p") == "seed"  # the same key, read back
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        SecretBox.from_file(path)
    os.chmod(path, 0o600)
    path.write_text("not base64!\n")
    with pytest.raises(ConfigError, match="base64"):
        SecretBox.from_file(path)


def test_settings_name_the_key_file(tmp_path: Path) -> None:
    default = Settings.from_env({"VIGILANT_DATA_DIR": str(tmp_path), "VIGILANT_USER": "u"})
    assert default.secret_key_file == tmp_path / "secret.key"
    chosen = Settings.from_env(
        {"VIGILANT_DATA_DIR": str(tmp_path), "VIGILANT_USER": "u", "VIGILANT_SECRET_KEY_FILE": "/srv/k"}
    )
    assert chosen.secret_key_file == Path("/srv/k")


def test_the_database_holds_no_usable_seed(
    db: Database, users: UserService, auth: AuthService, passwords: Passwords
) -> None:
    ann = make_user(users)
    with db.session() as s:
        stored = s.scalars(select(UserRow.totp_secret).where(UserRow.username == "ann")).one()
    assert stored is not None
    assert stored.startswith("v1:")
    assert ann.secret not in stored
    # The same database with another installation's key: the login fails loudly, not silently.
    stranger = AuthService(db, passwords=passwords, box=SecretBox.generate())
    with pytest.raises(SecretUnreadable):
        stranger.login("ann", PASSWORD, mfa.code_at(ann.secret, mfa.step_of(T0)), source_ip=None, now=T0)
