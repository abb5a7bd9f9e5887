"""A strict bencode codec that keeps the raw bytes of every value.

An infohash is the hash of the info dict *exactly as received*: re-encoding a decoded dict can change it
(a non-canonical key order, a leading zero), so the decoder hands back the byte span of each value.
Strict means: dict keys sorted and unique, integers canonical (no leading zeros, no "-0"), nothing
after the top-level value, and bounded nesting — anything else is a :class:`BencodeError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from vigilant.errors import BadInputError

Value = Union[int, bytes, list["Value"], dict[bytes, "Value"]]  # noqa: UP007 - a recursive alias
MAX_DEPTH = 64


class BencodeError(BadInputError):
    """Bytes that are not strict bencode; ``offset`` says where."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at byte {offset}")
        self.offset = offset


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.spans: dict[tuple[bytes, ...], Span] = {}

    def value(self, pos: int, path: tuple[bytes, ...], depth: int) -> tuple[Value, int]:
        if depth > MAX_DEPTH:
            raise BencodeError("nested too deep", pos)
        if pos >= len(self.data):
            raise BencodeError("truncated", pos)
        lead = self.data[pos : pos + 1]
        if lead == b"i":
            return self._int(pos)
        if lead.isdigit():
            return self._bytes(pos)
        if lead == b"l":
            items: list[Value] = []
            pos += 1
            while self.data[pos : pos + 1] != b"e":
                item, pos = self.value(pos, path, depth + 1)
                items.append(item)
            return items, pos + 1
        if lead == b"d":
            result: dict[bytes, Value] = {}
            pos += 1
            previous: bytes | None = None
            while self.data[pos : pos + 1] != b"e":
                if pos >= len(self.data):
                    raise BencodeError("truncated dict", pos)
                key_at = pos
                key, pos = self._bytes(pos)
                if previous is not None and key <= previous:
                    raise BencodeError(f"dict key {key!r} out of order or repeated", key_at)
                start = pos
                item, pos = self.value(pos, (*path, key), depth + 1)
                self.spans[(*path, key)] = Span(start, pos)
                result[key] = item
                previous = key
            return result, pos + 1
        raise BencodeError(f"unexpected byte {lead!r}", pos)

    def _int(self, pos: int) -> tuple[int, int]:
        end = self.data.find(b"e", pos)
        if end < 0:
            raise BencodeError("unterminated integer", pos)
        text = self.data[pos + 1 : end]
        digits = text[1:] if text.startswith(b"-") else text
        if not digits.isdigit() or (digits.startswith(b"0") and len(digits) > 1) or text == b"-0":
            raise BencodeError(f"bad integer {text!r}", pos)
        return int(text), end + 1

    def _bytes(self, pos: int) -> tuple[bytes, int]:
        colon = self.data.find(b":", pos)
        if colon < 0 or colon - pos > 20:
            raise BencodeError("bad string length", pos)
        length_text = self.data[pos:colon]
        if not length_text.isdigit() or (length_text.startswith(b"0") and len(length_text) > 1):
            raise BencodeError(f"bad string length {length_text!r}", pos)
        end = colon + 1 + int(length_text)
        if end > len(self.data):
            raise BencodeError("truncated string", pos)
        return self.data[colon + 1 : end], end


def decode(data: bytes) -> Value:
    value, _ = decode_with_spans(data)
    return value


def decode_with_spans(data: bytes) -> tuple[Value, dict[tuple[bytes, ...], Span]]:
    """The value, and for each dict entry (by key path, e.g. ``(b"info",)``) the span of its raw bytes."""
    decoder = _Decoder(data)
    value, end = decoder.value(0, (), 0)
    if end != len(data):
        raise BencodeError("trailing bytes after the value", end)
    return value, decoder.spans


def decode_prefix(data: bytes) -> tuple[Value, int]:
    """A value at the start of ``data`` and where it ends: ut_metadata puts raw bytes after its dict."""
    return _Decoder(data).value(0, (), 0)


def raw_value(data: bytes, *path: bytes) -> bytes:
    """The raw bytes of the value at ``path`` (e.g. ``raw_value(torrent, b"info")``), exactly as received."""
    _, spans = decode_with_spans(data)
    try:
        span = spans[tuple(path)]
    except KeyError:
        raise BencodeError(f"no value at {b'/'.join(path)!r}", 0) from None
    return data[span.start : span.end]


def encode(value: Value) -> bytes:
    parts: list[bytes] = []
    _encode(value, parts)
    return b"".join(parts)


def _encode(value: Value, out: list[bytes]) -> None:
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans")
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, bytes):
        out.append(b"%d:" % len(value))
        out.append(value)
    elif isinstance(value, list):
        out.append(b"l")
        for item in value:
            _encode(item, out)
        out.append(b"e")
    elif isinstance(value, dict):
        out.append(b"d")
        for key in sorted(value):
            _encode(key, out)
            _encode(value[key], out)
        out.append(b"e")
    else:
        raise TypeError(f"cannot bencode {type(value).__name__}")
