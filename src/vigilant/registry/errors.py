"""The registry's one exception base: errors that say what to do next (the exit code and HTTP status
follow from each class's exit code)."""

from __future__ import annotations

from vigilant.errors import ExitCode, VigilantError


class RegistryError(VigilantError):
    """Input the registry cannot take: a rules file, an import row, a value out of range."""

    exit_code = ExitCode.BAD_INPUT


class RegistrantNotFound(RegistryError):
    """No registrant (or alert, or address) by that reference that the caller may see."""

    exit_code = ExitCode.NOT_FOUND


class PurposeRequired(RegistryError):
    """An investigator's query of the registry without a recorded purpose."""
