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
  comparison, and the oracle for what blocking loses; at 10^4 persons only (5 × 10^7 pairs).

Scales: ``full`` 10^5 persons (and 10^4 side by side with all pairs); ``quick`` 10^4 and 2 × 10^3.
Run alone: ``.venv/bin/python bench/xref_bench.py [--quick]``.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import replace
from datetime import date, timedelta

from faker import Faker

from vigilant.links.xref_model import PROPOSE_FROM_WEIGHT, score
from vigilant.links.xref_records import XrefRecord, _nicknamer, fold, make_record

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
    started = time.perf_counter()
    fresh = [replace(r) for r in records]
    run = score(fresh, all_pairs=all_pairs, propose_from=PROPOSE_FROM_WEIGHT)
    seconds = time.perf_counter() - started
    found = {(p.person_a, p.person_b) for p in run.pairs}
    hits = len(found & truth)
    return {
        "subject": subject,
        "persons": len(records),
        "seconds": round(seconds, 2),
        "pairs compared": run.pairs_compared,
        "proposed": len(found),
        "recall": round(hits / len(truth), 4) if truth else None,
        "precision": round(hits / len(found), 4) if found else None,
        "missed": sorted(truth - found)[:3],
    }


def run(scale: str) -> list[Row]:
    big, small = (10**5, 10**4) if scale == "full" else (10**4, 2 * 10**3)
    rows: list[Row] = []
    records, truth = generate(big)
    r = _measure("vigilant", records, truth, all_pairs=False)
    rows.append(_row(r, f"{big:,} persons", vigilant=True))
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


if __name__ == "__main__":
    for row in run("quick" if "--quick" in sys.argv else "full"):
        print(row)
