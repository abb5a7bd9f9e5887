"""The HTML summary: hostile names inert, no media, nothing fetched, every section, worst hits first."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser

import pytest

from tests.triage.reports.synthetic import CONTROL_NAME, GOOD, HOSTILE_HTML, render
from vigilant.triage.reports import RecordSource, reports
from vigilant.triage.runinfo import RunInfo

ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "h2",
    "h3",
    "p",
    "span",
    "table",
    "tr",
    "th",
    "td",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.cells.append(data)


def html(run: RunInfo, source: RecordSource) -> str:
    return render(reports()["html"], run, source).decode("utf-8")


def parsed(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


def test_a_file_named_like_a_script_is_shown_as_text(run: RunInfo, source: RecordSource) -> None:
    text = html(run, source)
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.jpg" in text
    assert any(HOSTILE_HTML in cell for cell in parsed(text).cells)  # what the examiner reads
    assert "laptop &lt;b&gt;HDD&lt;/b&gt; &amp; co" in text  # the label too


def test_no_media_no_script_and_nothing_fetched(run: RunInfo, source: RecordSource) -> None:
    text = html(run, source)
    tags = parsed(text).tags
    assert {tag for tag, _ in tags} <= ALLOWED_TAGS
    attributes = {name for _, attrs in tags for name, _ in attrs}
    assert attributes <= {"lang", "charset", "http-equiv", "content", "name", "class"}
    for needle in ("<img", "<a ", "src=", "href=", "url(", "@import", "<link", "<iframe", "<object"):
        assert needle not in text.lower()
    assert "default-src 'none'" in text  # and the browser is told to refuse anything that slipped through


def test_control_characters_are_shown_not_obeyed(run: RunInfo, source: RecordSource) -> None:
    text = html(run, source)
    assert "\x07" not in text
    assert "\x01" not in text
    assert CONTROL_NAME not in text


def test_evidence_tool_library_and_figures(run: RunInfo, source: RecordSource) -> None:
    text = html(run, source)
    for expected in (
        "2026-0042",
        "e01",
        "/evidence/2026-0042/laptop.E01",
        run.evidence.hashes["sha256"],
        "hashes match",
        "Vigilant 0.1.0",
        "archive_depth",
        "Legacy DHS set",
        "20,000",  # a set's entry count
        '<tr><th>Files (archive members included)</th><td class="num">20</td></tr>',
        '<tr><th>Hits found by PDQ only</th><td class="num">1</td></tr>',
        '<tr><td>abuse</td><td class="num">4</td></tr>',
        "read error at 4096: &lt;bad&gt;",
        "archive listing failed",
    ):
        assert expected in text, expected


def test_hits_most_severe_first_then_in_record_order_without_known_good(
    run: RunInfo, source: RecordSource
) -> None:
    text = html(run, source)
    hits = text[text.index("<h2>Hits") : text.index("<h2>Errors")]
    rows = hits.split("<tr class=")[1:]
    assert [row[: row.index(">")] for row in rows] == ['"sev5"'] * 4 + ['"sev4"', '"sev0"']
    assert "IMG_0001.jpg" in rows[0]
    assert "$RABC123.jpg" in rows[1]
    assert "photos/a.jpg" in rows[2]
    assert "pdq (distance 12)" in rows[4]
    assert "Watch list 1" in rows[5]
    assert GOOD.name not in hits


@pytest.mark.parametrize(
    ("verification", "expected"),
    [
        (None, "not verified after the run"),
        ({"ok": False, "compared": ["md5"], "mismatched": ["md5"]}, "FAILED"),
    ],
)
def test_the_verification_result_is_plain(
    run: RunInfo, source: RecordSource, verification: dict[str, object] | None, expected: str
) -> None:
    assert expected in html(replace(run, verification=verification), source)


def test_an_empty_run_says_so(run: RunInfo) -> None:
    text = html(replace(run, library=[]), lambda: iter(()))
    assert "No hits." in text
    assert "No file failed to read." in text
    assert "No library set was used." in text
