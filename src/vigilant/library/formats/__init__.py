"""Hash-set formats: one visible registry, filled from one explicit list."""

from __future__ import annotations

from pathlib import Path

from vigilant.extension_points import Registry
from vigilant.library.formats.base import HashSetReader, ReaderOptions, SourceError, read_head


class FormatRegistry(Registry[HashSetReader]):
    """Readers by name; detection asks each in list order, so more specific formats come first."""

    what = "hash-set format"
    plural = "formats"

    def detect(self, path: Path) -> HashSetReader:
        head = read_head(path)
        for reader in self:
            if reader.sniff(path, head):
                return reader
        raise SourceError(
            f"cannot tell the format of {path}: {_looks_like(head)}",
            hint=f"name it with --format (one of: {', '.join(self.names())})",
        )


# Leading bytes of files people pick by mistake, to say what was given instead of a hash set.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "a JPEG picture"),
    (b"\x89PNG\r\n\x1a\n", "a PNG picture"),
    (b"GIF8", "a GIF picture"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (unpack it and import the hash set inside)"),
    (b"\x1f\x8b", "a gzip file (unpack it and import the hash set inside)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (unpack it and import the hash set inside)"),
)


def _looks_like(head: bytes) -> str:
    """What a file no reader recognises seems to hold, from its first bytes."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"it looks like {what}, not a hash set"
    if b"\x00" in head:
        return "it holds binary data that is no hash-set format Vigilant reads"
    return "it is text in none of the hash-set formats Vigilant reads"


def _builtin_readers() -> list[HashSetReader]:
    # The one explicit list. Order matters for detection: binary and self-describing formats first,
    # the loosest text formats (plain CSV) last.
    from vigilant.library.formats import (  # noqa: PLC0415 - readers import this package's base
        encase,
        hashkeeper,
        hashlists,
        nsrl_v2,
        nsrl_v3,
        plain_csv,
        vics,
        vpdq,
    )

    return [
        vics.VicsReader(),
        vpdq.VpdqReader(),
        nsrl_v3.NsrlV3Reader(),
        encase.EncaseHashReader(),
        nsrl_v2.NsrlV2Reader(),
        hashkeeper.HashKeeperReader(),
        hashlists.HashdeepReader(),
        hashlists.SumsReader(),
        plain_csv.PlainCsvReader(),
    ]


_registry: FormatRegistry | None = None


def formats() -> FormatRegistry:
    global _registry  # noqa: PLW0603 - built once, on first use, from the explicit list above
    if _registry is None:
        _registry = FormatRegistry(_builtin_readers())
    return _registry


__all__ = ["FormatRegistry", "HashSetReader", "ReaderOptions", "SourceError", "formats"]
