"""Every exporter's output read back by the matching reader gives the same digests; all of them stream."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from vigilant.library.exporters import exporters
from vigilant.library.records import KnownEntry, StoredEntry
from vigilant.library.samples import read_source, sample_set, stored_entries, synthetic_entries

ENTRIES = synthetic_entries(40, seed=21)
SET = sample_set()

# writer -> (reader, the fields that must come back)
ROUND_TRIPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "vics": ("vics", ("md5", "sha1", "sha256", "pdq", "pdq_quality", "size")),
    "hashdeep": ("hashdeep", ("md5", "sha1", "sha256", "size", "file_name")),
    "md5sum": ("sums", ("md5", "file_name")),
    "sha1sum": ("sums", ("sha1", "file_name")),
    "sha256sum": ("sums", ("sha256", "file_name")),
    "csv": ("csv", ("md5", "sha1", "sha256", "pdq", "pdq_quality", "size", "category")),
}


def export(name: str, entries: list[KnownEntry], tmp_path: Path) -> tuple[Path, int]:
    writer = exporters()[name]
    out = io.BytesIO()
    count = writer.write([SET], stored_entries(entries, SET), out)
    path = tmp_path / f"export{writer.suffix}"
    path.write_bytes(out.getvalue())
    return path, count


@pytest.mark.parametrize("name", list(ROUND_TRIPS))
def test_export_reads_back_with_the_same_digests(tmp_path: Path, name: str) -> None:
    reader, names = ROUND_TRIPS[name]
    path, count = export(name, ENTRIES, tmp_path)
    entries, problems = read_source(path, reader)
    assert problems == []
    assert count == len(entries) == len(ENTRIES)

    def fields(entry: KnownEntry) -> tuple[object, ...]:
        return tuple(getattr(entry, field) for field in names)

    assert [fields(e) for e in entries] == [fields(e) for e in ENTRIES]


def test_export_output_is_detected_as_its_format(tmp_path: Path) -> None:
    for name, (reader, _) in ROUND_TRIPS.items():
        folder = tmp_path / name
        folder.mkdir()
        path, _ = export(name, ENTRIES[:5], folder)
        entries, _ = read_source(path)  # detection, no format named
        assert len(entries) == 5, f"{name} output not detected as {reader}"


def test_entries_lacking_a_digest_are_skipped_and_counted(tmp_path: Path) -> None:
    partial = [ENTRIES[0], replace(ENTRIES[1], sha256=None), replace(ENTRIES[2], size=None), ENTRIES[3]]
    _, hashdeep_count = export("hashdeep", partial, tmp_path)
    assert hashdeep_count == 2
    path, sha256_count = export("sha256sum", partial, tmp_path)
    assert sha256_count == 3
    assert len(path.read_text().splitlines()) == 3


def test_sums_escape_awkward_names(tmp_path: Path) -> None:
    odd = [replace(ENTRIES[0], file_name="a\\b\nc.jpg"), replace(ENTRIES[1], file_name=None, extra={})]
    path, _ = export("md5sum", odd, tmp_path)
    lines = path.read_text().splitlines()
    assert lines[0] == "\\" + (ENTRIES[0].md5 or b"").hex() + "  a\\\\b\\nc.jpg"
    digest = (ENTRIES[1].md5 or b"").hex()
    assert lines[1] == f"{digest}  {digest}"  # no name anywhere: the digest stands in for it
    entries, _ = read_source(path, "sums")
    assert entries[0].file_name == "a\\b\nc.jpg"


@pytest.mark.parametrize("name", list(ROUND_TRIPS))
def test_writers_stream_entry_by_entry(name: str) -> None:
    """Output grows while entries are still being produced: nothing collects the whole set first."""
    out = io.BytesIO()
    sizes: list[int] = []

    def produced() -> Iterator[StoredEntry]:
        for entry in stored_entries(ENTRIES, SET):
            sizes.append(out.tell())
            yield entry

    exporters()[name].write([SET], produced(), out)
    assert sizes[-1] > sizes[1] > 0
