"""The registry's interchange record: one registrant with everything the registry holds about them.

The same schema is read and written as JSON lines (one registrant per line) and as CSV (one fact per row,
see :mod:`vigilant.registry.csv_format`); ``docs/registry.md`` documents both. Unknown fields are refused,
so a misspelt column never passes silently.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from vigilant.registry.models import (
    AddressKind,
    DigitalIdentifierKind,
    DocumentKind,
    OrderTerm,
    Regime,
    ReportKind,
    ReportOutcome,
    Sex,
)

FORMAT = "vigilant-registry/1"
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_MAC = re.compile(r"^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$", re.IGNORECASE)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AliasIn(_Record):
    given_names: Text
    surname: Text
    date_of_birth: date | None = None


class AddressIn(_Record):
    kind: AddressKind
    line: Text
    municipality: Text | None = None
    province: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    postal_code: Text | None = None
    organisation: Text | None = None
    work_type: Text | None = None
    valid_from: date
    valid_to: date | None = None
    reported_on: date | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class PhoneIn(_Record):
    number: Text
    kind: Text | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class VehicleIn(_Record):
    plate: Text
    province: Text | None = None
    make: Text | None = None
    model: Text | None = None
    colour: Text | None = None
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None


class DocumentIn(_Record):
    kind: DocumentKind
    number: Text
    issuer: Text | None = None
    expires_on: date | None = None


class IdentifierIn(_Record):
    kind: DigitalIdentifierKind
    value: Text
    platform: Text | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @field_validator("value")
    @classmethod
    def _not_a_network_address(cls, value: str) -> str:
        # O. Reg. 372/25 leaves IP and MAC addresses out of "digital identifiers": the registry refuses them.
        try:
            ipaddress.ip_address(value)
        except ValueError:
            pass
        else:
            raise ValueError("an IP address is not a digital identifier (O. Reg. 372/25 excludes it)")
        if _MAC.match(value):
            raise ValueError("a MAC address is not a digital identifier (O. Reg. 372/25 excludes it)")
        return value


class OffenceIn(_Record):
    section: Text  # Criminal Code section, e.g. "163.1(4)"
    description: Text | None = None
    convicted_on: date
    court: Text | None = None


class OrderIn(_Record):
    regime: Regime
    term: OrderTerm
    starts_on: date
    terminated_on: date | None = None
    court: Text | None = None


class ReportIn(_Record):
    kind: ReportKind
    reported_on: date
    officer: Text
    outcome: ReportOutcome = ReportOutcome.COMPLETED
    notes: Text | None = None


class RegistrantIn(_Record):
    registry_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    surname: Text
    given_names: Text
    date_of_birth: date
    sex: Sex
    office: Text  # the short name of the registry office's agency
    height_cm: Annotated[int, Field(ge=50, le=260)] | None = None
    weight_kg: Annotated[int, Field(ge=20, le=400)] | None = None
    eye_colour: Text | None = None
    hair_colour: Text | None = None
    marks: Text | None = None
    first_report_on: date | None = None
    aliases: tuple[AliasIn, ...] = ()
    addresses: tuple[AddressIn, ...] = ()
    phones: tuple[PhoneIn, ...] = ()
    vehicles: tuple[VehicleIn, ...] = ()
    documents: tuple[DocumentIn, ...] = ()
    identifiers: tuple[IdentifierIn, ...] = ()
    offences: tuple[OffenceIn, ...] = ()
    orders: Annotated[tuple[OrderIn, ...], Field(min_length=1)]
    reports: tuple[ReportIn, ...] = ()


# The lists of a registrant, by the CSV ``record`` name of one of their entries.
PARTS: dict[str, tuple[str, type[_Record]]] = {
    "alias": ("aliases", AliasIn),
    "address": ("addresses", AddressIn),
    "phone": ("phones", PhoneIn),
    "vehicle": ("vehicles", VehicleIn),
    "document": ("documents", DocumentIn),
    "identifier": ("identifiers", IdentifierIn),
    "offence": ("offences", OffenceIn),
    "order": ("orders", OrderIn),
    "report": ("reports", ReportIn),
}


def normalise_identifier(value: str) -> str:
    """The form digital identifiers are compared in: no case, no leading '@'."""
    return value.strip().lstrip("@").casefold()
