"""The score explains itself: factors sum to it, the tier gates it, recency decays with the window."""

from __future__ import annotations

import math
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.leads.helpers import AS_OF
from vigilant.leads.aggregate import IpStats, LeadAggregate
from vigilant.leads.geo import GeoConfidence, GeoResult, geo_confidence
from vigilant.leads.known import markers_of
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


def test_hands_on_markers_come_from_the_library_flags() -> None:
    assert markers_of(distributed=None, victim_identified=None, offender_identified=None, tags=[]) == ()
    assert markers_of(distributed=False, victim_identified=False, offender_identified=True,
                      tags=["First-Hand", "outdoor"]) == ("not-distributed", "victim-unidentified",
                                                          "tag:first-hand")  # fmt: skip
    drawn = lead(files=3)
    drawn.known_ids = [1, 2, 3]
    markers = {1: ("not-distributed",), 3: ("not-distributed", "victim-unidentified"), 9: ("tag:sadistic",)}
    factors = {f.name: f for f in score_lead(drawn, AS_OF, markers=markers).factors}
    hands_on = factors["hands_on"]
    assert (hands_on.value, hands_on.weight) == (2, 8.0)
    assert hands_on.contribution == round(8.0 * math.log2(3), 4)
    assert hands_on.explanation == (
        "2 known file(s) with hands-on markers (not-distributed 2, victim-unidentified 1), log2(1 + n)"
    )
    without = {f.name: f for f in score_lead(drawn, AS_OF).factors}["hands_on"]
    assert without.contribution == 0
    assert "no known file" in without.explanation


def test_jurisdiction_confidence_follows_the_geolocation_level() -> None:
    def conf(routed: bool = True, **fields: object) -> float:
        return geo_confidence(GeoResult(**fields), routed=routed).value  # type: ignore[arg-type]

    assert conf() == 0.0
    assert conf(country="CA") == 0.3
    assert conf(country="CA", isp="Example Net") == 0.6
    assert conf(country="CA", subdivision="ON", isp="Example Net") == 0.9
    assert conf(country="CA", subdivision="ON", city="Ottawa", asn=64500) == 1.0
    assert conf(country="CA", subdivision="ON", city="Ottawa", asn=64500, accuracy_km=500) == 0.8
    assert conf(routed=False, country="CA", subdivision="ON", isp="x") == 0.0

    drawn = lead(ips=2)
    ottawa = geo_confidence(GeoResult("CA", "ON", "Ontario", "Ottawa", 64500, "Example Net"), routed=True)
    foreign = geo_confidence(GeoResult("US"), routed=False)
    geo = {"192.0.2.0": ottawa, "192.0.2.1": foreign}
    factor = {f.name: f for f in score_lead(drawn, AS_OF, geo=geo).factors}["jurisdiction"]
    assert (factor.value, factor.weight, factor.contribution) == (0.5, 5.0, 2.5)
    assert factor.explanation == "mean confidence over 2 IP(s): 1 city+ISP, 1 country, unrouted"
    none = {f.name: f for f in score_lead(drawn, AS_OF).factors}["jurisdiction"]
    assert none.contribution == 0
    assert "no geolocation database" in none.explanation


@given(markers=st.integers(0, 50), confidence=st.floats(0, 1), ips=st.integers(1, 5))
def test_new_factors_still_sum_to_the_score(markers: int, confidence: float, ips: int) -> None:
    drawn = lead(files=max(markers, 1), ips=ips)
    drawn.known_ids = list(range(max(markers, 1)))
    geo = {s.ip: GeoConfidence("city", True, None, True, round(confidence, 4)) for s in drawn.ips}
    s = score_lead(drawn, AS_OF, markers=dict.fromkeys(range(markers), ("not-distributed",)), geo=geo)
    assert s.total == round(sum(f.contribution for f in s.factors), 4)
    assert {f.name for f in s.factors} >= {"hands_on", "jurisdiction"}
