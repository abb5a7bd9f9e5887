"""An encrypted laptop image triaged as an examiner does it, with the key given to ``evidence add`` and to
``triage run`` (from an environment variable, and from a file): its files are read, the chain of custody
says the volume was unlocked, by whom and with what kind of key, and the key is nowhere afterwards: not in
the database (every row of every table), not under the data folder or the test's folder, not in the output.
A wrong key is a problem of the run, exit 8, in its status and its report; never "0 files".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from tests.evidence import make_images as mk
from tests.evidence.make_luks import PASSPHRASE, make_luks
from vigilant.cases.evidence_rules import evidence_service
from vigilant.cli import run
from vigilant.errors import ExitCode
from vigilant.security.rights import Actor
from vigilant.store import Database

SECRET = PASSPHRASE.encode()


@pytest.fixture
def laptop(ext4_image: mk.Built, tmp_path: Path) -> Path:
    key = tmp_path / "make.key"
    key.write_text(PASSPHRASE)
    image = make_luks(ext4_image.path, tmp_path / "laptop.img", key)
    key.unlink()  # from here on, the passphrase exists in the test's memory and its environment only
    return image


def custody(db: Database, label: str) -> list[tuple[str, str, dict[str, object]]]:
    rows = evidence_service(db).custody(label, Actor.cli("auditor"))
    return [(r.action, r.actor, dict(r.detail)) for r in rows]


def run_status(capsys: pytest.CaptureFixture[str], run_id: int) -> dict[str, object]:
    capsys.readouterr()
    run(["triage", "status", str(run_id), "--json"])
    [status] = json.loads(capsys.readouterr().out)
    return dict(status)


def assert_nowhere(db: Database, folder: Path, *texts: str) -> None:
    """The passphrase is in no row of any table, no file under ``folder``, no text given."""
    tables = MetaData()
    tables.reflect(db.engine)
    control = 0  # the custody event of the unlock is found where the key is not: the dump is looked in
    with db.engine.connect() as conn:
        for table in tables.sorted_tables:  # as the driver gives them: no type conversion that may fail
            for row in conn.exec_driver_sql(f'SELECT * FROM "{table.name}"'):
                for value in row:
                    found = value if isinstance(value, bytes) else str(value).encode()
                    assert SECRET not in found, table.name
                    control += b"volume-unlocked" in found
    assert control  # at least the custody event of the unlock
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)  # the run's results and the store were looked in
    for path in files:
        assert SECRET not in path.read_bytes(), path
    for shown in texts:
        assert PASSPHRASE not in shown


def test_an_unlocked_laptop_is_triaged_and_its_key_is_kept_nowhere(  # noqa: PLR0917 - fixtures
    db: Database,
    laptop: Path,
    ext4_image: mk.Built,
    tmp_path: Path,
    isolated_env: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAPTOP_KEY", PASSPHRASE)
    key = ["--key", "passphrase:env:LAPTOP_KEY"]
    assert run(["evidence", "add", str(laptop), "--label", "laptop", *key]) == ExitCode.OK
    added = capsys.readouterr().out
    assert "file system at offset 0 (LUKS1): unlocked with a passphrase" in added
    code = run(["triage", "run", "laptop", "--processes", "0", *key])
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    status = run_status(capsys, 1)
    assert status["status"] == "finished"
    report = tmp_path / "laptop.hashdeep"
    assert run(["triage", "report", "1", "--format", "hashdeep", "-o", str(report)]) == ExitCode.OK
    listed = report.read_text(encoding="utf-8")
    for path, data in ext4_image.files.items():  # every live file, read through the unlocked volume
        assert f"{hashlib.sha256(data).hexdigest()},luks1 > ext4 > /{path} (inode " in listed, path

    unlocks = [(a, who, d) for a, who, d in custody(db, "laptop") if a.startswith("volume-")]
    volume = {"volume": "file system at offset 0", "encryption": "LUKS1", "key": "passphrase"}
    assert unlocks == [
        ("volume-unlocked", "test-examiner", {**volume, "at": "evidence add"}),
        ("volume-unlocked", "test-examiner", {**volume, "run": 1}),
    ]
    assert_nowhere(db, tmp_path, added, out, listed, caplog.text, capsys.readouterr().err)
    assert isolated_env.is_relative_to(tmp_path)  # the data folder was among the files looked in


def test_a_wrong_key_is_a_problem_of_the_run_in_its_status_and_report(
    db: Database, laptop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase\n")
    assert run(["evidence", "add", str(laptop), "--label", "laptop"]) == ExitCode.OK
    code = run(["triage", "run", "laptop", "--processes", "0", "--key", f"passphrase:file:{wrong}"])
    out = capsys.readouterr().out
    assert code == ExitCode.INCOMPLETE
    reason = "LUKS1-encrypted volume: not unlocked: wrong passphrase"
    assert f"file system at offset 0: {reason}" in out
    status = run_status(capsys, 1)
    assert str(status["status"]).endswith("1 of 1 volumes unreadable")
    assert status["coverage"]["parts"][0]["reason"] == reason  # type: ignore[index]
    report = tmp_path / "report.html"
    assert run(["triage", "report", "1", "-o", str(report)]) == ExitCode.OK
    assert reason in report.read_text(encoding="utf-8")
    [(action, _who, detail)] = [c for c in custody(db, "laptop") if c[0].startswith("volume-")]
    assert (action, detail["reason"], detail["run"]) == ("volume-not-unlocked", "wrong passphrase", 1)
    assert "key" not in detail
