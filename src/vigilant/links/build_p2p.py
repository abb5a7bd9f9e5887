"""P2P continuity: a lead and the addresses and peer ids it was seen with; one peer id seen on several IPs
(the same client moving between addresses); and a lead whose IP equals an IP recorded on a person, within
the address's time window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

import duckdb
from sqlalchemy import select

from vigilant.leads.models import LeadIpRow, LeadRow
from vigilant.links import entities as e
from vigilant.links.build_records import identifier_holders
from vigilant.links.builder import Sources, Trigger
from vigilant.links.entities import BuiltLinks, EntityKind, LinkFact, Provenance

# A confirmed peer id (our own handshake saw it) on each address it used, with when and how often.
PEER_IPS_SQL = """
WITH seen AS (
    SELECT lower(hex(peer_id)) AS peer, ip, count(*) AS n, min(obs_id) AS first_obs,
           epoch_us(min(ts_utc)) AS first_us, epoch_us(max(ts_utc)) AS last_us
    FROM read_parquet($glob, union_by_name = true)
    WHERE peer_id IS NOT NULL AND tier <> 'announced'
    GROUP BY ALL
)
SELECT * FROM seen WHERE peer IN (SELECT peer FROM seen GROUP BY peer HAVING count(DISTINCT ip) >= 2)
ORDER BY peer, ip
"""
LEAD_ON_PERSON_WEIGHT = 2.0


class P2pContinuity:
    name: ClassVar[str] = "p2p_continuity"
    triggers: ClassVar[frozenset[str]] = frozenset({Trigger.OBSERVATIONS, Trigger.RECORD})
    description: ClassVar[str] = (
        "leads' addresses and peer ids; one peer id on several IPs; a lead IP on a person"
    )

    def build(self, sources: Sources) -> BuiltLinks:
        out = BuiltLinks()
        window = timedelta(hours=sources.settings.ip_window_hours)
        with sources.db.session() as s:
            leads = list(s.scalars(select(LeadRow).order_by(LeadRow.id)))
            ips: dict[int, list[LeadIpRow]] = {}
            for row in s.scalars(select(LeadIpRow).order_by(LeadIpRow.lead_id, LeadIpRow.ip)):
                ips.setdefault(row.lead_id, []).append(row)
            on_persons = [
                h for h in identifier_holders(s) if h.kind == "ip" and h.holder.kind is EntityKind.PERSON
            ]
        for lead in leads:
            ref = e.lead(lead.id, lead.key, lead.assigned_agency_id or lead.routed_agency_id)
            prov = Provenance(
                "lead",
                (f"lead:{lead.id}",),
                lead.last_seen,
                None,
                lead.assigned_agency_id or lead.routed_agency_id,
            )
            for ip in ips.get(lead.id, []):
                out.add(
                    LinkFact(
                        "lead_ip",
                        ref,
                        e.identifier("ip", ip.ip),
                        1.0,
                        {
                            "text": f"{ip.observation_count} observation(s) from {ip.ip}",
                            "first_seen": ip.first_seen.isoformat(),
                            "last_seen": ip.last_seen.isoformat(),
                        },
                        prov,
                    )
                )
                for held in on_persons:
                    if held.value != ip.ip:
                        continue
                    if held.observed_at is not None and not (
                        ip.first_seen - window <= held.observed_at <= ip.last_seen + window
                    ):
                        continue  # the address was someone else's by then
                    text = f"lead {lead.key} was seen at {ip.ip}, an IP recorded on {held.holder.label}"
                    out.add(
                        LinkFact(
                            "lead_ip_on_person",
                            ref,
                            held.holder,
                            LEAD_ON_PERSON_WEIGHT,
                            {"text": text, "ip": ip.ip, "case": held.case_id},
                            Provenance(
                                "lead",
                                (f"lead:{lead.id}", f"identifier_link:{held.link_id}"),
                                lead.last_seen,
                                held.case_id,
                                held.holder.agency_id,
                            ),
                        )
                    )
            for peer in sorted(lead.identities.get("peer_ids", [])):
                out.add(
                    LinkFact(
                        "lead_peer",
                        ref,
                        e.identifier("peer_id", peer.lower()),
                        1.0,
                        {"text": "peer id seen in the lead's observations"},
                        prov,
                    )
                )
        files = (
            sorted(sources.observations_dir.glob("*.parquet")) if sources.observations_dir.is_dir() else []
        )
        if files:
            with duckdb.connect() as con:
                con.execute("SET TimeZone = 'UTC'")
                rows = con.execute(PEER_IPS_SQL, {"glob": [str(f) for f in files]}).fetchall()
            for peer, ip, n, first_obs, first_us, last_us in rows:
                when = e_time(last_us)
                out.add(
                    LinkFact(
                        "seen_on",
                        e.identifier("peer_id", peer),
                        e.identifier("ip", ip),
                        1.0,
                        {
                            "text": f"peer id seen {n} time(s) on {ip}",
                            "observations": n,
                            "first_seen": e_time(first_us).isoformat(),
                            "last_seen": when.isoformat(),
                        },
                        Provenance("observation", (str(first_obs),), when),
                    )
                )
        return out


def e_time(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
