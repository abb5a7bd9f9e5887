"""EnCase legacy ``.hash`` sets: a fixed header with the set name, then 18-byte records (MD5 + 2 bytes).

Layout (from public readers, see formats.md): magic ``HASH\\r\\n\\xff\\x00``; the set name in UTF-16LE at
offset 1032; records from offset 1152. The meaning of the two bytes after each MD5 is not public; they
are kept in ``extra`` when not zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from vigilant.library.formats.base import ReaderOptions, ReadItem, SourceError
from vigilant.library.records import KnownEntry, RowProblem, SetHints

MAGIC = b"HASH\r\n\xff\x00"
NAME_OFFSET = 1032
RECORDS_OFFSET = 1152
RECORD_SIZE = 18
EXTRA_TAIL = "encase_record_tail"
_BATCH = 4096  # records read per call
_ZERO_MD5 = bytes(16)
_DAMAGED_HINT = "get an intact copy of the .hash file"


class EncaseHashReader:
    name = "encase"
    title = "EnCase legacy hash set (.hash)"

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.startswith(MAGIC)

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        header = _header(path)
        return SetHints(name=_set_name(header))

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        _header(path)
        size = path.stat().st_size
        spare = (size - RECORDS_OFFSET) % RECORD_SIZE
        if spare:
            raise SourceError(
                f"{path.name} is truncated: its last record has {spare} of {RECORD_SIZE} bytes",
                hint=_DAMAGED_HINT,
            )
        number = 0
        with path.open("rb") as fh:
            fh.seek(RECORDS_OFFSET)
            while chunk := fh.read(RECORD_SIZE * _BATCH):
                if len(chunk) % RECORD_SIZE:
                    raise SourceError(f"{path.name} shrank while being read", hint=_DAMAGED_HINT)
                for start in range(0, len(chunk), RECORD_SIZE):
                    number += 1
                    yield _record(chunk[start : start + RECORD_SIZE], number)


def _record(record: bytes, number: int) -> ReadItem:
    location = f"record {number}"
    md5, tail = record[:16], int.from_bytes(record[16:], "little")
    if md5 == _ZERO_MD5:
        return RowProblem(location, "no-digest", "the record's MD5 is all zeros (an empty slot)")
    return KnownEntry(location=location, md5=md5, extra={EXTRA_TAIL: tail} if tail else {})


def _header(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            header = fh.read(RECORDS_OFFSET)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not header.startswith(MAGIC):
        raise SourceError(f"{path.name} is not an EnCase .hash file (wrong magic)", hint="name its format")
    if len(header) < RECORDS_OFFSET:
        raise SourceError(f"{path.name} is truncated inside its header", hint=_DAMAGED_HINT)
    return header


def _set_name(header: bytes) -> str | None:
    raw = header[NAME_OFFSET:RECORDS_OFFSET]
    end = next((i for i in range(0, len(raw) - 1, 2) if raw[i : i + 2] == b"\x00\x00"), len(raw))
    name = raw[:end].decode("utf-16-le", errors="replace").strip()
    return name or None
