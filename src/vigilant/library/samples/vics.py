"""Synthetic Project VIC VICS JSON sources in every variant the reader must accept."""

from __future__ import annotations

import codecs
import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from vigilant.library import vics_model as vm
from vigilant.library.records import KnownEntry
from vigilant.library.samples.entries import Raw, SampleItem


def write_vics(
    path: Path,
    entries: Iterable[SampleItem],
    *,
    version: str = "2.0",
    form: str = "media",
    region: str = "US",
    bom: bool = False,
    bool_style: str = "bool",
    category_style: str = "int",
    tags_style: str = "list",
    upper: bool = True,
    media_per_case: int = 50,
) -> Path:
    """Write ``entries`` as VICS ``version`` ("2.0", "1.1"–"1.3") in the "media" or "cases" form.

    ``bool_style`` "string" writes the yes/no fields as "true"/"false"; ``category_style`` "string" writes
    categories as text; ``tags_style`` "string" joins tags with ";". Entries are streamed to the file.
    """
    wrapper = "Cases" if form == "cases" else "Media"
    if version.startswith("1."):
        key, context = vm.V1_CONTEXT_KEY, vm.v1_context(int(version.split(".")[1]), wrapper)
    else:
        key, context = vm.V2_CONTEXT_KEY, vm.v2_context(region, wrapper)
    style = _Style(bool_style, category_style, tags_style, upper, version.startswith("1."))
    with path.open("wb") as out:
        if bom:
            out.write(codecs.BOM_UTF8)
        out.write(f'{{{json.dumps(key)}: {json.dumps(context)}, "value": ['.encode())
        if form == "cases":
            _write_cases(out, entries, style, media_per_case)
        else:
            _write_list(out, (_media_or_raw(item, number, style) for number, item in enumerate(entries, 1)))
        out.write(b"\n]}\n")
    return path


class _Style:
    def __init__(self, bools: str, categories: str, tags: str, upper: bool, v1: bool) -> None:
        self.string_bools = bools == "string"
        self.string_categories = categories == "string"
        self.string_tags = tags == "string"
        self.upper = upper
        self.v1 = v1


def _write_list(out: BinaryIO, values: Iterable[object]) -> None:
    for number, value in enumerate(values):
        out.write(_json_line(value, "," if number else "", "\n"))


def _json_line(value: object, separator: str, indent: str) -> bytes:
    return (separator + indent + json.dumps(value, ensure_ascii=False)).encode()


def _write_cases(out: BinaryIO, entries: Iterable[SampleItem], style: _Style, per_case: int) -> None:
    case = -1
    for number, item in enumerate(entries):
        if number % per_case == 0:
            if case >= 0:
                out.write(b"\n]}")
            case += 1
            out.write((("," if case else "") + "\n" + _case_opening(case)).encode())
        separator = "," if number % per_case else ""
        out.write(_json_line(_media_or_raw(item, number + 1, style), separator, "\n  "))
    if case >= 0:
        out.write(b"\n]}")


def _case_opening(case: int) -> str:
    fields = {
        "CaseID": str(uuid.UUID(int=case + 1)),
        "CaseNumber": f"SYN-{case + 1:04d}",
        "ContactName": "Synthetic Examiner",
        "SourceApplicationName": "vigilant-samples",
    }
    return json.dumps(fields)[:-1] + ', "Media": ['


def _media_or_raw(item: SampleItem, media_id: int, style: _Style) -> object:
    return item.value if isinstance(item, Raw) else vics_media(item, media_id, style)


def vics_media(entry: KnownEntry, media_id: int, style: _Style) -> dict[str, Any]:
    def hexed(value: bytes | None) -> str | None:
        if value is None:
            return None
        return value.hex().upper() if style.upper else value.hex()

    media: dict[str, Any] = {"MediaID": media_id}
    if style.v1 and entry.md5 is not None:
        media["odata.id"] = f'Media("{hexed(entry.md5)}")'
    category: object = entry.category
    if entry.category is not None and entry.category.isdigit() and not style.string_categories:
        category = int(entry.category)
    media["Category"] = category
    media["MD5"] = hexed(entry.md5)
    media["SHA1"] = hexed(entry.sha1)
    if entry.sha256 is not None:
        media["SHA256"] = hexed(entry.sha256)
    if entry.size is not None:
        media["MediaSize"] = entry.size
    if entry.series is not None:
        media["Series"] = entry.series
    for field, attr in vm.FLAG_FIELDS:
        value = getattr(entry, attr)
        if value is not None:
            media[field] = str(value).lower() if style.string_bools else value
    if entry.tags:
        media["Tags"] = ";".join(entry.tags) if style.string_tags else list(entry.tags)
    if entry.comments is not None:
        media["Comments"] = entry.comments
    alternatives = alternative_hashes(entry.extra, entry.pdq, entry.pdq_quality)
    if alternatives:
        media["AlternativeHashes"] = alternatives
    files = media_files(entry.file_name, entry.extra)
    if files:
        media["MediaFiles"] = files
    return media


def alternative_hashes(extra: Any, pdq: bytes | None, quality: int | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    photodna = extra.get(vm.EXTRA_PHOTODNA)
    if isinstance(photodna, str):
        found.append({"HashName": vm.PHOTODNA, "HashValue": photodna})
    if pdq is not None:
        item: dict[str, Any] = {"HashName": vm.PDQ, "HashValue": pdq.hex()}
        if quality is not None:
            item[vm.PDQ_QUALITY] = quality
        found.append(item)
    others = extra.get(vm.EXTRA_ALT_HASHES)
    if isinstance(others, dict):
        found.extend({"HashName": str(name), "HashValue": str(value)} for name, value in others.items())
    return found


def media_files(file_name: str | None, extra: Any) -> list[dict[str, str]]:
    paths = extra.get(vm.EXTRA_PATHS)
    paths = [path for path in paths if isinstance(path, str)] if isinstance(paths, list) else []
    files = [{"FileName": _base_name(path), "FilePath": path} for path in paths]
    if file_name:
        if files:
            files[0]["FileName"] = file_name
        else:
            files.append({"FileName": file_name})
    return files


def _base_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
