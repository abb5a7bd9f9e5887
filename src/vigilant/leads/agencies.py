"""Agencies as leads name them: the jurisdiction table's names and ``leads assign``'s argument, resolved to
rows of the agency table (:class:`vigilant.cases.models.AgencyRow`) so that scoping compares ids, not text.

A jurisdiction table names an agency by its name or its short name, ignoring case. Assigning takes an id or
a short name, exactly one agency or a refusal that says which agencies there are.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.models import AgencyRow
from vigilant.leads.errors import LeadInputError

MAX_AGENCY_ID = 2**31 - 1  # agency.id is an INTEGER column


def _fold(text: str) -> str:
    return text.strip().casefold()


class AgencyNames:
    """Name or short name (any case) to agency id, for a build: one query, then lookups. A text that names
    two agencies (one's name is the other's short name) matches neither."""

    def __init__(self, agencies: Iterable[AgencyRow]) -> None:
        ids: dict[str, set[int]] = {}
        for agency in agencies:
            for text in {agency.name, agency.short_name}:
                if text and text.strip():
                    ids.setdefault(_fold(text), set()).add(agency.id)
        self._ids = ids

    @classmethod
    def load(cls, s: Session) -> AgencyNames:
        return cls(s.scalars(select(AgencyRow)))

    def id_of(self, name: str | None) -> int | None:
        found = self._ids.get(_fold(name), set()) if name and name.strip() else set()
        return next(iter(found)) if len(found) == 1 else None


def agency_for(s: Session, ref: str | int) -> AgencyRow:
    """The agency a caller names by id or short name (any case); a clear refusal for any other text."""
    text = str(ref).strip()
    row: AgencyRow | None = None
    if text.isascii() and text.isdigit():  # "²" is a digit to isdigit() and no number to int()
        # An INTEGER key at most: a larger number names no agency (PostgreSQL refuses to compare it).
        row = s.get(AgencyRow, int(text)) if int(text) <= MAX_AGENCY_ID else None
    elif text:
        row = s.scalars(select(AgencyRow).where(AgencyRow.short_name == text.upper())).one_or_none()
    if row is None:
        known = ", ".join(
            f"{a.short_name} ({a.id})" for a in s.scalars(select(AgencyRow).order_by(AgencyRow.id))
        )
        raise LeadInputError(
            f"no agency {text or '(none given)'}",
            hint=f"give an agency's id or short name: {known}"
            if known
            else "no agency is recorded yet: add one with `vigilant cases agencies add`",
        )
    return row


def agency_filter(s: Session, ref: str | int) -> AgencyRow:
    """The agency a queue filter names: id, short name or full name, ignoring case."""
    text = str(ref).strip()
    found = AgencyNames.load(s).id_of(text)
    if found is None and not (text.isascii() and text.isdigit()):
        raise LeadInputError(f"no agency {text}", hint="choose an agency from the list")
    return agency_for(s, found if found is not None else text)
