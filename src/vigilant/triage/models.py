"""Triage runs: one row per run of an evidence item, its settings, progress, outcome and coverage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigilant.store.models import Base


class TriageRunRow(Base):
    __tablename__ = "triage_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_item.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # queued|running|paused|cancelled|finished|failed
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    settings_digest: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(100))
    library: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    results_dir: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    files_total: Mapped[int | None] = mapped_column(BigInteger)
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    batches_done: Mapped[int] = mapped_column(Integer, default=0)
    files_done: Mapped[int | None] = mapped_column(BigInteger)  # this execution's progress (0008)
    bytes_done: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # What of the evidence the run could not read: {"volumes": M, "parts": [{"where", "reason", "volume"}]}
    # (triage.runinfo.Coverage; migration 0014). None: not finished, or finished before it was recorded.
    coverage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Triage on Dask (migration 0022): where the last execution ran ("local" or the scheduler's address),
    # the run's batch count once known, per worker {"batches": "0-3,7", "count", "files", "bytes"}, and a
    # pause or cancel asked of the process working on it.
    scheduler: Mapped[str | None] = mapped_column(Text)
    batches_total: Mapped[int | None] = mapped_column(Integer)
    workers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    control: Mapped[str | None] = mapped_column(String(20))
