"""Tables of the operations domain (issue 5), on the shared declarative base.

Every record that holds case information hangs off a case (``case_id``), so one visibility rule — the case's
agency and distribution level, see :mod:`vigilant.cases.access` — scopes all of them. Calendar facts (date of
birth, offence dates, victim milestones) are dates; events are UTC-aware times.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigilant.store.models import Base, BigId


class Distribution(StrEnum):
    """Who beyond the owning agency sees a case, as MISP's distribution levels."""

    AGENCY_ONLY = "agency_only"
    OPERATION = "operation"  # agencies participating in the case's operation
    SHARING_GROUP = "sharing_group"  # agencies in the case's sharing group
    ALL_AGENCIES = "all_agencies"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PersonRole(StrEnum):
    SUSPECT = "suspect"
    ACCUSED = "accused"
    VICTIM = "victim"
    WITNESS = "witness"
    REGISTRANT = "registrant"


class ProcessKind(StrEnum):
    PRESERVATION_DEMAND = "preservation_demand"
    PRODUCTION_ORDER = "production_order"
    SEARCH_WARRANT = "search_warrant"


class AgencyRow(Base):
    __tablename__ = "agency"
    __table_args__ = (
        UniqueConstraint("name", name="uq_agency_name"),
        UniqueConstraint("short_name", name="uq_agency_short_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(40))
    province: Mapped[str] = mapped_column(String(2))  # ISO 3166-2:CA subdivision: ON, QC, BC, …
    municipalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class SharingGroupRow(Base):
    __tablename__ = "sharing_group"
    __table_args__ = (UniqueConstraint("name", name="uq_sharing_group_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class SharingGroupAgencyRow(Base):
    __tablename__ = "sharing_group_agency"

    sharing_group_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_group.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True)


class OperationRow(Base):
    __tablename__ = "operation"
    __table_args__ = (UniqueConstraint("code", name="uq_operation_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    coordinating_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))

    participants: Mapped[list[OperationAgencyRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class OperationAgencyRow(Base):
    """A participating agency; the coordinating agency always has a row too."""

    __tablename__ = "operation_agency"

    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True)


class CaseRow(Base):
    __tablename__ = "case_file"  # CASE is an SQL keyword
    __table_args__ = (UniqueConstraint("agency_id", "number", name="uq_case_file_agency_id_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    number: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("operation.id", ondelete="SET NULL"), index=True
    )
    distribution: Mapped[str] = mapped_column(String(20))
    sharing_group_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_group.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(200))


class PersonRow(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)  # who recorded the person
    given_names: Mapped[str] = mapped_column(String(200))
    surname: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    municipality: Mapped[str | None] = mapped_column(String(200))
    # s.486.4(3): anyone depicted in the material may never be identified, whatever their role.
    depicted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

    bans: Mapped[list[PublicationBanRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"


class CasePersonRow(Base):
    """A person's role in one case; one person can be accused in one case and a witness in another."""

    __tablename__ = "case_person"
    __table_args__ = (
        UniqueConstraint("case_id", "person_id", "role", name="uq_case_person_case_id_person_id_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class PublicationBanRow(Base):
    """A recorded publication ban order on identifying a person (s.486.4, s.486.5, YCJA s.111, …)."""

    __tablename__ = "publication_ban"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id", ondelete="SET NULL"))
    authority: Mapped[str] = mapped_column(String(100))  # the provision: "486.4(1)", "YCJA 111"
    court: Mapped[str | None] = mapped_column(String(200))
    court_file: Mapped[str | None] = mapped_column(String(100))
    ordered_on: Mapped[date | None] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    details: Mapped[str | None] = mapped_column(Text)


class IdentifierRow(Base):
    """One canonical identifier, shared by every case that holds it: the hub of link analysis."""

    __tablename__ = "identifier"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_identifier_kind_value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]


class IdentifierLinkRow(Base):
    """An identifier as seen in one case, optionally tied to a person or a seized device there.

    The link, not the identifier, carries the case, so seeing that an identifier exists never reveals which
    other agencies hold it: that takes a visible link.
    """

    __tablename__ = "identifier_link"
    __table_args__ = (Index("ix_identifier_link_case_id_observed_at", "case_id", "observed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    identifier_id: Mapped[int] = mapped_column(ForeignKey("identifier.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("seized_device.id", ondelete="SET NULL"))
    raw: Mapped[str] = mapped_column(String(300))  # as written in the source, before cleaning
    observed_at: Mapped[datetime | None]  # when the identifier was seen (an IP's observation time)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    identifier: Mapped[IdentifierRow] = relationship(lazy="joined")


class LegalProcessRow(Base):
    __tablename__ = "legal_process"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str | None] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(Text)  # the provider, account, or premises it is about
    issued_at: Mapped[datetime]
    issued_by_court: Mapped[str | None] = mapped_column(String(200))  # none for a police preservation demand
    issued_by_judge: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None]
    executed_at: Mapped[datetime | None]
    executed_where: Mapped[str | None] = mapped_column(Text)
    executed_by: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)


class SeizureRow(Base):
    __tablename__ = "seizure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    legal_process_id: Mapped[int | None] = mapped_column(ForeignKey("legal_process.id", ondelete="SET NULL"))
    seized_at: Mapped[datetime]
    seized_where: Mapped[str] = mapped_column(Text)
    seized_by: Mapped[str] = mapped_column(String(200))

    devices: Mapped[list[SeizedDeviceRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class SeizedDeviceRow(Base):
    __tablename__ = "seized_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seizure_id: Mapped[int] = mapped_column(ForeignKey("seizure.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(200))  # cleaned as a device serial
    exhibit: Mapped[str | None] = mapped_column(String(100))
    # The triage side: the evidence item acquired from this device, once an examiner added it.
    evidence_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_item.id", ondelete="SET NULL"), index=True
    )


class ArrestRow(Base):
    __tablename__ = "arrest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    arrested_at: Mapped[datetime]
    arrested_where: Mapped[str | None] = mapped_column(Text)
    arrested_by: Mapped[str] = mapped_column(String(200))


class ChargeRow(Base):
    """One count laid against one person. The offence dates decide YCJA: the earliest one counts."""

    __tablename__ = "charge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    offence_code: Mapped[str] = mapped_column(String(40))  # a key of vigilant.cases.offences.OFFENCES
    offence_from: Mapped[date] = mapped_column(Date)
    offence_to: Mapped[date | None] = mapped_column(Date)  # "between … and …"
    laid_on: Mapped[date] = mapped_column(Date)
    laid_by: Mapped[str] = mapped_column(String(200))


class VictimRow(Base):
    """Victim-centred tracking: when the victim was identified, safeguarded, and referred, and to whom."""

    __tablename__ = "victim"
    __table_args__ = (UniqueConstraint("case_id", "person_id", name="uq_victim_case_id_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    identified_on: Mapped[date | None] = mapped_column(Date)
    safeguarded_on: Mapped[date | None] = mapped_column(Date)
    referred_on: Mapped[date | None] = mapped_column(Date)
    referred_to: Mapped[str | None] = mapped_column(String(200))


class ReleaseFlagClearanceRow(Base):
    """A reviewer's decision that naming an accused flagged in an operation's release will not identify the
    victim the flag points at. Without one, the flagged accused is withheld from the public text.

    It clears what was shared when it was made: a flag that later shares more (an address as well as a
    surname) is flagged again until cleared again."""

    __tablename__ = "release_flag_clearance"
    __table_args__ = (
        UniqueConstraint(
            "operation_id", "accused_person_id", "victim_person_id", name="uq_release_flag_clearance_flag"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    accused_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    victim_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    shared: Mapped[list[str]] = mapped_column(JSON)  # what the flag shared when cleared: surname, address
    reason: Mapped[str] = mapped_column(Text)
    cleared_by: Mapped[str] = mapped_column(String(200))
    cleared_at: Mapped[datetime]


class LinkStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"
    REVOKED = "revoked"


class EvidenceLinkRequestRow(Base):
    """A request to link another agency's evidence item to a device seized in the requester's case, and
    the owner's answer. Granting sets the device's ``evidence_item_id``; revoking clears it. Who then sees
    the item is still decided by the owner's cases' distribution, at every read
    (:func:`vigilant.cases.access.item_visible`)."""

    __tablename__ = "evidence_link_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_item_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_item.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("seized_device.id", ondelete="CASCADE"))
    requesting_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
