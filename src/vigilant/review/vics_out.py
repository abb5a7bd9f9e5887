"""Review decisions as VICS 2.0 JSON in the codes of one review profile.

The library's VICS writer speaks US or UK only (it carries other profiles' categories over to US codes).
Review writes the codes the examiners chose: a ``vic-us`` queue as US codes under the ``US`` region, a
``caid-uk`` one as A/B/C under ``UK``, a legacy ``dhs`` one as its own 0-5 under ``CUSTOM`` (no region names
that scheme, so an importer has to be told it). Each Media object is the library's own
(:func:`~vigilant.library.exporters.vics.media_object`), so what Vigilant's importer reads back is what
its own exports hold. A decision made in another profile than the file's (a case whose runs were reviewed
in two schemes) is carried over through its profile-independent class, or left uncategorised where the
file's profile has no such class, as the library's exporter does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from vigilant.library import vics_model as vm
from vigilant.library.exporters.vics import has_hash, media_object
from vigilant.library.records import HashSetInfo, StoredEntry
from vigilant.review.profiles import ReviewProfile


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
        line = json.dumps(media_object(entry, count, target.categories), ensure_ascii=False)
        out.write((("," if count > 1 else "") + "\n" + line).encode("utf-8"))
    out.write(b"\n]}\n")
    return count
