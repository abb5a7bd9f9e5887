"""The one exception base and the CLI's exit codes.

Every error a user can meet says what went wrong and what to do next; packages derive their own
exceptions from :class:`VigilantError` so the CLI can turn any of them into a clear message.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the ``vigilant`` command, stable for scripts."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    NOT_FOUND = 3
    BAD_INPUT = 4
    CONFLICT = 5
    PARTIAL = 6  # the job finished but refused some records
    DENIED = 7  # the caller's roles do not grant the action (nothing was done)
    INCOMPLETE = 8  # a triage run finished, but a volume of the evidence has no file system it could read


class VigilantError(Exception):
    """Base of every error Vigilant raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"


class ConfigError(VigilantError):
    exit_code = ExitCode.USAGE


class NotFoundError(VigilantError):
    exit_code = ExitCode.NOT_FOUND


class BadInputError(VigilantError):
    exit_code = ExitCode.BAD_INPUT


class ConflictError(VigilantError):
    exit_code = ExitCode.CONFLICT
