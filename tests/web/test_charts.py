"""The dashboard's SVG charts: well-formed XML, labels escaped, bars to scale, empty data drawn as a note."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from vigilant.cases.breakdown import AgeBand, OperationBreakdown
from vigilant.cases.figures import OperationFigures
from vigilant.web.charts import BAR_WIDTH, Bar, bar_chart, operation_charts, scale

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def bars_of(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "bar" in (r.get("class") or "").split()]


def test_bars_are_to_scale() -> None:
    root = parse(bar_chart("Charges", [Bar("a", 10), Bar("b", 5), Bar("c", 0)]))
    widths = [float(r.get("width") or "nan") for r in bars_of(root)]
    assert widths == [BAR_WIDTH, BAR_WIDTH / 2, 0.0]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == "Charges"
    assert {"10", "5", "0"} <= set(texts)


@pytest.mark.parametrize(
    ("value", "maximum", "want"),
    [(0, 0, 0.0), (3, 0, 0.0), (0, 7, 0.0), (7, 7, BAR_WIDTH), (1, 3, 106.7), (9, 3, BAR_WIDTH)],
)
def test_scale(value: int, maximum: int, want: float) -> None:
    assert scale(value, maximum) == want


def test_labels_are_escaped() -> None:
    hostile = "<script>alert(\"x\")</script> & 's'"
    markup = bar_chart(hostile, [Bar(hostile, 1)])
    assert "<script>" not in markup
    root = parse(markup)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts.count(hostile) == 2  # the title and the bar's label, intact once parsed
    assert root.find(f"{SVG}title") is not None


def test_empty_data_is_a_note_not_an_error() -> None:
    root = parse(bar_chart("Nothing", [], empty="No charges laid yet."))
    assert bars_of(root) == []
    assert "No charges laid yet." in [t.text for t in root.iter(f"{SVG}text")]


def test_no_inline_style_and_highlight_by_class() -> None:
    markup = bar_chart("Ages", [Bar("under 18", 2, highlight=True), Bar("18–24", 3)])
    assert "style=" not in markup  # the Content-Security-Policy would refuse it
    classes = [r.get("class") for r in bars_of(parse(markup))]
    assert classes == ["bar bar-hi", "bar"]


def test_operation_charts() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    figures = OperationFigures(
        operation="OP", as_of=date(2026, 3, 1), cases=2, charges=3, persons_charged=2, youths_charged=1,
        oldest_accused_age=40, charged_without_birth_date=0, warrants_executed=4, devices_seized=9,
        victims_identified=2, victims_safeguarded=1, victims_referred=1, unique_ips=5, ip_window_start=t,
        ip_window_end=t, municipalities=("Orillia",),
    )  # fmt: skip
    breakdown = OperationBreakdown(
        "OP", (("163.1(4)", 2), ("172.1", 1)), (AgeBand("under 18", 1, True), AgeBand("35–44", 1, False))
    )
    sections, ages, work = (parse(c) for c in operation_charts(figures, breakdown))
    assert [t.text for t in sections.iter(f"{SVG}text")][1] == "s. 163.1(4)"
    assert [r.get("class") for r in bars_of(ages)] == ["bar bar-hi", "bar"]
    assert len(bars_of(work)) == 5
