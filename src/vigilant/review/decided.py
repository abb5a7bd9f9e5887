"""A decided review item as the review's outputs read it: frozen records, not ORM rows (issue 12, item 5).

The exports (VICS), the promotion into the library and the series statistics read each item's digests and
the examiner's current decision after the session that found them has closed; the records are copied from
:class:`~vigilant.review.models.ReviewItemRow` and :class:`~vigilant.review.models.ReviewDecisionRow` where
they are read, so nothing reaches back for the database or flushes a caller's change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vigilant.review.models import ReviewDecisionRow, ReviewItemRow


@dataclass(frozen=True)
class DecidedItem:
    """The file a decision is about: its digests (bytes, as stored), size and stack."""

    id: int
    size: int
    md5: bytes | None
    sha1: bytes | None
    sha256: bytes | None
    pdq: bytes | None
    pdq_quality: int | None
    pdq_method: str | None  # full | 512, as the run made ``pdq``
    stack_id: int | None

    @classmethod
    def of(cls, row: ReviewItemRow) -> DecidedItem:
        return cls(
            id=row.id,
            size=row.size,
            md5=row.md5,
            sha1=row.sha1,
            sha256=row.sha256,
            pdq=row.pdq,
            pdq_quality=row.pdq_quality,
            pdq_method=row.pdq_method,
            stack_id=row.stack_id,
        )


@dataclass(frozen=True)
class CurrentDecision:
    """An examiner's current categorisation of an item, in the profile it was made in."""

    examiner: str
    profile: str
    category: str
    series: str | None
    new_series: bool
    victims: tuple[dict[str, Any], ...]  # age_band, sex, victim_id
    identified: bool
    offender_visible: bool
    sexual_assault: bool
    self_generated: bool
    suspected_ai: bool
    possible_production: bool

    @classmethod
    def of(cls, row: ReviewDecisionRow) -> CurrentDecision:
        return cls(
            examiner=row.examiner,
            profile=row.profile,
            category=row.category,
            series=row.series,
            new_series=row.new_series,
            victims=tuple(dict(v) for v in row.victims or ()),
            identified=row.identified,
            offender_visible=row.offender_visible,
            sexual_assault=row.sexual_assault,
            self_generated=row.self_generated,
            suspected_ai=row.suspected_ai,
            possible_production=row.possible_production,
        )
