"""A lead's routing in words: no empty parentheses when the build recorded no reason."""

from __future__ import annotations

from vigilant.leads.routing import routing_status


def test_a_routed_lead_without_a_recorded_reason_reads_plainly() -> None:
    status = routing_status("OPS", 3, {})
    assert status.text == "routed to OPS"
    assert status.label == "OPS"
    assert routing_status("OPS", 3, None).text == "routed to OPS"


def test_a_routed_lead_with_its_reason_says_why() -> None:
    status = routing_status("OPS", 3, {"reason": "single-jurisdiction"})
    assert status.text == "routed to OPS (every address of the lead is in its jurisdiction)"
    assert status.label == "OPS"
