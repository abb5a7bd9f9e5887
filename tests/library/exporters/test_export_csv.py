"""The CSV exporter: one header with every field, safe cells, and a file our CSV reader takes back."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

from vigilant.library.exporters import exporters
from vigilant.library.exporters.csv_export import HEADER
from vigilant.library.formats import ReaderOptions
from vigilant.library.formats.plain_csv import PlainCsvReader
from vigilant.library.records import KnownEntry, SetKind
from vigilant.library.samples import read_source, sample_set, stored_entries, synthetic_entries

ENTRIES = synthetic_entries(12, seed=17)
SET = sample_set(name="Unit set", version="2024-1")


def exported(entries: list[KnownEntry] = ENTRIES) -> bytes:
    out = io.BytesIO()
    exporters()["csv"].write([SET], stored_entries(entries, SET), out)
    return out.getvalue()


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_header_names_every_field_and_rows_carry_set_and_label() -> None:
    data = exported()
    assert data.startswith(b"\xef\xbb\xbf")
    header, *body = rows(data)
    assert header == list(HEADER)
    assert len(body) == len(ENTRIES)
    first = dict(zip(header, body[0], strict=True))
    source = ENTRIES[0]
    assert (first["set name"], first["set version"], first["kind"], first["profile"]) == (
        "Unit set",
        "2024-1",
        "known-bad",
        "vic-us",
    )
    assert first["md5"] == (source.md5 or b"").hex()
    assert first["category code"] == (source.category or "")
    labels = {"": "", "0": "Non-Pertinent", "1": "Child Abuse Material"}
    for line in body:
        record = dict(zip(header, line, strict=True))
        if record["category code"] in labels:
            assert record["category label"] == labels[record["category code"]]


def test_formula_like_cells_are_defused() -> None:
    risky = [replace(ENTRIES[0], file_name="=HYPERLINK(1)", comments="+1", series="@x", tags=("-t",))]
    header, line = rows(exported(risky))
    record = dict(zip(header, line, strict=True))
    assert (record["file_name"], record["comments"], record["series"], record["tags"]) == (
        "'=HYPERLINK(1)",
        "'+1",
        "'@x",
        "'-t",
    )


def test_csv_reader_takes_the_export_back_with_flags_and_hints(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(exported())
    entries, problems = read_source(path)
    assert problems == []

    def essence(e: KnownEntry) -> tuple[object, ...]:
        return tuple(
            getattr(e, name)
            for name in (
                "md5",
                "sha1",
                "sha256",
                "pdq",
                "pdq_quality",
                "size",
                "category",
                "victim_identified",
                "offender_identified",
                "distributed",
            )
        )

    assert [essence(e) for e in entries] == [essence(e) for e in ENTRIES]
    hints = PlainCsvReader().hints(path, ReaderOptions())
    assert (hints.name, hints.version, hints.kind, hints.profile) == (
        "Unit set",
        "2024-1",
        SetKind.KNOWN_BAD,
        "vic-us",
    )
