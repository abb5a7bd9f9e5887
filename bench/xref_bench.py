"""Person xref: Vigilant's blocked Splink run against a naive all-pairs comparison, with planted duplicates.

Data: Faker persons (English and French Canadian names, so accents occur), made from a seed; one in ten is
recorded a second time, as another agency would have written it, with one to three realistic variants: a
nickname ("Robert" → "Bob", from the ``nicknames`` data), a typo (a letter dropped, doubled, swapped or
replaced) in either name, given name and surname swapped, accents dropped, day and month of birth swapped
or one digit off, no date of birth, no sex, another address (moved) or none, and a shared e-mail address on a
few. The duplicates are the truth; recall and precision are measured on the pairs proposed (match weight
from ``PROPOSE_FROM_WEIGHT`` up).

Subjects:

* vigilant: :func:`vigilant.links.xref_model.score`: the fixed model, Splink's blocking rules (normalising
  the records included);
* all pairs: the same model over every pair (Splink with the blocking rule ``1 = 1``): the naive
  comparison, and the oracle for what blocking loses; at 10^4 persons only (5 × 10^7 pairs);
* xref job: the resumable job of :mod:`vigilant.links.xref_job` over the same persons, beside the single
  pass: the snapshot of the persons written to Parquet, one scored batch per blocking rule, the merge to one
  row per pair. Its reading of the persons from the database and its writing of the proposals to it are
  left out: the single pass it replaced (``vigilant links xref`` runs the job now) read and wrote the same
  rows. What it costs over the single pass is the price of resuming (each rule's batch written, the union
  merged, Splink set up once per rule); the row says so as a multiple of the single pass, wall and CPU
  (this process's, DuckDB's threads included), and whether its proposals are the single pass's, pair for
  pair, at the same weights.

Scales: ``full`` 10^5 persons (and 10^4 side by side with all pairs); ``quick`` 10^4 and 2 × 10^3.
Run alone: ``.venv/bin/python bench/xref_bench.py [--quick]``.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import pyarrow.parquet as pq
from faker import Faker

from vigilant.links import jobs
from vigilant.links.xref_job import KIND, XrefJob, _write_atomically
from vigilant.links.xref_model import MODEL_VERSION, PROPOSE_FROM_WEIGHT, records_table, score
from vigilant.links.xref_records import XrefRecord, _nicknamer, fold, make_record
from vigilant.store import Database

Row = dict[str, object]
DUPLICATE_SHARE = 0.10
TARGET_SECONDS = 60.0
TARGET_RECALL = 0.95
TARGET_PRECISION = 0.95


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeioulnrst") + word[i + 1 :]


def _nickname(rng: random.Random, given: str) -> str:
    options = sorted(_nicknamer().nicknames_of(fold(given)))
    return rng.choice(options).capitalize() if options else given


def _dob_variant(rng: random.Random, dob: date) -> date | None:
    if dob.day <= 12 and dob.day != dob.month and rng.random() < 0.5:
        return dob.replace(month=dob.day, day=dob.month)
    shifted = dob + timedelta(days=rng.choice((-1, 1, 10, -10)))
    return shifted if abs(shifted.year - dob.year) <= 1 else dob


def generate(n: int, seed: int = 13) -> tuple[list[XrefRecord], set[tuple[int, int]]]:
    """``n`` person records, about a tenth of them second records of another; and the true pairs."""
    rng = random.Random(seed)
    fakers = [Faker("en_CA"), Faker("fr_CA")]
    for i, f in enumerate(fakers):
        f.seed_instance(seed + i)
    base_count = round(n / (1 + DUPLICATE_SHARE))
    raw: list[dict[str, object]] = []
    for _ in range(base_count):
        fake = fakers[rng.random() < 0.3]
        female = rng.random() < 0.5
        raw.append(
            {
                "given_names": fake.first_name_female() if female else fake.first_name_male(),
                "surname": fake.last_name(),
                "date_of_birth": fake.date_of_birth(minimum_age=14, maximum_age=80),
                "gender": "female" if female else "male",
                "address": fake.street_address() if rng.random() < 0.8 else None,
                "municipality": fake.city(),
                "identifiers": [f"email:{fake.user_name()}{rng.randrange(10**6)}@example.com"]
                if rng.random() < 0.2
                else [],
            }
        )
    truth: set[tuple[int, int]] = set()
    for original in rng.sample(range(base_count), n - base_count):
        dup = dict(raw[original])
        for change in rng.sample(range(9), rng.randint(1, 3)):
            given, surname = str(dup["given_names"]), str(dup["surname"])
            dob = dup["date_of_birth"]
            if change == 0:
                dup["given_names"] = _nickname(rng, given)
            elif change == 1:
                dup["surname"] = _typo(rng, surname)
            elif change == 2:
                dup["given_names"] = _typo(rng, given)
            elif change == 3 and rng.random() < 0.3:
                dup["given_names"], dup["surname"] = surname, given
            elif change == 4:
                dup["given_names"], dup["surname"] = fold(given).title(), fold(surname).title()
            elif change == 5 and isinstance(dob, date):
                dup["date_of_birth"] = _dob_variant(rng, dob)
            elif change == 6:
                dup["date_of_birth"] = None if rng.random() < 0.5 else dob
                dup["gender"] = None
            elif change == 7:
                dup["address"] = fakers[0].street_address() if rng.random() < 0.5 else None
            elif change == 8:
                dup["municipality"] = None
        raw.append(dup)
        truth.add((original, len(raw) - 1))
    order = list(range(len(raw)))
    rng.shuffle(order)  # ids must not give the duplicates away
    new_id = {old: new + 1 for new, old in enumerate(order)}
    records = [make_record(new_id[i], **raw[i]) for i in range(len(raw))]  # type: ignore[arg-type]
    records.sort(key=lambda r: r.unique_id)
    pairs = {(min(new_id[a], new_id[b]), max(new_id[a], new_id[b])) for a, b in truth}
    return records, pairs


def _measure(subject: str, records: list[XrefRecord], truth: set[tuple[int, int]], *, all_pairs: bool) -> Row:
    started, cpu = time.perf_counter(), time.process_time()
    fresh = [replace(r) for r in records]
    run = score(fresh, all_pairs=all_pairs, propose_from=PROPOSE_FROM_WEIGHT)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    found = {(p.person_a, p.person_b) for p in run.pairs}
    hits = len(found & truth)
    return {
        "subject": subject,
        "persons": len(records),
        "seconds": round(seconds, 2),
        "cpu seconds": round(cpu_seconds, 2),
        "pairs compared": run.pairs_compared,
        "proposed": len(found),
        "recall": round(hits / len(truth), 4) if truth else None,
        "precision": round(hits / len(found), 4) if found else None,
        "missed": sorted(truth - found)[:3],
        "pairs": {(p.person_a, p.person_b): round(p.match_weight, 6) for p in run.pairs},
    }


def _measure_job(records: list[XrefRecord], truth: set[tuple[int, int]]) -> Row:
    """The resumable job's snapshot, scoring and merging phases over ``records`` (see the module's note)."""
    with TemporaryDirectory(prefix="vigilant-xref-bench-") as folder:
        work = Path(folder)
        db = Database(f"sqlite:///{work / 'xref.db'}")  # the job's progress record only
        db.upgrade()
        try:
            job_id = jobs.start(db, KIND, "bench", {"model_version": MODEL_VERSION})
            job = XrefJob(db, work, job_id)
            job.folder.mkdir(parents=True)
            started, cpu = time.perf_counter(), time.process_time()
            # The reading phase's snapshot, from the records in memory as the single pass gets them.
            _write_atomically(records_table([replace(r) for r in records]), job.folder / "persons.parquet")
            job.score()
            job.merge(PROPOSE_FROM_WEIGHT)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
            proposals = pq.read_table(job.folder / "proposals.parquet").to_pylist()
            compared = int(job._row().result.get("pairs_compared", 0))
        finally:
            db.dispose()
    pairs = {(int(r["unique_id_l"]), int(r["unique_id_r"])): round(r["match_weight"], 6) for r in proposals}
    hits = len(set(pairs) & truth)
    return {
        "subject": "xref job (resumable)",
        "persons": len(records),
        "seconds": round(seconds, 2),
        "cpu seconds": round(cpu_seconds, 2),
        "pairs compared": compared,
        "proposed": len(pairs),
        "recall": round(hits / len(truth), 4) if truth else None,
        "precision": round(hits / len(pairs), 4) if pairs else None,
        "pairs": pairs,
    }


def run(scale: str) -> list[Row]:
    big, small = (10**5, 10**4) if scale == "full" else (10**4, 2 * 10**3)
    rows: list[Row] = []
    records, truth = generate(big)
    r = _measure("vigilant", records, truth, all_pairs=False)
    rows.append(_row(r, f"{big:,} persons", vigilant=True))
    job = _measure_job(records, truth)
    rows.append(_job_row(job, r, f"{big:,} persons"))
    records, truth = generate(small, seed=31)
    mine = _measure("vigilant", records, truth, all_pairs=False)
    peer = _measure("all pairs (same model)", records, truth, all_pairs=True)
    rows.append(_row(mine, f"{small:,} persons", vigilant=True))
    peer_row = _row(peer, f"{small:,} persons", vigilant=False)
    peer_row["ratio"] = round(float(peer["seconds"]) / max(float(mine["seconds"]), 1e-9), 1)  # type: ignore[arg-type]
    rows.append(peer_row)
    return rows


def _row(r: Row, data: str, *, vigilant: bool) -> Row:
    row: Row = {
        "benchmark": "person xref",
        "subject": r["subject"],
        "metric": "time",
        "value": r["seconds"],
        "unit": "s",
        "data": data,
        "cpu s": r["cpu seconds"],
        "recall": r["recall"],
        "precision": r["precision"],
        "pairs compared": r["pairs compared"],
        "proposed": r["proposed"],
    }
    if vigilant:
        row["target"] = (
            f"< {TARGET_SECONDS:.0f} s, recall >= {TARGET_RECALL}, precision >= {TARGET_PRECISION}"
        )
        row["met"] = bool(
            float(r["seconds"]) < TARGET_SECONDS  # type: ignore[arg-type]
            and (r["recall"] or 0) >= TARGET_RECALL  # type: ignore[operator]
            and (r["precision"] or 0) >= TARGET_PRECISION  # type: ignore[operator]
        )
    else:
        row["note"] = "the oracle: what blocking loses shows as the difference in recall"
    return row


def _job_row(job: Row, single: Row, data: str) -> Row:
    """The job beside Splink's single pass on the same persons: its wall and CPU time as multiples of the
    single pass's, and whether it proposes the very pairs at the very weights."""
    row = _row(job, data, vigilant=False)
    row["note"] = "snapshot + a batch per blocking rule + merge; database reads and writes left out"
    row["wall × single pass"] = round(float(job["seconds"]) / max(float(single["seconds"]), 1e-9), 2)  # type: ignore[arg-type]
    row["cpu × single pass"] = round(float(job["cpu seconds"]) / max(float(single["cpu seconds"]), 1e-9), 2)  # type: ignore[arg-type]
    row["proposals equal"] = job["pairs"] == single["pairs"]
    return row


if __name__ == "__main__":
    for row in run("quick" if "--quick" in sys.argv else "full"):
        print(row)
