"""TOTP second factor (RFC 6238: 30-second steps, 6 digits, SHA-1, as authenticator apps expect).

A code is accepted for the current step and one step either side (clock drift), and never twice: the step
of the last accepted code is stored with the user, and only later steps are accepted after it. That also
refuses an older, still-in-window code once a newer one has been used.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp

ISSUER = "Vigilant"
STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of now


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (RFC 4226's recommended length)."""
    return str(pyotp.random_base32(length=32))


def provisioning_uri(secret: str, username: str, *, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app enrols from (shown once, as text or a QR code)."""
    return str(
        pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
            name=username, issuer_name=issuer
        )
    )


def step_of(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return str(pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step))


@dataclass(frozen=True)
class TotpCheck:
    ok: bool
    step: int | None = None  # the step the code matched: store it as the user's last accepted step
    replayed: bool = False  # the code was right but already used (or older than one used)


def verify(secret: str, code: str, *, now: datetime, last_step: int | None) -> TotpCheck:
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return TotpCheck(ok=False)
    current = step_of(now)
    replayed = False
    for step in range(current - WINDOW, current + WINDOW + 1):
        # compare_digest: the comparison takes as long whichever digit differs.
        if hmac.compare_digest(code_at(secret, step), code):
            if last_step is not None and step <= last_step:
                replayed = True
                continue
            return TotpCheck(ok=True, step=step)
    return TotpCheck(ok=False, replayed=replayed)
