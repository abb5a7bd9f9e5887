"""TOTP with a fixed clock: the current code, one step either side, and no replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from vigilant.security import mfa

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)


def test_codes_agree_with_pyotp_and_rfc6238_timing() -> None:
    assert mfa.code_at(SECRET, mfa.step_of(NOW)) == pyotp.TOTP(SECRET).at(NOW)
    assert mfa.step_of(NOW) == int(NOW.timestamp()) // 30


def test_provisioning_uri_names_the_user_and_issuer() -> None:
    uri = mfa.provisioning_uri(SECRET, "ann")
    assert uri.startswith("otpauth://totp/Vigilant:ann?")
    assert f"secret={SECRET}" in uri
    assert "issuer=Vigilant" in uri


def test_new_secrets_are_160_bits_and_differ() -> None:
    a, b = mfa.new_secret(), mfa.new_secret()
    assert len(a) == 32
    assert a != b


def test_current_and_adjacent_steps_are_accepted_further_ones_are_not() -> None:
    step = mfa.step_of(NOW)
    for offset in (-1, 0, 1):
        check = mfa.verify(SECRET, mfa.code_at(SECRET, step + offset), now=NOW, last_step=None)
        assert check.ok
        assert check.step == step + offset
    for offset in (-3, -2, 2, 3):
        assert not mfa.verify(SECRET, mfa.code_at(SECRET, step + offset), now=NOW, last_step=None).ok


def test_a_code_is_accepted_once_only() -> None:
    code = mfa.code_at(SECRET, mfa.step_of(NOW))
    first = mfa.verify(SECRET, code, now=NOW, last_step=None)
    assert first.ok
    again = mfa.verify(SECRET, code, now=NOW + timedelta(seconds=20), last_step=first.step)
    assert not again.ok
    assert again.replayed
    # An older code still inside the window is refused too once a newer one was used.
    older = mfa.code_at(SECRET, mfa.step_of(NOW) - 1)
    assert not mfa.verify(SECRET, older, now=NOW, last_step=first.step).ok
    # The next step's code is fine.
    later = NOW + timedelta(seconds=30)
    assert mfa.verify(SECRET, mfa.code_at(SECRET, mfa.step_of(later)), now=later, last_step=first.step).ok


def test_malformed_codes_are_refused() -> None:
    for code in ("", "12345", "1234567", "abcdef", "12 34 5"):
        assert not mfa.verify(SECRET, code, now=NOW, last_step=None).ok
    spaced = mfa.code_at(SECRET, mfa.step_of(NOW))
    assert mfa.verify(SECRET, f"{spaced[:3]} {spaced[3:]}", now=NOW, last_step=None).ok
