"""Plain CSV: recognised headers, column maps, sniffed delimiters, located problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigilant.library.formats import ReaderOptions, SourceError
from vigilant.library.formats.plain_csv import PlainCsvReader
from vigilant.library.records import KnownEntry
from vigilant.library.samples import Raw, SampleItem, read_source, synthetic_entries, write_csv

ENTRIES = synthetic_entries(30, seed=6)
ALL_FIELDS = (
    "md5",
    "sha1",
    "sha256",
    "pdq",
    "pdq_quality",
    "size",
    "category",
    "series",
    "victim_identified",
    "offender_identified",
    "distributed",
    "tags",
    "comments",
    "file_name",
)


def fields(entry: KnownEntry) -> tuple[object, ...]:
    return tuple(getattr(entry, name) for name in ALL_FIELDS)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_every_field_reads_back_with_a_sniffed_delimiter(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "list.csv", ENTRIES, fields=ALL_FIELDS, delimiter=delimiter)
    entries, problems = read_source(path, "csv")
    assert problems == []
    assert [fields(e) for e in entries] == [fields(e) for e in ENTRIES]
    assert entries[0].location == "line 2"


def test_obvious_headers_are_recognised_in_any_spelling(tmp_path: Path) -> None:
    headers = {"md5": "MD5 Hash", "sha1": "SHA-1", "size": "File Size", "file_name": "FileName"}
    path = write_csv(tmp_path / "list.csv", ENTRIES, fields=tuple(headers), headers=headers)
    entries, _ = read_source(path, "csv")
    assert [(e.md5, e.sha1, e.size, e.file_name) for e in entries] == [
        (e.md5, e.sha1, e.size, e.file_name) for e in ENTRIES
    ]


def test_column_map_by_header_or_number(tmp_path: Path) -> None:
    headers = {"md5": "Fingerprint", "size": "Bytes", "file_name": "Where"}
    path = write_csv(tmp_path / "list.csv", ENTRIES, fields=tuple(headers), headers=headers)
    with pytest.raises(SourceError, match="no digest column"):
        read_source(path, "csv")
    options = ReaderOptions(column_map={"md5": "fingerprint", "size": "1", "file_name": "WHERE"})
    entries, problems = read_source(path, "csv", options)
    assert problems == []
    assert [(e.md5, e.size, e.file_name) for e in entries] == [(e.md5, e.size, e.file_name) for e in ENTRIES]


@pytest.mark.parametrize(
    ("column_map", "message"),
    [({"colour": "md5"}, "unknown field 'colour'"), ({"md5": "Missing"}, "no column 'Missing' for md5")],
)
def test_wrong_column_map_says_what_exists(tmp_path: Path, column_map: dict[str, str], message: str) -> None:
    path = write_csv(tmp_path / "list.csv", ENTRIES[:2])
    with pytest.raises(SourceError, match=message) as raised:
        read_source(path, "csv", ReaderOptions(column_map=column_map))
    assert raised.value.hint is not None


def test_bad_rows_are_located(tmp_path: Path) -> None:
    items: list[SampleItem] = [
        ENTRIES[0],
        Raw("abc,,,,,,"),
        Raw(",,,,,,"),
        Raw(f"{'0' * 32},,,-5,,,"),
        Raw(f"{'0' * 32}"),
        ENTRIES[1],
    ]
    entries, problems = read_source(write_csv(tmp_path / "list.csv", items), "csv")
    assert [e.md5 for e in entries] == [ENTRIES[0].md5, ENTRIES[1].md5]
    assert [(p.location, p.reason) for p in problems] == [
        ("line 3", "bad-md5"),
        ("line 4", "no-digest"),
        ("line 5", "bad-size"),
        ("line 6", "bad-row"),
    ]


def test_flags_column_and_set_hints_as_the_exporter_writes_them(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "\ufeffset name,set version,kind,profile,category code,md5,flags,tags\n"
        f"Unit set,3,known-bad,vic-us,1,{'a' * 32},victim_identified=true;distributed=false,one;two\n"
        f"Unit set,3,known-bad,vic-us,,{'b' * 32},offender_identified,\n"
        f"Unit set,3,known-bad,vic-us,,{'c' * 32},colour=red,\n",
        encoding="utf-8",
    )
    entries, problems = read_source(path, "csv")
    assert [
        (e.category, e.victim_identified, e.offender_identified, e.distributed, e.tags) for e in entries
    ] == [
        ("1", True, None, False, ("one", "two")),
        (None, None, True, None, ()),
    ]
    assert [(p.location, p.reason) for p in problems] == [("line 4", "bad-flag")]
    hints = PlainCsvReader().hints(path, ReaderOptions())
    assert (hints.name, hints.version, hints.kind, hints.profile) == ("Unit set", "3", "known-bad", "vic-us")


def test_sniff_wants_a_digest_header_and_a_text_suffix(tmp_path: Path) -> None:
    reader = PlainCsvReader()
    assert reader.sniff(tmp_path / "a.csv", b"name;SHA-256;size\n")
    assert reader.sniff(tmp_path / "a.tsv", b"File Name\tMD5\n")
    assert not reader.sniff(tmp_path / "a.csv", b"name,size,colour\n")
    assert not reader.sniff(tmp_path / "a.xlsx", b"md5,size\n")
