"""Where a lead went, in words: routed to an agency Vigilant knows, or unrouted and why.

A build keeps the jurisdiction table's agency name (``routed_to``) beside the id it resolved to
(``routed_agency_id``). Only the id routes: a name that matches no agency leaves the lead unrouted, and
every place a lead is shown (CLI, API, pages, package) says so through :func:`routing_status`, never
"routed to" a name no agency has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The jurisdiction table's reasons (vigilant.leads.jurisdiction.Routing.reason), in words.
REASONS = {
    "single-jurisdiction": "every address of the lead is in its jurisdiction",
    "multi-jurisdiction": "the addresses fall to several jurisdictions or to none: the coordinating agency",
    "no-jurisdiction": "no rule of the jurisdiction table covers the addresses: the coordinating agency",
}


@dataclass(frozen=True)
class RoutingStatus:
    routed: bool
    agency_id: int | None  # the agency the lead is routed to; None when unrouted
    text: str  # "routed to X (why)" or "unrouted: why"

    @property
    def label(self) -> str:
        """Short, for tables: the agency's name as the table gave it, or ``unrouted``."""
        return self.text.split(" (", 1)[0].removeprefix("routed to ") if self.routed else "unrouted"

    def to_json(self) -> dict[str, Any]:
        return {"routed": self.routed, "agency_id": self.agency_id, "text": self.text}


def routing_status(
    routed_to: str | None, routed_agency_id: int | None, routing: Mapping[str, Any] | None
) -> RoutingStatus:
    reason = str((routing or {}).get("reason") or "")
    if routed_agency_id is not None and routed_to is not None:
        why = REASONS.get(reason, reason)
        return RoutingStatus(True, routed_agency_id, f"routed to {routed_to}" + (f" ({why})" if why else ""))
    if routed_to is not None:
        why = (
            f"the jurisdiction table names {routed_to!r}, which is no agency in Vigilant "
            "(add the agency or correct the table, then build the leads again)"
        )
        return RoutingStatus(False, None, f"unrouted: {why}")
    if not routing:
        return RoutingStatus(False, None, "unrouted: no jurisdiction table was given when the lead was built")
    return RoutingStatus(False, None, f"unrouted: {REASONS.get(reason, reason) or 'no agency found'}")


def of_lead(row: Any) -> RoutingStatus:
    """The routing status of a lead row (anything with ``routed_to``, ``routed_agency_id``, ``routing``)."""
    return routing_status(row.routed_to, row.routed_agency_id, row.routing)
