"""Tables of the offender registry (issue 15): registrants and what they must report, and the registry's work.

A registrant is a person on the platform's person model (:class:`vigilant.cases.models.PersonRow`): the name,
date of birth and recording agency live there once, so a cross-check or a case that meets the same person
meets the same row. Everything the registry adds hangs off ``registrant.id``. Calendar facts (dates of birth,
address validity, report days, order starts) are dates; events are UTC-aware times.

The registrant's registry office is an agency (``office_agency_id``): its jurisdiction (province and
municipalities) is the agency's, and non-compliance alerts go to its queue.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Double, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigilant.store.models import Base


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"  # as Canadian passports write it


class AddressKind(StrEnum):
    MAIN = "main"  # main residence (SOIRA s.5(1)(c))
    SECONDARY = "secondary"  # any secondary residence (s.5(1)(d))
    EMPLOYMENT = "employment"  # employer's name and address, type of work (s.5(1)(e))
    VOLUNTEER = "volunteer"  # volunteer organisation, type of work (s.5(1)(e))
    SCHOOL = "school"  # educational institution attended (s.5(1)(f))


RESIDENCES = frozenset({AddressKind.MAIN, AddressKind.SECONDARY})


class DocumentKind(StrEnum):
    DRIVER_LICENCE = "driver_licence"
    PASSPORT = "passport"


class DigitalIdentifierKind(StrEnum):
    """O. Reg. 372/25's digital identifiers. IP and MAC addresses (and passwords) are excluded by the
    regulation, and refused on import."""

    USERNAME = "username"
    HANDLE = "handle"
    PROFILE_NAME = "profile_name"


class Regime(StrEnum):
    FEDERAL = "federal"  # SOIRA / Criminal Code ss.490.011 ff.
    ONTARIO = "ontario"  # Christopher's Law (Sex Offender Registry), 2000


class OrderTerm(StrEnum):
    TEN_YEARS = "10y"
    TWENTY_YEARS = "20y"
    LIFE = "life"


class ReportKind(StrEnum):
    INITIAL = "initial"
    ANNUAL = "annual"
    CHANGE = "change"  # a change of residence, name, employment… reported in person
    OTHER = "other"


class ReportOutcome(StrEnum):
    COMPLETED = "completed"  # settles the obligation it answers
    INCOMPLETE = "incomplete"  # came in, but did not give what the law asks: settles nothing


class VerificationOutcome(StrEnum):
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"  # does not live (or work) there
    NO_CONTACT = "no_contact"


class AlertStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class AlertOutcome(StrEnum):
    COMPLIED = "complied"
    WARRANT_REQUESTED = "warrant_requested"  # Bill S-12: an arrest warrant for a non-complier
    UNFOUNDED = "unfounded"
    OTHER = "other"


class RegistrantRow(Base):
    __tablename__ = "registrant"
    __table_args__ = (
        UniqueConstraint("registry_number", name="uq_registrant_registry_number"),
        UniqueConstraint("person_id", name="uq_registrant_person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))  # names, date of birth: on the person
    registry_number: Mapped[str] = mapped_column(String(40))  # the registry's own key; imports match on it
    office_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    sex: Mapped[str] = mapped_column(String(1))  # a Sex value
    height_cm: Mapped[int | None] = mapped_column(Integer)
    weight_kg: Mapped[int | None] = mapped_column(Integer)
    eye_colour: Mapped[str | None] = mapped_column(String(40))
    hair_colour: Mapped[str | None] = mapped_column(String(40))
    marks: Mapped[str | None] = mapped_column(Text)  # scars, tattoos, other physical marks
    first_report_on: Mapped[date | None] = mapped_column(Date)  # the anniversaries of annual reports
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RegistrantAliasRow(Base):
    __tablename__ = "registrant_alias"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    given_names: Mapped[str] = mapped_column(String(200))
    surname: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)  # an alias may come with another date of birth


class RegistrantAddressRow(Base):
    """A residence, workplace, volunteer place or school, with its validity: the rows are the history."""

    __tablename__ = "registrant_address"
    __table_args__ = (Index("ix_registrant_address_kind_valid_to", "kind", "valid_to"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # an AddressKind value
    line: Mapped[str] = mapped_column(Text)  # street address as one line
    municipality: Mapped[str | None] = mapped_column(String(200), index=True)
    province: Mapped[str | None] = mapped_column(String(2))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    organisation: Mapped[str | None] = mapped_column(String(200))  # employer, organisation or school
    work_type: Mapped[str | None] = mapped_column(String(200))  # the type of work done there
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # None while current
    reported_on: Mapped[date | None] = mapped_column(Date)  # when the registrant reported it
    latitude: Mapped[float | None] = mapped_column(Double)  # WGS84 degrees, as the data came
    longitude: Mapped[float | None] = mapped_column(Double)


class RegistrantPhoneRow(Base):
    __tablename__ = "registrant_phone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str | None] = mapped_column(String(20))  # mobile, home, work
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class RegistrantVehicleRow(Base):
    __tablename__ = "registrant_vehicle"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(20), index=True)
    province: Mapped[str | None] = mapped_column(String(2))
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    colour: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None] = mapped_column(Integer)


class RegistrantDocumentRow(Base):
    """A driver's licence or passport (SOIRA s.5(1)(j); O. Reg. 419/08 for Ontario's licence fields)."""

    __tablename__ = "registrant_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # a DocumentKind value
    number: Mapped[str] = mapped_column(String(60))
    issuer: Mapped[str | None] = mapped_column(String(100))  # province or country
    expires_on: Mapped[date | None] = mapped_column(Date)


class RegistrantIdentifierRow(Base):
    """A digital identifier (O. Reg. 372/25). ``normalised`` is the value compared: lower case, no leading
    '@', so '@Shadow_Fox' and 'shadow_fox' meet."""

    __tablename__ = "registrant_identifier"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # a DigitalIdentifierKind value
    value: Mapped[str] = mapped_column(String(300))  # as the registrant gave it
    normalised: Mapped[str] = mapped_column(String(300), index=True)
    platform: Mapped[str | None] = mapped_column(String(200))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class RegistrantOffenceRow(Base):
    __tablename__ = "registrant_offence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(40))  # Criminal Code section: "163.1(4)", "151"
    description: Mapped[str | None] = mapped_column(String(300))
    convicted_on: Mapped[date] = mapped_column(Date)
    court: Mapped[str | None] = mapped_column(String(200))


class RegistrantOrderRow(Base):
    """An order to comply with a registry. It ends at its start plus its term (life never ends), or earlier
    on the day a termination order names (``terminated_on``)."""

    __tablename__ = "registrant_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    regime: Mapped[str] = mapped_column(String(20))  # a Regime value
    term: Mapped[str] = mapped_column(String(10))  # an OrderTerm value
    starts_on: Mapped[date] = mapped_column(Date)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    court: Mapped[str | None] = mapped_column(String(200))


class RegistrantReportRow(Base):
    """An in-person report by the registrant at a registry office."""

    __tablename__ = "registrant_report"
    __table_args__ = (
        Index("ix_registrant_report_registrant_id_reported_on", "registrant_id", "reported_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # a ReportKind value
    reported_on: Mapped[date] = mapped_column(Date)
    officer: Mapped[str] = mapped_column(String(200))  # who received the report
    outcome: Mapped[str] = mapped_column(String(20))  # a ReportOutcome value
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]


class AddressVerificationRow(Base):
    """A police check that the registrant lives (or works) where they said."""

    __tablename__ = "address_verification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("registrant_address.id", ondelete="SET NULL"))
    verified_on: Mapped[date] = mapped_column(Date)
    officer: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))  # a VerificationOutcome value
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]


class RegistryAlertRow(Base):
    """An alert in a registry office's queue: a missed deadline (raised by the sweep) or, from the
    cross-checks, a match. ``key`` names what it is about, so raising the same alert twice is a no-op."""

    __tablename__ = "registry_alert"
    __table_args__ = (
        UniqueConstraint("registrant_id", "kind", "key", name="uq_registry_alert_registrant_id_kind_key"),
        Index("ix_registry_alert_office_agency_id_status", "office_agency_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    office_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    kind: Mapped[str] = mapped_column(String(30))  # "non_compliance", or a cross-check's kind
    key: Mapped[str] = mapped_column(String(200))  # e.g. "annual-report:2026-03-01"
    rule: Mapped[str | None] = mapped_column(String(100))  # the rule version that produced it
    due_on: Mapped[date | None] = mapped_column(Date)
    raised_on: Mapped[date] = mapped_column(Date)  # the day the sweep saw it (its as-of date)
    raised_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # an AlertStatus value
    assigned_to: Mapped[str | None] = mapped_column(String(200))
    assigned_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(30))  # an AlertOutcome value
    outcome_notes: Mapped[str | None] = mapped_column(Text)
    warrant_reference: Mapped[str | None] = mapped_column(String(100))
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None]
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RegistrySweepRow(Base):
    """The daily compliance sweep of one as-of date: its progress and checkpoint. Each batch of registrants
    commits its alerts together with ``last_registrant_id``, so a killed sweep resumes after the last
    committed batch and raises the same alerts."""

    __tablename__ = "registry_sweep"
    __table_args__ = (UniqueConstraint("as_of", "rules", name="uq_registry_sweep_as_of_rules"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    rules: Mapped[str] = mapped_column(String(20))  # the rule set it applied
    status: Mapped[str] = mapped_column(String(20))  # running | finished
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)
    last_registrant_id: Mapped[int] = mapped_column(Integer)  # the checkpoint: 0 before the first batch
    compliant: Mapped[int] = mapped_column(Integer)
    due_soon: Mapped[int] = mapped_column(Integer)
    non_compliant: Mapped[int] = mapped_column(Integer)
    order_ended: Mapped[int] = mapped_column(Integer)
    alerts_raised: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class RegistrantStatusRow(Base):
    """One registrant's compliance as the last sweep under ``rules`` computed it (as of ``as_of``): what the
    due list, the dashboard and the alert queue read instead of recomputing 10^6 registrants. A change to the
    registrant deletes the row (:func:`vigilant.registry.access.changed_registrant`), so a row that exists is
    never stale; a registrant without one is computed on the spot."""

    __tablename__ = "registrant_status"

    registrant_id: Mapped[int] = mapped_column(
        ForeignKey("registrant.id", ondelete="CASCADE"), primary_key=True
    )
    rules: Mapped[str] = mapped_column(String(20), primary_key=True)  # the rule set it applied
    sweep_id: Mapped[int] = mapped_column(ForeignKey("registry_sweep.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # a compliance Status value
    next_due: Mapped[date | None] = mapped_column(Date)
    rule: Mapped[str | None] = mapped_column(String(100))  # the rule version (and obligation) behind it
    reason: Mapped[str] = mapped_column(Text)
    order_ends_on: Mapped[date | None] = mapped_column(Date)  # None: a life order (or no order)
