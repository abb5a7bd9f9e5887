"""Field parsing shared by the readers: each helper returns the clean value or raises :class:`Refused`.

A reader catches :class:`Refused` around one row and turns it into a :class:`RowProblem` at that row's
location, so one bad row never stops an import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from vigilant.errors import BadInputError
from vigilant.hashing.digests import DigestKind, InvalidDigestError
from vigilant.library.records import KnownEntry, RowProblem

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
TAG_SEPARATOR = ";"


class Refused(BadInputError):
    """One row cannot be taken; ``reason`` is the short code counted in import reports."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail

    def at(self, location: str) -> RowProblem:
        return RowProblem(location, self.reason, self.detail)


def digest(kind: DigestKind, value: object) -> bytes | None:
    """Raw bytes of a hex digest; ``None`` for a missing or empty value."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Refused(f"bad-{kind.name}", f"{kind.label} {value!r:.60} is not text")
    if value.strip() == "":
        return None
    try:
        return kind.parse(value)
    except InvalidDigestError as exc:
        raise Refused(f"bad-{kind.name}", exc.message) from None


def size(value: object) -> int | None:
    """A file size in bytes: an integer, an integral float, or decimal digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Refused("bad-size", f"size {value!r} is not a number")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise Refused("bad-size", f"size {value!r} is not a whole number of bytes")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        if not text.isdigit():
            raise Refused("bad-size", f"size {text!r} is not a whole number of bytes")
        value = int(text)
    if not isinstance(value, int):
        raise Refused("bad-size", f"size is a {type(value).__name__}, not a number")
    if value < 0:
        raise Refused("bad-size", f"size {value} is negative")
    return value


def flag(value: object, field: str) -> bool | None:
    """A yes/no field: real booleans, or the ``"true"``/``"false"`` strings some tools write."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "":
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise Refused("bad-flag", f"{field} {value!r} is not true or false")


def text(value: object, field: str) -> str | None:
    """Free text; numbers are kept as their text, anything structured is refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Refused(f"bad-{field}", f"{field} {value!r} is not text")
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise Refused(f"bad-{field}", f"{field} is a {type(value).__name__}, not text")
    value = value.strip()
    return value or None


def quality(value: object) -> int | None:
    """A PDQ quality score, 0 to 100, as a number or as digits."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise Refused("bad-pdq-quality", f"PDQ quality {value!r} is not a whole number from 0 to 100")
    return value


def category(value: object) -> str | None:
    """The raw category code as text; whether it exists is for the importer to say (it knows the profile)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return text(value, "category")


def tags(value: object) -> tuple[str, ...]:
    """Tags as one ``;``-separated string or as a list of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return split_tags(value)
    if isinstance(value, list):
        found: list[str] = []
        for item in value:
            tag = text(item, "tags")
            if tag is not None:
                found.append(tag)
        return tuple(found)
    raise Refused("bad-tags", f"tags are a {type(value).__name__}, not text or a list")


def split_tags(value: str) -> tuple[str, ...]:
    return tuple(tag for part in value.split(TAG_SEPARATOR) if (tag := part.strip()))


def require_digest(entry: KnownEntry) -> KnownEntry:
    if not entry.digests():
        raise Refused("no-digest", "the row carries no digest Vigilant can match on")
    return entry


def first_text(values: Iterable[object]) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
