"""A lead's legal life: new → assigned → preservation demand → production order → subscriber identified →
search warrant → executed → closed. One step at a time (or straight to closed), each recorded with who and
when.

The law is enforced here, not in the faces: in Canada subscriber information needs judicial authorisation
(*R v Spencer*, 2014 SCC 43), so "subscriber identified" — or any request for subscriber information — is
refused until a production order (court, judge, date, number) is on the lead. A preservation demand
(s. 487.012) only freezes the ISP's records and discloses nothing, so it needs none. Legal process is
refused altogether on a lead below the ``confirmed`` tier: a spoofable address is not grounds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from vigilant.leads.errors import LeadInputError, TransitionError


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    PRESERVATION_DEMAND = "preservation_demand"
    PRODUCTION_ORDER = "production_order"
    SUBSCRIBER_IDENTIFIED = "subscriber_identified"
    SEARCH_WARRANT = "search_warrant"
    EXECUTED = "executed"
    CLOSED = "closed"


ORDER: tuple[Status, ...] = tuple(Status)
NEEDS_AUTHORITY = {Status.PRODUCTION_ORDER, Status.SEARCH_WARRANT}  # judicial orders: record which
NEEDS_ACTIONABLE = {Status.PRESERVATION_DEMAND, Status.PRODUCTION_ORDER, Status.SEARCH_WARRANT}


@dataclass(frozen=True)
class JudicialAuthority:
    """The order a judge or justice granted: what a defence lawyer will ask to see first."""

    court: str
    judge: str
    date: date
    number: str
    kind: str = "production order (Criminal Code s. 487.014)"

    @classmethod
    def from_fields(
        cls,
        *,
        court: str | None,
        judge: str | None,
        order_date: str | None,
        number: str | None,
        kind: str | None,
    ) -> JudicialAuthority:
        given = {"court": court, "judge": judge, "date": order_date, "number": number}
        missing = [name for name, value in given.items() if not (value or "").strip()]
        if missing:
            raise LeadInputError(
                f"judicial authority incomplete: missing {', '.join(missing)}",
                hint="give --court, --judge, --order-date YYYY-MM-DD and --order-number",
            )
        try:
            when = date.fromisoformat(str(order_date))
        except ValueError:
            raise LeadInputError(f"order date {order_date!r} is not YYYY-MM-DD") from None
        return cls(str(court).strip(), str(judge).strip(), when, str(number).strip(), kind or cls.kind)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        return data


def check_transition(
    current: Status,
    target: Status,
    *,
    actionable: bool,
    agency: str | None,
    authority: JudicialAuthority | None,
    production_order_on_file: bool,
) -> None:
    """Raise :class:`TransitionError` (saying what is missing) unless ``current → target`` is allowed."""
    if current is Status.CLOSED:
        raise TransitionError("the lead is closed", hint="closed leads do not move; build a new lead")
    if target is Status.CLOSED:
        return
    expected = ORDER[ORDER.index(current) + 1]
    if target is not expected:
        raise TransitionError(
            f"cannot go from {current.value} to {target.value}",
            hint=f"the next step is {expected.value} (or closed)",
        )
    if target is Status.ASSIGNED and not agency:
        raise TransitionError("assigning needs an agency", hint="use `vigilant leads assign LEAD AGENCY`")
    if target in NEEDS_ACTIONABLE and not actionable:
        raise TransitionError(
            "the lead is below the confirmed tier: a spoofable address is no grounds for legal process",
            hint="confirm the peer with a direct handshake (vigilant p2p observe), rebuild the leads, retry",
        )
    if target in NEEDS_AUTHORITY and authority is None:
        raise TransitionError(
            f"{target.value} needs the judicial authority recorded (court, judge, date, number)",
            hint="pass --court, --judge, --order-date and --order-number",
        )
    if target is Status.SUBSCRIBER_IDENTIFIED:
        require_subscriber_authority(production_order_on_file)


def require_subscriber_authority(production_order_on_file: bool) -> None:
    """Any subscriber request is refused until a production order is recorded (R v Spencer, 2014 SCC 43)."""
    if not production_order_on_file:
        raise TransitionError(
            "no production order is recorded: subscriber information needs judicial authorisation "
            "(R v Spencer, 2014 SCC 43)",
            hint="record the order first: vigilant leads advance LEAD production_order --court … --judge …",
        )
