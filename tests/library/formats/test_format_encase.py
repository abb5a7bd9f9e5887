"""EnCase legacy .hash sets: header, set name, 18-byte records, truncation."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigilant.library.formats import ReaderOptions, SourceError
from vigilant.library.formats.encase import EncaseHashReader
from vigilant.library.samples import Raw, SampleItem, read_source, synthetic_entries, write_encase

ENTRIES = synthetic_entries(25, seed=8)


def test_every_md5_reads_back_in_order(tmp_path: Path) -> None:
    path = write_encase(tmp_path / "set.hash", ENTRIES, name="Sünthetic set")
    entries, problems = read_source(path, "encase")
    assert problems == []
    assert [e.md5 for e in entries] == [e.md5 for e in ENTRIES]
    assert [e.location for e in entries[:2]] == ["record 1", "record 2"]
    assert path.stat().st_size == 1152 + 18 * 25
    assert EncaseHashReader().hints(path, ReaderOptions()).name == "Sünthetic set"


def test_empty_slots_are_refused_and_tail_bytes_kept(tmp_path: Path) -> None:
    items: list[SampleItem] = [ENTRIES[0], Raw(bytes(18)), Raw(b"\x11" * 16 + b"\x02\x01"), ENTRIES[1]]
    entries, problems = read_source(write_encase(tmp_path / "set.hash", items), "encase")
    assert [(p.location, p.reason) for p in problems] == [("record 2", "no-digest")]
    assert [e.md5 for e in entries] == [ENTRIES[0].md5, b"\x11" * 16, ENTRIES[1].md5]
    assert entries[1].extra == {"encase_record_tail": 0x0102}


def test_partial_last_record_is_a_source_error(tmp_path: Path) -> None:
    path = write_encase(tmp_path / "set.hash", [*ENTRIES[:3], Raw(b"\x01" * 7)])
    with pytest.raises(SourceError, match="truncated: its last record has 7 of 18 bytes"):
        read_source(path, "encase")


def test_header_cut_short_or_wrong_magic_is_a_source_error(tmp_path: Path) -> None:
    path = write_encase(tmp_path / "set.hash", ENTRIES[:3])
    data = path.read_bytes()
    path.write_bytes(data[:1000])
    with pytest.raises(SourceError, match="inside its header"):
        read_source(path, "encase")
    path.write_bytes(b"HASX" + data[4:])
    with pytest.raises(SourceError, match="wrong magic"):
        read_source(path, "encase")
