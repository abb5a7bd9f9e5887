"""Triage on real disk images: the run's records agree with The Sleuth Kit's own fls and icat.

Images are made by the real tools in tests/evidence/make_images.py (mke2fs -d + debugfs deletions,
sfdisk partition tables, ewfacquire), and compared with tests/evidence/tsk_oracle.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence.tsk_oracle import fls, icat
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.records import FileRecord
from vigilant.triage.results import iter_records
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings


def _triage(db: Database, data: Path, image: Path) -> tuple[TriageService, int, list[FileRecord]]:
    service = TriageService(db, data)
    evidence = service.evidence.add(image, actor=Actor.cli("examiner"))
    run_id = service.start(
        evidence.id, TriageSettings(batch_files=4, archive_depth=0), Actor.cli("examiner"), Progress()
    )
    return service, run_id, list(iter_records(Path(service.status(run_id, Actor.cli("test")).results_dir)))


def test_triage_of_an_ext4_image_agrees_with_fls_and_icat(db: Database, tmp_path: Path) -> None:
    built = mk.make_ext4(tmp_path)
    service, run_id, records = _triage(db, tmp_path / "data", built.path)
    ours = {(r.path, r.inode): r for r in records if r.member == 0}
    expected = fls(built.path, 0, fs_type="ext4")
    assert any(f.realloc for f in expected)
    assert {(f"/{f.path}", f.inode) for f in expected} == set(ours)
    deleted = 0
    for item in expected:
        record = ours[(f"/{item.path}", item.inode)]
        assert record.allocated == (not item.deleted)
        if item.realloc:  # listed, never hashed: the inode's content belongs to another file now
            assert record.status == "reallocated"
            assert record.sha256 is None
            continue
        carved = icat(built.path, 0, item)
        if carved.complete:
            assert record.sha256 is not None
            assert record.sha256.hex() == carved.sha256, item.path
        deleted += item.deleted
    assert deleted == sum(f.deleted for f in expected if not f.realloc)
    status = service.status(run_id, Actor.cli("test"))
    assert status.summary["deleted"] == sum(f.deleted for f in expected)  # reallocated names included
    assert status.verification is not None
    assert status.verification["ok"]


@pytest.mark.slow
def test_triage_of_an_e01_verifies_its_stored_hashes(db: Database, tmp_path: Path) -> None:
    ext4 = mk.make_ext4(tmp_path)
    e01 = mk.make_e01(ext4.path, tmp_path / "disk")
    service, run_id, records = _triage(db, tmp_path / "data", e01)
    _, _, raw_records = _triage(db, tmp_path / "data-raw", ext4.path)
    # The same file system read through libewf and read raw gives the same files and digests.
    assert [(r.path, r.inode, r.allocated, r.sha256) for r in records] == [
        (r.path, r.inode, r.allocated, r.sha256) for r in raw_records
    ]
    status = service.status(run_id, Actor.cli("test"))
    assert status.verification is not None
    assert status.verification["ok"]
    assert status.verification["compared"]
    assert service.evidence.get(status.evidence_id, Actor.cli("test")).source_type == "e01"
