"""A hashdeep audit file (``size,md5,sha256,filename``) of every record that has both digests.

The file name column is the record's address. hashdeep audits by comparing that name with the path it
walks, so ``hashdeep -r -a -k FILE -l .`` passes only where addresses are the paths hashdeep prints
(``./docs/a.txt``); against other sources the file still serves as a known-hash list (``-m``/``-x``).
Archive members and deleted files have no path on a mounted copy, so an audit lists them as known files
not found. The format cannot escape a name: line breaks in one become spaces.
"""

from __future__ import annotations

from typing import BinaryIO

from vigilant.triage.reports._sink import TextSink
from vigilant.triage.reports._text import single_line
from vigilant.triage.reports.base import RecordSource
from vigilant.triage.runinfo import RunInfo

COLUMNS = ("size", "md5", "sha256", "filename")


class HashdeepReport:
    name = "hashdeep"
    title = "hashdeep audit file (size, MD5, SHA-256, address)"
    suffix = ".txt"

    def write(self, run: RunInfo, records: RecordSource, out: BinaryIO) -> None:
        sink = TextSink(out)
        label = single_line(run.evidence.label)
        sink.write(
            f"%%%% HASHDEEP-1.0\n%%%% {','.join(COLUMNS)}\n"
            "## Invoked from: vigilant\n"
            f"## $ vigilant triage report --format hashdeep (evidence {label}, triage {run.key})\n"
        )
        # Comment lines: what of the evidence was not read, so that a short list is never taken as whole.
        for line in run.coverage.lines() if run.coverage is not None else []:
            sink.write(f"## NOT READ: {single_line(line)}\n")
        sink.write("##\n")
        for record in records():
            if record.md5 is None or record.sha256 is None:
                continue
            address = single_line(record.address)
            sink.write(f"{record.size},{record.md5.hex()},{record.sha256.hex()},{address}\n")
        sink.flush()
