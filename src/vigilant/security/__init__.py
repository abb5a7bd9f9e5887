"""Security core: users, passwords, TOTP, sessions, API tokens, rights, and the hash-chained audit log.

Services here receive the caller (an :class:`~vigilant.security.rights.Actor`) and the time explicitly;
nothing reaches for web globals, so the CLI, the web application and tests drive the same code.
"""

from vigilant.security.errors import (
    AuthError,
    InvalidCredentials,
    PermissionDenied,
    SecurityError,
    SessionExpired,
    WeakPassword,
)
from vigilant.security.rights import Actor, Permission, Role, require

__all__ = [
    "Actor",
    "AuthError",
    "InvalidCredentials",
    "Permission",
    "PermissionDenied",
    "Role",
    "SecurityError",
    "SessionExpired",
    "WeakPassword",
    "require",
]
