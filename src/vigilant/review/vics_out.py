"""Review decisions as VICS 2.0 JSON in the codes of one review profile.

The library's VICS writer speaks US or UK only (it carries other profiles' categories over to US codes).
Review writes the codes the examiners chose: a ``vic-us`` queue as US codes under the ``US`` region, a
``caid-uk`` one as A/B/C under ``UK``, a legacy ``dhs`` one as its own 0-5 under ``CUSTOM`` (no region names
that scheme, so an importer has to be told it). Each Media object is the library's own
(:func:`~vigilant.library.exporters.vics.media_object`), so what Vigilant's importer reads back is what
its own exports hold. A decision made in another profile than the file's (a case whose runs were reviewed
in two schemes) is carried over through its profile-independent class (CAID B is US 1, DHS 5 is US 0), or
left uncategorised where the file's profile has no such class. Nothing is carried over into CAID: its
grades say how severe the acts are, which no other scheme records, so a guess (every abuse picture "A")
would overstate; such a decision is written uncategorised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import BinaryIO

from vigilant.library import vics_model as vm
from vigilant.library.categories import PROFILES
from vigilant.library.exporters.vics import has_hash, media_object
from vigilant.library.records import HashSetInfo, StoredEntry
from vigilant.review.profiles import ReviewProfile

GRADED = "caid-uk"  # a profile whose codes grade severity: nothing is carried over into it


def write_vics(
    sets: Sequence[HashSetInfo], entries: Iterable[StoredEntry], target: ReviewProfile, out: BinaryIO
) -> int:
    """Write ``entries`` (of ``sets``) in ``target``'s codes; returns the Media objects written."""
    context = vm.v2_context(target.region)
    out.write(f'{{"{vm.V2_CONTEXT_KEY}": {json.dumps(context)},\n'.encode())
    methods = {s.pdq_method for s in sets}
    if len(methods) == 1:  # how the PDQ hashes were made, so that a re-import takes them the same way
        out.write(f'"{vm.PDQ_METHOD_KEY}": {json.dumps(methods.pop())},\n'.encode())
    out.write(b'"value": [')
    count = 0
    for entry in entries:
        if not has_hash(entry):
            continue
        count += 1
        line = json.dumps(
            media_object(in_profile(entry, target), count, target.categories), ensure_ascii=False
        )
        out.write((("," if count > 1 else "") + "\n" + line).encode("utf-8"))
    out.write(b"\n]}\n")
    return count


def in_profile(entry: StoredEntry, target: ReviewProfile) -> StoredEntry:
    """``entry`` with its category in ``target``'s codes (see the module's notes)."""
    source = entry.hash_set.profile
    if source == target.name:
        return entry
    category = PROFILES[source].get(entry.category)
    code = None
    if category is not None and target.name != GRADED:
        code = next((c.code for c in target.categories.categories if c.cls is category.cls), None)
    return replace(entry, category=code, hash_set=replace(entry.hash_set, profile=target.name))
