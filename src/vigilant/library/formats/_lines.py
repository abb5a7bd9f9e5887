"""Line-by-line reading of text sources, so that one undecodable line is one refused row, not a failed import.

Byte-oriented encodings (UTF-8, Latin-1, …) are split on ``\\n`` as bytes and each line is decoded on its own.
UTF-16/32 cannot be split that way; such files are decoded as a whole with replacement characters and a line
that needed one is flagged instead.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vigilant.library.formats.base import HEAD_BYTES, SourceError

_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, as editors show it
    text: str  # without the line ending
    decode_error: str | None = None  # set when the line is not valid in the source's encoding

    @property
    def location(self) -> str:
        return f"line {self.number}"


def effective_encoding(start: bytes, encoding: str) -> str:
    """The encoding to use: a UTF-16/32 byte-order mark wins over the default UTF-8."""
    if start.startswith(_WIDE_BOMS) and _is_utf8(encoding):
        return "utf-32" if start.startswith(_WIDE_BOMS[:2]) else "utf-16"
    return encoding


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _is_wide(encoding: str) -> bool:
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def read_lines(path: Path, encoding: str) -> Iterator[Line]:
    try:
        with path.open("rb") as fh:
            encoding = effective_encoding(fh.read(4), encoding)
            fh.seek(0)
            if _is_wide(encoding):
                yield from _wide_lines(path, encoding)
                return
            decoder_name = "utf-8-sig" if _is_utf8(encoding) else encoding
            for number, raw in enumerate(fh, 1):
                yield _decode(number, raw, decoder_name)
    except LookupError as exc:
        raise SourceError(f"unknown encoding {encoding!r}", hint="name a Python codec, e.g. cp1252") from exc
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _decode(number: int, raw: bytes, encoding: str) -> Line:
    raw = raw.rstrip(b"\r\n")
    try:
        return Line(number, raw.decode(encoding))
    except UnicodeDecodeError as exc:
        detail = f"not valid {encoding} at byte {exc.start}: {raw[exc.start : exc.start + 8]!r}"
        return Line(number, raw.decode(encoding, errors="replace"), detail)


def _wide_lines(path: Path, encoding: str) -> Iterator[Line]:
    with path.open(encoding=encoding, errors="replace", newline=None) as fh:
        for number, line in enumerate(fh, 1):
            value = line.rstrip("\r\n")
            problem = f"not valid {encoding}" if "\ufffd" in value else None
            yield Line(number, value, problem)


def head_lines(head: bytes, limit: int = 20) -> list[str]:
    """The first complete lines of ``head`` for format sniffing, decoded leniently."""
    encoding = effective_encoding(head[:4], "utf-8-sig")
    text = head.decode(encoding, errors="replace")
    lines = text.splitlines()
    if len(head) >= HEAD_BYTES and lines:
        lines.pop()  # probably cut in the middle
    return lines[:limit]
