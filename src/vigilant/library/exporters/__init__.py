"""Hash-set export formats: one visible registry, filled from one explicit list."""

from __future__ import annotations

from vigilant.extension_points import Registry
from vigilant.hashing.digests import MD5, SHA1, SHA256
from vigilant.library.exporters.base import HashSetWriter, VideoFrames
from vigilant.library.exporters.csv_export import CsvWriter
from vigilant.library.exporters.hashdeep import HashdeepWriter
from vigilant.library.exporters.sums import SumsWriter
from vigilant.library.exporters.vics import VicsWriter
from vigilant.library.exporters.vpdq import VpdqWriter


class ExportRegistry(Registry[HashSetWriter]):
    """Writers by name, in the order the CLI lists them."""

    what = "export format"
    plural = "formats"


def _builtin_writers() -> list[HashSetWriter]:
    # The one explicit list.
    return [
        VicsWriter(),
        HashdeepWriter(),
        SumsWriter(MD5),
        SumsWriter(SHA1),
        SumsWriter(SHA256),
        CsvWriter(),
        VpdqWriter(),
    ]


_registry: ExportRegistry | None = None


def exporters() -> ExportRegistry:
    global _registry  # noqa: PLW0603 - built once, on first use, from the explicit list above
    if _registry is None:
        _registry = ExportRegistry(_builtin_writers())
    return _registry


__all__ = ["ExportRegistry", "HashSetWriter", "VideoFrames", "exporters"]
