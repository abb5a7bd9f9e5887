"""`vigilant db backup` and `vigilant db restore` end to end, on SQLite and on a real PostgreSQL server.

The original holds a library, an agency with a case and persons, a user with TOTP, and a finished triage run
of a generated seized folder. It is backed up, restored into a new database, and then: the audit chain of the
restored database verifies (with the restore's own event appended), every triage report made from it is
byte-identical to the same report made from the original, and the restored user logs in with the same key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from tests.triage.scenario import build
from vigilant.cases.agencies import add_agency
from vigilant.cases.models import PersonRole
from vigilant.cases.people import add_person
from vigilant.cases.service import open_case
from vigilant.cli import run
from vigilant.cli.common import close_databases
from vigilant.errors import ConfigError, ExitCode
from vigilant.security import mfa
from vigilant.security.auth import AuthService
from vigilant.security.models import AuditEventRow
from vigilant.security.passwords import ArgonParams, Passwords
from vigilant.security.rights import Actor, Role
from vigilant.security.users import UserService
from vigilant.store import open_database
from vigilant.store.backup import sha256_of
from vigilant.triage.reports import reports
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

ADMIN = Actor.cli("backup-admin")
FAST = Passwords(ArgonParams(time_cost=1, memory_cost_kib=1024, parallelism=1))
PASSWORD = "correct horse battery staple"
IN_CI = os.environ.get("CI") == "true"


@dataclass(frozen=True)
class Pair:
    """The original database and the empty one the backup is restored into."""

    original: str
    restored: str


def _postgres_pair() -> Iterator[Pair]:
    admin_url = os.environ.get("VIGILANT_TEST_POSTGRES_URL")
    if not admin_url:
        if IN_CI:
            pytest.fail("CI=true but VIGILANT_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
        pytest.skip("no PostgreSQL configured: set VIGILANT_TEST_POSTGRES_URL (CI always does)")
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    names = [f"vigilant_backup_{os.getpid()}_{part}" for part in ("original", "restored")]
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                conn.execute(text(f"CREATE DATABASE {name}"))  # from template1: PostGIS already in it
        urls = [admin.set(database=n).render_as_string(hide_password=False) for n in names]
        yield Pair(*urls)
    finally:
        close_databases()
        with engine.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    if request.param == "sqlite":
        yield Pair(f"sqlite:///{tmp_path / 'original.db'}", f"sqlite:///{tmp_path / 'restored' / 'new.db'}")
        close_databases()
    else:
        yield from _postgres_pair()


@dataclass(frozen=True)
class Made:
    run_id: int
    username: str
    totp_secret: str


def _make_data(url: str, root: Path, data_dir: Path) -> Made:
    db = open_database(url)
    try:
        scenario = build(root, db)  # a library that knows some of the seized folder
        agency = add_agency(db, ADMIN, name="Orillia Police", short_name="OPS", province="ON").id
        investigator = Actor.cli("inv@ops", agency_id=agency, roles={"investigator"})
        case = open_case(db, investigator, number="2026-0042", title="Maple Street")
        for given, surname, role in (
            ("Ada", "Example", PersonRole.SUSPECT),
            ("Bo", "Sample", PersonRole.WITNESS),
        ):
            add_person(db, investigator, case.id, given_names=given, surname=surname, role=role,
                       date_of_birth=date(1980, 5, 1))  # fmt: skip
        made = UserService(db, passwords=FAST).create(
            ADMIN, "examiner-ops", PASSWORD, roles=frozenset({Role.EXAMINER}), agency_id=agency,
            now=datetime.now(UTC),
        )  # fmt: skip
        service = TriageService(db, data_dir)
        item = service.evidence.add(scenario.seized, actor=ADMIN, label="laptop", case_number="2026-0042",
                                    agency=agency)  # fmt: skip
        run_id = service.start(item.id, TriageSettings(batch_files=2, processes=1), ADMIN, Progress())
        assert service.status(run_id, ADMIN).status == "finished"
    finally:
        db.dispose()
    secret = parse_qs(urlparse(made.totp_uri).query)["secret"][0]
    return Made(run_id, made.username, secret)


def _reports(run_id: int, folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True)
    written = {}
    for fmt in reports().names():
        target = folder / f"report.{fmt}"
        assert run(["triage", "report", str(run_id), "--format", fmt, "--output", str(target)]) == ExitCode.OK
        written[fmt] = target.read_bytes()
    return written


def _use(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    close_databases()  # the CLI keeps one engine per URL for the process's life
    monkeypatch.setenv("VIGILANT_DATABASE_URL", url)


def test_a_restored_backup_verifies_and_reports_identically(
    pair: Pair,
    tmp_path: Path,
    isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    made = _make_data(pair.original, tmp_path / "scenario", isolated_env)
    _use(pair.original, monkeypatch)
    backup = tmp_path / "backups" / "vigilant.backup"
    assert run(["db", "backup", str(backup)]) == ExitCode.OK
    said = capsys.readouterr()
    assert "secret key file" in said.err
    assert "not in the backup" in said.err
    # The original's chain records the backup, with the SHA-256 of the very file written.
    exported = _last_event(pair.original)
    assert (exported.action, exported.object_type) == ("export", "database")
    assert exported.detail["sha256"] == sha256_of(backup)
    before = _reports(made.run_id, tmp_path / "from-original")

    _use(pair.restored, monkeypatch)
    assert run(["db", "restore", str(backup)]) == ExitCode.OK
    restored_event = _last_event(pair.restored)
    assert restored_event.action == "database.restored"
    assert restored_event.detail["sha256"] == sha256_of(backup)
    assert restored_event.detail["replaced_data"] is False
    capsys.readouterr()
    assert run(["audit", "verify"]) == ExitCode.OK
    assert "audit chain intact" in capsys.readouterr().out
    after = _reports(made.run_id, tmp_path / "from-restored")

    assert sorted(after) == sorted(before) == sorted(reports().names())
    for fmt in before:
        assert after[fmt] == before[fmt], f"the {fmt} report differs after the restore"
    assert len(before["csv"].splitlines()) > 5  # a real report, not two empty ones

    # The restored user logs in with the same secret key file (the data dir's, unchanged here).
    db = open_database(pair.restored)
    try:
        now = datetime.now(UTC)
        code = mfa.code_at(made.totp_secret, mfa.step_of(now))
        assert AuthService(db, passwords=FAST).login(made.username, PASSWORD, code, source_ip=None, now=now)
    finally:
        db.dispose()


def test_a_restore_over_data_is_refused_unless_forced(
    pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(pair.original, monkeypatch)
    open_database(pair.original).dispose()
    backup = tmp_path / "empty-schema.backup"
    assert run(["db", "backup", str(backup)]) == ExitCode.OK
    _use(pair.restored, monkeypatch)
    db = open_database(pair.restored)  # a database with its own history: a case and its audit events
    agency = add_agency(db, ADMIN, name="Halifax Police", short_name="HRP", province="NS").id
    open_case(db, Actor.cli("i@hrp", agency_id=agency, roles={"investigator"}), number="H-1", title="Birch")
    db.dispose()
    capsys.readouterr()
    assert run(["db", "restore", str(backup)]) == ExitCode.CONFLICT
    assert "already holds data" in capsys.readouterr().err
    assert _count_cases(pair.restored) == 1  # nothing was touched

    assert run(["db", "restore", str(backup), "--force"]) == ExitCode.OK
    assert _count_cases(pair.restored) == 0
    assert _last_event(pair.restored).detail["replaced_data"] is True
    assert run(["audit", "verify"]) == ExitCode.OK


def test_a_backup_of_the_other_engine_is_refused(
    pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong.backup"
    if pair.original.startswith("sqlite"):
        wrong.write_bytes(b"PGDMP\x01\x0f\x00" + bytes(64))
    else:
        other = tmp_path / "other.db"
        open_database(f"sqlite:///{other}").dispose()
        wrong.write_bytes(other.read_bytes())
    _use(pair.restored, monkeypatch)
    capsys.readouterr()
    assert run(["db", "restore", str(wrong)]) == ExitCode.BAD_INPUT
    assert "restores into the engine it was made from" in capsys.readouterr().err
    (tmp_path / "junk.backup").write_bytes(b"not a backup at all")
    assert run(["db", "restore", str(tmp_path / "junk.backup")]) == ExitCode.BAD_INPUT


def _last_event(url: str) -> AuditEventRow:
    db = open_database(url, migrate=False)
    try:
        with db.session() as s:
            return s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(1)).one()
    finally:
        db.dispose()


def _count_cases(url: str) -> int:
    db = open_database(url, migrate=False)
    try:
        with db.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM case_file")).scalar_one())
    finally:
        db.dispose()


def test_a_database_from_a_newer_version_is_refused_not_migrated(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What an old app server meets once a newer one has migrated the database (or a newer backup was
    # restored): it must stop with a clear error, not run its code against a schema it does not know.
    db = open_database(pair.original)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    with pytest.raises(ConfigError, match="schema 9999 is newer than this Vigilant knows"):
        open_database(pair.original)
    _use(pair.original, monkeypatch)
    capsys.readouterr()
    assert run(["db", "upgrade"]) == ExitCode.USAGE
    assert "every server and worker of one installation must run the same version" in capsys.readouterr().err
    assert run(["db", "status"]) == ExitCode.OK  # still tells where it stands


@pytest.mark.postgres
def test_a_restore_into_a_database_not_yet_created_says_to_create_it(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(postgres_url, monkeypatch)
    open_database(postgres_url).dispose()
    backup = tmp_path / "some.backup"
    assert run(["db", "backup", str(backup)]) == ExitCode.OK
    _use(
        make_url(postgres_url).set(database="vigilant_never_made").render_as_string(hide_password=False),
        monkeypatch,
    )
    capsys.readouterr()
    assert run(["db", "restore", str(backup)]) == ExitCode.USAGE
    assert "create the empty database first" in capsys.readouterr().err
