"""Aggregation against a plain-Python oracle, window boundaries, and identity continuity."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.leads.helpers import AS_OF, btih, known_table_for, obs, oracle, peer, write
from vigilant.leads.aggregate import UnionFind, Window, aggregate_ips, aggregate_leads, connect
from vigilant.leads.errors import LeadInputError
from vigilant.p2p.observations import Tier

IPS = ["192.0.2.1", "192.0.2.200", "198.51.100.7", "203.0.113.9", "2001:db8::1"]
KNOWN = {btih(i): i + 1 for i in range(8)}


def test_a_lead_has_the_figures_the_issue_asks_for(tmp_path: Path) -> None:
    day = timedelta(days=1)
    rows = [
        obs("192.0.2.1", AS_OF - 3 * day, 0, tier=Tier.ANNOUNCED),
        obs("192.0.2.1", AS_OF - 2 * day, 1, seeding=True, peer_id=peer(1), client="libtorrent 2.1.1.0"),
        obs("192.0.2.1", AS_OF - 2 * day + timedelta(hours=1), 1, tier=Tier.DOWNLOADED, peer_id=peer(1)),
        obs("192.0.2.1", AS_OF - day, 100),  # known-good / unknown torrent: not a lead's material
    ]
    write(tmp_path, "a", rows)
    [lead] = aggregate_leads(tmp_path, known_table_for(), Window(AS_OF))
    assert lead.ip_list == ["192.0.2.1"]
    assert (lead.observations, lead.known_files, lead.days_seen) == (3, 2, 2)
    assert (lead.max_severity, (lead.max_category or "")[:2]) == (5, "1 ")
    assert (lead.seeding, lead.tier) == (True, Tier.DOWNLOADED)
    assert (lead.first_seen, lead.last_seen) == (AS_OF - 3 * day, AS_OF - 2 * day + timedelta(hours=1))
    assert (lead.peer_ids, lead.clients) == ([peer(1).hex()], ["libtorrent 2.1.1.0"])


def test_window_is_open_at_its_start_and_closed_at_as_of(tmp_path: Path) -> None:
    window = Window(AS_OF, 10)
    edge = timedelta(microseconds=1)
    rows = [
        obs("192.0.2.1", window.start, 0),  # exactly at the start: out
        obs("192.0.2.1", window.start + edge, 1),  # just after: in
        obs("192.0.2.1", AS_OF, 2),  # exactly at as_of: in
        obs("192.0.2.1", AS_OF + edge, 3),  # after: out
    ]
    write(tmp_path, "a", rows)
    [stats] = aggregate_ips(connect(), tmp_path, known_table_for(), window)
    assert stats.observations == 2
    assert stats.known_ids == frozenset({2, 3})


def test_as_of_needs_a_zone() -> None:
    with pytest.raises(LeadInputError, match="time zone"):
        Window(AS_OF.replace(tzinfo=None))


def test_peer_id_continuity_joins_ips_but_announced_peer_ids_do_not(tmp_path: Path) -> None:
    rows = [
        obs("192.0.2.1", AS_OF - timedelta(days=5), 0, peer_id=peer(7)),
        obs("198.51.100.7", AS_OF - timedelta(days=4), 1, peer_id=peer(7)),  # same client, new address
        obs("198.51.100.7", AS_OF - timedelta(days=3), 1, peer_id=peer(8)),
        obs("2001:db8::1", AS_OF - timedelta(days=3), 2, peer_id=peer(8)),  # chained through peer 8
        obs("203.0.113.9", AS_OF - timedelta(days=2), 2, peer_id=peer(7), tier=Tier.ANNOUNCED),  # spoofable
    ]
    write(tmp_path, "a", rows)
    leads = aggregate_leads(tmp_path, known_table_for(), Window(AS_OF))
    groups = sorted(lead.ip_list for lead in leads)
    assert groups == [["192.0.2.1", "198.51.100.7", "2001:db8::1"], ["203.0.113.9"]]
    joined = next(lead for lead in leads if len(lead.ips) == 3)
    assert (joined.known_files, joined.days_seen, joined.observations) == (3, 3, 4)


def test_union_find() -> None:
    uf = UnionFind()
    uf.union("a", "b")
    uf.union("c", "d")
    uf.union("b", "d")
    assert len({uf.find(x) for x in "abcd"}) == 1
    assert uf.find("e") == "e"


def test_missing_observations_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(LeadInputError, match="p2p import"):
        aggregate_leads(tmp_path, known_table_for(), Window(AS_OF))


_obs = st.builds(
    lambda ip, minutes, torrent, tier, peer_i, seeding: obs(
        ip, AS_OF - timedelta(minutes=minutes), torrent, tier=tier,
        peer_id=peer(peer_i) if peer_i is not None else None, seeding=seeding,
    ),
    st.sampled_from(IPS), st.integers(0, 60 * 24 * 40), st.sampled_from([0, 1, 2, 3, 5, 100]),
    st.sampled_from(list(Tier)), st.one_of(st.none(), st.integers(0, 3)), st.one_of(st.none(), st.booleans()),
)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_obs, min_size=1, max_size=40), days=st.sampled_from([1, 7, 30]))
def test_per_ip_figures_match_a_plain_python_oracle(tmp_path: Path, rows: list, days: int) -> None:  # type: ignore[type-arg]
    folder = tmp_path / f"h{id(rows)}"
    half = len(rows) // 2
    write(folder, "a", rows[:half])
    write(folder, "b", rows[half:])  # several files, as the store holds them
    window = Window(AS_OF, days)
    got = {s.ip: s for s in aggregate_ips(connect(threads=1), folder, known_table_for(), window)}
    expected = oracle(rows, KNOWN, AS_OF, days)
    assert sorted(got) == sorted(expected)
    for ip, e in expected.items():
        s = got[ip]
        assert (s.observations, s.first_seen, s.last_seen) == (e.observations, e.first, e.last)
        assert (set(s.days), set(s.known_ids), s.tier_rank) == (e.days, e.known, e.tier)
        assert (s.seeding, set(s.peer_ids)) == (e.seeding, e.peers)
