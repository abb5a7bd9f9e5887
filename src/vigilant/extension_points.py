"""One visible registry per extension point: items by name, filled from one explicit list.

Digest kinds, category profiles, hash-set formats and exporters, evidence source types and report formats
are each a :class:`Registry` subclass that names what it holds; a duplicate name is refused when the list
is built, and an unknown name gets an error listing the known ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar, Generic, Protocol, TypeVar

from vigilant.errors import BadInputError, ConflictError


class Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


class Registry(Generic[T]):
    what: ClassVar[str] = "item"  # "digest kind", "export format", … as errors name it
    plural: ClassVar[str] = "items"  # "kinds", "formats", … for the list of known names

    def __init__(self, items: Iterable[T]) -> None:
        self._items: dict[str, T] = {}
        for item in items:
            if item.name in self._items:
                raise ConflictError(f"{self.what} {item.name!r} registered twice")
            self._items[item.name] = item

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise BadInputError(
                f"unknown {self.what} {name!r}", hint=f"known {self.plural}: {', '.join(self._items)}"
            ) from None

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        return list(self._items)
