"""Triage reports and exports: one visible registry, filled from one explicit list."""

from __future__ import annotations

from vigilant.extension_points import Registry
from vigilant.triage.reports.base import RecordSource, ReportWriter
from vigilant.triage.reports.case_uco import CaseReport
from vigilant.triage.reports.csv_report import CsvReport
from vigilant.triage.reports.dfxml import DfxmlReport
from vigilant.triage.reports.hashdeep import HashdeepReport
from vigilant.triage.reports.html_report import HtmlReport
from vigilant.triage.reports.vics import VicsReport


class ReportRegistry(Registry[ReportWriter]):
    """Writers by name, in the order the CLI lists them."""

    what = "report format"
    plural = "formats"


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
