"""Builders for registry tests: registry offices (agencies) and registrant records, all synthetic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vigilant.cases.agencies import add_agency
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

ADMIN = Actor.cli("test-admin")


def officer(agency_id: int, *roles: Role) -> Actor:
    return Actor(
        user_id=None,
        username=f"officer@{agency_id}",
        roles=frozenset(roles or {Role.REGISTRY_OFFICER}),
        agency_id=agency_id,
        source="test",
    )


def offices(db: Database) -> tuple[int, int]:
    """Two registry offices: Orillia (ON) and Halifax (NS)."""
    a = add_agency(
        db, ADMIN, name="Provincial Police", short_name="OPP", province="ON", municipalities=["Orillia"]
    ).id
    b = add_agency(
        db, ADMIN, name="Halifax Police", short_name="HRP", province="NS", municipalities=["Halifax"]
    ).id
    return a, b


def registrant(number: str = "ON-0001", **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "registry_number": number,
        "surname": "Doe",
        "given_names": "Casey Lee",
        "date_of_birth": "1980-02-29",
        "sex": "M",
        "office": "OPP",
        "height_cm": 180,
        "marks": "tattoo, left forearm",
        "first_report_on": "2020-03-10",
        "aliases": [{"given_names": "Kasey", "surname": "Doh"}],
        "addresses": [
            {
                "kind": "main",
                "line": "12 Example St",
                "municipality": "Orillia",
                "province": "ON",
                "valid_from": "2020-03-01",
                "latitude": 44.6082,
                "longitude": -79.4197,
            },
            {
                "kind": "employment",
                "line": "40 Sample Rd",
                "municipality": "Orillia",
                "organisation": "Example Logistics",
                "work_type": "driver",
                "valid_from": "2021-05-01",
            },
        ],
        "phones": [{"number": "+1 705 555 0100", "kind": "mobile"}],
        "vehicles": [{"plate": "ABCD 123", "province": "ON", "make": "Example", "year": 2015}],
        "documents": [{"kind": "driver_licence", "number": "D1234-56789-00000", "issuer": "ON"}],
        "identifiers": [{"kind": "handle", "value": "@Shadow_Fox", "platform": "example.social"}],
        "offences": [
            {"section": "163.1(4)", "convicted_on": "2019-11-04", "court": "Ontario Court of Justice"}
        ],
        "orders": [{"regime": "federal", "term": "10y", "starts_on": "2020-03-01"}],
        "reports": [{"kind": "initial", "reported_on": "2020-03-10", "officer": "Cst. Example"}],
    }
    record.update(changes)
    return record


def write_jsonl(path: Path, *lines: dict[str, Any] | str) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path
