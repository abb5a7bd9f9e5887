"""Whether a run walks Volume Shadow Copies is one of its settings, kept with the run.

The process's setting (``VIGILANT_SHADOW_COPIES``) only chooses the default of a new run: a run resumed, or
worked by the web's worker process, walks the snapshots as it was started, so its files are the same however
the machine that finishes it is set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from vigilant.evidence import vss
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings


def test_a_new_run_takes_the_installations_setting() -> None:
    with vss.snapshots(False):
        assert TriageSettings().shadow_copies is False
    with vss.snapshots(True):
        assert TriageSettings().shadow_copies is True


def test_a_run_started_before_snapshots_were_read_never_walks_them() -> None:
    stored = TriageSettings().to_json()
    del stored["shadow_copies"]
    assert TriageSettings.from_json(stored).shadow_copies is False


def test_the_setting_is_in_what_results_depend_on() -> None:
    assert TriageSettings(shadow_copies=True).digest() != TriageSettings(shadow_copies=False).digest()


def test_a_run_walks_as_it_was_started_whatever_the_process_says(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = vss.walk_snapshots

    def spy() -> bool:
        seen.append(real())
        return seen[-1]

    monkeypatch.setattr("vigilant.evidence.volumes.walk_snapshots", spy)
    built = mk.make_ext4(tmp_path)
    service = TriageService(db, tmp_path / "data")
    examiner = Actor.cli("examiner")
    item = service.evidence.add(built.path, actor=examiner)
    with vss.snapshots(True):  # the machine says yes; the run was asked not to
        service.start(item.id, TriageSettings(archive_depth=0, shadow_copies=False), examiner, Progress())
    assert seen, "the walk asked whether to read shadow copies"
    assert set(seen) == {False}
    assert vss.walk_snapshots() is vss.shadow_copies_from_env()  # and the process's switch is as it was
