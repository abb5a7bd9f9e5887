"""An import that takes no row creates nothing, logs a failed attempt, and does not block a re-import
(issue 11 A6) — on SQLite and PostgreSQL, through the importer and the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.library.helpers import entry, md5_of
from vigilant.cli import run
from vigilant.errors import BadInputError, ExitCode
from vigilant.library.formats import formats
from vigilant.library.importer import ImportRequest, NothingImportedError, import_hash_set
from vigilant.library.models import HashSetRow, KnownFileRow
from vigilant.library.records import SetKind
from vigilant.library.samples import write_sums, write_vics
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor
from vigilant.store import Database


def _sets(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(HashSetRow)) or 0)


def _caid_file(path: Path) -> Path:
    # A CAID-style list numbered 1..3: every row is refused unless the codes are mapped onto caid-uk.
    return write_vics(
        path, [entry(i, category=str(1 + i % 3)) for i in range(6)], version="2.0", form="media"
    )


def test_all_rows_refused_creates_nothing_and_logs_the_attempt(db: Database, tmp_path: Path) -> None:
    path = _caid_file(tmp_path / "caid.json")
    store = LibraryStore(db)
    with pytest.raises(NothingImportedError, match=r"no row of caid\.json could be taken") as caught:
        import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann"), profile="caid-uk"))
    assert caught.value.report.refused == {"bad-category": 6}
    assert _sets(db) == 0
    [attempt] = store.imports()
    assert (attempt.status, attempt.hash_set_id) == ("failed", None)
    assert (attempt.rows_read, attempt.rows_taken, attempt.rows_refused) == (6, 0, 6)
    assert attempt.refused_by_reason == {"bad-category": 6}
    assert "nothing was imported" in (attempt.error or "")
    problems = store.import_problems(attempt.id)
    assert [p.reason for p in problems] == ["bad-category"] * 6
    assert "[0]" in problems[0].location
    assert f"--problems {attempt.id}" in str(caught.value)


def test_the_same_file_imports_after_a_failed_attempt(db: Database, tmp_path: Path) -> None:
    path = _caid_file(tmp_path / "caid.json")
    store = LibraryStore(db)
    for _ in range(2):  # a failure does not make the file "already imported", nor does a second one
        with pytest.raises(NothingImportedError):
            import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann"), profile="caid-uk"))
    mapping = {"1": "A", "2": "B", "3": "C"}
    report = import_hash_set(
        store, ImportRequest(path, actor=Actor.cli("ann"), profile="caid-uk", category_map=mapping)
    )
    assert not report.already_imported
    assert report.rows_taken == 6
    assert [r.status for r in reversed(store.imports())] == ["failed", "failed", "imported"]
    again = import_hash_set(
        store, ImportRequest(path, actor=Actor.cli("ann"), profile="caid-uk", category_map=mapping)
    )
    assert again.already_imported


def test_a_corrected_file_imports_after_a_failed_one(db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "tools.md5"
    bad.write_text("".join(f"{md5_of(i)[:-1]}  tool-{i}.exe\n" for i in range(4)))  # 31 hex digits each
    store = LibraryStore(db)
    with pytest.raises(NothingImportedError):
        import_hash_set(
            store,
            ImportRequest(
                bad, actor=Actor.cli("ann"), format="sums", kind=SetKind.ALERT, name="Tools", version="1"
            ),
        )
    write_sums(bad, [entry(i) for i in range(4)], "md5")
    report = import_hash_set(
        store, ImportRequest(bad, actor=Actor.cli("ann"), kind=SetKind.ALERT, name="Tools", version="1")
    )
    assert report.rows_taken == 4
    assert _sets(db) == 1


def _junk(kind: str, path: Path) -> Path:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(os.urandom(256 * 1024))
    elif kind == "jpeg":
        Image.new("RGB", (64, 48), (200, 120, 40)).save(path, "JPEG")
    else:  # text with no hash in it
        path.write_text("Dear colleague,\nplease find the list attached.\n")
    return path


JUNK = ["empty", "random", "jpeg", "prose"]


@pytest.mark.parametrize("junk", JUNK)
@pytest.mark.parametrize("fmt", [None, *formats().names()])
def test_junk_is_refused_whatever_the_format_and_leaves_no_set(
    db: Database, tmp_path: Path, junk: str, fmt: str | None
) -> None:
    path = _junk(junk, tmp_path / f"junk-{junk}.txt")
    store = LibraryStore(db)
    with pytest.raises(BadInputError) as caught:
        import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann"), format=fmt, kind=SetKind.ALERT))
    assert path.name in str(caught.value)
    assert _sets(db) == 0
    [attempt] = store.imports()
    assert attempt.status == "failed"
    assert attempt.error


def test_empty_file_says_it_is_empty(db: Database, tmp_path: Path) -> None:
    path = _junk("empty", tmp_path / "list.md5")
    with pytest.raises(BadInputError, match="is empty"):
        import_hash_set(LibraryStore(db), ImportRequest(path, actor=Actor.cli("ann"), kind=SetKind.ALERT))


def test_cli_failed_import_exit_code_log_and_reimport(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _caid_file(tmp_path / "caid.json")
    assert run(["library", "import", str(path), "--profile", "caid-uk"]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert "no row of caid.json could be taken" in captured.err
    assert "refused 6 × bad-category" in captured.out
    assert run(["library", "list", "--json"]) == ExitCode.OK
    assert capsys.readouterr().out.strip() == "[]"
    assert run(["library", "imports", "--json"]) == ExitCode.OK
    [attempt] = json.loads(capsys.readouterr().out)
    assert (attempt["status"], attempt["hash_set_id"], attempt["rows_refused"]) == ("failed", None, 6)
    assert attempt["refused_by_reason"] == {"bad-category": 6}
    assert run(["library", "imports", "--problems", str(attempt["id"]), "--json"]) == ExitCode.OK
    assert [p["reason"] for p in json.loads(capsys.readouterr().out)] == ["bad-category"] * 6
    maps = ["--map-category", "1=A", "--map-category", "2=B", "--map-category", "3=C"]
    assert run(["library", "import", str(path), "--profile", "caid-uk", *maps]) == ExitCode.OK
    assert "6 taken, 0 refused" in capsys.readouterr().out


@pytest.mark.parametrize("junk", JUNK)
def test_cli_junk_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], junk: str) -> None:
    path = _junk(junk, tmp_path / f"junk-{junk}.bin")
    assert run(["library", "import", str(path), "--kind", "alert"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert path.name in err
    assert "Traceback" not in err


def test_cli_remove_takes_a_set_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "set.json"
    write_vics(path, [entry(i) for i in range(3)], version="2.0", form="media")
    assert run(["library", "import", str(path), "--name", "Gone", "--version", "1"]) == ExitCode.OK
    assert run(["library", "remove", "Gone@1", "--yes"]) == ExitCode.OK
    assert "removed Gone 1 (3 entries)" in capsys.readouterr().out
    assert run(["library", "lookup", md5_of(1)]) == ExitCode.NOT_FOUND
    assert run(["library", "remove", "Gone@1", "--yes"]) == ExitCode.NOT_FOUND
    # The same file can be imported again once its set is removed.
    assert run(["library", "import", str(path), "--name", "Gone", "--version", "1"]) == ExitCode.OK
    assert "3 taken" in capsys.readouterr().out


def test_remove_deletes_entries_and_keeps_the_log(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    write_vics(path, [entry(i) for i in range(3)], version="2.0", form="media")
    store = LibraryStore(db)
    report = import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann")))
    assert report.hash_set is not None
    store.remove_set(report.hash_set.id)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(KnownFileRow)) == 0
    assert _sets(db) == 0
    [log] = store.imports()
    assert (log.status, log.hash_set_id) == ("imported", None)
