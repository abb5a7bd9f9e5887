"""Tables of the entity graph (issue 13): the entities link analysis joins, and the links between them.

An entity is named by its kind and a natural key (``person:12``, ``email:a@example.org``, ``item:3``, a
camera's make, model and body serial, …), so a rebuild finds the same entity again whatever ids the rows get.
A link says which builder made it, its weight and the explanation behind it (the shared files, the
identifier, …), and where it comes from: the triage runs, observations or records, when, and the case and
agency of that record, whose distribution decides who may see it (:mod:`vigilant.links.visibility`).
Links are undirected: ``source_id`` is always the lower entity id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Double, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigilant.store.models import Base, BigId


class LinkEntityRow(Base):
    __tablename__ = "link_entity"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_link_entity_kind_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # an EntityKind value
    key: Mapped[str] = mapped_column(String(400))  # the natural key, unique within the kind
    label: Mapped[str] = mapped_column(String(400))  # how a person reads it (no name of a hidden record)
    ref_id: Mapped[int | None] = mapped_column(Integer)  # the record's id in its own table, where it has one
    agency_id: Mapped[int | None] = mapped_column(Integer)  # who holds the record (None for hubs)
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LinkEdgeRow(Base):
    __tablename__ = "link_edge"
    __table_args__ = (
        Index("ix_link_edge_source_id", "source_id"),
        Index("ix_link_edge_target_id", "target_id"),
        Index("ix_link_edge_builder", "builder"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    builder: Mapped[str] = mapped_column(String(40))  # the builder that made it, which alone replaces it
    kind: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("link_entity.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("link_entity.id", ondelete="CASCADE"))
    weight: Mapped[float] = mapped_column(Double)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Provenance: what says so (run | observation | record | lead), which ones, and when.
    origin: Mapped[str] = mapped_column(String(20))
    origin_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    observed_at: Mapped[datetime | None]
    case_id: Mapped[int | None] = mapped_column(Integer)  # the record's case, whose distribution applies
    agency_id: Mapped[int | None] = mapped_column(Integer)  # the agency holding that record
    distribution: Mapped[str | None] = mapped_column(String(20))
    built_at: Mapped[datetime]


class LinksJobRow(Base):
    """A long job of link analysis (an xref run: reading, blocking and scoring, merging, writing proposals),
    with its phase and progress, so that a killed job resumes where it stopped (:mod:`vigilant.links.jobs`).
    A job left ``running`` whose lock no process holds was interrupted."""

    __tablename__ = "links_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # xref
    status: Mapped[str] = mapped_column(String(20))  # running | failed | finished
    phase: Mapped[str] = mapped_column(String(40))  # reading | scoring | merging | writing | done
    done: Mapped[int] = mapped_column(Integer, default=0)  # steps of the phase done …
    total: Mapped[int] = mapped_column(Integer, default=0)  # … of this many
    detail: Mapped[str] = mapped_column(String(400), default="")  # what the step at work is
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the job was asked
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what it found so far
    error: Mapped[str | None] = mapped_column(Text)  # the first line of the last failure
    started_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
