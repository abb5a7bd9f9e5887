"""Hash lists written by command-line tools: ``md5sum``/``sha1sum``/``sha256sum`` (GNU and BSD styles) and
hashdeep/md5deep audit files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from vigilant.hashing.digests import MD5, SHA1, SHA256, DigestKind
from vigilant.library.formats import _fields as f
from vigilant.library.formats._lines import Line, head_lines, read_lines
from vigilant.library.formats.base import ReaderOptions, ReadItem, SourceError
from vigilant.library.records import KnownEntry, SetHints

_BY_LENGTH: dict[int, DigestKind] = {kind.hex_length: kind for kind in (MD5, SHA1, SHA256)}
_BY_TAG: dict[str, DigestKind] = {"MD5": MD5, "SHA1": SHA1, "SHA256": SHA256}
# GNU: "<hex>  <name>" (text mode), "<hex> *<name>" (binary mode); a leading "\" means the name is escaped.
# A single space is what BSD "md5 -r" writes.
# The digest token is taken loosely (any 16+ letters and digits) so a mistyped digest is reported as such.
_GNU = re.compile(r"(?P<escaped>\\)?(?P<hex>[0-9A-Za-z]{16,})(?: [ *]| )(?P<name>.*)")
_BSD = re.compile(r"(?P<escaped>\\)?(?P<tag>[A-Za-z0-9-]+) ?\((?P<name>.*)\) ?= ?(?P<hex>\S*)")
_SNIFF_HEX = re.compile(r"\\?(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})(?: [ *]| )\S.*")
_SNIFF_BSD = re.compile(r"\\?(?:MD5|SHA1|SHA256) ?\(.*\) ?= ?[0-9a-fA-F]{32,64}")
_GNU_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r"}

HASHDEEP_MAGIC = "%%%% HASHDEEP-1.0"


class SumsReader:
    name = "sums"
    title = "md5sum / sha1sum / sha256sum lists (GNU or BSD style)"

    def sniff(self, path: Path, head: bytes) -> bool:
        lines = [line for line in head_lines(head) if line.strip() and not line.startswith("#")][:5]
        return bool(lines) and all(_SNIFF_HEX.fullmatch(line) or _SNIFF_BSD.fullmatch(line) for line in lines)

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        return SetHints()

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        expected = _kind_from_name(path.name)
        for line in read_lines(path, options.encoding):
            if not line.text.strip() or line.text.startswith("#"):
                continue
            try:
                entry, kind = _sums_entry(line, expected)
            except f.Refused as refused:
                yield refused.at(line.location)
                continue
            expected = expected or kind  # a wrong-length digest is then reported against the list's kind
            yield entry


def _kind_from_name(name: str) -> DigestKind | None:
    lowered = name.lower()
    for tag in ("sha256", "sha1", "md5"):
        if tag in lowered:
            return _BY_TAG[tag.upper()]
    return None


def _sums_entry(line: Line, expected: DigestKind | None) -> tuple[KnownEntry, DigestKind]:
    if line.decode_error is not None:
        raise f.Refused("bad-encoding", line.decode_error)
    text = line.text
    if (bsd := _BSD.fullmatch(text)) is not None:
        tag = bsd["tag"].upper().replace("-", "")
        kind = _BY_TAG.get(tag)
        if kind is None:
            raise f.Refused("unsupported-digest", f"{bsd['tag']} digests are not kept by Vigilant")
        value, name, escaped = bsd["hex"], bsd["name"], bsd["escaped"]
    elif (gnu := _GNU.fullmatch(text)) is not None:
        value, name, escaped = gnu["hex"], gnu["name"], gnu["escaped"]
        kind = _BY_LENGTH.get(len(value)) or expected or MD5
    else:
        raise f.Refused("bad-line", f"neither '<hex>  <name>' nor 'MD5 (<name>) = <hex>': {text[:60]!r}")
    if escaped:
        name = _unescape(name)
    raw = f.digest(kind, value)
    entry = KnownEntry(
        location=line.location,
        md5=raw if kind is MD5 else None,
        sha1=raw if kind is SHA1 else None,
        sha256=raw if kind is SHA256 else None,
        file_name=name or None,
    )
    return f.require_digest(entry), kind


def _unescape(name: str) -> str:
    """Undo coreutils' escaping of names holding a backslash or a line break."""
    out: list[str] = []
    chars = iter(name)
    for ch in chars:
        if ch == "\\":
            following = next(chars, "")
            out.append(_GNU_ESCAPES.get(following, "\\" + following))
        else:
            out.append(ch)
    return "".join(out)


class HashdeepReader:
    name = "hashdeep"
    title = "hashdeep / md5deep audit file"

    def sniff(self, path: Path, head: bytes) -> bool:
        lines = [line for line in head_lines(head, limit=3) if line.strip()]
        return bool(lines) and lines[0].strip() == HASHDEEP_MAGIC

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        return SetHints()

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        columns: list[str] | None = None
        seen_magic = False
        for line in read_lines(path, options.encoding):
            text = line.text
            if not text.strip() or text.startswith("##"):
                continue
            if text.startswith("%%%%"):
                if text.strip() == HASHDEEP_MAGIC:
                    seen_magic = True
                else:
                    # Concatenated audit files repeat their header; the latest column list applies.
                    columns = [column.strip().lower() for column in text[4:].split(",")]
                continue
            if not seen_magic or columns is None:
                raise SourceError(
                    f"{path.name} has data at {line.location} before the '{HASHDEEP_MAGIC}' header and its"
                    " column list",
                    hint="it is not a hashdeep audit file: name another format",
                )
            try:
                yield _hashdeep_entry(line, columns)
            except f.Refused as refused:
                yield refused.at(line.location)


def _hashdeep_entry(line: Line, columns: list[str]) -> KnownEntry:
    if line.decode_error is not None:
        raise f.Refused("bad-encoding", line.decode_error)
    # The file name is last and may itself hold commas, so split off only the columns before it.
    cells = line.text.split(",", len(columns) - 1)
    if len(cells) != len(columns):
        raise f.Refused("bad-line", f"{len(cells)} fields where the header names {len(columns)}")
    values = dict(zip(columns, cells, strict=True))
    entry = KnownEntry(
        location=line.location,
        md5=f.digest(MD5, values.get("md5")),
        sha1=f.digest(SHA1, values.get("sha1")),
        sha256=f.digest(SHA256, values.get("sha256")),
        size=f.size(values.get("size")),
        file_name=values.get("filename") or None,
    )
    return f.require_digest(entry)
