"""Person resolution (xref) as a resumable job: read, block and score, merge, write the proposals.

The job's shape is design.md's: a list of batches with stable ids, each a pure function of its input, each
result written atomically (a temporary name, then a rename) as one Parquet file named by the batch; the
job's state is the set of files written, plus the record's phase and n of N (:mod:`vigilant.links.jobs`).

1. **reading**: every person of the installation, as the model compares them, to ``persons.parquet``: the
   snapshot every later phase reads, so a resumed job scores what the interrupted one read.
2. **scoring**: one batch per blocking rule (``rule-I.parquet``): the pairs the rule selects, scored by the
   fixed Splink model (:func:`vigilant.links.xref_model.score_rule`). Blocking and scoring are one SQL
   pipeline in Splink, so a batch does both; resume runs the rules whose file is missing.
3. **merging**: the batches' union, one row per pair (a pair two rules select scores the same in both), the
   pairs at or above the threshold to ``proposals.parquet``, strongest first, and the pairs compared.
4. **writing**: the proposals into ``xref_proposal`` in chunks, each chunk's rows and the job's progress in
   one transaction; a proposal row is found again by its pair (a unique key), so a chunk written twice
   changes nothing and no pair is ever proposed twice. Last, the proposals no longer made are removed and the
   xref run is closed. Judgements are kept in their own table and never touched: they apply to the new
   proposals as to the old.

A job killed in any phase resumes (``vigilant links xref --run`` again, or the web's "run") with the same
result as an uninterrupted one; ``tests/links/test_xref_job.py`` kills one and checks.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import delete, select

from vigilant.cases.access import Actor, actor_name, audit, require
from vigilant.links import jobs
from vigilant.links.jobs import JobView
from vigilant.links.models import LinksJobRow
from vigilant.links.xref_model import (
    BLOCKING_RULES,
    MODEL_VERSION,
    PROPOSE_FROM_WEIGHT,
    WEIGHT_COLUMNS,
    records_table,
    score_rule,
    scored_pair,
)
from vigilant.links.xref_models import XrefProposalRow, XrefRunRow
from vigilant.links.xref_records import XrefRecord, fingerprint
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Permission
from vigilant.store import Database
from vigilant.store.models import utcnow

KIND = "xref"
WRITE_CHUNK = 500  # proposals per transaction in the writing phase

Progress = Callable[[JobView], None]


def _write_atomically(table: pa.Table, path: Path) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(handle)
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _records(table: pa.Table) -> list[XrefRecord]:
    return [
        XrefRecord(
            unique_id=int(r["unique_id"]), given=r["given"] or "", given_forms=tuple(r["given_forms"] or ()),
            surname=r["surname"] or "", dob=r["dob"], sex=r["sex"], address=r["address"],
            municipality=r["municipality"], identifiers=tuple(r["identifiers"] or ()),
        )
        for r in table.to_pylist()
    ]  # fmt: skip


class XrefJob:
    """One xref job: its record, its folder, and the phases that fill them."""

    def __init__(self, db: Database, data_dir: Path, job_id: int, on_progress: Progress | None = None):
        self.db, self.data_dir, self.id = db, data_dir, job_id
        self.folder = jobs.job_folder(data_dir, job_id)
        self.on_progress = on_progress

    def _step(self, phase: str, done: int, total: int, detail: str = "", **found: Any) -> None:
        with self.db.session() as s:
            jobs.progress(s, self.id, (phase, done, total), detail, **found)
        self._tell()

    def _tell(self) -> None:
        if self.on_progress is not None:
            with self.db.session() as s:
                row = s.get(LinksJobRow, self.id)
                if row is not None:
                    self.on_progress(jobs.view(row, self.data_dir))

    def _row(self) -> LinksJobRow:
        with self.db.session() as s:
            row = s.get(LinksJobRow, self.id)
            if row is None:
                raise LookupError(f"no links job {self.id}")
            s.expunge(row)
            return row

    # --- the phases ------------------------------------------------------------------------------------
    def read(self) -> None:
        path = self.folder / "persons.parquet"
        if path.exists():
            return
        from vigilant.links.xref import load_records  # noqa: PLC0415 - xref imports this module

        self._step("reading", 0, 1, "reading every person of the installation")
        with self.db.session() as s:
            records = load_records(s)
        _write_atomically(records_table(records), path)
        self._step("reading", 1, 1, f"{len(records)} persons", persons=len(records))

    def score(self) -> None:
        persons = pq.read_table(self.folder / "persons.parquet")
        total = len(BLOCKING_RULES)
        for i, rule in enumerate(BLOCKING_RULES):
            path = self.folder / f"rule-{i}.parquet"
            if path.exists():  # a batch written before an interruption: its result stands
                continue
            done = sum((self.folder / f"rule-{j}.parquet").exists() for j in range(total))
            self._step("scoring", done, total, f"blocking rule {i + 1}: {rule['blocking_rule']}")
            _write_atomically(score_rule(persons, i), path)
        self._step("scoring", total, total, "every blocking rule applied")

    def merge(self, propose_from: float) -> None:
        path = self.folder / "proposals.parquet"
        if path.exists():
            return
        self._step("merging", 0, 1, "one row per pair, the proposals strongest first")
        batches = [str(self.folder / f"rule-{i}.parquet") for i in range(len(BLOCKING_RULES))]
        weights = ", ".join(f'any_value("{c}") AS "{c}"' for c in WEIGHT_COLUMNS)
        with duckdb.connect(":memory:") as con:
            con.execute("SET threads TO 2")
            con.execute(
                "CREATE TABLE pairs AS SELECT unique_id_l, unique_id_r, "
                "any_value(match_weight) AS match_weight, "
                f"any_value(match_probability) AS match_probability, {weights} "
                "FROM read_parquet(?) GROUP BY unique_id_l, unique_id_r",
                [batches],
            )
            counted = con.execute("SELECT count(*) FROM pairs").fetchall()[0]
            proposals: pa.Table = con.sql(
                "SELECT * FROM pairs WHERE match_weight >= ? "
                "ORDER BY match_weight DESC, unique_id_l, unique_id_r",
                params=[propose_from],
            ).to_arrow_table()
        compared = int(counted[0]) if counted else 0
        _write_atomically(proposals, path)
        self._step("merging", 1, 1, f"{compared} pairs compared, {proposals.num_rows} proposed",
                   pairs_compared=compared, proposals=proposals.num_rows)  # fmt: skip

    def write(self, actor: Actor) -> int:
        """The writing phase; returns the xref run's id."""
        row = self._row()
        proposals = pq.read_table(self.folder / "proposals.parquet")
        records = {r.unique_id: r for r in _records(pq.read_table(self.folder / "persons.parquet"))}
        run_id = row.result.get("xref_run_id")
        if run_id is None:
            with self.db.session() as s:
                run = XrefRunRow(model_version=MODEL_VERSION, started_at=row.started_at,
                                 persons=int(row.result.get("persons", len(records))),
                                 pairs_compared=int(row.result.get("pairs_compared", 0)),
                                 proposals=proposals.num_rows, run_by=actor_name(actor))  # fmt: skip
                s.add(run)
                s.flush()
                run_id = run.id
                jobs.progress(s, self.id, ("writing", 0, proposals.num_rows), "", xref_run_id=run_id)
            self._tell()
        total = proposals.num_rows
        # A job resumed in this phase starts at the first chunk not recorded as written; a chunk written
        # again would change nothing (its rows are found by their pair), so the record only saves time.
        start = row.done if row.phase == "writing" else 0
        columns = proposals.column_names
        for first in range(start - start % WRITE_CHUNK, total, WRITE_CHUNK):
            chunk = proposals.slice(first, WRITE_CHUNK).to_pylist()
            pairs = [scored_pair([r[c] for c in columns]) for r in chunk]
            with self.db.session() as s:
                wanted = [(p.person_a, p.person_b) for p in pairs]
                existing = {
                    (r.person_a_id, r.person_b_id): r
                    for r in s.scalars(
                        select(XrefProposalRow).where(
                            XrefProposalRow.person_a_id.in_({a for a, _ in wanted}),
                            XrefProposalRow.person_b_id.in_({b for _, b in wanted}),
                        )
                    )
                }
                for p in pairs:
                    proposal = existing.get((p.person_a, p.person_b))
                    if proposal is None:  # proposed for the first time: keeps this id from now on
                        proposal = XrefProposalRow(person_a_id=p.person_a, person_b_id=p.person_b,
                                                   first_proposed_at=row.started_at)  # fmt: skip
                        s.add(proposal)
                    proposal.match_weight = round(p.match_weight, 6)
                    proposal.match_probability = round(p.match_probability, 9)
                    proposal.comparisons = [c.as_dict() for c in p.comparisons]
                    proposal.fingerprint = fingerprint(records[p.person_a], records[p.person_b])
                    proposal.run_id = run_id
                done = min(first + WRITE_CHUNK, total)
                jobs.progress(s, self.id, ("writing", done, total), f"proposals {first + 1}–{done}")
            self._tell()
        return int(run_id)

    def finish(self, actor: Actor, run_id: int) -> None:
        with self.db.session() as s:
            # Proposals this run did not make again: gone (their judgements stay, in their own table).
            s.execute(delete(XrefProposalRow).where(XrefProposalRow.run_id != run_id))
            run = s.get(XrefRunRow, run_id)
            if run is not None:
                run.finished_at = utcnow()
            row = s.get(LinksJobRow, self.id)
            if row is not None:
                row.status, row.phase, row.detail, row.error = "finished", "done", "", None
                row.done = row.total
                row.finished_at = row.updated_at = utcnow()
            audit(s, actor, RecordChanged, change="create", object_type="xref_run", object_id=str(run_id))
        self._tell()

    def run(self, actor: Actor) -> int:
        """Every phase not yet done, in order; returns the xref run's id."""
        propose_from = float(self._row().params.get("propose_from", PROPOSE_FROM_WEIGHT))
        with jobs.working_on(self.data_dir, self.id):
            try:
                with self.db.session() as s:  # resumed: running again, the last failure kept for the record
                    row = s.get(LinksJobRow, self.id)
                    if row is not None:
                        row.status = "running"
                self.read()
                self.score()
                self.merge(propose_from)
                run_id = self.write(actor)
                self.finish(actor, run_id)
            except Exception as exc:
                first = (str(exc).strip().splitlines() or [""])[0]
                with self.db.session() as s:
                    row = s.get(LinksJobRow, self.id)
                    if row is not None:
                        row.status, row.error = "failed", f"{type(exc).__name__}: {first}"[:1000]
                        row.updated_at = utcnow()
                self._tell()
                raise
        return run_id


def run_job(
    db: Database,
    actor: Actor,
    data_dir: Path | None,
    *,
    propose_from: float = PROPOSE_FROM_WEIGHT,
    on_progress: Progress | None = None,
    resume: bool = True,
) -> tuple[int, int]:
    """Resume the unfinished xref job (``resume``), or start one, and run it to the end; returns the job's
    and the xref run's ids. Without ``data_dir`` the batches go to a temporary folder (the job is recorded
    but cannot be resumed by another process)."""
    require(actor, Permission.LINKS_READ)
    with ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vigilant-xref-")))
            resume = False
        job_id = jobs.unfinished(db, KIND) if resume else None
        if job_id is not None and not jobs.job_folder(data_dir, job_id).exists():
            # Its batches are not here (another data folder, a temporary one): resuming would mix its
            # recorded progress with new batches, so it is closed and a new job starts from the beginning.
            jobs.abandon(db, job_id, f"its batch folder is not in {data_dir}")
            job_id = None
        if job_id is None:
            job_id = jobs.start(db, KIND, actor_name(actor),
                                {"propose_from": propose_from, "model_version": MODEL_VERSION})  # fmt: skip
        run_id = XrefJob(db, data_dir, job_id, on_progress).run(actor)
    return job_id, run_id
