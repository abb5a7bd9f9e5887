"""The VICS reader streams: memory stays flat however large the file (real ones run to gigabytes).

tracemalloc slows every allocation several times over, so the file is made large with long comments
rather than with hundreds of thousands of entries; what is checked is the same: memory does not follow
the file's size.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from vigilant.library.formats import ReaderOptions
from vigilant.library.formats.vics import VicsReader
from vigilant.library.records import KnownEntry
from vigilant.library.samples import iter_synthetic_entries, write_vics

CEILING = 2 * 1024 * 1024  # generous: the reader peaks under 1 MiB
PADDING = 2_000  # characters of comment per entry


def padded(count: int) -> Iterator[KnownEntry]:
    for number, entry in enumerate(iter_synthetic_entries(count, seed=3, tricky_names=False)):
        yield replace(entry, comments=f"{number:08d} " + "x" * PADDING)


@pytest.mark.parametrize(("form", "count"), [("media", 12_000), ("cases", 6_000)])
def test_big_file_is_read_with_bounded_memory(tmp_path: Path, form: str, count: int) -> None:
    path = write_vics(tmp_path / "big.json", padded(count), form=form, media_per_case=2_500)
    size = path.stat().st_size
    assert size > 6 * CEILING  # the file is far bigger than the memory allowed for reading it

    *_, expected_last = padded(count)
    read = 0
    last: KnownEntry | None = None
    tracemalloc.start()
    try:
        for item in VicsReader().read(path, ReaderOptions()):
            assert isinstance(item, KnownEntry)
            read += 1
            last = item
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert read == count
    assert last is not None
    assert (last.md5, last.comments) == (expected_last.md5, expected_last.comments)
    assert peak < CEILING, f"reading a {size / 1e6:.0f} MB file peaked at {peak / 1e6:.1f} MB"
