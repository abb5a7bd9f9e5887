"""One VICS Media object -> one :class:`KnownEntry`.

Fields that feed matching and categorisation (digests, size, category, flags, series, tags, comments) are
checked strictly: a wrong type refuses the row so the examiner sees it. Data kept only in ``extra`` (file
paths, alternative hashes) is taken leniently: a malformed path must not cost a known hash.
"""

from __future__ import annotations

from typing import Any

from vigilant.hashing.digests import MD5, PDQ, SHA1, SHA256
from vigilant.library import vics_model as vm
from vigilant.library.formats import _fields as f
from vigilant.library.records import KnownEntry


def media_location(item: object, base: str) -> str:
    """``value[3]`` plus the MediaID when the element has one, so a reviewer can find it either way."""
    if isinstance(item, dict):
        media_id = item.get("MediaID")
        if isinstance(media_id, str | int) and not isinstance(media_id, bool):
            return f"{base} (MediaID {media_id})"
    return base


def media_entry(item: object, location: str) -> KnownEntry:
    if not isinstance(item, dict):
        raise f.Refused("bad-element", f"a Media element must be a JSON object, not {_json_type(item)}")
    alternatives = _alternative_hashes(item.get("AlternativeHashes"))
    pdq, pdq_quality = _pdq(item.get("AlternativeHashes"))
    alternatives.pop(vm.PDQ, None)  # PDQ is a digest Vigilant matches on, not an opaque extra
    _, alternative_sha256 = alternatives.pop("SHA256", ("", None))
    sha256 = item.get("SHA256")
    if sha256 is None or sha256 == "":
        sha256 = alternative_sha256
    flags = {attr: f.flag(item.get(field), field) for field, attr in vm.FLAG_FIELDS}
    first_name, paths = _media_files(item.get("MediaFiles"))
    relative = item.get("RelativeFilePath")
    if first_name is None and isinstance(relative, str) and relative.strip():
        first_name = relative.replace("\\", "/").rsplit("/", 1)[-1] or None

    entry = KnownEntry(
        location=location,
        md5=f.digest(MD5, item.get("MD5")),
        sha1=f.digest(SHA1, item.get("SHA1")),
        sha256=f.digest(SHA256, sha256),
        pdq=pdq,
        pdq_quality=pdq_quality,
        size=f.size(item.get("MediaSize")),
        category=f.category(item.get("Category")),
        series=f.text(item.get("Series"), "series"),
        victim_identified=flags["victim_identified"],
        offender_identified=flags["offender_identified"],
        distributed=flags["distributed"],
        tags=f.tags(item.get("Tags")),
        comments=f.text(item.get("Comments"), "comments"),
        file_name=first_name,
        extra=_extra(item, alternatives, paths),
    )
    return f.require_digest(entry)


def _extra(
    item: dict[str, Any], alternatives: dict[str, tuple[str, str]], paths: list[str]
) -> dict[str, Any]:
    """What Vigilant keeps but does not match on: MediaID, PhotoDNA (opaque), other hashes, paths."""
    extra: dict[str, Any] = {}
    media_id = item.get("MediaID")
    if isinstance(media_id, str | int) and not isinstance(media_id, bool):
        extra[vm.EXTRA_MEDIA_ID] = media_id
    _, photodna = alternatives.pop(vm.PHOTODNA.upper(), ("", None))
    if isinstance(item.get(vm.PHOTODNA), str) and item[vm.PHOTODNA]:
        photodna = item[vm.PHOTODNA]
    if photodna:
        extra[vm.EXTRA_PHOTODNA] = photodna
    if alternatives:
        extra[vm.EXTRA_ALT_HASHES] = dict(alternatives.values())
    if paths:
        extra[vm.EXTRA_PATHS] = paths
    kept = {name: item[name] for name in vm.KEPT_SCALARS if _is_scalar(item.get(name))}
    if kept:
        extra[vm.EXTRA_VICS] = kept
    return extra


def _alternative_hashes(value: object) -> dict[str, tuple[str, str]]:
    """Normalised name (``SHA256``, ``PHOTODNA``, …) -> (name as written, value)."""
    found: dict[str, tuple[str, str]] = {}
    if not isinstance(value, list):
        return found
    for item in value:
        if not isinstance(item, dict):
            continue
        name, hash_value = item.get("HashName"), item.get("HashValue")
        if isinstance(name, str) and name.strip() and isinstance(hash_value, str) and hash_value.strip():
            key = name.strip().upper().replace("-", "").replace("_", "")
            found.setdefault(key, (name.strip(), hash_value.strip()))
    return found


def _pdq(value: object) -> tuple[bytes | None, int | None]:
    """The PDQ alternative hash and its quality, checked strictly: PDQ feeds matching."""
    if not isinstance(value, list):
        return None, None
    for item in value:
        if isinstance(item, dict) and str(item.get("HashName", "")).strip().upper() == vm.PDQ:
            quality = f.quality(item.get(vm.PDQ_QUALITY))
            return f.digest(PDQ, item.get("HashValue")), quality
    return None, None


def _media_files(value: object) -> tuple[str | None, list[str]]:
    """The first FileName and every FilePath of the MediaFiles array."""
    first_name: str | None = None
    paths: list[str] = []
    if not isinstance(value, list):
        return first_name, paths
    for item in value:
        if not isinstance(item, dict):
            continue
        name, path = item.get("FileName"), item.get("FilePath")
        name = name.strip() if isinstance(name, str) and name.strip() else None
        path = path.strip() if isinstance(path, str) and path.strip() else None
        if first_name is None:
            first_name = name
        if path:
            paths.append(path)
    return first_name, paths


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__
