"""A self-contained HTML summary of a run for the examiner and the court file. It never shows media.

Jinja2 with autoescaping on renders ``templates/report.html.j2``, streamed chunk by chunk after one pass
over the records (figures, with hit and error rows spooled to disk in the order the report lists them).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import BinaryIO

import jinja2

from vigilant.triage.reports._html_view import ReportView, spool_rows
from vigilant.triage.reports._sink import TextSink
from vigilant.triage.reports._spool import SortedSpool
from vigilant.triage.reports.base import RecordSource
from vigilant.triage.results import summarise
from vigilant.triage.runinfo import RunInfo

PACKAGE = "vigilant.triage.reports"
TEMPLATE = "report.html.j2"


class HtmlReport:
    name = "html"
    title = "HTML summary (no media shown)"
    suffix = ".html"

    def __init__(self, tmp_dir: Path | None = None) -> None:
        self.tmp_dir = tmp_dir  # where the spools go (default: the system's temporary folder)

    def write(self, run: RunInfo, records: RecordSource, out: BinaryIO) -> None:
        with SortedSpool(self.tmp_dir) as hits, SortedSpool(self.tmp_dir) as errors:
            summary = summarise(spool_rows(records(), hits, errors))
            view = ReportView(run, summary, hits, errors)
            sink = TextSink(out)
            for chunk in environment().get_template(TEMPLATE).generate(view=view):
                sink.write(chunk)
            sink.flush()


def _load(name: str) -> str:
    # Read through importlib.resources: works from the source tree, an editable install or a wheel.
    return resources.files(PACKAGE).joinpath("templates", name).read_text(encoding="utf-8")


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        autoescape=True,  # every string in a report may come from seized media
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
