"""Export of the registry in its interchange form (JSON lines or CSV): what an import reads back unchanged.

An export is one audited act (an ``export`` event with the count, the format and where it went): the
registry leaves the platform only this way, never through a public release.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.models import AgencyRow, PersonRow
from vigilant.registry.access import record
from vigilant.registry.csv_format import write_csv
from vigilant.registry.errors import RegistryError
from vigilant.registry.importer import FORMATS, KEYS
from vigilant.registry.models import RegistrantRow
from vigilant.registry.records import PARTS, RegistrantIn
from vigilant.security.audit import Exported
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database

_DROP = {"id", "registrant_id", "normalised", "recorded_by", "recorded_at"}
CHUNK = 500


def _parts(s: Session, ids: Sequence[int]) -> dict[int, dict[str, list[dict[str, Any]]]]:
    found: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    models = dict(PARTS.values())
    for attribute, (table, _) in KEYS.items():
        fields = set(models[attribute].model_fields)
        column = table.registrant_id  # type: ignore[attr-defined]
        for row in s.scalars(select(table).where(column.in_(ids)).order_by(table.id)):  # type: ignore[attr-defined]
            values = {c: getattr(row, c) for c in fields if c not in _DROP}
            owner: int = row.registrant_id  # type: ignore[attr-defined]
            found[owner][attribute].append({k: v for k, v in values.items() if v is not None})
    return found


def records(s: Session, ids: Sequence[int] | None = None) -> Iterator[RegistrantIn]:
    """Registrants as interchange records, in registry-number order, a chunk of rows at a time."""
    query = (
        select(RegistrantRow, PersonRow, AgencyRow.short_name)
        .join(PersonRow, PersonRow.id == RegistrantRow.person_id)
        .join(AgencyRow, AgencyRow.id == RegistrantRow.office_agency_id)
        .order_by(RegistrantRow.registry_number)
    )
    if ids is not None:
        query = query.where(RegistrantRow.id.in_(ids))
    rows = list(s.execute(query))
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        parts = _parts(s, [r.id for r, _, _ in chunk])
        for registrant, person, office in chunk:
            scalars = {
                "registry_number": registrant.registry_number,
                "surname": person.surname,
                "given_names": person.given_names,
                "date_of_birth": person.date_of_birth,
                "sex": registrant.sex,
                "office": office,
                "height_cm": registrant.height_cm,
                "weight_kg": registrant.weight_kg,
                "eye_colour": registrant.eye_colour,
                "hair_colour": registrant.hair_colour,
                "marks": registrant.marks,
                "first_report_on": registrant.first_report_on,
            }
            data = {k: v for k, v in scalars.items() if v is not None}
            yield RegistrantIn.model_validate({**data, **parts.get(registrant.id, {})})


def export_text(db: Database, actor: Actor, fmt: str, *, destination: str) -> Iterator[str]:
    """The whole registry as text chunks; audited once, with the number of registrants, before any leaves."""
    require(actor, Permission.REGISTRY_READ)
    if fmt not in FORMATS:
        raise RegistryError(f"unknown export format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    with db.session() as s:
        exported = list(records(s))
        record(s, Exported.by(actor, object_type="registry", format=fmt, records=len(exported),
                              destination=destination))  # fmt: skip
    if fmt == "csv":
        yield from write_csv(exported)
    else:
        for item in exported:
            yield json.dumps(item.model_dump(mode="json", exclude_none=True, exclude_defaults=True)) + "\n"
