"""HashKeeper CSV."""

from __future__ import annotations

from pathlib import Path

from vigilant.library.formats.hashkeeper import HashKeeperReader
from vigilant.library.records import KnownEntry
from vigilant.library.samples import Raw, SampleItem, read_source, synthetic_entries, write_hashkeeper

ENTRIES = synthetic_entries(20, seed=9)


def fields(entry: KnownEntry) -> tuple[object, ...]:
    return (entry.md5, entry.size, entry.file_name, entry.comments)


def test_every_row_reads_back(tmp_path: Path) -> None:
    path = write_hashkeeper(tmp_path / "set.hke", ENTRIES)
    entries, problems = read_source(path, "hashkeeper")
    assert problems == []
    assert [fields(e) for e in entries] == [fields(e) for e in ENTRIES]
    assert dict(entries[3].extra) == {"file_id": "4", "hashset_id": "7", "directory": "C:\\Synthetic\\"}
    assert entries[3].location == "line 5"


def test_bad_rows_are_located(tmp_path: Path) -> None:
    items: list[SampleItem] = [
        ENTRIES[0],
        Raw('2,7,"a.jpg","C:\\","XYZ",10,"","","","","",""'),
        Raw('3,7,"b.jpg","C:\\","",10,"","","","","",""'),
        Raw("4,7"),
        ENTRIES[1],
    ]
    entries, problems = read_source(write_hashkeeper(tmp_path / "set.hke", items), "hashkeeper")
    assert [e.md5 for e in entries] == [ENTRIES[0].md5, ENTRIES[1].md5]
    assert [(p.location, p.reason) for p in problems] == [
        ("line 3", "bad-md5"),
        ("line 4", "no-digest"),
        ("line 5", "bad-row"),
    ]


def test_sniff_wants_the_hashkeeper_header(tmp_path: Path) -> None:
    reader = HashKeeperReader()
    assert reader.sniff(
        tmp_path / "x", b'"file_id","hashset_id","file_name","directory","hash","file_size"\r\n'
    )
    assert not reader.sniff(tmp_path / "x", b'"file_id","file_name","hash"\r\n')
