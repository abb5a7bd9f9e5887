"""An explainable priority score: a sum of named factors, each stored with its value, weight and
contribution, so an investigator (and a court) can see why one lead came before another.

The factors follow reference/p2p.md §6 (ICAC-style prioritisation): evidence tier, distinct known files
(log scale: the hundredth file says less than the second), the most severe category, seeding versus
partial, persistence (distinct days), recency and identity continuity across IPs.

The tier is also a gate: below ``confirmed`` a lead is never *actionable*, whatever its score, because an
address a tracker or the DHT named may be spoofed; only our own TCP handshake proves it. Recency decays
with a half-life of half the ISP log preservation window: a lead last seen a full window ago is worth a
quarter, because the ISP may no longer hold the lease records that would identify the subscriber.

Deterministic: contributions are rounded to 4 decimals and the score is the sum of the rounded values.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime

from vigilant.leads.aggregate import LeadAggregate
from vigilant.leads.errors import LeadInputError
from vigilant.p2p.observations import Tier

SCORE_VERSION = 1
DEFAULT_PRESERVATION_DAYS = 90.0


@dataclass(frozen=True)
class Weights:
    tier: float = 10.0  # per tier step above announced
    known_files: float = 10.0  # × log2(1 + files)
    severity: float = 4.0  # × max severity (0..5)
    seeding: float = 10.0
    persistence: float = 5.0  # × log2(1 + distinct days)
    recency: float = 20.0  # × 0.5 ** (age / half-life)
    continuity: float = 5.0  # × log2(number of IPs joined)


@dataclass(frozen=True)
class ScoreSettings:
    weights: Weights = Weights()
    preservation_days: float = DEFAULT_PRESERVATION_DAYS

    def __post_init__(self) -> None:
        if self.preservation_days <= 0:
            raise LeadInputError("the preservation window must be positive", hint="e.g. 90 (days)")

    @property
    def half_life_days(self) -> float:
        return self.preservation_days / 2


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    weight: float
    contribution: float
    explanation: str


@dataclass(frozen=True)
class Score:
    total: float
    actionable: bool
    factors: tuple[Factor, ...]
    settings: ScoreSettings

    def to_json(self) -> dict[str, object]:
        return {
            "version": SCORE_VERSION,
            "total": self.total,
            "actionable": self.actionable,
            "half_life_days": self.settings.half_life_days,
            "preservation_days": self.settings.preservation_days,
            "factors": [asdict(f) for f in self.factors],
        }


def _factor(name: str, value: float, weight: float, scaled: float, explanation: str) -> Factor:
    return Factor(name, round(value, 4), weight, round(weight * scaled, 4), explanation)


def score_lead(lead: LeadAggregate, as_of: datetime, settings: ScoreSettings | None = None) -> Score:
    settings = settings or ScoreSettings()
    w = settings.weights
    age_days = max(0.0, (as_of - lead.last_seen).total_seconds() / 86400)
    decay = 0.5 ** (age_days / settings.half_life_days)
    ips = len(lead.ips)
    factors = (
        _factor(
            "evidence_tier",
            lead.tier.rank,
            w.tier,
            lead.tier.rank - 1,
            f"highest tier reached: {lead.tier.value}"
            + ("" if lead.tier.rank >= Tier.CONFIRMED.rank else " (not actionable until confirmed)"),
        ),
        _factor(
            "known_files",
            lead.known_files,
            w.known_files,
            math.log2(1 + lead.known_files),
            f"{lead.known_files} distinct known files, log2(1 + n)",
        ),
        _factor(
            "max_severity",
            lead.max_severity,
            w.severity,
            lead.max_severity,
            f"most severe category: {lead.max_category or 'uncategorised'} (severity {lead.max_severity}/5)",
        ),
        _factor(
            "seeding",
            1.0 if lead.seeding else 0.0,
            w.seeding,
            1.0 if lead.seeding else 0.0,
            "seeding (have-all or >= 99% of pieces)" if lead.seeding else "partial or unknown have-state",
        ),
        _factor(
            "persistence",
            lead.days_seen,
            w.persistence,
            math.log2(1 + lead.days_seen),
            f"seen on {lead.days_seen} distinct UTC days, log2(1 + days)",
        ),
        _factor(
            "recency",
            age_days,
            w.recency,
            decay,
            f"last seen {age_days:.1f} days before as-of; half-life {settings.half_life_days:g} days",
        ),
        _factor(
            "continuity",
            ips,
            w.continuity,
            math.log2(ips),
            f"{ips} IP(s) joined by peer id / GUID, log2(IPs)",
        ),
    )
    total = round(sum(f.contribution for f in factors), 4)
    return Score(total, lead.tier.rank >= Tier.CONFIRMED.rank, factors, settings)
