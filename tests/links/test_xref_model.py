"""The xref model alone: its explanation can be read back, each kind of variant it is built for is found,
and its blocking loses nothing the brute-force comparison of every pair finds (the oracle)."""

from __future__ import annotations

import math
from datetime import date

import pytest
from faker import Faker

from vigilant.links.xref_model import COMPARISONS, PRIOR_WEIGHT, level_of, level_weight, score
from vigilant.links.xref_records import XrefRecord, fingerprint, fold, make_record, name_forms


def _record(pid: int, given: str, surname: str, dob: date | None, **kw: str | list[str]) -> XrefRecord:
    return make_record(pid, given_names=given, surname=surname, date_of_birth=dob, gender=kw.get("gender"),  # type: ignore[arg-type]
                       address=kw.get("address"), municipality=kw.get("municipality"),  # type: ignore[arg-type]
                       identifiers=kw.get("identifiers", []))  # fmt: skip


def test_every_level_of_a_comparison_has_its_own_weight() -> None:
    """Splink 5 reports a comparison's weight, not its level: the levels must be told apart by weight, and
    none may weigh 0 (the weight of a missing value)."""
    for name, (_, levels) in COMPARISONS.items():
        weights = [level_weight(m, u) for _, _, m, u in levels]
        assert len({round(w, 3) for w in weights}) == len(weights), name
        assert all(abs(w) > 0.01 for w in weights), name
        for level, w in zip(levels, weights, strict=True):
            assert level_of(name, w) == level[0]
        assert math.isclose(sum(m for _, _, m, _ in levels), 1.0, abs_tol=1e-9), name
        assert math.isclose(sum(u for _, _, _, u in levels), 1.0, abs_tol=1e-9), name
    assert level_of("name", 0.0) == "missing"


def test_names_are_folded_and_nicknames_share_a_form() -> None:
    assert fold("  Hélène-Côté O'Brien ") == "helene cote obrien"
    assert "robert" in set(name_forms("bob")) & set(name_forms("rob"))
    assert fold("12 Rue de l'Église, app. 3", digits=True) == "12 rue de leglise app 3"


PLANTED = {
    "nickname": (("Robert", "Gagnon", date(1980, 3, 4)), ("Bob", "Gagnon", date(1980, 3, 4))),
    "typo": (("Stephanie", "Lachance", date(1991, 6, 20)), ("Stephanie", "Lachanse", date(1991, 6, 20))),
    "swapped names": (("Martin", "Thomas", date(1975, 1, 30)), ("Thomas", "Martin", date(1975, 1, 30))),
    "accents": (("Zoé", "Bélanger", date(2001, 12, 5)), ("Zoe", "Belanger", date(2001, 12, 5))),
    "day and month swapped": (("Kevin", "Ouellet", date(1988, 4, 9)), ("Kevin", "Ouellet", date(1988, 9, 4))),
    "no date of birth, same address": (("Chloe", "Fortin", date(1999, 2, 2)), ("Chloe", "Fortin", None)),
}


@pytest.mark.parametrize("variant", sorted(PLANTED))
def test_each_planted_variant_is_proposed_among_strangers(variant: str) -> None:
    fake = Faker("fr_CA")
    fake.seed_instance(7)
    strangers = [
        _record(i, fake.first_name(), fake.last_name(), fake.date_of_birth(minimum_age=18), gender="f")
        for i in range(1, 301)
    ]
    first, second = PLANTED[variant]
    a = _record(1001, *first, address="40 rue Laurier", municipality="Gatineau")
    b = _record(1002, *second, address="40 rue Laurier", municipality="Gatineau")

    run = score([*strangers, a, b])

    found = {(p.person_a, p.person_b): p for p in run.pairs}
    assert (1001, 1002) in found, variant
    pair = found[(1001, 1002)]
    assert pair.match_weight == pytest.approx(PRIOR_WEIGHT + sum(c.weight for c in pair.comparisons))
    assert fingerprint(a, b) == fingerprint(b, a)


def test_blocking_loses_nothing_that_comparing_every_pair_finds() -> None:
    fake = Faker("en_CA")
    fake.seed_instance(11)
    records = [
        _record(i, fake.first_name(), fake.last_name(), fake.date_of_birth(minimum_age=18))
        for i in range(1, 401)
    ]
    pid = 1000
    for first, second in PLANTED.values():
        records += [_record(pid, *first), _record(pid + 1, *second)]
        pid += 2

    blocked = score(records)
    every = score(records, all_pairs=True)

    assert every.pairs_compared == len(records) * (len(records) - 1) // 2
    assert blocked.pairs_compared < every.pairs_compared / 100
    assert [(p.person_a, p.person_b) for p in blocked.pairs] == [
        (p.person_a, p.person_b) for p in every.pairs
    ]
    assert len(every.pairs) >= len(PLANTED) - 1  # without the address, one variant is too weak alone
