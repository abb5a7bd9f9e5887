"""Project VIC VICS 2.0 JSON (US data model, Media form) of the run: one Media per distinct MD5.

Every record with an MD5 counts; the Media lists each place its content was found (``MediaFiles``, the
address as ``FilePath``). ``Category`` is the Project VIC US code of the most severe categorised
known-bad hit: sets of other profiles are carried over through their profile-independent class, as the
library exporter does (DHS "1 Illegal" is US 1), and a class US cannot express stays null
(uncategorised). ``IsPrecategorized`` says whether a hit gave the category and ``PrecategorizationSource``
names that set; ``Comments`` names every set that matched. Grouping goes through a temporary SQLite file,
so memory stays flat however many files and copies the run holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

from vigilant.library import vics_model as vm
from vigilant.library.categories import VIC_US, CategoryClass
from vigilant.triage.records import FileRecord, Hit
from vigilant.triage.reports._media_groups import Category, MediaGroup, MediaGroups
from vigilant.triage.reports._sink import TextSink
from vigilant.triage.reports._text import PERCEPTUAL, hit_order, match_sentence
from vigilant.triage.reports.base import RecordSource
from vigilant.triage.runinfo import RunInfo

REGION = "US"
_CLASSES = {cls.slug: cls for cls in CategoryClass}
# The Project VIC US code of each class (each class has at most one code in that profile).
_US_CODES: dict[CategoryClass, int] = {c.cls: int(c.code) for c in VIC_US.categories}


class VicsReport:
    name = "vics"
    title = "Project VIC VICS 2.0 JSON (one Media per distinct MD5)"
    suffix = ".json"

    def __init__(self, tmp_dir: Path | None = None) -> None:
        self.tmp_dir = tmp_dir  # where the grouping database goes (default: the system's temporary folder)

    def write(self, run: RunInfo, records: RecordSource, out: BinaryIO) -> None:
        with MediaGroups(self.tmp_dir) as groups:
            for record in records():
                if record.md5 is not None:
                    groups.add(record, us_category(record.hits), match_labels(record))
            sink = TextSink(out)
            context = json.dumps(vm.v2_context(REGION))
            sink.write(f'{{"{vm.V2_CONTEXT_KEY}": {context},\n{_unread_annotation(run)}"value": [')
            for media_id, group in enumerate(groups.groups(), 1):
                sink.write(("," if media_id > 1 else "") + "\n")
                _write_media(sink, media_object(group, media_id), groups, group.md5)
            sink.write("\n]}\n")
            sink.flush()


def _unread_annotation(run: RunInfo) -> str:
    """What of the evidence the run could not read, as an OData instance annotation (which readers that do
    not know it skip): ``"@Vigilant.NotRead": {"Summary": "1 of 2 volumes unreadable", "Volumes": 2,
    "UnreadableVolumes": 1, "Parts": [{"Where": …, "Reason": …, "Volume": true}]}``; nothing when all was
    read."""
    coverage = run.coverage
    if coverage is None or coverage.headline is None:
        return ""
    value = {
        "Summary": coverage.headline,
        "Volumes": coverage.volumes,
        "UnreadableVolumes": coverage.unreadable_volumes,
        "Parts": [{"Where": p.where, "Reason": p.reason, "Volume": p.volume} for p in coverage.parts],
    }
    return f'"{NOT_READ_ANNOTATION}": {json.dumps(value, ensure_ascii=False)},\n'


NOT_READ_ANNOTATION = "@Vigilant.NotRead"


def us_category(hits: list[Hit]) -> Category | None:
    """The US code of the most severe categorised known-bad hit (ties: the first in :func:`hit_order`)."""
    for hit in sorted(hits, key=hit_order):
        if hit.set_kind != "known-bad" or hit.category_class is None:
            continue
        cls = _CLASSES.get(hit.category_class)
        code = None if cls is None else _US_CODES.get(cls)
        if cls is not None and code is not None:
            return Category(code, cls.severity, f"{hit.set_name} {hit.set_version}")
    return None


def match_labels(record: FileRecord) -> list[str]:
    """Each set that matched; a perceptual hit says how and which entry (see :func:`match_sentence`)."""
    labels = set()
    for h in record.hits:
        label = f"{h.set_name} {h.set_version} ({h.set_kind})"
        labels.add(f"{label} on {match_sentence(h)}" if h.matched_on in PERCEPTUAL else label)
    return sorted(labels)


def media_object(group: MediaGroup, media_id: int) -> dict[str, Any]:
    """One Media object without its MediaFiles; keys always in this order, for byte-identical exports."""
    media: dict[str, Any] = {"MediaID": media_id, "Category": group.category}
    for key, value in (("MD5", group.md5), ("SHA1", group.sha1), ("SHA256", group.sha256)):
        if value is not None:
            media[key] = value.hex().upper()  # upper case, as Project VIC tools write them
    media["MediaSize"] = group.size
    if group.mime:
        media["MimeType"] = group.mime
    media["IsPrecategorized"] = group.category is not None
    if group.category_source is not None:
        media["PrecategorizationSource"] = group.category_source
    if group.matches:
        media["Comments"] = "Matched by: " + "; ".join(group.matches)
    if group.pdq is not None:
        pdq: dict[str, Any] = {"HashName": vm.PDQ, "HashValue": group.pdq.hex()}
        if group.pdq_quality is not None:
            pdq[vm.PDQ_QUALITY] = group.pdq_quality
        media["AlternativeHashes"] = [pdq]
    return media


def _write_media(sink: TextSink, media: dict[str, Any], groups: MediaGroups, md5: bytes) -> None:
    # The paths are streamed into the object rather than collected: one content can sit at thousands.
    head = json.dumps(media, ensure_ascii=False)
    sink.write(head[:-1] + ', "MediaFiles": [')
    for index, found in enumerate(groups.files(md5)):
        entry = {
            "FileName": found.name,
            "FilePath": found.address,
            "Deleted": found.deleted,
            "Unallocated": False,
        }
        sink.write(("" if index == 0 else ", ") + json.dumps(entry, ensure_ascii=False))
    sink.write("]}")
