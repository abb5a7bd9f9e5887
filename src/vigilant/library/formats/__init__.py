"""Hash-set formats: one visible registry, filled from one explicit list."""

from __future__ import annotations

from pathlib import Path

from vigilant.library.formats.base import HashSetReader, ReaderOptions, SourceError, read_head
from vigilant.registry import Registry


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
            f"cannot tell the format of {path}",
            hint=f"name it with --format (one of: {', '.join(self.names())})",
        )


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
