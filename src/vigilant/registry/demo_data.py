"""A generated registry for the demo: synthetic registrants (Faker names, documentation-range phone numbers,
made-up plates and handles), some of them non-compliant, imported through the registry's own importer.

The demo calls :func:`generate`; nothing here is real. The same seed gives the same registry.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from faker import Faker

from vigilant.registry.compliance import add_years
from vigilant.registry.importer import ImportReport, import_records
from vigilant.registry.records import RegistrantIn
from vigilant.security.rights import Actor
from vigilant.store import Database

# Where registrants live when the caller names no places: towns of a demo province, with WGS84 centres.
DEFAULT_PLACES: Mapping[str, Sequence[tuple[str, float, float]]] = {
    "OPP": (
        ("Orillia", 44.6082, -79.4197),
        ("Midland", 44.7501, -79.8863),
        ("Gravenhurst", 44.9182, -79.3733),
    ),
    "BPS": (("Barrie", 44.3894, -79.6903),),
}
SECTIONS = ("151", "152", "163.1(2)", "163.1(3)", "163.1(4)", "172.1", "271", "286.1")
WORK = ("driver", "cook", "cleaner", "warehouse", "retail", "maintenance", "coach", "kitchen helper")
MISSED = 0.12  # share of registrants who miss their latest annual report
LATE_MOVE = 0.05  # share with a move they did not report


@dataclass(frozen=True)
class GeneratedRegistry:
    registrants: int
    report: ImportReport


def _near(rng: random.Random, lat: float, lon: float, spread: float = 0.04) -> tuple[float, float]:
    return round(lat + rng.uniform(-spread, spread), 6), round(lon + rng.uniform(-spread, spread), 6)


def _address(
    fake: Faker, rng: random.Random, town: tuple[str, float, float], kind: str, since: date, **extra: Any
) -> dict[str, Any]:
    municipality, lat, lon = town
    latitude, longitude = _near(rng, lat, lon)
    line = f"{rng.randint(1, 999)} {fake.street_name()}"
    return {
        "kind": kind, "line": line, "municipality": municipality, "province": "ON",
        "valid_from": since.isoformat(), "latitude": latitude, "longitude": longitude, **extra,
    }  # fmt: skip


def _one(
    fake: Faker, rng: random.Random, *, n: int, office: str, town: tuple[str, float, float], as_of: date
) -> dict[str, Any]:
    sex = rng.choice("MMMMMMMMF")
    given = fake.first_name_male() if sex == "M" else fake.first_name_female()
    start = as_of - timedelta(days=rng.randint(200, 365 * 22))
    term = rng.choices(["10y", "20y", "life"], weights=[5, 3, 2])[0]
    first = start + timedelta(days=rng.randint(0, 6))
    reports: list[dict[str, Any]] = [
        {"kind": "initial", "reported_on": first.isoformat(), "officer": "Cst. Demo"}
    ]
    missed = rng.random() < MISSED
    years = 1
    while (anniversary := add_years(first, years)) <= as_of - timedelta(days=16):
        last = add_years(first, years + 1) > as_of - timedelta(days=16)
        if not (missed and last):
            day = anniversary + timedelta(days=rng.randint(-12, 12))
            reports.append({"kind": "annual", "reported_on": day.isoformat(), "officer": "Cst. Demo"})
        years += 1
    addresses = [_address(fake, rng, town, "main", start)]
    if rng.random() < 0.4:
        job = {"organisation": fake.company(), "work_type": rng.choice(WORK)}
        addresses.append(_address(fake, rng, town, "employment", first, **job))
    if rng.random() < LATE_MOVE:  # moved, and never said so: non-compliant 7 days later
        moved = as_of - timedelta(days=rng.randint(10, 60))
        addresses[0]["valid_to"] = moved.isoformat()
        addresses.append(_address(fake, rng, town, "main", moved))
    record: dict[str, Any] = {
        "registry_number": f"DEMO-{n:06d}",
        "surname": fake.last_name(),
        "given_names": given,
        "date_of_birth": fake.date_of_birth(minimum_age=25, maximum_age=75).isoformat(),
        "sex": sex,
        "office": office,
        "height_cm": rng.randint(155, 195),
        "first_report_on": first.isoformat(),
        "addresses": addresses,
        "phones": [{"number": f"+1 705 555 01{rng.randint(0, 99):02d}", "kind": "mobile"}],
        "offences": [
            {
                "section": rng.choice(SECTIONS),
                "convicted_on": (start - timedelta(days=rng.randint(1, 60))).isoformat(),
            }
        ],
        "orders": [
            {
                "regime": rng.choice(["federal", "federal", "ontario"]),
                "term": term,
                "starts_on": start.isoformat(),
            }
        ],
        "reports": reports,
    }
    if rng.random() < 0.5:
        record["identifiers"] = [
            {"kind": rng.choice(["username", "handle"]), "value": f"{fake.user_name()}{n}"}
        ]
    if rng.random() < 0.3:
        plate = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(4)) + f" {rng.randint(100, 999)}"
        record["vehicles"] = [
            {"plate": plate, "province": "ON", "make": "Example", "year": rng.randint(2000, 2024)}
        ]
    return record


def records(
    count: int,
    *,
    as_of: date,
    seed: int = 15,
    places: Mapping[str, Sequence[tuple[str, float, float]]] | None = None,
) -> Iterator[RegistrantIn]:
    """``count`` synthetic registrants, spread over the offices and towns of ``places``."""
    towns = [(office, town) for office, list_ in (places or DEFAULT_PLACES).items() for town in list_]
    fake = Faker("en_CA")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    for n in range(1, count + 1):
        office, town = towns[rng.randrange(len(towns))]
        yield RegistrantIn.model_validate(_one(fake, rng, n=n, office=office, town=town, as_of=as_of))


def generate(
    db: Database,
    actor: Actor,
    *,
    count: int = 3000,
    as_of: date,
    seed: int = 15,
    places: Mapping[str, Sequence[tuple[str, float, float]]] | None = None,
) -> GeneratedRegistry:
    """Import a generated registry of ``count`` registrants as of ``as_of``; the offices named in ``places``
    (agency short names) must exist. About one in eight is non-compliant as of that day."""
    items = ((n, r) for n, r in enumerate(records(count, as_of=as_of, seed=seed, places=places), start=1))
    report = import_records(db, actor, items, source=f"demo registry (seed {seed})")
    return GeneratedRegistry(count, report)
