"""The score explains itself: factors sum to it, the tier gates it, recency decays with the window."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.leads.helpers import AS_OF
from vigilant.leads.aggregate import IpStats, LeadAggregate
from vigilant.leads.score import ScoreSettings, score_lead
from vigilant.p2p.observations import Tier


def lead(*, tier: Tier = Tier.CONFIRMED, files: int = 3, days: int = 2, ips: int = 1, age: float = 1.0,
         seeding: bool = True, severity: int = 5) -> LeadAggregate:  # fmt: skip
    last = AS_OF - timedelta(days=age)
    stats = [IpStats(f"192.0.2.{i}", 1, last, last, tier.rank, seeding, frozenset(), frozenset(), frozenset(),
                     frozenset(), frozenset()) for i in range(ips)]  # fmt: skip
    return LeadAggregate(
        key="L-x", ips=stats, observations=10, first_seen=last, last_seen=last, days_seen=days,
        known_files=files, max_severity=severity, max_category="1 Child Abuse Material [vic-us]",
        seeding=seeding, tier=tier, peer_ids=[], clients=[], guids=[],
    )  # fmt: skip


@given(
    tier=st.sampled_from(list(Tier)), files=st.integers(1, 10_000), days=st.integers(1, 90),
    ips=st.integers(1, 20), age=st.floats(0, 400), seeding=st.booleans(), severity=st.integers(0, 5),
)  # fmt: skip
def test_explanation_sums_to_the_score(  # noqa: PLR0917 (hypothesis passes each drawn value)
    tier: Tier, files: int, days: int, ips: int, age: float, seeding: bool, severity: int
) -> None:
    drawn = lead(tier=tier, files=files, days=days, ips=ips, age=age, seeding=seeding, severity=severity)
    s = score_lead(drawn, AS_OF)
    assert s.total == round(sum(f.contribution for f in s.factors), 4)
    for f in s.factors:
        assert f.explanation
    assert s.actionable == (tier.rank >= Tier.CONFIRMED.rank)
    assert s == score_lead(lead(tier=tier, files=files, days=days, ips=ips, age=age, seeding=seeding,
                                severity=severity), AS_OF)  # fmt: skip


def test_announced_is_never_actionable_however_high() -> None:
    s = score_lead(lead(tier=Tier.ANNOUNCED, files=10_000, days=90, ips=10), AS_OF)
    assert not s.actionable
    assert s.total > score_lead(lead(tier=Tier.CONFIRMED, files=1, days=1, seeding=False), AS_OF).total


def test_recency_halves_every_half_window() -> None:
    settings = ScoreSettings(preservation_days=60)
    fresh = {f.name: f for f in score_lead(lead(age=0), AS_OF, settings).factors}["recency"]
    half = {f.name: f for f in score_lead(lead(age=30), AS_OF, settings).factors}["recency"]
    full = {f.name: f for f in score_lead(lead(age=60), AS_OF, settings).factors}["recency"]
    assert fresh.contribution == fresh.weight
    assert half.contribution == round(fresh.weight / 2, 4)
    assert full.contribution == round(fresh.weight / 4, 4)


def test_more_known_files_and_more_ips_score_higher() -> None:
    assert score_lead(lead(files=10), AS_OF).total > score_lead(lead(files=2), AS_OF).total
    assert score_lead(lead(ips=3), AS_OF).total > score_lead(lead(ips=1), AS_OF).total
