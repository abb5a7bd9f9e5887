"""md5sum-style lists (GNU and BSD) and hashdeep audit files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from vigilant.library.formats import SourceError
from vigilant.library.records import KnownEntry
from vigilant.library.samples import (
    Raw,
    SampleItem,
    read_source,
    synthetic_entries,
    write_hashdeep,
    write_sums,
)

ENTRIES = synthetic_entries(30, seed=4)  # every tenth has an awkward name: commas, backslashes, …
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def digest_and_name(entry: KnownEntry, kind: str) -> tuple[object, str | None]:
    return getattr(entry, kind), entry.file_name


@pytest.mark.parametrize("kind", ["md5", "sha1", "sha256"])
@pytest.mark.parametrize(("style", "binary"), [("gnu", False), ("gnu", True), ("bsd", False)])
def test_sums_read_back_with_their_names(tmp_path: Path, kind: str, style: str, binary: bool) -> None:
    path = write_sums(tmp_path / f"list.{kind}", ENTRIES, kind, style=style, binary=binary)
    entries, problems = read_source(path, "sums")
    assert problems == []
    assert [digest_and_name(e, kind) for e in entries] == [digest_and_name(e, kind) for e in ENTRIES]
    assert entries[0].location == "line 2"  # line 1 is a comment


def test_escaped_names_with_backslashes_and_line_breaks(tmp_path: Path) -> None:
    odd = [replace(ENTRIES[0], file_name="two\nlines\\and back\\slash.jpg"), ENTRIES[1]]
    path = write_sums(tmp_path / "list.md5", odd)
    assert "\\" + (ENTRIES[0].md5 or b"").hex() + "  two\\nlines\\\\and" in path.read_text()
    entries, _ = read_source(path, "sums")
    assert [e.file_name for e in entries] == ["two\nlines\\and back\\slash.jpg", ENTRIES[1].file_name]


def test_sums_bad_lines_are_located(tmp_path: Path) -> None:
    items: list[SampleItem] = [
        ENTRIES[0],
        Raw(""),
        Raw("# a comment"),
        Raw("0123456789abcdef0123456789abcde  short.jpg"),
        Raw("0123456789abcdef0123456789abcdeg  nothex.jpg"),
        Raw("SHA512 (big.jpg) = " + "ab" * 64),
        Raw("what is this line"),
        Raw(f"MD5 (ok.jpg) = {MD5}"),
        ENTRIES[1],
    ]
    entries, problems = read_source(write_sums(tmp_path / "list.txt", items), "sums")
    assert [e.md5 for e in entries] == [ENTRIES[0].md5, bytes.fromhex(MD5), ENTRIES[1].md5]
    assert [(p.location, p.reason) for p in problems] == [
        ("line 5", "bad-md5"),
        ("line 6", "bad-md5"),
        ("line 7", "unsupported-digest"),
        ("line 8", "bad-line"),
    ]


def test_sums_undecodable_line_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "list.md5"
    path.write_bytes(f"{MD5}  a.jpg\n{MD5}  caf\xe9.jpg\n".encode() + f"{MD5}  b\xe9.jpg\n".encode("latin-1"))
    entries, problems = read_source(path, "sums")
    assert [e.file_name for e in entries] == ["a.jpg", "café.jpg"]
    assert [(p.location, p.reason) for p in problems] == [("line 3", "bad-encoding")]


def test_utf16_list_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "list.md5"
    path.write_bytes(f"{MD5}  a.jpg\r\n{MD5}  b.jpg\r\n".encode("utf-16"))
    entries, problems = read_source(path)
    assert problems == []
    assert [e.file_name for e in entries] == ["a.jpg", "b.jpg"]


@pytest.mark.parametrize("columns", [("size", "md5", "sha256"), ("md5", "sha1", "sha256", "size"), ("sha1",)])
def test_hashdeep_reads_back_any_column_order(tmp_path: Path, columns: tuple[str, ...]) -> None:
    path = write_hashdeep(tmp_path / "audit.txt", ENTRIES, columns=columns)
    entries, problems = read_source(path, "hashdeep")
    assert problems == []

    def fields(entry: KnownEntry) -> tuple[object, ...]:
        return (*(getattr(entry, c) for c in columns), entry.file_name)

    assert [fields(e) for e in entries] == [fields(e) for e in ENTRIES]
    assert any("," in (e.file_name or "") for e in entries)  # commas in names survive
    assert entries[0].location == "line 6"


def test_hashdeep_ignores_unknown_columns_and_locates_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "audit.txt"
    tiger = "ab" * 24
    path.write_text(
        "%%%% HASHDEEP-1.0\n"
        "%%%% size,md5,tiger,filename\n"
        "## Invoked from: /synthetic\n"
        f"10,{MD5},{tiger},/a/one, two.jpg\n"
        f"x,{MD5},{tiger},/a/bad-size.jpg\n"
        f"10,{MD5[:-1]},{tiger},/a/bad-md5.jpg\n"
        f"10,{MD5}\n"
        "%%%% md5,filename\n"
        f"{MD5},/b/after-new-header.jpg\n"
    )
    entries, problems = read_source(path, "hashdeep")
    assert [(e.size, e.file_name, e.location) for e in entries] == [
        (10, "/a/one, two.jpg", "line 4"),
        (None, "/b/after-new-header.jpg", "line 9"),
    ]
    assert [(p.location, p.reason) for p in problems] == [
        ("line 5", "bad-size"),
        ("line 6", "bad-md5"),
        ("line 7", "bad-line"),
    ]


def test_hashdeep_without_header_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "audit.txt"
    path.write_text(f"%%%% HASHDEEP-1.0\n10,{MD5},/a.jpg\n")
    with pytest.raises(SourceError, match="before the"):
        read_source(path, "hashdeep")
