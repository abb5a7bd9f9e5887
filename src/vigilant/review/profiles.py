"""The category profiles a review queue can be categorised in, and which one a queue uses.

The same numbers mean different things in different schemes (``shared/reference/formats.md``, section 3),
so a code is never read without its profile:

* ``vic-us``, Project VIC (US), codes 0-4: 0 Non-Pertinent, 1 Child Abuse Material, 2 Child Exploitive /
  Age Difficult, 3 CGI/Animation, 4 Comparison Images (Autopsy's ``ImageGalleryService``). Its VICS 2.0
  files name the ``US`` region.
* ``dhs``, the legacy DHS scheme (Autopsy), codes 0-5: 0 Uncategorized, 1 Illegal, 2 Age Difficult, 3 CGI,
  4 Exemplar, 5 Non-pertinent. VICS has no region for it: its files name ``CUSTOM``, and an importer must
  be told the profile (``vigilant library import --profile dhs``).
* ``caid-uk``, UK CAID, the Sentencing Council grades A, B and C. Its VICS 2.0 files name ``UK``.

A queue (a triage run's) is categorised in one profile: the first decision chooses it and the later ones
keep it, so one run never mixes 1 meaning "abuse material" with 1 meaning "illegal" under another scheme.
Undoing every decision of the run frees the choice again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.errors import BadInputError
from vigilant.library.categories import PROFILES, CategoryProfile
from vigilant.review.models import ReviewDecisionRow, ReviewItemRow
from vigilant.store import Database

DEFAULT_PROFILE = "vic-us"


@dataclass(frozen=True)
class ReviewProfile:
    name: str
    region: str  # the VICS 2.0 region an export of this profile names
    source: str  # where the codes' meanings come from

    @property
    def categories(self) -> CategoryProfile:
        return PROFILES[self.name]

    @property
    def title(self) -> str:
        return self.categories.title

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys that record each category on the review page: the codes themselves."""
        return tuple(c.code for c in self.categories.categories)

    def describe_keys(self) -> str:
        keys = self.keys
        numeric = all(k.isdigit() for k in keys)
        return f"{keys[0]}-{keys[-1]}" if numeric else "/".join(keys)


REVIEW_PROFILES: dict[str, ReviewProfile] = {
    p.name: p
    for p in (
        ReviewProfile("vic-us", "US", "Project VIC US codes, as in Autopsy's ImageGalleryService"),
        ReviewProfile("dhs", "CUSTOM", "Autopsy's legacy DHS scheme"),
        ReviewProfile("caid-uk", "UK", "UK CAID: the Sentencing Council grades A, B and C"),
    )
}


def review_profile(name: str) -> ReviewProfile:
    """The review profile called ``name``; BadInputError naming the ones there are."""
    found = REVIEW_PROFILES.get(name)
    if found is None:
        raise BadInputError(
            f"profile {name!r} is not a review profile", hint=f"use one of {', '.join(REVIEW_PROFILES)}"
        )
    return found


def run_profiles(s: Session, run_ids: Iterable[int]) -> dict[int, set[str]]:
    """The profiles of the current (not undone) decisions of each run that has any."""
    runs = sorted(set(run_ids))
    if not runs:
        return {}
    query = (
        select(ReviewItemRow.run_id, ReviewDecisionRow.profile)
        .join(ReviewDecisionRow, ReviewDecisionRow.item_id == ReviewItemRow.id)
        .where(ReviewItemRow.run_id.in_(runs), ReviewDecisionRow.undone_at.is_(None))
        .distinct()
    )
    found: dict[int, set[str]] = {}
    for run, profile in s.execute(query):
        found.setdefault(int(run), set()).add(str(profile))
    return found


def profile_for(s: Session, run_ids: Iterable[int], chosen: str | None) -> ReviewProfile:
    """The profile a decision on items of ``run_ids`` is recorded in: ``chosen`` (checked against the
    profile the runs are already categorised in), else theirs, else the default."""
    used = run_profiles(s, run_ids)
    if chosen is not None:
        profile = review_profile(chosen)
        for run, names in sorted(used.items()):
            if names - {profile.name}:
                theirs = ", ".join(sorted(names))
                raise BadInputError(
                    f"run {run} is categorised in profile {theirs}, not {profile.name}: one run keeps one"
                    " profile, so that a code always means the same thing in it",
                    hint=f"choose {theirs}, or undo the run's decisions to change its profile",
                )
        return profile
    names = set().union(*used.values()) if used else set()
    if len(names) > 1:
        raise BadInputError(
            f"the items belong to runs categorised in different profiles ({', '.join(sorted(names))})",
            hint="name the profile of the decision",
        )
    return review_profile(names.pop() if names else DEFAULT_PROFILE)


def run_profile(db: Database, run_id: int) -> ReviewProfile | None:
    """The profile run ``run_id`` is categorised in; None while it has no decision (any may be chosen).
    The caller has checked that the run may be seen."""
    with db.session() as s:
        used = sorted(run_profiles(s, [run_id]).get(run_id, set()))
    return review_profile(used[0]) if used else None
