"""What review produces: a VICS 2.0 export of the decisions, a promoted library set, the material figures.

* The export is made of the library's own VICS Media objects (so Vigilant's importer, Griffeye and others
  read it back): one per distinct file decided (Category, Series, VictimIdentified, OffenderIdentified,
  IsDistributed, Tags; MD5/SHA-1/SHA-256 and the PDQ hash), in the codes of the decisions' profile
  (:mod:`vigilant.review.vics_out`). Paths and names of the seized files are left out: the hashes identify
  the material.
* Promoting imports that export as a new version of a known-bad set, with its provenance (scope, examiner,
  date) as its source and description, so the next triage finds the material by digest and by PDQ. A set
  keeps its profile: a new version is written in the codes of the set's earlier versions.
* The figures count decisions of abuse material only, per series (a decision without a series counts as a
  series of its stack): the share of depicted victims under 12, by sex, and of series with sexual assault,
  each with the counts behind it. Nobody is named.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from vigilant.cases.access import audit
from vigilant.errors import BadInputError
from vigilant.library.categories import PROFILES, CategoryClass
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import HashSetInfo, ImportReport, SetKind, StoredEntry
from vigilant.library.store import LibraryStore
from vigilant.perceptual.pdq import PdqMethod
from vigilant.review.context import ReviewContext
from vigilant.review.decided import CurrentDecision, DecidedItem
from vigilant.review.models import ReviewDecisionRow, ReviewItemRow
from vigilant.review.profiles import DEFAULT_PROFILE, ReviewProfile, review_profile
from vigilant.review.queue import current_decision
from vigilant.review.scope import Scope, items_query
from vigilant.review.vics_out import write_vics
from vigilant.security.audit import Exported, RecordRead
from vigilant.security.rights import Actor, Permission, require

PROMOTED_CLASSES = frozenset({CategoryClass.ABUSE, CategoryClass.EXPLOITIVE})


def _decided(ctx: ReviewContext, actor: Actor, scope: Scope) -> list[tuple[DecidedItem, CurrentDecision]]:
    items = items_query(ctx.db, actor, scope).subquery()
    query = (
        select(ReviewItemRow, ReviewDecisionRow)
        .join(items, items.c.id == ReviewItemRow.id)
        .join(ReviewDecisionRow, ReviewDecisionRow.item_id == ReviewItemRow.id)
        .where(current_decision())
        .order_by(ReviewItemRow.id)
    )
    with ctx.db.session() as s:
        return [(DecidedItem.of(i), CurrentDecision.of(d)) for i, d in s.execute(query)]


def tags_of(decision: CurrentDecision) -> tuple[str, ...]:
    flags = (
        ("new-series", decision.new_series),
        ("possible-production", decision.possible_production),
        ("sexual-assault", decision.sexual_assault),
        ("offender-visible", decision.offender_visible),
        ("self-generated", decision.self_generated),
        ("suspected-ai", decision.suspected_ai),
    )
    return tuple(name for name, on in flags if on)


def _entries(
    decided: list[tuple[DecidedItem, CurrentDecision]], *, only: frozenset[CategoryClass] | None = None
) -> tuple[list[HashSetInfo], list[StoredEntry]]:
    methods = [i.pdq_method for i, _ in decided if i.pdq is not None and i.pdq_method is not None]
    method = max(set(methods), key=methods.count) if methods else PdqMethod.FULL.value
    sets: dict[str, HashSetInfo] = {}
    entries: list[StoredEntry] = []
    seen: set[bytes] = set()
    for item, decision in decided:
        profile = PROFILES[decision.profile]
        category = profile.get(decision.category)
        if only is not None and (category is None or category.cls not in only):
            continue
        key = item.sha256 or item.md5 or item.pdq
        if key is None or key in seen:
            continue
        seen.add(key)
        info = sets.get(decision.profile) or _set(decision.profile, method)
        sets[decision.profile] = info
        entries.append(
            StoredEntry(
                id=item.id,
                hash_set=info,
                md5=item.md5,
                sha1=item.sha1,
                sha256=item.sha256,
                pdq=item.pdq if item.pdq_method == method else None,
                pdq_quality=item.pdq_quality if item.pdq_method == method else None,
                btih_v1=None,
                btih_v2=None,
                bt_v2_root=None,
                size=item.size,
                category=decision.category,
                series=decision.series,
                victim_identified=decision.identified,
                offender_identified=None,  # review sees whether an offender is visible, not who it is
                distributed=None,
                tags=tags_of(decision),
                comments=None,
                file_name=None,
                location=f"review item {item.id}",
                extra={},
            )
        )
    return list(sets.values()), entries


def _set(profile: str, method: str) -> HashSetInfo:
    return HashSetInfo(
        id=0, name="review", version="1", kind=SetKind.KNOWN_BAD, profile=profile, source=None,
        format="vics", source_file="", source_sha256="", source_size=0, imported_at=datetime.now(UTC),
        imported_by="", entry_count=0, refused_count=0, pdq_threshold=31, pdq_method=method,
    )  # fmt: skip


def export_profile(decided: list[tuple[DecidedItem, CurrentDecision]], chosen: str | None) -> ReviewProfile:
    """The profile an export is written in: ``chosen``, else the one its decisions were made in."""
    if chosen is not None:
        return review_profile(chosen)
    used = sorted({d.profile for _, d in decided})
    if len(used) > 1:
        raise BadInputError(
            f"the decisions were made in profiles {', '.join(used)}: the export needs one",
            hint="name the profile to write (--profile); the others' categories are carried over by meaning",
        )
    return review_profile(used[0] if used else DEFAULT_PROFILE)


def export_vics(
    ctx: ReviewContext,
    actor: Actor,
    scope: Scope,
    out: BinaryIO,
    *,
    destination: str = "",
    profile: str | None = None,
) -> int:
    """Write the decisions in ``scope`` as VICS 2.0 JSON in ``profile``'s codes (default: the profile the
    decisions were made in); returns the Media objects written."""
    require(actor, Permission.TRIAGE_READ)
    decided = _decided(ctx, actor, scope)
    sets, entries = _entries(decided)
    if not entries:
        raise BadInputError(f"no decisions in {scope.describe()} to export", hint="categorise items first")
    written = write_vics(sets, entries, export_profile(decided, profile), out)
    with ctx.db.session() as s:
        audit(s, actor, Exported, object_type="review_decision", format="vics", records=written,
              destination=destination or None)  # fmt: skip
    return written


def _next_version(store: LibraryStore, name: str) -> str:
    versions = [s.version for s in store.list_sets() if s.name == name]
    numbers = [int(v) for v in versions if v.isdigit()]
    return str(max(numbers, default=0) + 1)


def _set_profile(store: LibraryStore, name: str) -> str | None:
    """The profile of the newest earlier version of set ``name``, if it has one review can write."""
    earlier = sorted((s for s in store.list_sets() if s.name == name), key=lambda s: s.id)
    return earlier[-1].profile if earlier else None


def promote(
    ctx: ReviewContext,
    actor: Actor,
    scope: Scope,
    *,
    name: str,
    version: str | None = None,
    profile: str | None = None,
) -> ImportReport:
    """Import the scope's decided abuse material as a new version of the known-bad set ``name``, in the
    codes of the set's earlier versions (else ``profile``, else the decisions' profile)."""
    require(actor, Permission.LIBRARY_IMPORT)
    decided = _decided(ctx, actor, scope)
    sets, entries = _entries(decided, only=PROMOTED_CLASSES)
    if not entries:
        raise BadInputError(f"no abuse material decided in {scope.describe()} to promote")
    store = LibraryStore(ctx.db)
    kept = _set_profile(store, name)
    if kept is not None and profile is not None and profile != kept:
        raise BadInputError(
            f"set {name!r} holds {kept} codes: a new version cannot be written in {profile}",
            hint=f"promote in {kept}, or to a set of another name",
        )
    target = export_profile(decided, kept or profile)
    version = version or _next_version(store, name)
    examiners = sorted({d.examiner for _, d in decided})
    provenance = (
        f"review of {scope.describe()} by {', '.join(examiners)}, promoted by {actor.username}"
        f" on {ctx.clock().date().isoformat()}"
    )
    with tempfile.TemporaryDirectory(prefix="vigilant-promote-") as folder:
        path = Path(folder) / f"{name}-{version}.json"
        with path.open("wb") as fh:
            write_vics(sets, entries, target, fh)
        request = ImportRequest(
            path,
            actor=actor,
            name=name,
            version=version,
            kind=SetKind.KNOWN_BAD,
            profile=target.name,
            source=provenance,
            description=provenance,
            pdq_method=PdqMethod(sets[0].pdq_method),
        )
        return import_hash_set(store, request)


@dataclass(frozen=True)
class Share:
    count: int
    of: int

    @property
    def percent(self) -> float | None:
        return None if self.of == 0 else round(100 * self.count / self.of, 1)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "of": self.of, "percent": self.percent}


@dataclass(frozen=True)
class MaterialFigures:
    series: int
    victims: int
    under_12: Share
    girls: Share
    boys: Share
    sexual_assault: Share  # of series
    items: int
    by_category: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "victims": self.victims,
            "under_12": self.under_12.as_dict(),
            "girls": self.girls.as_dict(),
            "boys": self.boys.as_dict(),
            "series_with_sexual_assault": self.sexual_assault.as_dict(),
            "items": self.items,
            "by_category": self.by_category,
        }

    def lines(self) -> Iterator[str]:
        def pct(share: Share) -> str:
            return "n/a" if share.percent is None else f"{share.percent:g} per cent"

        yield f"{self.series} unique series, {self.victims} victims depicted ({self.items} items decided)"
        yield f"under 12: {pct(self.under_12)} ({self.under_12.count} of {self.under_12.of})"
        yield f"girls: {pct(self.girls)} ({self.girls.count} of {self.girls.of})"
        yield f"boys: {pct(self.boys)} ({self.boys.count} of {self.boys.of})"
        yield (
            f"series with sexual assault: {pct(self.sexual_assault)}"
            f" ({self.sexual_assault.count} of {self.sexual_assault.of})"
        )


def figures(ctx: ReviewContext, actor: Actor, scope: Scope) -> MaterialFigures:
    """The material statistics of ``scope`` (usually an operation), computed from current decisions."""
    require(actor, Permission.TRIAGE_READ)
    decided = _decided(ctx, actor, scope)
    units: dict[str, list[CurrentDecision]] = {}
    by_category: dict[str, int] = {}
    items = 0
    for item, decision in decided:
        category = PROFILES[decision.profile].get(decision.category)
        label = f"{decision.profile}:{decision.category}"
        by_category[label] = by_category.get(label, 0) + 1
        if category is None or category.cls is not CategoryClass.ABUSE:
            continue
        items += 1
        unit = f"series:{decision.series}" if decision.series else f"stack:{item.stack_id or item.id}"
        units.setdefault(unit, []).append(decision)
    victims: list[dict[str, Any]] = []
    assaulted = 0
    for decisions in units.values():
        # The decision that lists the most victims speaks for the series: the same child seen in many
        # pictures of a series is one victim.
        most: list[dict[str, Any]] = []
        for d in decisions:
            if len(d.victims) > len(most):
                most = list(d.victims)
        victims.extend(most)
        assaulted += any(d.sexual_assault for d in decisions)
    total = len(victims)
    with ctx.db.session() as s:
        audit(s, actor, RecordRead, object_type="review_figures", query=scope.describe(), records=len(units))
    return MaterialFigures(
        series=len(units),
        victims=total,
        under_12=Share(sum(v.get("age_band") == "under-12" for v in victims), total),
        girls=Share(sum(v.get("sex") == "female" for v in victims), total),
        boys=Share(sum(v.get("sex") == "male" for v in victims), total),
        sexual_assault=Share(assaulted, len(units)),
        items=items,
        by_category=dict(sorted(by_category.items())),
    )


def export_bytes(ctx: ReviewContext, actor: Actor, scope: Scope, *, profile: str | None = None) -> bytes:
    out = io.BytesIO()
    export_vics(ctx, actor, scope, out, destination="download", profile=profile)
    return out.getvalue()
