"""The progress a triage run reports: fine enough for a rate and an ETA on any run, and counts a reader can
square with the summary (the evidence's files, then the archive members found inside them)."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

import pytest

from vigilant.cli import run
from vigilant.cli.triage_cmd import eta_text
from vigilant.errors import ExitCode
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings


def _folder(root: Path, files: int) -> Path:
    root.mkdir()
    for i in range(files):
        (root / f"f{i:04d}.txt").write_text(f"benign test file {i}\n" * (i % 7 + 1))
    return root


def test_progress_is_told_as_groups_finish_not_once_a_batch(db: Database, tmp_path: Path) -> None:
    seized = _folder(tmp_path / "seized", 600)  # three groups of 256 files at most, in two batches
    told: list[tuple[int, int]] = []
    lock = threading.Lock()

    def advance(files: int, size: int) -> None:
        with lock:
            told.append((files, size))

    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(seized, actor=Actor.cli("examiner"), label="folder")
    settings = TriageSettings(pdq=False, exif=False, processes=0)
    service.start(item.id, settings, Actor.cli("examiner"), Progress(on_advance=advance))
    assert len(told) >= 3  # once per batch gave two steps: no rate, no ETA until the end
    assert sum(f for f, _ in told) == 600
    assert sum(s for _, s in told) == sum(p.stat().st_size for p in seized.iterdir())


@pytest.mark.parametrize(
    ("done", "total", "elapsed", "want"),
    [
        (0, 100, 0.0, "ETA ?"),
        (0, 100, 5.0, "ETA ?"),
        (50, 100, 10.0, "ETA 0:00:10"),
        (25, 100, 30.0, "ETA 0:01:30"),
        (100, 100, 12.0, "done in 0:00:12"),
        (10, None, 3.0, "ETA ?"),
    ],
)
def test_the_eta_comes_from_the_average_rate_so_far(
    done: int, total: int | None, elapsed: float, want: str
) -> None:
    assert eta_text(done, total, elapsed) == want


def test_the_summary_squares_with_the_bar(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seized = _folder(tmp_path / "seized", 3)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "one")
        archive.writestr("b.txt", "two")
    (seized / "pair.zip").write_bytes(buffer.getvalue())
    assert run(["evidence", "add", str(seized), "--label", "folder"]) == ExitCode.OK
    capsys.readouterr()
    assert run(["triage", "run", "folder", "--no-pdq", "--no-exif"]) == ExitCode.OK
    captured = capsys.readouterr()
    assert "6 files (4 on the evidence, 2 inside archives)" in captured.out
    assert "4/4 evidence files" in captured.err
