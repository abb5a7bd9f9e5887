"""Project VIC VICS JSON: both versions, both forms, damaged rows located, damaged files refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vigilant.library import vics_model as vm
from vigilant.library.formats import ReaderOptions, SourceError
from vigilant.library.formats.vics import VicsReader
from vigilant.library.records import KnownEntry
from vigilant.library.samples import Raw, SampleItem, read_source, synthetic_entries, write_vics

ENTRIES = synthetic_entries(60, seed=11)
MD5_HEX = "0123456789ABCDEF0123456789ABCDEF"


def essence(entry: KnownEntry) -> tuple[Any, ...]:
    """Everything the VICS reader must carry over from a Media object."""
    return (
        entry.md5,
        entry.sha1,
        entry.sha256,
        entry.pdq,
        entry.pdq_quality,
        entry.size,
        entry.category,
        entry.series,
        entry.victim_identified,
        entry.offender_identified,
        entry.distributed,
        entry.tags,
        entry.comments,
        entry.file_name,
        entry.extra.get(vm.EXTRA_PHOTODNA),
        entry.extra.get(vm.EXTRA_PATHS),
    )


def media_doc(values: list[object], context: str | None = None) -> str:
    doc: dict[str, object] = {vm.V2_CONTEXT_KEY: context or vm.v2_context("US")}
    doc["value"] = values
    return json.dumps(doc)


@pytest.mark.parametrize("version", ["2.0", "1.2"])
@pytest.mark.parametrize("form", ["media", "cases"])
def test_every_entry_reads_back_equal(tmp_path: Path, version: str, form: str) -> None:
    path = write_vics(tmp_path / "set.json", ENTRIES, version=version, form=form, media_per_case=7)
    entries, problems = read_source(path, "vics")
    assert problems == []
    assert [essence(e) for e in entries] == [essence(e) for e in ENTRIES]
    assert entries[0].extra[vm.EXTRA_MEDIA_ID] == 1
    if form == "media":
        assert [e.location for e in entries[:2]] == ["value[0] (MediaID 1)", "value[1] (MediaID 2)"]
    else:
        assert entries[6].location == "value[0].Media[6] (MediaID 7)"
        assert entries[7].location == "value[1].Media[0] (MediaID 8)"
        assert entries[59].location == "value[8].Media[3] (MediaID 60)"


def test_bom_string_booleans_and_lower_case_hex(tmp_path: Path) -> None:
    path = write_vics(
        tmp_path / "set.json",
        ENTRIES,
        bom=True,
        bool_style="string",
        category_style="string",
        tags_style="string",
        upper=False,
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert '"VictimIdentified": "true"' in path.read_text(encoding="utf-8-sig")
    entries, problems = read_source(path, "vics")
    assert problems == []
    assert [essence(e) for e in entries] == [essence(e) for e in ENTRIES]


@pytest.mark.parametrize(
    ("version", "region", "profile", "source"),
    [
        ("2.0", "US", "vic-us", "Project VIC"),
        ("2.0", "UK", "caid-uk", "CAID"),
        ("1.2", "US", "vic-us", "Project VIC"),
        ("2.0", "Default", None, "Project VIC"),
    ],
)
def test_profile_comes_from_the_header(
    tmp_path: Path, version: str, region: str, profile: str | None, source: str
) -> None:
    path = write_vics(tmp_path / "set.json", ENTRIES[:2], version=version, region=region)
    hints = VicsReader().hints(path, ReaderOptions())
    assert (hints.profile, hints.source) == (profile, source)
    assert hints.description is not None
    assert hints.description.startswith(f"VICS {version}")


def test_bad_media_are_located_and_the_rest_is_read(tmp_path: Path) -> None:
    good = ENTRIES[:4]
    items: list[SampleItem] = [
        good[0],
        Raw("not an object"),
        good[1],
        Raw({"MediaID": 77, "MD5": "ABC123"}),
        Raw({"MediaID": 78, "MD5": 12345}),
        Raw({"MediaID": 79, "Category": 1}),
        Raw({"MD5": MD5_HEX, "MediaSize": "large"}),
        Raw({"MD5": MD5_HEX, "VictimIdentified": "maybe"}),
        Raw({"MD5": MD5_HEX, "Category": {"code": 1}}),
        Raw({"MD5": MD5_HEX, "SHA1": "Z" * 40}),
        good[2],
        good[3],
    ]
    entries, problems = read_source(write_vics(tmp_path / "set.json", items), "vics")
    assert [e.md5 for e in entries] == [e.md5 for e in good]
    assert [(p.location, p.reason) for p in problems] == [
        ("value[1]", "bad-element"),
        ("value[3] (MediaID 77)", "bad-md5"),
        ("value[4] (MediaID 78)", "bad-md5"),
        ("value[5] (MediaID 79)", "no-digest"),
        ("value[6]", "bad-size"),
        ("value[7]", "bad-flag"),
        ("value[8]", "bad-category"),
        ("value[9]", "bad-sha1"),
    ]
    assert "expected 32 hexadecimal characters, got 6" in problems[1].detail


def test_categories_are_passed_on_raw_for_the_importer_to_check(tmp_path: Path) -> None:
    values: list[object] = [
        {"MD5": MD5_HEX, "Category": 9},
        {"MD5": MD5_HEX, "Category": "A"},
        {"MD5": MD5_HEX, "Category": None},
        {"MD5": MD5_HEX, "Category": 2.0},
    ]
    path = tmp_path / "set.json"
    path.write_text(media_doc(values))
    entries, problems = read_source(path, "vics")
    assert problems == []
    assert [e.category for e in entries] == ["9", "A", None, "2"]


def test_alternative_hashes_and_media_files(tmp_path: Path) -> None:
    sha256 = "AB" * 32
    media = {
        "MediaID": "m-1",
        "MD5": MD5_HEX,
        "PhotoDNA": None,
        "MimeType": "image/jpeg",
        "IsPrecategorized": "true",
        "AlternativeHashes": [
            {"HashName": "SHA-256", "HashValue": sha256},
            {"HashName": "PhotoDNA", "HashValue": "QUJD" * 48},
            {"HashName": "Other", "HashValue": "xyz"},
            "ignored",
        ],
        "MediaFiles": [
            {"FileName": "one.jpg", "FilePath": "C:\\a\\one.jpg"},
            {"FileName": "copy.jpg", "FilePath": "D:\\b\\copy.jpg"},
            {"FileName": "nopath.jpg"},
            7,
        ],
    }
    path = tmp_path / "set.json"
    path.write_text(media_doc([media]))
    [entry], problems = read_source(path, "vics")
    assert problems == []
    assert entry.sha256 == bytes.fromhex(sha256)
    assert entry.file_name == "one.jpg"
    assert entry.location == "value[0] (MediaID m-1)"
    assert dict(entry.extra) == {
        vm.EXTRA_MEDIA_ID: "m-1",
        vm.EXTRA_PHOTODNA: "QUJD" * 48,
        vm.EXTRA_ALT_HASHES: {"Other": "xyz"},
        vm.EXTRA_PATHS: ["C:\\a\\one.jpg", "D:\\b\\copy.jpg"],
        vm.EXTRA_VICS: {"MimeType": "image/jpeg", "IsPrecategorized": "true"},
    }


def test_cases_form_reports_elements_that_are_not_cases(tmp_path: Path) -> None:
    def media(n: int) -> dict[str, object]:
        return {"MediaID": n, "MD5": f"{n:032X}"}

    values: list[object] = [
        {"CaseID": "c0", "Media": [media(1)]},
        "junk",
        {"CaseID": "c2", "Media": "nope"},
        {"MD5": MD5_HEX, "SHA1": None},
        {"CaseID": "c4", "Media": [media(2), 5, media(3)]},
        {"CaseID": "c5", "Media": []},
        {"CaseID": "c6", "Media": [media(4)]},
    ]
    path = tmp_path / "cases.json"
    path.write_text(media_doc(values, vm.v2_context("US", "Cases")))
    items = list(VicsReader().read(path, ReaderOptions()))
    assert [(item.location, type(item).__name__) for item in items] == [
        ("value[0].Media[0] (MediaID 1)", "KnownEntry"),
        ("value[1]", "RowProblem"),
        ("value[2]", "RowProblem"),
        ("value[3]", "RowProblem"),
        ("value[4].Media[0] (MediaID 2)", "KnownEntry"),
        ("value[4].Media[1]", "RowProblem"),
        ("value[4].Media[2] (MediaID 3)", "KnownEntry"),
        ("value[6].Media[0] (MediaID 4)", "KnownEntry"),
    ]


def test_a_case_inside_a_media_form_file_is_still_read(tmp_path: Path) -> None:
    values: list[object] = [{"MD5": MD5_HEX}, {"CaseID": "c", "Media": [{"MD5": "F" * 32}]}]
    path = tmp_path / "mixed.json"
    path.write_text(media_doc(values))
    entries, problems = read_source(path, "vics")
    assert problems == []
    assert [e.location for e in entries] == ["value[0]", "value[1].Media[0]"]


def test_content_wins_over_a_header_naming_the_wrong_form(tmp_path: Path) -> None:
    path = tmp_path / "media-said-cases.json"
    path.write_text(media_doc([{"MD5": MD5_HEX}, {"MD5": "F" * 32}], vm.v2_context("US", "Cases")))
    entries, problems = read_source(path, "vics")
    assert problems == []
    assert [e.location for e in entries] == ["value[0]", "value[1]"]


def test_header_after_the_values_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "late.json"
    path.write_text(json.dumps({"value": [{"MD5": MD5_HEX}], vm.V2_CONTEXT_KEY: vm.v2_context("US")}))
    entries, _ = read_source(path, "vics")
    assert [e.md5 for e in entries] == [bytes.fromhex(MD5_HEX)]
    assert VicsReader().hints(path, ReaderOptions()).profile is None


@pytest.mark.parametrize("form", ["media", "cases"])
def test_truncated_file_raises_after_streaming_the_start(tmp_path: Path, form: str) -> None:
    path = write_vics(tmp_path / "set.json", ENTRIES, form=form, media_per_case=10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 3 // 5])
    stream = VicsReader().read(path, ReaderOptions())
    first = next(stream)
    assert isinstance(first, KnownEntry)
    assert first.md5 == ENTRIES[0].md5
    with pytest.raises(SourceError, match="truncated"):
        list(stream)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"@odata.context": "x", "value": [{"MD5": "a"} {"MD5": "b"}]}', "valid JSON near byte"),
        ('[{"MD5": "a"}]', "top level is not a JSON object"),
        ('{"@odata.context": "x", "value": {"MD5": "a"}}', "'value' is not an array"),
        ('{"@odata.context": "x"}', "no 'value' array"),
        ("", "not valid JSON"),
    ],
)
def test_broken_json_is_a_source_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(SourceError, match=message):
        read_source(path, "vics")


def test_sniff_needs_the_project_vic_header(tmp_path: Path) -> None:
    reader = VicsReader()
    assert reader.sniff(
        tmp_path / "a.json", b'\xef\xbb\xbf{"odata.metadata":"http://github.com/ICMEC/ProjectVic/'
    )
    assert not reader.sniff(tmp_path / "a.json", b'{"@odata.context": "http://example.org/$metadata#Things"}')
    assert not reader.sniff(tmp_path / "a.json", b'["ProjectVic"]')
