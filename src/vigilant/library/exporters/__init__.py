"""Hash-set export formats: one visible registry, filled from one explicit list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from vigilant.digests import MD5, SHA1, SHA256
from vigilant.errors import BadInputError, ConflictError
from vigilant.library.exporters.base import HashSetWriter
from vigilant.library.exporters.csv_export import CsvWriter
from vigilant.library.exporters.hashdeep import HashdeepWriter
from vigilant.library.exporters.sums import SumsWriter
from vigilant.library.exporters.vics import VicsWriter


class ExportRegistry:
    """Writers by name, in the order the CLI lists them."""

    def __init__(self, writers: Iterable[HashSetWriter]) -> None:
        self._writers: dict[str, HashSetWriter] = {}
        for writer in writers:
            if writer.name in self._writers:
                raise ConflictError(f"export format {writer.name!r} registered twice")
            self._writers[writer.name] = writer

    def __getitem__(self, name: str) -> HashSetWriter:
        try:
            return self._writers[name]
        except KeyError:
            raise BadInputError(
                f"unknown export format {name!r}", hint=f"known formats: {', '.join(self._writers)}"
            ) from None

    def __iter__(self) -> Iterator[HashSetWriter]:
        return iter(self._writers.values())

    def names(self) -> list[str]:
        return list(self._writers)


def _builtin_writers() -> list[HashSetWriter]:
    # The one explicit list.
    return [
        VicsWriter(),
        HashdeepWriter(),
        SumsWriter(MD5),
        SumsWriter(SHA1),
        SumsWriter(SHA256),
        CsvWriter(),
    ]


_registry: ExportRegistry | None = None


def exporters() -> ExportRegistry:
    global _registry  # noqa: PLW0603 - built once, on first use, from the explicit list above
    if _registry is None:
        _registry = ExportRegistry(_builtin_writers())
    return _registry


__all__ = ["ExportRegistry", "HashSetWriter", "exporters"]
