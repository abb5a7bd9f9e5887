"""Errors of the cases domain; each says what to do next."""

from __future__ import annotations

from vigilant.errors import BadInputError, ConflictError, ExitCode, NotFoundError, VigilantError


class CasesError(VigilantError):
    """Base of every error the cases domain raises."""


class InvalidIdentifierError(CasesError, BadInputError):
    exit_code = ExitCode.BAD_INPUT


class RecordNotFoundError(CasesError, NotFoundError):
    """Also raised for records that exist but the caller may not see: existence itself is not disclosed."""

    exit_code = ExitCode.NOT_FOUND


class DuplicateRecordError(CasesError, ConflictError):
    exit_code = ExitCode.CONFLICT


class InvalidRecordError(CasesError, BadInputError):
    exit_code = ExitCode.BAD_INPUT
