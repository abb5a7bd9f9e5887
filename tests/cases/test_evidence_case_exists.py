"""`evidence add --case N` names a case that exists (of --agency, where given): a typo used to register the
item under a number no case carries, visible to no one, without a word. A case not opened yet is said so
explicitly (`--case-pending`), and the item's chain of custody records it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cases.helpers import actor, world
from vigilant.cases.evidence_rules import evidence_service
from vigilant.cases.models import Distribution
from vigilant.cases.service import open_case
from vigilant.cli import run
from vigilant.errors import ExitCode, NotFoundError
from vigilant.security.rights import Actor
from vigilant.store import Database

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
LAB = Actor.cli("lab")
ME = Actor.cli("test")


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "note.txt").write_text(name)
    return folder


def test_a_case_number_no_case_carries_is_refused_and_nothing_is_registered(
    db: Database, tmp_path: Path
) -> None:
    world(db)
    service = evidence_service(db)
    with pytest.raises(NotFoundError, match="no case 'X-1'"):
        service.add(_folder(tmp_path, "a"), actor=LAB, case_number="X-1")
    assert service.items(ME) == []


def test_the_case_must_be_the_named_agencys(db: Database, tmp_path: Path) -> None:
    w = world(db)
    open_case(db, actor(w.outsider), number="24-9", title="t", distribution=Distribution.AGENCY_ONLY)
    service = evidence_service(db)
    with pytest.raises(NotFoundError, match="no case '24-9' of agency PP"):
        service.add(_folder(tmp_path, "a"), actor=LAB, case_number="24-9", agency="PP")
    added = service.add(_folder(tmp_path, "b"), actor=LAB, case_number="24-9", agency="HRP")
    assert added.case_number == "24-9"
    assert service.add(_folder(tmp_path, "c"), actor=LAB, case_number="24-9").case_number == "24-9"


def test_a_case_not_opened_yet_is_taken_when_said_and_the_custody_log_says_so(
    db: Database, tmp_path: Path
) -> None:
    world(db)
    service = evidence_service(db)
    item = service.add(_folder(tmp_path, "a"), actor=LAB, case_number="X-2", case_pending=True)
    [added] = [e for e in service.custody(item.id, ME) if e.action == "added"]
    assert added.detail["case_pending"] is True


def test_the_cli_refuses_an_unknown_case_with_exit_3_and_takes_a_pending_one(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world(db)
    assert run(["evidence", "add", str(_folder(tmp_path, "a")), "--case", "X-1"]) == ExitCode.NOT_FOUND
    err = capsys.readouterr().err
    assert "no case 'X-1'" in err
    assert "--case-pending" in err
    assert run(["evidence", "add", str(_folder(tmp_path, "b")), "--case", "X-1", "--case-pending"]) == 0
