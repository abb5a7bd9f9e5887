"""The VICS exporter: valid JSON, the expected header, categories translated, stable bytes."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from vigilant.library import vics_model as vm
from vigilant.library.exporters import exporters
from vigilant.library.records import HashSetInfo, KnownEntry, StoredEntry
from vigilant.library.samples import read_source, sample_set, stored_entries, synthetic_entries

US_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
UK_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"
ENTRIES = synthetic_entries(30, seed=13)


def export(sets: list[HashSetInfo], entries: list[StoredEntry]) -> bytes:
    out = io.BytesIO()
    exporters()["vics"].write(sets, iter(entries), out)
    return out.getvalue()


def document(data: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def test_output_is_vics_json_with_the_us_header(tmp_path: Path) -> None:
    us = sample_set()
    doc = document(export([us], list(stored_entries(ENTRIES, us))))
    assert list(doc) == ["@odata.context", "@Vigilant.PdqMethod", "value"]
    assert doc["@odata.context"] == US_CONTEXT
    assert doc["@Vigilant.PdqMethod"] == "full"  # an OData annotation: how the PDQ hashes were made
    first, source = doc["value"][0], ENTRIES[0]
    assert first["MD5"] == (source.md5 or b"").hex().upper()
    assert first["SHA1"] == (source.sha1 or b"").hex().upper()
    assert list(first)[:5] == ["MediaID", "Category", "MD5", "SHA1", "SHA256"]
    assert [m["MediaID"] for m in doc["value"]] == list(range(1, 31))


def test_every_field_survives_export_and_import(tmp_path: Path) -> None:
    us = sample_set()
    path = tmp_path / "export.json"
    path.write_bytes(export([us], list(stored_entries(ENTRIES, us))))
    entries, problems = read_source(path)
    assert problems == []

    def essence(entry: KnownEntry) -> tuple[object, ...]:
        return (
            entry.digests(),
            entry.pdq_quality,
            entry.size,
            entry.category,
            entry.series,
            (entry.victim_identified, entry.offender_identified, entry.distributed),
            entry.tags,
            entry.comments,
            entry.file_name,
            entry.extra.get(vm.EXTRA_PHOTODNA),
            entry.extra.get(vm.EXTRA_PATHS),
        )

    assert [essence(e) for e in entries] == [essence(e) for e in ENTRIES]


def test_uk_header_only_when_every_set_is_caid() -> None:
    uk = sample_set(2, profile="caid-uk")
    us = sample_set(1)
    caid = [replace(e, category=c) for e, c in zip(ENTRIES[:3], ["A", "C", None], strict=True)]
    only_uk = document(export([uk], list(stored_entries(caid, uk))))
    assert only_uk["@odata.context"] == UK_CONTEXT
    assert [m["Category"] for m in only_uk["value"]] == ["A", "C", None]

    mixed = document(export([us, uk], list(stored_entries(caid, uk))))
    assert mixed["@odata.context"] == US_CONTEXT
    # CAID grades are all abuse material: in the US scheme that is category 1.
    assert [m["Category"] for m in mixed["value"]] == [1, 1, None]


def test_categories_of_other_profiles_are_translated_by_meaning() -> None:
    dhs = sample_set(3, profile="dhs")
    plain = sample_set(4, profile="none")
    codes = ["0", "1", "2", "4", "5", "99"]
    dhs_entries = [replace(e, category=c) for e, c in zip(ENTRIES, codes, strict=False)]
    stored = [*stored_entries(dhs_entries, dhs), *stored_entries([replace(ENTRIES[9], category="1")], plain)]
    categories = [m["Category"] for m in document(export([dhs, plain], stored))["value"]]
    # DHS 0 "Uncategorized" has no US code; 1 Illegal -> 1; 2 -> 2; 4 Exemplar -> 4 Comparison;
    # 5 Non-pertinent -> 0; an undefined code and a category in a profile without categories -> null.
    assert categories == [None, 1, 2, 4, 0, None, None]


def test_export_is_byte_for_byte_reproducible() -> None:
    us = sample_set()
    assert export([us], list(stored_entries(ENTRIES, us))) == export([us], list(stored_entries(ENTRIES, us)))


def test_alternative_hashes_and_media_files() -> None:
    us = sample_set()
    entry = replace(
        ENTRIES[0],
        pdq=bytes(range(32)),
        pdq_quality=88,
        file_name="shown.jpg",
        extra={
            vm.EXTRA_PHOTODNA: "QUJD" * 48,
            vm.EXTRA_PATHS: ["C:\\x\\first.jpg", "/y/second.jpg"],
            vm.EXTRA_ALT_HASHES: {"Other": "abc"},
        },
    )
    [media] = document(export([us], list(stored_entries([entry], us))))["value"]
    assert media["AlternativeHashes"] == [
        {"HashName": "PhotoDNA", "HashValue": "QUJD" * 48},
        {"HashName": "PDQ", "HashValue": bytes(range(32)).hex(), "Quality": 88},
        {"HashName": "Other", "HashValue": "abc"},
    ]
    assert media["MediaFiles"] == [
        {"FileName": "shown.jpg", "FilePath": "C:\\x\\first.jpg"},
        {"FileName": "second.jpg", "FilePath": "/y/second.jpg"},
    ]


def test_empty_export_is_still_valid_json() -> None:
    doc = document(export([sample_set()], []))
    assert doc == {"@odata.context": US_CONTEXT, "@Vigilant.PdqMethod": "full", "value": []}
