"""A synthetic finished run for the report tests: its RunInfo, its records, and its Parquet batch files.

Benign, generated content only. The records cover what reports must get right: known-bad hits by MD5 and
by PDQ with categories (two profiles), known-good and alert hits, a deleted copy of a known-bad file,
archive members (nested, one encrypted), read errors, hostile names (HTML, spreadsheet formulas, control
characters, an XML non-character) and Unicode names. They are written exactly as the pipeline writes them
(``to_table`` into ``batch-NNNNNN.parquet``) so that reports are tested through ``iter_records``.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from vigilant.evidence.items import EvidenceInfo
from vigilant.triage.records import FileRecord, Hit, to_table
from vigilant.triage.reports import RecordSource, ReportWriter
from vigilant.triage.runinfo import LibrarySetInfo, RunInfo

EVIDENCE_ID = 3
PARTITION, OFFSET, FS = 2, 1_048_576, "ntfs"
HOSTILE_HTML = "<script>alert(1)</script>.jpg"
FORMULA_NAMES = ("=SUM(1+1)*cmd|calc!A0.csv", "-2+3.txt", "@SUM(A1).txt", "+cmd.txt")
CONTROL_NAME = "bell\x07name\x01\nline.txt"
NONCHARACTER_NAME = "odd\ufffe.txt"
UNICODE_MEMBER = "ünïcödé 子供.txt"

CAM = LibrarySetInfo(1, "Test CAM set", "2026.1", "known-bad", "vic-us", "ab" * 32, 1000)
DHS = LibrarySetInfo(2, "Legacy DHS set", "7", "known-bad", "dhs", "cd" * 32, 50)
GOOD = LibrarySetInfo(3, "NSRL sample", "2026.03", "known-good", "none", "ef" * 32, 20000)
WATCH = LibrarySetInfo(4, "Watch list", "1", "alert", "none", "01" * 32, 5)

BY_MD5 = Hit(
    1, CAM.name, CAM.version, "known-bad", "md5", None, 101, "1", "Child Abuse Material", "abuse", 5, None
)
BY_PDQ = Hit(
    1,
    CAM.name,
    CAM.version,
    "known-bad",
    "pdq",
    12,
    102,
    "2",
    "Child Exploitive / Age Difficult",
    "exploitive",
    4,
    None,
)
BY_DHS = Hit(2, DHS.name, DHS.version, "known-bad", "sha1", None, 201, "1", "Illegal", "abuse", 5, "series-x")
KNOWN_GOOD = Hit(3, GOOD.name, GOOD.version, "known-good", "sha1", None, 301, None, None, None, 0, None)
ALERT = Hit(4, WATCH.name, WATCH.version, "alert", "sha256", None, 401, None, None, None, 0, None)

T0 = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
T1 = datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)


def content(tag: str) -> bytes:
    return f"synthetic content {tag}\n".encode()


def synthetic_run(**changes: Any) -> RunInfo:
    data = b"synthetic evidence image"
    evidence = EvidenceInfo(
        id=EVIDENCE_ID,
        label="laptop <b>HDD</b> & co",
        case_number="2026-0042",
        source_type="e01",
        path="/evidence/2026-0042/laptop.E01",
        size=500_107_862_016,
        hashes={
            "md5": hashlib.md5(data).hexdigest(),
            "sha1": hashlib.sha1(data).hexdigest(),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        description="Seized laptop (synthetic test data)",
    )
    run = RunInfo(
        id=7,
        evidence=evidence,
        tool="Vigilant 0.1.0",
        settings={"pdq": True, "archive_depth": 2, "set_ids": None, "pictures": {"draft": True}},
        library=[CAM, DHS, GOOD, WATCH],
        verification={"ok": True, "compared": ["md5", "sha1", "sha256"], "mismatched": []},
    )
    return replace(run, **changes)


def file_record(
    position: int,
    path: str,
    data: bytes | None,
    *,
    member: int = 0,
    members: tuple[str, ...] = (),
    size: int | None = None,
    **fields: Any,
) -> FileRecord:
    """A record as the pipeline makes one; ``data`` None means the content was not read (no digests)."""
    name = fields.pop("name", None) or (members[-1] if members else path).rsplit("/", 1)[-1]
    inode = 1000 + position
    address = f"partition {PARTITION} @ {OFFSET} > {FS} > {path} (inode {inode})"
    address += "".join(f" > member {m}" for m in members)
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else None
    record = FileRecord(
        evidence_id=EVIDENCE_ID,
        position=position,
        member=member,
        address=address,
        partition=PARTITION,
        partition_offset=OFFSET,
        filesystem=FS,
        path=path,
        inode=inode,
        attribute=None,
        members=list(members),
        name=name,
        extension=extension,
        size=len(data) if size is None and data is not None else (size or 0),
        allocated=True,
        modified=T0,
        accessed=T1,
        changed=T1,
        created=None,
    )
    if data is not None:
        record = replace(
            record,
            md5=hashlib.md5(data).digest(),
            sha1=hashlib.sha1(data).digest(),
            sha256=hashlib.sha256(data).digest(),
        )
    return replace(record, **fields)


def _hit_fields(*hits: Hit) -> dict[str, Any]:
    bad = [h for h in hits if h.set_kind == "known-bad"]
    top = max(bad, key=lambda h: h.severity, default=None)
    return {
        "hits": list(hits),
        "known_bad": bool(bad),
        "known_good": any(h.set_kind == "known-good" for h in hits),
        "alert": any(h.set_kind == "alert" for h in hits),
        "top_class": None if top is None else top.category_class,
        "top_severity": None if top is None else top.severity,
    }


def _picture(tag: str) -> dict[str, Any]:
    return {
        "mime": "image/jpeg",
        "magic": "JPEG image data, JFIF standard 1.01",
        "is_image": True,
        "pdq": hashlib.sha256(tag.encode()).digest(),
        "pdq_quality": 90,
    }


def synthetic_records() -> list[FileRecord]:
    pics = "/Users/kim/Pictures"
    docs = "/Users/kim/Documents"
    known = content("known picture")
    return [
        file_record(0, f"{pics}/IMG_0001.jpg", known, **_picture("known"), **_hit_fields(BY_MD5)),
        file_record(
            1, f"{pics}/resized.jpg", content("near copy"), **_picture("near"), **_hit_fields(BY_PDQ)
        ),
        file_record(
            2,
            "/Windows/notepad.exe",
            content("tool"),
            mime="application/x-dosexec",
            **_hit_fields(KNOWN_GOOD),
        ),
        file_record(
            3,
            "/$Recycle.Bin/S-1-5-21/$RABC123.jpg",
            known,
            allocated=False,
            created=T0,
            **_picture("known"),
            **_hit_fields(BY_MD5),
        ),
        file_record(
            4, "/Users/kim/Downloads/archive.zip", content("zip"), mime="application/zip", archive_members=3
        ),
        file_record(
            4,
            "/Users/kim/Downloads/archive.zip",
            content("member a"),
            member=1,
            members=("photos/a.jpg",),
            **_picture("member a"),
            **_hit_fields(BY_DHS, ALERT),
        ),
        file_record(
            4,
            "/Users/kim/Downloads/archive.zip",
            None,
            member=2,
            members=("secret.jpg",),
            size=1234,
            status="encrypted",
        ),
        file_record(
            4,
            "/Users/kim/Downloads/archive.zip",
            content("inner zip"),
            member=3,
            members=("inner.zip",),
            mime="application/zip",
            archive_members=1,
        ),
        file_record(
            4,
            "/Users/kim/Downloads/archive.zip",
            content("unicode"),
            member=4,
            members=("inner.zip", UNICODE_MEMBER),
            mime="text/plain",
        ),
        file_record(
            5,
            f"/Users/kim/Desktop/{HOSTILE_HTML}",
            content("hostile"),
            name=HOSTILE_HTML,
            **_picture("x"),
            **_hit_fields(BY_MD5),
        ),
        *(
            file_record(6 + i, f"{docs}/{name}", content(f"formula {i}"), mime="text/plain")
            for i, name in enumerate(FORMULA_NAMES)
        ),
        file_record(10, f"/tmp/{CONTROL_NAME}", content("control"), mime="text/plain"),
        file_record(
            11, f"{docs}/notes.txt", content("png"), mime="image/png", is_image=True, extension_mismatch=True
        ),
        file_record(
            12, "/bad/sector.jpg", None, size=8192, status="unreadable", error="read error at 4096: <bad>"
        ),
        file_record(13, f"{docs}/empty.dat", b"", modified=None, accessed=None, changed=None),
        file_record(14, f"{docs}/{NONCHARACTER_NAME}", content("noncharacter"), mime="text/plain"),
        file_record(
            15,
            f"{docs}/broken.zip",
            content("broken zip"),
            mime="application/zip",
            status="error",
            error="archive listing failed: truncated central directory",
        ),
    ]


def write_batches(records: list[FileRecord], results_dir: Path, per_batch: int = 4) -> Path:
    """The records as the pipeline's batch files, ``per_batch`` records each."""
    results_dir.mkdir(parents=True, exist_ok=True)
    for batch, start in enumerate(range(0, len(records), per_batch)):
        pq.write_table(
            to_table(records[start : start + per_batch]), results_dir / f"batch-{batch:06d}.parquet"
        )
    return results_dir


def render(writer: ReportWriter, run: RunInfo, records: RecordSource) -> bytes:
    out = io.BytesIO()
    writer.write(run, records, out)
    return out.getvalue()
