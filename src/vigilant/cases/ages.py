"""Ages on a given day, the way the law counts them."""

from __future__ import annotations

from datetime import date

ADULT_AGE = 18


def age_on(date_of_birth: date, day: date) -> int:
    """Completed years on ``day``.

    Someone born on 29 February turns a year older on 1 March in common years: (2, 28) < (2, 29). That is
    the later of the two readings, so the YCJA protects them for the extra day rather than the other way.
    """
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def was_youth(date_of_birth: date, day: date) -> bool:
    """Under 18 on ``day`` (YCJA s.2: a young person is 12 or older but under 18)."""
    return age_on(date_of_birth, day) < ADULT_AGE
