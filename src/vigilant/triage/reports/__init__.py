"""Triage reports and exports: one visible registry, filled from one explicit list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from vigilant.errors import BadInputError, ConflictError
from vigilant.triage.reports.base import RecordSource, ReportWriter
from vigilant.triage.reports.case_uco import CaseReport
from vigilant.triage.reports.csv_report import CsvReport
from vigilant.triage.reports.dfxml import DfxmlReport
from vigilant.triage.reports.hashdeep import HashdeepReport
from vigilant.triage.reports.html_report import HtmlReport
from vigilant.triage.reports.vics import VicsReport


class ReportRegistry:
    """Writers by name, in the order the CLI lists them."""

    def __init__(self, writers: Iterable[ReportWriter]) -> None:
        self._writers: dict[str, ReportWriter] = {}
        for writer in writers:
            if writer.name in self._writers:
                raise ConflictError(f"report format {writer.name!r} registered twice")
            self._writers[writer.name] = writer

    def __getitem__(self, name: str) -> ReportWriter:
        try:
            return self._writers[name]
        except KeyError:
            raise BadInputError(
                f"unknown report format {name!r}", hint=f"known formats: {', '.join(self._writers)}"
            ) from None

    def __iter__(self) -> Iterator[ReportWriter]:
        return iter(self._writers.values())

    def names(self) -> list[str]:
        return list(self._writers)


def _builtin_writers() -> list[ReportWriter]:
    # The one explicit list.
    return [
        HtmlReport(),
        CsvReport(),
        VicsReport(),
        CaseReport(),
        DfxmlReport(),
        HashdeepReport(),
    ]


_registry: ReportRegistry | None = None


def reports() -> ReportRegistry:
    global _registry  # noqa: PLW0603 - built once, on first use, from the explicit list above
    if _registry is None:
        _registry = ReportRegistry(_builtin_writers())
    return _registry


__all__ = ["RecordSource", "ReportRegistry", "ReportWriter", "reports"]
