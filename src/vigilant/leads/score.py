"""An explainable priority score: a sum of named factors, each stored with its value, weight and
contribution, so an investigator (and a court) can see why one lead came before another.

The factors follow reference/p2p.md §6 (ICAC-style prioritisation): evidence tier, distinct known files
(log scale: the hundredth file says less than the second), the most severe category, seeding versus
partial, persistence (distinct days), recency, identity continuity across IPs, hands-on markers (known
files the library flags as not distributed, from a series whose victim or offender is not identified, or
tagged first-hand: log scale like the files) and jurisdiction confidence (how precisely the geolocation
resolved each address — country < province < city, plus the ISP, less a wide accuracy radius, 0 where no
rule routed it — averaged over the lead's addresses).

The tier is also a gate: below ``confirmed`` a lead is never *actionable*, whatever its score, because an
address a tracker or the DHT named may be spoofed; only our own TCP handshake proves it. Recency decays
with a half-life of half the ISP log preservation window: a lead last seen a full window ago is worth a
quarter, because the ISP may no longer hold the lease records that would identify the subscriber.

Deterministic: contributions are rounded to 4 decimals and the score is the sum of the rounded values.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

from vigilant.leads.aggregate import LeadAggregate
from vigilant.leads.errors import LeadInputError
from vigilant.leads.geo import GeoConfidence
from vigilant.p2p.observations import Tier

SCORE_VERSION = 2
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
    hands_on: float = 8.0  # × log2(1 + known files with a hands-on marker)
    jurisdiction: float = 5.0  # × mean jurisdiction confidence (0..1)


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


def _hands_on(lead: LeadAggregate, markers: Mapping[int, tuple[str, ...]], weight: float) -> Factor:
    flagged = [markers[k] for k in lead.known_ids if markers.get(k)]
    counts = Counter(m for found in flagged for m in found)
    listed = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
    why = (
        f"{len(flagged)} known file(s) with hands-on markers ({listed}), log2(1 + n)"
        if flagged
        else "no known file with a hands-on marker in the library"
    )
    return _factor("hands_on", len(flagged), weight, math.log2(1 + len(flagged)), why)


def _jurisdiction(lead: LeadAggregate, geo: Mapping[str, GeoConfidence] | None, weight: float) -> Factor:
    if geo is None:
        return _factor(
            "jurisdiction", 0.0, weight, 0.0, "no geolocation database given: jurisdiction unknown"
        )
    found = [geo[ip] for ip in lead.ip_list if ip in geo]
    mean = sum(c.value for c in found) / len(lead.ips) if lead.ips else 0.0
    kinds = Counter(c.label() for c in found)
    listed = ", ".join(f"{n} {label}" for label, n in sorted(kinds.items()))
    why = f"mean confidence over {len(lead.ips)} IP(s): {listed or 'none located'}"
    return _factor("jurisdiction", mean, weight, mean, why)


def score_lead(
    lead: LeadAggregate,
    as_of: datetime,
    settings: ScoreSettings | None = None,
    *,
    markers: Mapping[int, tuple[str, ...]] | None = None,
    geo: Mapping[str, GeoConfidence] | None = None,
) -> Score:
    """``markers``: hands-on markers by known id (:func:`~vigilant.leads.known.known_markers`); ``geo``:
    each address's jurisdiction confidence, ``None`` when no geolocation database was given."""
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
        _hands_on(lead, markers or {}, w.hands_on),
        _jurisdiction(lead, geo, w.jurisdiction),
    )
    total = round(sum(f.contribution for f in factors), 4)
    return Score(total, lead.tier.rank >= Tier.CONFIRMED.rank, factors, settings)
