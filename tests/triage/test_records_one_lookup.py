"""A run's records are made with one look-up of its evidence item: the walk, the summary and the
verification share the item the run looked up (issue 12 item 4; it was looked up three times)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.evidence import make_images as mk
from tests.triage.scenario import build
from vigilant.evidence.service import EvidenceService
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.results import iter_records
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

EXAMINER = Actor.cli("examiner")  # the CLI's own actor: an administrator for no agency
SETTINGS = TriageSettings(batch_files=2, processes=1, pdq=False, exif=False)


@pytest.fixture
def item_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read of an evidence item's row (``EvidenceService._row``: where ``get`` and ``lookup`` read
    it), by whichever method asked."""
    reads: list[str] = []
    original = EvidenceService._row

    def counted(self: EvidenceService, s: Any, ref: str | int, actor: Actor | None) -> Any:
        reads.append(str(ref))
        return original(self, s, ref, actor)

    monkeypatch.setattr(EvidenceService, "_row", counted)
    return reads


def _folder_and_zip(tmp_path: Path, db: Database) -> tuple[Path, Path]:
    seized = build(tmp_path, db).seized
    archive = tmp_path / "extraction.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(seized.rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(seized).as_posix())
    return seized, archive


def test_a_run_looks_its_item_up_once(db: Database, tmp_path: Path, item_reads: list[str]) -> None:
    """A folder (verified from the run's own records), a zip (verified by reading it again) and an ext4
    image (verified from the run's own read of it)."""
    service = TriageService(db, tmp_path / "data")
    image = mk.make_ext4(tmp_path / "image").path
    how = []
    for source in (*_folder_and_zip(tmp_path, db), image):
        item = service.evidence.add(source, actor=EXAMINER, label=source.name)
        item_reads.clear()
        run_id = service.start(item.id, SETTINGS, EXAMINER, Progress())
        assert item_reads == [str(item.id)], source.name
        run = service.status(run_id, EXAMINER)
        assert run.status == "finished"
        assert run.verification is not None
        assert run.verification["ok"], run.verification
        assert sum(1 for _ in iter_records(Path(run.results_dir))) > 0
        how.append(run.verification["how"])
    # Each of the three ways a run verifies its item was taken, each with the item the run looked up.
    assert how == ["from the run's own reads", "read again", "in the run's own read of the image"]


def test_the_worker_of_a_created_run_looks_its_item_up_once(
    db: Database, tmp_path: Path, item_reads: list[str]
) -> None:
    """A run created in one place (the server) and worked in another (its worker process): the worker's
    part reads the item once."""
    service = TriageService(db, tmp_path / "data")
    _, archive = _folder_and_zip(tmp_path, db)
    item = service.evidence.add(archive, actor=EXAMINER, label="extraction")
    run_id = service.create(item.id, SETTINGS, EXAMINER)
    item_reads.clear()
    service.work(run_id, EXAMINER, Progress())
    assert item_reads == [str(item.id)]
    verification = service.status(run_id, EXAMINER).verification
    assert verification is not None
    assert verification["ok"]
