"""Server-rendered SVG bar charts for the dashboard: no JavaScript, no inline styles.

The Content-Security-Policy refuses inline ``style`` attributes and scripts, so a chart is plain SVG whose
look comes from classes in ``static/app.css`` (``chart``, ``bar``, ``bar-hi``, …) and geometry from
presentation attributes. Every label is escaped here: offence titles and municipalities are data, and the
result is marked safe for Jinja only after that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from vigilant.cases.breakdown import OperationBreakdown
from vigilant.cases.figures import OperationFigures

ROW = 24  # px per bar
LABEL_WIDTH = 190  # px for the labels left of the bars
BAR_WIDTH = 320  # px for the longest bar
VALUE_WIDTH = 60  # px right of the bars for the figure
TOP = 28  # px for the title
WIDTH = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    highlight: bool = False  # drawn with the ``bar-hi`` class (e.g. youths)


def scale(value: int, maximum: int, width: float = BAR_WIDTH) -> float:
    """The length of a bar: proportional to ``value``, the largest value filling ``width``; 0 when all
    values are 0 (there is nothing to compare)."""
    if maximum <= 0 or value <= 0:
        return 0.0
    return round(width * min(value, maximum) / maximum, 1)


def _text(x: float, y: float, text: str, css: str, anchor: str = "start") -> str:
    return (
        f'<text x="{x:g}" y="{y:g}" class="{css}" text-anchor="{anchor}" '
        f'dominant-baseline="middle">{escape(text)}</text>'
    )


def bar_chart(title: str, bars: Sequence[Bar], *, empty: str = "No data yet.") -> Markup:
    """A horizontal bar chart as an ``<svg>`` element, titled for screen readers too."""
    height = TOP + max(len(bars), 1) * ROW + 4
    # aria-label rather than aria-labelledby: a page shows several operations' charts, ids would repeat.
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(title)}" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
        f"<title>{escape(title)}</title>",
        _text(0, TOP / 2, title, "chart-title"),
    ]
    if not bars:
        parts.append(_text(0, TOP + ROW / 2, empty, "chart-empty"))
    maximum = max((b.value for b in bars), default=0)
    for i, bar in enumerate(bars):
        y = TOP + i * ROW
        length = scale(bar.value, maximum)
        css = "bar bar-hi" if bar.highlight else "bar"
        parts.append(f"<g><title>{escape(bar.label)}: {bar.value}</title>")
        parts.append(_text(LABEL_WIDTH - 8, y + ROW / 2, bar.label, "chart-label", anchor="end"))
        parts.append(
            f'<rect class="{css}" x="{LABEL_WIDTH}" y="{y + 3}" width="{length:g}" height="{ROW - 6}"/>'
        )
        parts.append(_text(LABEL_WIDTH + length + 6, y + ROW / 2, str(bar.value), "chart-value"))
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # every piece of text above went through escape()


def operation_charts(figures: OperationFigures, breakdown: OperationBreakdown) -> list[Markup]:
    """The dashboard's three plots of one operation: charges by section, persons charged by age at their
    first offence (youths highlighted), and the enforcement and victim figures."""
    sections = [Bar(f"s. {section}", count) for section, count in breakdown.charges_by_section]
    ages = [Bar(band.label, band.count, highlight=band.youth) for band in breakdown.persons_by_age]
    work = [
        Bar("warrants executed", figures.warrants_executed),
        Bar("devices seized", figures.devices_seized),
        Bar("victims identified", figures.victims_identified, highlight=True),
        Bar("victims safeguarded", figures.victims_safeguarded, highlight=True),
        Bar("victims referred", figures.victims_referred, highlight=True),
    ]
    return [
        bar_chart("Charges by Criminal Code section", sections, empty="No charges laid yet."),
        bar_chart(
            "Persons charged by age at first offence",
            ages if figures.persons_charged else [],
            empty="No one charged yet.",
        ),
        bar_chart("Warrants, seizures and victims", work),
    ]
