"""A generated offender registry for the demo province, and the daycare case.

The registry comes from :func:`vigilant.registry.demo_data.generate`, spread over the demo agencies'
municipalities (each given made-up coordinates in southern Ontario), with a layer of facilities. One accused
of the demo operation is also a registrant, employed at a daycare of the layer: the employment cross-check
raises an alert in their registry office's queue, and the case's cross-check finds them by name and date of
birth. Everything is generated; the demo prints the compliance summary.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from vigilant.cases.models import PersonRow
from vigilant.config import Settings
from vigilant.demo.links_demo import Accused
from vigilant.demo.operation import GENERATOR, GeneratedOperation
from vigilant.registry import demo_data
from vigilant.registry.compliance import Status
from vigilant.registry.crosscheck import CrossCheckReport, check_employment, check_investigations
from vigilant.registry.demo_data import GeneratedRegistry
from vigilant.registry.facilities import FacilityImport, import_facilities
from vigilant.registry.importer import import_records
from vigilant.registry.records import RegistrantIn
from vigilant.registry.rules import rule_set
from vigilant.registry.service import due
from vigilant.security.rights import Actor
from vigilant.store import Database

REGISTRANTS = 2000
SEED = 15
OFFICER = Actor.cli(f"{GENERATOR}-registry", roles={"registry_officer"})
DAYCARE = "Little Maples Daycare"
DAYCARE_NUMBER = "DEMO-DAYCARE-1"


@dataclass(frozen=True)
class RegistryFindings:
    as_of: date
    generated: GeneratedRegistry
    facilities: FacilityImport
    statuses: dict[str, int]  # status -> registrants, as of ``as_of``
    employment: CrossCheckReport
    investigation: CrossCheckReport
    accused: Accused

    def lines(self) -> Iterator[str]:
        total = sum(self.statuses.values())
        yield (
            f"{total} registrants as of {self.as_of.isoformat()}: "
            + ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in self.statuses.items())
        )
        yield f"{self.facilities.imported} facilities (schools, daycares, parks, community centres)"
        found = self.employment.new_matches
        yield (
            f"Employment cross-check: {len(found)} workplace(s) of registrants at or near a facility with "
            f"children, each an alert for the registrant's registry office; at daycares:"
        )
        for m in found:
            if m.basis.get("facility_kind") == "daycare":
                yield (
                    f"  {m.registry_number} works at {m.basis.get('facility')} ({m.basis.get('work')}) "
                    f"→ alert {m.alert_id}"
                )
        for m in self.investigation.new_matches:
            yield (
                f"Case {self.accused.case_number}'s cross-check: accused {self.accused.name} matches "
                f"{m.registry_number} ({m.kind}) → alert {m.alert_id}"
            )


def demo_places(op: GeneratedOperation, seed: int = SEED) -> dict[str, Sequence[tuple[str, float, float]]]:
    """Each agency's municipalities at made-up coordinates in southern Ontario (WGS84 degrees)."""
    rng = random.Random(seed)
    return {
        a.short_name: tuple(
            (m, round(rng.uniform(43.2, 45.0), 4), round(rng.uniform(-81.0, -76.5), 4))
            for m in a.municipalities
        )
        for a in op.agencies
    }


def _facilities(path: Path, places: Mapping[str, Sequence[tuple[str, float, float]]]) -> tuple[float, float]:
    """A facility layer: a school and a park in every town, a daycare in one; returns the daycare's place."""
    lines = ["id,kind,name,latitude,longitude,municipality"]
    for i, (town, lat, lon) in enumerate(t for towns in places.values() for t in towns):
        lines.append(f"S{i},school,{town} Public School,{lat + 0.011:.6f},{lon + 0.007:.6f},{town}")
        lines.append(f"P{i},park,{town} Memorial Park,{lat - 0.009:.6f},{lon + 0.012:.6f},{town}")
    town, lat, lon = next(iter(places.values()))[0]
    daycare = (round(lat + 0.003, 6), round(lon - 0.004, 6))
    lines.append(f"D1,daycare,{DAYCARE},{daycare[0]},{daycare[1]},{town}")
    path.write_text("\n".join(lines) + "\n")
    return daycare


def _accused_registrant(
    db: Database, accused: Accused, office: str, *, town: str, daycare: tuple[float, float], as_of: date
) -> RegistrantIn:
    """The accused as a registrant: an older conviction, and a job at the daycare."""
    with db.session() as s:
        person = s.get(PersonRow, accused.person_id)
        assert person is not None
        assert person.date_of_birth is not None
        given, surname, born = person.given_names, person.surname, person.date_of_birth
        sex = {"female": "F", "male": "M"}.get((person.gender or "").casefold(), "X")
    start = as_of - timedelta(days=365 * 6 + 40)
    first = start + timedelta(days=3)
    reports = [{"kind": "initial", "reported_on": first.isoformat(), "officer": "Cst. Demo"}]
    reports += [
        {
            "kind": "annual",
            "reported_on": first.replace(year=first.year + y).isoformat(),
            "officer": "Cst. Demo",
        }
        for y in range(1, 7)
        if first.replace(year=first.year + y) <= as_of
    ]
    return RegistrantIn.model_validate(
        {
            "registry_number": DAYCARE_NUMBER, "surname": surname, "given_names": given,
            "date_of_birth": born.isoformat(), "sex": sex, "office": office,
            "first_report_on": first.isoformat(),
            "addresses": [
                {"kind": "main", "line": "40 Example Crescent", "municipality": town, "province": "ON",
                 "valid_from": start.isoformat(), "latitude": daycare[0] + 0.02, "longitude": daycare[1]},
                {"kind": "employment", "line": "2 Example Lane", "municipality": town, "province": "ON",
                 "organisation": DAYCARE, "work_type": "kitchen helper", "valid_from": first.isoformat(),
                 "latitude": daycare[0] + 0.0002, "longitude": daycare[1]},
            ],
            "offences": [{"section": "163.1(4)", "convicted_on": (start - timedelta(days=30)).isoformat()}],
            "orders": [{"regime": "federal", "term": "10y", "starts_on": start.isoformat()}],
            "reports": reports,
        }
    )  # fmt: skip


def registry_demo(
    db: Database, op: GeneratedOperation, accused: Accused, root: Path, *, as_of: date
) -> RegistryFindings:
    places = demo_places(op)
    generated = demo_data.generate(db, OFFICER, count=REGISTRANTS, as_of=as_of, seed=SEED, places=places)
    layer = root / "demo-facilities.csv"
    daycare = _facilities(layer, places)
    facilities = import_facilities(db, OFFICER, layer)
    office, towns = next(iter(places.items()))
    own = _accused_registrant(db, accused, office, town=towns[0][0], daycare=daycare, as_of=as_of)
    import_records(db, OFFICER, [(1, own)], source="demo: the accused employed at a daycare")
    employment = check_employment(db, OFFICER, purpose="demo: daily employment cross-check", today=as_of)
    investigation = check_investigations(
        db,
        OFFICER,
        purpose=f"demo: new accused in {accused.case_number}",
        case_id=accused.case_id,
        today=as_of,
    )
    found = due(
        db, OFFICER, rules=rule_set(Settings.from_env().registry_rules), as_of=as_of, statuses=list(Status)
    )
    statuses = {st.value: sum(1 for x in found if x.compliance.status is st) for st in Status}
    return RegistryFindings(as_of, generated, facilities, statuses, employment, investigation, accused)
