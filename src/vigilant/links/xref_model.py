"""The xref model: Splink (Fellegi-Sunter record linkage on DuckDB) with fixed, versioned parameters.

Why fixed settings, not a model trained on each installation's persons: an installation holds from a few
dozen to some hundred thousand persons, few of them recorded twice, and expectation-maximisation on so few
true matches moves the weights from run to run; an analyst's judgement would then face a score that changed
for no reason in the evidence. The m and u probabilities below are written out (m: how often a true match
shows the level, u: how often two different people do, set from name and birth-date frequencies) and versioned
by ``MODEL_VERSION``: the same persons always give the same proposals, and every proposal says which levels
of which comparisons made its score (Splink's match weights: the prior plus one log2 Bayes factor per
comparison). Change a number here and the version with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from vigilant.links.xref_records import XrefRecord, as_columns

MODEL_VERSION = "xref-1"
# Of two persons picked at random, the chance they are one: about one duplicate per 10^5 pairs.
PRIOR = 1e-5
# A pair is proposed for review from this weight up (a match probability of 0.2 under the prior above, which
# is set for an installation of ~10^5 persons: smaller ones underrate their pairs). bench/xref_bench.py
# measures the queue at this threshold: precision 0.99, recall 0.97 at 10^5 persons.
PROPOSE_FROM_WEIGHT = -2.0

Level = tuple[str, str, float, float]  # label, SQL condition, m, u

_JW = "jaro_winkler_similarity"
_FORMS_SHARED = "len(list_intersect(given_forms_l, given_forms_r)) > 0"
_NAME_LEVELS: tuple[Level, ...] = (
    ("same name", "given_l = given_r AND surname_l = surname_r", 0.55, 0.0005),
    ("given name and surname swapped", "given_l = surname_r AND surname_l = given_r", 0.02, 0.00001),
    ("nickname or variant of the given name, same surname", f"surname_l = surname_r AND {_FORMS_SHARED}",
     0.12, 0.0002),
    ("both names nearly the same (typo)",
     f"{_JW}(given_l, given_r) >= 0.92 AND {_JW}(surname_l, surname_r) >= 0.92", 0.12, 0.0004),
    ("nickname or variant, surname nearly the same",
     f"{_FORMS_SHARED} AND {_JW}(surname_l, surname_r) >= 0.88", 0.04, 0.0003),
    ("same surname, same first initial", "surname_l = surname_r AND left(given_l, 1) = left(given_r, 1)",
     0.03, 0.002),
    ("same surname only", "surname_l = surname_r", 0.03, 0.01),
    ("names differ", "ELSE", 0.09, 0.98659),
)  # fmt: skip
_DOB_LEVELS: tuple[Level, ...] = (
    ("same date of birth", "dob_l = dob_r", 0.90, 0.00004),
    ("day and month swapped, or one digit off",
     "damerau_levenshtein(strftime(dob_l, '%Y%m%d'), strftime(dob_r, '%Y%m%d')) <= 1 "
     "OR (day(dob_l) = month(dob_r) AND month(dob_l) = day(dob_r) AND year(dob_l) = year(dob_r))",
     0.05, 0.0006),
    ("within a year", "abs(date_diff('day', dob_l, dob_r)) <= 366", 0.02, 0.03),
    ("dates of birth differ", "ELSE", 0.03, 0.96936),
)  # fmt: skip
_SEX_LEVELS: tuple[Level, ...] = (
    ("same sex", "sex_l = sex_r", 0.98, 0.5),
    ("sex differs", "ELSE", 0.02, 0.5),
)
_ADDRESS_LEVELS: tuple[Level, ...] = (
    ("same address", "address_l = address_r", 0.45, 0.0005),
    ("address nearly the same", f"{_JW}(address_l, address_r) >= 0.92", 0.15, 0.001),
    ("addresses differ", "ELSE", 0.40, 0.9985),
)
_MUNICIPALITY_LEVELS: tuple[Level, ...] = (
    ("same municipality", "municipality_l = municipality_r", 0.85, 0.02),
    ("municipalities differ", "ELSE", 0.15, 0.98),
)
_IDENTIFIER_LEVELS: tuple[Level, ...] = (
    ("a shared identifier (e-mail, phone, user name, …)",
     "len(list_intersect(identifiers_l, identifiers_r)) > 0", 0.6, 0.00002),
    ("no identifier in common", "ELSE", 0.4, 0.99998),
)  # fmt: skip

# comparison name -> (the columns that must be present on both sides, its levels)
COMPARISONS: dict[str, tuple[tuple[str, ...], tuple[Level, ...]]] = {
    "name": (("given", "surname"), _NAME_LEVELS),
    "date of birth": (("dob",), _DOB_LEVELS),
    "sex": (("sex",), _SEX_LEVELS),
    "address": (("address",), _ADDRESS_LEVELS),
    "municipality": (("municipality",), _MUNICIPALITY_LEVELS),
    "identifiers": (("identifiers",), _IDENTIFIER_LEVELS),
}
_EMPTY_LIST_IS_NULL = {"identifiers"}

# Which pairs are compared at all (Splink's blocking rules): each catches a kind of duplicate the others miss.
BLOCKING_RULES: tuple[dict[str, Any], ...] = (
    {"blocking_rule": "l.dob = r.dob"},
    {"blocking_rule": "l.surname = r.surname AND l.given = r.given"},
    {"blocking_rule": "l.surname = r.given AND l.given = r.surname"},
    {"blocking_rule": "l.surname = r.surname AND year(l.dob) = year(r.dob)"},
    {"blocking_rule": "l.given_forms[1] = r.given_forms[1] AND year(l.dob) = year(r.dob) "
                      "AND left(l.surname, 2) = left(r.surname, 2)"},
    {"blocking_rule": "l.address = r.address"},
    {"blocking_rule": "l.surname = r.surname AND l.municipality = r.municipality"},
    {"blocking_rule": "l.given = r.given AND l.municipality = r.municipality"},
    {"blocking_rule": "l.identifiers = r.identifiers", "arrays_to_explode": ["identifiers"]},
)  # fmt: skip


def _null_condition(columns: tuple[str, ...], name: str) -> str:
    parts = []
    for column in columns:
        for side in ("l", "r"):
            parts.append(f"{column}_{side} IS NULL")
            if name in _EMPTY_LIST_IS_NULL:
                parts.append(f"len({column}_{side}) = 0")
    return " OR ".join(parts)


def settings() -> dict[str, Any]:
    """Splink's settings dictionary: the whole model, parameters included."""
    comparisons = []
    for name, (columns, levels) in COMPARISONS.items():
        comparison_levels: list[dict[str, Any]] = [
            {
                "sql_condition": _null_condition(columns, name),
                "label_for_charts": "missing",
                "is_null_level": True,
            }
        ]
        for label, condition, m, u in levels:
            comparison_levels.append(
                {
                    "sql_condition": condition,
                    "label_for_charts": label,
                    "m_probability": m,
                    "u_probability": u,
                }
            )
        comparisons.append(
            {"output_column_name": name.replace(" ", "_"), "comparison_description": name,
             "comparison_levels": comparison_levels}
        )  # fmt: skip
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": PRIOR,
        "blocking_rules_to_generate_predictions": list(BLOCKING_RULES),
        "comparisons": comparisons,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
    }


@dataclass(frozen=True)
class ComparisonResult:
    comparison: str
    level: str
    weight: float  # log2 Bayes factor: what this comparison added to (or took from) the score

    def as_dict(self) -> dict[str, Any]:
        return {"comparison": self.comparison, "level": self.level, "weight": round(self.weight, 3)}


@dataclass(frozen=True)
class ScoredPair:
    person_a: int
    person_b: int
    match_weight: float
    match_probability: float
    comparisons: tuple[ComparisonResult, ...]


PRIOR_WEIGHT = math.log2(PRIOR / (1 - PRIOR))


def level_weight(m: float, u: float) -> float:
    return math.log2(m / u)


def level_of(name: str, weight: float) -> str:
    """The level a comparison's weight stands for. Splink 5's predictions keep each comparison's match weight
    but not its level number; the levels' weights are distinct by construction (a test checks it), and the
    null level alone weighs 0."""
    if weight == 0.0:
        return "missing"
    levels = COMPARISONS[name][1]
    return min(levels, key=lambda level: abs(level_weight(level[2], level[3]) - weight))[0]


@dataclass(frozen=True)
class ModelRun:
    pairs_compared: int
    pairs: list[ScoredPair]


SCHEMA = pa.schema(
    [("unique_id", pa.int64()), ("given", pa.string()), ("given_forms", pa.list_(pa.string())),
     ("surname", pa.string()), ("dob", pa.date32()), ("sex", pa.string()), ("address", pa.string()),
     ("municipality", pa.string()), ("identifiers", pa.list_(pa.string()))]
)  # fmt: skip
WEIGHT_COLUMNS = tuple(f"mw_{n.replace(' ', '_')}" for n in COMPARISONS)


def records_table(records: Sequence[XrefRecord]) -> pa.Table:
    """The model's input as an Arrow table (an xref job keeps it as Parquet, its snapshot of the persons)."""
    return pa.table(as_columns(records), schema=SCHEMA)


def score_rule(table: pa.Table, rule: int) -> pa.Table:
    """Every pair blocking rule ``rule`` (an index of :data:`BLOCKING_RULES`) selects, scored: a batch of an
    xref job, a pure function of its input. Columns: ``unique_id_l`` < ``unique_id_r``, ``match_weight``,
    ``match_probability`` and one ``mw_…`` weight per comparison. A pair two rules select is in both
    batches with the same scores (the parameters are fixed), so the union of the batches, one row per pair,
    is what :func:`score` gives with every rule at once."""
    from splink import Linker  # noqa: PLC0415 - Splink takes a second to import; only xref runs need it
    from splink.backends.duckdb import DuckDBAPI  # noqa: PLC0415

    model = settings()
    model["blocking_rules_to_generate_predictions"] = [BLOCKING_RULES[rule]]
    connection = duckdb.connect(":memory:")
    try:
        connection.execute("SET threads TO 2")
        api = DuckDBAPI(connection=connection)
        frame = api.register(table, table_name="persons")
        predicted = Linker(frame, model, log_level=None).inference.predict(warning_mode="never")
        weights = ", ".join(f'"{c}"' for c in WEIGHT_COLUMNS)
        return connection.sql(
            "SELECT least(unique_id_l, unique_id_r) AS unique_id_l, "
            "greatest(unique_id_l, unique_id_r) AS unique_id_r, "
            f"match_weight, match_probability, {weights} FROM {predicted.physical_name} "
            "ORDER BY unique_id_l, unique_id_r"
        ).to_arrow_table()
    finally:
        connection.close()


def scored_pair(row: Sequence[Any]) -> ScoredPair:
    """A row (a, b, match_weight, match_probability, the comparisons' weights…) as a scored pair."""
    a, b, weight, probability = int(row[0]), int(row[1]), float(row[2]), float(row[3])
    results = tuple(
        ComparisonResult(n, level_of(n, float(w)), float(w))
        for n, w in zip(COMPARISONS, row[4:], strict=True)
    )
    return ScoredPair(min(a, b), max(a, b), weight, probability, results)


def score(records: Sequence[XrefRecord], *, propose_from: float = PROPOSE_FROM_WEIGHT,
          all_pairs: bool = False) -> ModelRun:  # fmt: skip
    """Score the pairs of ``records`` that the blocking rules select (every pair when ``all_pairs``: the
    brute-force oracle the benchmark and tests compare against) and return those at or above
    ``propose_from``, strongest first. A pure function of its input."""
    from splink import Linker  # noqa: PLC0415 - Splink takes a second to import; only xref runs need it
    from splink.backends.duckdb import DuckDBAPI  # noqa: PLC0415

    model = settings()
    if all_pairs:
        model["blocking_rules_to_generate_predictions"] = [{"blocking_rule": "1 = 1"}]
    if len(records) < 2:
        return ModelRun(0, [])
    table = records_table(records)
    connection = duckdb.connect(":memory:")
    try:
        connection.execute("SET threads TO 2")
        api = DuckDBAPI(connection=connection)
        frame = api.register(table, table_name="persons")
        linker = Linker(frame, model, log_level=None)
        if all_pairs:  # every pair is compared; keep only those proposed (5 x 10^7 rows at 10^4 persons)
            predicted = linker.inference.predict(threshold_match_weight=propose_from, warning_mode="never")
            compared = len(records) * (len(records) - 1) // 2
        else:
            predicted = linker.inference.predict(warning_mode="never")
            counted = connection.execute(f"SELECT count(*) FROM {predicted.physical_name}").fetchone()
            compared = int(counted[0]) if counted else 0
        names = list(COMPARISONS)
        weight_cols = ", ".join(f'"mw_{n.replace(" ", "_")}"' for n in names)
        rows = connection.execute(
            f"SELECT unique_id_l, unique_id_r, match_weight, match_probability, {weight_cols} "
            f"FROM {predicted.physical_name} WHERE match_weight >= ? "
            "ORDER BY match_weight DESC, unique_id_l, unique_id_r",
            [propose_from],
        ).fetchall()
    finally:
        connection.close()
    return ModelRun(compared, [scored_pair(row) for row in rows])
