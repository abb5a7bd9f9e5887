"""Person resolution as a resumable job: a run killed while it scores or while it writes its proposals
resumes to the same proposals as an uninterrupted run (Splink's one pass over every blocking rule), never
proposes a pair twice, keeps the analysts' judgements, and says where it stands. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from sqlalchemy import func, select

from tests.cases.helpers import actor, world
from vigilant.cases.models import Distribution, PersonRole
from vigilant.cases.people import add_person
from vigilant.cases.service import open_case
from vigilant.errors import ConflictError
from vigilant.links import jobs, xref_job
from vigilant.links.judgements import Verdict, judge
from vigilant.links.xref import list_proposals, load_records, run_xref
from vigilant.links.xref_model import BLOCKING_RULES, score, score_rule
from vigilant.links.xref_models import XrefProposalRow
from vigilant.security.rights import Actor
from vigilant.store import Database

NICKNAMES = {"Robert": "Bob", "William": "Bill", "Margaret": "Peggy", "Katherine": "Kathy", "Daniel": "Dan",
             "Elizabeth": "Liz", "Richard": "Dick", "James": "Jim"}  # fmt: skip


class Killed(Exception):
    """Stands for the process dying at this point."""


def _population(db: Database) -> Actor:
    """Forty people in two agencies' cases, eight of them recorded twice (a nickname, a typo, the day and
    month swapped); the analyst who runs xref."""
    w = world(db)
    pp = open_case(db, actor(w.coordinator), number="PP-1", title="pp", operation=w.operation,
                   distribution=Distribution.OPERATION).id  # fmt: skip
    bps = open_case(db, actor(w.partner), number="BPS-1", title="bps", operation=w.operation,
                    distribution=Distribution.OPERATION).id  # fmt: skip
    fake, rng = Faker("en_CA"), random.Random(7)
    Faker.seed(7)
    for i in range(40):
        given = list(NICKNAMES)[i] if i < len(NICKNAMES) else fake.first_name()
        surname, dob = fake.last_name(), date(1960, 1, 1) + timedelta(days=rng.randrange(15000))
        add_person(db, actor(w.coordinator), pp, given_names=given, surname=surname, role=PersonRole.ACCUSED,
                   date_of_birth=dob, gender=rng.choice(["male", "female"]))  # fmt: skip
        if i < len(NICKNAMES):  # recorded again by the other agency
            twin = dob.replace(day=dob.month, month=dob.day) if dob.day <= 12 and i % 2 else dob
            add_person(db, actor(w.partner), bps, given_names=NICKNAMES[given], surname=surname,
                       role=PersonRole.ACCUSED, date_of_birth=twin)  # fmt: skip
    return actor(w.coordinator, "analyst")


def _proposals(db: Database) -> dict[tuple[int, int], tuple[Any, ...]]:
    with db.session() as s:
        rows = s.scalars(select(XrefProposalRow))
        return {
            (r.person_a_id, r.person_b_id): (r.id, r.match_weight, r.comparisons, r.fingerprint, r.run_id)
            for r in rows
        }


@pytest.mark.parametrize("killed_in", ["scoring", "writing"])
def test_a_killed_xref_job_resumes_to_the_proposals_of_an_uninterrupted_run(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, killed_in: str
) -> None:
    analyst = _population(db)
    data = tmp_path / "data"
    first = run_xref(db, analyst, data_dir=data)  # the queue the analysts judged
    before = {(v.person.id, v.other.id): v for v in list_proposals(db, analyst) if v.other}
    assert len(before) >= 6
    (a, b), (c, d) = sorted(before)[:2]
    judge(db, analyst, before[a, b].id, Verdict.NOT_SAME, "different fathers in the warrant file")
    judge(db, analyst, before[c, d].id, Verdict.SAME, "same fingerprints")

    monkeypatch.setattr(xref_job, "WRITE_CHUNK", 2)  # several chunks: a kill can fall between two
    real_score, real_progress = score_rule, jobs.progress
    calls = {"rules": 0}

    def dies_at_the_fourth_rule(table: Any, rule: int) -> Any:
        calls["rules"] += 1
        if calls["rules"] == 4:
            raise Killed("killed while scoring")
        return real_score(table, rule)

    def dies_after_two_chunks(
        s: Any, job_id: int, where: tuple[str, int, int], *args: Any, **kw: Any
    ) -> None:
        if where[0] == "writing" and where[1] >= 6:  # the third chunk's transaction, rows and all, is lost
            raise Killed("killed while writing")
        real_progress(s, job_id, where, *args, **kw)

    if killed_in == "scoring":
        monkeypatch.setattr(xref_job, "score_rule", dies_at_the_fourth_rule)
    else:
        monkeypatch.setattr(jobs, "progress", dies_after_two_chunks)
    with pytest.raises(Killed):
        run_xref(db, analyst, data_dir=data)
    stopped = jobs.last_job(db, data, "xref")
    assert stopped is not None
    assert (stopped.status, stopped.phase) == ("failed", killed_in)
    assert stopped.id != first.job_id
    if killed_in == "scoring":
        assert (stopped.done, stopped.total) == (3, len(BLOCKING_RULES))
    else:
        assert (stopped.done, stopped.total) == (4, len(before))
        partial = _proposals(db)  # two chunks of the new run written, the rest still the old run's
        assert {r[4] for r in partial.values()} == {first.run_id, stopped.result["xref_run_id"]}
    assert f"killed while {killed_in}" in (stopped.error or "")

    monkeypatch.undo()
    monkeypatch.setattr(xref_job, "WRITE_CHUNK", 2)
    rescored: list[int] = []

    def counted(table: Any, rule: int) -> Any:
        rescored.append(rule)
        return real_score(table, rule)

    monkeypatch.setattr(xref_job, "score_rule", counted)
    resumed = run_xref(db, analyst, data_dir=data)
    assert resumed.job_id == stopped.id  # resumed, not started again
    done = jobs.last_job(db, data, "xref")
    assert done is not None
    assert (done.status, done.phase, done.error) == ("finished", "done", None)
    # The batches written before the kill stand: only the rules not yet scored are scored.
    assert rescored == (list(range(3, len(BLOCKING_RULES))) if killed_in == "scoring" else [])

    after = _proposals(db)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(XrefProposalRow)) == len(after)  # never twice
        oracle = score(load_records(s))  # Splink's one pass over every blocking rule
    assert resumed.pairs_compared == oracle.pairs_compared
    assert {pair: round(row[1], 6) for pair, row in after.items()} == {
        (p.person_a, p.person_b): round(p.match_weight, 6) for p in oracle.pairs
    }
    assert {pair: row[2] for pair, row in after.items()} == {
        (p.person_a, p.person_b): [c.as_dict() for c in p.comparisons] for p in oracle.pairs
    }
    assert {r[4] for r in after.values()} == {resumed.run_id}
    assert all(after[pair][0] == before[pair].id for pair in before)  # the ids analysts quote stay

    # Judgements honoured: the rejected pair stays out of the queue, the confirmed one stays confirmed.
    queue = {(v.person.id, v.other.id) for v in list_proposals(db, analyst) if v.other}
    assert (a, b) not in queue
    assert (c, d) not in queue
    statuses = {
        (v.person.id, v.other.id): v.status for v in list_proposals(db, analyst, status="all") if v.other
    }
    assert (statuses[a, b], statuses[c, d]) == ("not_same", "same")

    uninterrupted = run_xref(db, analyst, data_dir=tmp_path / "another")  # a new job, from the beginning
    assert uninterrupted.job_id not in {first.job_id, stopped.id}
    again = _proposals(db)
    assert {k: v[:4] for k, v in again.items()} == {k: v[:4] for k, v in after.items()}


def test_a_job_another_process_works_on_is_not_run_twice(db: Database, tmp_path: Path) -> None:
    analyst = _population(db)
    data = tmp_path / "data"
    job_id = jobs.start(db, "xref", "someone", {})
    with jobs.working_on(data, job_id):  # the other process
        assert jobs.held(data, job_id)
        view = jobs.last_job(db, data)
        assert view is not None
        assert view.status == "running"
        with pytest.raises(ConflictError, match=f"links job {job_id} is being worked on"):
            run_xref(db, analyst, data_dir=data)
    view = jobs.last_job(db, data)
    assert view is not None
    assert view.status == "interrupted"  # its process is gone, the record still says running
    assert run_xref(db, analyst, data_dir=data).job_id == job_id  # resumed


@pytest.mark.slow
def test_a_cli_xref_run_killed_while_scoring_resumes_to_the_same_proposals(
    db: Database, tmp_path: Path
) -> None:
    analyst = _population(db)
    data = tmp_path / "data"
    env = {**os.environ, "VIGILANT_DATA_DIR": str(data), "VIGILANT_DATABASE_URL": db.url,
           "VIGILANT_AGENCY": "PP"}  # fmt: skip
    cli = [sys.executable, "-c", "from vigilant.cli import main; main()", "links", "xref", "--run", "--json"]
    job = subprocess.Popen(cli, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    seen = None
    while time.monotonic() < deadline and job.poll() is None:
        seen = jobs.last_job(db, data, "xref")
        if seen is not None and seen.phase == "scoring" and seen.done >= 2:
            break
        time.sleep(0.01)
    os.kill(job.pid, signal.SIGKILL)  # SIGKILL: no handler runs, the record still says running
    job.wait(timeout=30)
    assert seen is not None
    assert (seen.phase, seen.done >= 2) == ("scoring", True), "the run ended before it could be killed"
    killed = jobs.last_job(db, data, "xref")
    assert killed is not None
    assert (killed.status, killed.phase) == ("interrupted", "scoring")
    assert _proposals(db) == {}  # nothing written yet
    folder = jobs.job_folder(data, killed.id)
    scored = {f.name: f.stat().st_mtime_ns for f in folder.glob("rule-*.parquet")}
    assert len(scored) >= 2

    resumed = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    done = jobs.last_job(db, data, "xref")
    assert done is not None
    assert (done.id, done.status) == (killed.id, "finished")
    kept = {name: (folder / name).stat().st_mtime_ns for name in scored}
    assert kept == scored  # the batches scored before the kill were not scored again
    after = _proposals(db)
    with db.session() as s:
        oracle = score(load_records(s))
    assert {pair: round(row[1], 6) for pair, row in after.items()} == {
        (p.person_a, p.person_b): round(p.match_weight, 6) for p in oracle.pairs
    }
    assert len(list_proposals(db, analyst)) == len(oracle.pairs)
