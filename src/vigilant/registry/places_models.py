"""Tables of the registry's places (issue 15, items 4-6): facility layers, the residences' and workplaces'
points, cross-check matches, and vulnerable-sector checks.

Points are stored twice on purpose: ``latitude``/``longitude`` as the data came (WGS84 degrees, readable on
any engine) and ``geom``, the spatial engine's own column behind a spatial index (SpatiaLite's R*Tree on
SQLite, a GiST index on PostgreSQL). ``geom`` is a SpatiaLite ``POINT`` on SQLite and a PostGIS
``geography(POINT, 4326)`` on PostgreSQL, so distances on both are ellipsoidal metres. Spatial indexes are
made by migration 0019 (their form differs per engine) and checked by tests/registry/test_places_engine.py.

A registrant's address points (``registry_address_point``) are kept by database triggers on
``registrant_address``: whatever writes an address (the import, the web form, a migration), its point follows.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geography, Geometry
from sqlalchemy import JSON, Boolean, Date, Double, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigilant.store.models import Base

SRID = 4326  # WGS84 longitude/latitude


def point_type() -> Any:
    """A WGS84 point: SpatiaLite geometry on SQLite, PostGIS geography on PostgreSQL."""
    return Geometry("POINT", srid=SRID, spatial_index=False).with_variant(
        Geography("POINT", srid=SRID, spatial_index=False), "postgresql"
    )


class FacilityKind(StrEnum):
    SCHOOL = "school"
    DAYCARE = "daycare"
    PARK = "park"
    COMMUNITY_CENTRE = "community_centre"


class FacilityRow(Base):
    """A place where children gather, from an agency's facility layer (CSV or GeoJSON)."""

    __tablename__ = "registry_facility"
    __table_args__ = (UniqueConstraint("kind", "ref", name="uq_registry_facility_kind_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)  # a FacilityKind value
    ref: Mapped[str] = mapped_column(String(200))  # the layer's own id, so a re-import updates, not doubles
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(Text)
    municipality: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    geom: Mapped[Any] = mapped_column(point_type(), nullable=True, deferred=True)  # the engine's; read in SQL
    source: Mapped[str] = mapped_column(String(300))  # the file it came from
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime]


class AddressPointRow(Base):
    """The spatial point of a registrant address that has coordinates (kept by triggers, see above)."""

    __tablename__ = "registry_address_point"

    address_id: Mapped[int] = mapped_column(
        ForeignKey("registrant_address.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    geom: Mapped[Any] = mapped_column(point_type(), nullable=True, deferred=True)  # the engine's; read in SQL


class CrossCheckRow(Base):
    """One cross-check run: which way, over what, for what purpose, by whom."""

    __tablename__ = "registry_crosscheck"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(20))  # investigations | employment
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id", ondelete="SET NULL"))
    purpose: Mapped[str] = mapped_column(Text)
    checked: Mapped[int] = mapped_column(Integer)  # subjects compared
    matches: Mapped[int] = mapped_column(Integer)  # new matches found
    run_by: Mapped[str] = mapped_column(String(200))
    run_at: Mapped[datetime]


class CrossCheckMatchRow(Base):
    """A registrant met in an investigation (or at a facility with children). ``key`` names the subject, so
    the same match found again by a later run is not recorded twice."""

    __tablename__ = "registry_crosscheck_match"
    __table_args__ = (
        UniqueConstraint(
            "registrant_id", "kind", "key", name="uq_registry_crosscheck_match_registrant_id_kind_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crosscheck_id: Mapped[int] = mapped_column(ForeignKey("registry_crosscheck.id", ondelete="CASCADE"))
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registrant.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # name_dob | alias_dob | identifier | address | employment
    key: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("registry_facility.id", ondelete="CASCADE"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("registry_alert.id", ondelete="SET NULL"))
    basis: Mapped[dict[str, Any]] = mapped_column(JSON)  # what matched, for the officer to weigh
    found_at: Mapped[datetime]


class VscResult(StrEnum):
    NO_RECORD = "no_record"
    POSSIBLE_MATCH = "possible_match"  # fingerprint confirmation required


class VscConfirmation(StrEnum):
    CONFIRMED = "confirmed"  # fingerprints compared: the applicant is a registrant
    EXCLUDED = "excluded"  # fingerprints compared: not the registrant


class VscRequestRow(Base):
    """A vulnerable-sector check: who asked, about whom, with what consent, and what the answer was. The
    candidate registrants are kept for the registry office's fingerprint step only; the requester's answer
    never names them."""

    __tablename__ = "registry_vsc_request"
    __table_args__ = (UniqueConstraint("reference", name="uq_registry_vsc_request_reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40))  # printed on the letter
    surname: Mapped[str] = mapped_column(String(200))
    given_names: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    organisation: Mapped[str] = mapped_column(String(300))
    consent: Mapped[str] = mapped_column(Text)  # how the applicant's written consent was recorded
    result: Mapped[str] = mapped_column(String(20))  # a VscResult value
    candidates: Mapped[list[int]] = mapped_column(JSON)  # registrant ids; internal
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    confirmation: Mapped[str | None] = mapped_column(String(20))  # a VscConfirmation value
    confirmation_notes: Mapped[str | None] = mapped_column(Text)
    fingerprints_compared: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None]
