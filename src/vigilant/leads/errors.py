"""The leads package's exceptions: every one says what to do next."""

from __future__ import annotations

from vigilant.errors import BadInputError, ConflictError, NotFoundError, VigilantError


class LeadError(VigilantError):
    """Base of the leads package's errors."""


class LeadNotFoundError(LeadError, NotFoundError):
    """No lead with that id or key."""


class LeadInputError(LeadError, BadInputError):
    """A file or value the leads code cannot use as given."""


class TransitionError(LeadError, ConflictError):
    """A lifecycle step that is not allowed from the lead's current status, or lacks what the law requires."""
