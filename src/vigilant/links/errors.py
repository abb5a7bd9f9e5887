"""Errors of link analysis; each says what to do next."""

from __future__ import annotations

from vigilant.errors import BadInputError, ExitCode, NotFoundError, VigilantError


class LinksError(VigilantError):
    """Base of every error the links package raises."""


class EntityNotFoundError(LinksError, NotFoundError):
    """Also raised for an entity the caller may not see: its existence is not disclosed."""

    exit_code = ExitCode.NOT_FOUND


class BadEntityRefError(LinksError, BadInputError):
    exit_code = ExitCode.BAD_INPUT
