"""Detection: each generated source is taken by its own reader, and no reader claims another's file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from vigilant.library.formats import ReaderOptions, SourceError, formats
from vigilant.library.formats.base import read_head
from vigilant.library.samples import (
    synthetic_entries,
    write_csv,
    write_encase,
    write_hashdeep,
    write_hashkeeper,
    write_nsrl_v2,
    write_nsrl_v3,
    write_sums,
    write_vics,
)

ENTRIES = synthetic_entries(12, seed=1)

# file name -> (writer, the format detection must pick, every reader whose sniff may say yes)
SOURCES: dict[str, tuple[Callable[[Path], Path], str, set[str]]] = {
    "media.json": (lambda p: write_vics(p, ENTRIES), "vics", {"vics"}),
    "cases-v1.json": (
        lambda p: write_vics(p, ENTRIES, version="1.2", form="cases", bom=True),
        "vics",
        {"vics"},
    ),
    "uk.json": (lambda p: write_vics(p, ENTRIES, region="UK"), "vics", {"vics"}),
    "rds.db": (lambda p: write_nsrl_v3(p, ENTRIES), "nsrl-v3", {"nsrl-v3"}),
    "rds-full.db": (lambda p: write_nsrl_v3(p, ENTRIES, full=True), "nsrl-v3", {"nsrl-v3"}),
    "set.hash": (lambda p: write_encase(p, ENTRIES), "encase", {"encase"}),
    # NSRLFile.txt has SHA-1 and MD5 headers, so plain CSV could read it too: order gives it to nsrl-v2.
    "nsrl2": (lambda p: write_nsrl_v2(p, ENTRIES), "nsrl-v2", {"nsrl-v2", "csv"}),
    "nsrl2-old": (lambda p: write_nsrl_v2(p, ENTRIES, old_order=True), "nsrl-v2", {"nsrl-v2", "csv"}),
    "keeper.csv": (lambda p: write_hashkeeper(p, ENTRIES), "hashkeeper", {"hashkeeper"}),
    "audit.txt": (lambda p: write_hashdeep(p, ENTRIES), "hashdeep", {"hashdeep"}),
    "list.md5": (lambda p: write_sums(p, ENTRIES, "md5"), "sums", {"sums"}),
    "list.sha256": (lambda p: write_sums(p, ENTRIES, "sha256", style="bsd"), "sums", {"sums"}),
    "list.txt": (lambda p: write_sums(p, ENTRIES, "sha1", binary=True), "sums", {"sums"}),
    "plain.csv": (lambda p: write_csv(p, ENTRIES), "csv", {"csv"}),
    "plain.tsv": (lambda p: write_csv(p, ENTRIES, delimiter="\t"), "csv", {"csv"}),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    return {name: write(folder / name) for name, (write, _, _) in SOURCES.items()}


@pytest.mark.parametrize("name", list(SOURCES))
def test_detect_picks_the_right_reader(generated: dict[str, Path], name: str) -> None:
    _, expected, _ = SOURCES[name]
    assert formats().detect(generated[name]).name == expected


@pytest.mark.parametrize("name", list(SOURCES))
def test_no_other_reader_claims_the_file(generated: dict[str, Path], name: str) -> None:
    path = generated[name]
    head = read_head(path)
    claimed = {reader.name for reader in formats() if reader.sniff(path, head)}
    assert claimed == SOURCES[name][2]


def test_detected_reader_reads_every_entry(generated: dict[str, Path]) -> None:
    for name, path in generated.items():
        items = list(formats().detect(path).read(path, ReaderOptions()))
        assert len(items) == len(ENTRIES), name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"meeting notes\nnothing to see here\n"),
        ("photo.jpg", bytes(range(256)) * 4),
        ("data.json", b'{"value": [{"MD5": "d41d8cd98f00b204e9800998ecf8427e"}]}'),
        ("empty.csv", b""),
    ],
)
def test_unknown_files_are_not_guessed(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match="cannot tell the format") as raised:
        formats().detect(path)
    assert raised.value.hint is not None
    assert "--format" in raised.value.hint


def test_registry_order_is_most_specific_first() -> None:
    assert formats().names() == [
        "vics",
        "vpdq",
        "nsrl-v3",
        "encase",
        "nsrl-v2",
        "hashkeeper",
        "hashdeep",
        "sums",
        "csv",
    ]
