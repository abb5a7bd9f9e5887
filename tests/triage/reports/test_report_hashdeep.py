"""The hashdeep audit file: the header hashdeep expects, and the real hashdeep passes an audit with it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.triage.reports.synthetic import file_record, render
from vigilant.triage.reports import RecordSource, reports
from vigilant.triage.runinfo import RunInfo

HEADER = [
    "%%%% HASHDEEP-1.0",
    "%%%% size,md5,sha256,filename",
    "## Invoked from: vigilant",
]


def test_header_then_one_line_per_record_with_both_digests(run: RunInfo, source: RecordSource) -> None:
    lines = render(reports()["hashdeep"], run, source).decode("utf-8").split("\n")
    assert lines[:3] == HEADER
    assert lines[3].startswith("## $ vigilant triage report --format hashdeep (evidence ")
    assert f"triage {run.key})" in lines[3]
    assert lines[4] == "##"
    assert lines[-1] == ""
    records = [r for r in source() if r.md5 is not None and r.sha256 is not None]
    body = lines[5:-1]
    assert len(body) == len(records)
    for line, record in zip(body, records, strict=True):
        size, md5, sha256, name = line.split(",", 3)
        assert (int(size), md5, sha256) == (
            record.size,
            (record.md5 or b"").hex(),
            (record.sha256 or b"").hex(),
        )
        assert name == record.address.replace("\n", " ")


def _hashdeep() -> str:
    found = shutil.which("hashdeep")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but hashdeep is not installed: .ci/run installs the hashdeep package")
        pytest.skip("hashdeep is not installed (Debian package 'hashdeep')")
    return found


FOLDER = {
    "a.txt": b"alpha\n",
    "docs/notes, draft.txt": b"a name with a comma and a space\n",
    "docs/ünïcödé.bin": bytes(range(256)),
    "empty.dat": b"",
}


def _folder_run(root: Path, run: RunInfo) -> bytes:
    """Records of a folder whose addresses are the paths ``hashdeep -l .`` prints, and their audit file."""
    records = []
    for position, (relative, data) in enumerate(sorted(FOLDER.items())):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        records.append(
            file_record(position, f"/{relative}", data, address=f"./{relative}", filesystem="directory")
        )
        assert hashlib.sha256(data).digest() == records[-1].sha256
    return render(reports()["hashdeep"], run, lambda: iter(records))


def test_hashdeep_passes_an_audit_of_the_folder(run: RunInfo, tmp_path: Path) -> None:
    hashdeep = _hashdeep()
    root = tmp_path / "seized"
    audit = tmp_path / "audit.txt"
    audit.write_bytes(_folder_run(root, run))
    done = subprocess.run(
        [hashdeep, "-r", "-a", "-k", str(audit), "-l", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Audit passed" in done.stdout + done.stderr


def test_hashdeep_fails_the_audit_when_a_file_changed(run: RunInfo, tmp_path: Path) -> None:
    hashdeep = _hashdeep()
    root = tmp_path / "seized"
    audit = tmp_path / "audit.txt"
    audit.write_bytes(_folder_run(root, run))
    (root / "a.txt").write_bytes(b"altered\n")
    done = subprocess.run(
        [hashdeep, "-r", "-a", "-k", str(audit), "-l", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "Audit failed" in done.stdout + done.stderr
