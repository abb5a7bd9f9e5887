"""The security package's one exception base and its errors; each says what to do next."""

from __future__ import annotations

from vigilant.errors import BadInputError, ExitCode, NotFoundError, VigilantError


class SecurityError(VigilantError):
    """Base of every error the security package raises on purpose."""


class AuthError(SecurityError):
    """Authentication failed: the caller is not (or no longer) known."""


class InvalidCredentials(AuthError):
    """Wrong username, password or code, or a locked or disabled account. Deliberately vague: it must not
    tell which, nor whether the name exists (a lockout that said "locked" would); the audit log says."""

    def __init__(self) -> None:
        super().__init__(
            "login failed: unknown user, wrong password or wrong code",
            hint=(
                "check all three; after 5 failures in a row an account locks for 10 minutes: wait, or ask "
                "an administrator if you did not make these attempts"
            ),
        )


class SessionExpired(AuthError):
    def __init__(self, message: str = "session ended: idle too long, logged out, or unknown") -> None:
        super().__init__(message, hint="log in again")


class TokenRefused(AuthError):
    def __init__(self) -> None:
        super().__init__(
            "API token refused: unknown, revoked, or its user is disabled",
            hint="ask for a new token; tokens are shown once, when created",
        )


class PermissionDenied(SecurityError):
    """The one refusal of the platform (web: 403, CLI: exit code DENIED): a role that does not grant the
    permission, or a rule of the domain (``message`` and ``hint`` say which and what to do)."""

    exit_code = ExitCode.DENIED

    def __init__(
        self, username: str, permission: str, *, message: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(
            message or f"{username} may not {permission}",
            hint=hint or "ask an administrator for a role that grants it (see docs/security.md)",
        )
        self.permission = permission


class WeakPassword(SecurityError, BadInputError):
    exit_code = ExitCode.BAD_INPUT


class UnknownUser(SecurityError, NotFoundError):
    exit_code = ExitCode.NOT_FOUND

    def __init__(self, username: str) -> None:
        super().__init__(f"no user named {username!r}", hint="`vigilant users list` shows them")


class UserExists(SecurityError):
    exit_code = ExitCode.CONFLICT

    def __init__(self, username: str) -> None:
        super().__init__(f"a user named {username!r} already exists", hint="choose another username")
