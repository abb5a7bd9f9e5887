"""CSV-ish sources with one damaged line: a stray quote or a line break at every position of the line.

A malformed line is refused alone, with its line number, and every other line is read as if the damage
were not there (issue 11 A7: an unclosed quote in NSRLFile.txt used to swallow the next good line).
hashdeep audit files and md5sum lists are split by line and never shared the flaw; they are held to the
same rule here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from vigilant.library.records import KnownEntry
from vigilant.library.samples import (
    nsrl_names,
    read_source,
    synthetic_entries,
    write_csv,
    write_hashdeep,
    write_hashkeeper,
    write_nsrl_v2,
    write_sums,
)

ENTRIES = synthetic_entries(6, seed=17)
Writer = Callable[[Path], Path]


def _nsrl(folder: Path) -> Path:
    return write_nsrl_v2(folder / "rds", ENTRIES)


def _hashkeeper(folder: Path) -> Path:
    return write_hashkeeper(folder / "set.hke", ENTRIES)


def _csv(folder: Path) -> Path:
    return write_csv(folder / "set.csv", ENTRIES)


def _quoted_csv(folder: Path) -> Path:
    # Every cell quoted, as spreadsheet exports often are.
    path = write_csv(folder / "set.csv", ENTRIES)
    lines = path.read_text().splitlines()
    quoted = [",".join(f'"{cell}"' for cell in line.split(",")) for line in lines]
    path.write_text("\n".join(quoted) + "\n")
    return path


def _hashdeep(folder: Path) -> Path:
    return write_hashdeep(folder / "audit.txt", ENTRIES)


def _sums(folder: Path) -> Path:
    return write_sums(folder / "list.md5", ENTRIES)


# name -> (writer, format, lines before the first entry)
SOURCES: dict[str, tuple[Writer, str, int]] = {
    "nsrl-v2": (_nsrl, "nsrl-v2", 1),
    "hashkeeper": (_hashkeeper, "hashkeeper", 1),
    "csv": (_csv, "csv", 1),
    "csv-quoted": (_quoted_csv, "csv", 1),
    "hashdeep": (_hashdeep, "hashdeep", 5),
    "sums": (_sums, "sums", 1),
}
CSV_SOURCES = ["nsrl-v2", "hashkeeper", "csv", "csv-quoted"]


def fields(entry: KnownEntry) -> tuple[object, ...]:
    return (entry.md5, entry.file_name)


def _damaged(lines: list[bytes], index: int, position: int, insert: bytes) -> bytes:
    line = lines[index]
    return b"".join([*lines[:index], line[:position] + insert + line[position:], *lines[index + 1 :]])


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("insert", [b'"', b"\n"], ids=["quote", "line-break"])
@pytest.mark.parametrize("entry_index", [0, 2, len(ENTRIES) - 1], ids=["first", "middle", "last"])
def test_damage_at_every_position_costs_only_its_line(
    tmp_path: Path, source: str, insert: bytes, entry_index: int
) -> None:
    write, format_name, head = SOURCES[source]
    path = write(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    damaged_line = head + entry_index + 1  # 1-based
    # The damaged line's text, without its ending: every position in it, both ends included.
    width = len(lines[damaged_line - 1].rstrip(b"\r\n"))
    spread = 2 if insert == b"\n" else 1  # a line break makes two lines of one
    for position in range(width + 1):
        path.write_bytes(_damaged(lines, damaged_line - 1, position, insert))
        entries, problems = read_source(path, format_name)
        where = f"{source}: {insert!r} at position {position} of line {damaged_line}"

        def number(entry: KnownEntry | str) -> int:
            location = entry if isinstance(entry, str) else entry.location
            return int(location.removeprefix("line "))

        damaged = range(damaged_line, damaged_line + spread)
        intact = [e for e in entries if number(e) not in damaged]
        expected = [e for i, e in enumerate(ENTRIES) if i != entry_index]
        assert [fields(e) for e in intact] == [fields(e) for e in expected], where
        after = [number(e) for e in intact if number(e) > damaged_line]
        assert after == list(range(damaged_line + spread, damaged_line + spread + len(after))), where
        assert all(number(p.location) in damaged for p in problems), (where, problems)
        assert len(entries) + len(problems) >= 1 + len(expected), where  # the damaged line is accounted for


@pytest.mark.parametrize("source", CSV_SOURCES)
def test_an_unclosed_quote_is_refused_alone_and_located(tmp_path: Path, source: str) -> None:
    write, format_name, _ = SOURCES[source]
    path = write(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines[:3], b'"' + lines[3], *lines[4:]]))
    entries, problems = read_source(path, format_name)
    assert [fields(e) for e in entries] == [fields(e) for i, e in enumerate(ENTRIES) if i != 2]
    assert [(p.location, p.reason) for p in problems] == [("line 4", "bad-csv")]
    assert "quote" in problems[0].detail


def test_a_quoted_csv_cell_may_still_span_lines(tmp_path: Path) -> None:
    # The CSV exporter quotes a cell holding a line break: that row is one entry over two lines.
    md5 = [e.md5.hex() if e.md5 else "" for e in ENTRIES[:3]]
    path = tmp_path / "set.csv"
    path.write_text(f'md5,series\n{md5[0]},a\n{md5[1]},"first\nsecond"\n{md5[2]},c\n')
    entries, problems = read_source(path, "csv")
    assert problems == []
    assert [e.location for e in entries] == ["line 2", "line 3", "line 5"]
    assert [e.series for e in entries] == ["a", "first\nsecond", "c"]


@pytest.mark.parametrize("side_file", ["NSRLProd.txt", "NSRLOS.txt", "NSRLMfg.txt"])
@pytest.mark.parametrize("insert", [b'"', b"\n"], ids=["quote", "line-break"])
def test_damaged_side_file_line_costs_only_its_names(tmp_path: Path, side_file: str, insert: bytes) -> None:
    path = write_nsrl_v2(tmp_path / "rds", ENTRIES)
    side = path.parent / side_file
    lines = side.read_bytes().splitlines(keepends=True)
    target = 1  # the first data line
    width = len(lines[target].rstrip(b"\r\n"))
    for position in range(width + 1):
        side.write_bytes(_damaged(lines, target, position, insert))
        entries, problems = read_source(path, "nsrl-v2")
        where = f"{side_file}: {insert!r} at position {position}"
        assert [fields(e) for e in entries] == [fields(e) for e in ENTRIES], where
        assert all(p.location.startswith(f"{side_file} line ") for p in problems), (where, problems)
        # Another line of the same side file still names its entries.
        untouched = {
            "NSRLProd.txt": ("package_name", "Gamma Tools"),
            "NSRLOS.txt": ("os_name", "DemoOS"),
            "NSRLMfg.txt": ("manufacturer", "Example Systems Ltd"),
        }[side_file]
        named = [i for i in range(len(ENTRIES)) if nsrl_names(i)[untouched[0]] == untouched[1]]
        assert named, where
        for i in named:
            assert entries[i].extra.get(untouched[0]) == untouched[1], where
