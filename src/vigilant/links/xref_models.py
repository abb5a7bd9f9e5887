"""Tables of person resolution (xref): runs, the proposals they make, and analysts' judgements.

A proposal is the newest run's word on a pair of person records (lower id first); it is replaced on every run.
A judgement is an analyst's, and is never replaced: each one is a new row, the newest per pair counts, and it
carries the pair's evidence fingerprint from when it was made, so a later run can tell whether the evidence
it judged has changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Double, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigilant.store.models import Base, BigId


class XrefRunRow(Base):
    """One run of the xref model over every person of the installation."""

    __tablename__ = "xref_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(40))  # the fixed settings' version (xref_model.py)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    persons: Mapped[int] = mapped_column(Integer, default=0)
    pairs_compared: Mapped[int] = mapped_column(Integer, default=0)
    proposals: Mapped[int] = mapped_column(Integer, default=0)
    run_by: Mapped[str] = mapped_column(String(200))


class XrefProposalRow(Base):
    """Two person records the model holds to be the same person, with why."""

    __tablename__ = "xref_proposal"
    __table_args__ = (UniqueConstraint("person_a_id", "person_b_id", name="uq_xref_proposal_pair"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_a_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    person_b_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    match_weight: Mapped[float] = mapped_column(Double)  # log2 of the Bayes factor with the prior
    match_probability: Mapped[float] = mapped_column(Double)
    # One entry per comparison: {"comparison", "level", "weight"}; the weights and the prior add up.
    comparisons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of both records' compared fields
    run_id: Mapped[int] = mapped_column(ForeignKey("xref_run.id", ondelete="CASCADE"), index=True)
    first_proposed_at: Mapped[datetime]


class XrefJudgementRow(Base):
    """An analyst's judgement of a pair: same, not same, or unsure, with a reason."""

    __tablename__ = "xref_judgement"
    __table_args__ = (Index("ix_xref_judgement_pair", "person_a_id", "person_b_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_a_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    person_b_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))  # same | not_same | unsure
    reason: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))  # the evidence as it stood when judged
    match_weight: Mapped[float | None] = mapped_column(Double)
    judged_by: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    judged_at: Mapped[datetime]
