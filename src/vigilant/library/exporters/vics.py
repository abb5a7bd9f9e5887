"""Export as Project VIC VICS 2.0 JSON (Media form), one Media object per line.

The header names the US data model unless every exported set uses the UK CAID profile. Categories of
other profiles are carried over through their profile-independent class (e.g. DHS "1 Illegal" becomes
US "1 Child Abuse Material"); a code the target profile cannot express is written as null
(uncategorised) rather than a number that would mean something else there. An entry with no hash VICS
can carry (a known video known only by its vPDQ hash) is left out rather than written as an empty Media.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from vigilant.errors import BadInputError
from vigilant.library import vics_model as vm
from vigilant.library.categories import PROFILES, CategoryProfile
from vigilant.library.exporters._common import paths_of
from vigilant.library.exporters.base import VideoFrames
from vigilant.library.records import HashSetInfo, StoredEntry

UK_PROFILE = "caid-uk"
US_PROFILE = "vic-us"


class VicsWriter:
    name = "vics"
    title = "Project VIC VICS 2.0 JSON"
    suffix = ".json"

    def write(
        self,
        sets: Sequence[HashSetInfo],
        entries: Iterable[StoredEntry],
        out: BinaryIO,
        videos: VideoFrames | None = None,
    ) -> int:
        uk = bool(sets) and all(s.profile == UK_PROFILE for s in sets)
        target = PROFILES[UK_PROFILE if uk else US_PROFILE]
        context = vm.v2_context("UK" if uk else "US")
        out.write(f'{{"{vm.V2_CONTEXT_KEY}": {json.dumps(context)},\n'.encode())
        methods = {s.pdq_method for s in sets}
        if len(methods) == 1:
            # How the PDQ hashes were made, so that a re-import takes them the same way (sets of both methods
            # in one file cannot say it: the import then takes its default, or --pdq-method).
            out.write(f'"{vm.PDQ_METHOD_KEY}": {json.dumps(methods.pop())},\n'.encode())
        out.write(b'"value": [')
        count = 0
        for entry in entries:
            if not has_hash(entry):
                continue
            count += 1
            line = json.dumps(media_object(entry, count, target), ensure_ascii=False)
            out.write((("," if count > 1 else "") + "\n" + line).encode("utf-8"))
        out.write(b"\n]}\n")
        return count


def has_hash(entry: StoredEntry) -> bool:
    """Whether a Media object of the entry would carry a hash (MD5, SHA-1, SHA-256 or an alternative)."""
    digests = (entry.md5, entry.sha1, entry.sha256)
    return any(v is not None for v in digests) or bool(_alternative_hashes(entry))


def media_object(entry: StoredEntry, media_id: int, target: CategoryProfile) -> dict[str, Any]:
    """One Media object; keys always in this order so that exports are byte-for-byte reproducible."""
    media: dict[str, Any] = {"MediaID": media_id, "Category": category_code(entry, target)}
    for key, value in (("MD5", entry.md5), ("SHA1", entry.sha1), ("SHA256", entry.sha256)):
        if value is not None:
            media[key] = value.hex().upper()  # upper case, as Project VIC tools write them
    optional = {
        "MediaSize": entry.size,
        "Series": entry.series,
        **{field: getattr(entry, attr) for field, attr in vm.FLAG_FIELDS},
        "Tags": list(entry.tags) or None,
        "Comments": entry.comments,
        "AlternativeHashes": _alternative_hashes(entry) or None,
        "MediaFiles": _media_files(entry) or None,
    }
    media.update((key, value) for key, value in optional.items() if value is not None)
    return media


def category_code(entry: StoredEntry, target: CategoryProfile) -> int | str | None:
    if entry.category is None:
        return None
    try:
        source = entry.hash_set.category_profile
        category = source.get(entry.category)
    except BadInputError:
        return None  # a profile or code this library no longer defines: uncategorised beats a wrong code
    if category is None:
        return None
    if source.name != target.name:
        category = next((c for c in target.categories if c.cls is category.cls), None)
        if category is None:
            return None
    return int(category.code) if category.code.isdigit() else category.code


def _alternative_hashes(entry: StoredEntry) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    photodna = entry.extra.get(vm.EXTRA_PHOTODNA)
    if isinstance(photodna, str) and photodna:
        found.append({"HashName": vm.PHOTODNA, "HashValue": photodna})
    if entry.pdq is not None:
        pdq: dict[str, Any] = {"HashName": vm.PDQ, "HashValue": entry.pdq.hex()}
        if entry.pdq_quality is not None:
            pdq[vm.PDQ_QUALITY] = entry.pdq_quality
        found.append(pdq)
    others = entry.extra.get(vm.EXTRA_ALT_HASHES)
    if isinstance(others, dict):
        found.extend(
            {"HashName": name, "HashValue": value}
            for name, value in sorted(others.items())
            if isinstance(name, str) and isinstance(value, str)
        )
    return found


def _media_files(entry: StoredEntry) -> list[dict[str, str]]:
    files = [
        {"FileName": path.replace("\\", "/").rsplit("/", 1)[-1], "FilePath": path} for path in paths_of(entry)
    ]
    if entry.file_name:
        if files:
            files[0]["FileName"] = entry.file_name
        else:
            files.append({"FileName": entry.file_name})
    return files
